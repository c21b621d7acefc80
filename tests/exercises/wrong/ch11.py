"""Wrong answers to chapter 11."""
import math

from minitorch import fx, nn
from minitorch.fx.passes.shape_prop import ShapeProp
from minitorch.nn import functional as F

from . import solution

ok = solution(11)


class FunctionsOnly(fx.Transformer):
    """The notebook's swap: only F.relu calls; methods and modules keep their ReLU."""

    def call_function(self, target, args, kwargs):
        return super().call_function(F.gelu if target is F.relu else target, args, {} if target is F.relu else kwargs)


class MethodRenamed(ok.ReluToGelu):
    """x.relu() becomes x.gelu(), a method tensors do not have."""

    def call_method(self, target, args, kwargs):
        return fx.Transformer.call_method(self, "gelu" if target == "relu" else target, args, kwargs)


class EveryActivation(ok.ReluToGelu):
    """Over-eager: tanh and sigmoid become GELU too."""

    def call_function(self, target, args, kwargs):
        if getattr(target, "__name__", "") in ("tanh", "sigmoid"):
            return fx.Transformer.call_function(self, F.gelu, args, {})
        return super().call_function(target, args, kwargs)

    def call_method(self, target, args, kwargs):
        if target in ("tanh", "sigmoid"):
            return fx.Transformer.call_function(self, F.gelu, args, {})
        return super().call_method(target, args, kwargs)


class ModuleSwappedEverywhere(ok.ReluToGelu):
    """Replaces the module in place (gm.act = nn.GELU(approximate='tanh')): the wrong GELU, and the original
    model is changed too."""

    def call_module(self, target, args, kwargs):
        if isinstance(self.fetch_attr(target), nn.ReLU):
            setattr(self.module, target, nn.GELU(approximate="tanh"))
        return fx.Transformer.call_module(self, target, args, kwargs)


def flops_placeholders_dropped_only(gm, *inputs):
    """Leaves out the non-computing nodes but keeps the Linear and Conv2d bugs."""
    ShapeProp(gm).propagate(*inputs)
    modules = dict(gm.named_modules())
    flops = {}
    for node in gm.graph.nodes:
        if node.op in ("placeholder", "get_attr", "output"):
            continue
        meta = node.meta.get("tensor_meta")
        numel = math.prod(meta.shape) if isinstance(meta, tuple) and hasattr(meta, "shape") else 0
        module = modules.get(node.target) if node.op == "call_module" else None
        if isinstance(module, nn.Linear):
            flops[node.name] = 2 * module.in_features * module.out_features
        elif isinstance(module, nn.Conv2d):
            flops[node.name] = 2 * module.in_channels * module.kernel_size[0] * module.kernel_size[1] * numel
        else:
            flops[node.name] = numel
    return flops


def flops_without_bias(gm, *inputs):
    """Right multiply-adds, but the bias additions are not counted."""
    counts = ok.count_flops(gm, *inputs)
    for node in gm.graph.nodes:
        module = gm.get_submodule(node.target) if node.op == "call_module" else None
        if isinstance(module, (nn.Linear, nn.Conv2d)) and module.bias is not None:
            counts[node.name] -= math.prod(node.meta["tensor_meta"].shape)
    return counts


def flops_ignoring_groups(gm, *inputs):
    """Counts a grouped convolution as if every output saw every input channel."""
    counts = ok.count_flops(gm, *inputs)
    for node in gm.graph.nodes:
        module = gm.get_submodule(node.target) if node.op == "call_module" else None
        if isinstance(module, nn.Conv2d) and module.groups > 1:
            size = math.prod(node.meta["tensor_meta"].shape)
            counts[node.name] += 2 * (module.in_channels - module.in_channels // module.groups) * \
                module.kernel_size[0] * module.kernel_size[1] * size
    return counts


def flops_from_input_shape(gm, *inputs):
    """Elementwise nodes counted from the model input's size instead of their own output."""
    counts = ok.count_flops(gm, *inputs)
    first = math.prod(inputs[0].shape)
    for node in gm.graph.nodes:
        if node.op in ("call_function", "call_method") and node.meta.get("type") is not None and \
                "tensor_meta" in node.meta:
            counts[node.name] = first
    return counts


_correct = ok.predict_graph()
WRONG = {
    "ch11.1": {
        "functions only": {"ReluToGelu": FunctionsOnly},
        "relu method renamed to gelu": {"ReluToGelu": MethodRenamed},
        "every activation replaced": {"ReluToGelu": EveryActivation},
        "module swapped in place": {"ReluToGelu": ModuleSwappedEverywhere},
    },
    "ch11.2": {
        "parameters read first": {"predict_graph": lambda: [_correct[0], _correct[3]] + _correct[1:3] + _correct[4:]},
        "relu as a method": {"predict_graph": lambda: [("call_method", "relu") if t.endswith(".relu") else (op, t)
                                                       for op, t in _correct]},
        "x.shape[0] as one node": {"predict_graph": lambda: _correct[:9] + [("call_function", "operator.getitem")]
                                   + _correct[11:]},
    },
    "ch11.3": {
        "only the non-computing nodes fixed": {"count_flops": flops_placeholders_dropped_only},
        "bias not counted": {"count_flops": flops_without_bias},
        "groups ignored": {"count_flops": flops_ignoring_groups},
        "elementwise from the input's size": {"count_flops": flops_from_input_shape},
    },
}
