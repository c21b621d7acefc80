"""The autograd graph: `Node` (a tensor's `grad_fn`), `AccumulateGrad` (the sink for a leaf's `.grad`),
and the iterative engine that runs backward in dependency order without recursion."""
import functools
import heapq
import itertools
import re
import sys
import weakref

import numpy as np

from .. import _dtype, _quiet
from . import grad_mode
from .. import _dispatch
from ..cuda import _on_device_of

_sequence = itertools.count()

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if "
    "you need to access saved tensors after calling backward."
)


class RemovableHandle:
    """Returned by every `register_*hook`: `remove()` takes the hook out (twice is harmless); also a context
    manager that removes it on exit."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *extra_dicts):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.extra_dict_refs = tuple(weakref.ref(d) for d in extra_dicts)
        self.id = next(RemovableHandle._next_id)

    def remove(self):
        for ref in (self.hooks_dict_ref,) + self.extra_dict_refs:
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _HookDict(dict):
    """A dict that RemovableHandle can hold a weak reference to."""


def add_hook(owner, attr, fn):
    """Store `fn` in the hook dict `owner.<attr>` (made on first use); return its RemovableHandle."""
    hooks = getattr(owner, attr)
    if hooks is None:
        hooks = _HookDict()
        setattr(owner, attr, hooks)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


class Node:
    """One recorded operation. `backward_fn(*grad_outputs)` returns one gradient per input;
    `next_functions` holds `(node, output_nr)` for each input, `(None, 0)` where no gradient flows.

    Every op has its own subclass (see `node_type`), so `type(y.grad_fn).__name__` is e.g. 'MulBackward0'.
    `_saved` lists (tensor, version) pairs for the tensors backward will read, or (tensor, version, node)
    for a node's own output: an in-place change of one of them after the forward makes backward fail, as
    in torch, instead of silently using the new values."""

    # Hook dicts are rare: class-level None until a node gets its own (in its __dict__), so that making a
    # node stays cheap.
    __slots__ = ("_backward_fn", "next_functions", "_saves", "_saved", "_seq", "_num_outputs", "_dtype", "__dict__",
                 "__weakref__")
    _name = "Node"
    _pre_hooks = _post_hooks = _tensor_hooks = _retain_hooks = _metadata = None

    def __init__(self, backward_fn, next_functions, saves=True, num_outputs=1, saved=None, dtype=None):
        self._backward_fn = backward_fn
        self.next_functions = next_functions
        self._saves = saves
        self._saved = saved
        self._seq = next(_sequence)
        self._num_outputs = num_outputs
        self._dtype = dtype  # the NumPy dtype of the output, which incoming gradients are cast to (or None)

    def name(self):
        return self._name

    @property
    def metadata(self):
        """A dict for the user's own notes about this node."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def __call__(self, *grad_outputs):
        return self._apply(grad_outputs)

    def _apply(self, grad_outputs):
        fn = self._backward_fn
        if fn is None:
            raise RuntimeError(_FREED_MESSAGE)
        if self._saved:
            _check_versions(self._saved)
        grads = fn(*grad_outputs)
        return grads if type(grads) is tuple else (grads,)

    def _release(self):
        if self._saves:
            self._backward_fn = self._saved = None

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node; a non-None return replaces grad_inputs."""
        return add_hook(self, "_post_hooks", fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node; a non-None return replaces grad_outputs."""
        return add_hook(self, "_pre_hooks", fn)

    def _register_tensor_hook(self, output_nr, fn):
        """A hook of the tensor that is output `output_nr` of this node: fn(grad) -> grad or None."""
        return add_hook(self, "_tensor_hooks", (output_nr, fn))

    def _set_retain_grad(self, output_nr, tensor):
        if self._retain_hooks is None:
            self._retain_hooks = {}
        self._retain_hooks[output_nr] = weakref.ref(tensor)


_NODE_TYPES = {}
# nodes whose name() torch prefixes with its namespace
_ENGINE_NODES = ("CopyBackwards", "CopySlices", "NotImplemented")


def node_type(name):
    """The Node subclass for the op `name` (made once, then reused)."""
    cls = _NODE_TYPES.get(name)
    if cls is None:
        full = "torch::autograd::" + name if name in _ENGINE_NODES else name
        cls = _NODE_TYPES[name] = type(name, (Node,), {"__slots__": (), "_name": full, "__module__": None})
    return cls


