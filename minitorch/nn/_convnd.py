"""Convolutions of any spatial rank for the ops the 2-D code of _conv.py does not cover: conv3d,
conv_transpose1d, conv_transpose3d and conv_tbc.

The same scheme as _conv.py, written once for N spatial dims: im2col takes a strided view of the padded
input (N, C, *K, *OUT) and lays it out as channel-major columns (C * prod(K), N * prod(OUT)), one batched
GEMM per group multiplies them, and col2im adds one strided slice per kernel offset back. Each op is one
graph node whose backward is built from linear nodes (im2col / col2im are each other's adjoint), so
double backward works. See https://pytorch.org/docs/stable/nn.functional.html#convolution-functions"""
import itertools
import math

from .._device import array_module
from .._tensor import Tensor
from ..autograd import grad_mode
from ..ops._core import make
from ..ops.linalg import matmul
from ._composite import composite_node
from ._conv import (_check_conv, _check_geometry, _conv_arg, _conv_pads, _linear, _out_size, _padded_extent,
                    _unbatched)

__all__ = ["conv3d", "conv_transpose1d", "conv_transpose3d", "conv_tbc"]

_wrap = Tensor._wrap


# ----- im2col / col2im for N spatial dims ----------------------------------------------------------------
def _im2col(x, k, s, pads, d, out):
    """(N, C, *S) -> channel-major columns (C * prod(k), N * prod(out))."""
    xp = array_module(x)
    n, c = x.shape[:2]
    nd = len(k)
    pads = tuple((lo, max(hi, _padded_extent(size, kk, ss, dd, lo, o)))
                 for size, kk, ss, dd, (lo, hi), o in zip(x.shape[2:], k, s, d, pads, out))
    xpad = xp.ascontiguousarray(xp.pad(x, ((0, 0), (0, 0)) + pads)) if any(map(any, pads)) else \
        xp.ascontiguousarray(x)
    st = xpad.strides
    windows = xp.lib.stride_tricks.as_strided(
        xpad, (n, c) + tuple(k) + tuple(out),
        st[:2] + tuple(st[2 + i] * d[i] for i in range(nd)) + tuple(st[2 + i] * s[i] for i in range(nd)))
    order = (1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, 2 + 2 * nd))
    return windows.transpose(order).reshape(c * math.prod(k), n * math.prod(out))


def _col2im(cols, size, k, s, pads, d, out, n):
    """Channel-major columns -> (N, C, *size), summing overlapping windows: the adjoint of _im2col."""
    xp = array_module(cols)
    nd = len(k)
    c = cols.shape[0] // math.prod(k)
    windows = cols.reshape((c,) + tuple(k) + (n,) + tuple(out))
    full = [max(size[a] + pads[a][0] + pads[a][1], (out[a] - 1) * s[a] + d[a] * (k[a] - 1) + 1) for a in range(nd)]
    buf = xp.zeros((c, n, *full), dtype=cols.dtype)
    for offset in itertools.product(*(range(kk) for kk in k)):
        key = tuple(slice(o * d[a], o * d[a] + s[a] * (out[a] - 1) + 1, s[a]) for a, o in enumerate(offset))
        buf[(slice(None), slice(None)) + key] += windows[(slice(None),) + offset]
    crop = tuple(slice(lo, lo + size[a]) for a, (lo, _) in enumerate(pads))
    return buf[(slice(None), slice(None)) + crop].swapaxes(0, 1)


def _unfold(x, k, s, pads, d, out):
    size, n = tuple(x.shape[2:]), x.shape[0]
    return _linear(x, lambda a: _im2col(a, k, s, pads, d, out), lambda a: _col2im(a, size, k, s, pads, d, out, n),
                   "Im2ColBackward0", "Col2ImBackward0")


def _fold(cols, size, k, s, pads, d, out, n):
    return _linear(cols, lambda a: _col2im(a, size, k, s, pads, d, out, n),
                   lambda a: _im2col(a, k, s, pads, d, out), "Col2ImBackward0", "Im2ColBackward0")


