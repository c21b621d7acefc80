"""In-place ops (`add_`, `x += y`, `zero_` ...): compute the out-of-place result, write it into the
tensor's own storage (so views see it), bump its version and move its history onto the new node."""
import functools

from .._tensor import Tensor
from ..autograd import grad_mode
from ._core import make, sum_to
from .shape import rebase_history
from .pointwise import _zeros_like

_grad_state = grad_mode._state


def check_inplace(self, *others):
    """torch's error for modifying a leaf that requires grad while grad is on; says whether to record."""
    if not _grad_state["enabled"]:
        return False
    if self._requires_grad and self._grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if self._multi_output_view and self._requires_grad:
        raise RuntimeError(f"Output {self._output_nr} of {self._grad_fn.name().rsplit('Backward', 1)[0]} is a view "
                           "and is being modified inplace. This view is the output of a function that returns "
                           "multiple views. Such functions do not allow the output views to be modified inplace. "
                           "You should replace the inplace operation by an out-of-place one.")
    base = self._base
    if base is not None and base._requires_grad and base._grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    return self._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others)


def commit(self, result):
    """Write `result` (an out-of-place op's output) into `self` and take over its history."""
    rd, sd = result._data, self._data
    if rd.dtype != sd.dtype:
        r, s = result.dtype, self.dtype
        if r._category > s._category:
            raise RuntimeError(f"result type {r.scalar_name} can't be cast to the desired output type "
                               f"{s.scalar_name}")
    if rd.shape != sd.shape:
        raise RuntimeError(f"output with shape {list(sd.shape)} doesn't match the broadcast shape "
                           f"{list(rd.shape)}")
    sd[...] = rd
    self._bump_version()
    node = result._grad_fn
    if node is not None:
        self._grad_fn, self._output_nr, self._requires_grad = node, result._output_nr, True
        if node._saved:  # a saved output now lives in self: later in-place changes of self must be caught
            node._saved = [(self, self._version, node) if e[0] is result else e for e in node._saved]
        if self._base is not None:
            rebase_history(self)
    return self


def _old_value(self, copy=True):
    """self before the write, with self's history, as the input of the new node: a copy when the new node
    reads the value, an alias of the memory when only the history matters."""
    old = Tensor._wrap(self._data.copy() if copy else self._data, self._requires_grad)
    old._grad_fn, old._output_nr = self._grad_fn, self._output_nr
    return old


def inplace_variant(op):
    """`op_` from `op`: the result of op(self, ...) stored into self."""
    @functools.wraps(op)
    def method(self, *args, **kwargs):
        if check_inplace(self, *args, *kwargs.values()):
            return commit(self, op(_old_value(self), *args, **kwargs))
        return commit(self, op(self, *args, **kwargs))
    method.__name__ = op.__name__ + "_"
    return method


def _fill(input, value, name, tensor_name="FillBackward3"):
    """`input`'s shape filled with `value` (a number, or a zero-dim tensor that receives the summed
    gradient); `input` itself gets a zero gradient. The node is `name`, or `tensor_name` for a tensor value."""
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value._data.ndim} dimensions.")
    data = input._data.copy()
    data[...] = value._data if isinstance(value, Tensor) else value
    if not isinstance(value, Tensor):
        return make(data, name, (input,), lambda g: (_zeros_like(g),), saves=False)
    return make(data, tensor_name, (input, value), lambda g: (_zeros_like(g), g.sum()), saves=False)


def zero_(self):
    old = _old_value(self, copy=False) if check_inplace(self) else self
    return commit(self, _fill(old, 0, "ZeroBackward0"))


def fill_(self, value):
    old = _old_value(self, copy=False) if check_inplace(self, value) else self
    return commit(self, _fill(old, value, "FillBackward2"))


def copy_(self, src, non_blocking=False):
    """Copy `src` (broadcast, cast, moved across devices) into self; differentiable w.r.t. src."""
    old = _old_value(self, copy=False) if check_inplace(self, src) else None
    from .convert import to_copy
    with grad_mode.no_grad():
        moved = to_copy(src, self.device, self.dtype)
    _check_broadcast(moved._data.shape, self._data.shape)
    self._data[...] = moved._data
    self._bump_version()
    if old is not None:
        shape = src._data.shape

        def backward(g):
            return _zeros_like(g), sum_to(g, shape).to(src.device, src.dtype) if src._requires_grad else None
        node = make(self._data, "CopyBackwards", (old, src), backward, saves=False)._grad_fn
        self._grad_fn, self._output_nr, self._requires_grad = node, 0, True
        if self._base is not None:
            rebase_history(self)
    return self


def _check_broadcast(src, dst):
    """torch's error when `src` cannot broadcast to `dst`."""
    for i in range(1, len(src) + 1):
        a = dst[-i] if i <= len(dst) else 1
        if src[-i] not in (1, a):
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({src[-i]}) at "
                               f"non-singleton dimension {len(src) - i}")


__all__ = []
_METHODS = {"zero_": zero_, "fill_": fill_, "copy_": copy_}
_INPLACE = {}