def _check_versions(saved):
    for entry in saved:
        tensor, version = entry[0], entry[1]
        now = tensor._version
        if now != version:
            fn = entry[2] if len(entry) == 3 else tensor._grad_fn
            origin = "" if fn is None else (f", which is output {tensor._output_nr} of "
                                            f"{re.sub(r'Backward[0-9]*$', '', fn.name())},")
            from .._tensor import type_name
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [{type_name(tensor.dtype, tensor.is_cuda)} {list(tensor.shape)}]{origin} is at "
                f"version {now}; "
                f"expected version {version} instead. Hint: enable anomaly detection to find the operation "
                "that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, "
                "check_nan=False).")


class AccumulateGrad(Node):
    """The node behind a leaf tensor that requires grad: stores incoming gradients in `variable.grad`.
    The leaf's own hooks live on the tensor, so they outlast this node (which the leaf holds weakly)."""

    __slots__ = ("_variable_ref",)
    _name = "torch::autograd::AccumulateGrad"

    def __init__(self, variable):
        super().__init__(None, (), saves=False)
        self._variable_ref = weakref.ref(variable)
        self._seq = float("inf")  # runs as soon as it is ready, as torch's engine does

    @property
    def variable(self):
        return self._variable_ref()

    def _apply(self, grad_outputs):
        return ()


def grad_accumulator(tensor):
    """The tensor's AccumulateGrad node, made once and shared by every graph that uses the leaf."""
    ref = tensor._accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(tensor)
        tensor._accumulator = weakref.ref(node)
    return node


def gradient_edge(tensor):
    """(node, output_nr) through which a gradient reaches `tensor`, or (None, 0)."""
    fn = tensor._grad_fn
    if fn is not None:
        return (fn, tensor._output_nr)
    if tensor._requires_grad:
        return (grad_accumulator(tensor), 0)
    return (None, 0)


class _Holder:
    value = None


def _references_when_held_once():
    """What sys.getrefcount reports for an object that one attribute (or one list entry) holds, read as
    `holder.value`: measured rather than assumed, since interpreters differ in what the call itself adds.
    None where reference counts say nothing (not CPython, or CPython without the GIL)."""
    if sys.implementation.name != "cpython" or not getattr(sys, "_is_gil_enabled", lambda: True)():
        return None
    holder = _Holder()
    holder.value = object()
    return sys.getrefcount(holder.value)


_HELD_ONCE = _references_when_held_once()


def _unshared(grads, nr=0):
    """Whether the gradient grads[nr] is the engine's alone, so that it may become a leaf's .grad without a
    copy (as torch's AccumulateGrad steals a gradient nothing else uses) or take later gradients in place:
    only this list holds the tensor, only the tensor holds its array (a C-contiguous, writeable NumPy array),
    and that array owns its memory or views all of an owner that nothing else holds. A hook, a retained grad
    or the caller's own gradient argument keeps another reference, and then it is left alone (the counts
    are read without locals, which would add one)."""
    if _HELD_ONCE is None or sys.getrefcount(grads[nr]) != _HELD_ONCE \
            or sys.getrefcount(grads[nr]._data) != _HELD_ONCE:
        return False
    data = grads[nr]._data
    if type(data) is not np.ndarray or not (data.flags.c_contiguous and data.flags.writeable):
        return False
    if data.base is None:
        return True
    return (type(data.base) is np.ndarray and data.base.base is None and data.base.nbytes == data.nbytes
            and sys.getrefcount(data.base) == _HELD_ONCE)


def _store_grad(variable, grad, create_graph, unshared=False):
    """Add `grad` into `variable.grad` (torch's AccumulateGrad rules), then run post-accumulate hooks.
    A first gradient becomes .grad as it is when `unshared` (see _unshared), else as a copy."""
    if grad._data.shape != variable._data.shape:
        raise RuntimeError(
            f"Function AccumulateGrad returned an invalid gradient - got {list(grad.shape)} but expected "
            f"shape compatible with {list(variable.shape)}")
    if grad._data.dtype != variable._data.dtype:
        grad = grad.to(variable.dtype)
    old = variable._grad
    if old is None:  # a copy, which the double-backward graph sees as torch's CopyBackwards
        if create_graph:
            variable._grad = grad.new_empty(grad.shape).copy_(grad)
        else:
            variable._grad = grad._wrap(grad._data if unshared else grad._data.copy())
    elif create_graph:
        variable._grad = old + grad
    else:
        old._data += grad._data
        old._bump_version()
    hooks = variable._post_accumulate_hooks
    if hooks:
        for fn in list(hooks.values()):
            fn(variable)


