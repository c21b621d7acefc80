"""In-place ops (`add_`, `x += y`, `zero_` ...): compute the out-of-place result, write it into the
tensor's own storage (so views see it), and move the tensor's history onto the new node."""
import functools

from .. import _dtype
from .._tensor import Tensor
from ..autograd import grad_mode

_grad_state = grad_mode._state


def check_inplace(self, *others):
    """torch's error for modifying a leaf that requires grad while grad is on; says whether to record."""
    if not _grad_state["enabled"]:
        return False
    if self._requires_grad and self._grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    return self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others)


def _cast_name(d):
    from .pointwise import _dtype_name
    return _dtype_name(d)


def commit(self, result):
    """Write `result` (an out-of-place op's output) into `self` and take over its history."""
    rd, sd = result._data, self._data
    if rd.dtype != sd.dtype:
        r, s = result.dtype, self.dtype
        if r._category > s._category:
            raise RuntimeError(f"result type {_cast_name(r)} can't be cast to the desired output type "
                               f"{_cast_name(s)}")
    if rd.shape != sd.shape:
        raise RuntimeError(f"output with shape {list(sd.shape)} doesn't match the broadcast shape "
                           f"{list(rd.shape)}")
    sd[...] = rd
    if result._grad_fn is not None:
        self._grad_fn, self._output_nr, self._requires_grad = result._grad_fn, result._output_nr, True
    return self


def inplace_variant(op):
    """`op_` from `op`: the result of op(self, ...) stored into self."""
    @functools.wraps(op)
    def method(self, *args, **kwargs):
        if check_inplace(self, *args):
            # the graph must see the old value of self, which the write below overwrites
            old = Tensor._wrap(self._data.copy(), self._requires_grad)
            old._grad_fn, old._output_nr = self._grad_fn, self._output_nr
            if self._grad_fn is None and self._requires_grad:
                old._accumulator = self._accumulator
            return commit(self, op(old, *args, **kwargs))
        with grad_mode.no_grad():
            return commit(self, op(self, *args, **kwargs))
    method.__name__ = op.__name__ + "_"
    return method


def zero_(self):
    check_inplace(self)
    self._data[...] = 0
    return self


def fill_(self, value):
    recording = check_inplace(self, value)
    v = value._data if isinstance(value, Tensor) else value
    self._data[...] = v
    if recording:
        from ._core import make
        commit(self, make(self._data.copy(), "FillBackward1", (value,) if isinstance(value, Tensor) else (),
                          lambda g: (g.sum(),), saves=False))
    return self


def copy_(self, src, non_blocking=False):
    """Copy `src` (broadcast, cast, moved across devices) into self; differentiable w.r.t. src."""
    recording = check_inplace(self, src)
    from .convert import to_copy
    moved = to_copy(src, self.device, self.dtype)
    self._data[...] = moved._data
    if recording:
        from ._core import make, sum_to
        shape = src._data.shape
        out = make(self._data, "CopyBackwards", (None, src), lambda g: (None, sum_to(g, shape).to(
            src.device, src.dtype)), saves=False)
        self._grad_fn, self._output_nr, self._requires_grad = out._grad_fn, 0, True
    return self


__all__ = []
_METHODS = {"zero_": zero_, "fill_": fill_, "copy_": copy_}
_INPLACE = {}
