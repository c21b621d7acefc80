"""`Node`: one operation of a `Graph`, as torch.fx records it.

A node has an `op` (what kind of operation), a `target` (what is called or read), `args` and `kwargs` (which may
hold other nodes, also inside tuples, lists, dicts and slices) and a `name` (the variable it becomes in the
generated code). Nodes sit in a doubly linked list owned by their graph; each node keeps its `users` (the nodes
whose arguments mention it), updated whenever `args` or `kwargs` change.
See https://pytorch.org/docs/stable/fx.html#torch.fx.Node"""
from ._names import qualified_name

__all__ = ["Node", "map_arg", "map_aggregate", "has_side_effect"]

# The opcodes, in the words of torch.fx
OPS = ("placeholder", "call_method", "call_module", "call_function", "get_attr", "output", "root")

_side_effectful_functions = set()


def has_side_effect(fn):
    """Mark `fn` so that dead code elimination keeps its call_function nodes (asserts, prints ...)."""
    _side_effectful_functions.add(fn)
    return fn


def map_aggregate(a, fn):
    """Apply `fn` to every leaf of `a`, rebuilding tuples (named tuples too), lists, dicts and slices."""
    if isinstance(a, tuple):
        items = tuple(map_aggregate(x, fn) for x in a)
        return type(a)(*items) if hasattr(a, "_fields") else items
    if isinstance(a, list):
        return [map_aggregate(x, fn) for x in a]
    if isinstance(a, dict):
        return type(a)((k, map_aggregate(v, fn)) for k, v in a.items())
    if isinstance(a, slice):
        return slice(map_aggregate(a.start, fn), map_aggregate(a.stop, fn), map_aggregate(a.step, fn))
    return fn(a)


def map_arg(a, fn):
    """Apply `fn` to every Node inside the argument structure `a`."""
    return map_aggregate(a, lambda x: fn(x) if isinstance(x, Node) else x)


def _pretty_target(target):
    """How the graph's printout names a target: `operator.add`, `builtins.getattr`, `torch.add` ..."""
    if isinstance(target, str):
        return target
    module = getattr(target, "__module__", None)
    if module == "builtins":
        return f"builtins.{target.__name__}"
    if module == "_operator":
        return f"operator.{target.__name__}"
    return qualified_name(target)


def _format_arg(arg):
    """An argument as the graph's printout shows it (`%x` for a node, dict keys without quotes)."""
    if isinstance(arg, list):
        return "[" + ", ".join(_format_arg(a) for a in arg) + "]"
    if isinstance(arg, tuple):
        return "(" + ", ".join(_format_arg(a) for a in arg) + ("," if len(arg) == 1 else "") + ")"
    if isinstance(arg, dict):
        return "{" + ", ".join(f"{k}: {_format_arg(v)}" for k, v in arg.items()) + "}"
    return f"%{arg}" if isinstance(arg, Node) else str(arg)


