"""`fuse`: fold each batch norm into the convolution (or linear layer) that feeds it, using the traced graph
to find the pairs: a call_module of a BatchNorm whose input is a call_module of a Conv, used nowhere else.
See https://pytorch.org/tutorials/intermediate/fx_conv_bn_fuser.html"""
import copy

from ... import nn
from ...nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval
from .._symbolic_trace import symbolic_trace
from ..graph_module import GraphModule
from ..node import Node

__all__ = ["fuse", "matches_module_pattern", "replace_node_module"]


def matches_module_pattern(pattern, node, modules):
    """Whether `node` and its first argument call modules of exactly the types in `pattern` (first, second)."""
    if not node.args:
        return False
    for expected, current in zip(pattern, (node.args[0], node)):
        if not isinstance(current, Node) or current.op != "call_module" or not isinstance(current.target, str):
            return False
        if current.target not in modules or type(modules[current.target]) is not expected:
            return False
    return True


def replace_node_module(node, modules, new_module):
    """Put `new_module` where `node`'s target module is (in its parent, and in `modules`)."""
    *parent, name = node.target.rsplit(".", 1)
    modules[node.target] = new_module
    setattr(modules[parent[0]] if parent else modules[""], name, new_module)


def fuse(model, inplace=False, no_trace=False):
    """A GraphModule computing `model` (in eval mode) with every Conv/BatchNorm and Linear/BatchNorm1d pair
    folded into one layer. `model` is deep-copied first unless inplace."""
    patterns = [(nn.Conv1d, nn.BatchNorm1d), (nn.Conv2d, nn.BatchNorm2d), (nn.Linear, nn.BatchNorm1d)]
    if not inplace:
        model = copy.deepcopy(model)
    fx_model = model if no_trace and isinstance(model, GraphModule) else symbolic_trace(model)
    modules = dict(fx_model.named_modules())
    new_graph = copy.deepcopy(fx_model.graph)
    for pattern in patterns:
        for node in new_graph.nodes:
            if not matches_module_pattern(pattern, node, modules) or len(node.args[0].users) > 1:
                continue
            first, bn = modules[node.args[0].target], modules[node.target]
            if not bn.track_running_stats:
                continue
            fused = fuse_conv_bn_eval(first, bn) if pattern[0] is not nn.Linear else fuse_linear_bn_eval(first, bn)
            replace_node_module(node.args[0], modules, fused)
            node.replace_all_uses_with(node.args[0])
            new_graph.erase_node(node)
    return GraphModule(fx_model, new_graph)
