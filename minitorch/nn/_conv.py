"""Convolution and pooling for torch.nn.functional: conv1d/conv2d/conv_transpose2d, max/avg pooling,
adaptive average pooling, unfold/fold.

Every convolution is im2col + one batched GEMM: the input's sliding windows become columns
(N, C*KH*KW, OH*OW) and the weight multiplies them. On cpu the windows are a strided view of the padded
input (no copy until the GEMM needs contiguous columns) and col2im adds one strided slice per kernel
offset; on cuda the kernels of backends/cuda do both. 1-D ops run as 2-D ops over a height of one.
Each op is one graph node; backwards are built from Tensor ops (or from linear nodes whose own backward
is the forward map) so that create_graph works."""
import numpy as np

from .._device import array_module
from .._tensor import Tensor
from ..backends.cuda import uses_kernels
from ..autograd import grad_mode
from ..ops._core import make
from ..ops.index import _add_at
from ..ops.linalg import matmul
from ..ops.pointwise import _dtype_name

__all__ = ["conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
           "adaptive_avg_pool2d", "unfold", "fold"]

_wrap = Tensor._wrap


# ----- geometry -------------------------------------------------------------------------------------------
def _ntuple(value, n):
    """An int or a sequence as an n-tuple of ints (a single value repeats)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    return value * n if len(value) == 1 else value


def _conv_arg(value, n, name):
    out = _ntuple(value, n)
    if len(out) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                           f"convolution dimensions, but got {name}={list(out)}")
    return out


def _out_size(size, k, s, lo, hi, d):
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def _cuda_ops():
    from ..backends.cuda import ops
    return ops


def _pad(x, pads, value=0):
    """x padded on its last two axes by pads ((top, bottom), (left, right))."""
    if not any(p for pair in pads for p in pair):
        return x
    xp = array_module(x)
    (t, b), (lft, r) = pads
    h, w = x.shape[-2:]
    out = xp.full(x.shape[:-2] + (h + t + b, w + lft + r), value, dtype=x.dtype)
    out[..., t:t + h, lft:lft + w] = x
    return out


def _offsets(k, s, d, out_hw):
    """For each kernel offset (i, j): the strided slice of the padded input it reads at every output."""
    return [(i, j, (Ellipsis, slice(i * d[0], i * d[0] + s[0] * (out_hw[0] - 1) + 1, s[0]),
                     slice(j * d[1], j * d[1] + s[1] * (out_hw[1] - 1) + 1, s[1])))
            for i in range(k[0]) for j in range(k[1])]


def _padded_extent(size, k, s, d, lo, out):
    """Padding after the input so that every window of `out` outputs lies inside the buffer."""
    return max(0, (out - 1) * s + d * (k - 1) + 1 - size - lo)


def _symmetric(pads):
    return all(lo == hi for lo, hi in pads)


def _kernel_fits(in_hw, k, s, pads, d, out_hw):
    """Whether the cuda kernels (symmetric padding, output size from the formula) apply."""
    return _symmetric(pads) and all(_out_size(in_hw[a], k[a], s[a], *pads[a], d[a]) == out_hw[a] for a in (0, 1))


# ----- im2col / col2im on arrays ----------------------------------------------------------------------------
# Columns come in two layouts: batch-major (N, C*KH*KW, OH*OW), what F.unfold returns, and channel-major
# (C*KH*KW, N*OH*OW), what convolution uses: it turns the whole batch into one large GEMM, several times
# faster with BLAS than N small ones.
def _im2col(x, k, s, pads, d, out_hw, channel_major=False):
    """(N, C, H, W) -> columns (batch-major, or channel-major); an unbatched (C, H, W) gives (C*KH*KW, L)."""
    if x.ndim == 3:
        return _im2col(x[None], k, s, pads, d, out_hw)[0]
    n, c, h, w = x.shape
    rows, length = c * k[0] * k[1], out_hw[0] * out_hw[1]
    if uses_kernels(x) and _kernel_fits((h, w), k, s, pads, d, out_hw):
        cols = _cuda_ops().im2col(x, k, s, (pads[0][0], pads[1][0]), d)
        return cols.transpose(1, 0, 2).reshape(rows, n * length) if channel_major else cols
    xp = array_module(x)
    pads = tuple((lo, max(hi, _padded_extent(size, kk, ss, dd, lo, o)))
                 for size, kk, ss, dd, (lo, hi), o in zip((h, w), k, s, d, pads, out_hw))
    xpad = xp.ascontiguousarray(_pad(x, pads))
    st = xpad.strides
    windows = xp.lib.stride_tricks.as_strided(
        xpad, (n, c) + tuple(k) + tuple(out_hw), st[:2] + (st[2] * d[0], st[3] * d[1], st[2] * s[0], st[3] * s[1]))
    if channel_major:
        return windows.transpose(1, 2, 3, 0, 4, 5).reshape(rows, n * length)
    return windows.reshape(n, rows, length)


def _col2im(cols, in_hw, k, s, pads, d, out_hw, n=None):
    """Columns -> (N, C, H, W), summing overlapping windows: the adjoint of _im2col. `n` is the batch
    size of channel-major columns (None for batch-major ones). On cpu the sums go into a buffer whose
    memory order follows the columns' (channel-major columns give a (C, N, H, W) buffer, returned as an
    (N, C, H, W) view), so that every window is read in memory order."""
    if n is None and cols.ndim == 2:
        return _col2im(cols[None], in_hw, k, s, pads, d, out_hw)[0]
    kk = k[0] * k[1]
    channel_major = n is not None
    if channel_major:
        cols = cols.reshape(cols.shape[0], n, -1).transpose(1, 0, 2)
    n, c = cols.shape[0], cols.shape[1] // kk
    if uses_kernels(cols) and _kernel_fits(in_hw, k, s, pads, d, out_hw):
        return _cuda_ops().col2im(cols, tuple(in_hw), k, s, (pads[0][0], pads[1][0]), d)
    xp = array_module(cols)
    windows = cols.reshape(n, c, k[0], k[1], out_hw[0], out_hw[1])
    (t, _), (lft, _) = pads
    full = [max(in_hw[a] + pads[a][0] + pads[a][1], (out_hw[a] - 1) * s[a] + d[a] * (k[a] - 1) + 1) for a in (0, 1)]
    buf = (xp.zeros((c, n, *full), dtype=cols.dtype).transpose(1, 0, 2, 3) if channel_major
           else xp.zeros((n, c, *full), dtype=cols.dtype))
    for i, j, key in _offsets(k, s, d, out_hw):
        buf[key] += windows[:, :, i, j]
    return buf[:, :, t:t + in_hw[0], lft:lft + in_hw[1]]


def _linear(x, forward, adjoint, name, adjoint_name, saves=False):
    """A node for a linear map of x given as array functions; its backward is the adjoint map, itself a
    node whose backward is the forward map, so gradients of any order exist."""
    return make(forward(x._data), name, (x,),
                lambda g: (_linear(g, adjoint, forward, adjoint_name, name),), saves=saves)


def _unfold(x, k, s, pads, d, out_hw, channel_major=False):
    in_hw, n = tuple(x.shape[-2:]), x.shape[0] if channel_major else None
    return _linear(x, lambda a: _im2col(a, k, s, pads, d, out_hw, channel_major),
                   lambda a: _col2im(a, in_hw, k, s, pads, d, out_hw, n), "Im2ColBackward0", "Col2ImBackward0")


def _fold(cols, in_hw, k, s, pads, d, out_hw, n=None):
    return _linear(cols, lambda a: _col2im(a, in_hw, k, s, pads, d, out_hw, n),
                   lambda a: _im2col(a, k, s, pads, d, out_hw, n is not None), "Col2ImBackward0", "Im2ColBackward0")


# ----- convolution ----------------------------------------------------------------------------------------------
def _unbatched(fn, input, batched_ndim, *args):
    """torch's handling of an input without its batch dimension: add it, run, squeeze it (SqueezeBackward1)."""
    if input.dim() == batched_ndim - 1:
        return fn(input.unsqueeze(0), *args).squeeze(0)
    return fn(input, *args)


