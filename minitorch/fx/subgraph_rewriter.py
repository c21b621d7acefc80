"""`replace_pattern`: find every copy of a small graph (the pattern) in a GraphModule and put another small
graph (the replacement) in its place.

Matching goes backwards from the pattern's returned nodes ("anchors"), comparing opcode and target node by
node and argument by argument; the pattern's inputs match anything. A match must be self-contained (its inner
values are used nowhere else), and matches may not overlap (the first found wins).
See https://pytorch.org/docs/stable/fx.html#torch.fx.replace_pattern"""
from collections import namedtuple

from .graph import Graph
from .graph_module import GraphModule
from .node import Node

__all__ = ["Match", "replace_pattern"]

Match = namedtuple("Match", ["anchor", "nodes_map"])


def _graph_of(fn):
    if isinstance(fn, GraphModule):
        return fn.graph
    if isinstance(fn, Graph):
        return fn
    from ._symbolic_trace import symbolic_trace
    return symbolic_trace(fn).graph


class _Matcher:
    """Finds the self-contained, non-overlapping copies of `pattern` in a graph."""

    def __init__(self, pattern):
        self.placeholders = [n for n in pattern.nodes if n.op == "placeholder"]
        output = next(n for n in reversed(pattern.nodes) if n.op == "output")
        returned = output.args[0]
        self.returning = list(returned) if isinstance(returned, (tuple, list)) else [returned]
        self.anchors = [n for n in self.returning if isinstance(n, Node)]
        self.pattern = pattern

    def match(self, graph):
        found = []
        candidates = [[n for n in graph.nodes if self._same(anchor, n)] for anchor in self.anchors]

        def extend(i, nodes_map):
            if i == len(self.anchors):
                found.append(dict(nodes_map))
                return
            for node in candidates[i]:
                trial = dict(nodes_map)
                if self._match(self.anchors[i], node, trial):
                    extend(i + 1, trial)
        extend(0, {})
        return self._without_overlaps([m for m in found if self._contained(m)])

    @staticmethod
    def _same(pn, gn):
        if pn.op == "placeholder":
            return True
        return pn.op == gn.op and (pn.op == "output" or pn.target == gn.target)

    def _match(self, pn, gn, nodes_map):
        if pn in nodes_map:
            return nodes_map[pn] is gn
        if any(v is gn for v in nodes_map.values()) or not self._same(pn, gn):
            return False
        nodes_map[pn] = gn
        if pn.op == "placeholder":
            return True
        if len(pn.args) != len(gn.args) or list(pn.kwargs) != list(gn.kwargs):
            return False
        return self._match_args([*pn.args, *pn.kwargs.values()], [*gn.args, *gn.kwargs.values()], nodes_map)

    def _match_args(self, pattern_args, graph_args, nodes_map):
        if len(pattern_args) != len(graph_args):
            return False
        for a, b in zip(pattern_args, graph_args):
            if isinstance(a, Node) and isinstance(b, Node):
                ok = self._match(a, b, nodes_map)
            elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
                ok = self._match_args(a, b, nodes_map)
            elif isinstance(a, Node):  # a pattern input matching a constant
                ok = a.op == "placeholder" and nodes_map.setdefault(a, b) == b
            else:
                ok = not isinstance(b, Node) and type(a) is type(b) and a == b
            if not ok:
                return False
        return True

    def _contained(self, nodes_map):
        inner = {gn: pn for pn, gn in nodes_map.items() if isinstance(gn, Node) and pn.op != "placeholder"}
        return all(pn in self.returning or all(u in inner for u in gn.users) for gn, pn in inner.items())

    @staticmethod
    def _without_overlaps(matches):
        kept, taken = [], set()
        for m in matches:
            inner = [gn for pn, gn in m.items() if pn.op not in ("placeholder", "output")]
            if not any(gn in taken for gn in inner):
                kept.append(m)
                taken.update(inner)
        return kept


def replace_pattern(gm, pattern, replacement):
    """Replace every match of `pattern` in `gm` by `replacement` (functions, traced here, or GraphModules with
    the same inputs); returns the Matches (anchor, nodes_map) and recompiles `gm`."""
    graph = gm.graph
    pattern_graph = _graph_of(pattern)
    replacement_graph = _graph_of(replacement)
    matcher = _Matcher(pattern_graph)
    replacement_inputs = [n for n in replacement_graph.nodes if n.op == "placeholder"]
    changed = {}  # returned node of an earlier match -> what replaced it
    results = []
    for nodes_map in matcher.match(graph):
        for pn, gn in nodes_map.items():
            if isinstance(gn, Node) and gn in changed:
                nodes_map[pn] = changed[gn]
        returning = [nodes_map[n] for n in matcher.returning]
        val_map = {rn: nodes_map[pn] for rn, pn in zip(replacement_inputs, matcher.placeholders)}
        with graph.inserting_before(_insert_point(graph, returning)):
            copied = graph.graph_copy(replacement_graph, val_map)
        copied = list(copied) if isinstance(copied, (tuple, list)) else [copied]
        for gn, new in zip(returning, copied):
            gn.replace_all_uses_with(new)
            changed[gn] = new
        for pn in reversed(pattern_graph.nodes):
            if pn.op not in ("placeholder", "output"):
                graph.erase_node(nodes_map[pn])
        results.append(Match(anchor=matcher.anchors[0], nodes_map=nodes_map))
    gm.recompile()
    if isinstance(replacement, GraphModule):
        _copy_replacement_attributes(gm, replacement)
    return results


def _insert_point(graph, returning):
    """Before the first user of the match's results (or the node after them, if they have no users)."""
    users = {u for n in returning for u in n.users}
    if users:
        return next(n for n in graph.nodes if n in users)
    following = None
    for n in reversed(graph.nodes):
        if n in returning:
            return following
        following = n
    raise RuntimeError("The insert point can't be None")


def _copy_replacement_attributes(gm, replacement):
    """Submodules and attributes the replacement's nodes read, copied onto `gm` where it lacks them."""
    from .graph_module import _copy_attr
    for node in gm.graph.nodes:
        if node.op in ("get_attr", "call_module"):
            try:
                gm.get_submodule(node.target) if node.op == "call_module" else _fetch(gm, node.target)
            except AttributeError:
                _copy_attr(replacement, gm, node.target)


def _fetch(module, target):
    for atom in target.split("."):
        module = getattr(module, atom)
    return module
