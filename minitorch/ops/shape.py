"""View and shape ops: reshape, transpose, expand, cat ... Views share memory with their input."""
import numpy as np

from ._core import make


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def reshape(input, *shape):
    shape = _shape_arg(shape)
    old = input._data.shape
    return make(input._data.reshape(shape), "ViewBackward0", (input,), lambda g: (g.reshape(old),),
                saves=False)


def expand(input, *sizes):
    sizes = _shape_arg(sizes)
    data = input._data
    lead = len(sizes) - data.ndim
    target = tuple(data.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    xp = np if type(data) is np.ndarray else __import__("cupy")
    out = xp.broadcast_to(data, target)
    from ._core import sum_to
    old = data.shape
    return make(out, "ExpandBackward0", (input,), lambda g: (sum_to(g, old),), saves=False)


__all__ = ["reshape"]
_METHODS = {"reshape": reshape, "expand": expand}
_INPLACE = {}
