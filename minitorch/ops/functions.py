"""The `minitorch.*` function namespace, gathered from the op modules; each runs on its first tensor's
GPU (`follow_device`)."""
from . import convert, index, linalg, pointwise, random, reduce, shape, sorting
from ._core import follow_device

__all__ = []
for _module in (convert, index, linalg, pointwise, random, reduce, shape, sorting):
    __all__ += _module.__all__
    globals().update({name: follow_device(getattr(_module, name)) for name in _module.__all__})
