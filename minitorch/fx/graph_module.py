"""`GraphModule`: a Module whose forward is generated from a Graph.

It holds what the graph reads from the traced module (submodules it calls, parameters, buffers and tensor
constants it reads, under the same dotted names) and Python source written from the graph (`gm.code`), which
runs with minitorch bound to `torch`. Change the graph, then call `recompile()` to write the code again.
Each GraphModule has a class of its own (named after the traced module), so that its forward is its own.
See https://pytorch.org/docs/stable/fx.html#torch.fx.GraphModule"""
import copy
import linecache
from pathlib import Path

from .. import serialization
from .._tensor import Tensor
from ..nn import Module, Parameter
from ..nn.modules.module import _addindent
from . import _serialize
from .graph import Graph

__all__ = ["GraphModule"]

_READABLE_HINT = "# To see more debug info, please use `graph_module.print_readable()`"


class _CodeOnlyModule(Module):
    """A bare module over a given __dict__ (deepcopy goes through it)."""

    def __init__(self, body):
        super().__init__()
        self.__dict__ = body


def _copy_attr(from_module, to_module, target):
    """Put `from_module.<target>` at the same dotted path on `to_module`, with plain Modules for the parts on
    the way; a tensor that is not a Parameter becomes a buffer."""
    *prefix, field = target.split(".")
    for item in prefix:
        f = getattr(from_module, item)
        t = getattr(to_module, item, None)
        if f is t:
            return  # a parent is installed already, with everything below it
        if t is None:
            t = Module()
            setattr(to_module, item, t)
        from_module, to_module = f, t
    _assign(getattr(from_module, field), to_module, field)


def _assign_attr(value, to_module, target):
    *prefix, field = target.split(".")
    for item in prefix:
        t = getattr(to_module, item, None)
        if t is None:
            t = Module()
            setattr(to_module, item, t)
        to_module = t
    _assign(value, to_module, field)


def _assign(value, module, field):
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        module.register_buffer(field, value)
    else:
        setattr(module, field, value)


class GraphModule(Module):
    """GraphModule(root, graph, class_name='GraphModule'): `root` is the module the graph's get_attr and
    call_module targets are taken from (or a dict {target: value})."""

    def __new__(cls, *args, **kwargs):
        # one class per instance, so that recompile() can give this instance its own forward
        base = next(t for t in cls.__mro__ if t.__qualname__.split(".")[-1] != "GraphModuleImpl")

        class GraphModuleImpl(base):
            pass
        return super().__new__(GraphModuleImpl)

    def __init__(self, root, graph, class_name="GraphModule"):
        super().__init__()
        self.__class__.__name__ = class_name
        if isinstance(root, Module):
            self.training = root.training
            if isinstance(root, _CodeOnlyModule):
                for kind in (root.named_children, root.named_buffers, root.named_parameters):
                    for name, _ in kind():
                        _copy_attr(root, self, name)
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    _copy_attr(root, self, node.target)
        elif isinstance(root, dict):
            targets = []
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    if node.target not in root:
                        raise RuntimeError(f"Node {node} referenced target {node.target} but that target was not "
                                           "provided in ``root``!")
                    targets.append(node.target)
            for target in sorted(targets, key=lambda t: t.count(".")):
                _assign_attr(root[target], self, target)
        else:
            raise RuntimeError(f"Unsupported type {root} passed for root!")
        self.graph = graph
        self.meta = {}

    @property
    def graph(self):
        return self._graph

    @graph.setter
    def graph(self, g):
        if not isinstance(g, Graph):
            raise TypeError(f"Expected a Graph, got {type(g).__name__}")
        self._graph = g
        g.owning_module = self
        self.recompile()

    @property
    def code(self):
        """The generated forward, as Python source."""
        if not hasattr(self, "_code"):
            raise RuntimeError("Code has not been generated! Please report a bug to PyTorch")
        return self._code

    def recompile(self):
        """Write the forward again from the graph (after changing it) and install it on this module's class."""
        python_code = self._graph.python_code(root_module="self")
        self._code = python_code.src
        type(self).forward = _forward_from_src(self._code, python_code.globals)
        return python_code

    def print_readable(self, print_output=True):
        """The module as a class definition, with the code of GraphModule children nested inside."""
        text = self._readable(type(self).__name__)
        if print_output:
            print(text)
        return text

    def _readable(self, name):
        src = self._graph.python_code(root_module="self", verbose=True).src.lstrip("\n")
        code = _addindent(f"class {name}(torch.nn.Module):\n{src}", 4)
        children = [""] + [child._readable(child_name) for child_name, child in self.named_children()
                           if isinstance(child, GraphModule)]
        return code + _addindent("\n".join(children), 4)

    def __str__(self):
        return "\n".join([super().__str__(), self._code, _READABLE_HINT])

    def __deepcopy__(self, memo):
        result = type(self).__new__(type(self))
        memo[id(self)] = result
        body = _CodeOnlyModule(copy.deepcopy(self.__dict__, memo))
        GraphModule.__init__(result, body, body.__dict__["_graph"])
        result.meta = copy.deepcopy(getattr(self, "meta", {}), memo)
        return result

    def __copy__(self):
        result = GraphModule(self, self.graph)
        result.meta = getattr(self, "meta", {})
        return result

    def to_folder(self, folder, module_name="FxModule"):
        """Write the module as a Python package in `folder`: module.py defines class `module_name` (the
        children from their reprs, the generated forward) and state_dict.pt holds the weights
        (a minitorch.save file)."""
        from ..serialization import save
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save(self.state_dict(), folder / "state_dict.pt")
        lines = ["import minitorch as torch", "from minitorch.nn import *", "",
                 f"class {module_name}(torch.nn.Module):", "    def __init__(self):", "        super().__init__()"]
        for name, child in self.named_children():
            lines.append("        " + _assignment(name, _constructor(name, child)))
        for name, buf in self._buffers.items():
            if buf is not None:
                lines.append(f"        self.register_buffer('{name}', torch.empty({list(buf.shape)}, "
                             f"dtype={buf.dtype}))")
        for name, p in self._parameters.items():
            if p is not None:
                lines.append("        " + _assignment(name, f"torch.nn.Parameter(torch.empty({list(p.shape)}, "
                                                              f"dtype={p.dtype}))"))
        lines.append(f"        self.load_state_dict(torch.load(r'{folder / 'state_dict.pt'}'))")
        lines.append(_addindent(self.code, 4))
        (folder / "module.py").write_text("\n".join(lines) + "\n")
        (folder / "__init__.py").write_text("from .module import *\n")


def _assignment(name, value):
    return f"self.{name} = {value}" if name.isidentifier() else f'setattr(self, "{name}", {value})'


def _constructor(name, module):
    """Source that rebuilds a minitorch layer from its repr (which reads as a constructor call)."""
    if type(module).__module__.startswith("minitorch.nn") and not module._modules and type(module) is not Module:
        return repr(module)
    raise NotImplementedError(f"to_folder cannot write submodule '{name}' ({type(module).__name__}) as source: "
                              "only minitorch.nn layers without children can be written (minitorch never pickles)")


_COUNTER = [0]


def _forward_from_src(src, globals_):
    """Compile the generated source under a unique file name that tracebacks and inspect can show."""
    _COUNTER[0] += 1
    key = f"<eval_with_key>.{_COUNTER[0]}"
    linecache.cache[key] = (len(src), None, src.splitlines(True), key)
    namespace = dict(globals_)
    exec(compile(src, key, "exec"), namespace)
    return namespace["forward"]



serialization.register_extension(_serialize.FORMAT, GraphModule, _serialize.to_plain, _serialize.from_plain)
