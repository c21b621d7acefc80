"""`ShapeProp`: run a GraphModule on example inputs and record, on every node that produced tensors, their
shape, dtype, strides and whether they require grad (`node.meta['tensor_meta']`), and each result's type
(`node.meta['type']`). A FLOP count or a memory plan per node starts from here.
See https://pytorch.org/docs/stable/fx.html (torch.fx.passes.shape_prop)"""
from collections import namedtuple

from ..._tensor import Tensor
from ..interpreter import Interpreter
from ..node import map_aggregate

__all__ = ["TensorMetadata", "ShapeProp"]

TensorMetadata = namedtuple("TensorMetadata", ["shape", "dtype", "requires_grad", "stride", "memory_format",
                                               "is_quantized", "qparams"])


def _extract_tensor_metadata(t):
    """TensorMetadata of one tensor (memory_format is None: minitorch has no channels-last layouts)."""
    return TensorMetadata(t.shape, t.dtype, t.requires_grad, t.stride(), None, t.is_quantized, {})


class ShapeProp(Interpreter):
    """`ShapeProp(gm).propagate(*example_inputs)` runs gm and annotates its nodes."""

    def run_node(self, n):
        result = super().run_node(n)
        found = []

        def extract(obj):
            if isinstance(obj, Tensor):
                found.append(obj)
                return _extract_tensor_metadata(obj)
            return obj
        meta = map_aggregate(result, extract)
        if found:
            n.meta["tensor_meta"] = meta
        n.meta["type"] = type(result)
        return result

    def propagate(self, *args):
        """Run the module on `args`, recording the metadata; returns the module's result."""
        return super().run(*args)
