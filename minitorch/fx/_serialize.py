"""Saving a GraphModule with `minitorch.save` and loading it with `minitorch.load`, without pickle.

What is stored: the graph as JSON (each node's name, opcode, target and arguments; functions by their torch
name), the submodules as (path, minitorch.nn class name, plain attributes) with their parameters and buffers
as tensors. Loading takes nothing from the file on trust: classes are looked up by name in `minitorch.nn`
only, functions in a fixed list (minitorch's public ops, the operator module's operators, math functions,
getattr), methods among Tensor's, and every name that reaches the generated code must be an identifier. The
code itself is generated again from the graph, never read from the file."""
import json
import math
import operator
import re

from .. import _dispatch
from .._device import device
from .._dtype import _BY_NAME, dtype
from .._tensor import Tensor
from ..nn import Module, Parameter
from ._codegen import MAGIC_METHODS
from .graph import Graph
from .node import Node, _pretty_target, _side_effectful_functions

FORMAT = "minitorch.fx.GraphModule"
_ATOM = re.compile(r"^[A-Za-z0-9_]+$")
_HOOKS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks", "_state_dict_hooks",
          "_state_dict_pre_hooks", "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks")
_PLAIN_SCALARS = (type(None), bool, int, float, str, dtype, device)
_MODULE_FIELDS = set(Module().__dict__)  # what Module.__init__ sets up: saved as parameters, buffers, children


# ----- save ---------------------------------------------------------------------------------------------
def to_plain(gm):
    """The GraphModule as tensors, numbers, strings and containers that minitorch.save stores."""
    modules = []
    for path, m in gm.named_modules():
        if any(getattr(m, h) for h in _HOOKS):
            raise TypeError(f"minitorch.save cannot store the hooks of module '{path or type(gm).__name__}'")
        record = {"path": path, "training": m.training, "parameters": dict(m._parameters),
                  "buffers": dict(m._buffers), "non_persistent": sorted(m._non_persistent_buffers_set)}
        if path:
            record["class"] = _class_name(path, m)
            record["attributes"] = _attributes(path, m)
        modules.append(record)
    return {"format": FORMAT, "class_name": type(gm).__name__, "modules": modules,
            "graph": json.dumps([_node_record(n) for n in gm.graph.nodes])}


def _class_name(path, m):
    from .. import nn
    name = type(m).__name__
    if type(m) is not Module and getattr(nn, name, None) is not type(m):
        raise TypeError(f"minitorch.save cannot store submodule '{path}' of a GraphModule: its class {name} is not "
                        "a minitorch.nn layer (only those can be rebuilt without running code from the file)")
    return name


def _attributes(path, m):
    out = {}
    for k, v in m.__dict__.items():
        if k in _MODULE_FIELDS:
            continue
        if not _is_plain(v):
            raise TypeError(f"minitorch.save cannot store attribute '{k}' ({type(v).__name__}) of submodule '{path}'")
        out[k] = v
    return out


def _is_plain(v):
    if isinstance(v, (tuple, list)):
        return all(_is_plain(x) for x in v)
    return isinstance(v, _PLAIN_SCALARS)


def _node_record(node):
    if node.op == "call_function":
        target = _pretty_target(node.target)
        if _function(target) is not node.target:
            raise TypeError(f"minitorch.save cannot store node '{node.name}': it calls {target}, which is not a "
                            "minitorch op, an operator, a math function or getattr")
    else:
        target = node.target
    return {"name": node.name, "op": node.op, "target": target, "args": _encode(node.args),
            "kwargs": _encode(node.kwargs)}


def _encode(a):
    if isinstance(a, Node):
        return {"node": a.name}
    if isinstance(a, tuple):
        return {"tuple": [_encode(x) for x in a]}
    if isinstance(a, list):
        return [_encode(x) for x in a]
    if isinstance(a, dict):
        return {"dict": [[k, _encode(v)] for k, v in a.items()]}
    if isinstance(a, slice):
        return {"slice": [_encode(a.start), _encode(a.stop), _encode(a.step)]}
    if isinstance(a, float) and not math.isfinite(a):
        return {"float": repr(a)}
    if isinstance(a, dtype):
        return {"dtype": a.name}
    if isinstance(a, device):
        return {"device": str(a)}
    if a is ...:
        return {"ellipsis": True}
    if a is None or isinstance(a, (bool, int, float, str)):
        return a
    raise TypeError(f"minitorch.save cannot store a graph argument of type {type(a).__name__}")


# ----- load ---------------------------------------------------------------------------------------------
def from_plain(plain):
    """The GraphModule described by `plain` (what minitorch.load read back); ValueError if it is malformed."""
    from .graph_module import GraphModule
    _expect(isinstance(plain, dict) and plain.get("format") == FORMAT, "not a saved GraphModule")
    root = Module()
    for record in _list(plain.get("modules")):
        _expect(isinstance(record, dict), "module records must be objects")
        path = record.get("path")
        _expect(isinstance(path, str) and (path == "" or all(_ATOM.match(a) for a in path.split("."))),
                f"bad module path {path!r}")
        module = root if path == "" else _rebuild(record)
        if path:
            parent, _, name = path.rpartition(".")
            root.get_submodule(parent).add_module(name, module)
        _fill(module, record)
    graph = Graph()
    nodes = {}
    for record in _list(json.loads(_str(plain.get("graph")))):
        node = _make_node(graph, record, nodes)
        nodes[record["name"]] = node
    class_name = _str(plain.get("class_name"))
    _expect(class_name.isidentifier(), f"bad class name {class_name!r}")
    return GraphModule(root, graph, class_name)


