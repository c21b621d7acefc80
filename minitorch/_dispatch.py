"""The one door every public op passes: torch's `__torch_function__` protocol and dispatcher, in Python.

A call such as `x + y`, `minitorch.add(x, y)` or `F.relu(x)` enters through a *public entry*: one function
object per public name (`minitorch.add`, `Tensor.add`, `nn.functional.relu` ...), made here around the op's
implementation. Below the entry sit two layers, consulted in torch's order:

1. torch function: the active `overrides.TorchFunctionMode`s (innermost first), then `__torch_function__` of
   the argument types that define one (Tensor subclasses, or any object), each handed the public entry.
2. lower layer, which sees the op by its aten name (`aten::add`) after the torch function layer: observers
   (the profiler), `utils._python_dispatch.TorchDispatchMode`s, and finally the kernel chosen by the
   inputs' dispatch key. Dense cpu, cuda and meta tensors share one kernel, written against `xp`; another
   tensor kind (sparse, quantized) registers kernels per key and gets torch's "Could not run" error for
   the ops it lacks.

With nothing active (no mode, no overriding subclass, no observer, no non-dense tensor alive) an entry costs
one flag test before the implementation runs: `_PLAIN[0]`, kept up to date by `_refresh()`.
"""
import functools
import inspect
import weakref

from ._quiet import QUIET as _QUIET, get_state as _fp_get, reset_state as _fp_reset, set_state as _fp_set
from .backends.meta import MetaDataError

# True while no layer needs consulting; entries then call the implementation directly.
_PLAIN = [True]

_function_modes = []  # TorchFunctionMode stack, innermost last
_dispatch_modes = []  # TorchDispatchMode stack, innermost last
_observers = []  # (enter(op, args, kwargs) -> token, leave, with_result) triples: the profiler's hooks
_override_types = set()  # weak references to the Tensor subclasses whose __torch_function__ is not disabled
_disabled = {"subclass": 0, "all": 0}  # nesting depth of DisableTorchFunctionSubclass / DisableTorchFunction
_nondense = [0]  # live tensors whose dispatch key is not dense (sparse, quantized ...)
_foreign = [0]  # live objects, not Tensors, whose type defines __torch_function__ and asked to be counted
_multi_device = [False]  # several GPUs: ops must run with their tensors' GPU current


def _refresh():
    """Recompute the fast-path flag after any change of the state above."""
    tf_on = not _disabled["all"]
    subclasses = bool(_override_types) and tf_on and not _disabled["subclass"]
    _PLAIN[0] = not (subclasses or (_function_modes and tf_on) or _dispatch_modes or _observers or _nondense[0]
                     or _multi_device[0] or (_foreign[0] and tf_on))


def note_multi_device():
    """Called once CuPy reports more than one GPU: from then on every op passes the lower layer, which
    makes the GPU of its first tensor current while it runs (CuPy works on the current GPU)."""
    _multi_device[0] = True
    _refresh()


def torch_function_enabled():
    return not _disabled["all"]


# ----- the lower layer: ops by aten name ----------------------------------------------------------------
class Op:
    """One operator as the lower layer sees it (`aten::add`): its dense kernel and kernels per dispatch key.
    Calling it runs the lower layer; this is the `func` a TorchDispatchMode receives."""

    def __init__(self, name, impl):
        self.name = name  # 'aten::add'; None for an entry that is not an operator (see `public`)
        self.impl = impl
        self.kernels = {}
        self._signature = None

    @property
    def __name__(self):
        return self.name.split("::", 1)[1] + ".default"

    def __repr__(self):
        return self.name.replace("::", ".") + ".default"

    def __call__(self, *args, **kwargs):
        return run(self, args, kwargs)

    def normalize(self, args, kwargs):
        """(args, kwargs) bound to the kernel's signature: parameters that can be positional are, keyword-only
        ones stay keywords; defaults are left out. This is the 'after argument parsing' view."""
        sig = self._signature
        if sig is None:
            try:
                sig = self._signature = inspect.signature(self.impl)
            except (TypeError, ValueError):
                return args, kwargs
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError:
            return args, kwargs
        return bound.args, bound.kwargs


_OPS = {}  # implementation function -> Op


def op_for(impl, name):
    """The Op that runs `impl` under the aten name `name` (one per implementation)."""
    op = _OPS.get(impl)
    if op is None:
        op = _OPS[impl] = Op(name, impl)
    return op


