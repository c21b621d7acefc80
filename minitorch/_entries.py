"""Every public entry of the Tensor and of the `minitorch.*` namespace, made through the dispatch door
(`_dispatch.public`): the op modules' functions, Tensor methods, operators and properties, and the factories.

What is torch-specific here is how torch presents each call to `__torch_function__`: which method an operator
arrives as (`x + y` as `Tensor.add`), which methods count a plain Tensor as overloaded, and which ones torch
writes in Python (their arguments arrive normalised). The tables below record that; the ops themselves know
nothing of it."""
import inspect

from . import _creation, _dispatch
from ._tensor import Tensor
from .ops import MODULES
from .ops.inplace import inplace_variant
from .ops.out import RULE_OF, with_out

# Operators that torch hands to __torch_function__ as a named method (`2 * x` arrives as Tensor.mul(x, 2)).
OPERATOR_AS = {
    "__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub", "__isub__": "sub_",
    "__mul__": "mul", "__rmul__": "mul", "__imul__": "mul_", "__truediv__": "div", "__itruediv__": "div_",
    "__matmul__": "matmul", "__mod__": "remainder", "__imod__": "remainder_", "__ifloordiv__": "floor_divide_",
    "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge", "__rand__": "bitwise_and",
    "__ror__": "bitwise_or", "__rxor__": "bitwise_xor", "__neg__": "neg", "__pos__": "positive", "__abs__": "abs",
    "ndimension": "dim", "nelement": "numel",
}

# The operator the lower layer (profiler, TorchDispatchMode) sees, where torch's is not named after the entry.
ATEN = {
    **dict.fromkeys(("to", "cpu", "cuda", "type", "float", "double", "half", "bfloat16", "int", "long", "short",
                     "char", "byte", "bool"), "aten::to"),
    **dict.fromkeys(("__float__", "__int__", "__index__", "__complex__"), "aten::item"),
    **{name: f"aten::{name}" for name in ("__and__", "__or__", "__xor__", "__lshift__", "__rshift__", "__iand__",
                                          "__ior__", "__ixor__", "__ilshift__", "__irshift__")},
    **dict.fromkeys(("tensor", "as_tensor", "from_numpy", "new_tensor"), "aten::lift_fresh"),
    "__bool__": "aten::is_nonzero", "__floordiv__": "aten::floor_divide", "__rfloordiv__": "aten::floor_divide",
    "__rmod__": "aten::remainder", "__rpow__": "aten::pow", "__ipow__": "aten::pow_", "__invert__": "aten::bitwise_not",
    "__rmatmul__": "aten::matmul", "__rtruediv__": "aten::reciprocal", "norm": "aten::linalg_vector_norm",
    "T": "aten::numpy_T", "H": "aten::matrix_H", "mT": "aten::mT", "mH": "aten::mH",
}

# Entries that are no operator in torch (attributes, protocol and Python-level methods): the lower layer never
# sees them, only the operators they call (`x[0]` shows as aten::select, `backward()` as the engine's nodes).
NOT_OPERATORS = {
    "size", "dim", "ndimension", "numel", "nelement", "element_size", "stride", "storage_offset", "is_contiguous",
    "is_floating_point", "is_complex", "data_ptr", "get_device", "__len__", "requires_grad_", "retain_grad",
    "register_hook", "register_post_accumulate_grad_hook", "backward", "numpy", "__array__", "__dlpack__",
    "__dlpack_device__", "tolist", "__format__", "__repr__", "__deepcopy__", "__contains__", "__reversed__",
    "__getitem__", "__setitem__",
}

# Methods torch hands over with a plain Tensor counted among the overloaded types (types == (Tensor,)): those
# taking nothing but self (`x.exp()`, `x.t()`, `x.item()` ...; see _self_typed), and these.
SELF_TYPED = {
    "new_tensor", "__rsub__", "__rtruediv__", "__rmatmul__", "__rpow__", "__rfloordiv__", "__rmod__", "__pow__",
    "__ipow__", "__floordiv__", "__dlpack__",
}

# Methods torch writes in Python: (arguments passed positionally, arguments passed as keywords).
TORCH_ARGS = {
    "backward": (1, ("gradient", "retain_graph", "create_graph", "inputs")),
    "split": (2, ("dim",)),
    "unique": (1, ("sorted", "return_inverse", "return_counts", "dim")),
    "norm": (1, ("p", "dim", "keepdim", "dtype")),
    "unflatten": (3, ()),
    "register_hook": (2, ()),
    "register_post_accumulate_grad_hook": (2, ()),
    "__repr__": (1, ("tensor_contents",)),
    "__array__": (1, ("dtype",)),
    "__format__": (2, ()),
    "__len__": (1, ()),
    "__deepcopy__": (2, ()),
    "__contains__": (2, ()),
    "__reversed__": (1, ()),
}

