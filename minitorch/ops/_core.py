"""What every op shares: wrapping a result (and recording its graph node), operand preparation with
torch's type promotion and device checks, and `sum_to` for gradients of broadcast operands."""
import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import _NODE_TYPES, gradient_edge, node_type

_grad_state = grad_mode._state
_wrap = Tensor._wrap


def make(data, name, inputs, backward, saves=True):
    """Wrap `data` as an op's result; when grad is on and an input requires it, record a node whose
    `backward(grad)` returns one gradient (or None) per entry of `inputs`.

    `saves` says what backward reads besides the gradient: False for nothing (torch then allows a second
    backward through the node); True for its tensor inputs; or a tuple of exactly the tensors it reads
    (empty when it keeps only numbers, as `x * 2` does). Read tensors are version-checked: changing one in
    place before backward is torch's "modified by an inplace operation" error. A result that is a view of
    an input's memory shares that input's version counter."""
    if isinstance(data, np.generic):
        data = np.asarray(data)
    out = _wrap(data)
    base = data.base
    if base is not None:
        for t in inputs:
            if t is not None and (t._data is base or t._data.base is base):
                t._share_version(out)
                break
    if _grad_state["enabled"]:
        for t in inputs:
            if t is not None and t._requires_grad:
                saved = None
                if saves is not False:
                    saved = [(s, v[0] if (v := s._vc) else 0) for s in (inputs if saves is True else saves)
                             if s is not None]
                out._grad_fn = (_NODE_TYPES.get(name) or node_type(name))(backward, tuple(
                    gradient_edge(t) if t is not None else (None, 0) for t in inputs), saves is not False, 1, saved,
                    data.dtype)
                out._requires_grad = True
                break
    return out


def save_output(result, backward):
    """Finish the node of an op whose backward reads its own output `result` (exp, sqrt, sigmoid ...).
    The op calls `make(..., backward=None, saves=())` and then this, because the output exists only after
    make. backward(g, out) receives `result` detached, or live when building a double-backward graph."""
    node = result._grad_fn
    if node is not None:
        node._backward_fn = lambda g: (backward(g, result if _grad_state["enabled"] else _wrap(result._data)),)
        node._saved = [(result, 0, node)]
    return result


def make_multi(datas, name, inputs, backward, saves=False):
    """Like `make` for an op with several outputs sharing one node; backward gets one grad per output
    (None for outputs that received none)."""
    outs = tuple(_wrap(np.asarray(d) if isinstance(d, np.generic) else d) for d in datas)
    if _grad_state["enabled"] and any(t is not None and t._requires_grad for t in inputs):
        saved = None
        if saves is not False:
            saved = [(s, s._version) for s in (inputs if saves is True else saves) if s is not None]
        node = node_type(name)(backward, tuple(gradient_edge(t) if t is not None else (None, 0) for t in inputs),
                               saves is not False, len(outs), saved)
        for i, o in enumerate(outs):
            if o._data.dtype.kind in "fc" or _is_bf16(o._data):  # integer outputs (indices, pivots) have no gradient
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


# Python numbers an op accepts in place of a tensor operand.
SCALAR_TYPES = (bool, int, float, complex, np.bool_, np.integer, np.floating, np.complexfloating)

_INT_RANGES = {np.dtype(t): (np.iinfo(t).min, np.iinfo(t).max)
               for t in (np.uint8, np.int8, np.int16, np.int32, np.int64)}

# NumPy 1.x lets a Python number upcast a zero-dim array (int8 + 1 is int64, float32 * 2.0 is float64) and an
# array it does not fit (int8 + 1000 is int16); NumPy 2 (NEP 50) computes in the array's dtype, as torch does.
# On NumPy 1 operand numbers therefore become NumPy scalars of the op's dtype, which never upcast.
NUMPY1 = np.lib.NumpyVersion(np.__version__) < "2.0.0"


def number_operand(value, np_dtype):
    """A Python number as NumPy must see it beside an array of `np_dtype` to compute in np_dtype: as it is on
    NumPy 2 (NEP 50), a NumPy scalar of np_dtype on NumPy 1 and for bfloat16 (ml_dtypes before 0.7 promotes
    bfloat16 and a Python float to float32)."""
    return np_dtype.type(value) if NUMPY1 or np_dtype is _dtype.bfloat16.np else value


