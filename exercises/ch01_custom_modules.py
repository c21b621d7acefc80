"""Chapter 01 — a simple custom module: exercises.

Replace each `raise NotImplementedError(...)` with your code, then check your work with
`python -m grader --chapter 01`. Use `import minitorch as torch` and `from minitorch import nn`
exactly as you would use PyTorch.
"""
import math  # noqa: F401  (you may need it)

import minitorch as torch  # noqa: F401
from minitorch import nn


def count_parameters(module, trainable_only=False):
    """ch01.1: the number of scalar parameters of `module`, children included, as an int.

    Every registered Parameter counts once, even when two layers share it. With `trainable_only=True`
    count only parameters whose `requires_grad` is True. For example `count_parameters(nn.Linear(4, 3))`
    is 15 (12 weights + 3 biases).

    Hint: `module.parameters()` yields every registered Parameter once; `Tensor.numel()` counts elements.
    """
    raise NotImplementedError("ch01.1: sum numel() over module.parameters()")


class Affine(nn.Module):
    """ch01.2: nn.Linear's layout and behaviour, written yourself (subclass nn.Module, not nn.Linear).

    - `Affine(in_features, out_features, bias=True, device=None, dtype=None)` stores `in_features` and
      `out_features` as attributes.
    - `weight` is a Parameter of shape (out_features, in_features), `bias` one of shape (out_features,),
      both created with the given device and dtype and filled uniformly in
      [-1/sqrt(in_features), 1/sqrt(in_features)].
    - With `bias=False` there is no bias: `self.register_parameter("bias", None)`, so that `self.bias`
      is None and `named_parameters()` lists only the weight.
    - `forward(input)` returns `input @ weight.T (+ bias)`.
    - `repr(Affine(4, 3))` is `Affine(in_features=4, out_features=3, bias=True)`: override `extra_repr`.

    Hint: `nn.init.uniform_(torch.empty(..., device=device, dtype=dtype), -bound, bound)` fills a new
    tensor in place and returns it.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        raise NotImplementedError("ch01.2: create weight (and bias, or register None) like nn.Linear")

    def forward(self, input):
        raise NotImplementedError("ch01.2: return input @ weight.T, plus bias when there is one")

    def extra_repr(self):
        raise NotImplementedError("ch01.2: return 'in_features=..., out_features=..., bias=...'")


def predict_parameter_names():
    """ch01.3 (predict, then check): without running it, write down what
    `[(name, tuple(p.shape)) for name, p in Puzzle().named_parameters()]` gives for

        class Puzzle(nn.Module):
            def __init__(self):
                super().__init__()
                self.b = nn.Parameter(torch.zeros(2))
                self.a = nn.Parameter(torch.zeros(3))
                self.scale = torch.ones(1, requires_grad=True)
                self.register_parameter("c", None)
                self.inner = nn.Linear(3, 1, bias=False)
                self.b = nn.Parameter(torch.zeros(4))
                self.tied = self.a

    Return that list of (name, shape) pairs. Then run it in the notebook to check, and explain to
    yourself every entry that surprised you.
    """
    raise NotImplementedError("ch01.3: return your predicted list of (name, shape) pairs")


class TinyModule:
    """ch01.4: the registration machinery of nn.Module, built from scratch (a plain class: do not use
    nn.Module). Subclasses call `super().__init__()` first and then assign attributes, exactly as with
    nn.Module.

    - `__init__` creates two ordered tables, `self._parameters` and `self._modules` (dicts). Create
      them with `object.__setattr__`, since your own `__setattr__` needs them to exist.
    - `__setattr__(name, value)`:
        * an `nn.Parameter` goes into `_parameters` (not into the instance `__dict__`);
        * a TinyModule goes into `_modules`;
        * a name already in a table keeps its place in that table when it gets a new value; `None`
          keeps the slot with the value None;
        * any other value for a name registered as a parameter raises TypeError naming the attribute
          (e.g. "cannot assign 'Tensor' as parameter 'weight' (Parameter or None expected)");
        * anything else becomes an ordinary attribute.
    - `__getattr__(name)` (Python calls it only when normal lookup fails) looks in `_parameters`, then in
      `_modules`, and otherwise raises AttributeError ("'Net' object has no attribute 'foo'").
    - `__delattr__(name)` removes the name from the table that holds it (or the ordinary attribute).
    - `named_modules(prefix="")`: (name, module) pairs, depth first, the module itself first (named
      `prefix`), children's names joined with dots; each module object once (skip None entries).
    - `named_children()`: (name, child) for the direct children, each object once, skipping None.
    - `named_parameters(prefix="", recurse=True)`: for each module of `named_modules(prefix)` (only
      this module when `recurse=False`), its own parameters in registration order, named
      "<module name>.<parameter name>" (just the parameter name for a module named ""), skipping None
      and any Parameter object already yielded. `parameters(recurse=True)` yields the same tensors.
    - Calling the module, `m(*args, **kwargs)`, returns `m.forward(*args, **kwargs)`.

    Hint: read `vars(self)` (the instance `__dict__`) with `self.__dict__`, which never reaches
    `__getattr__`; a set of `id(...)` remembers what was yielded already.
    """

    def __init__(self):
        raise NotImplementedError("ch01.4: create the _parameters and _modules tables")

    def __setattr__(self, name, value):
        raise NotImplementedError("ch01.4: register Parameters and TinyModules, keep everything else")

    def __getattr__(self, name):
        raise NotImplementedError("ch01.4: look the name up in _parameters and _modules")

    def __delattr__(self, name):
        raise NotImplementedError("ch01.4: remove the name from its table")

    def named_modules(self, prefix=""):
        raise NotImplementedError("ch01.4: yield (name, module) depth first, each module once")

    def named_children(self):
        raise NotImplementedError("ch01.4: yield (name, child) for the direct children")

    def named_parameters(self, prefix="", recurse=True):
        raise NotImplementedError("ch01.4: yield (dotted name, parameter), each parameter once")

    def parameters(self, recurse=True):
        raise NotImplementedError("ch01.4: yield the parameters of named_parameters")

    def __call__(self, *args, **kwargs):
        raise NotImplementedError("ch01.4: call forward")


class GatedLinear(nn.Module):
    """ch01.5 (debugging): a linear layer whose outputs are scaled by learned gates,
    `y = linear(x) * sigmoid(gate)`.

    What it should do: a child `linear` (an nn.Linear(in_features, out_features)) and a Parameter
    `gate` of shape (out_features,) starting at zeros (every gate starts half open, sigmoid(0) = 0.5),
    all created with the given device and dtype; calling the module runs `linear`'s hooks like any
    call of a child module does.

    The code below runs, but it has three bugs. Delete the `raise` line, then find and fix them.
    """

    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__()
        raise NotImplementedError("ch01.5: find and fix the three bugs below, then delete this line")
        self.linear = nn.Linear(in_features, out_features)
        self.gate = torch.zeros(out_features, requires_grad=True)

    def forward(self, x):
        return self.linear.forward(x) * torch.sigmoid(self.gate)
