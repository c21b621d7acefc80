"""The fused containers: Sequentials of modules of given types, made by fuse_modules."""
from ....nn import BatchNorm1d, BatchNorm2d, Conv2d, Linear, ReLU, Sequential


class _FusedModule(Sequential):
    """A Sequential that quantization swaps as one unit. Subclasses list the module types they hold."""

    _types = ()

    def __init__(self, *modules):
        if tuple(type(m) for m in modules) != self._types:
            raise AssertionError(f"Incorrect types for input modules{''.join(str(type(m)) for m in modules)}")
        super().__init__(*modules)


class ConvReLU2d(_FusedModule):
    """Conv2d then ReLU."""
    _types = (Conv2d, ReLU)


class ConvBn2d(_FusedModule):
    """Conv2d then BatchNorm2d (for quantization-aware training; eval-mode fusion folds the bn instead)."""
    _types = (Conv2d, BatchNorm2d)


class ConvBnReLU2d(_FusedModule):
    """Conv2d, BatchNorm2d, ReLU."""
    _types = (Conv2d, BatchNorm2d, ReLU)


class LinearReLU(_FusedModule):
    """Linear then ReLU."""
    _types = (Linear, ReLU)


class LinearBn1d(_FusedModule):
    """Linear then BatchNorm1d (for quantization-aware training)."""
    _types = (Linear, BatchNorm1d)


class BNReLU2d(_FusedModule):
    """BatchNorm2d then ReLU."""
    _types = (BatchNorm2d, ReLU)
