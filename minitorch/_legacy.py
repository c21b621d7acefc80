"""The legacy tensor types (torch.FloatTensor, torch.LongTensor ...): calling one makes a cpu tensor of its
dtype, `isinstance(t, torch.FloatTensor)` tests a tensor's dtype and device, and `t.type(torch.DoubleTensor)`
converts. Also set_default_tensor_type, which sets the default dtype from one."""
from . import _dtype, _warnings
from ._tensor import Tensor, type_name

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor", "CharTensor", "ShortTensor",
           "IntTensor", "LongTensor", "BoolTensor", "set_default_tensor_type"]


class tensortype(type):
    """The metaclass of the legacy types: each type stands for one dtype on the cpu."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.is_cpu

    def __call__(cls, *args, **kwargs):
        return Tensor(*args, dtype=cls.dtype, **kwargs)

    def __repr__(cls):
        return f"<class '{cls.__module__}.{cls.__name__}'>"


tensortype.__module__ = "torch"


def _legacy(d):
    name = type_name(d)[len("torch."):]
    return tensortype(name, (), {"dtype": d, "is_cuda": False, "is_sparse": False, "__module__": "torch",
                                 "__doc__": f"The legacy type of cpu tensors of {d}."})


FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor = (_legacy(d) for d in (
    _dtype.float32, _dtype.float64, _dtype.float16, _dtype.bfloat16))
ByteTensor, CharTensor, ShortTensor, IntTensor, LongTensor, BoolTensor = (_legacy(d) for d in (
    _dtype.uint8, _dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64, _dtype.bool))


def set_default_tensor_type(t):
    """Set the default dtype from a legacy floating type (or its name), with torch's deprecation warning."""
    _warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                   "torch.set_default_dtype() and torch.set_default_device() as alternatives.")
    if isinstance(t, str):
        t = globals().get(t.rsplit(".", 1)[-1])
    if not isinstance(t, tensortype):
        raise TypeError(f"invalid type: '{t}'")
    if not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(t.dtype)
