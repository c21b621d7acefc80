"""`Proxy`: the stand-in value a trace passes through user code, recording each use as a Node.

Everything code can do with a Proxy is recorded: operators (`x + y`, `x[0]`, `-x`) by the Proxy's own dunder
methods as `operator.*` calls; attribute reads and method calls (`x.shape`, `x.view(-1)`) through
`__getattr__`; and minitorch's public functions (`minitorch.add(x, y)`, `F.relu(x)`, `Tensor.add(t, x)`)
through the dispatch door, which hands them to `Proxy.__torch_function__` exactly as torch does (while a
Proxy is alive the door takes its full path, so no op implementation ever sees one). What cannot
be recorded (a Proxy's truth value, iterating it, `len`) raises, as in torch.
See https://pytorch.org/docs/stable/fx.html#torch.fx.Proxy"""
import dis
import enum
import operator
import sys
from bisect import bisect_left

from .. import _dispatch, overrides
from .._device import device
from .._dtype import dtype
from .._layout import layout
from .._tensor import Tensor
from ._codegen import MAGIC_METHODS, REFLECTABLE_MAGIC_METHODS
from .node import Node, map_aggregate

__all__ = ["Proxy", "Attribute", "TraceError", "TracerBase"]

# Values that stand for themselves in a graph's arguments
BASE_TYPES = (str, int, float, bool, complex, dtype, Tensor, device, layout)


class TraceError(ValueError):
    """Raised where a trace cannot go on: a Proxy used as a truth value or iterated."""


class TracerBase:
    """What every tracer does: turn calls on Proxies into nodes of `self.graph`."""

    graph = None
    check_mutable_operations = False
    trace_asserts = False

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
        return self.graph.create_node(kind, target, args, kwargs, name, type_expr)

    def proxy(self, node):
        return Proxy(node, self)

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, proxy_factory_fn=None):
        """Record one operation: its arguments become graph arguments (Proxies become their nodes), and the
        result is a Proxy of the new node."""
        node = self.create_node(kind, target, self.create_arg(args), self.create_arg(kwargs), name, type_expr)
        return self.proxy(node) if proxy_factory_fn is None else proxy_factory_fn(node)

    def create_arg(self, a):
        """A value as a graph argument: Proxies become their nodes; containers are rebuilt; constants stay."""
        if isinstance(a, Proxy):  # first: hasattr on a Proxy would make an Attribute
            return a.node
        if hasattr(a, "__fx_create_arg__"):
            return a.__fx_create_arg__(self)
        if isinstance(a, tuple) and hasattr(a, "_fields"):
            return type(a)(*(self.create_arg(x) for x in a))
        if isinstance(a, (tuple, list)):
            return type(a)(self.create_arg(x) for x in a)
        if isinstance(a, dict):
            out = {}
            for k, v in a.items():
                k = self.create_arg(k)
                if isinstance(k, Node):
                    raise RuntimeError(f"Keys for dictionaries used as an argument cannot contain a Node. Got key: "
                                       f"{k}")
                out[k] = self.create_arg(v)
            return out
        if isinstance(a, slice):
            return slice(self.create_arg(a.start), self.create_arg(a.stop), self.create_arg(a.step))
        if isinstance(a, range):
            return range(self.create_arg(a.start), self.create_arg(a.stop), self.create_arg(a.step))
        if isinstance(a, (*BASE_TYPES, enum.Enum)) or a is None or a is ...:
            return a
        raise NotImplementedError(f"argument of type: {type(a)}")

    def to_bool(self, obj):
        """A Proxy's truth value is unknown while tracing (data-dependent control flow)."""
        raise TraceError("symbolically traced variables cannot be used as inputs to control flow")

    def iter(self, obj):
        """Iterating a Proxy needs its length, which is unknown while tracing."""
        raise TraceError("Proxy object cannot be iterated. This can be attempted when the Proxy is used in a loop "
                         "or as a *args or **kwargs function argument. See the torch.fx docs on pytorch.org for a "
                         "more detailed explanation of what types of control flow can be traced, and check out the "
                         "Proxy docstring for help troubleshooting Proxy iteration errors")

    def keys(self, obj):
        """`**proxy` calls keys(); recorded as a method call."""
        return Attribute(obj, "keys")()