# Dispatch keys of the dense kinds, which every Op's implementation serves.
DENSE_KEYS = ("CPU", "CUDA", "Meta")


def dispatch_key_of(t):
    """The dispatch key of a tensor: 'CPU', 'CUDA', 'Meta', or its data's own key ('SparseCPU' ...)."""
    key = getattr(type(t._data), "dispatch_key", None)
    if key is not None:
        return key
    device = t.device.type
    return "Meta" if device == "meta" else device.upper()


def register_kernel(name, key):
    """Decorator: `fn` is the kernel of the aten op `name` for tensors whose dispatch key is `key`."""
    def register(fn):
        _KERNELS.setdefault(name, {})[key] = fn
        return fn
    return register


_KERNELS = {}  # aten name -> {dispatch key: kernel}, for the non-dense kinds


def track_nondense(tensor):
    """Count `tensor` as alive with a non-dense dispatch key until it is freed (the fast path stays off
    meanwhile, so its ops reach the lower layer and find their kernels)."""
    _nondense[0] += 1
    _refresh()
    weakref.finalize(tensor, _forget_nondense)


def _forget_nondense():
    _nondense[0] -= 1
    _refresh()


def track_foreign(obj):
    """Count `obj` (not a Tensor; its type defines __torch_function__) as alive until it is freed. Meanwhile
    entries take the slow path, so that a call with it reaches its __torch_function__ before any implementation
    sees it (fx's Proxy: an implementation run on a Proxy would record nonsense instead of failing)."""
    _foreign[0] += 1
    _refresh()
    weakref.finalize(obj, _forget_foreign)


def _forget_foreign():
    _foreign[0] -= 1
    _refresh()


def _tensor_args(args, kwargs):
    """The tensors among the arguments, also inside lists and tuples (one level deep)."""
    from ._tensor import Tensor
    found = []
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tensor):
            found.append(a)
        elif isinstance(a, (list, tuple)):
            found.extend(x for x in a if isinstance(x, Tensor))
    return found


def _meta_unsupported(op):
    """torch's error for an op whose result needs values that meta tensors do not have."""
    if op.name in ("aten::nonzero", None):  # None: indexing, no operator itself; a mask needs nonzero's values
        return NotImplementedError("The register_meta function for torch.nonzero() raises unimplemented by "
                                   "default, as a correct data-independent implementation does not exist.")
    return NotImplementedError(f"{op.name}: attempted to run this operator with Meta tensors, but there was no "
                               "fake impl or Meta kernel registered.")


def not_implemented_for(name, key):
    available = sorted({*DENSE_KEYS, *_KERNELS.get(name, {})})
    return NotImplementedError(
        f"Could not run '{name}' with arguments from the '{key}' backend. This could be because the operator "
        f"doesn't exist for this backend. '{name}' is only available for these backends: "
        f"[{', '.join(available)}].")


def run(op, args, kwargs):
    """The lower layer: dispatch modes, observers, then the kernel for the inputs' dispatch key."""
    if _dispatch_modes:
        mode = _dispatch_modes.pop()
        _refresh()
        try:
            types = tuple(dict.fromkeys(type(t) for t in _tensor_args(args, kwargs)))
            args, kwargs = op.normalize(args, kwargs)
            return mode.__torch_dispatch__(op, types, args, kwargs)
        finally:
            _dispatch_modes.append(mode)
            _refresh()
    kernel = op.impl
    if _nondense[0]:
        for t in _tensor_args(args, kwargs):
            key = getattr(type(t._data), "dispatch_key", None)
            if key is not None:
                kernel = _KERNELS.get(op.name, {}).get(key)
                if kernel is None:
                    raise not_implemented_for(op.name, key)
                break
    if _multi_device[0]:
        tensors = _tensor_args(args, kwargs)
        if tensors:
            from .cuda import _on_device_of
            with _on_device_of(tensors[0]._data):
                return _observed(op, kernel, args, kwargs)
    return _observed(op, kernel, args, kwargs)


