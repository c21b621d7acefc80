"""Matrix products: dot, mv, mm, bmm, outer and matmul (the `@` operator). Each forward is followed by its
backward, written with these same ops so that `create_graph=True` can differentiate it again.

matmul follows torch's dispatch (dot, mv, mm, a folded mm/mv, or a broadcast bmm), so that it raises
torch's error for each case and its result carries the grad_fn torch's outermost step would give."""
import math

import numpy as np

from .. import _warnings
from .._tensor import Tensor
from ..autograd import grad_mode
from ._core import accumulator, broadcast_shapes, make, sum_to, widened
from .pointwise import _conj, _dtype_name, mul

# the C++ element type names that torch's mm/matmul dtype errors print
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
              "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool"}


_grad_state = grad_mode._state
_wrap = Tensor._wrap


def _check_tensor(op, name, position, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, not "
                        f"{type(value).__name__}")


def _dtype_of(array):
    return Tensor._wrap(array).dtype


def _check_not_bool(kernel, a):
    if a.dtype == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


# The checks take arrays (not tensors): matmul runs them on the reshaped operands torch would pass on.
def _check_dot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_dtype_name(_dtype_of(a))} and {_dtype_name(_dtype_of(b))}")
    if a.size != b.size:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.size}] and src [{b.size}] to have the "
                           f"same number of elements, but got {a.size} and {b.size} elements respectively")
    _check_not_bool("dot", a)


def _check_mv(m, v):
    if m.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {m.ndim}, {v.ndim}")
    if m.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({m.shape[0]}), mat ({m.shape[0]}x{m.shape[1]}), "
                           f"vec ({v.shape[0]})")
    if m.dtype != v.dtype:
        vec, mat = _dtype_name(_dtype_of(v)), _dtype_name(_dtype_of(m))
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {vec}, {mat}, and {vec}")
    _check_not_bool("addmv_impl_cpu", m)


def _check_mm(a, b):
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_CPP_NAMES[_dtype_of(a).name]} "
                           f"!= {_CPP_NAMES[_dtype_of(b).name]}")
    _check_not_bool("addmm_impl_cpu_", a)


def _check_bmm(a, b):
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                           f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(_dtype_of(a))} but found "
                           f"{_dtype_name(_dtype_of(b))}")
    _check_not_bool("bmm", a)


def _stand_in(shape, dtype):
    """An array of this shape and dtype that costs no memory: what the checks need of a reshaped operand."""
    return np.broadcast_to(np.empty((), dtype), shape)


def _mT(t):
    return t.transpose(-2, -1)


def _mH(t):
    """The conjugate transpose (the transpose of a real tensor): the gradients of complex products use it."""
    return _conj(_mT(t))


# ----- the fixed-rank products --------------------------------------------------------------------------
def product(a, b):
    """a @ b on arrays; half and bfloat16 operands are multiplied in float32 and the result rounded once, as
    torch accumulates them (NumPy would return float32 for bfloat16)."""
    if accumulator(a) is None:
        return a @ b
    return (widened(a) @ widened(b)).astype(a.dtype)


def _dot(node, input, other):
    a, b = input._data, other._data
    _check_dot(a, b)

    def backward(g):
        return (g * _conj(other) if input._requires_grad else None,
                g * _conj(input) if other._requires_grad else None)
    return make(product(a, b), node, (input, other), backward)


def dot(input, tensor):
    _check_tensor("dot", "tensor", 2, tensor)
    return _dot("DotBackward0", input, tensor)


def vdot(input, other):
    """The dot product of two 1-D tensors, conjugating the first (which changes nothing for real ones)."""
    _check_tensor("vdot", "other", 2, other)
    a, b = input._data, other._data
    _check_dot(a, b)

    def backward(g):
        return (_conj(g) * other if input._requires_grad else None,
                g * input if other._requires_grad else None)
    return make(product(a.conj() if a.dtype.kind == "c" else a, b), "VdotBackward0", (input, other), backward)


