"""Write minitorch/_tensor.pyi, the type stub of Tensor: most of its methods are bound at import from minitorch/ops
(see ops/__init__.py), so editors and type checkers only see them through this stub. Each method keeps its
runtime parameters; types follow torch's stubs where the parameter or method names say them.

    python scripts/make_tensor_stub.py          # rewrite the stub
    python scripts/make_tensor_stub.py --check  # exit 1 if it is out of date (tests/test_packaging.py runs this)"""
import inspect
import os
import sys

import minitorch

STUB = os.path.join(os.path.dirname(minitorch.__file__), "_tensor.pyi")

HEADER = '''"""The type stub of minitorch.Tensor, made by scripts/make_tensor_stub.py: do not edit."""
from typing import Any, Callable, Iterator, Sequence

import numpy

from ._device import device
from ._dtype import dtype
from ._size import Size

_Number = int | float | bool
_Dims = int | Sequence[int] | None
_DeviceLike = device | str | int | None


def type_name(dtype: dtype, cuda: bool = ...) -> str: ...


class Tensor:
'''

PARAMETER_TYPES = {
    "other": "Tensor | _Number", "input": "Tensor", "tensor": "Tensor", "tensor1": "Tensor", "tensor2": "Tensor",
    "vec": "Tensor", "vec2": "Tensor", "mat2": "Tensor", "end": "Tensor", "index": "Tensor", "src": "Tensor",
    "mask": "Tensor", "source": "Tensor", "condition": "Tensor", "exponent": "Tensor | _Number",
    "min": "Tensor | _Number | None", "max": "Tensor | _Number | None", "value": "Any", "alpha": "_Number",
    "dim": "_Dims", "axis": "_Dims", "dim0": "int", "dim1": "int", "keepdim": "bool", "dtype": "dtype | None",
    "device": "_DeviceLike", "requires_grad": "bool", "memory_format": "Any", "non_blocking": "bool",
    "copy": "bool", "gradient": "Tensor | None", "retain_graph": "bool | None", "create_graph": "bool",
    "hook": "Callable[..., Any]", "descending": "bool", "stable": "bool", "sorted": "bool", "largest": "bool",
    "k": "int", "diagonal": "int", "offset": "int", "unbiased": "bool", "correction": "_Number | None",
    "p": "_Number | str", "decimals": "int", "rounding_mode": "str | None", "generator": "Any",
    "fill_value": "_Number", "start": "int", "length": "int", "split_size_or_sections": "int | Sequence[int]",
    "chunks": "int", "repeats": "int | Tensor", "shifts": "int | Sequence[int]", "dims": "int | Sequence[int]",
    "size": "Any", "shape": "Any", "sizes": "Any", "force": "bool", "data": "Any",
}
RETURN_TYPES = {
    "size": "Size | int", "dim": "int", "ndimension": "int", "numel": "int", "nelement": "int",
    "element_size": "int", "data_ptr": "int", "get_device": "int", "item": "_Number", "tolist": "Any",
    "numpy": "numpy.ndarray", "stride": "tuple[int, ...] | int", "backward": "None", "register_hook": "Any",
    "register_post_accumulate_grad_hook": "Any", "retain_grad": "None", "equal": "bool", "allclose": "bool",
    "split": "tuple[Tensor, ...]", "chunk": "tuple[Tensor, ...]", "unbind": "tuple[Tensor, ...]",
    "tensor_split": "tuple[Tensor, ...]", "split_with_sizes": "tuple[Tensor, ...]", "max": "Any", "min": "Any",
    "sort": "Any", "topk": "Any", "kthvalue": "Any", "unique": "Any", "nonzero": "Any", "type": "Any",
    "is_contiguous": "bool", "is_floating_point": "bool", "is_complex": "bool", "__len__": "int",
    "__bool__": "bool", "__float__": "float", "__int__": "int", "__index__": "int", "__hash__": "int",
    "__iter__": "Iterator[Tensor]", "__repr__": "str", "__format__": "str", "__array__": "numpy.ndarray",
    "__complex__": "complex", "__dlpack_device__": "tuple[int, int]", "__dlpack__": "Any",
}
PROPERTY_TYPES = {
    "shape": "Size", "dtype": "dtype", "device": "device", "ndim": "int", "is_cuda": "bool", "is_cpu": "bool",
    "is_leaf": "bool", "requires_grad": "bool", "grad": "Tensor | None", "grad_fn": "Any", "data": "Tensor",
    "nbytes": "int", "itemsize": "int", "retains_grad": "bool", "output_nr": "int", "T": "Tensor", "mT": "Tensor",
    "H": "Tensor", "mH": "Tensor",
}
DUNDERS = ("__len__", "__bool__", "__float__", "__int__", "__index__", "__iter__", "__getitem__", "__setitem__",
           "__array__", "__format__", "__complex__", "__dlpack__", "__dlpack_device__", "__init__")