def _observed(op, kernel, args, kwargs):
    """Run the kernel (NumPy's floating-point warnings off) between the observers' enter and leave calls."""
    observers = tuple(_observers)
    tokens = [enter(op, args, kwargs) for enter, _, _ in observers]
    quiet = None if _fp_get() is _QUIET else _fp_set(_QUIET)
    result = None
    try:
        result = kernel(*args, **kwargs)
        return result
    finally:
        if quiet is not None:
            _fp_reset(quiet)
        for (_, leave, with_result), token in zip(reversed(observers), reversed(tokens)):
            if with_result:
                leave(token, result)
            else:
                leave(token)


def add_observer(enter, leave, *, with_result=False):
    """Call enter(op, args, kwargs) before and leave(token) after every op the lower layer runs (nested
    ones included); with_result=True calls leave(token, result) instead (result None when the op raised).
    Returns a function that removes the observer."""
    triple = (enter, leave, with_result)
    _observers.append(triple)
    _refresh()

    def remove():
        if triple in _observers:
            _observers.remove(triple)
            _refresh()
    return remove


def internal(name):
    """Decorator for an op that other ops call internally (torch's composite ops, e.g. linear -> addmm):
    the lower layer sees it by `name`, the torch function layer does not."""
    def wrap(impl):
        op = op_for(impl, name)

        @functools.wraps(impl)
        def lower_entry(*args, **kwargs):
            if _PLAIN[0]:
                return impl(*args, **kwargs)
            return run(op, args, kwargs)
        return lower_entry
    return wrap


# ----- the torch function layer ------------------------------------------------------------------------
class _Info:
    """What the slow path needs about one public entry."""

    __slots__ = ("op", "name", "torch_args", "self_typed", "func")

    def __init__(self, op, name, torch_args, self_typed, func):
        self.op = op
        self.name = name  # 'minitorch.add', 'minitorch.Tensor.add' ...
        self.torch_args = torch_args  # (positional count, keyword names) for torch's Python-level functions
        self.self_typed = self_typed  # plain Tensor arguments count as overloaded (types=(Tensor,))
        self.func = func  # the function handed to __torch_function__ (itself, or Tensor.add for `+`)


_NAMES = {}  # public entry -> torch's dotted name for it (overrides.resolve_name)


def _default_aten(name):
    """'aten::add_' for 'torch.Tensor.add_', 'aten::rsub' for 'torch.Tensor.__rsub__'."""
    short = name.rsplit(".", 1)[-1]
    return "aten::" + (short[2:-2] if short.startswith("__") and short.endswith("__") else short)


def public(impl, name, *, aten=None, torch_args=None, self_typed=False, func=None):
    """The public entry for `impl` under torch's dotted `name` ('torch.add', 'torch.Tensor.add' ...).

    aten: the lower layer's name (default from the last part of `name`), or False for an entry that is not an
    operator (torch's Python-level attribute and protocol methods such as `Tensor.size` or `__getitem__`: no
    observer or TorchDispatchMode sees them, only the operators they call); torch_args: (n, keywords) for a
    function torch implements in Python, which hands __torch_function__ its first n arguments positionally and
    the named ones as keywords; self_typed: torch counts a plain Tensor argument as overloaded here; func: the
    entry handed to __torch_function__ when it is not this one (`Tensor.__neg__` arrives as `Tensor.neg`)."""
    op = op_for(impl, _default_aten(name) if aten is None else aten or None)

    def entry(*args, **kwargs):
        if _PLAIN[0]:
            quiet = None if _fp_get() is _QUIET else _fp_set(_QUIET)
            try:
                return impl(*args, **kwargs)
            except Exception as exc:
                if not _has_foreign(args, kwargs):
                    if type(exc) is MetaDataError:
                        raise _meta_unsupported(op) from None
                    raise
            finally:
                if quiet is not None:
                    _fp_reset(quiet)
        return _call(info, args, kwargs)
    info = _describe(entry, impl, name, op, torch_args, self_typed, func)
    return entry


def binary_operator(impl, name, *, aten=None, func=None, self_typed=False):
    """`public` for a two-operand dunder such as `Tensor.__add__`, without *args packing (the hot path of
    every arithmetic expression). As in torch, a TypeError becomes NotImplemented, so that Python tries the
    other operand's reflected method and finally raises its own "unsupported operand type(s)" error."""
    op = op_for(impl, _default_aten(name) if aten is None else aten or None)

    def entry(self, other):
        if _PLAIN[0]:
            quiet = None if _fp_get() is _QUIET else _fp_set(_QUIET)
            try:
                return impl(self, other)
            except TypeError:
                if not _has_foreign((other,), {}):
                    return NotImplemented
            except MetaDataError:
                raise _meta_unsupported(op) from None
            finally:
                if quiet is not None:
                    _fp_reset(quiet)
        try:
            return _call(info, (self, other), {})
        except TypeError:
            return NotImplemented
    info = _describe(entry, impl, name, op, None, self_typed, func)
    return entry


