"""What every op shares: wrapping a result (and recording its graph node), operand preparation with
torch's type promotion and device checks, and `sum_to` for gradients of broadcast operands."""
import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import Node, gradient_edge

_grad_state = grad_mode._state
_wrap = Tensor._wrap


def make(data, name, inputs, backward, saves=True):
    """Wrap `data` as an op's result; when grad is on and an input requires it, record a node whose
    `backward(grad)` returns one gradient (or None) per entry of `inputs`."""
    if isinstance(data, np.generic):
        data = np.asarray(data)
    out = _wrap(data)
    if _grad_state["enabled"]:
        for t in inputs:
            if t is not None and t._requires_grad:
                out._grad_fn = Node(name, backward, tuple(
                    gradient_edge(t) if t is not None else (None, 0) for t in inputs), saves)
                out._requires_grad = True
                break
    return out


def make_multi(datas, name, inputs, backward, saves=False):
    """Like `make` for an op with several outputs sharing one node; backward gets one grad per output
    (None for outputs that received none)."""
    outs = tuple(_wrap(d) for d in datas)
    if _grad_state["enabled"] and any(t is not None and t._requires_grad for t in inputs):
        node = Node(name, backward, tuple(gradient_edge(t) if t is not None else (None, 0) for t in inputs),
                    saves, num_outputs=len(outs))
        for i, o in enumerate(outs):
            o._grad_fn, o._output_nr, o._requires_grad = node, i, True
    return outs


def check_same_device(a, b):
    if type(a._data) is not type(b._data) or (a.is_cuda and a._data.device != b._data.device):
        if a.ndim == 0 and a.is_cpu or b.ndim == 0 and b.is_cpu:
            return
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{a.device} and {b.device}!")


def _to_device_array(t, like):
    """A cpu zero-dim tensor used with a cuda tensor is moved along, as torch allows."""
    if type(t._data) is type(like._data):
        return t._data
    from .._device import array_module
    return array_module(like._data).asarray(t._data)


def binary(a, b):
    """Arrays for a binary op on `a` (a Tensor) and `b` (Tensor or number), cast to the promoted dtype.
    Returns (a_array, b_array_or_number, b_tensor_or_None)."""
    ad = a._data
    if isinstance(b, Tensor):
        bd = b._data
        if type(ad) is not type(bd):
            check_same_device(a, b)
            if a.ndim == 0 and a.is_cpu:
                ad = _to_device_array(a, b)
            else:
                bd = _to_device_array(b, a)
        if ad.dtype != bd.dtype:
            dt = _dtype.result_type(a, b).np
            ad = ad.astype(dt, copy=False)
            bd = bd.astype(dt, copy=False)
        return ad, bd, b
    if isinstance(b, (bool, int, float, np.number, np.bool_)):
        kind = ad.dtype.kind
        if isinstance(b, (float, np.floating)) and kind != "f" and not _is_bf16(ad):
            ad = ad.astype(_dtype.get_default_dtype().np)
        elif isinstance(b, (int, np.integer)) and not isinstance(b, (bool, np.bool_)) and kind == "b":
            ad = ad.astype(np.int64)
        if kind in "iu" and not isinstance(b, (bool, np.bool_, float, np.floating)):
            b = np.asarray(b).astype(ad.dtype)
        return ad, b, None
    raise TypeError(f"unsupported operand type(s): 'Tensor' and '{type(b).__name__}'")


def _is_bf16(arr):
    return arr.dtype is _dtype.bfloat16.np


def as_tensor_arg(x, like):
    """Turn a number into a zero-dim tensor on `like`'s device (for ops whose operand must be a tensor)."""
    if isinstance(x, Tensor):
        return x
    from .._creation import tensor
    return tensor(x, dtype=_dtype.result_type(like, x), device=like.device)


def sum_to(grad, shape):
    """Sum `grad` down to `shape`: the gradient of broadcasting an operand of that shape."""
    gshape = grad._data.shape
    shape = tuple(shape)
    if gshape == shape:
        return grad
    from .reduce import sum as _sum
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
    out = _sum(grad, axes, keepdim=True) if axes else grad
    return out.reshape(shape) if out._data.shape != shape else out


def normalize_dims(dim, ndim):
    """A tuple of non-negative axes for `dim` (int, sequence, or None meaning all)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    from .._tensor import _wrap_dim
    out = tuple(_wrap_dim(int(d), ndim) for d in dim)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return out