def mv(input, vec):
    _check_tensor("mv", "vec", 2, vec)
    a, b = input._data, vec._data
    _check_mv(a, b)

    def backward(g):
        return (outer(g, _conj(vec)) if input._requires_grad else None,
                mv(_mH(input), g) if vec._requires_grad else None)
    return make(product(a, b), "MvBackward0", (input, vec), backward)


def mm_grads(g, mat1, mat2):
    """The gradients of mat1 @ mat2 (None where not required), each laid out like its operand: for a
    transposed operand (e.g. `weight.t()` in a linear layer) the transposed product is computed and viewed
    back, so the gradient reaching the weight is C-contiguous and stores without a transposing copy.
    Without a graph of the backward to record (the usual case) the products run on the arrays directly,
    which saves the transposes' bookkeeping on the hottest path of training."""
    if not _grad_state["enabled"]:
        gd, a, b = g._data, mat1._data, mat2._data
        return (_wrap(_array_like(a, gd, b.T)) if mat1._requires_grad else None,
                _wrap(_array_like(b, a.T, gd)) if mat2._requires_grad else None)

    def like(operand, left, right):
        return _mT(mm(_mT(right), _mT(left))) if _transposed(operand._data) else mm(left, right)
    return (like(mat1, g, _mH(mat2)) if mat1._requires_grad else None,
            like(mat2, _mH(mat1), g) if mat2._requires_grad else None)


def _transposed(array):
    """Whether `array` is laid out as the transpose of a C-contiguous array."""
    return array.flags.f_contiguous and not array.flags.c_contiguous


def _array_like(operand, left, right):
    """left @ right laid out like `operand` (see mm_grads)."""
    return product(right.T, left.T).T if _transposed(operand) else product(left, right)


def mm(input, mat2):
    _check_tensor("mm", "mat2", 2, mat2)
    a, b = input._data, mat2._data
    _check_mm(a, b)
    return make(product(a, b), "MmBackward0", (input, mat2), lambda g: mm_grads(g, input, mat2))


def bmm(input, mat2):
    _check_tensor("bmm", "mat2", 2, mat2)
    a, b = input._data, mat2._data
    _check_bmm(a, b)

    def backward(g):
        return (bmm(g, _mH(mat2)) if input._requires_grad else None,
                bmm(_mH(input), g) if mat2._requires_grad else None)
    return make(product(a, b), "BmmBackward0", (input, mat2), backward)


def outer(input, vec2):
    """input[i] * vec2[j], computed as torch does: a column view of input times vec2 (MulBackward0)."""
    _check_tensor("outer", "vec2", 2, vec2)
    for name, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return mul(input.reshape(-1, 1), vec2)


# ----- matmul ---------------------------------------------------------------------------------------------
def matmul(input, other):
    """The matrix product with torch's rules for every rank: 1-D operands act as a row (left) or column
    (right) vector that is dropped from the result, and dims before the last two broadcast as batches."""
    _check_tensor("matmul", "other", 2, other)
    a, b = input._data, other._data
    d1, d2 = a.ndim, b.ndim
    if d1 == 0 or d2 == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {d1}D and {d2}D")
    if d1 == 1 and d2 == 1:
        return dot(input, other)
    if d1 == 2 and d2 == 1:
        return mv(input, other)
    if d1 == 2 and d2 == 2:
        return mm(input, other)
    if d1 == 1 and d2 == 2:
        _check_mm(a.reshape(1, -1), b)
        return _matmul(input, other, "SqueezeBackward4")
    if _folds(input, other):
        return _matmul(input, other, _check_folded(a, b))
    if d1 == 3 and d2 == 3 and a.shape[0] != b.shape[0]:
        # torch drops a batch of one that requires grad, so that its gradient needs no batch sum
        if a.shape[0] == 1 and input._requires_grad:
            return matmul(input.reshape(a.shape[1:]), other)
        if b.shape[0] == 1 and other._requires_grad:
            return matmul(input, other.reshape(b.shape[1:]))
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2] if d2 > 1 else ())
    n, p = a.shape[-2] if d1 > 1 else 1, b.shape[-1] if d2 > 1 else 1
    k2 = b.shape[-2] if d2 > 1 else b.shape[0]
    rows = math.prod(batch)
    _check_bmm(_stand_in((rows, n, a.shape[-1]), a.dtype), _stand_in((rows, k2, p), b.dtype))
    return _matmul(input, other, "UnsafeViewBackward0")


