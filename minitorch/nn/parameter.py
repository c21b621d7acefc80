"""`Parameter` (a tensor that a Module registers as learnable state) and `Buffer` (a tensor that a Module
registers as non-learnable state). See https://pytorch.org/docs/stable/generated/torch.nn.parameter.Parameter.html"""
from .._tensor import Tensor
from ..overrides import _disabled_torch_function_impl


class Parameter(Tensor):
    """A Tensor that, assigned as a Module attribute, is registered in `module.parameters()`.

    `Parameter(data)` shares `data`'s storage and requires grad by default, even under `no_grad()`. Ops on
    a Parameter return plain Tensors: it opts out of __torch_function__ dispatch."""

    __torch_function__ = _disabled_torch_function_impl

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        param = cls._wrap(data.detach()._data)
        if requires_grad and not param.is_floating_point():
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        param.requires_grad_(requires_grad)
        return param

    def __init__(self, data=None, requires_grad=True):
        """Everything is done in __new__; this stops Tensor.__init__ from reading the arguments."""

    def __deepcopy__(self, memo):
        """A Parameter with a copy of the data and the same requires_grad; like torch, `.grad` is not copied."""
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.data.clone(), self.requires_grad)
        return memo[id(self)]

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class _BufferMeta(type):
    """`isinstance(t, Buffer)` is true for the plain tensors that `Buffer(...)` returns."""

    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor as a buffer: assigned as a Module attribute it is registered with `register_buffer`,
    persistent (in `state_dict`) or not. Like torch, the result is a plain Tensor carrying the mark."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
