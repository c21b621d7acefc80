"""`torch._assert`: an assert that tracing can record (fx specializes inputs with it)."""
from . import _dispatch
from ._tensor import Tensor
from .overrides import handle_torch_function, has_torch_function

__all__ = ["_assert"]


def _assert(condition, message):
    """`assert condition, message`, as a function that passes __torch_function__ dispatch."""
    if type(condition) is not Tensor and has_torch_function((condition,)):
        return handle_torch_function(_assert, (condition,), condition, message)
    assert condition, message


_dispatch._NAMES[_assert] = "torch._assert"
