"""The stand-in's `cupy.RawModule`: each `__global__` function of the `.cu` files runs as its NumPy
reference below, in the kernel's element type, after the launch is checked as the GPU would need it:

- the arguments match the kernel's C signature (parsed from the source) one by one: a stand-in array of
  the right dtype, contiguous and on the current GPU for a pointer (None for nullptr), and a NumPy scalar
  of exactly the C type for a number (np.int64 for long long, np.int32 for int, np.float64 for double);
- `const` arrays are passed read-only, so a reference that writes one fails;
- every element read or written lies inside its buffer (what compute-sanitizer's memcheck reports);
- row kernels get one block of BLOCK threads per row.
Each reference follows its kernel's arithmetic (float32 stays float32), so results match a GPU's to
rounding."""
import re

import numpy as np

from ._array import ndarray, unwrap

BLOCK = 256
_C_TYPES = {"float": np.dtype(np.float32), "double": np.dtype(np.float64), "unsigned char": np.dtype(np.uint8),
            "signed char": np.dtype(np.int8)}
_POINTERS = {"long long": np.dtype(np.int64), "int": np.dtype(np.int32), **_C_TYPES}
"""Pointer arguments of a fixed C type; any other (the template parameter) has the kernel's element type."""
_SCALARS = {"long long": np.int64, "int": np.int32, "double": np.float64}
_SIGNATURE = re.compile(r"__global__\s+void\s+(\w+)\s*\(([^)]*)\)")


class OutOfBounds(IndexError):
    """A kernel reference touched memory outside a buffer: the real kernel would corrupt memory."""


def _parse(code):
    """{kernel name: [(C type, is const, is pointer)]} from the source's `__global__` definitions."""
    kernels = {}
    for name, params in _SIGNATURE.findall(code):
        kernels[name] = []
        for param in params.split(","):
            words = param.replace("*", " * ").split()[:-1]  # drop the parameter's name
            const = words[0] == "const"
            ctype = " ".join(w for w in words if w not in ("const", "*"))
            kernels[name].append((ctype, const, "*" in words))
    return kernels


class RawModule:
    """cupy.RawModule(code=..., options=..., name_expressions=...): the kernels of one source file."""

    def __init__(self, code=None, path=None, options=(), backend="nvrtc", translate_cucomplex=False,
                 enable_cooperative_groups=False, name_expressions=None, jitify=False):
        self.code = code
        self._signatures = _parse(code)
        self._names = tuple(name_expressions or ())

    def get_function(self, name):
        if name not in self._names:
            raise ValueError(f"{name} is not among the name_expressions given to RawModule")
        kernel, ctype = re.fullmatch(r"(\w+)<([\w ]+)>", name).groups()
        return _Function(kernel, _C_TYPES[ctype], self._signatures[kernel])


class _Function:
    """A loaded kernel: call it as fn(grid, block, args)."""

    def __init__(self, name, dtype, signature):
        self.name, self.dtype, self.signature = name, dtype, signature

    def __call__(self, grid, block, args, shared_mem=0, stream=None):
        if len(args) != len(self.signature):
            raise TypeError(f"{self.name} takes {len(self.signature)} arguments, got {len(args)}")
        values = [self._argument(i, arg, spec) for i, (arg, spec) in enumerate(zip(args, self.signature))]
        if not (len(grid) and len(block) and grid[0] >= 1 and 1 <= block[0] <= 1024):
            raise ValueError(f"{self.name}: invalid launch grid={grid} block={block}")
        REFERENCES[self.name](grid[0], block[0], *values)

    def _argument(self, i, arg, spec):
        ctype, const, pointer = spec
        where = f"argument {i} of {self.name}<{self.dtype}>"
        if not pointer:
            if type(arg) is not _SCALARS[ctype]:
                raise TypeError(f"{where} is a C {ctype}: pass numpy.{_SCALARS[ctype].__name__}, not "
                                f"{type(arg).__name__}")
            return arg
        if arg is None:
            return None
        if type(arg) is not ndarray:
            raise TypeError(f"{where} is a pointer: pass a cupy.ndarray, not {type(arg).__name__}")
        want = _POINTERS.get(ctype, self.dtype)
        if arg.dtype != want or not arg.flags.c_contiguous:
            raise TypeError(f"{where} must be a contiguous {want} array, got {arg.dtype} "
                            f"(contiguous: {arg.flags.c_contiguous})")
        flat = unwrap(arg, self.name).reshape(-1)  # a view: writes reach the caller's array
        if const:
            flat = flat.view()
            flat.flags.writeable = False
        return flat


