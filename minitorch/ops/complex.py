"""Complex numbers: the parts of a complex tensor (real, imag and their float views), building one (complex,
polar), conjugation and the angle.

Gradients follow torch's convention for complex tensors: the gradient of a real loss L with respect to
z = x + iy is dL/dx + i dL/dy, so for z = f(x) with x real, x's gradient is Re(conj(f'(x)) * g).

torch conjugates lazily (`conj()` sets a flag that `is_conj()` reports and `resolve_conj()` materialises);
minitorch's arrays have no such flag, so `conj()` computes the conjugate at once and `is_conj()` and
`is_neg()` are always False."""
import math

from .. import _dtype
from .._device import array_module
from .._tensor import Tensor
from ._core import make, sum_to
from .pointwise import _dtype_name, _float_array, _zeros_like
from .shape import _view, select


def _require_complex(input, message):
    if not input.is_complex():
        raise RuntimeError(message)


def real(input):
    """The real parts of a complex tensor, as a view (a real tensor itself is returned as it is). As in
    torch, this is view_as_real(input)[..., 0]."""
    if not input.is_complex():
        return input
    return select(view_as_real(input), -1, 0)


def imag(input):
    """The imaginary parts of a complex tensor, as a view: view_as_real(input)[..., 1]."""
    _require_complex(input, "imag is not implemented for tensors with non-complex dtypes.")
    return select(view_as_real(input), -1, 1)


def view_as_real(input):
    """A float view (..., 2) of a complex tensor: the last dim holds each element's real and imaginary part."""
    _require_complex(input, "view_as_real is only supported for complex tensors")
    data = input._data
    half = data.real  # a float view with the complex strides; the imaginary part is one float further on
    parts = array_module(data).lib.stride_tricks.as_strided(half, data.shape + (2,), half.strides + (half.itemsize,))
    return _view(parts, "ViewAsRealBackward0", input, lambda g: (view_as_complex(g.contiguous()),), view_as_real)


def view_as_complex(input):
    """A complex view of a float tensor whose last dim (of size 2) holds real and imaginary parts."""
    data = input._data
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"view_as_complex is only supported for half, float and double tensors, but got a tensor of "
                           f"scalar type: {_dtype_name(input.dtype)}")
    if not data.ndim or data.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if data.strides[-1] != data.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % (2 * data.itemsize) for s in data.strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    joined = data.view(input.dtype.to_complex().np)[..., 0]
    return _view(joined, "ViewAsComplexBackward0", input, lambda g: (view_as_real(g),), view_as_complex)


_real_part, _imag_part = real, imag  # complex() names its arguments real and imag, as torch does


def complex(real, imag):
    """real + i * imag from two float tensors of the same dtype (broadcasting)."""
    for t in (real, imag):
        if not isinstance(t, Tensor):
            raise TypeError(f"complex(): argument '{'real' if t is real else 'imag'}' (position "
                            f"{1 if t is real else 2}) must be Tensor, not {type(t).__name__}")
    if real.dtype not in (_dtype.float16, _dtype.float32, _dtype.float64) or \
            imag.dtype not in (_dtype.float16, _dtype.float32, _dtype.float64):
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_dtype_name(real.dtype)} and {_dtype_name(imag.dtype)}")
    if real.dtype is not imag.dtype:
        raise RuntimeError(f"Expected object of scalar type {_dtype_name(real.dtype)} but got scalar type "
                           f"{_dtype_name(imag.dtype)} for second argument")
    out = (real._data + 1j * imag._data).astype(real.dtype.to_complex().np, copy=False)

    def backward(g):
        return (sum_to(_real_part(g), real.shape) if real._requires_grad else None,
                sum_to(_imag_part(g), imag.shape) if imag._requires_grad else None)
    return make(out, "ComplexBackward0", (real, imag), backward, saves=False)


def polar(abs, angle):
    """abs * (cos(angle) + i sin(angle))."""
    if abs.dtype is not angle.dtype:
        raise RuntimeError(f"Expected object of scalar type {_dtype_name(abs.dtype)} but got scalar type "
                           f"{_dtype_name(angle.dtype)} for second argument")
    if abs.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"Expected both inputs to be Float or Double tensors but got {_dtype_name(abs.dtype)} "
                           f"and {_dtype_name(angle.dtype)}")
    xp = array_module(abs._data)
    out = (abs._data * xp.exp(1j * angle._data)).astype(abs.dtype.to_complex().np, copy=False)

    def backward(g):
        unit = complex(angle.cos(), angle.sin())
        z = unit * abs
        grad_abs = sum_to(real(g * conj(unit)), abs.shape) if abs._requires_grad else None
        grad_angle = sum_to(imag(conj(z) * g), angle.shape) if angle._requires_grad else None
        return grad_abs, grad_angle
    return make(out, "PolarBackward0", (abs, angle), backward)


def conj(input):
    """The complex conjugate (computed at once: minitorch has no lazy conjugate views); a real tensor is
    returned as it is."""
    if not input.is_complex():
        return input
    return make(array_module(input._data).conj(input._data), "ConjBackward0", (input,), lambda g: (conj(g),),
                saves=False)


def conj_physical(input):
    """The complex conjugate, always computed (a real tensor is returned as it is, as torch does)."""
    if not input.is_complex():
        return input
    out = array_module(input._data).conj(input._data)
    return make(out, "ConjPhysicalBackward0", (input,), lambda g: (conj_physical(g),), saves=False)


def resolve_conj(input):
    """`input` itself: minitorch's conjugates are never lazy."""
    return input


def resolve_neg(input):
    """`input` itself: minitorch has no lazy negation."""
    return input


def is_conj(input):
    return False


def is_neg(input):
    return False


def angle(input):
    """The argument of each element: atan2(imag, real) for complex tensors; pi for negative and 0 for other
    real numbers (nan stays nan). Integer input gives the default float dtype."""
    xp = array_module(input._data)
    if input.is_complex():
        def backward(g):
            # d angle / dx = -y / |z|^2, d angle / dy = x / |z|^2
            return (g * complex(-imag(input), real(input)) / (input.abs() ** 2),)
        return make(xp.angle(input._data).astype(input.dtype.to_real().np), "AngleBackward0", (input,), backward)
    data = _float_array(input)
    out = xp.where(data < 0, data.dtype.type(math.pi), data.dtype.type(0))
    out = xp.where(xp.isnan(data), data, out)
    return make(out, "AngleBackward0", (input,), lambda g: (_zeros_like(g),), saves=False)


def _cfloat(self):
    return self.to(_dtype.complex64)


def _cdouble(self):
    return self.to(_dtype.complex128)


__all__ = ["real", "imag", "view_as_real", "view_as_complex", "complex", "polar", "conj", "conj_physical",
           "resolve_conj", "resolve_neg", "is_conj", "is_neg", "angle"]
_METHODS = {"real": property(real), "imag": property(imag), "conj": conj, "conj_physical": conj_physical,
            "resolve_conj": resolve_conj, "resolve_neg": resolve_neg, "is_conj": is_conj, "is_neg": is_neg,
            "angle": angle, "cfloat": _cfloat, "cdouble": _cdouble}
_INPLACE = {"conj_physical_": conj_physical}
