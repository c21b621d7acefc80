"""Python source for a Graph, written as torch.fx writes it.

One line per node, `name = expression`, in graph order. After the last use of a value the line ends with
`;  a = b = None`, so memory is freed as early as in eager code. Operators print as operators (`x + y`,
`x[0]`), methods as methods (`x.view(-1)`), submodules and attributes through `self`, functions by their torch
name (`torch.add(x, y)`); anything not reachable from `torch` becomes a global of the code."""
import enum
from contextlib import contextmanager

from .._tensor import Tensor
from ._names import Namespace, code_globals, is_from_torch, qualified_name
from .node import Node

# operator-module functions written as Python operators
_REFLECTABLE = {
    "add": "{} + {}", "sub": "{} - {}", "mul": "{} * {}", "floordiv": "{} // {}", "truediv": "{} / {}",
    "div": "{} / {}", "mod": "{} % {}", "pow": "{} ** {}", "lshift": "{} << {}", "rshift": "{} >> {}",
    "and_": "{} & {}", "or_": "{} | {}", "xor": "{} ^ {}", "getitem": "{}[{}]", "matmul": "{} @ {}",
}
MAGIC_METHODS = {"eq": "{} == {}", "ne": "{} != {}", "lt": "{} < {}", "gt": "{} > {}", "le": "{} <= {}",
                 "ge": "{} >= {}", "pos": "+{}", "neg": "-{}", "invert": "~{}", **_REFLECTABLE}
REFLECTABLE_MAGIC_METHODS = tuple(_REFLECTABLE)


class PythonCode:
    """Generated source and the globals it needs (`src`, `globals`), as Graph.python_code returns them."""

    def __init__(self, src, globals_, wrapped):
        self.src = src
        self.globals = globals_
        self.wrapped = wrapped  # global names of the functions recorded through fx.wrap


def format_target(base, target):
    """`self.a.b` for target 'a.b'; `getattr(self, "0")` for atoms that are not identifiers."""
    for atom in target.split("."):
        base = f"{base}.{atom}" if atom.isidentifier() else f'getattr({base}, "{atom}")'
    return base


@contextmanager
def _node_names(graph, namespace):
    """Within the block, repr(node) is the node's name in the code's own namespace."""
    def name(n):
        return namespace.create_name(n.name, n)
    for n in graph.nodes:
        n._repr_fn = name
    try:
        yield
    finally:
        for n in graph.nodes:
            n._repr_fn = None


def python_code(graph, root_module, verbose=False):
    """PythonCode for `graph` as the method `forward` of an object reached as `root_module` ('self')."""
    namespace = Namespace()
    globals_ = {}
    wrapped = {}

    def add_global(hint, obj):
        if is_from_torch(hint):
            return hint
        name = namespace.create_name(hint, obj)
        globals_[name] = obj
        return name
    for name, obj in code_globals().items():
        if name == "torch":
            globals_[name] = obj
        else:
            add_global(name, obj)
    with _node_names(graph, namespace):
        return _write(graph, root_module, verbose, globals_, wrapped, add_global)


def _write(graph, root_module, verbose, globals_, wrapped, add_global):
    nodes = list(graph.nodes)
    last_uses = {}  # user -> the values whose last use it is
    seen = set()
    for node in reversed(nodes):
        for used in node._input_nodes:
            if used not in seen:
                seen.add(used)
                last_uses.setdefault(node, []).append(used)

    def rep(arg):
        if isinstance(arg, Node):
            return repr(arg)
        if isinstance(arg, tuple) and hasattr(arg, "_fields"):
            return add_global(qualified_name(type(arg)), type(arg)) + repr(tuple(arg))
        if isinstance(arg, enum.Enum):
            return f"{add_global(type(arg).__name__, type(arg))}.{arg.name}"
        if isinstance(arg, Tensor):
            return f"torch.Tensor(size={list(arg.size())}, dtype={str(arg.dtype).split('.')[-1]})"
        if isinstance(arg, tuple):
            return f"({rep(arg[0])},)" if len(arg) == 1 else "(" + ", ".join(rep(a) for a in arg) + ")"
        if isinstance(arg, list):
            return "[" + ", ".join(rep(a) for a in arg) + "]"
        if isinstance(arg, slice):
            return f"slice({rep(arg.start)}, {rep(arg.stop)}, {rep(arg.step)})"
        return repr(arg)

    def call_args(args, kwargs):
        parts = [rep(a) for a in args] + [f"{k} = {rep(v)}" for k, v in kwargs.items()]
        return ", ".join(parts)

    free_vars, body = [], []
    commented = False
    for node in nodes:
        if node.op == "placeholder":
            default = f" = {rep(node.args[0])}" if node.args else ""
            free_vars.append(f"{node.target}{default}")
            raw = node.target.replace("*", "")
            if raw != repr(node):
                body.append(f"{node!r} = {raw}\n")
            continue
        if node.op == "output":
            body.append(f"return {node.args[0]!r}\n")
            continue
        if verbose and not commented:  # minitorch records no stack traces
            body.append("\n# No stacktrace found for following nodes\n")
            commented = True
        body.append(_expression(node, root_module, rep, call_args, add_global, wrapped))
        dead = list(last_uses.get(node, ()))
        if not node.users:
            dead.append(node)
        body.append(f";  {' = '.join([repr(n) for n in dead] + ['None'])}\n" if dead else "\n")
    if not body:
        body = ["pass\n"]
    code = "".join(body).lstrip("\n")
    code = "\n".join("    " + line for line in code.split("\n"))
    signature = ", ".join(["self"] + free_vars)
    wraps = "\n".join(f'torch.fx._symbolic_trace.wrap("{name}")' for name in wrapped)
    src = f"\n{wraps}\n\ndef forward({signature}):\n{code}"
    return PythonCode(src, globals_, list(wrapped))


def _expression(node, root_module, rep, call_args, add_global, wrapped):
    """`name = ...` for a call or attribute node."""
    target = node.target
    if node.op == "call_method":
        return f"{node!r} = {format_target(repr(node.args[0]), target)}({call_args(node.args[1:], node.kwargs)})"
    if node.op == "call_module":
        return f"{node!r} = {format_target(root_module, target)}({call_args(node.args, node.kwargs)})"
    if node.op == "get_attr":
        return f"{node!r} = {format_target(root_module, target)}"
    if getattr(target, "__module__", "") == "_operator" and target.__name__ in MAGIC_METHODS:
        return f"{node!r} = " + MAGIC_METHODS[target.__name__].format(*(repr(a) for a in node.args))
    name = add_global(qualified_name(target), target)
    if name == "getattr" and len(node.args) == 2 and isinstance(node.args[1], str) and node.args[1].isidentifier():
        return f"{node!r} = {format_target(repr(node.args[0]), node.args[1])}"
    if node.meta.get("is_wrapped"):
        wrapped.setdefault(name)
    return f"{node!r} = {name}({call_args(node.args, node.kwargs)})"