def _describe(entry, impl, name, op, torch_args, self_typed, func):
    """Give `entry` impl's docs, its public names and its dispatch record."""
    module, _, short = name.rpartition(".")
    entry.__name__ = short
    entry.__qualname__ = name[len("torch."):] if name.startswith("torch.Tensor.") else short
    entry.__module__ = "mini" + module.split(".Tensor")[0]
    entry.__doc__ = impl.__doc__
    entry.__annotations__ = getattr(impl, "__annotations__", {})
    entry.__wrapped__ = impl
    _NAMES[entry] = name
    entry._dispatch_info = info = _Info(op, name, torch_args, self_typed or torch_args is not None,
                                        func or entry)
    return info


def overridable_property(prop, name, aten=False):
    """A copy of property `prop` whose get / set / delete pass the door as `Tensor.<name>.__get__` ...
    (as torch's getters do: `x.shape` under a TorchFunctionMode arrives as `Tensor.shape.__get__`).
    aten: the operator a getter runs on the lower layer (`x.T` is aten::numpy_T), or False for plain
    attributes (shape, dtype, grad ...), which no observer or TorchDispatchMode sees."""
    fget, fset, fdel = prop.fget, prop.fset, prop.fdel

    def get(self):
        if _PLAIN[0]:
            return fget(self)
        return _call(new._get_info, (self,), {})

    def set_(self, value):
        if _PLAIN[0]:
            return fset(self, value)
        return _call(new._set_info, (self, value), {})

    def delete(self):
        if _PLAIN[0]:
            return fdel(self)
        return _call(new._delete_info, (self,), {})
    new = _Property(get, set_ if fset else None, delete if fdel else None, prop.__doc__)
    for kind, fn in (("get", fget), ("set", fset), ("delete", fdel)):
        if fn is not None:
            func = getattr(new, f"__{kind}__")
            label = f"{name}.__{kind}__"
            _NAMES[func] = label
            setattr(new, f"_{kind}_info", _Info(op_for(fn, aten or None), label, None, True, func))
    return new


class _Property(property):
    """A property that carries the dispatch records of its accessors."""


_FOREIGN_SAFE = (int, float, bool, complex, str, bytes, type(None), slice, type(Ellipsis))


def _has_foreign(args, kwargs):
    """Whether an argument that is not a Tensor defines __torch_function__ (checked only after the plain path
    raised, so ordinary calls never pay for it)."""
    for a in (*args, *kwargs.values()):
        if isinstance(a, (list, tuple)):
            if any(_is_foreign(x) for x in a):
                return True
        elif _is_foreign(a):
            return True
    return False


def _is_foreign(a):
    t = type(a)
    if t in _FOREIGN_SAFE:
        return False
    from ._tensor import Tensor
    return not isinstance(a, Tensor) and _overrides(t)


def _overrides(t):
    """Whether type `t` takes part in __torch_function__ dispatch."""
    tf = getattr(t, "__torch_function__", None)
    return tf is not None and getattr(tf, "__func__", tf) is not _disabled_impl_func()


def _disabled_impl_func():
    from .overrides import _disabled_torch_function_impl
    return _disabled_torch_function_impl


def overloaded_args(relevant, include_plain=False):
    """torch's order of the arguments whose types define __torch_function__: each type once, a subclass
    before its superclass, otherwise left to right. Plain Tensors count only with include_plain."""
    from ._tensor import Tensor
    if _disabled["all"]:
        return []
    types, result = [], []
    sub_off = _disabled["subclass"]
    for arg in relevant:
        t = type(arg)
        if t in types or t in _FOREIGN_SAFE:
            continue
        if t is Tensor:
            if not include_plain:
                continue
        elif not _overrides(t) or (sub_off and isinstance(arg, Tensor)):
            continue
        index = len(result)
        for i, old in enumerate(result):
            if issubclass(t, type(old)):
                index = i
                break
        types.append(t)
        result.insert(index, arg)
    return result


