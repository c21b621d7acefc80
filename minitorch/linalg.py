"""`minitorch.linalg` (torch.linalg): decompositions, inverses, solves and products on the last two dims of a
tensor (the dims before are batch dims). See https://pytorch.org/docs/stable/linalg.html"""
from . import _dispatch
from .ops.linalg import matmul as _matmul
from .ops.linalg_extra import LINALG as _LINALG, LinAlgError
from .ops.products import linalg_cross as _cross

_FUNCTIONS = dict(_LINALG, matmul=_matmul, cross=_cross)
_FUNCTIONS.pop("LinAlgError")
globals().update({name: _dispatch.public(fn, f"torch.linalg.{name}") for name, fn in _FUNCTIONS.items()})

__all__ = ["LinAlgError", *sorted(_FUNCTIONS)]
