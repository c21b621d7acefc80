"""Smooth and gated activations (Mish, Hardswish, Hardsigmoid, LogSigmoid, GLU), shrinkage (Hardshrink,
Softshrink, Softsign, Tanhshrink) and the softmax relatives Softmin and Softmax2d.
See https://pytorch.org/docs/stable/nn.html#non-linear-activations-weighted-sum-nonlinearity"""
from .. import functional as F
from .activation import _inplace_suffix
from .module import Module

__all__ = ["Mish", "Hardswish", "Hardsigmoid", "LogSigmoid", "GLU", "Hardshrink", "Softshrink", "Softsign",
           "Tanhshrink", "Softmin", "Softmax2d"]


class _InplaceActivation(Module):
    """An activation whose only option is `inplace`; subclasses name their function in `_function`."""

    __constants__ = ["inplace"]
    _function = None

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._function(input, self.inplace)


class Mish(_InplaceActivation):
    """x * tanh(softplus(x))."""

    _function = F.mish

    def extra_repr(self):
        return _inplace_suffix(self.inplace, first=True)


class Hardswish(_InplaceActivation):
    """x * relu6(x + 3) / 6."""

    _function = F.hardswish


class Hardsigmoid(_InplaceActivation):
    """relu6(x + 3) / 6."""

    _function = F.hardsigmoid


class LogSigmoid(Module):
    """log(sigmoid(x)), finite for any x."""

    def forward(self, input):
        return F.logsigmoid(input)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    """x - tanh(x)."""

    def forward(self, input):
        return F.tanhshrink(input)


class GLU(Module):
    """The gated linear unit: a * sigmoid(b) for the two halves a, b of the input along `dim`."""

    __constants__ = ["dim"]

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class _Shrink(Module):
    """A shrinkage with threshold `lambd`; subclasses name their function in `_function`."""

    __constants__ = ["lambd"]
    _function = None

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return type(self)._function(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Hardshrink(_Shrink):
    """x where |x| > lambd, else 0."""

    _function = F.hardshrink


class Softshrink(_Shrink):
    """x shrunk towards 0 by lambd, and 0 within [-lambd, lambd]."""

    _function = F.softshrink


class Softmin(Module):
    """softmax(-x) along `dim`."""

    __constants__ = ["dim"]

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax2d(Module):
    """softmax over the channels (dim -3) at every position of a (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F.softmax(input, -3, _stacklevel=5)
