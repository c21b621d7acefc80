"""Chapter 01 — a simple custom module: reference solutions (same names as exercises/ch01_custom_modules.py)."""
import math

import minitorch as torch
from minitorch import nn


def count_parameters(module, trainable_only=False):
    """ch01.1: the number of scalar parameters of `module` (its children included, shared ones once);
    with trainable_only=True, only those of parameters that require grad."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


class Affine(nn.Module):
    """ch01.2: nn.Linear's semantics — weight (out_features, in_features), y = input @ weight.T + bias,
    parameters uniform in [-1/sqrt(in_features), 1/sqrt(in_features)], bias=False registers None,
    repr `Affine(in_features=4, out_features=3, bias=True)`."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.in_features = in_features
        self.out_features = out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(nn.init.uniform_(torch.empty(out_features, in_features, **factory_kwargs),
                                                    -bound, bound))
        if bias:
            self.bias = nn.Parameter(nn.init.uniform_(torch.empty(out_features, **factory_kwargs), -bound, bound))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        output = input @ self.weight.T
        if self.bias is not None:
            output = output + self.bias
        return output

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def predict_parameter_names():
    """ch01.3: reassigning `b` keeps its first place, a plain tensor and a None slot are not listed,
    `tied` is the same Parameter as `a` (listed once), and the child's parameters come last."""
    return [("b", (4,)), ("a", (3,)), ("inner.weight", (1, 3))]


class TinyModule:
    """ch01.4: nn.Module's registration machinery: parameter and child tables filled by __setattr__,
    found by __getattr__, walked by named_modules / named_parameters."""

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})

    def __setattr__(self, name, value):
        params, modules = self.__dict__["_parameters"], self.__dict__["_modules"]
        if isinstance(value, nn.Parameter):
            self.__dict__.pop(name, None)
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, TinyModule):
            self.__dict__.pop(name, None)
            params.pop(name, None)
            modules[name] = value
        elif name in params or name in modules:
            kind, expected = ("parameter", "Parameter") if name in params else ("child module", "TinyModule")
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as {kind} '{name}' "
                                f"({expected} or None expected)")
            (params if name in params else modules)[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        for table in ("_parameters", "_modules"):
            entries = self.__dict__.get(table, {})
            if name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for table in (self._parameters, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def named_modules(self, prefix="", _seen=None):
        seen = set() if _seen is None else _seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, seen)

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def named_parameters(self, prefix="", recurse=True):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, param in module._parameters.items():
                if param is not None and id(param) not in seen:
                    seen.add(id(param))
                    yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)


class GatedLinear(nn.Module):
    """ch01.5: y = linear(x) * sigmoid(gate); the gate is a registered Parameter, everything is created with
    the given device and dtype, and the child is called (not its forward), so its hooks run."""

    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.linear = nn.Linear(in_features, out_features, **factory_kwargs)
        self.gate = nn.Parameter(torch.zeros(out_features, **factory_kwargs))

    def forward(self, x):
        return self.linear(x) * torch.sigmoid(self.gate)
