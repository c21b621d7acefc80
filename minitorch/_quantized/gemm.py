"""The exact integer matrix product behind quantized Linear and Conv2d:

    acc[m, n] = sum_k (a[m, k] - a_zero) * (b[n, k] - b_zero[n])      (int32)

a holds activations (uint8 or int8), b int8 weights with one zero point per row.

On the CPU the product runs on BLAS in float32, which is exact for integers as long as every partial sum
stays below 2**24: with |a - a_zero| <= s and |b| <= 128, blocks of K = (2**24 - 1) // (128 s) products sum
exactly (512 for full-range activations, s = 255; all of K = 1024 for the 7-bit activations of x86's
reduce_range, s = 127). Each block's float result converts to int32 without rounding and the blocks add up
in int32; the weights' zero points come off afterwards through the row sums of a, also in integers. The
cost is one sgemm plus converting the int8 weights to float32 block by block, so a quantized Linear keeps
pace with a float one while its weights stay int8 in memory.

On a GPU the product is the tiled int32 kernel of backends/cuda/kernels/qgemm.cu."""
import numpy as np

from .._device import array_module

EXACT = 2 ** 24 - 1
"""The largest magnitude float32 sums of integers reach without rounding."""

BLOCK = EXACT // (255 * 128)
"""Products summed per float32 GEMM in the worst case (full-range activations): 513."""


def int_matmul(a, a_zero, b, b_zero):
    """int32 (a - a_zero) @ (b - b_zero[:, None]).T, exactly: a (M, K) uint8 / int8, b (N, K) int8,
    b_zero an int array of N entries (or one int)."""
    xp = array_module(a)
    b_zero = xp.broadcast_to(xp.asarray(b_zero, dtype=np.int64), (b.shape[0],))
    if xp is not np:
        from ..backends.cuda import ops
        return ops.qgemm(a, a_zero, b, b_zero)
    m, k = a.shape
    centered = a.astype(np.float32)
    centered -= np.float32(a_zero)
    span = max(int(np.abs(centered).max(initial=0)), 1)
    block = EXACT // (span * 128)  # products per exact float32 GEMM for these activations
    acc = None
    for start in range(0, k, block):
        part = (centered[:, start:start + block] @ b[:, start:start + block].astype(np.float32).T).astype(np.int32)
        acc = part if acc is None else acc + part
    if acc is None:
        acc = np.zeros((m, b.shape[0]), dtype=np.int32)
    if b_zero.any():
        row_sums = a.astype(np.int64).sum(axis=1) - k * int(a_zero)
        acc -= (row_sums[:, None] * b_zero[None, :]).astype(np.int32)
    return acc
