"""`symbolic_trace` and `Tracer`: run a module's forward on Proxies and keep what happened as a Graph.

While a trace runs, `Module.__call__` and `Module.__getattr__` are swapped for the tracer's versions (as torch
does): a call of a leaf submodule (minitorch's own layers) becomes one call_module node, any other submodule is
traced through; reading a parameter becomes a get_attr node. Functions registered with `wrap` (and the `math`
functions) become call_function nodes when they see a Proxy. minitorch's ops reach the Proxy through the
dispatch door (`Proxy.__torch_function__`); outside a trace nothing of this is installed, so ordinary calls
pay nothing.
See https://pytorch.org/docs/stable/fx.html#torch.fx.symbolic_trace"""
import functools
import inspect
import math
import sys
import types
import warnings

from .._tensor import Tensor
from ..nn import Module, Parameter, Sequential
from .graph import Graph
from .node import has_side_effect
from .proxy import BASE_TYPES, Proxy, TracerBase

__all__ = ["Tracer", "symbolic_trace", "wrap", "PH"]

_HAS_VARSTUFF = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS
_wrapped_fns_to_patch = {}  # (id of a module's globals, function name) -> those globals


class PHBase:
    """A placeholder for a value of `concrete_args` that should stay an input."""

    def __repr__(self):
        return "PH"


PH = PHBase()


@has_side_effect
def _assert_is_none(value, msg):
    assert value is None, msg


def wrap(fn_or_name):
    """At module scope: calls of this module-level function become call_function nodes when traced, instead
    of being traced through (for functions with control flow, or builtins such as `len`)."""
    if not callable(fn_or_name) and not isinstance(fn_or_name, str):
        raise RuntimeError("Unsupported type for global function! Must be either a callable or string name")
    name = fn_or_name if isinstance(fn_or_name, str) else fn_or_name.__name__
    caller = sys._getframe(1)
    if caller.f_code.co_name != "<module>":
        raise NotImplementedError("wrap must be called at the top level of a module")
    _wrapped_fns_to_patch[(id(caller.f_globals), name)] = caller.f_globals
    return fn_or_name


class _Patcher:
    """Sets attributes and dict entries for the duration of a trace and puts the old values back."""

    def __init__(self):
        self._undo = []
        self._visited = set()

    def patch(self, namespace, name, value):
        self._undo.append((namespace, name, namespace.get(name, _MISSING)))
        namespace[name] = value

    def patch_method(self, cls, name, value):
        self._undo.append((cls, name, cls.__dict__[name]))
        setattr(cls, name, value)

    def visit_once(self, thing):
        first = id(thing) not in self._visited
        self._visited.add(id(thing))
        return first

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for where, name, old in reversed(self._undo):
            if isinstance(where, dict):
                if old is _MISSING:
                    del where[name]
                else:
                    where[name] = old
            else:
                setattr(where, name, old)


_MISSING = object()


def _find_proxy(args, kwargs):
    for a in (*args, *kwargs.values()):
        if isinstance(a, Proxy):
            return a
    return None


def _wrapped(orig_fn):
    """`orig_fn` recorded as one call_function node when an argument is a Proxy."""
    @functools.wraps(orig_fn)
    def call(*args, **kwargs):
        proxy = _find_proxy(args, kwargs)
        if proxy is None:
            return orig_fn(*args, **kwargs)
        result = proxy.tracer.create_proxy("call_function", orig_fn, args, kwargs)
        result.node.meta["is_wrapped"] = True
        return result
    return call