def _flatten(args, kwargs):
    """The arguments __torch_function__ dispatch looks at: top-level ones and the items of sequences."""
    out = []
    for a in (*args, *kwargs.values()):
        if isinstance(a, (list, tuple)):
            out.extend(a)
        else:
            out.append(a)
    return out


def _torch_call_form(info, args, kwargs):
    """(args, kwargs) as torch hands them to __torch_function__ for this entry."""
    if info.torch_args is None:
        return args, kwargs
    npos, keywords = info.torch_args
    sig = info.op._signature or inspect.signature(info.op.impl)
    info.op._signature = sig
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    values = bound.arguments
    params = list(sig.parameters.values())
    if params and params[0].kind is inspect.Parameter.VAR_POSITIONAL:
        return tuple(values[params[0].name]), {k: values[k] for k in keywords if k in values}
    positional = tuple(values[p.name] for p in params[:npos])
    return positional, {k: values[k] for k in keywords if k in values}


def _call(info, args, kwargs):
    """The slow path: torch function handlers if any apply, else the lower layer."""
    if not _disabled["all"]:
        overloaded = overloaded_args(_flatten(args, kwargs), include_plain=info.self_typed and bool(_function_modes))
        if overloaded or _function_modes:
            args, kwargs = _torch_call_form(info, args, kwargs)
            return handle(info.func, overloaded, args, kwargs, python_level=info.torch_args is not None)
    op = info.op
    if op.name is None:  # not an operator: it runs the operators it needs itself
        return op.impl(*args, **kwargs)
    return run(op, args, kwargs)


def handle(func, overloaded, args, kwargs, python_level=False):
    """torch's handle_torch_function: the innermost mode first (popped while it runs), then each
    overloaded argument's __torch_function__, until one returns something other than NotImplemented."""
    types = tuple(type(a) for a in overloaded)
    mode = None
    if _function_modes and not _disabled["all"]:
        mode = _function_modes.pop()
        _refresh()
        try:
            result = mode.__torch_function__(func, types, args, kwargs)
        finally:
            _function_modes.append(mode)
            _refresh()
        if result is not NotImplemented:
            return result
    for arg in overloaded:
        result = arg.__torch_function__(func, types, args, kwargs)
        if result is not NotImplemented:
            return result
    name = _NAMES.get(func) or f"{getattr(func, '__module__', '')}.{getattr(func, '__name__', func)}"
    if python_level:
        message = (f"no implementation found for '{name}' on types that implement __torch_function__: "
                   f"{[type(a) for a in overloaded]}")
        raise TypeError(message + (f" nor in mode {mode}" if mode is not None else ""))
    handlers = (f"  - mode object {mode!r}\n" if mode is not None else "") + \
        "".join(f"  - tensor subclass {type(a)}\n" for a in overloaded)
    raise TypeError(f"Multiple dispatch failed for '{name}'; all __torch_function__ handlers returned "
                    f"NotImplemented:\n\n{handlers}\nFor more information, try re-running with "
                    "TORCH_LOGS=not_implemented")


# ----- state changes: modes, subclasses, disabling -------------------------------------------------------
def push_function_mode(mode):
    _function_modes.append(mode)
    _refresh()


def pop_function_mode():
    mode = _function_modes.pop()
    _refresh()
    return mode


def push_dispatch_mode(mode):
    _dispatch_modes.append(mode)
    _refresh()


def pop_dispatch_mode():
    mode = _dispatch_modes.pop()
    _refresh()
    return mode


def note_subclass(cls):
    """Called for every new Tensor subclass: those that override __torch_function__ switch the slow path on."""
    if _overrides(cls):
        _override_types.add(weakref.ref(cls, _forget_type))
        _refresh()


def _forget_type(ref):
    _override_types.discard(ref)
    _refresh()


class _Disable:
    """Base of DisableTorchFunctionSubclass / DisableTorchFunction: count the nesting while active."""

    _kind = None

    def __enter__(self):
        _disabled[self._kind] += 1
        _refresh()
        return self

    def __exit__(self, *exc):
        _disabled[self._kind] -= 1
        _refresh()
        return False


class DisableTorchFunctionSubclass(_Disable):
    """Within it, Tensor subclasses' __torch_function__ is not consulted (modes still are)."""

    _kind = "subclass"


class DisableTorchFunction(_Disable):
    """Within it, neither modes nor __torch_function__ of any type are consulted."""

    _kind = "all"
