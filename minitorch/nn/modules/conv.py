"""Convolution layers: Conv1d, Conv2d, Conv3d and their transposes ConvTranspose1d/2d/3d. See
https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html"""
import math

from ..._creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


def _ntuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _ConvNd(Module):
    """What the convolution layers share: argument checks, the weight (out, in/groups, *kernel), or
    (in, out/groups, *kernel) when transposed, torch's default init and repr."""

    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding", "in_channels",
                     "out_channels", "kernel_size"]

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None, nd=2):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {set(('same', 'valid'))}")
            if padding == "same" and any(s != 1 for s in _ntuple(stride, nd)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        modes = set(("zeros", "reflect", "replicate", "circular"))  # printed in torch's (hash-seeded) set order
        if padding_mode not in modes:
            raise ValueError(f"padding_mode must be one of {modes}, but got padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _ntuple(kernel_size, nd), _ntuple(stride, nd)
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, nd)
        self.dilation, self.transposed = _ntuple(dilation, nd), transposed
        self.output_padding, self.groups, self.padding_mode = _ntuple(output_padding, nd), groups, padding_mode
        if padding == "same":
            pads = []
            for d, k in zip(reversed(self.dilation), reversed(self.kernel_size)):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
            self._reversed_padding_repeated_twice = pads
        elif padding == "valid":
            self._reversed_padding_repeated_twice = [0, 0] * nd
        else:
            self._reversed_padding_repeated_twice = tuple(p for p in reversed(self.padding) for _ in range(2))
        shape = ((in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups))
        self.weight = Parameter(empty(shape + self.kernel_size, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """torch's default: kaiming_uniform_(a=sqrt(5)) for the weight, U(-1/sqrt(fan_in), ..) for the bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _padded(self, input):
        """The padding and input for the functional call: non-zero padding modes pad explicitly first."""
        if self.padding_mode == "zeros":
            return self.padding, input
        return 0, F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """A convolution of `_nd` spatial dims; subclasses set `_nd` and name their function in `_function`.
    _conv_forward(input, weight, bias) is torch's hook for layers that transform their weight first."""

    _function = None
    _nd = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias,
                         padding_mode, device, dtype, nd=self._nd)

    def _conv_forward(self, input, weight, bias):
        padding, input = self._padded(input)
        return type(self)._function(input, weight, bias, self.stride, padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) inputs: weight (C_out, C_in/groups, K)."""

    _function = F.conv1d
    _nd = 1


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) inputs: weight (C_out, C_in/groups, KH, KW)."""

    _function = F.conv2d
    _nd = 2


class Conv3d(_Conv):
    """3-D convolution over (N, C_in, D, H, W) inputs: weight (C_out, C_in/groups, KD, KH, KW)."""

    _function = F.conv3d
    _nd = 3


class _ConvTransposeNd(_ConvNd):
    """A transposed convolution: weight (C_in, C_out/groups, *kernel); forward(input, output_size) picks the
    output_padding that gives output_size. Subclasses set `_nd` and name their function in `_function`."""

    _function = None
    _nd = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding,
                         groups, bias, padding_mode, device, dtype, nd=self._nd)

    def _output_padding(self, input, output_size):
        """The output_padding for the requested output_size (torch's checks and messages)."""
        if output_size is None:
            return self.output_padding
        nd = len(self.kernel_size)
        lead = 2 if input.dim() == nd + 2 else 1
        output_size = list(output_size)
        if len(output_size) == lead + nd:
            output_size = output_size[lead:]
        if len(output_size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.dim()}D input, output_size must have {nd} or "
                             f"{lead + nd} elements (got {len(output_size)})")
        low = [(input.shape[lead + a] - 1) * self.stride[a] - 2 * self.padding[a]
               + self.dilation[a] * (self.kernel_size[a] - 1) + 1 for a in range(nd)]
        high = [low[a] + self.stride[a] - 1 for a in range(nd)]
        for a, size in enumerate(output_size):
            if size < low[a] or size > high[a]:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {low} to "
                                 f"{high} (for an input of torch.Size({list(input.shape[2:])}))")  # sic, as torch
        return tuple(output_size[a] - low[a] for a in range(nd))

    def forward(self, input, output_size=None):
        return type(self)._function(input, self.weight, self.bias, self.stride, self.padding,
                                    self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """The adjoint of Conv1d: weight (C_in, C_out/groups, K)."""

    _function = F.conv_transpose1d
    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """The adjoint of Conv2d (upsampling "deconvolution"): weight (C_in, C_out/groups, KH, KW)."""

    _function = F.conv_transpose2d
    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    """The adjoint of Conv3d: weight (C_in, C_out/groups, KD, KH, KW)."""

    _function = F.conv_transpose3d
    _nd = 3
