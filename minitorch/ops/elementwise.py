"""More elementwise maths: inverse hyperbolic functions, atan2, hypot, logaddexp, copysign, fmax / fmin,
float_power, ldexp, frexp, nextafter, gcd / lcm, bit shifts, sgn and the sign tests. Each forward is followed
by its backward, written with tensor ops so that `create_graph=True` differentiates it again."""
import math

import numpy as np

from .. import _dtype
from .._device import array_module
from .._tensor import Tensor
from ._core import binary, make, sum_to
from .pointwise import (_dtype_name, _not_implemented, _recorded_comparison, _unary_with_input, _unary_with_output,
                        _zeros_like, abs, eq, exp, ge, gt, le, lt, ne, pow, sign, sqrt, trunc, where)
from .reduce import return_type

_LN2 = math.log(2.0)
_FREXP = return_type("frexp", ("mantissa", "exponent"))

acosh = _unary_with_input("AcoshBackward0", lambda xp, a: xp.arccosh(a), lambda g, x: g / sqrt(x * x - 1))
asinh = _unary_with_input("AsinhBackward0", lambda xp, a: xp.arcsinh(a), lambda g, x: g / sqrt(x * x + 1))
atanh = _unary_with_input("AtanhBackward0", lambda xp, a: xp.arctanh(a), lambda g, x: g / (1 - x * x))
deg2rad = _unary_with_input("Deg2RadBackward0", lambda xp, a: a * a.dtype.type(math.pi / 180),
                            lambda g, x: g * (math.pi / 180))
rad2deg = _unary_with_input("Rad2DegBackward0", lambda xp, a: a * a.dtype.type(180 / math.pi),
                            lambda g, x: g * (180 / math.pi))
exp2 = _unary_with_output("Exp2Backward0", lambda xp, a: xp.exp2(a), lambda g, out: g * out * _LN2)


def frac(input):
    """input - trunc(input), the fractional part with the sign of input (floating point only)."""
    d = input._data
    if d.dtype.kind in "biu":
        raise _not_implemented("frac_cpu", d.dtype)
    return make(d - array_module(d).trunc(d), "FracBackward0", (input,), lambda g: (g,), saves=False)


def sgn(input):
    """sign for real tensors; z / |z| (0 at 0) for complex ones."""
    d = input._data
    if d.dtype.kind != "c":
        out = sign(input)
        return make(out._data, "SgnBackward0", (input,), lambda g: (_zeros_like(g),), saves=False)
    xp = array_module(d)
    magnitude = xp.abs(d)
    out = xp.where(magnitude == 0, 0, d / xp.where(magnitude == 0, 1, magnitude)).astype(d.dtype)

    def backward(g):
        # for z != 0: (g - Re(g conj(s)) s) / |z|, with s = z / |z|
        s, r = Tensor._wrap(out), input.abs()
        grad = (g - (g * s.conj()).real * s) / r
        return (where(r == 0, 0.0, grad),)
    return make(out, "SgnBackward0", (input,), backward)


def signbit(input):
    """True where the sign bit is set (negative numbers, -0.0 and nan with a sign)."""
    d = input._data
    xp = array_module(d)
    return make(xp.signbit(d) if d.dtype.kind != "b" else xp.zeros(d.shape, bool), "signbit", (), None)


def isposinf(input):
    return _checked_test(input, lambda xp, d: xp.isposinf(d), "isposinf")


def isneginf(input):
    return _checked_test(input, lambda xp, d: xp.isneginf(d), "isneginf")


def _checked_test(input, test, name):
    d = input._data
    if d.dtype.kind == "c":
        raise RuntimeError(f"{name} does not support complex inputs.")
    if d.dtype.kind in "biu":
        return make(array_module(d).zeros(d.shape, bool), name, (), None)
    return make(test(array_module(d), d), name, (), None)


def isreal(input):
    """True where the element has no imaginary part (everywhere, for real tensors)."""
    d = input._data
    xp = array_module(d)
    return make(d.imag == 0 if d.dtype.kind == "c" else xp.ones(d.shape, bool), "isreal", (), None)


# ----- two operands ----------------------------------------------------------------------------------------
def _operands(input, other, kernel=None):
    """The promoted arrays of a floating-point op: integer and bool results are computed in the default
    float dtype, unless `kernel` names torch's kernel, which refuses them."""
    a, b, bt = binary(input, other)
    if a.dtype.kind in "biu":
        if kernel is not None:
            raise _not_implemented(kernel, a.dtype)
        floating = _dtype.get_default_dtype().np
        a = a.astype(floating)
        b = b.astype(floating) if hasattr(b, "astype") else b
    return a, b, bt


