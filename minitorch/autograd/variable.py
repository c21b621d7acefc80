"""`Variable`: torch's legacy name for Tensor, kept because it carries the autograd engine
(`Variable._execution_engine.queue_callback`), which distributed training uses."""
from .graph import engine


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        from .._tensor import Tensor
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """Every Tensor is a Variable; `Variable(t, requires_grad)` returns a tensor sharing `t`'s data."""

    _execution_engine = engine

    def __new__(cls, data, requires_grad=False):
        return data.detach().requires_grad_(requires_grad)
