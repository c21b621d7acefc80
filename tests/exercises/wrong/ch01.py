"""Wrong answers to chapter 01: shortcuts seen in practice and half-right implementations."""
import math

import minitorch as torch
from minitorch import nn

from . import solution

ok = solution(1)


def count_with_duplicates(module, trainable_only=False):
    return sum(p.numel() for _, p in module.named_parameters(remove_duplicate=False)
               if p.requires_grad or not trainable_only)


def count_ignoring_trainable(module, trainable_only=False):
    return sum(p.numel() for p in module.parameters())


def count_tensors(module, trainable_only=False):
    return len([p for p in module.parameters() if p.requires_grad or not trainable_only])


class AffineSubclass(nn.Linear):
    """nn.Linear under another name."""

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class AffineInFirst(ok.Affine):
    """The weight laid out (in_features, out_features), as in the chapter's MyLinear."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.weight = nn.Parameter(self.weight.detach().T.clone())

    def forward(self, input):
        out = input @ self.weight
        return out if self.bias is None else out + self.bias


class AffineNormalInit(ok.Affine):
    """Starts from randn scaled by the bound: the right spread on paper, but not inside the bounds."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        with torch.no_grad():
            self.weight.copy_(torch.randn(out_features, in_features) / math.sqrt(in_features))


class TinyModuleNoDedup(ok.TinyModule):
    """Yields a shared Parameter once per place it is registered."""

    def named_parameters(self, prefix="", recurse=True):
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, param in module._parameters.items():
                if param is not None:
                    yield (f"{module_name}.{name}" if module_name else name), param


class TinyModuleByReflection:
    """No registration: finds parameters and children by scanning the instance __dict__."""

    def __init__(self):
        pass

    @property
    def _parameters(self):
        return {k: v for k, v in vars(self).items() if isinstance(v, nn.Parameter)}

    @property
    def _modules(self):
        return {k: v for k, v in vars(self).items() if isinstance(v, TinyModuleByReflection)}

    named_modules = ok.TinyModule.named_modules
    named_children = ok.TinyModule.named_children
    named_parameters = ok.TinyModule.named_parameters
    parameters = ok.TinyModule.parameters
    __call__ = ok.TinyModule.__call__


class TinyModuleShortNames(ok.TinyModule):
    """Names a grandchild's parameters by its own attribute name only, dropping the parents' prefixes."""

    def named_modules(self, prefix="", _seen=None):
        seen = set() if _seen is None else _seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(name, seen)


class GatedLinearGateOnly(nn.Module):
    """Fixed the gate, left the device/dtype and the forward call."""

    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.gate = nn.Parameter(torch.zeros(out_features))

    def forward(self, x):
        return self.linear.forward(x) * torch.sigmoid(self.gate)


class GatedLinearForwardCall(ok.GatedLinear):
    """Fixed the parameters, still calls linear.forward (skipping its hooks)."""

    def forward(self, x):
        return self.linear.forward(x) * torch.sigmoid(self.gate)


class GatedLinearGateDefaultDtype(ok.GatedLinear):
    """Passes device and dtype to the Linear but creates the gate with the defaults."""

    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__(in_features, out_features, device, dtype)
        self.gate = nn.Parameter(torch.zeros(out_features))


WRONG = {
    "ch01.1": {
        "counts a shared parameter twice": {"count_parameters": count_with_duplicates},
        "ignores trainable_only": {"count_parameters": count_ignoring_trainable},
        "counts tensors, not elements": {"count_parameters": count_tensors},
    },
    "ch01.2": {
        "subclasses nn.Linear": {"Affine": AffineSubclass},
        "weight laid out (in, out)": {"Affine": AffineInFirst},
        "normal start, outside the bounds": {"Affine": AffineNormalInit},
    },
    "ch01.3": {
        "lists the plain tensor and the None slot": {"predict_parameter_names": lambda: [
            ("b", (4,)), ("a", (3,)), ("scale", (1,)), ("c", None), ("inner.weight", (1, 3))]},
        "reassignment moves b to the end": {"predict_parameter_names": lambda: [
            ("a", (3,)), ("b", (4,)), ("inner.weight", (1, 3))]},
        "lists the tied parameter twice": {"predict_parameter_names": lambda: [
            ("b", (4,)), ("a", (3,)), ("inner.weight", (1, 3)), ("tied", (3,))]},
    },
    "ch01.4": {
        "subclasses nn.Module": {"TinyModule": type("TinyModule", (nn.Module,), {})},
        "no deduplication of shared parameters": {"TinyModule": TinyModuleNoDedup},
        "reflection over __dict__ instead of registration": {"TinyModule": TinyModuleByReflection},
        "drops the parents' prefixes": {"TinyModule": TinyModuleShortNames},
    },
    "ch01.5": {
        "fixed only the gate": {"GatedLinear": GatedLinearGateOnly},
        "still calls linear.forward": {"GatedLinear": GatedLinearForwardCall},
        "gate ignores dtype": {"GatedLinear": GatedLinearGateDefaultDtype},
    },
}