def _check_tensor(fn, value, position=2, name="other"):
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}")


def _binary(name, kernel, compute, grads, scalar_other=False):
    """A differentiable op of two operands: compute(xp, a, b) on the promoted arrays; grads(g, input, other)
    gives the two gradients before they are summed back to the operands' shapes."""
    fn = name[:-len("Backward0")].lower()

    def op(input, other):
        if not scalar_other:
            _check_tensor(fn, other)
        a, b, bt = _operands(input, other, kernel)

        def backward(g):
            ga, gb = grads(g, input, other)
            return (sum_to(ga, input.shape) if input._requires_grad else None,
                    sum_to(gb, bt.shape) if bt is not None and bt._requires_grad else None)
        return make(compute(array_module(a), a, b), name, (input, bt), backward)
    op.__name__ = fn
    return op


atan2 = _binary("Atan2Backward0", None, lambda xp, a, b: xp.arctan2(a, b),
                lambda g, y, x: (g * x / (x * x + y * y), -g * y / (x * x + y * y)))
hypot = _binary("HypotBackward0", "hypot_cpu", lambda xp, a, b: xp.hypot(a, b),
                lambda g, a, b: (g * a / hypot(a, b), g * b / hypot(a, b)))
logaddexp = _binary("LogaddexpBackward0", "logaddexp_cpu", lambda xp, a, b: xp.logaddexp(a, b),
                    lambda g, a, b: (g / (1 + exp(b - a)), g / (1 + exp(a - b))))
logaddexp2 = _binary("Logaddexp2Backward0", "logaddexp2_cpu", lambda xp, a, b: xp.logaddexp2(a, b),
                     lambda g, a, b: (g / (1 + pow(2.0, b - a)), g / (1 + pow(2.0, a - b))))
copysign = _binary("CopysignBackward0", None, lambda xp, a, b: xp.copysign(a, b),
                   lambda g, a, b: (where(eq(a, 0), 0.0, g * copysign(a, b) / a), _zeros_like(g)), scalar_other=True)
ldexp = _binary("LdexpBackward0", None, lambda xp, a, b: a * xp.exp2(b),
                lambda g, a, b: (g * pow(2.0, b), g * a * pow(2.0, b) * _LN2))


def nextafter(input, other):
    """The next floating-point value after input towards other (its gradient passes to input, as torch's)."""
    _check_tensor("nextafter", other)
    a, b, _ = _operands(input, other, "nextafter_cpu")

    def backward(g):
        return (sum_to(g, input.shape) if input._requires_grad else None,
                sum_to(_zeros_like(g), other.shape) if other._requires_grad else None)
    return make(array_module(a).nextafter(a, b), "NextafterBackward0", (input, other), backward, saves=False)


def _nan_ignoring(name, pick):
    """fmax / fmin: the larger / smaller element, a nan losing to a number (maximum / minimum propagate it)."""
    def op(input, other):
        _check_tensor(name, other)
        a, b, bt = binary(input, other)
        xp = array_module(a)
        take_a = pick(a, b) | xp.isnan(b)
        out = xp.where(take_a, a, b)
        mask = Tensor._wrap(take_a)

        def backward(g):
            return (sum_to(where(mask, g, 0.0), input.shape) if input._requires_grad else None,
                    sum_to(where(mask, 0.0, g), bt.shape) if bt._requires_grad else None)
        return make(out, name.capitalize() + "Backward0", (input, bt), backward, saves=(mask,))
    op.__name__ = name
    return op


fmax = _nan_ignoring("fmax", lambda a, b: a >= b)
fmin = _nan_ignoring("fmin", lambda a, b: a <= b)


def float_power(input, exponent):
    """input ** exponent computed in double precision (float64, or complex128 for complex operands)."""
    complex_ = any(isinstance(x, complex) or isinstance(x, Tensor) and x.is_complex() for x in (input, exponent))
    wide = _dtype.complex128 if complex_ else _dtype.float64
    if not isinstance(input, Tensor):
        return pow(input, exponent.to(wide))
    return pow(input.to(wide), exponent.to(wide) if isinstance(exponent, Tensor) else exponent)


def float_power_(self, exponent):
    """In-place float_power, for a self that already has the double dtype the result needs."""
    complex_ = self.is_complex() or isinstance(exponent, complex) or \
        isinstance(exponent, Tensor) and exponent.is_complex()
    wide = _dtype.complex128 if complex_ else _dtype.float64
    if self.dtype is not wide:
        raise RuntimeError(f"the base given to float_power_ has dtype {_dtype_name(self.dtype)} but the "
                           f"operation's result requires dtype {_dtype_name(wide)}")
    return self.pow_(exponent.to(wide) if isinstance(exponent, Tensor) else exponent)