class _ExecutionEngine:
    """torch's `Variable._execution_engine`: the one engine object, whose `queue_callback` lets a hook run
    code once the backward pass it is part of has finished (DistributedDataParallel waits for its gradient
    all-reduces there)."""

    def __init__(self):
        self._callbacks = []  # one list per backward pass in progress, innermost last

    def queue_callback(self, callback):
        """Run `callback()` when the current backward pass ends (after every gradient has been stored)."""
        if not self._callbacks:
            raise RuntimeError("Final callbacks can only be installed during backward pass.")
        self._callbacks[-1].append(callback)


engine = _ExecutionEngine()

# The profiler's view of the engine: None, or an object whose evaluate(node, grads) is a context manager around
# one whole step of the engine (torch's "autograd::engine::evaluate_function: <node>") and whose
# run(node, grads, fn, *args) returns fn(*args), the node's own work, recorded under the node's name.
# Read once per backward pass: nothing is paid while no profiler records.
node_observer = [None]


def run_backward(roots, grad_roots, retain_graph, create_graph, inputs=None, accumulate=True):
    """Propagate `grad_roots` from the `roots` edges through the graph, then run the callbacks queued
    during it (engine.queue_callback), in order. NumPy's floating-point warnings are off meanwhile (see
    minitorch/_quiet.py).

    With accumulate=True gradients land in the `.grad` of leaves (all of them, or only `inputs`); with
    accumulate=False (autograd.grad) the gradients reaching `inputs` are returned instead, in order."""
    callbacks = []
    engine._callbacks.append(callbacks)
    quiet = None if _quiet.get_state() is _quiet.QUIET else _quiet.set_state(_quiet.QUIET)
    try:
        results = _propagate(roots, grad_roots, retain_graph, create_graph, inputs, accumulate)
        for callback in callbacks:  # a callback may queue more: they run too
            callback()
    finally:
        if quiet is not None:
            _quiet.reset_state(quiet)
        engine._callbacks.pop()
    return results


def _propagate(roots, grad_roots, retain_graph, create_graph, inputs, accumulate):
    """The engine proper: run every node of the graph once its incoming gradients are complete."""
    # 1. Count, for each node, how many edges lead into it (iterative DFS, so depth is unbounded).
    deps = {}
    parents = {} if inputs is not None else None
    stack = list(dict.fromkeys([node for node, _ in roots if node is not None]))
    seen = set(stack)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            deps[child] = deps.get(child, 0) + 1
            if parents is not None:
                parents.setdefault(child, []).append(node)
            if child not in seen:
                seen.add(child)
                stack.append(child)

    # 2. With `inputs`, only nodes on a path to one of them need to run.
    captures = None
    needed = None
    if inputs is not None:
        captures = {}
        for i, t in enumerate(inputs):
            edge = gradient_edge(t)
            if edge[0] is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            captures.setdefault(edge, []).append(i)
        needed = set()
        work = [node for node, _ in captures]
        while work:
            node = work.pop()
            if node in needed:
                continue
            needed.add(node)
            work.extend(parents.get(node, ()))
    results = [None] * len(inputs) if inputs is not None else None

    # 3. Run nodes whose inputs are complete, newest first (torch's order); ties (leaves) in the order
    # they became ready.
    buffers = {}
    ready = []
    order = 0
    for (node, nr), grad in zip(roots, grad_roots):
        if node is not None:
            _add_to_buffer(buffers, node, nr, grad)
    for node in buffers:
        if deps.get(node, 0) == 0:
            order += 1
            heapq.heappush(ready, (-node._seq, order, node))

    observer = node_observer[0]
    execute = _execute if observer is None else functools.partial(_execute_observed, observer)
    state = grad_mode._state
    enabled = state["enabled"]
    state["enabled"] = create_graph
    try:
        while ready:
            node = heapq.heappop(ready)[2]
            grads = buffers.pop(node, None) or [None] * node._num_outputs
            grad_inputs = ()
            grad = None  # no gradient of the previous node stays referenced while this one runs (see _unshared)
            if (needed is None or node in needed) and (grads[0] is not None or any(g is not None for g in grads)):
                if _dispatch._multi_device[0]:  # run the node on the GPU of its gradients
                    with _on_device_of(next(g for g in grads if g is not None)._data):
                        grad_inputs = execute(node, grads, captures, results, accumulate, inputs, create_graph)
                else:
                    grad_inputs = execute(node, grads, captures, results, accumulate, inputs, create_graph)
                if not retain_graph:
                    node._release()
            n_grads = len(grad_inputs)
            for i, (child, nr) in enumerate(node.next_functions):
                if child is None:
                    continue
                if i < n_grads and (grad := grad_inputs[i]) is not None:
                    if child._dtype is not None and grad._data.dtype != child._dtype:
                        grad = _in_dtype(grad, child._dtype)
                    _add_to_buffer(buffers, child, nr, grad)
                left = deps[child] - 1
                deps[child] = left
                if not left:
                    order += 1
                    heapq.heappush(ready, (-child._seq, order, child))
    finally:
        state["enabled"] = enabled
    return results