class Tracer(TracerBase):
    """Traces a Module or function into a Graph. Subclass it to change what is a leaf (`is_leaf_module`),
    how values become arguments (`create_arg`), or what submodule calls and attribute reads record."""

    def __init__(self, autowrap_modules=(math,), autowrap_functions=(), param_shapes_constant=False):
        super().__init__()
        self._autowrap_function_ids = {id(v) for m in autowrap_modules for k, v in m.__dict__.items()
                                       if not k.startswith("_") and callable(v)}
        self._autowrap_function_ids.update(id(f) for f in autowrap_functions)
        self._autowrap_modules = list(autowrap_modules)
        self.param_shapes_constant = param_shapes_constant
        self.submodule_paths = None
        self.root = None
        self.tensor_attrs = {}
        self._qualname_counter = {}

    # ----- what a trace records -------------------------------------------------------------------------
    def is_leaf_module(self, m, module_qualified_name):
        """torch's rule: the library's own layers are leaves (one call_module node each), except Sequential;
        user-defined modules are traced through."""
        module = type(m).__module__
        return module.startswith(("minitorch.nn", "minitorch.ao.nn")) and not isinstance(m, Sequential)

    def path_of_module(self, mod):
        """The qualified name of submodule `mod` within the root ('layer1.conv')."""
        if self.submodule_paths is not None:
            path = self.submodule_paths.get(id(mod))
            if path is not None:
                return path
        for name, m in self.root.named_modules():
            if m is mod:
                return name
        raise NameError("module is not installed as a submodule")

    def call_module(self, m, forward, args, kwargs):
        """A submodule call: a call_module node for a leaf, else trace through its forward."""
        name = self.path_of_module(m)
        if not self.is_leaf_module(m, name):
            return forward(*args, **kwargs)
        return self.create_proxy("call_module", name, args, kwargs)

    def getattr(self, attr, attr_val, parameter_proxy_cache):
        """Reading `module.attr` during a trace: a Parameter of the root becomes a get_attr Proxy (one per
        parameter); anything else is returned as it is."""
        if isinstance(attr_val, Parameter):
            for name, p in self.root.named_parameters():
                if attr_val is p:
                    if name not in parameter_proxy_cache:
                        parameter_proxy_cache[name] = self.create_proxy("get_attr", name, (), {})
                    return parameter_proxy_cache[name]
        return attr_val

    def create_arg(self, a):
        """Parameters, buffers and submodules of the root become get_attr nodes; other tensors are kept as
        `_tensor_constant<N>` attributes of the root and read back the same way."""
        if isinstance(a, Parameter):
            for name, p in self.root.named_parameters():
                if a is p:
                    return self.create_node("get_attr", name, (), {})
            raise NameError("parameter is not a member of this module")
        if isinstance(a, Tensor):
            for name, b in self.root.named_buffers():
                if a is b:
                    return self.create_node("get_attr", name, (), {})
        elif isinstance(a, Module):
            for name, m in self.root.named_modules():
                if a is m:
                    return self.create_node("get_attr", name, (), {})
        if isinstance(a, tuple) and hasattr(a, "_fields"):
            return self.create_node("call_function", type(a), tuple(self.create_arg(x) for x in a), {})
        if isinstance(a, Tensor):
            entry = self.tensor_attrs.get(id(a))
            if entry is None:
                entry = self.tensor_attrs[id(a)] = (a, self._fresh_qualname("_tensor_constant"))
                setattr(self.root, entry[1], a)
            return self.create_node("get_attr", entry[1], (), {})
        return super().create_arg(a)

    def _fresh_qualname(self, prefix):
        i = self._qualname_counter.get(prefix, 0)
        while hasattr(self.root, f"{prefix}{i}"):
            i += 1
        self._qualname_counter[prefix] = i + 1
        return f"{prefix}{i}"

    # ----- the trace itself -----------------------------------------------------------------------------
    def trace(self, root, concrete_args=None):
        """Trace `root` (a Module's forward, or a function) into a new Graph; `concrete_args` {name: value}
        fixes some inputs to constants (guarded by asserts), which specializes control flow on them."""
        if isinstance(root, Module):
            self.root = root
            fn = type(root).forward
            self.submodule_paths = {id(m): name for name, m in root.named_modules()}
        else:
            self.root = Module()
            fn = root
        self.graph = Graph(tracer_cls=type(self))
        self.tensor_attrs = {}
        self._collect_tensor_attrs(self.root, [])
        fn_globals = fn.__globals__
        fn, args = self.create_args_for_root(fn, isinstance(root, Module), concrete_args)
        parameter_proxy_cache = {}
        orig_getattr, orig_call = Module.__getattr__, Module.__call__
        tracer = self

        def module_getattr(mod, attr):
            return tracer.getattr(attr, orig_getattr(mod, attr), parameter_proxy_cache)

        def module_call(mod, *args, **kwargs):
            return tracer.call_module(mod, lambda *a, **k: orig_call(mod, *a, **k), args, kwargs)
        with _Patcher() as patcher:
            patcher.patch_method(Module, "__getattr__", module_getattr)
            patcher.patch_method(Module, "__call__", module_call)
            for (_, name), namespace in _wrapped_fns_to_patch.items():
                if name in namespace:
                    patcher.patch(namespace, name, _wrapped(namespace[name]))
            for namespace in (fn_globals, *(m.__dict__ for m in self._autowrap_modules)):
                self._autowrap(patcher, namespace)
            result = fn(*args)
            self.create_node("output", "output", (self.create_arg(result),), {},
                             type_expr=fn.__annotations__.get("return"))
        self.submodule_paths = None
        return self.graph

    def _collect_tensor_attrs(self, m, prefix):
        """Plain tensor attributes of the root and its submodules, by qualified name."""
        for k, v in m.__dict__.items():
            if isinstance(v, Tensor):
                self.tensor_attrs[id(v)] = (v, ".".join(prefix + [k]))
        for k, child in m.named_children():
            self._collect_tensor_attrs(child, prefix + [k])

    def _autowrap(self, patcher, namespace):
        if not patcher.visit_once(namespace):
            return
        for name, value in list(namespace.items()):
            if not name.startswith("_") and callable(value) and id(value) in self._autowrap_function_ids:
                patcher.patch(namespace, name, _wrapped(value))

    def create_args_for_root(self, root_fn, is_module, concrete_args=None):
        """Placeholders for the inputs of `root_fn` (self excluded); *args and **kwargs become one
        placeholder each, and `root_fn` is rewritten to take everything positionally."""
        fn = inspect.unwrap(root_fn)
        code = fn.__code__
        total = code.co_argcount + code.co_kwonlyargcount
        names = iter(code.co_varnames)
        args = []
        if is_module:
            if total == 0:
                raise RuntimeError("``self`` argument cannot be part of *args expansion!")
            next(names)
            args.append(self.root)
        sig = inspect.signature(fn)
        arg_names = [next(names) for _ in range(int(is_module), total)]
        if isinstance(concrete_args, tuple):
            if len(arg_names) != len(concrete_args):
                raise RuntimeError(f"Tracing expected {len(arg_names)} arguments but got {len(concrete_args)} "
                                   "concrete arguments")
            concrete_args = dict(zip(arg_names, concrete_args))
        concrete_args = concrete_args or {}
        args.extend(self._placeholder(name, concrete_args, sig, fn) for name in arg_names)
        if code.co_kwonlyargcount or code.co_flags & _HAS_VARSTUFF:
            if code.co_flags & inspect.CO_VARARGS:
                args.append(self._placeholder("*" + next(names), concrete_args, sig, fn))
            if code.co_flags & inspect.CO_VARKEYWORDS:
                args.append(self._placeholder("**" + next(names), concrete_args, sig, fn))
            root_fn = _positional_only(root_fn, len(args))
        return root_fn, args

    def _placeholder(self, name, concrete_args, sig, fn):
        if name in concrete_args:
            return self._specialize(name, concrete_args[name], sig)
        param = sig.parameters.get(name.lstrip("*"))
        default = () if name[0] == "*" or param.default is inspect.Parameter.empty else (param.default,)
        return self.create_proxy("placeholder", name, default, {}, type_expr=fn.__annotations__.get(name))

    def _specialize(self, name, value, sig):
        """A concrete argument: still a placeholder (`name_1`), but the traced code uses `value`, after an
        assert that the caller passed that very value."""
        param = sig.parameters[name]
        default = () if param.default is inspect.Parameter.empty else (param.default,)
        out = self.create_proxy("placeholder", f"{name}_1", default, {})
        if isinstance(value, PHBase):
            return out
        if type(value) is bool or (type(value) in BASE_TYPES and type(value) is not Tensor):
            import minitorch
            minitorch._assert(out == value, f"{name} has been specialized to have value {value} but got another "
                                            "value")
        elif value is None:
            self.create_proxy("call_function", _assert_is_none,
                              (out, f"{name} has been specialized to have value None but got another value"), {})
        else:
            warnings.warn(f"Was not able to add assertion to guarantee correct input {name} to specialized "
                          "function. It is up to the user to make sure that your inputs match the inputs you "
                          "specialized the function with.")
        return value


def _positional_only(fn, nargs):
    """A copy of `fn` whose code takes `nargs` plain positional parameters (the *args / **kwargs Proxies are
    passed as single values)."""
    code = fn.__code__
    flags = code.co_flags & ~_HAS_VARSTUFF
    new_code = code.replace(co_flags=flags, co_argcount=nargs, co_kwonlyargcount=0)
    return types.FunctionType(new_code, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)


def symbolic_trace(root, concrete_args=None):
    """Trace a Module (or function) into a GraphModule: `gm.graph` holds the operations, `gm.code` the
    forward written back as Python."""
    from .graph_module import GraphModule
    tracer = Tracer()
    graph = tracer.trace(root, concrete_args)
    name = type(root).__name__ if isinstance(root, Module) else root.__name__
    return GraphModule(tracer.root, graph, name)