def _check_conv(input, weight, bias, groups, transposed, name, nd):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of "
                           f"size: {list(input.shape)}")
    if weight.dim() != nd + 2:
        raise RuntimeError(f"weight should have at least three dimensions; got weight of size {list(weight.shape)}"
                           if weight.dim() < 3 else
                           f"Expected {weight.dim() - 1}D (unbatched) or {weight.dim()}D (batched) input to {name}, "
                           f"but got input of size: {list(input.shape)}")
    if not transposed and bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({input.dtype.cpp_name}) and bias type ({bias.dtype.cpp_name}) should be "
                           f"the same")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(input.dtype)} but found {_dtype_name(weight.dtype)}")
    shape = list(input.shape) if input.dim() == nd + 2 else [1] + list(input.shape)
    w = list(weight.shape)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if not transposed and w[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{w}] instead")
    expected = w[0] if transposed else w[1] * groups
    if shape[1] != expected:
        what = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {what}, weight of size {w}, expected input{shape} to have {expected} channels, "
                           f"but got {shape[1]} channels instead")
    out_channels = w[1] * groups if transposed else w[0]
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"Given weight of size {w}, expected bias to be 1-dimensional with {out_channels} "
                           f"elements, but got bias of size {list(bias.shape)} instead")


def _check_geometry(stride, dilation, padding=()):
    if any(v <= 0 for v in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(v < 0 for v in padding):
        raise RuntimeError("negative padding is not supported")
    if any(v <= 0 for v in dilation):
        raise RuntimeError("dilation should be greater than zero")


def _conv_pads(padding, k, d, stride, nd):
    """((before, after), ...) per spatial dim for an int/tuple padding or 'same'/'valid'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [dd * (kk - 1) for kk, dd in zip(k, d)]
        return tuple((t // 2, t - t // 2) for t in total)
    padding = _conv_arg(padding, nd, "padding")
    if any(v < 0 for v in padding):
        raise RuntimeError("negative padding is not supported")
    return tuple((p, p) for p in padding)


def _convolution(input, weight, bias, stride, pads, dilation, groups):
    """The conv node on input (N, C, H, W) and weight (O, C/groups, KH, KW), or their 1-D forms (no H)."""
    x, w = input._data, weight._data
    if x.ndim == 3:
        x, w = x[:, :, None], w[:, :, None]
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    k, g_ = (kh, kw), groups
    padded = [h + pads[0][0] + pads[0][1], wd + pads[1][0] + pads[1][1]]
    if any(p < dd * (kk - 1) + 1 for p, kk, dd in zip(padded, k, dilation)):
        raise RuntimeError(f"Calculated padded input size per channel: ({padded[0]} x {padded[1]}). Kernel size: "
                           f"({dilation[0] * (kh - 1) + 1} x {dilation[1] * (kw - 1) + 1}). Kernel size can't be "
                           f"greater than actual input size")
    out_hw = tuple(_out_size((h, wd)[a], k[a], stride[a], *pads[a], dilation[a]) for a in (0, 1))
    length, ckk, og = out_hw[0] * out_hw[1], cg * kh * kw, o // g_
    xp = array_module(x)
    cols = _im2col(x, k, stride, pads, dilation, out_hw, channel_major=True)
    out = xp.matmul(w.reshape(g_, og, ckk), cols.reshape(g_, ckk, n * length))
    out = xp.ascontiguousarray(out.reshape(o, n, length).transpose(1, 0, 2)).reshape((n, o) + out_hw)
    if bias is not None:
        out += bias._data.reshape(o, 1, 1)
    if input.dim() == 3:
        out = out[:, :, 0]

    def backward(g):
        g = g.reshape(n, o, length)
        rows = g.transpose(0, 1).reshape(g_, og, n * length)
        gi = gw = gb = None
        if input._requires_grad:
            gcols = matmul(weight.reshape(g_, og, ckk).transpose(1, 2), rows).reshape(c * kh * kw, n * length)
            gi = _fold(gcols, (h, wd), k, stride, pads, dilation, out_hw, n).reshape(input.shape)
        if weight._requires_grad:
            cols_t = (_unfold(input.reshape(x.shape), k, stride, pads, dilation, out_hw, channel_major=True)
                      if grad_mode._state["enabled"] else _wrap(cols))
            # (cols @ rows^T)^T: BLAS runs this orientation about twice as fast as rows @ cols^T
            gw = matmul(cols_t.reshape(g_, ckk, n * length), rows.transpose(1, 2)).transpose(1, 2).reshape(weight.shape)
        if bias is not None and bias._requires_grad:
            gb = g.sum((0, 2))
        return gi, gw, gb
    return make(out, "ConvolutionBackward0", (input, weight, bias), backward)


def _conv(input, weight, bias, stride, padding, dilation, groups, nd, name):
    """conv1d/conv2d: 1-D runs as 2-D with a kernel height of one."""
    _check_conv(input, weight, bias, groups, False, name, nd)
    k = tuple(weight.shape[2:])
    stride, dilation = _conv_arg(stride, nd, "stride"), _conv_arg(dilation, nd, "dilation")
    _check_geometry(stride, dilation)
    pads = _conv_pads(padding, k, dilation, stride, nd)
    if nd == 1:
        stride, dilation, pads = (1,) + stride, (1,) + dilation, ((0, 0),) + pads

    return _unbatched(_convolution, input, nd + 2, weight, bias, stride, pads, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of (N, C_in, H, W) with weight (C_out, C_in/groups, KH, KW); padding may be an
    int, a pair, 'valid' or 'same' (stride 1; an odd total padding puts the extra zero after)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation of (N, C_in, L) with weight (C_out, C_in/groups, K)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv2d ("deconvolution"): weight (C_in, C_out/groups, KH, KW); each input pixel
    scatters a weighted kernel into the output, which is col2im of weight^T @ input."""
    _check_conv(input, weight, bias, groups, True, "conv_transpose2d", 2)
    stride, padding = _conv_arg(stride, 2, "stride"), _conv_arg(padding, 2, "padding")
    output_padding, dilation = _conv_arg(output_padding, 2, "output_padding"), _conv_arg(dilation, 2, "dilation")
    _check_geometry(stride, dilation, padding)
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            f"output padding must be smaller than either stride or dilation, but got output_padding_height: "
            f"{output_padding[0]} output_padding_width: {output_padding[1]} stride_height: {stride[0]} stride_width: "
            f"{stride[1]} dilation_height: {dilation[0]} dilation_width: {dilation[1]}")
    return _unbatched(lambda x: _transposed(x, weight, bias, stride, padding, output_padding, dilation, groups),
                      input, 4)