class Proxy:
    """A value being traced: wraps the Node that produces it."""

    def __init__(self, node, tracer=None):
        if tracer is None:
            tracer = GraphAppendingTracer(node.graph)
        self.tracer = tracer
        self.node = node
        _dispatch.track_foreign(self)

    def __repr__(self):
        return f"Proxy({self.node.name})"

    def __getattr__(self, k):
        # recorded only when used: `x.shape` becomes a getattr node, `x.view(...)` a call_method node
        return Attribute(self, k)

    def __call__(self, *args, **kwargs):
        return self.tracer.create_proxy("call_method", "__call__", (self,) + args, kwargs)

    def __iter__(self):
        # `a, b = proxy` unpacks by index: the calling instruction tells how many items are wanted
        frame = sys._getframe(1)
        instructions = list(dis.get_instructions(frame.f_code))
        here = instructions[bisect_left([i.offset for i in instructions], frame.f_lasti)]
        if here.opname == "UNPACK_SEQUENCE":
            return (self[i] for i in range(here.argval))
        return self.tracer.iter(self)

    def __bool__(self):
        return self.tracer.to_bool(self)

    def keys(self):
        return self.tracer.keys(self)

    def __len__(self):
        raise RuntimeError("'len' is not supported in symbolic tracing by default. If you want this call to be "
                           "recorded, please call torch.fx.wrap('len') at module scope")

    def __abs__(self):
        return self.tracer.create_proxy("call_function", operator.abs, (self,), {})

    @classmethod
    def __torch_function__(cls, orig_method, types, args=None, kwargs=None):
        """A minitorch function or Tensor method called with Proxies: record it (the dispatch door's hand-over)."""
        args = args or ()
        kwargs = kwargs or {}
        tracers = {}

        def find_tracer(a):
            if isinstance(a, cls):
                tracers[id(a.tracer)] = a.tracer
            return a
        map_aggregate(args, find_tracer)
        map_aggregate(kwargs, find_tracer)
        if len(tracers) > 1:
            raise RuntimeError(f"Found multiple different tracers {list(tracers.values())} while trying to trace "
                               f"operations {orig_method}")
        tracer = next(iter(tracers.values()))
        if overrides.is_tensor_method_or_property(orig_method):
            return tracer.create_proxy("call_method", orig_method.__name__, args, kwargs)
        return tracer.create_proxy("call_function", orig_method, args, kwargs,
                                   name=tracer.graph._target_to_str(orig_method.__name__))


class Attribute(Proxy):
    """`proxy.attr`: becomes a getattr node only when used as a value; called, it is a method call."""

    def __init__(self, root, attr):
        self.root = root
        self.attr = attr
        self.tracer = root.tracer
        self._node = None
        _dispatch.track_foreign(self)

    @property
    def node(self):
        if self._node is None:
            self._node = self.tracer.create_proxy("call_function", getattr, (self.root, self.attr), {}).node
        return self._node

    def __call__(self, *args, **kwargs):
        return self.tracer.create_proxy("call_method", self.attr, (self.root,) + args, kwargs)


class GraphAppendingTracer(TracerBase):
    """The tracer of a Proxy made by hand around a node: new nodes go to the end of its graph."""

    def __init__(self, graph):
        self.graph = graph


def _operator_method(name):
    target = getattr(operator, name)

    def method(*args, **kwargs):
        return args[0].tracer.create_proxy("call_function", target, args, kwargs)
    method.__name__ = f"__{name.strip('_')}__"
    return method


def _reflected_method(name):
    target = getattr(operator, name)

    def method(self, rhs):
        return self.tracer.create_proxy("call_function", target, (rhs, self), {})
    method.__name__ = f"__r{name.strip('_')}__"
    return method


# (codegen also knows 'div', which Python 3's operator module no longer has)
for _name in MAGIC_METHODS:
    if hasattr(operator, _name):
        setattr(Proxy, f"__{_name.strip('_')}__", _operator_method(_name))
for _name in REFLECTABLE_MAGIC_METHODS:
    if hasattr(operator, _name):
        setattr(Proxy, f"__r{_name.strip('_')}__", _reflected_method(_name))