def _at(buffer, index, what):
    """buffer[index] for an integer index array, refusing any index outside the buffer."""
    if index.size and (index.min() < 0 or index.max() >= buffer.size):
        raise OutOfBounds(f"{what}: index {int(index.min() if index.min() < 0 else index.max())} outside a "
                          f"buffer of {buffer.size} elements")
    return index


def _rows(grid, block, cols, *buffers):
    """Row kernels: one block of BLOCK threads per row, every buffer holding grid rows of cols."""
    if block != BLOCK:
        raise ValueError(f"row kernels need blockDim.x == {BLOCK}, got {block}")
    for b in buffers:
        if b is not None and b.size < grid * cols:
            raise OutOfBounds(f"a row kernel over {grid} rows of {cols} reads a buffer of {b.size} elements")
    return grid, int(cols)


def _scalar(dtype, value):
    return dtype.type(value)


# ----- im2col.cu ------------------------------------------------------------------------------------------
def im2col(grid, block, x, cols, N, C, H, W, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW):
    i = np.arange(N * C * KH * KW * OH * OW)
    ow, t = i % OW, i // OW
    oh, t = t % OH, t // OH
    kj, t = t % KW, t // KW
    ki, t = t % KH, t // KH
    c, n = t % C, t // C
    h, w = oh * SH - PH + ki * DH, ow * SW - PW + kj * DW
    inside = (h >= 0) & (h < H) & (w >= 0) & (w < W)
    _at(cols, i, "im2col write")
    cols[i] = 0
    cols[i[inside]] = x[_at(x, (((n * C + c) * H + h) * W + w)[inside], "im2col read")]


