"""Experimental fx tools, as in torch: `optimization.fuse` folds batch norms into the convolutions before them."""
from . import optimization

__all__ = ["optimization"]
