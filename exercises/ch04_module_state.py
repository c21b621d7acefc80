"""Chapter 04 exercises: module state (buffers, state_dict, extra state).

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 04`."""
import minitorch as torch  # noqa: F401  (you will need it)
from minitorch import nn
from minitorch.nn.modules.module import _IncompatibleKeys  # noqa: F401  (the result of load_state_dict)


def state_dict_of(module, prefix=""):
    """ch04.1: what `module.state_dict(prefix=prefix)` returns, built from the module's tables (do not
    call state_dict or _save_to_state_dict).

    For each module, starting with `module` itself:
    - its own parameters (`m._parameters`), skipping None;
    - then its buffers (`m._buffers`), skipping None and the names in `m._non_persistent_buffers_set`;
    - then, if its class overrides `get_extra_state`, the entry "_extra_state": `m.get_extra_state()`;
    - then each child of `m._modules` (skipping None), with the child's name and a dot added to the
      prefix. A child registered under two names appears under both.
    Keys are prefix + name; tensors are detached (`t.detach()`). Return a dict.

    Hint: `type(m).get_extra_state is not nn.Module.get_extra_state` tells whether a class overrides it.
    """
    raise NotImplementedError("ch04.1: walk the tables and collect detached tensors under dotted names")


def load_state_into(module, state_dict, strict=True):
    """ch04.1: what `module.load_state_dict(state_dict, strict)` does, by hand (do not call
    load_state_dict or _load_from_state_dict).

    - Every key that `state_dict_of(module)` would have is expected. An expected key missing from
      `state_dict` is a missing key. A tensor whose shape differs is a size mismatch. Otherwise copy the
      value into the module's own tensor in place (`tensor.copy_(value)` under `torch.no_grad()`), so
      the Parameter objects stay the same; an "_extra_state" value goes to `set_extra_state`.
    - Unexpected keys: keys of `state_dict` that are not expected, in the order they appear in it.
    - Raise RuntimeError when there is any size mismatch, or, with strict=True, any missing or
      unexpected key, with torch's message: "Error(s) in loading state_dict for <class name>:" and, each
      after "\\n\\t", `Missing key(s) in state_dict: "a", "b". ` (note the space at the end),
      `Unexpected key(s) in state_dict: "c". ` and one line per size mismatch:
      `size mismatch for w: copying a param with shape torch.Size([2, 2]) from checkpoint, the shape in
      current model is torch.Size([3, 2]).`, leaving out the parts that do not apply.
    - Otherwise return `_IncompatibleKeys(missing_keys, unexpected_keys)`.
    """
    raise NotImplementedError("ch04.1: copy matching entries in place, report or raise on mismatches")


def predict_state_dict_keys():
    """ch04.2 (predict, then check): without running it, write down `list(Puzzle().state_dict())` for

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("steps", torch.zeros((), dtype=torch.long))
                self.norm = nn.BatchNorm1d(2)
                self.scale = nn.Parameter(torch.ones(2))
                self.register_buffer("cache", torch.zeros(2), persistent=False)

            def get_extra_state(self):
                return {"version": 2}

            def set_extra_state(self, state):
                pass

        class Puzzle(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList([Block(), Block()])
                self.head = nn.Linear(2, 1, bias=False)
                self.register_parameter("offset", None)
                self.tied = self.head

    Return that list of keys. Then run it in the notebook to check.
    """
    raise NotImplementedError("ch04.2: return your predicted list of keys")


class Standardizer(nn.Module):
    """ch04.3 (debugging): standardizes its inputs, `(x - mean) / sqrt(var + 1e-5)`, with running
    statistics that are saved, moved and restored with the model.

    What it should do: `mean` (zeros) and `var` (ones), shape (num_features,), are persistent buffers.
    In training mode each call first updates them, `mean <- (1 - momentum) * mean + momentum *
    x.mean(0)` and the same for `var` with `x.var(0)`, without recording any autograd history in
    them, and counts the call in `self.count` (a Python int starting at 0). In evaluation mode nothing
    is updated. The count is saved as extra state, `{"count": count}`, so `state_dict()` has the keys
    "mean", "var" and "_extra_state", and `load_state_dict` restores all three.

    The code below runs, but it has three bugs. Delete the `raise` line, then find and fix them.
    """

    def __init__(self, num_features, momentum=0.1):
        super().__init__()
        raise NotImplementedError("ch04.3: find and fix the three bugs below, then delete this line")
        self.momentum = momentum
        self.mean = torch.zeros(num_features)
        self.var = torch.ones(num_features)
        self.count = 0

    def forward(self, x):
        if self.training:
            self.count += 1
            m = self.momentum
            self.mean = (1 - m) * self.mean + m * x.mean(0)
            self.var = (1 - m) * self.var + m * x.var(0)
        return (x - self.mean) / torch.sqrt(self.var + 1e-5)
