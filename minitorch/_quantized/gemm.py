"""The exact integer matrix product behind quantized Linear and Conv2d:

    acc[m, n] = sum_k (a[m, k] - a_zero) * (b[n, k] - b_zero[n])      (int32)

a holds activations (uint8 or int8), b int8 weights with one zero point per row.

On the CPU the product runs on BLAS in float32, which is exact for integers as long as every partial sum
stays below 2**24: with |a - a_zero| <= 255 and |b| <= 128 each product is below 2**15, so blocks of
K = 512 products sum exactly (512 * 255 * 128 < 2**24). Each block's float result converts to int32
without rounding and the blocks add up in int32; the weights' zero points come off afterwards through the
row sums of a, also in integers. The cost is one sgemm plus converting the int8 blocks to float32, so a
quantized Linear keeps pace with a float one while its weights stay int8 in memory.

On a GPU the product is the tiled int32 kernel of backends/cuda/kernels/qgemm.cu."""
import numpy as np

from .._device import array_module

BLOCK = 512
"""Products summed per float32 GEMM: 512 * 255 * 128 < 2**24, so every partial sum is an exact integer."""


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
    acc = np.zeros((m, b.shape[0]), dtype=np.int32)
    for start in range(0, k, BLOCK):
        block = centered[:, start:start + BLOCK] @ b[:, start:start + BLOCK].astype(np.float32).T
        acc += block.astype(np.int32)
    if b_zero.any():
        row_sums = a.astype(np.int64).sum(axis=1) - k * int(a_zero)
        acc -= (row_sums[:, None] * b_zero[None, :]).astype(np.int32)
    return acc
