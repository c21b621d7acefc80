"""Chapter 02 exercises: modules as building blocks.

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 02`."""
import minitorch as torch  # noqa: F401  (you may need it)
from minitorch import nn


class MySequential(nn.Module):
    """ch02.1: your own `nn.Sequential` (subclass nn.Module; do not use nn.Sequential, nn.ModuleList or
    nn.ModuleDict). Its children live in `self._modules`, where `add_module` puts them.

    - `MySequential(m0, m1, ...)` registers the modules as children "0", "1", ... in order;
      `MySequential(d)` with one dict registers `d`'s modules under `d`'s keys.
    - `len(seq)`, `iter(seq)` (the modules in order), and `seq(x)` feeds x through them in order.
    - `seq[i]`: the i-th module (negative i counts from the end); out of range: IndexError.
      `seq[i] = module` replaces the i-th module under the same name.
    - `seq[a:b]`: a new MySequential holding those modules under their *current* names (as
      nn.Sequential does: `nn.Sequential(a, b, c)[1:]` has children "1" and "2").
    - `append(module)` adds it under the name `str(len(seq))`; returns seq.
    - `insert(index, module)` puts it at position `index` (-len <= index <= len, else IndexError;
      negative counts from the end) and shifts the later ones; names stay "0", "1", ... in order.
    - `del seq[i]` and `del seq[a:b]` remove modules, then rename the rest "0", "1", ... in order;
      `pop(i)` removes the i-th module and returns it.

    Hint: `list(self._modules.items())` gives (name, module) pairs in order; after a removal, rebuild
    `self._modules` as a new dict with the names renumbered.
    """

    def __init__(self, *modules):
        super().__init__()
        raise NotImplementedError("ch02.1: register each module with add_module under its position (or key)")

    def __len__(self):
        raise NotImplementedError("ch02.1: return the number of modules")

    def __iter__(self):
        raise NotImplementedError("ch02.1: iterate over the modules in order")

    def __getitem__(self, idx):
        raise NotImplementedError("ch02.1: return the idx-th module, or a MySequential for a slice")

    def __setitem__(self, idx, module):
        raise NotImplementedError("ch02.1: replace the idx-th module, keeping its name")

    def __delitem__(self, idx):
        raise NotImplementedError("ch02.1: remove the module(s), then renumber the names")

    def append(self, module):
        raise NotImplementedError("ch02.1: add the module at the end")

    def insert(self, index, module):
        raise NotImplementedError("ch02.1: insert the module at index, shifting the later ones")

    def pop(self, index):
        raise NotImplementedError("ch02.1: remove the index-th module and return it")

    def forward(self, x):
        raise NotImplementedError("ch02.1: feed x through every module in order")


def predict_named_modules():
    """ch02.2 (predict, then check): without running it, write down the names that
    `[name for name, _ in net.named_modules()]` gives for

        shared = nn.ReLU()
        net = nn.Sequential(
            nn.Linear(2, 2),
            shared,
            nn.Sequential(shared, nn.Linear(2, 2)),
            nn.ModuleDict({"out": nn.Linear(2, 1), "act": shared}),
        )

    Return that list of names. Then run it in the notebook to check.
    """
    raise NotImplementedError("ch02.2: return your predicted list of names")


class ResidualBlock(nn.Module):
    """ch02.3: a residual block `y = x + fc2(relu(fc1(x)))`.

    `ResidualBlock(features, hidden)` has two children, `fc1 = nn.Linear(features, hidden)` and
    `fc2 = nn.Linear(hidden, features)`, created in that order. The output has the shape of the input.

    Hint: assign the layers as attributes in __init__ (after super().__init__()); use torch.relu or
    nn.functional.relu in forward."""

    def __init__(self, features, hidden):
        super().__init__()
        raise NotImplementedError("ch02.3: create the children fc1 and fc2")

    def forward(self, x):
        raise NotImplementedError("ch02.3: return x + fc2(relu(fc1(x)))")


class DeepMLP(nn.Module):
    """ch02.4 (debugging): a multi-layer perceptron with `depth` hidden layers.

    What it should do: children `hidden` (an nn.ModuleList of `depth` separate nn.Linear layers, the
    first from in_features to width, the others from width to width), `act` (one nn.ReLU) and `out`
    (nn.Linear(width, out_features)). forward applies each hidden layer followed by the ReLU, then the
    output layer, whose raw scores are returned as they are (they may be negative).

    The code below runs, but it has three bugs. Delete the `raise` line, then find and fix them.
    """

    def __init__(self, in_features, width, out_features, depth):
        super().__init__()
        raise NotImplementedError("ch02.4: find and fix the three bugs below, then delete this line")
        self.hidden = [nn.Linear(in_features, width)] + [nn.Linear(width, width)] * (depth - 1)
        self.act = nn.ReLU()
        self.out = nn.Linear(width, out_features)

    def forward(self, x):
        for layer in self.hidden:
            x = self.act(layer(x))
        return self.act(self.out(x))
