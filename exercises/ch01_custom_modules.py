"""Chapter 01 — a simple custom module: exercises.

Replace each `raise NotImplementedError(...)` with your code, then check your work with
`python -m grader --chapter 01`. Use `import minitorch as torch` and `from minitorch import nn`
exactly as you would use PyTorch.
"""
import math  # noqa: F401  (you may need it)

import minitorch as torch  # noqa: F401
from minitorch import nn


class MyLinear(nn.Module):
    """ch01.1: the chapter's MyLinear, plus factory keyword arguments.

    - `weight` is a Parameter of shape (in_features, out_features), `bias` one of shape (out_features,),
      both drawn from `torch.randn`, registered in that order.
    - Both are created with the given `device` and `dtype` (None means the defaults: cpu, float32).
    - `forward(input)` returns `(input @ self.weight) + self.bias`.

    Hint: pass `device=device, dtype=dtype` to `torch.randn` (collecting them once in a
    `factory_kwargs` dict keeps that tidy), and call `super().__init__()` first.
    """

    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__()
        raise NotImplementedError("ch01.1: create weight and bias as Parameters with the given device and dtype")

    def forward(self, input):
        raise NotImplementedError("ch01.1: return input @ weight + bias")


class Square(nn.Module):
    """ch01.2: a stateless module: `Square()(x)` returns x squared element-wise and has no parameters.

    Hint: a module needs no `__init__` of its own when it has no state; `forward` is enough.
    """

    def forward(self, input):
        raise NotImplementedError("ch01.2: return the input squared element-wise")


def count_parameters(module, trainable_only=False):
    """ch01.3: return the number of scalar parameters of `module` (an int), children included.

    With `trainable_only=True` count only parameters whose `requires_grad` is True. For example
    `count_parameters(nn.Linear(4, 3)) == 15` (12 weights + 3 biases).

    Hint: `module.parameters()` yields every registered Parameter once; `Tensor.numel()` counts elements.
    """
    raise NotImplementedError("ch01.3: sum numel() over module.parameters()")


class Affine(nn.Module):
    """ch01.4: re-implement nn.Linear's layout and behaviour.

    - Store `in_features` and `out_features` as attributes.
    - `weight` is a Parameter of shape (out_features, in_features); `bias` one of shape (out_features,).
      Both start uniform in [-1/sqrt(in_features), 1/sqrt(in_features)].
    - With `bias=False` there is no bias: register the name with `self.register_parameter("bias", None)`
      so that `self.bias` is None and `named_parameters()` lists only the weight.
    - `forward(input)` returns `input @ weight.T (+ bias)`, like `nn.functional.linear`.
    - `repr(Affine(4, 3))` is `Affine(in_features=4, out_features=3, bias=True)`: override `extra_repr`.

    Hint: `nn.init.uniform_(torch.empty(...), -bound, bound)` fills a new tensor in place and returns it.
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        raise NotImplementedError("ch01.4: create weight (and bias, or register None) like nn.Linear")

    def forward(self, input):
        raise NotImplementedError("ch01.4: return input @ weight.T, plus bias when there is one")

    def extra_repr(self):
        raise NotImplementedError("ch01.4: return 'in_features=..., out_features=..., bias=...'")
