"""`minitorch.linalg` (torch.linalg): decompositions, inverses, solves, norms, products and matrix functions,
on the last two dims of a tensor (those before are batch dims). See https://pytorch.org/docs/stable/linalg.html
Each function is an entry of the dispatch door, under torch's name (`torch.linalg.qr` ...)."""
from . import _dispatch
from .ops import decompositions, norms
from .ops.decompositions import LinAlgError
from .ops.linalg import matmul as _matmul
from .ops.linalg_extra import LINALG as _LINALG
from .ops.products import linalg_cross as _cross

_IMPLEMENTATIONS = dict(
    _LINALG, householder_product=decompositions.householder_product, matrix_exp=decompositions.matrix_exp,
    qr=decompositions.qr, solve=decompositions.solve, svd=decompositions.svd, svdvals=decompositions.svdvals,
    matrix_norm=norms.matrix_norm, norm=norms.norm, vector_norm=norms.vector_norm, matmul=_matmul, cross=_cross)
globals().update({name: _dispatch.public(fn, f"torch.linalg.{name}") for name, fn in _IMPLEMENTATIONS.items()})

__all__ = ["LinAlgError", *sorted(_IMPLEMENTATIONS)]
