"""`NodeProfiler`: an Interpreter that times every node of a GraphModule (beyond torch, for the workbook).

Chapter 07's profiler names ops by their aten names; here each row is a node of the traced graph, so the cost
shows against the code the user wrote: which layer, which function call, which method. Times are wall-clock
seconds summed over runs; on a GPU each node's time includes waiting for its kernels."""
import time

from .._tensor import Tensor
from .graph import tabulate
from .interpreter import Interpreter
from .node import _pretty_target, map_aggregate

__all__ = ["NodeProfiler"]


class NodeProfiler(Interpreter):
    """`NodeProfiler(gm).profile(*inputs, runs=5)` runs gm `runs` times and returns its last result;
    `totals()` then gives {node name: seconds}, `table()` a printable summary, slowest first."""

    def __init__(self, module):
        super().__init__(module)
        self.times = {n.name: 0.0 for n in self.graph.nodes}
        self.runs = 0

    def run_node(self, n):
        start = time.perf_counter()
        result = super().run_node(n)
        map_aggregate(result, _wait_for_device)
        self.times[n.name] += time.perf_counter() - start
        return result

    def profile(self, *args, runs=1):
        result = None
        for _ in range(runs):
            result = self.run(*args)
            self.runs += 1
        return result

    def totals(self):
        """{node name: mean seconds per run}."""
        return {name: t / max(self.runs, 1) for name, t in self.times.items()}

    def table(self, top=None):
        """Nodes by mean time per run, slowest first: name, opcode, target, milliseconds, share of the total."""
        nodes = {n.name: n for n in self.graph.nodes}
        means = sorted(self.totals().items(), key=lambda kv: -kv[1])[:top]
        total = sum(self.totals().values()) or 1.0
        rows = [[name, nodes[name].op, _pretty_target(nodes[name].target), f"{t * 1e3:.3f}", f"{100 * t / total:.1f}%"]
                for name, t in means]
        return tabulate(rows, ["node", "opcode", "target", "ms/run", "share"])


def _wait_for_device(value):
    if isinstance(value, Tensor) and value.is_cuda:
        from .. import cuda
        cuda.synchronize(value.device)
    return value
