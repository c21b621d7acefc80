"""The few `torch._C` names that Python code extending torch uses (see `minitorch.overrides`)."""
from ._dispatch import DisableTorchFunction, DisableTorchFunctionSubclass, torch_function_enabled
from .overrides import _disabled_torch_function_impl

__all__ = ["DisableTorchFunction", "DisableTorchFunctionSubclass", "_disabled_torch_function_impl",
           "_is_torch_function_enabled", "_is_torch_function_mode_enabled"]


def _is_torch_function_enabled():
    return torch_function_enabled()


def _is_torch_function_mode_enabled():
    from . import _dispatch
    return torch_function_enabled() and bool(_dispatch._function_modes)
