"""The pooling layers beyond pooling.py: MaxPool3d, AvgPool3d, adaptive average and max pooling of every
rank, FractionalMaxPool2d/3d, LPPool1d/2d/3d and MaxUnpool1d/2d/3d.
See https://pytorch.org/docs/stable/nn.html#pooling-layers"""
from .. import functional as F
from .module import Module
from .pooling import _AvgPool, _MaxPoolNd

__all__ = ["MaxPool3d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d", "LPPool1d",
           "LPPool2d", "LPPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class MaxPool3d(_MaxPoolNd):
    """The maximum over sliding windows of (N, C, D, H, W)."""

    def forward(self, input):
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool3d(_AvgPool):
    """The mean over sliding windows of (N, C, D, H, W)."""

    _function = F.avg_pool3d


class _Adaptive(Module):
    """Pooling to a fixed output size; subclasses name their function in `_function`."""

    __constants__ = ["output_size"]
    _function = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self)._function(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_Adaptive):
    """Average pooling of (N, C, L) to a fixed length."""

    _function = F.adaptive_avg_pool1d


class AdaptiveAvgPool3d(_Adaptive):
    """Average pooling of (N, C, D, H, W) to a fixed (OD, OH, OW)."""

    _function = F.adaptive_avg_pool3d


class _AdaptiveMax(_Adaptive):
    """Adaptive max pooling, optionally returning where each maximum was."""

    __constants__ = ["output_size", "return_indices"]

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return type(self)._function(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMax):
    """Max pooling of (N, C, L) to a fixed length."""

    _function = F.adaptive_max_pool1d


class AdaptiveMaxPool2d(_AdaptiveMax):
    """Max pooling of (N, C, H, W) to a fixed (OH, OW)."""

    _function = F.adaptive_max_pool2d


class AdaptiveMaxPool3d(_AdaptiveMax):
    """Max pooling of (N, C, D, H, W) to a fixed (OD, OH, OW)."""

    _function = F.adaptive_max_pool3d


class _FractionalMaxPool(Module):
    """Max pooling over windows at pseudo-random starts (Graham, 2014), to output_size or output_ratio of the
    input; `_random_samples` (a buffer, normally None) fixes the starts."""

    __constants__ = ["kernel_size", "return_indices", "output_size", "output_ratio"]
    _function = None
    _nd = None

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        nd = self._nd
        self.kernel_size = _tuple(kernel_size, nd)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _tuple(output_size, nd) if output_size is not None else None
        self.output_ratio = _tuple(output_ratio, nd) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"FractionalMaxPool{nd}d requires specifying either an output size, or a pooling "
                             f"ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        return type(self)._function(input, self.kernel_size, self.output_size, self.output_ratio,
                                    self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPool):
    """Fractional max pooling of (N, C, H, W)."""

    _function = F.fractional_max_pool2d
    _nd = 2


class FractionalMaxPool3d(_FractionalMaxPool):
    """Fractional max pooling of (N, C, D, H, W)."""

    _function = F.fractional_max_pool3d
    _nd = 3


class _LPPool(Module):
    """The p-norm over sliding windows; subclasses name their function in `_function`."""

    __constants__ = ["norm_type", "kernel_size", "stride", "ceil_mode"]
    _function = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return type(self)._function(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPool):
    """The p-norm over sliding windows of (N, C, L)."""

    _function = F.lp_pool1d


class LPPool2d(_LPPool):
    """The p-norm over sliding windows of (N, C, H, W)."""

    _function = F.lp_pool2d


class LPPool3d(_LPPool):
    """The p-norm over sliding windows of (N, C, D, H, W)."""

    _function = F.lp_pool3d


class _MaxUnpool(Module):
    """The inverse of max pooling (non-maxima become zeros); subclasses name `_function` and `_nd`."""

    _function = None
    _nd = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _tuple(kernel_size, self._nd)
        self.stride = _tuple(stride if stride is not None else kernel_size, self._nd)
        self.padding = _tuple(padding, self._nd)

    def forward(self, input, indices, output_size=None):
        return type(self)._function(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    """The inverse of MaxPool1d."""

    _function = F.max_unpool1d
    _nd = 1


class MaxUnpool2d(_MaxUnpool):
    """The inverse of MaxPool2d."""

    _function = F.max_unpool2d
    _nd = 2


class MaxUnpool3d(_MaxUnpool):
    """The inverse of MaxPool3d."""

    _function = F.max_unpool3d
    _nd = 3
