"""grouped_mm: several matrix products in one call, the building block of mixture-of-experts layers. A
2-D operand is split into groups along one dimension at the int32 offsets `offs` (the groups' ends).
See https://pytorch.org/docs/stable/generated/torch.nn.functional.grouped_mm.html"""
import numpy as np

from ..ops.shape import cat, stack
from ._composite import composite_node

__all__ = ["grouped_mm"]


def _groups(offs):
    ends = np.asarray(offs.cpu()._data).astype(np.int64).tolist()
    return list(zip([0] + ends[:-1], ends))


def _grouped(mat_a, mat_b, groups):
    if mat_a.dim() == 3 and mat_b.dim() == 3:
        return mat_a @ mat_b
    if mat_a.dim() == 2 and mat_b.dim() == 3:  # row blocks of a, one matrix of b each
        return cat([mat_a[lo:hi] @ mat_b[g] for g, (lo, hi) in enumerate(groups)], 0)
    if mat_a.dim() == 2 and mat_b.dim() == 2:  # blocks of the shared dimension K: one output per group
        return stack([mat_a[:, lo:hi] @ mat_b[lo:hi] for lo, hi in groups])
    return cat([mat_a[g] @ mat_b[:, lo:hi] for g, (lo, hi) in enumerate(groups)], 1)  # (G, M, K) x column blocks


def _check_layout(mat):
    """torch's grouped-GEMM layout rule: one of the last two dimensions is contiguous, and the other one's
    stride is a multiple of 16 bytes."""
    *_, rows, cols = mat.shape
    *_, row_stride, col_stride = mat.stride()
    if col_stride == 1 and row_stride >= max(1, cols):
        leading = row_stride
    elif row_stride == 1 and col_stride >= max(1, rows):
        leading = col_stride
    else:
        raise RuntimeError(f"Invalid strides/sizes, got {list(mat.stride())} for strides and {list(mat.shape)} "
                           f"for sizes")
    if leading % (16 // mat.element_size()):
        raise RuntimeError("strides should be multiple of 16 bytes")


def grouped_mm(mat_a, mat_b, *, offs=None, bias=None, out_dtype=None):
    """Grouped matrix products: (G, M, K) @ (G, K, N) batch by batch; (M, K) x (G, K, N) with row groups of
    mat_a; (M, K) x (K, N) with groups of K giving (G, M, N); (G, M, K) x (K, N) with column groups.
    Unlike torch's kernels, float64 is accepted (for gradient checks)."""
    _check_layout(mat_a)
    _check_layout(mat_b)
    if bias is not None:
        raise RuntimeError("Bias not supported yet")
    if out_dtype is not None and out_dtype is not mat_a.dtype:
        raise RuntimeError("Grouped gemm output dtype must match `mat_a` dtype")
    both_3d = mat_a.dim() == 3 and mat_b.dim() == 3
    if both_3d == (offs is not None):
        raise RuntimeError("Have to provide offsets if there is a 2d matrix, or no offset if both matrices are 3d")
    if offs is not None and offs.dtype.name != "int32":
        raise RuntimeError("Offsets have to be int32")
    groups = _groups(offs) if offs is not None else None
    return composite_node("GroupedMmBackward0", lambda a, b: _grouped(a, b, groups), (mat_a, mat_b))