def frexp(input):
    """(mantissa, exponent) with input = mantissa * 2 ** exponent, |mantissa| in [0.5, 1); exponent is int32."""
    d = input._data
    if not input.is_floating_point():
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    xp = array_module(d)
    mantissa, exponent = xp.frexp(d)
    scale = Tensor._wrap(xp.ldexp(xp.ones_like(d), -exponent))  # d mantissa / d input = 2 ** -exponent
    return _FREXP((make(mantissa, "FrexpBackward0", (input,), lambda g: (g * scale,)),
                   make(exponent.astype(np.int32), "frexp", (), None)))


def _integer_op(name, compute, kernel):
    """gcd / lcm: integer operands only, no gradient."""
    def op(input, other):
        _check_tensor(name, other)
        a, b, _ = binary(input, other)
        if a.dtype.kind not in "iu":
            raise _not_implemented(kernel, a.dtype)
        return make(compute(array_module(a), a, b).astype(a.dtype, copy=False), name, (), None)
    op.__name__ = name
    return op


gcd = _integer_op("gcd", lambda xp, a, b: xp.gcd(a, b), "gcd_cpu")
lcm = _integer_op("lcm", lambda xp, a, b: xp.lcm(a, b), "lcm_cpu")


def _shift(name, right):
    """A bit shift of integer tensors by a number or tensor, in the promoted dtype. Shifting by the bit width
    or more (or by a negative amount) gives 0, or -1 for negative numbers shifted right, as in torch."""
    def op(input, other):
        a, b, _ = binary(input, other)
        if a.dtype.kind not in "iu":
            raise _not_implemented("rshift_cpu" if right else "lshift_cpu", a.dtype)
        xp = array_module(a)
        b = xp.asarray(b, dtype=a.dtype)
        overflow = (b < 0) | (b >= a.dtype.itemsize * 8)
        b = xp.where(overflow, 0, b).astype(a.dtype)
        out = xp.right_shift(a, b) if right else xp.left_shift(a, b)
        spilled = xp.where(a < 0, -1, 0).astype(a.dtype) if right else xp.zeros_like(a)
        return make(xp.where(overflow, spilled, out).astype(a.dtype, copy=False), name, (), None)
    op.__name__ = name
    return op


bitwise_left_shift = _shift("bitwise_left_shift", right=False)
bitwise_right_shift = _shift("bitwise_right_shift", right=True)


def heaviside(input, values):
    """0 where input < 0, 1 where input > 0, `values` where input == 0 (same dtype required); not
    differentiable."""
    _check_tensor("heaviside", values, name="values")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    if input.is_complex():
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    a, b, bt = binary(input, values)
    xp = array_module(a)
    out = xp.where(a == 0, b, (a > 0).astype(a.dtype)).astype(a.dtype, copy=False)

    def backward(g):
        raise RuntimeError("derivative for aten::heaviside is not implemented")
    return make(out, "torch::autograd::NotImplemented", (input, bt), backward, saves=False)


fix, absolute, arccosh, arcsinh, arctanh, arctan2 = trunc, abs, acosh, asinh, atanh, atan2
__all__ = ["acosh", "asinh", "atanh", "arccosh", "arcsinh", "arctanh", "atan2", "arctan2", "deg2rad", "rad2deg",
           "exp2", "frac", "fix", "absolute", "sgn", "signbit", "isposinf", "isneginf", "isreal", "hypot",
           "logaddexp", "logaddexp2", "copysign", "ldexp", "nextafter", "fmax", "fmin", "float_power", "frexp",
           "gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift", "heaviside"]
_METHODS = {name: globals()[name] for name in __all__}
_METHODS.update({"__lshift__": bitwise_left_shift, "__rshift__": bitwise_right_shift})
_INPLACE = {name + "_": globals()[name] for name in __all__ if name not in (
    "signbit", "isposinf", "isneginf", "isreal", "logaddexp", "logaddexp2", "fmax", "fmin", "frexp",
    "float_power")}
_INPLACE.update({"greater_": _recorded_comparison(gt), "greater_equal_": _recorded_comparison(ge),
                 "less_": _recorded_comparison(lt), "less_equal_": _recorded_comparison(le),
                 "not_equal_": _recorded_comparison(ne),
                 "__ilshift__": bitwise_left_shift, "__irshift__": bitwise_right_shift})
_METHODS["float_power_"] = float_power_
