"""`Graph`: the list of Nodes a trace records, and what can be done with it.

The graph owns a doubly linked list of nodes (a sentinel `root` node closes the ring) and the namespace their
names come from. New nodes go where the insert point says (the end, unless `inserting_before/after` moved it).
A graph prints as torch's (`print(graph)`, `graph.print_tabular()`), writes itself as Python
(`graph.python_code('self')`), checks itself (`lint`) and drops unused pure nodes (`eliminate_dead_code`).
See https://pytorch.org/docs/stable/fx.html#torch.fx.Graph"""
import copy
import inspect
import re
import warnings

from . import _codegen
from ._names import Namespace
from .node import Node, map_arg

__all__ = ["Graph"]

_CAMEL = re.compile(r"(?<=[a-z])([A-Z])")


class _NodeList:
    """graph.nodes: iterates in order (skipping nodes erased meanwhile), supports len() and reversed()."""

    def __init__(self, graph, forward=True):
        self._graph = graph
        self._forward = forward

    def __len__(self):
        return self._graph._len

    def __iter__(self):
        root = self._graph._root
        step = "_next" if self._forward else "_prev"
        cur = getattr(root, step)
        while cur is not root:
            if not cur._erased:
                yield cur
            cur = getattr(cur, step)

    def __reversed__(self):
        return iter(_NodeList(self._graph, not self._forward))


class _InsertPoint:
    """Context manager returned by inserting_before/after: restores the previous insert point on exit."""

    def __init__(self, graph, insert):
        self.graph = graph
        self.previous, graph._insert = graph._insert, insert

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.graph._insert = self.previous


