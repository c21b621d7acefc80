"""The helpers torch.nn.functional also exposes: argument checks, the boolean dispatch behind
max_pool2d(return_indices=...), and the __torch_function__ protocol's entry points."""
from typing import Optional  # noqa: F401 (torch.nn.functional exposes it)

from ..overrides import handle_torch_function, has_torch_function, has_torch_function_unary, \
    has_torch_function_variadic  # noqa: F401

__all__ = ["assert_int_or_pair", "boolean_dispatch", "Optional", "handle_torch_function", "has_torch_function",
           "has_torch_function_unary", "has_torch_function_variadic"]


def assert_int_or_pair(arg, arg_name, message):
    """AssertionError(message.format(arg_name)) unless arg is an int or has two entries."""
    if not (isinstance(arg, int) or len(arg) == 2):
        raise AssertionError(message.format(arg_name))


def boolean_dispatch(arg_name, arg_index, default, if_true, if_false, module_name, func_name):
    """A function calling if_true or if_false by the boolean argument `arg_name` (position arg_index,
    `default` when absent); it takes the docstring of whichever of the two has one."""
    def fn(*args, **kwargs):
        flag = kwargs[arg_name] if arg_name in kwargs else args[arg_index] if arg_index < len(args) else default
        return if_true(*args, **kwargs) if flag else if_false(*args, **kwargs)
    docs = [f.__doc__ for f in (if_true, if_false) if f.__doc__ is not None]
    if len(docs) == 2:
        raise RuntimeError("only one function can have a docstring")
    fn.__doc__ = docs[0] if docs else None
    if module_name is not None:
        fn.__module__ = module_name
    if func_name is not None:
        fn.__name__ = func_name
    return fn
