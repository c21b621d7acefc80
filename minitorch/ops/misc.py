"""Small tensor utilities that torch offers as functions and methods: fill (a filled copy), is_nonzero,
is_same_size, is_signed."""
from .inplace import _fill


def fill(input, value):
    """A copy of `input` with every element `value` (a number or a 0-d tensor, which gets the gradient)."""
    return _fill(input, value, "FillBackward0", "FillBackward1")


def is_nonzero(input):
    """Whether the single element of `input` is not zero."""
    n = input.numel()
    if n != 1:
        raise RuntimeError("Boolean value of Tensor with " + ("no values" if n == 0 else "more than one value") +
                           " is ambiguous")
    return bool(input._data.reshape(()).item() != 0)


def is_same_size(input, other):
    """Whether the two tensors have the same shape."""
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input):
    """Whether the tensor's dtype holds negative numbers."""
    return input.dtype.is_signed


__all__ = ["fill", "is_nonzero", "is_same_size", "is_signed"]
_METHODS = {name: globals()[name] for name in ("is_nonzero", "is_same_size", "is_signed")}
_INPLACE = {}
