"""Differentiable ops. Each module lists its torch-level functions in `__all__`, its Tensor methods in
`_METHODS` and the ops that get an in-place `name_` form in `_INPLACE`; this file binds them to Tensor."""
from .._tensor import Tensor
from . import convert, inplace, pointwise, reduce, shape
from . import linalg
from . import index, random
from . import sorting
from . import decompositions, norms
from .inplace import inplace_variant

MODULES = (pointwise, reduce, shape, convert, inplace, linalg, index, random, sorting, decompositions, norms)

for _module in MODULES:
    for _name, _fn in _module._METHODS.items():
        setattr(Tensor, _name, _fn)
    for _name, _fn in _module._INPLACE.items():
        setattr(Tensor, _name, inplace_variant(_fn))