# Tensor's own methods (defined in _tensor.py) that pass the door; the rest are plumbing or ignored by torch.
TENSOR_METHODS = (
    "size", "dim", "ndimension", "numel", "nelement", "element_size", "stride", "storage_offset",
    "is_contiguous", "is_floating_point", "is_complex", "data_ptr", "get_device", "__len__", "requires_grad_",
    "detach", "detach_", "retain_grad", "register_hook", "register_post_accumulate_grad_hook", "backward",
    "numpy", "__array__", "__dlpack__", "__dlpack_device__", "item", "tolist", "__float__", "__int__",
    "__index__", "__bool__", "__complex__", "__format__", "__repr__", "__deepcopy__", "__contains__",
    "__reversed__", "to", "cpu", "cuda", "type", "float", "double", "half", "bfloat16", "int", "long", "short",
    "char", "byte", "bool", "type_as", "new_tensor", "new_zeros", "new_ones", "new_empty", "new_full",
)

TENSOR_PROPERTIES = (
    "dtype", "device", "layout", "is_cuda", "is_cpu", "is_meta", "is_sparse", "is_quantized", "shape", "ndim",
    "nbytes", "itemsize", "requires_grad", "grad_fn", "is_leaf", "grad", "retains_grad", "output_nr", "data",
)

# Factories: no tensor to dispatch on, but TorchFunctionModes see them (torch.device contexts work this way).
FACTORIES = (
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like", "ones_like",
    "empty_like", "full_like", "eye", "arange", "linspace", "logspace", "rand", "randn", "randint", "randperm",
    "normal", "rand_like", "randn_like", "randint_like",
)

# torch.* functions that torch writes in Python.
FUNCTION_TORCH_ARGS = {
    "split": (2, ("dim",)),
    "norm": (1, ("p", "dim", "keepdim", "out", "dtype")),
    "unique": (1, ("sorted", "return_inverse", "return_counts", "dim")),
}
# ... and the module torch keeps them in (torch.functional.split)
FUNCTION_MODULE = {"split": "torch.functional", "norm": "torch.functional", "unique": "torch.functional"}


def _bind_methods(methods):
    """Tensor.<name> for each (name, implementation); operators second, so they can refer to the methods."""
    operators = {}
    for name, impl in methods.items():
        if name in OPERATOR_AS:
            operators[name] = impl
        else:
            _set_method(name, impl)
    for name, impl in operators.items():
        _set_method(name, impl, func=getattr(Tensor, OPERATOR_AS[name]))


def _set_method(name, impl, func=None):
    if not callable(impl) or isinstance(impl, property):
        setattr(Tensor, name, _dispatch.overridable_property(impl, f"torch.Tensor.{name}", ATEN.get(name, False))
                if isinstance(impl, property) else impl)
        return
    label = f"torch.Tensor.{name}"
    aten = False if name in NOT_OPERATORS else ATEN.get(name) or "aten::" + _dunder_stem(OPERATOR_AS.get(name, name))
    self_typed = func._dispatch_info.self_typed if func is not None else _self_typed(name, impl)
    if name.startswith("__") and _dunder_stem(name) in _BINARY_DUNDERS:
        entry = _dispatch.binary_operator(impl, label, aten=aten, func=func, self_typed=self_typed)
    else:
        entry = _dispatch.public(impl, label, aten=aten, torch_args=TORCH_ARGS.get(name), func=func,
                                 self_typed=self_typed)
    setattr(Tensor, name, entry)


def _self_typed(name, impl):
    """Whether torch counts a plain self as overloaded: for the methods listed, and for those whose only
    parameter is self (torch's argument parser hands those over with self's type)."""
    if name in SELF_TYPED:
        return True
    try:
        return len(inspect.signature(impl).parameters) == 1
    except (TypeError, ValueError):
        return False


def _dunder_stem(name):
    return name[2:-2] if name.startswith("__") and name.endswith("__") else name


# Two-operand operators (Python tries the reflected method when these return NotImplemented).
_BINARY_DUNDERS = {"add", "radd", "iadd", "sub", "rsub", "isub", "mul", "rmul", "imul", "truediv", "rtruediv",
                   "itruediv", "floordiv", "rfloordiv", "ifloordiv", "mod", "rmod", "imod", "pow", "rpow", "ipow",
                   "matmul", "rmatmul", "and", "rand", "iand", "or", "ror", "ior", "xor", "rxor", "ixor", "eq",
                   "ne", "lt", "le", "gt", "ge"}


def bind_tensor():
    """Put every op module's methods, in-place variants and operators on Tensor, then pass Tensor's own
    methods and properties through the door."""
    methods = {}
    for module in MODULES:
        methods.update(module._METHODS)
        methods.update({name: inplace_variant(fn) for name, fn in module._INPLACE.items()})
    for name in TENSOR_METHODS + TENSOR_PROPERTIES:
        methods[name] = Tensor.__dict__[name]
    _bind_methods(methods)


def functions():
    """{name: public entry} for the torch.* namespace: every op module's `__all__` (with torch's `out=` where
    its signature has it), and the factories."""
    out = {}
    for module in MODULES:
        for name in module.__all__:
            impl = getattr(module, name)
            if name in RULE_OF:
                impl = with_out(impl, name)
            where = FUNCTION_MODULE.get(name, "torch")
            out[name] = _dispatch.public(impl, f"{where}.{name}", aten=ATEN.get(name),
                                         torch_args=FUNCTION_TORCH_ARGS.get(name))
    for name in FACTORIES:
        out[name] = _dispatch.public(getattr(_creation, name), f"torch.{name}", aten=ATEN.get(name))
    return out