def _in_dtype(grad, np_dtype):
    """A gradient cast to the dtype of the tensor it is for, as torch's engine does: an op that promoted
    float32 with float64 sends a float64 gradient back to its float32 operand."""
    return grad.to(_dtype.from_numpy_dtype(np_dtype))


def _add_to_buffer(buffers, node, nr, grad):
    """Sum `grad` into the gradient waiting for output `nr` of `node`: in place when no graph of the
    backward is recorded and the waiting gradient is the engine's alone (see _unshared), as torch's engine
    accumulates (a recurrent weight collects one gradient per time step), else as a new tensor."""
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node._num_outputs
    if buf[nr] is None:
        buf[nr] = grad
    elif (not grad_mode._state["enabled"] and buf[nr]._data.shape == grad._data.shape
          and buf[nr]._data.dtype == grad._data.dtype and _unshared(buf, nr)):
        buf[nr]._data += grad._data
    else:
        buf[nr] = buf[nr] + grad


def _run_tensor_hooks(hooks, grads):
    for nr, fn in list(hooks.values()):
        if grads[nr] is not None:
            new = fn(grads[nr])
            if new is not None:
                if new.shape != grads[nr].shape:
                    raise RuntimeError(f"hook '{getattr(fn, '__name__', fn)}' has changed the size of value")
                if new.dtype is not grads[nr].dtype:
                    raise RuntimeError(f"hook '{getattr(fn, '__name__', fn)}' has changed the type of value "
                                       f"(was {grads[nr].type()} got {new.type()})")
                grads[nr] = new


def _execute_observed(observer, node, grads, *rest):
    """`_execute` while a profiler records: the step and the node's own work become its events."""
    with observer.evaluate(node, grads):
        return _execute(node, grads, *rest, observer=observer)


def _execute(node, grads, captures, results, accumulate, inputs, create_graph, observer=None):
    """Run one node: tensor hooks, retain_grad, pre-hooks, the backward function, post-hooks."""
    leaf = node.variable if type(node) is AccumulateGrad else None
    if leaf is not None and grads[0] is not None and grads[0]._data.dtype.kind == "c" and leaf._data.dtype.kind != "c":
        grads[0] = grads[0].real  # a real leaf gets the real part of a complex gradient, as in torch
    hooks = node._tensor_hooks if leaf is None else leaf._leaf_hooks
    if hooks:
        _run_tensor_hooks(hooks, grads)
    if node._retain_hooks:
        for nr, ref in node._retain_hooks.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                g = grads[nr] if create_graph else grads[nr].detach()
                t._grad = g if t._grad is None else t._grad + g
    if node._pre_hooks:
        for fn in list(node._pre_hooks.values()):
            new = fn(tuple(grads))
            if new is not None:
                grads = list(new)
    if captures is not None:
        for nr, g in enumerate(grads):
            for i in captures.get((node, nr), ()):
                results[i] = g
    if type(node) is AccumulateGrad:
        if leaf is not None and grads[0] is not None and accumulate:
            if inputs is None or (node, 0) in captures:
                if observer is None:
                    unshared = not create_graph and _unshared(grads)  # before grads[0] is read again
                    _store_grad(leaf, grads[0], create_graph, unshared)
                else:  # an observer may keep the gradient it saw: .grad gets a copy
                    observer.run(node, grads, _store_grad, leaf, grads[0], create_graph)
        return ()
    own = grads if node._num_outputs > 1 else grads[:1]
    grad_inputs = node._apply(own) if observer is None else observer.run(node, grads, node._apply, own)
    if node._post_hooks:
        for fn in list(node._post_hooks.values()):
            new = fn(grad_inputs, tuple(grads))
            if new is not None:
                grad_inputs = tuple(new)
    return grad_inputs
