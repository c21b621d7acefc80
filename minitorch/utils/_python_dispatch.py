"""`TorchDispatchMode`: the lower of the two modes (torch.utils._python_dispatch). It sees each op by its
aten name (`aten::addmm`, `aten::relu` ...) after the torch function layer, including the ops that other ops
run inside them, with the arguments bound to the kernel's signature."""
from .. import _dispatch

__all__ = ["TorchDispatchMode"]


class TorchDispatchMode:
    """Within `with mode:`, every op is handed to `mode.__torch_dispatch__(func, types, args, kwargs)`, where
    `func` is the op (call it to run the op below this mode) and `types` the tensor types among the arguments.
    The mode is switched off while its handler runs."""

    def __init__(self):
        pass

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        raise NotImplementedError

    def __enter__(self):
        _dispatch.push_dispatch_mode(self)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        _dispatch.pop_dispatch_mode()


def _get_current_dispatch_mode():
    stack = _dispatch._dispatch_modes
    return stack[-1] if stack else None
