"""`minitorch.overrides`: extending minitorch from Python, as `torch.overrides` does.

Two ways to take part in every public op (see `minitorch/_dispatch.py` for the door itself):

- a class with `__torch_function__(cls, func, types, args=(), kwargs=None)` (a Tensor subclass, or any other
  class whose instances are passed to ops) is handed the public function and the call's arguments;
- a `TorchFunctionMode`, entered with `with`, sees every public call made inside it.

See https://pytorch.org/docs/stable/notes/extending.html#extending-torch-python-api"""
import contextlib

from . import _dispatch

__all__ = ["TorchFunctionMode", "BaseTorchFunctionMode", "get_ignored_functions", "get_overridable_functions",
           "handle_torch_function", "has_torch_function", "has_torch_function_unary",
           "has_torch_function_variadic", "is_tensor_like", "is_tensor_method_or_property", "resolve_name",
           "wrap_torch_function"]


def _disabled_torch_function_impl(cls, func, types, args=(), kwargs=None):
    """The `__torch_function__` of a class that opts out (nn.Parameter): ops on it behave as on Tensor."""
    with _dispatch.DisableTorchFunctionSubclass():
        return func(*args, **(kwargs or {}))


def has_torch_function(relevant_args):
    """Whether a call with these arguments must go to __torch_function__ (an overriding argument, or an
    active TorchFunctionMode)."""
    if not _dispatch.torch_function_enabled():
        return False
    return bool(_dispatch._function_modes) or bool(_dispatch.overloaded_args(relevant_args))


def has_torch_function_unary(obj):
    return has_torch_function((obj,))


def has_torch_function_variadic(*args):
    return has_torch_function(args)


def handle_torch_function(public_api, relevant_args, *args, **kwargs):
    """Hand a call of your own function `public_api` to the active mode and to the __torch_function__ of
    `relevant_args`, as minitorch's own functions do; returns the first answer that is not NotImplemented."""
    overloaded = _dispatch.overloaded_args(relevant_args, include_plain=True)
    return _dispatch.handle(public_api, overloaded, args, kwargs, python_level=True)


def wrap_torch_function(dispatcher):
    """Decorator making a Python function overridable: `dispatcher(*args, **kwargs)` returns the arguments
    that __torch_function__ dispatch looks at."""
    def decorate(fn):
        def wrapped(*args, **kwargs):
            relevant = dispatcher(*args, **kwargs)
            if has_torch_function(relevant):
                return handle_torch_function(wrapped, relevant, *args, **kwargs)
            return fn(*args, **kwargs)
        wrapped.__name__, wrapped.__qualname__, wrapped.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
        wrapped.__module__, wrapped.__wrapped__ = fn.__module__, fn
        return wrapped
    return decorate


def is_tensor_like(inp):
    """True for Tensors and for any object whose type defines __torch_function__."""
    from ._tensor import Tensor
    return type(inp) is Tensor or hasattr(inp, "__torch_function__")


def resolve_name(f):
    """torch's dotted name of a public function ('torch.add', 'torch.Tensor.shape.__get__'), or None."""
    return _dispatch._NAMES.get(f)


def is_tensor_method_or_property(func):
    """Whether `func` is a Tensor method or a Tensor property accessor (so its first argument is a Tensor)."""
    name = resolve_name(func)
    return name is not None and name.startswith("torch.Tensor.")


def get_overridable_functions():
    """{namespace: [public functions that pass __torch_function__ dispatch]}, by torch's namespace names
    ('torch', 'torch.Tensor', 'torch.nn.functional' ...)."""
    result = {}
    for func, name in _dispatch._NAMES.items():
        namespace = name.rsplit(".", 2)[0] if name.endswith(("__get__", "__set__", "__delete__")) \
            else name.rsplit(".", 1)[0]
        result.setdefault(namespace, []).append(func)
    return result


def get_ignored_functions():
    """Public functions that deliberately do not pass __torch_function__ dispatch."""
    from ._tensor import Tensor
    from . import _dtype
    return {Tensor.as_subclass, Tensor._make_subclass, Tensor.__torch_function__, Tensor.__init_subclass__,
            Tensor.__new__, Tensor.__hash__, Tensor.__iter__, _dtype.get_default_dtype, _dtype.set_default_dtype,
            _dtype.promote_types, has_torch_function, handle_torch_function}


class TorchFunctionMode:
    """Base class of modes: within `with mode:`, every public call is handed to
    `mode.__torch_function__(func, types, args, kwargs)` (the mode is switched off while its handler runs,
    so calling `func(*args, **kwargs)` there does the normal work). Modes nest; the innermost goes first."""

    def __init__(self):
        pass

    def __torch_function__(self, func, types, args=(), kwargs=None):
        raise NotImplementedError

    def __enter__(self):
        _dispatch.push_function_mode(self)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        _dispatch.pop_function_mode()


class BaseTorchFunctionMode(TorchFunctionMode):
    """A mode that runs every call unchanged: subclass it and override only what you need."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


def _get_current_function_mode():
    """The innermost active TorchFunctionMode, or None."""
    stack = _dispatch._function_modes
    return stack[-1] if stack else None


def _get_current_function_mode_stack():
    return list(_dispatch._function_modes)


@contextlib.contextmanager
def _pop_mode_temporarily():
    """Switch the innermost mode off for the duration of the block (yields it)."""
    mode = _dispatch.pop_function_mode()
    try:
        yield mode
    finally:
        _dispatch.push_function_mode(mode)