def scalar_operand(value, np_dtype):
    """A Python number as an operand of an array of `np_dtype` (the promoted dtype of the op): unchanged
    where NumPy computes in np_dtype anyway (a NumPy scalar of np_dtype on NumPy 1, see NUMPY1), wrapped
    modulo 2**bits where an integer does not fit (torch casts the number to the tensor's integer dtype:
    uint8 + (-2) is uint8 + 254)."""
    rng = _INT_RANGES.get(np_dtype)
    if rng is None or rng[0] <= value <= rng[1]:
        return number_operand(value, np_dtype)
    return np.array(value).astype(np_dtype)[()]


def binary(a, b):
    """Arrays for a binary op on `a` (a Tensor) and `b` (Tensor or number), cast to torch's promoted dtype.
    Returns (a_array, b_array_or_number, b_tensor_or_None). A number stays a number that NumPy does not
    let upcast the array (see scalar_operand)."""
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
        if ad.shape != bd.shape:
            broadcast_shapes(ad.shape, bd.shape)
        return ad, bd, b
    if isinstance(b, SCALAR_TYPES):
        if isinstance(b, np.generic):
            b = b.item()
        kind = ad.dtype.kind
        if isinstance(b, complex) and kind != "c":  # a complex number makes the op complex
            ad = ad.astype(_dtype.result_type(a, b).np)
            kind = "c"
        if kind in "fc" or _is_bf16(ad):
            return ad, number_operand(b, ad.dtype), None
        if isinstance(b, float):
            ad = ad.astype(_dtype.get_default_dtype().np)
        elif isinstance(b, bool):  # a bool never upcasts the array, on either NumPy
            return ad, b, None
        elif kind == "b":
            ad = ad.astype(np.int64)
        return ad, scalar_operand(b, ad.dtype), None
    raise TypeError(f"unsupported operand type(s): 'Tensor' and '{type(b).__name__}'")


def broadcast_shapes(shape_a, shape_b):
    """The broadcast of two shapes, with torch's error naming the last dimension that does not match."""
    n = max(len(shape_a), len(shape_b))
    a, b = (1,) * (n - len(shape_a)) + tuple(shape_a), (1,) * (n - len(shape_b)) + tuple(shape_b)
    for i in reversed(range(n)):
        x, y = a[i], b[i]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")
    return tuple(y if x == 1 else x for x, y in zip(a, b))


def _is_bf16(arr):
    return arr.dtype is _dtype.bfloat16.np


def accumulator(data):
    """The dtype torch accumulates half and bfloat16 arrays in (float32), or None for other dtypes: reductions,
    scans and products of 2-byte floats round once at the end instead of at every step."""
    return np.float32 if data.dtype == np.float16 or _is_bf16(data) else None


def widened(data):
    """`data` in its accumulation dtype (see accumulator): a float32 copy of half or bfloat16, else itself."""
    return data if accumulator(data) is None else data.astype(np.float32)


def as_tensor_arg(x, like):
    """Turn a number into a zero-dim tensor on `like`'s device (for ops whose operand must be a tensor)."""
    if isinstance(x, Tensor):
        return x
    from .._creation import tensor
    return tensor(x, dtype=_dtype.result_type(like, x), device=like.device)


def on_arrays(data):
    """Whether a backward may compute its gradient from `data` with array ops alone, skipping the tensor ops
    (and their bookkeeping) it is written with: when no graph of the backward is recorded, and the dtype is
    float32 or float64 (NumPy would accumulate half precision in half precision, torch in float32)."""
    return not _grad_state["enabled"] and data.dtype.kind == "f" and data.itemsize >= 4


def sum_to(grad, shape):
    """Sum `grad` down to `shape`: the gradient of broadcasting an operand of that shape."""
    gshape = grad._data.shape
    shape = tuple(shape)
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
    data = grad._data
    if on_arrays(data):  # a bias's gradient, mostly
        return _wrap(data.sum(axis=axes, keepdims=True).reshape(shape))
    from .reduce import sum as _sum
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
