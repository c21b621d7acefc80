"""Passes over fx graphs: `shape_prop.ShapeProp` records each node's output shape and dtype."""
from . import shape_prop

__all__ = ["shape_prop"]