class Node:
    """One operation of a Graph. Make nodes through the graph (`graph.call_function(...)` ...), not directly."""

    def __init__(self, graph, name, op, target, args, kwargs, return_type=None):
        if op == "call_function":
            if not callable(target):
                raise ValueError(f"Node [graph = {graph}, name = '{name}'] target {target} has type "
                                 f"{_typename(target)} but a Callable is expected")
        elif op not in OPS:
            raise ValueError(f"op '{op}' is not one of {OPS}")
        elif not isinstance(target, str):
            raise ValueError(f"Node [graph = {graph}, name = '{name}'] target {target} has type "
                             f"{_typename(target)} but a str is expected")
        self.graph = graph
        self.name = name
        self.op = op
        self.target = target
        self.type = return_type
        self.users = {}  # node -> None, an ordered set of the nodes that use this one
        self._input_nodes = {}
        self._args, self._kwargs = (), {}
        self._prev = self._next = self
        self._erased = False
        self._repr_fn = None  # generated code names nodes through its own namespace while it is written
        self.meta = {}
        self._update_args_kwargs(args, kwargs)

    # ----- the linked list --------------------------------------------------------------------------
    @property
    def next(self):
        return self._next

    @property
    def prev(self):
        return self._prev

    def prepend(self, x):
        """Move (or insert) node `x` just before this one."""
        if x is self:
            return
        x._remove_from_list()
        p = self._prev
        p._next, x._prev = x, p
        x._next, self._prev = self, x

    def append(self, x):
        """Move (or insert) node `x` just after this one."""
        self._next.prepend(x)

    def _remove_from_list(self):
        # the node keeps its own links, so that a loop over graph.nodes that erases it goes on from here
        p, n = self._prev, self._next
        p._next, n._prev = n, p

    @property
    def stack_trace(self):
        """Where the node was recorded; minitorch does not record stack traces, so None unless set."""
        return self.meta.get("stack_trace")

    @stack_trace.setter
    def stack_trace(self, trace):
        self.meta["stack_trace"] = trace

    # ----- arguments and uses -----------------------------------------------------------------------
    @property
    def args(self):
        return self._args

    @args.setter
    def args(self, value):
        self._update_args_kwargs(value, self._kwargs)

    @property
    def kwargs(self):
        return self._kwargs

    @kwargs.setter
    def kwargs(self, value):
        self._update_args_kwargs(self._args, value)

    @property
    def all_input_nodes(self):
        """The nodes this one reads, each once, in the order they appear in args then kwargs."""
        return list(self._input_nodes)

    def update_arg(self, idx, arg):
        args = list(self._args)
        args[idx] = arg
        self.args = tuple(args)

    def update_kwarg(self, key, arg):
        self.kwargs = {**self._kwargs, key: arg}

    def _update_args_kwargs(self, args, kwargs):
        for old in self._input_nodes:
            old.users.pop(self, None)
        self._input_nodes = {}

        def register(n):
            if n.graph is not self.graph:
                raise RuntimeError(f"Argument '{n}' of Node '{self}' does not belong to this Graph")
            self._input_nodes.setdefault(n)
            return n
        self._args = map_arg(tuple(args), register)
        self._kwargs = map_arg(dict(kwargs), register)
        for n in self._input_nodes:
            n.users.setdefault(self)

    def replace_all_uses_with(self, replace_with, delete_user_cb=None, *, propagate_meta=False):
        """Make every user of this node read `replace_with` instead; returns the users changed.
        `delete_user_cb(user)` returning False leaves that user as it was."""
        if propagate_meta:
            if replace_with.meta:
                raise AssertionError("Called node.replace_all_uses_with(replace_with, propagate_meta=True), "
                                     "but replace_with already has .meta keys")
            replace_with.meta.update(self.meta)
        changed = []
        for user in list(self.users):
            if delete_user_cb is not None and not delete_user_cb(user):
                continue
            user.replace_input_with(self, replace_with)
            changed.append(user)
        return changed

    def replace_input_with(self, old_input, new_input):
        """Read `new_input` wherever this node's arguments mention `old_input`."""
        swap = lambda n: new_input if n is old_input else n  # noqa: E731
        self._update_args_kwargs(map_arg(self._args, swap), map_arg(self._kwargs, swap))

    def is_impure(self):
        """Whether dead code elimination must keep this node even without users."""
        if self.op in ("placeholder", "output"):
            return True
        if self.op == "call_module":
            return getattr(self.graph.owning_module.get_submodule(self.target), "_is_impure", False)
        return self.op == "call_function" and self.target in _side_effectful_functions

    # ----- printing ---------------------------------------------------------------------------------
    def __repr__(self):
        return self.name if self._repr_fn is None else self._repr_fn(self)

    def format_node(self):
        """One line of the graph's printout: `%add : [num_users=1] = call_function[target=operator.add](...)`."""
        head = f"%{self.name} : [num_users={len(self.users)}] = {self.op}[target={_pretty_target(self.target)}]"
        if self.op == "placeholder":
            return head + (f"(default={self.args[0]})" if self.args else "")
        if self.op == "get_attr":
            return head
        if self.op == "output":
            return f"return {self.args[0]}"
        return head + f"(args = {_format_arg(self.args)}, kwargs = {_format_arg(self.kwargs)})"


def _typename(obj):
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"

