"""The CUDA kernels as functions on CuPy arrays, for ops that run on a cuda device.

They take and return `cupy.ndarray`s (float32 or float64); geometry arguments are (height, width)
pairs that the caller has already normalised, as torch.nn.functional does. Inputs are made
contiguous here, so callers may pass any view."""
import numpy as np

from ...cuda import _cupy
from . import launch, launch_rows

_i64, _i32, _f64 = np.int64, np.int32, np.float64


def conv_output_size(size, kernel, stride, padding, dilation):
    """Output length along one spatial axis of a convolution or pooling window."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _geometry(kernel_size, stride, padding, dilation):
    """The eight kernel arguments KH, KW, SH, SW, PH, PW, DH, DW."""
    return tuple(_i64(v) for pair in (kernel_size, stride, padding, dilation) for v in pair)


def _output_hw(h, w, kernel_size, stride, padding, dilation):
    return tuple(conv_output_size(size, kernel_size[i], stride[i], padding[i], dilation[i])
                 for i, size in enumerate((h, w)))


def _check_in_place(*arrays):
    """The optimizer kernels write into these arrays: they must be contiguous (or None)."""
    for a in arrays:
        if a is not None and not a.flags.c_contiguous:
            raise ValueError("fused optimizer kernels need contiguous parameter and state arrays")


def im2col(x, kernel_size, stride, padding, dilation):
    """(N, C, H, W) -> columns (N, C*KH*KW, OH*OW), the result of F.unfold."""
    cp = _cupy()
    x = cp.ascontiguousarray(x)
    n, c, h, w = x.shape
    oh, ow = _output_hw(h, w, kernel_size, stride, padding, dilation)
    cols = cp.empty((n, c * kernel_size[0] * kernel_size[1], oh * ow), dtype=x.dtype)
    launch("im2col", x.dtype, cols.size, (x, cols, *map(_i64, (n, c, h, w)),
                                         *_geometry(kernel_size, stride, padding, dilation), _i64(oh), _i64(ow)))
    return cols


def col2im(cols, input_size, kernel_size, stride, padding, dilation):
    """Columns (N, C*KH*KW, OH*OW) -> (N, C, H, W) summing overlaps: F.fold, the adjoint of im2col."""
    cp = _cupy()
    cols = cp.ascontiguousarray(cols)
    h, w = input_size
    n, ckk = cols.shape[:2]
    c = ckk // (kernel_size[0] * kernel_size[1])
    oh, ow = _output_hw(h, w, kernel_size, stride, padding, dilation)
    x = cp.empty((n, c, h, w), dtype=cols.dtype)
    launch("col2im", x.dtype, x.size, (cols, x, *map(_i64, (n, c, h, w)),
                                      *_geometry(kernel_size, stride, padding, dilation), _i64(oh), _i64(ow)))
    return x


def max_pool2d(x, kernel_size, stride, padding, dilation, output_size):
    """Max pooling of (N, C, H, W) to (N, C, OH, OW); returns (values, int64 indices as h*W + w)."""
    cp = _cupy()
    x = cp.ascontiguousarray(x)
    n, c, h, w = x.shape
    oh, ow = output_size
    y = cp.empty((n, c, oh, ow), dtype=x.dtype)
    indices = cp.empty((n, c, oh, ow), dtype=cp.int64)
    launch("max_pool2d_forward", x.dtype, y.size,
           (x, y, indices, *map(_i64, (n * c, h, w, oh, ow)), *_geometry(kernel_size, stride, padding, dilation)))
    return y, indices


def max_pool2d_backward(grad_output, indices, input_shape):
    """Gradient of max_pool2d: each output's gradient goes to the input pixel that won its window."""
    cp = _cupy()
    grad_output = cp.ascontiguousarray(grad_output)
    grad_input = cp.zeros(input_shape, dtype=grad_output.dtype)
    planes = input_shape[0] * input_shape[1]
    launch("max_pool2d_backward", grad_output.dtype, grad_output.size,
           (grad_output, cp.ascontiguousarray(indices, dtype=cp.int64), grad_input, _i64(planes),
            _i64(input_shape[2] * input_shape[3]), _i64(grad_output.size // max(planes, 1))))
    return grad_input


def _rows(x):
    """x as a contiguous (rows, cols) matrix over its last dimension."""
    x = _cupy().ascontiguousarray(x)
    return x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)


def softmax(x, log=False):
    """softmax (or log_softmax) over the last dimension."""
    xr = _rows(x)
    y = _cupy().empty_like(xr)
    if xr.size:
        launch_rows("softmax_forward", xr.dtype, xr.shape[0], (xr, y, _i64(xr.shape[1]), _i32(log)))
    return y.reshape(x.shape)


def softmax_backward(y, grad_output, log=False):
    """Gradient of softmax (or log_softmax) over the last dimension, from its output `y`."""
    yr, gr = _rows(y), _rows(grad_output)
    gx = _cupy().empty_like(yr)
    if yr.size:
        launch_rows("softmax_backward", yr.dtype, yr.shape[0], (yr, gr, gx, _i64(yr.shape[1]), _i32(log)))
    return gx.reshape(y.shape)


def cross_entropy(x, target, weight=None, ignore_index=-100, label_smoothing=0.0):
    """Per-row cross-entropy of logits x (rows, C) against class indices `target` (rows,).
    Returns (loss per row, logsumexp per row for the backward, weight of each row's target:
    0 where ignored), so that the mean reduction is loss.sum() / row_weight.sum()."""
    cp = _cupy()
    x, target = cp.ascontiguousarray(x), cp.ascontiguousarray(target, dtype=cp.int64)
    rows, classes = x.shape
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= classes))
    if bool(bad.any()):
        raise IndexError(f"Target {int(target[bad][0])} is out of bounds.")
    if weight is not None:
        weight = cp.ascontiguousarray(weight, dtype=x.dtype)
    loss, lse = cp.empty(rows, dtype=x.dtype), cp.empty(rows, dtype=x.dtype)
    if rows:
        launch_rows("cross_entropy_forward", x.dtype, rows,
                    (x, target, weight, loss, lse, _i64(classes), _i64(ignore_index), _f64(label_smoothing)))
    safe = cp.where(valid, target, 0)
    row_weight = valid.astype(x.dtype) if weight is None else cp.where(valid, weight[safe], 0).astype(x.dtype)
    return loss, lse, row_weight