def _transposed(input, weight, bias, stride, padding, output_padding, dilation, groups):
    x, w = input._data, weight._data
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    k, g_, o, pads, in_hw = (kh, kw), groups, og * groups, tuple((p, p) for p in padding), (h, wd)
    out_hw = tuple((in_hw[a] - 1) * stride[a] - 2 * padding[a] + dilation[a] * (k[a] - 1) + output_padding[a] + 1
                   for a in (0, 1))
    if any(v <= 0 for v in out_hw):
        raise RuntimeError(f"Given input size per channel: ({h} x {wd}). Calculated output size per channel: "
                           f"({out_hw[0]} x {out_hw[1]}). Output size is too small")
    length, okk, cg = h * wd, og * kh * kw, cin // g_
    xp = array_module(x)
    rows = x.reshape(n, g_, cg, length).transpose(1, 2, 0, 3).reshape(g_, cg, n * length)
    cols = xp.matmul(w.reshape(g_, cg, okk).transpose(0, 2, 1), rows)
    out = _col2im(cols.reshape(o * kh * kw, n * length), out_hw, k, stride, pads, dilation, in_hw, n)
    if bias is not None:
        out += bias._data.reshape(o, 1, 1)

    def backward(g):
        gcols = _unfold(g, k, stride, pads, dilation, in_hw, channel_major=True).reshape(g_, okk, n * length)
        gi = gw = gb = None
        if input._requires_grad:
            gi = matmul(weight.reshape(g_, cg, okk), gcols).reshape(cin, n, h, wd).transpose(0, 1)
        if weight._requires_grad:
            rows_t = (input.reshape(n, g_, cg, length).permute(1, 2, 0, 3).reshape(g_, cg, n * length)
                      if grad_mode._state["enabled"] else _wrap(rows))
            gw = matmul(rows_t, gcols.transpose(1, 2)).reshape(weight.shape)
        if bias is not None and bias._requires_grad:
            gb = g.sum((0, 2, 3))
        return gi, gw, gb
    return make(out, "ConvolutionBackward0", (input, weight, bias), backward)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding local blocks of (N, C, H, W) as columns (N, C*KH*KW, L) (im2col)."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D)")
    k, d, p, s = (_ntuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    pads = tuple((v, v) for v in p)

    def run(x):
        out_hw = tuple(_out_size(x.shape[-2 + a], k[a], s[a], p[a], p[a], d[a]) for a in (0, 1))
        if any(v <= 0 for v in out_hw):
            raise RuntimeError(f"Given input with spatial size ({x.shape[2]}, {x.shape[3]}), kernel_size={k}, "
                               f"dilation={d}, padding={p}, calculated shape of the array of sliding blocks as "
                               f"({out_hw[0]}, {out_hw[1]}), but its components must be at least one.")
        return _unfold(x, k, s, pads, d, out_hw)
    return run(input)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns (N, C*KH*KW, L) back into (N, C, H, W) (col2im), the adjoint of unfold."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                           f"(got {input.dim()}D)")
    size, k, d, p, s = (_ntuple(v, 2) for v in (output_size, kernel_size, dilation, padding, stride))
    pads = tuple((v, v) for v in p)
    out_hw = tuple(_out_size(size[a], k[a], s[a], p[a], p[a], d[a]) for a in (0, 1))

    def run(x):
        if x.shape[-2] % (k[0] * k[1]):
            raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                               f"but got input.size(1)={x.shape[-2]} and kernel_size={k}")
        if x.shape[-1] != out_hw[0] * out_hw[1]:
            raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
                               f"expected size of input's dimension 2 to match the calculated number of sliding "
                               f"blocks {out_hw[0]} * {out_hw[1]} = {out_hw[0] * out_hw[1]}, but got "
                               f"input.size(2)={x.shape[-1]}.")
        return _fold(x, size, k, s, pads, d, out_hw)
    return run(input)