class Graph:
    """A list of Nodes and the names they use. Build one by tracing (`symbolic_trace`) or by hand with
    `placeholder`, `call_function` ..., `output`."""

    def __init__(self, owning_module=None, tracer_cls=None):
        self._root = Node(self, "", "root", "", (), {})
        self._len = 0
        self._namespace = Namespace()
        self._insert = self._root.prepend
        self._owning_module = owning_module
        self._tracer_cls = tracer_cls

    @property
    def owning_module(self):
        return self._owning_module

    @owning_module.setter
    def owning_module(self, module):
        self._owning_module = module

    @property
    def nodes(self):
        return _NodeList(self)

    def find_nodes(self, *, op, target=None):
        """The nodes with opcode `op` (and `target`, if given), in graph order."""
        return [n for n in self.nodes if n.op == op and (target is None or n.target == target)]

    # ----- making nodes -----------------------------------------------------------------------------
    def create_node(self, op, target, args=None, kwargs=None, name=None, type_expr=None):
        """A new node at the insert point; its name is `name` (or one made from the target), made unique."""
        candidate = name if name is not None else self._target_to_str(target)
        node = Node(self, self._namespace.create_name(candidate, None), op, target, args or (), kwargs or {},
                    type_expr)
        self._insert(node)
        self._len += 1
        return node

    @staticmethod
    def _target_to_str(target):
        name = target.__name__ if callable(target) else target
        if name.startswith("__") and name.endswith("__") and len(name) > 4:
            name = name[2:-2]
        return _CAMEL.sub(r"_\1", name).lower()

    def placeholder(self, name, type_expr=None, default_value=inspect.Signature.empty):
        """An input of the generated forward; `default_value` becomes the parameter's default."""
        args = () if default_value is inspect.Signature.empty else (default_value,)
        return self.create_node("placeholder", name, args, type_expr=type_expr)

    def get_attr(self, qualified_name, type_expr=None):
        """Read an attribute (parameter, buffer, tensor) of the owning module by dotted path."""
        return self.create_node("get_attr", qualified_name, type_expr=type_expr)

    def call_module(self, module_name, args=None, kwargs=None, type_expr=None):
        return self.create_node("call_module", module_name, args, kwargs, type_expr=type_expr)

    def call_method(self, method_name, args=None, kwargs=None, type_expr=None):
        return self.create_node("call_method", method_name, args, kwargs, type_expr=type_expr)

    def call_function(self, the_function, args=None, kwargs=None, type_expr=None):
        return self.create_node("call_function", the_function, args, kwargs, type_expr=type_expr)

    def output(self, result, type_expr=None):
        """The value forward returns (one output node per graph)."""
        return self.create_node("output", "output", (result,), type_expr=type_expr)

    def node_copy(self, node, arg_transform=lambda x: x):
        """A copy of `node` (from any graph) here, its node arguments mapped through `arg_transform`."""
        args = map_arg(node.args, arg_transform)
        kwargs = map_arg(node.kwargs, arg_transform)
        result = self.create_node(node.op, node.target, args, kwargs, node.name, node.type)
        result.meta = copy.copy(node.meta)
        return result

    def graph_copy(self, g, val_map, return_output_node=False):
        """Copy every node of `g` but its output into this graph; `val_map` maps g's nodes to the copies
        (pre-filled entries are used as they are). Returns the copied output value (and g's output node,
        if asked), or None when g has no output."""
        for node in g.nodes:
            if node in val_map:
                continue
            if node.op == "output":
                value = map_arg(node.args[0], lambda n: val_map[n])
                return (value, node) if return_output_node else value
            val_map[node] = self.node_copy(node, lambda n: val_map[n])
        return None

    def __deepcopy__(self, memo):
        new = Graph(tracer_cls=self._tracer_cls)
        memo[id(self)] = new
        copied = new.graph_copy(self, {}, return_output_node=True)
        if copied is not None:
            value, old_output = copied
            new.output(value, type_expr=old_output.type)
        return new

    # ----- changing the graph -----------------------------------------------------------------------
    def erase_node(self, to_erase):
        """Remove a node that nothing uses any more."""
        if to_erase.users:
            raise RuntimeError(f"Tried to erase Node {to_erase} but it still had {len(to_erase.users)} users in "
                               f"the graph: {to_erase.users}!")
        if to_erase.graph is not self:
            raise RuntimeError(f"Attempting to remove {to_erase} from wrong graph!")
        if to_erase._erased:
            warnings.warn(f"erase_node({to_erase}) on an already erased node")
            return
        to_erase._remove_from_list()
        to_erase._erased = True
        self._len -= 1
        to_erase._update_args_kwargs(map_arg(to_erase.args, lambda n: None),
                                     map_arg(to_erase.kwargs, lambda n: None))

    def inserting_before(self, n=None):
        """`with graph.inserting_before(n):` new nodes go just before `n` (the start if None)."""
        if n is None:
            return self.inserting_after(self._root)
        self._check_owner(n)
        return _InsertPoint(self, n.prepend)

    def inserting_after(self, n=None):
        """`with graph.inserting_after(n):` new nodes go just after `n` (the end if None)."""
        if n is None:
            return self.inserting_before(self._root)
        self._check_owner(n)
        return _InsertPoint(self, n.append)

    def _check_owner(self, n):
        if n.graph is not self:
            raise AssertionError("Node to insert before is not in graph.")

    def eliminate_dead_code(self, is_impure_node=None):
        """Erase nodes without users that have no side effects, last first; returns whether any went."""
        self.lint()
        impure = is_impure_node or (lambda n: n.is_impure())
        changed = False
        for node in reversed(self.nodes):
            if not node.users and not impure(node):
                self.erase_node(node)
                changed = True
        return changed

    def lint(self):
        """Check the graph: every argument is a node of this graph defined earlier, names are unique, opcodes
        known; with an owning module, call_module and get_attr targets exist."""
        seen_names, seen = set(), set()
        for node in self.nodes:
            if node.op not in ("placeholder", "call_method", "call_module", "call_function", "get_attr",
                               "output"):
                raise RuntimeError(f"Node {node} had unknown opcode {node.op}!")
            if node.graph is not self:
                raise RuntimeError(f"Node '{node}' does not belong to this Graph!")
            for arg in node._input_nodes:
                where = f" of Node '{node}' "
                if arg.graph is not self:
                    raise RuntimeError(f"Argument '{arg}'{where}does not belong to this Graph, but was used as an "
                                       "argument! If you are copying nodes from another graph, make sure to use "
                                       f"``arg_transform`` on node_copy() to remap values\n{self}")
                if arg not in seen:
                    raise RuntimeError(f"Argument '{arg}'{where}was used before it has been defined! Please "
                                       f"check that Nodes in the graph are topologically ordered\n{self}")
            if node.name in seen_names:
                raise RuntimeError(f"Node redefined name {node.name}!")
            seen_names.add(node.name)
            seen.add(node)
        if self.owning_module is not None:
            for node in self.nodes:
                if node.op in ("get_attr", "call_module"):
                    self._lint_target(node)

    def _lint_target(self, node):
        from ..nn import Module
        obj, path = self.owning_module, []
        for atom in node.target.split("."):
            if not hasattr(obj, atom):
                seen = ".".join(path)
                raise RuntimeError(f"Node {node} target {node.target} references nonexistent attribute {atom} of "
                                   f"{seen}")
            obj = getattr(obj, atom)
            path.append(atom)
        if node.op == "call_module" and not isinstance(obj, Module):
            raise RuntimeError(f"Node {node} target {node.target} {atom} of {'.'.join(path[:-1])} does not "
                               "reference an nn.Module")

    # ----- printing and code ------------------------------------------------------------------------
    def __str__(self):
        lines = ["graph():"] + [f"    {node.format_node()}" for node in self.nodes]
        return "\n".join(lines)

    def print_tabular(self):
        """Print the nodes as a table (opcode, name, target, args, kwargs), laid out as torch's."""
        print(tabulate([[n.op, n.name, n.target, n.args, n.kwargs] for n in self.nodes],
                       ["opcode", "name", "target", "args", "kwargs"]))

    def python_code(self, root_module, *, verbose=False):
        """PythonCode (src, globals) of `forward` for this graph, with the module reached as `root_module`;
        verbose adds the comments print_readable shows."""
        return _codegen.python_code(self, root_module, verbose)


def tabulate(rows, headers):
    """A plain table: columns two spaces apart, at least two wider than their header, a dashed rule under
    the header, cells left-aligned, trailing spaces trimmed (the `tabulate` package's "simple" layout)."""
    cells = [[str(c).strip() for c in row] for row in rows]
    widths = [max([len(h) + 2] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]

    def line(values):
        return "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(row) for row in cells])