def surface():
    """The names the stub declares: public attributes, operators and the dunders programs use."""
    names = [n for n in dir(minitorch.Tensor) if not n.startswith("_")]
    operators = [n for n in dir(minitorch.Tensor) if n.startswith("__") and n.endswith("__") and
                 n in vars(minitorch.Tensor) and n not in ("__dict__", "__weakref__", "__module__", "__doc__",
                                                           "__slots__", "__init_subclass__", "__new__",
                                                           "__reduce_ex__", "__copy__", "__deepcopy__",
                                                           "__array_priority__", "__hash__", "__repr__")]
    return sorted(set(names) | set(operators) | set(DUNDERS))


def parameter(p, name):
    text = p.name
    kind = PARAMETER_TYPES.get(p.name)
    if p.kind is p.VAR_POSITIONAL:
        return "*" + text + (": Any" if kind is None else f": {kind}")
    if p.kind is p.VAR_KEYWORD:
        return "**" + text + ": Any"
    if kind is not None:
        text += f": {kind}"
    if p.default is not p.empty:
        text += " = ..."
    return text


def method(name, fn):
    sig = inspect.signature(fn)
    params, star_done = [], False
    for p in sig.parameters.values():
        if p.kind is p.KEYWORD_ONLY and not star_done:
            params.append("*")
            star_done = True
        if p.kind is p.VAR_POSITIONAL:
            star_done = True
        params.append(parameter(p, name))
    if not params or params[0] in ("*",) or params[0].split(":")[0].lstrip("*") != "self":
        params.insert(0, "self")  # a module-level op bound as a method: its first parameter becomes self
        if len(params) > 1 and not params[1].startswith("*"):
            params.pop(1)
    ret = RETURN_TYPES.get(name, "None" if name in ("__init__", "__setitem__") else "Tensor")
    return f"    def {name}({', '.join(params)}) -> {ret}: ..."


def render():
    lines = [HEADER.rstrip("\n")]
    for name in surface():
        attr = inspect.getattr_static(minitorch.Tensor, name)
        if isinstance(attr, property):
            kind = PROPERTY_TYPES.get(name, "Any")
            lines.append(f"    @property\n    def {name}(self) -> {kind}: ...")
            if attr.fset is not None:
                lines.append(f"    @{name}.setter\n    def {name}(self, value: {kind}) -> None: ...")
        elif isinstance(attr, (classmethod, staticmethod)):
            continue
        elif callable(attr):
            lines.append(method(name, getattr(minitorch.Tensor, name)))
        else:
            lines.append(f"    {name}: Any")
    return "\n".join(lines) + "\n"


def main(argv):
    text = render()
    if "--check" in argv:
        with open(STUB) as f:
            if f.read() != text:
                print(f"{STUB} is out of date: run python scripts/make_tensor_stub.py")
                return 1
        return 0
    with open(STUB, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