def _rebuild(record):
    from .. import nn
    name = _str(record.get("class"))
    cls = Module if name == "Module" else getattr(nn, name, None)
    _expect(isinstance(cls, type) and issubclass(cls, Module), f"unknown module class {name!r}")
    module = cls.__new__(cls)
    Module.__init__(module)
    attributes = record.get("attributes")
    _expect(isinstance(attributes, dict) and all(_is_plain(v) for v in attributes.values()),
            f"bad attributes for a {name}")
    for k, v in attributes.items():
        _expect(isinstance(k, str) and k.isidentifier() and k not in module.__dict__, f"bad attribute name {k!r}")
        module.__dict__[k] = v
    return module


def _fill(module, record):
    module.training = record.get("training") is True
    params, buffers = record.get("parameters"), record.get("buffers")
    _expect(isinstance(params, dict) and isinstance(buffers, dict), "parameters and buffers must be dicts")
    for name, p in params.items():
        _expect(p is None or isinstance(p, Parameter), f"parameter {name!r} is not a Parameter")
        module.register_parameter(name, p)
    non_persistent = _list(record.get("non_persistent"))
    for name, b in buffers.items():
        _expect(b is None or isinstance(b, Tensor), f"buffer {name!r} is not a tensor")
        module.register_buffer(name, b, persistent=name not in non_persistent)


def _make_node(graph, record, nodes):
    _expect(isinstance(record, dict), "graph nodes must be objects")
    name, op, target = _str(record.get("name")), _str(record.get("op")), _str(record.get("target"))
    _expect(name.isidentifier() and name not in nodes, f"bad or repeated node name {name!r}")
    if op == "placeholder":
        _expect(target.lstrip("*").isidentifier() and len(target) - len(target.lstrip("*")) <= 2,
                f"bad placeholder {target!r}")
    elif op in ("get_attr", "call_module"):
        _expect(all(_ATOM.match(a) for a in target.split(".")), f"bad target {target!r}")
    elif op == "call_method":
        _expect(target in _tensor_methods(), f"unknown Tensor method {target!r}")
    elif op == "call_function":
        target = _function(target)
        _expect(target is not None, f"unknown function {record.get('target')!r}")
    else:
        _expect(op == "output", f"unknown opcode {op!r}")
    args = _decode(record.get("args"), nodes)
    kwargs = _decode(record.get("kwargs"), nodes)
    _expect(isinstance(args, tuple) and isinstance(kwargs, dict), f"bad arguments of node {name!r}")
    return graph.create_node(op, target, args, kwargs, name)


def _decode(a, nodes):
    if a is None or isinstance(a, (bool, int, float, str)):
        return a
    if isinstance(a, list):
        return [_decode(x, nodes) for x in a]
    _expect(isinstance(a, dict) and len(a) == 1, f"bad graph argument {str(a)[:60]}")
    (kind, value), = a.items()
    if kind == "node":
        _expect(value in nodes, f"argument refers to unknown node {value!r}")
        return nodes[value]
    if kind == "tuple":
        return tuple(_decode(x, nodes) for x in _list(value))
    if kind == "dict":
        pairs = _list(value)
        _expect(all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], (str, int, float, bool))
                    for p in pairs), "bad dict argument")
        return {k: _decode(v, nodes) for k, v in pairs}
    if kind == "slice":
        parts = _list(value)
        _expect(len(parts) == 3, "bad slice argument")
        return slice(*(_decode(x, nodes) for x in parts))
    if kind == "float" and value in ("inf", "-inf", "nan"):
        return float(value)
    if kind == "dtype" and value in _BY_NAME:
        return _BY_NAME[value]
    if kind == "device":
        return device(_str(value))
    _expect(kind == "ellipsis", f"bad graph argument {str(a)[:60]}")
    return ...


def _function(name):
    """The function a stored call_function target names, from the fixed list of what may be stored."""
    module, _, short = name.rpartition(".")
    if module == "operator" and (short in MAGIC_METHODS or short == "abs"):
        return getattr(operator, short, None)
    if name == "builtins.getattr":
        return getattr
    if module == "math" and not short.startswith("_"):
        return getattr(math, short, None)
    if not name.startswith("torch."):
        return None
    import minitorch
    obj = minitorch
    for atom in name.split(".")[1:]:
        if not _ATOM.match(atom):
            return None
        obj = getattr(obj, atom, None)
    return obj if obj in _dispatch._NAMES or obj in _side_effectful_functions else None


def _tensor_methods():
    return {name[len("torch.Tensor."):] for name in _dispatch._NAMES.values()
            if name.startswith("torch.Tensor.") and name.count(".") == 2}


def _expect(ok, problem):
    if not ok:
        raise ValueError(problem)


def _list(value):
    _expect(isinstance(value, list), f"expected a list, got {type(value).__name__}")
    return value


def _str(value):
    _expect(isinstance(value, str), f"expected a string, got {type(value).__name__}")
    return value