def cross_entropy_backward(grad_rows, x, target, lse, weight=None, ignore_index=-100, label_smoothing=0.0):
    """Gradient of `cross_entropy`'s per-row losses with respect to x, for per-row upstream gradients
    `grad_rows` (for mean reduction: grad / row_weight.sum() on every row)."""
    cp = _cupy()
    x, target = cp.ascontiguousarray(x), cp.ascontiguousarray(target, dtype=cp.int64)
    rows, classes = x.shape
    wsum = float(classes) if weight is None else float(weight.sum())
    if weight is not None:
        weight = cp.ascontiguousarray(weight, dtype=x.dtype)
    grad_rows = cp.ascontiguousarray(cp.broadcast_to(cp.asarray(grad_rows, dtype=x.dtype), (rows,)))
    gx = cp.empty_like(x)
    launch("cross_entropy_backward", x.dtype, gx.size,
           (x, target, weight, cp.ascontiguousarray(lse), grad_rows, gx, _i64(rows), _i64(classes),
            _i64(ignore_index), _f64(label_smoothing), _f64(wsum)))
    return gx


def sgd_step(param, grad, momentum_buffer, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
             nesterov=False, maximize=False, first_step=False):
    """One torch.optim.SGD step, in place on the contiguous arrays `param` and `momentum_buffer`
    (None when momentum is 0)."""
    _check_in_place(param, momentum_buffer)
    launch("sgd_step", param.dtype, param.size,
           (param, _cupy().ascontiguousarray(grad), momentum_buffer, _i64(param.size), _f64(lr), _f64(momentum),
            _f64(dampening), _f64(weight_decay), _i32(nesterov), _i32(maximize), _i32(first_step)))


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay=0.0,
              decoupled_weight_decay=False, maximize=False):
    """One torch.optim.Adam (AdamW with decoupled_weight_decay) step at step number `step` (1 for the
    first), in place on contiguous arrays; `max_exp_avg_sq` is None unless amsgrad."""
    _check_in_place(param, exp_avg, exp_avg_sq, max_exp_avg_sq)
    step_size = lr / (1 - beta1 ** step)
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    launch("adam_step", param.dtype, param.size,
           (param, _cupy().ascontiguousarray(grad), exp_avg, exp_avg_sq, max_exp_avg_sq, _i64(param.size),
            _f64(lr), _f64(beta1), _f64(beta2), _f64(eps), _f64(weight_decay), _i32(decoupled_weight_decay),
            _i32(maximize), _f64(step_size), _f64(bias_correction2_sqrt)))


QGEMM_TILE = 16
"""The output tile each block of qgemm.cu computes (TILE in the kernel)."""


def qgemm(a, a_zero, b, b_zero):
    """Exact int32 (a - a_zero) @ (b - b_zero[:, None]).T for uint8 / int8 activations a (M, K) and int8
    weights b (N, K) with one zero point per row (int32 array b_zero of N entries)."""
    cp = _cupy()
    a, b = cp.ascontiguousarray(a), cp.ascontiguousarray(b)
    m, k = a.shape
    n = b.shape[0]
    c = cp.zeros((m, n), dtype=cp.int32)
    tiles = -(-m // QGEMM_TILE) * -(-n // QGEMM_TILE)
    if tiles:
        launch_rows("qgemm", a.dtype, tiles, (a, b, c, _i64(m), _i64(n), _i64(k), _i32(a_zero),
                                               cp.ascontiguousarray(b_zero, dtype=cp.int32)))
    return c