def col2im(grid, block, cols, x, N, C, H, W, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW):
    i = np.arange(N * C * H * W)
    w, t = i % W, i // W
    h, t = t % H, t // H
    c, n = t % C, t // C
    total = np.zeros(i.size, x.dtype)
    for ki in range(KH):
        hs = h + PH - ki * DH
        for kj in range(KW):
            ws = w + PW - kj * DW
            ok = (hs >= 0) & (hs % SH == 0) & (hs // SH < OH) & (ws >= 0) & (ws % SW == 0) & (ws // SW < OW)
            row = (c * KH + ki) * KW + kj
            at = _at(cols, (((n * C * KH * KW + row) * OH + hs // SH) * OW + ws // SW)[ok], "col2im read")
            total[ok] += cols[at]
    x[_at(x, i, "col2im write")] = total


# ----- pooling.cu ----------------------------------------------------------------------------------------
def max_pool2d_forward(grid, block, x, y, indices, P, H, W, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW):
    i = np.arange(P * OH * OW)
    ow, t = i % OW, i // OW
    oh, p = t % OH, t // OH
    h0, w0 = oh * SH - PH, ow * SW - PW
    first_h = np.where(h0 < 0, h0 + (-h0 + DH - 1) // DH * DH, h0)
    first_w = np.where(w0 < 0, w0 + (-w0 + DW - 1) // DW * DW, w0)
    best, best_at = np.full(i.size, -np.inf, x.dtype), first_h * W + first_w
    for ki in range(KH):
        h = h0 + ki * DH
        for kj in range(KW):
            w = w0 + kj * DW
            ok = (h >= 0) & (h < H) & (w >= 0) & (w < W)
            v = np.zeros(i.size, x.dtype)
            v[ok] = x[_at(x, (p * H * W + h * W + w)[ok], "max_pool2d read")]
            take = ok & ((v > best) | (v != v))
            best[take], best_at[take] = v[take], (h * W + w)[take]
    y[_at(y, i, "max_pool2d write")] = best
    indices[i] = best_at


def max_pool2d_backward(grid, block, grad_output, indices, grad_input, P, plane_in, plane_out):
    i = _at(grad_output, np.arange(P * plane_out), "max_pool2d_backward read")
    at = indices[_at(indices, i, "max_pool2d_backward read")]
    inside = (at >= 0) & (at < plane_in)
    target = (i // plane_out) * plane_in + at
    np.add.at(grad_input, _at(grad_input, target[inside], "max_pool2d_backward atomicAdd"), grad_output[i][inside])


# ----- softmax.cu ----------------------------------------------------------------------------------------
def _logsumexp(rows):
    m = rows.max(axis=1, keepdims=True)
    return m + np.log(np.exp(rows - m).sum(axis=1, keepdims=True))


def softmax_forward(grid, block, x, y, cols, take_log):
    rows, cols = _rows(grid, block, cols, x, y)
    xr = x[:rows * cols].reshape(rows, cols)
    lse = _logsumexp(xr)
    y[:rows * cols] = (xr - lse if take_log else np.exp(xr - lse)).reshape(-1)


def softmax_backward(grid, block, y, gy, gx, cols, take_log):
    rows, cols = _rows(grid, block, cols, y, gy, gx)
    yr, gr = y[:rows * cols].reshape(rows, cols), gy[:rows * cols].reshape(rows, cols)
    if take_log:
        out = gr - np.exp(yr) * gr.sum(axis=1, keepdims=True)
    else:
        out = yr * (gr - (gr * yr).sum(axis=1, keepdims=True))
    gx[:rows * cols] = out.reshape(-1)


def cross_entropy_forward(grid, block, x, target, w, loss, lse_out, cols, ignore_index, eps):
    rows, cols = _rows(grid, block, cols, x)
    xr = x[:rows * cols].reshape(rows, cols)
    t = target[_at(target, np.arange(rows), "cross_entropy_forward target")]
    lse = _logsumexp(xr)[:, 0]
    ones = np.ones(cols, x.dtype)
    weight = ones if w is None else w[_at(w, np.arange(cols), "cross_entropy_forward weight")]
    kept = t != ignore_index
    at = _at(x, (np.arange(rows) * cols + t)[kept], "cross_entropy_forward x[target]")
    wt = np.ones(int(kept.sum()), x.dtype) if w is None else w[_at(w, t[kept], "cross_entropy_forward w[target]")]
    nll = np.zeros(rows, x.dtype)
    nll[kept] = wt * (lse[kept] - x[at])
    smooth = (weight * (lse[:, None] - xr)).sum(axis=1) if eps != 0 else np.zeros(rows, x.dtype)
    out = _scalar(x.dtype, 1 - eps) * nll + _scalar(x.dtype, eps / cols) * smooth
    loss[_at(loss, np.arange(rows), "cross_entropy_forward loss")] = np.where(kept, out, 0)
    lse_out[_at(lse_out, np.arange(rows), "cross_entropy_forward lse")] = lse


def cross_entropy_backward(grid, block, x, target, w, lse, g, gx, rows, cols, ignore_index, eps, wsum):
    i = np.arange(rows * cols)
    r, c = i // cols, i % cols
    t = target[_at(target, r, "cross_entropy_backward target")]
    kept = t != ignore_index
    p = np.exp(x[_at(x, i, "cross_entropy_backward x")] - lse[_at(lse, r, "cross_entropy_backward lse")])
    wc = np.ones(i.size, x.dtype) if w is None else w[_at(w, c, "cross_entropy_backward w")]
    wt = np.ones(i.size, x.dtype)
    if w is not None:
        wt[kept] = w[_at(w, t[kept], "cross_entropy_backward w[target]")]
    d = (_scalar(x.dtype, 1 - eps) * wt * (p - (c == t).astype(x.dtype))
         + _scalar(x.dtype, eps / cols) * (_scalar(x.dtype, wsum) * p - wc))
    gx[_at(gx, i, "cross_entropy_backward write")] = np.where(kept, g[r] * d, 0)


# ----- optim.cu ------------------------------------------------------------------------------------------
def sgd_step(grid, block, p, grad, buf, n, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step):
    T = p.dtype.type
    i = _at(p, np.arange(n), "sgd_step p")
    g = -grad[_at(grad, i, "sgd_step grad")] if maximize else grad[i]
    if weight_decay != 0:
        g = g + T(weight_decay) * p[i]
    if momentum != 0:
        b = g if first_step else T(momentum) * buf[_at(buf, i, "sgd_step buf")] + T(1 - dampening) * g
        buf[i] = b
        g = g + T(momentum) * b if nesterov else b
    p[i] = p[i] - T(lr) * g


def _lerp(start, end, weight):
    T = start.dtype.type
    return np.where(weight < T(0.5), start + weight * (end - start), end - (end - start) * (T(1) - weight))


def adam_step(grid, block, p, grad, m, v, vmax, n, lr, beta1, beta2, eps, weight_decay, decoupled, maximize,
              step_size, bias_correction2_sqrt):
    T = p.dtype.type
    i = _at(p, np.arange(n), "adam_step p")
    for b in (grad, m, v, vmax):
        if b is not None:
            _at(b, i, "adam_step state")
    g = -grad[i] if maximize else grad[i]
    pi = p[i]
    if weight_decay != 0:
        if decoupled:
            pi = pi * T(1 - lr * weight_decay)
        else:
            g = g + T(weight_decay) * pi
    mi = _lerp(m[i], g, T(1 - beta1))
    vi = T(beta2) * v[i] + T(1 - beta2) * g * g
    m[i], v[i] = mi, vi
    if vmax is not None:
        vi = np.maximum(vmax[i], vi)
        vmax[i] = vi
    denom = np.sqrt(vi) / T(bias_correction2_sqrt) + T(eps)
    p[i] = pi - T(step_size) * mi / denom


# ----- qgemm.cu ------------------------------------------------------------------------------------------
QGEMM_TILE = 16


def qgemm(grid, block, a, b, c, M, N, K, a_zero, b_zero):
    if block != BLOCK:
        raise ValueError(f"qgemm needs blockDim.x == {BLOCK}, got {block}")
    tiles = -(-int(M) // QGEMM_TILE) * -(-int(N) // QGEMM_TILE)
    if grid != tiles:
        raise ValueError(f"qgemm over a {M} x {N} result needs one block per {QGEMM_TILE} x {QGEMM_TILE} tile "
                         f"({tiles}), got {grid}")
    rows = a[_at(a, np.arange(M * K), "qgemm read a")].reshape(M, K).astype(np.int64) - int(a_zero)
    zeros = b_zero[_at(b_zero, np.arange(N), "qgemm read b_zero")].astype(np.int64)
    weights = b[_at(b, np.arange(N * K), "qgemm read b")].reshape(N, K).astype(np.int64) - zeros[:, None]
    out = rows @ weights.T
    if out.size and (out.min() < np.iinfo(np.int32).min or out.max() > np.iinfo(np.int32).max):
        raise OverflowError("qgemm: a sum leaves the int32 range the kernel accumulates in")
    c[_at(c, np.arange(M * N), "qgemm write c")] = out.reshape(-1)


REFERENCES = {f.__name__: f for f in (im2col, col2im, max_pool2d_forward, max_pool2d_backward, softmax_forward,
                                      softmax_backward, cross_entropy_forward, cross_entropy_backward, sgd_step,
                                      adam_step, qgemm)}
"""Kernel name -> its NumPy reference, called as ref(grid, block, *arguments)."""
