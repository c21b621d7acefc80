"""Drawing a graph with matplotlib (beyond torch: its FxGraphDrawer needs pydot and graphviz).

Nodes are laid out top to bottom by depth (the longest path from an input), side by side within a depth, as
boxes coloured by opcode; an arrow runs from each node to every node that uses it."""
__all__ = ["draw_graph", "OP_COLORS"]

OP_COLORS = {"placeholder": "#cfe2f3", "get_attr": "#fff2cc", "call_module": "#d9ead3",
             "call_function": "#f4cccc", "call_method": "#ead1dc", "output": "#d9d2e9"}


def _label(node):
    from .node import _pretty_target
    if node.op in ("placeholder", "output"):
        return f"{node.name}\n{node.op}"
    target = _pretty_target(node.target)
    return f"{node.name}\n{node.op}: {target}" if target != node.name else f"{node.name}\n{node.op}"


def layout(graph):
    """{node: (x, depth)}: depth is the longest path from a node without inputs; x centres each row."""
    depth = {}
    for node in graph.nodes:
        depth[node] = 1 + max((depth[n] for n in node.all_input_nodes), default=-1)
    rows = {}
    for node, d in depth.items():
        rows.setdefault(d, []).append(node)
    return {n: (i - (len(row) - 1) / 2, d) for d, row in rows.items() for i, n in enumerate(row)}


def draw_graph(graph_or_module, ax=None, width=3.2, height=1.0):
    """Draw a Graph (or a GraphModule's graph) on `ax` (a new figure if None); returns the axes."""
    import matplotlib.pyplot as plt
    graph = getattr(graph_or_module, "graph", graph_or_module)
    pos = layout(graph)
    depth = max(d for _, d in pos.values()) + 1
    span = max(abs(x) for x, _ in pos.values()) + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(min(2 + 1.6 * 2 * span, 14), 1 + 0.9 * depth))
    for node, (x, d) in pos.items():
        for user in node.users:
            ux, ud = pos[user]
            ax.annotate("", xy=(ux * width, -ud * height * 1.6 + 0.3), xytext=(x * width, -d * height * 1.6 - 0.3),
                        arrowprops=dict(arrowstyle="->", color="#555555", lw=0.8))
        ax.text(x * width, -d * height * 1.6, _label(node), ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round,pad=0.3", fc=OP_COLORS[node.op], ec="#444444", lw=0.6))
    ax.set_xlim(-span * width, span * width)
    ax.set_ylim(-(depth - 0.4) * height * 1.6, 0.6 * height * 1.6)
    ax.axis("off")
    return ax