# ----- convolution ----------------------------------------------------------------------------------------
def _convolution(input, weight, bias, stride, pads, dilation, groups):
    """The conv node on input (N, C, *S) and weight (O, C/groups, *K)."""
    x, w = input._data, weight._data
    n, c, size = x.shape[0], x.shape[1], x.shape[2:]
    o, cg, k = w.shape[0], w.shape[1], w.shape[2:]
    padded = [size[a] + pads[a][0] + pads[a][1] for a in range(len(k))]
    if any(p < dd * (kk - 1) + 1 for p, kk, dd in zip(padded, k, dilation)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(str(dd * (kk - 1) + 1) for kk, dd in zip(k, dilation))}). Kernel size can't "
                           f"be greater than actual input size")
    out = tuple(_out_size(size[a], k[a], stride[a], *pads[a], dilation[a]) for a in range(len(k)))
    length, ckk, og = math.prod(out), cg * math.prod(k), o // groups
    xp = array_module(x)
    cols = _im2col(x, k, stride, pads, dilation, out)
    y = xp.matmul(w.reshape(groups, og, ckk), cols.reshape(groups, ckk, n * length))
    y = xp.ascontiguousarray(y.reshape(o, n, length).swapaxes(0, 1)).reshape((n, o) + out)
    if bias is not None:
        y += bias._data.reshape((o,) + (1,) * len(k))

    def backward(g):
        rows = g.reshape(n, o, length).transpose(0, 1).reshape(groups, og, n * length)
        gi = gw = gb = None
        if input._requires_grad:
            gcols = matmul(weight.reshape(groups, og, ckk).transpose(1, 2), rows).reshape(c * math.prod(k), -1)
            gi = _fold(gcols, size, k, stride, pads, dilation, out, n)
        if weight._requires_grad:
            cols_t = _unfold(input, k, stride, pads, dilation, out) if grad_mode._state["enabled"] else _wrap(cols)
            gw = matmul(cols_t.reshape(groups, ckk, n * length), rows.transpose(1, 2)).transpose(1, 2)
            gw = gw.reshape(weight.shape)
        if bias is not None and bias._requires_grad:
            gb = g.sum((0,) + tuple(range(2, g.dim())))
        return gi, gw, gb
    return make(y, "ConvolutionBackward0", (input, weight, bias), backward)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D cross-correlation of (N, C_in, D, H, W) with weight (C_out, C_in/groups, KD, KH, KW); padding
    may be an int, a triple, 'valid' or 'same'."""
    _check_conv(input, weight, bias, groups, False, "conv3d", 3)
    stride, dilation = _conv_arg(stride, 3, "stride"), _conv_arg(dilation, 3, "dilation")
    _check_geometry(stride, dilation)
    pads = _conv_pads(padding, tuple(weight.shape[2:]), dilation, stride, 3)
    return _unbatched(_convolution, input, 5, weight, bias, stride, pads, dilation, groups)


def _transposed(input, weight, bias, stride, padding, output_padding, dilation, groups):
    """The transposed conv node: col2im of weight^T @ input, weight (C_in, C_out/groups, *K)."""
    x, w = input._data, weight._data
    n, cin, size = x.shape[0], x.shape[1], x.shape[2:]
    og, k = w.shape[1], w.shape[2:]
    nd = len(k)
    o, cg, pads = og * groups, cin // groups, tuple((p, p) for p in padding)
    out = tuple((size[a] - 1) * stride[a] - 2 * padding[a] + dilation[a] * (k[a] - 1) + output_padding[a] + 1
                for a in range(nd))
    if any(v <= 0 for v in out):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, size))}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, out))}). Output size is too small")
    length, okk = math.prod(size), og * math.prod(k)
    xp = array_module(x)
    rows = x.reshape(n, groups, cg, length).transpose(1, 2, 0, 3).reshape(groups, cg, n * length)
    cols = xp.matmul(w.reshape(groups, cg, okk).transpose(0, 2, 1), rows)
    y = xp.ascontiguousarray(_col2im(cols.reshape(o * math.prod(k), n * length), out, k, stride, pads, dilation,
                                     size, n))
    if bias is not None:
        y += bias._data.reshape((o,) + (1,) * nd)

    def backward(g):
        gcols = _unfold(g, k, stride, pads, dilation, size).reshape(groups, okk, n * length)
        gi = gw = gb = None
        if input._requires_grad:
            gi = matmul(weight.reshape(groups, cg, okk), gcols).reshape(cin, n, *size).transpose(0, 1)
        if weight._requires_grad:
            rows_t = (input.reshape(n, groups, cg, length).permute(1, 2, 0, 3).reshape(groups, cg, n * length)
                      if grad_mode._state["enabled"] else _wrap(rows))
            gw = matmul(rows_t, gcols.transpose(1, 2)).reshape(weight.shape)
        if bias is not None and bias._requires_grad:
            gb = g.sum((0,) + tuple(range(2, g.dim())))
        return gi, gw, gb
    return make(y, "ConvolutionBackward0", (input, weight, bias), backward)


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd, name):
    _check_conv(input, weight, bias, groups, True, name, nd)
    stride, padding = _conv_arg(stride, nd, "stride"), _conv_arg(padding, nd, "padding")
    output_padding, dilation = _conv_arg(output_padding, nd, "output_padding"), _conv_arg(dilation, nd, "dilation")
    _check_geometry(stride, dilation, padding)
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        # torch runs a 1-D transposed convolution as a 2-D one of height 1, and says so
        dims = ("height", "width") if nd == 1 else ("depth", "height", "width")
        values = [(0, 1, 1)] * (len(dims) - nd) + list(zip(output_padding, stride, dilation))
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(
            [f"output_padding_{d}: {v[0]}" for d, v in zip(dims, values)] +
            [f"stride_{d}: {v[1]}" for d, v in zip(dims, values)] +
            [f"dilation_{d}: {v[2]}" for d, v in zip(dims, values)]))
    return _unbatched(lambda x: _transposed(x, weight, bias, stride, padding, output_padding, dilation, groups),
                      input, nd + 2)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv1d over (N, C_in, L): weight (C_in, C_out/groups, K)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv3d over (N, C_in, D, H, W): weight (C_in, C_out/groups, KD, KH, KW)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")


def conv_tbc(input, weight, bias, pad=0):
    """1-D convolution in time-batch-channel layout: input (T, B, C_in), weight (K, C_in, C_out), bias
    (C_out); the output is (T + 2 * pad - K + 1, B, C_out)."""
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")

    def build(x, w, b):
        return _convolution(x.permute(1, 2, 0), w.permute(2, 1, 0), b, (1,), ((pad, pad),), (1,), 1).permute(2, 0, 1)
    return composite_node("ConvTbcBackward0", build, (input, weight, bias))
