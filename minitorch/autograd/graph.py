"""The autograd graph: `Node` (a tensor's `grad_fn`), `AccumulateGrad` (the sink for a leaf's `.grad`),
and the iterative engine that runs backward in dependency order without recursion."""
import heapq
import itertools
import weakref

from . import grad_mode

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


class Node:
    """One recorded operation. `backward_fn(*grad_outputs)` returns one gradient per input;
    `next_functions` holds `(node, output_nr)` for each input, `(None, 0)` where no gradient flows."""

    __slots__ = ("_backward_fn", "next_functions", "_name", "_saves", "_seq", "_num_outputs",
                 "_pre_hooks", "_post_hooks", "_tensor_hooks", "_retain_hooks", "metadata", "__weakref__")

    def __init__(self, name, backward_fn, next_functions, saves=True, num_outputs=1):
        self._name = name
        self._backward_fn = backward_fn
        self.next_functions = next_functions
        self._saves = saves
        self._seq = next(_sequence)
        self._num_outputs = num_outputs
        self._pre_hooks = self._post_hooks = self._tensor_hooks = self._retain_hooks = None
        self.metadata = {}

    def name(self):
        return self._name

    def __repr__(self):
        return f"<{self._name} object at {hex(id(self))}>"

    def __call__(self, *grad_outputs):
        return self._apply(grad_outputs)

    def _apply(self, grad_outputs):
        fn = self._backward_fn
        if fn is None:
            raise RuntimeError(_FREED_MESSAGE)
        grads = fn(*grad_outputs)
        return grads if type(grads) is tuple else (grads,)

    def _release(self):
        if self._saves:
            self._backward_fn = None

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node; a non-None return replaces grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = _HookDict()
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = fn
        return handle

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node; a non-None return replaces grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = _HookDict()
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = fn
        return handle

    def _register_tensor_hook(self, output_nr, fn):
        """A hook of the tensor that is output `output_nr` of this node: fn(grad) -> grad or None."""
        if self._tensor_hooks is None:
            self._tensor_hooks = _HookDict()
        handle = RemovableHandle(self._tensor_hooks)
        self._tensor_hooks[handle.id] = (output_nr, fn)
        return handle

    def _set_retain_grad(self, output_nr, tensor):
        if self._retain_hooks is None:
            self._retain_hooks = {}
        self._retain_hooks[output_nr] = weakref.ref(tensor)


class AccumulateGrad(Node):
    """The node behind a leaf tensor that requires grad: stores incoming gradients in `variable.grad`."""

    __slots__ = ("_variable_ref",)

    def __init__(self, variable):
        super().__init__("AccumulateGrad", None, (), saves=False)
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


def _accumulate(buffer, index, grad):
    old = buffer[index]
    buffer[index] = grad if old is None else old + grad


def _check_grad(node, index, grad, expected):
    if grad is not None and tuple(grad.shape) != tuple(expected.shape):
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {index} - got "
            f"{list(grad.shape)} but expected shape compatible with {list(expected.shape)}")


def _store_grad(variable, grad, create_graph):
    """Add `grad` into `variable.grad` (torch's AccumulateGrad rules)."""
    if grad.shape != variable.shape:
        raise RuntimeError(
            f"Function AccumulateGrad returned an invalid gradient - got {list(grad.shape)} but expected "
            f"shape compatible with {list(variable.shape)}")
    if grad.dtype is not variable.dtype:
        grad = grad.to(variable.dtype)
    old = variable._grad
    if old is None:
        variable._grad = grad if create_graph else grad.detach().clone()
    elif create_graph or grad_mode.is_grad_enabled() and old._grad_fn is not None:
        variable._grad = old + grad
    else:
        old._data += grad._data


def run_backward(roots, grad_roots, retain_graph, create_graph, inputs=None, accumulate=True):
    """Propagate `grad_roots` from the `roots` edges through the graph.

    With accumulate=True gradients land in the `.grad` of leaves (all of them, or only `inputs`); with
    accumulate=False (autograd.grad) the gradients reaching `inputs` are returned instead, in order."""
    # 1. Count, for each node, how many edges lead into it (iterative DFS, so depth is unbounded).
    deps = {}
    parents = {} if inputs is not None else None
    stack = [node for node, _ in roots if node is not None]
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

    # 3. Run nodes whose inputs are complete, newest first (torch's order).
    buffers = {}
    ready = []
    for (node, nr), grad in zip(roots, grad_roots):
        if node is None:
            continue
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._num_outputs
        _accumulate(buf, nr, grad)
    for node in buffers:
        if deps.get(node, 0) == 0:
            heapq.heappush(ready, (-node._seq, id(node), node))

    with grad_mode.set_grad_enabled(create_graph):
        while ready:
            _, _, node = heapq.heappop(ready)
            grads = buffers.pop(node, None) or [None] * node._num_outputs
            run = needed is None or node in needed
            grad_inputs = ()
            if run and any(g is not None for g in grads):
                grad_inputs = _execute(node, grads, captures, results, accumulate, inputs, create_graph)
                if not retain_graph:
                    node._release()
            for i, (child, nr) in enumerate(node.next_functions):
                if child is None:
                    continue
                g = grad_inputs[i] if i < len(grad_inputs) else None
                if g is not None:
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * child._num_outputs
                    _accumulate(buf, nr, g)
                deps[child] -= 1
                if deps[child] == 0:
                    heapq.heappush(ready, (-child._seq, id(child), child))
    return results


def _execute(node, grads, captures, results, accumulate, inputs, create_graph):
    """Run one node: tensor hooks, retain_grad, pre-hooks, the backward function, post-hooks."""
    if node._tensor_hooks:
        for nr, fn in list(node._tensor_hooks.values()):
            if grads[nr] is not None:
                new = fn(grads[nr])
                if new is not None:
                    grads[nr] = new
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
    if isinstance(node, AccumulateGrad):
        variable = node.variable
        if variable is not None and grads[0] is not None and accumulate:
            if inputs is None or (node, 0) in captures:
                _store_grad(variable, grads[0], create_graph)
        return ()
    grad_inputs = node._apply(grads if node._num_outputs > 1 else grads[:1])
    if node._post_hooks:
        for fn in list(node._post_hooks.values()):
            new = fn(grad_inputs, tuple(grads))
            if new is not None:
                grad_inputs = tuple(new)
    return grad_inputs
