"""Names in FX: how a called function is written in generated code, and unique variable names.

A function is written by its torch name, so that `print(gm.code)` reads like torch's: minitorch's public
functions by `overrides.resolve_name` ('torch.add', 'torch.nn.functional.relu'), the few functionals torch keeps
in C where torch's code finds them ('torch.conv2d', 'torch._C._nn.linear'), builtins by their bare name and
anything else under its module. The generated code runs with minitorch bound to `torch`."""
import builtins
import keyword
import math
import re

from .. import device as _device
from .. import overrides
from ..nn.functional import NATIVE_HOMES

# Names generated code may use without defining them: the globals every GraphModule's code starts with.
# (fx_pytree and pytree are torch's; they stay reserved so that variable names come out as torch's do.)
_CUSTOM_BUILTINS = {"inf": math.inf, "nan": math.nan, "NoneType": type(None), "device": _device,
                    "fx_pytree": object(), "pytree": object()}

_illegal_names = {k: object() for k in keyword.kwlist}
_illegal_names.update(builtins.__dict__)  # a variable must not shadow a builtin
_illegal_names.update(_CUSTOM_BUILTINS)
_illegal_names["torch"] = object()  # stands for minitorch in generated code

_ILLEGAL_CHARS = re.compile("[^0-9a-zA-Z_]+")
_NAME = re.compile(r"^([a-zA-Z_][0-9a-zA-Z_]*?)(?:_(\d+))?$")


def code_globals():
    """The globals generated code starts from: `torch` is minitorch, plus inf, nan, NoneType and device."""
    import minitorch
    names = {k: v for k, v in _CUSTOM_BUILTINS.items() if k not in ("fx_pytree", "pytree")}
    return {"torch": minitorch, **names}


def qualified_name(func):
    """How generated code names `func`: 'getattr', 'torch.add', 'torch._C._nn.linear', 'math.sqrt' ..."""
    name = func.__name__
    if getattr(builtins, name, None) is func:
        return name
    resolved = overrides.resolve_name(func)
    if resolved is not None:
        short = resolved.rsplit(".", 1)[-1]
        if resolved == f"torch.nn.functional.{short}" and short in NATIVE_HOMES:
            return f"{NATIVE_HOMES[short]}.{short}"
        return resolved
    module = getattr(func, "__module__", None) or "__main__"
    if module == "minitorch" or module.startswith("minitorch."):
        module = module[len("mini"):]
    return f"{module}.{name}"


def is_from_torch(name):
    """Whether a qualified name is reached through the `torch` global (that is, minitorch)."""
    return name.startswith("torch.")


class Namespace:
    """Unique names within one graph (or one piece of generated code): each object gets one name, no name is
    used twice, and no name shadows a keyword or builtin unless it is that builtin. Taken clashes get a
    numeric suffix, `add`, `add_1`, `add_2` ..., as torch numbers them."""

    def __init__(self):
        self._obj_to_name = {}
        self._used = set()
        self._base_count = {}

    def create_name(self, candidate, obj):
        if obj is not None and id(obj) in self._obj_to_name:
            return self._obj_to_name[id(obj)][1]
        match = _NAME.match(candidate)
        if match is None:
            candidate = _ILLEGAL_CHARS.sub("_", candidate) or "_unnamed"
            if candidate[0].isdigit():
                candidate = f"_{candidate}"
            match = _NAME.match(candidate)
        base, num = match.group(1, 2)
        if num is None or candidate in self._used:
            num = self._base_count.get(base, 0)
            if _illegal_names.get(candidate, obj) is not obj:
                num += 1
                candidate = f"{base}_{num}"
        else:
            num = int(num)
        while candidate in self._used:
            num += 1
            candidate = f"{base}_{num}"
        self._used.add(candidate)
        self._base_count[base] = num
        if obj is not None:
            self._obj_to_name[id(obj)] = (obj, candidate)
        return candidate
