"""The few `torch._C` names that Python code extending torch uses (see `minitorch.overrides`), and `_C._nn`,
where torch keeps some functionals (filled by minitorch/__init__.py from nn.functional.NATIVE_HOMES)."""
import types

from ._dispatch import DisableTorchFunction, DisableTorchFunctionSubclass, torch_function_enabled
from .overrides import _disabled_torch_function_impl

__all__ = ["DisableTorchFunction", "DisableTorchFunctionSubclass", "_disabled_torch_function_impl",
           "_is_torch_function_enabled", "_is_torch_function_mode_enabled"]

_nn = types.ModuleType("minitorch._C._nn", "torch._C._nn: functionals torch implements in C")


def _is_torch_function_enabled():
    return torch_function_enabled()


def _is_torch_function_mode_enabled():
    from . import _dispatch
    return torch_function_enabled() and bool(_dispatch._function_modes)