# ----- pooling ----------------------------------------------------------------------------------------------
def _pool_args(kernel_size, stride, padding, dilation=1):
    k = _ntuple(kernel_size, 2)
    s = k if stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0) \
        else _ntuple(stride, 2)
    return k, s, _ntuple(padding, 2), _ntuple(dilation, 2)


def _pool_out(size, k, s, p, d, ceil_mode):
    """torch's pooling output length: windows may overhang on the right in ceil mode, but must start
    inside the input or its left padding."""
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_geometry(input, k, s, p, d, ceil_mode):
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel_size must be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[1]}")
    for kk, pp, dd in zip(k, p, d):
        if pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    if any(pp > kk // 2 for kk, pp in zip(k, p)):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {p[1]}, "
                           f"padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    c, h, w = input.shape[-3:]
    out_hw = tuple(_pool_out(size, k[a], s[a], p[a], d[a], ceil_mode) for a, size in enumerate((h, w)))
    if any(v < 1 for v in out_hw):
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out_hw[0]}x{out_hw[1]}). "
                           f"Output size is too small")
    pads = tuple((p[a], _padded_extent((h, w)[a], k[a], s[a], d[a], p[a], out_hw[a])) for a in (0, 1))
    return out_hw, pads


def _check_pool_rank(input):
    if input.dim() not in (3, 4) or input.numel() == 0 and input.dim() == 3:
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")


