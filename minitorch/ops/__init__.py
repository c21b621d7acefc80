"""Differentiable ops. Each module lists its torch-level functions in `__all__`, its Tensor methods in
`_METHODS` and the ops that get an in-place `name_` form in `_INPLACE`; `minitorch/_entries.py` binds them
to Tensor and to the `minitorch.*` namespace, each through the dispatch door."""
from . import convert, inplace, pointwise, reduce, shape
from . import linalg
from . import index, random
from . import sorting
from . import decompositions, norms

MODULES = (pointwise, reduce, shape, convert, inplace, linalg, index, random, sorting, decompositions, norms)
