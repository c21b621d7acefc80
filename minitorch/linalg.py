"""`minitorch.linalg`: torch.linalg's decompositions, solves, norms and matrix functions, on the last two
dims of a tensor (those before are batch dims). See https://pytorch.org/docs/stable/linalg.html
Each function is an entry of the dispatch door, under torch's name (`torch.linalg.qr` ...)."""
from . import _dispatch
from .ops import decompositions, norms
from .ops import linalg as _products
from .ops.decompositions import LinAlgError

_IMPLEMENTATIONS = {
    "householder_product": decompositions.householder_product, "matrix_exp": decompositions.matrix_exp,
    "qr": decompositions.qr, "solve": decompositions.solve, "svd": decompositions.svd,
    "svdvals": decompositions.svdvals, "matmul": _products.matmul, "matrix_norm": norms.matrix_norm,
    "norm": norms.norm, "vector_norm": norms.vector_norm,
}
globals().update({name: _dispatch.public(fn, f"torch.linalg.{name}") for name, fn in _IMPLEMENTATIONS.items()})

__all__ = ["LinAlgError", *sorted(_IMPLEMENTATIONS)]