def _lowest(dtype):
    return np.iinfo(dtype).min if dtype.kind in "iu" else -np.inf  # floats, bfloat16 (kind 'V') included


def _select(pick, hit, t):
    """pick := t where hit, in place: `pick - hit * (pick - t)` is exact in unsigned wrap-around arithmetic,
    and several times faster than a masked copy."""
    pick -= hit * (pick - t)


def _max_pool_arrays(x, k, s, d, out_hw, pads):
    """(values, indices into each H*W plane) of the max over each window. As in torch the first maximum
    wins, a NaN beats everything (the last NaN of a window wins) and padding never wins; a window made only
    of padding (dilation can step over the whole input) gives the lowest value and torch's index of its
    first row and column at or after the input's start, which may lie outside the plane."""
    xp = array_module(x)
    h, w = x.shape[-2:]
    if uses_kernels(x) and _kernel_fits((h, w), k, s, ((pads[0][0],) * 2, (pads[1][0],) * 2), d, out_hw):
        values, indices = _cuda_ops().max_pool2d(x.reshape(1, -1, h, w), k, s, (pads[0][0], pads[1][0]), d, out_hw)
        return values.reshape(x.shape[:-2] + out_hw), indices.reshape(x.shape[:-2] + out_hw)
    xpad = _pad(x, pads, _lowest(x.dtype))
    offsets = _offsets(k, s, d, out_hw)
    views = [xpad[key] for _, _, key in offsets]
    best = views[0].copy()
    for v in views[1:]:
        xp.maximum(best, v, out=best)
    rows = xp.arange(out_hw[0]).reshape(-1, 1) * s[0] - pads[0][0]
    cols = xp.arange(out_hw[1]) * s[1] - pads[1][0]
    padded = any(p for pair in pads for p in pair)
    pick = xp.full(best.shape, len(views) - 1, dtype=np.min_scalar_type(len(views) - 1))
    for t in reversed(range(len(views))):  # backwards, so that the first maximum is picked last
        hit = views[t] == best
        if padded:
            i, j = offsets[t][:2]
            r, c = rows + i * d[0], cols + j * d[1]
            hit &= (r >= 0) & (r < h) & (c >= 0) & (c < w)
        _select(pick, hit, t)
    if best.dtype.kind not in "iub" and (xp is not np or np.isnan(best).any()):  # no host check on cuda
        for t, v in enumerate(views):
            _select(pick, v != v, t)
    shift = xp.asarray([i * d[0] * w + j * d[1] for i, j, _ in offsets])
    indices = rows * w + cols + shift[pick]
    if padded:
        first_row, first_col = (xp.where(start < 0, start + (-start + dd - 1) // dd * dd, start)
                                for start, dd in ((rows, d[0]), (cols, d[1])))
        taps_h, taps_w = rows + xp.arange(k[0]) * d[0], cols[:, None] + xp.arange(k[1]) * d[1]
        some_input = ((taps_h >= 0) & (taps_h < h)).any(1, keepdims=True) & ((taps_w >= 0) & (taps_w < w)).any(1)
        indices = xp.where(some_input, indices, first_row * w + first_col)
    return best, indices


def _scatter_planes(g, indices, in_hw, outside):
    """Add each g into its plane at `indices`: the gradient of max pooling. The sums run in output order in
    g's dtype, as torch's do. With `outside`, indices outside the plane (windows of padding only) add
    nothing."""
    xp = array_module(g)
    planes, plane = g.size // (g.shape[-1] * g.shape[-2]), in_hw[0] * in_hw[1]
    if uses_kernels(g):
        return _cuda_ops().max_pool2d_backward(g, indices, (1, planes) + tuple(in_hw)).reshape(g.shape[:-2] + in_hw)
    flat = (indices.reshape(planes, -1) + xp.arange(planes).reshape(-1, 1) * plane).ravel()
    g = g.ravel()
    if outside:
        inside = ((indices >= 0) & (indices < plane)).ravel()
        flat, g = flat[inside], g[inside]
    out = xp.zeros(planes * plane, dtype=g.dtype)
    _add_at(out, flat, g)
    return out.reshape(indices.shape[:-2] + in_hw)


def _max_pool2d(input, k, s, p, d, ceil_mode):
    """(values, int64 indices); only the values carry a gradient, as in torch."""
    out_hw, pads = _pool_geometry(input, k, s, p, d, ceil_mode)
    in_hw = tuple(input.shape[-2:])
    values, idx = _max_pool_arrays(input._data, k, s, d, out_hw, pads)
    indices = _wrap(idx)
    outside = any(p) and any(v > 1 for v in d)  # only then can a window hold padding alone

    def gather_planes(a):
        xp = array_module(a)
        plane = a.shape[-2] * a.shape[-1]
        at = idx.reshape(-1, out_hw[0] * out_hw[1])
        got = xp.take_along_axis(a.reshape(-1, plane), xp.clip(at, 0, plane - 1) if outside else at, 1)
        return (xp.where((at >= 0) & (at < plane), got, 0) if outside else got).reshape(idx.shape)

    def backward(g):
        return (_linear(g, lambda a: _scatter_planes(a, idx, in_hw, outside), gather_planes,
                        "MaxPool2DWithIndicesBackwardBackward0", "MaxPool2DWithIndicesBackward0"),)
    return make(values, "MaxPool2DWithIndicesBackward0", (input,), backward, saves=(input,)), indices


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each (dilated) window of (N, C, H, W); with return_indices also where it was
    (as h * W + w), for max_unpool2d."""
    _check_pool_rank(input)
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation)
    values, indices = _max_pool2d(input, k, s, p, d, ceil_mode)
    return (values, indices) if return_indices else values


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each window of (N, C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(input.shape)}")
    k, s, p, d = (_ntuple(v, 1)[0] for v in _pool_args(kernel_size, stride, padding, dilation))
    if k > 0 and s > 0 and d > 0 and _pool_out(input.shape[-1], k, s, p, d, ceil_mode) < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: "
                           f"{_pool_out(input.shape[-1], k, s, p, d, ceil_mode)}")
    out = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), ceil_mode, True)
    values, indices = out[0].squeeze(-2), out[1].squeeze(-2)
    return (values, indices) if return_indices else values


def _window_sum(x, k, s, out_hw):
    out = None
    for _, _, key in _offsets(k, s, (1, 1), out_hw):
        out = x[key].copy() if out is None else out.__iadd__(x[key])
    return out


def _window_spread(g, full_hw, k, s, out_hw):
    xp = array_module(g)
    buf = xp.zeros(g.shape[:-2] + tuple(full_hw), dtype=g.dtype)
    for _, _, key in _offsets(k, s, (1, 1), out_hw):
        buf[key] += g
    return buf


def _avg_divisor(xp, in_hw, k, s, p, out_hw, count_include_pad, dtype):
    """The (OH, OW) divisors: window area clipped to the padded input, or to the input alone."""
    sizes = []
    for a in (0, 1):
        start = xp.arange(out_hw[a]) * s[a] - p[a]
        end = xp.minimum(start + k[a], in_hw[a] + p[a])
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, in_hw[a])
        sizes.append(end - start)
    return (sizes[0].reshape(-1, 1) * sizes[1]).astype(dtype)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean over each window of (N, C, H, W); padding zeros count unless count_include_pad=False."""
    _check_pool_rank(input)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    k, s, p, _ = _pool_args(kernel_size, stride, padding)
    out_hw, pads = _pool_geometry(input, k, s, p, (1, 1), ceil_mode)
    in_hw = tuple(input.shape[-2:])
    full = [in_hw[a] + pads[a][0] + pads[a][1] for a in (0, 1)]
    xp = array_module(input._data)
    div = (divisor_override if divisor_override is not None else
           _avg_divisor(xp, in_hw, k, s, p, out_hw, count_include_pad, input._data.dtype))

    def forward(a):
        return _window_sum(_pad(a, pads), k, s, out_hw) / div if a.dtype.kind == "f" else \
            (_window_sum(_pad(a, pads), k, s, out_hw) // div).astype(a.dtype)

    def adjoint(a):
        return _window_spread(a / div, full, k, s, out_hw)[..., pads[0][0]:pads[0][0] + in_hw[0],
                                                           pads[1][0]:pads[1][0] + in_hw[1]]
    return _linear(input, forward, adjoint, "AvgPool2DBackward0", "AvgPool2DBackwardBackward0", saves=(input,))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean over each window of (N, C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for avg_pool1d)")
    k, s, p, _ = (_ntuple(v, 1)[0] for v in _pool_args(kernel_size, stride, padding))
    return avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad).squeeze(-2)


def _adaptive_matrix(xp, size, out, dtype):
    """(out, size) averaging matrix: row i averages [floor(i*size/out), ceil((i+1)*size/out))."""
    i = np.arange(out)
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    cols = np.arange(size)
    m = ((cols >= start[:, None]) & (cols < end[:, None])) / (end - start)[:, None]
    return xp.asarray(m.astype(dtype))


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of (N, C, H, W) to a fixed (OH, OW): window i spans floor(i*H/OH) .. ceil((i+1)*H/OH).
    A None entry keeps that input size; an output of 1x1 is a mean, as in torch."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    h, w = input.shape[-2:]
    oh, ow = (h if size[0] is None else int(size[0])), (w if size[1] is None else int(size[1]))
    if (oh, ow) == (1, 1):
        return input.mean((-1, -2), keepdim=True)
    xp = array_module(input._data)
    ph, pw = (_adaptive_matrix(xp, n, o, input._data.dtype) for n, o in ((h, oh), (w, ow)))
    return _linear(input, lambda a: xp.matmul(xp.matmul(ph, a), pw.T), lambda a: xp.matmul(xp.matmul(ph.T, a), pw),
                   "AdaptiveAvgPool2DBackward0", "AdaptiveAvgPool2DBackwardBackward0", saves=(input,))