def _folds(input, other):
    """Whether torch computes this product as one mm/mv on the larger operand with its batch dims folded
    into rows: when the smaller operand is at most 2-D and either requires grad or the fold is a view."""
    a, b = input._data, other._data
    big, small = (a, other) if a.ndim >= b.ndim else (b.swapaxes(-1, -2), input)
    if big.ndim < 3 or small.ndim > 2:
        return False
    if small._requires_grad:
        return True
    if a.ndim == 2:
        return False
    if big.size == 0:
        return True
    strides = [s // big.itemsize for s in big.strides]
    return all(strides[i] == strides[i + 1] * big.shape[i + 1] for i in range(big.ndim - 2))


def _check_folded(a, b):
    """Raise torch's error for a folded product; return the name of torch's outermost node."""
    if a.ndim >= b.ndim:
        rows = _stand_in((math.prod(a.shape[:-1]), a.shape[-1]), a.dtype)
        (_check_mv if b.ndim == 1 else _check_mm)(rows, b)
        return "UnsafeViewBackward0"
    rows = _stand_in((math.prod(b.shape[:-2]) * b.shape[-1], b.shape[-2]), b.dtype)
    if a.ndim == 1:
        _check_mv(rows, a)
        return "UnsafeViewBackward0"
    _check_mm(rows, a.T)
    # torch transposes the folded result back; it copies (CloneBackward0) unless that is already contiguous
    n, p = a.shape[0], b.shape[-1]
    return "CloneBackward0" if n > 1 and p > 1 and b.size else "TransposeBackward0"


def _matmul(input, other, name):
    """The general product: 1-D operands become a row / column matrix, batch dims broadcast; the gradient
    of a broadcast operand is summed back to its shape."""
    a, b = input._data, other._data
    out = product(a, b)

    def backward(g):
        left = input if a.ndim > 1 else input.reshape(1, -1)
        right = other if b.ndim > 1 else other.reshape(-1, 1)
        g = g.reshape(_matrix_shape(out.shape, a.ndim, b.ndim))
        ga = gb = None
        if input._requires_grad:
            ga = sum_to(matmul(g, _mH(right)), left.shape).reshape(a.shape)
        if other._requires_grad:
            gb = sum_to(matmul(_mH(left), g), right.shape).reshape(b.shape)
        return ga, gb
    return make(out, name, (input, other), backward)


def _matrix_shape(shape, d1, d2):
    """The product's shape with the row (1-D left operand) or column (1-D right operand) put back."""
    shape = tuple(shape) + ((1,) if d2 == 1 else ())
    return shape[:-1] + (1,) + shape[-1:] if d1 == 1 else shape


def ger(input, vec2):
    """outer, under its deprecated name (with torch's warning)."""
    _warnings.warn("torch.ger is deprecated and will be removed in a future PyTorch release. Use torch.outer "
                   "instead.")
    return outer(input, vec2)


__all__ = ["matmul", "mm", "bmm", "dot", "vdot", "mv", "outer", "ger"]
_METHODS = {name: globals()[name] for name in __all__}
_METHODS.update({
    "__matmul__": lambda self, other: matmul(self, other) if isinstance(other, Tensor) else NotImplemented,
    "__rmatmul__": lambda self, other: matmul(other, self) if isinstance(other, Tensor) else NotImplemented,
})
_INPLACE = {}
