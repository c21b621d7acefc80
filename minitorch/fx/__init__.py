"""`minitorch.fx`: capture a module's forward as a graph, change the graph, and run it again as code.

`symbolic_trace(module)` runs forward on Proxies and records every operation as a Node of a Graph; the result
is a GraphModule whose forward is Python written from that graph (`gm.code`). Passes walk or rewrite
`gm.graph` (see `Interpreter`, `Transformer`, `subgraph_rewriter.replace_pattern`, `passes.shape_prop`,
`experimental.optimization.fuse`) and `gm.recompile()` writes the code again. Beyond torch, for the workbook:
`drawing.draw_graph` draws a graph with matplotlib, `profiling.NodeProfiler` times each node.
See https://pytorch.org/docs/stable/fx.html"""
from .. import _assert
from ._symbolic_trace import PH, Tracer, symbolic_trace, wrap
from .graph import Graph
from .graph_module import GraphModule
from .interpreter import Interpreter, Transformer
from .node import Node, has_side_effect, map_arg
from .proxy import Proxy, TraceError
from .subgraph_rewriter import replace_pattern
from . import passes, experimental, drawing, profiling

__all__ = ["symbolic_trace", "Tracer", "wrap", "Graph", "GraphModule", "Interpreter", "Transformer", "Node",
           "Proxy", "replace_pattern", "has_side_effect", "map_arg", "PH", "TraceError"]

has_side_effect(_assert)
