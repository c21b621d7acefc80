"""Chapter 02 exercises: modules as building blocks.

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 02`."""
import minitorch as torch
from minitorch import nn


class MySequential(nn.Module):
    """ch02.1: your own `nn.Sequential`.

    `MySequential(m0, m1, m2)` registers the given modules as children named "0", "1", "2" (in that order),
    `len(seq)` is the number of modules, `seq[i]` returns the i-th module (negative i counts from the end,
    an index out of range raises IndexError), and `seq(x)` feeds x through the modules in order.

    Hint: `self.add_module(name, module)` registers a child; `self._modules` is the ordered dict of children."""

    def __init__(self, *modules):
        raise NotImplementedError("ch02.1: register each module with add_module under its position")

    def __len__(self):
        raise NotImplementedError("ch02.1: return the number of modules")

    def __getitem__(self, idx):
        raise NotImplementedError("ch02.1: return the idx-th module (negative idx from the end)")

    def forward(self, x):
        raise NotImplementedError("ch02.1: feed x through every module in order")


def count_parameters(module, trainable_only=False):
    """ch02.2: the number of scalar parameters (elements) in `module` and all its submodules, as an int.

    With trainable_only=True count only parameters with `requires_grad=True`. A parameter shared by two
    submodules is counted once.

    Hint: `module.parameters()` already recurses and yields each parameter once; `p.numel()` counts elements."""
    raise NotImplementedError("ch02.2: sum p.numel() over module.parameters() (filter on requires_grad)")


class ResidualBlock(nn.Module):
    """ch02.3: a residual block `y = x + fc2(relu(fc1(x)))`.

    `ResidualBlock(features, hidden)` has two children, `fc1 = nn.Linear(features, hidden)` and
    `fc2 = nn.Linear(hidden, features)`, created in that order. The output has the shape of the input.

    Hint: assign the layers as attributes in __init__ (after super().__init__()); use torch.relu or
    nn.functional.relu in forward."""

    def __init__(self, features, hidden):
        raise NotImplementedError("ch02.3: create the children fc1 and fc2")

    def forward(self, x):
        raise NotImplementedError("ch02.3: return x + fc2(relu(fc1(x)))")
