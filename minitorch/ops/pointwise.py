"""Elementwise ops. Each forward is followed by its backward, written with tensor ops so that
`create_graph=True` can differentiate it again."""
import builtins

import numpy as np

from .. import _dtype
from .._device import array_module
from ..backends.meta import MetaArray
from .._tensor import Tensor
from ..autograd import grad_mode
from ._core import (SCALAR_TYPES, as_tensor_arg, binary, broadcast_shapes, make, number_operand, save_output,
                    scalar_operand, sum_to, widened)

_grad_state = grad_mode._state


def _dtype_name(d):
    """torch's name for a dtype in kernel errors: 'Float', 'Long', 'Bool' ..."""
    return d.scalar_name


def _not_implemented(kernel, np_dtype):
    return NotImplementedError(f"\"{kernel}\" not implemented for "
                               f"'{_dtype.from_numpy_dtype(np_dtype).scalar_name}'")


def _float_array(t):
    """The array of `t`, cast to the default float dtype if it is an integer or bool tensor."""
    d = t._data
    if d.dtype.kind in "biu":
        return d.astype(_dtype.get_default_dtype().np)
    return d


def _detached_or_live(t):
    """An op's own output used in its backward: live when building a double-backward graph."""
    return t if _grad_state["enabled"] else Tensor._wrap(t._data)


def _python_number(x):
    """NumPy scalars count as Python numbers (torch does not let them upcast a tensor either)."""
    return x.item() if isinstance(x, np.generic) else x


def _zeros_like(g):
    """A zero gradient shaped like `g` (a constant, +0.0 everywhere, as torch's zeros_like)."""
    return Tensor._wrap(array_module(g._data).zeros_like(g._data))


def _conj(x):
    """The conjugate of a complex tensor or number, which gradients of complex products use (torch's
    convention); anything else unchanged."""
    if isinstance(x, Tensor):
        return x.conj() if x._data.dtype.kind == "c" else x
    return x.conjugate() if isinstance(x, complex) else x


def _check_integer_divisor(b):
    """torch raises for integer division by zero, where NumPy would return 0 with a warning."""
    if builtins.bool((b == 0).any()) if hasattr(b, "shape") else b == 0:
        raise RuntimeError("ZeroDivisionError")


# ----- arithmetic ---------------------------------------------------------------------------------------
def _alpha(a, alpha):
    """add's or sub's alpha, checked as torch does, as a NumPy scalar of the op's dtype (which, unlike a
    Python number on NumPy 1, never upcasts a zero-dim array)."""
    if isinstance(alpha, float) and a.dtype.kind in "biu":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    if isinstance(alpha, bool) and a.dtype.kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    return a.dtype.type(alpha)


def add(input, other, *, alpha=1):
    a, b, bt = binary(input, other)
    if alpha != 1 or alpha is True:
        b = b * _alpha(a, alpha)
    shape_a = input._data.shape

    def backward(g):
        gb = None
        if bt is not None and bt._requires_grad:
            gb = sum_to(g if alpha == 1 else g * alpha, bt._data.shape)
        return sum_to(g, shape_a), gb
    return make(a + b, "AddBackward0", (input, bt), backward, saves=False)


def _check_bool_subtraction(input, other):
    a_bool = input._data.dtype == np.bool_
    b_bool = other._data.dtype == np.bool_ if isinstance(other, Tensor) else isinstance(other, (bool, np.bool_))
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                           "`^` or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                           "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def sub(input, other, *, alpha=1):
    if input._data.dtype.kind == "b" or isinstance(other, (bool, np.bool_)) or \
            isinstance(other, Tensor) and other._data.dtype.kind == "b":
        _check_bool_subtraction(input, other)
    a, b, bt = binary(input, other)
    if alpha != 1 or alpha is True:
        b = b * _alpha(a, alpha)
    shape_a = input._data.shape

    def backward(g):
        gb = None
        if bt is not None and bt._requires_grad:
            gb = sum_to(-g if alpha == 1 else g * -alpha, bt._data.shape)
        return sum_to(g, shape_a), gb
    return make(a - b, "SubBackward0", (input, bt), backward, saves=False)


def rsub(input, other, *, alpha=1):
    """other - alpha * input (also the reflected `number - tensor`)."""
    if isinstance(other, Tensor):
        if input._data.dtype.kind == "b" or other._data.dtype.kind == "b":
            _check_bool_subtraction(other, input)
        a, b, _ = binary(other, input)
        shape_a, shape_b = other._data.shape, input._data.shape
        out = make(a - (b * _alpha(a, alpha) if alpha != 1 else b), "RsubBackward0", (input, other),
                   lambda g: (sum_to(-g if alpha == 1 else g * -alpha, shape_b), sum_to(g, shape_a)), saves=False)
        return out
    if input._data.dtype.kind == "b" or isinstance(other, (bool, np.bool_)):
        _check_bool_subtraction(input, other)
    a, b, _ = binary(input, other)
    return make(b - (a * _alpha(a, alpha) if alpha != 1 else a), "RsubBackward1", (input,),
                lambda g: (-g if alpha == 1 else g * -alpha,), saves=False)


def mul(input, other):
    a, b, bt = binary(input, other)

    def backward(g):
        ga = gb = None
        if input._requires_grad:
            ga = sum_to(g * _conj(other), input._data.shape)
        if bt is not None and bt._requires_grad:
            gb = sum_to(g * _conj(input), bt._data.shape)
        return ga, gb
    if bt is None:
        saved = ()
    elif input._requires_grad:
        saved = (bt, input) if bt._requires_grad else (bt,)
    else:
        saved = (input,)
    return make(a * b, "MulBackward0", (input, bt), backward, saved)


def _true_division_operands(input, other):
    """Operands of `/`: integer and bool operands divide as the default float dtype (cast straight from
    their own dtypes, so a zero-dim int8 -3 stays -3 next to a uint8 tensor)."""
    if isinstance(other, Tensor):
        a, b, bt = binary(input, other)
        if a.dtype.kind in "biu":
            fd = _dtype.get_default_dtype().np
            if type(input._data) is type(other._data):
                a, b = input._data, other._data
            a, b = a.astype(fd), b.astype(fd)
        return a, b, bt
    other = _python_number(other)
    if not isinstance(other, SCALAR_TYPES):
        return binary(input, other)  # raises the unsupported-operand error
    a = _float_array(input)
    return a, number_operand(other, a.dtype), None


def div(input, other, *, rounding_mode=None):
    if rounding_mode is not None:
        return _rounded_div(input, other, rounding_mode)
    a, b, bt = _true_division_operands(input, other)

    def backward(g):
        ga = gb = None
        if input._requires_grad:
            ga = sum_to(g / _conj(other), input._data.shape)
        if bt is not None and bt._requires_grad:
            gb = sum_to(-g * _conj(input / (bt * bt)), bt._data.shape)
        return ga, gb
    if bt is None:
        saved = ()
    else:
        saved = (bt,) + ((input,) if bt._requires_grad else ())
    return make(a / b, "DivBackward0", (input, bt), backward, saved)


def _rounded_div(input, other, rounding_mode):
    """div with rounding_mode 'trunc' or 'floor': integer results keep their dtype; the gradient is zero."""
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                         f"'{rounding_mode}'")
    a, b, bt = binary(input, other)
    xp = array_module(a)
    kernel = "div_trunc_cpu" if rounding_mode == "trunc" else "div_floor_cpu"
    if a.dtype == np.bool_:
        raise _not_implemented(kernel, a.dtype)
    if a.dtype.kind in "iu":
        _check_integer_divisor(b)
        out = xp.floor_divide(a, b)
        if rounding_mode == "trunc":  # floor and trunc differ where the exact quotient is negative
            out = out + ((out < 0) & (out * b != a))
    else:
        out = xp.trunc(a / b) if rounding_mode == "trunc" else xp.floor_divide(a, b)

    def backward(g):
        return (sum_to(_zeros_like(g), input._data.shape) if input._requires_grad else None,
                sum_to(_zeros_like(g), bt._data.shape) if bt is not None and bt._requires_grad else None)
    return make(out, "DivBackward2", (input, bt), backward, saves=())


def rdiv(input, other):
    """number / tensor: torch computes it as reciprocal(tensor) * number."""
    return mul(reciprocal(input), other)


def _not_differentiable(op_name):
    def backward(*grads):
        raise RuntimeError(f"derivative for aten::{op_name} is not implemented")
    return backward


def floor_divide(input, other):
    a, b, bt = binary(input, other)
    if a.dtype == np.bool_:
        raise _not_implemented("div_floor_cpu", a.dtype)
    if a.dtype.kind in "iu":
        _check_integer_divisor(b)
    return make(array_module(a).floor_divide(a, b), "NotImplemented", (input, bt),
                _not_differentiable("floor_divide"), saves=False)


def remainder(input, other):
    """Python-style modulus: the result has the sign of the divisor."""
    a, b, bt = binary(input, other)
    if a.dtype == np.bool_:
        raise _not_implemented("remainder_cpu", a.dtype)
    xp = array_module(a)
    if a.dtype.kind in "iu":
        _check_integer_divisor(b)
        out = xp.remainder(a, b)
    else:  # fmod, moved into the divisor's sign: an exact multiple gives +0.0, as in torch
        out = xp.fmod(a, b)
        out = xp.where((out != 0) & ((out < 0) != (b < 0)), out + b, out).astype(a.dtype, copy=False)
    if bt is None:
        return make(out, "RemainderBackward0", (input,), lambda g: (g,), saves=False)

    def backward(g):
        ga = sum_to(g, input._data.shape) if input._requires_grad else None
        gb = sum_to(-g * div(input, bt, rounding_mode="floor"), bt._data.shape) if bt._requires_grad else None
        return ga, gb
    return make(out, "RemainderBackward1", (input, bt), backward, (input, bt) if bt._requires_grad else ())


def _rremainder(self, other):
    """`number % tensor`, which torch does not differentiate."""
    out = remainder(as_tensor_arg(other, self), self.detach())
    return make(out._data, "NotImplemented", (self,), _not_differentiable("remainder"), saves=False)


def fmod(input, other):
    """C-style modulus: the result has the sign of the dividend."""
    a, b, bt = binary(input, other)
    if a.dtype == np.bool_:
        raise _not_implemented("fmod_cpu", a.dtype)
    if a.dtype.kind in "iu":
        _check_integer_divisor(b)
    out = array_module(a).fmod(a, b)
    if bt is None:
        return make(out, "FmodBackward0", (input,), lambda g: (g,), saves=False)

    def backward(g):
        ga = sum_to(g, input._data.shape) if input._requires_grad else None
        gb = sum_to(-g * div(input, bt, rounding_mode="trunc"), bt._data.shape) if bt._requires_grad else None
        return ga, gb
    return make(out, "FmodBackward1", (input, bt), backward, (input, bt) if bt._requires_grad else ())


def _integer_power(xp, a, b):
    """a ** b for integer arrays where b may hold negative values: torch gives 0, or +-1 for a base of
    +-1, where NumPy refuses."""
    negative = b < 0
    if not negative.any():
        return a ** b
    out = a ** xp.where(negative, b.dtype.type(0), b)
    odd = (b % 2) == 1
    inverse = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0)).astype(out.dtype)
    return xp.where(negative, inverse, out)


def pow(input, exponent):
    if not isinstance(input, Tensor):
        return _scalar_pow(exponent, input)
    a, b, bt = binary(input, _python_number(exponent))
    if bt is None:
        return _pow_scalar_exponent(input, a, b, exponent)
    xp = array_module(a)
    if a.dtype == np.bool_:
        raise _not_implemented("pow", a.dtype)
    out = _integer_power(xp, a, b) if a.dtype.kind in "iu" else a ** b

    def backward(g):
        ga = gb = None
        if input._requires_grad:
            ga = sum_to(where(eq(bt, 0), 0.0, g * _conj(bt * input ** (bt - 1))), input._data.shape)
        if bt._requires_grad:
            gb = sum_to(where(eq(input, 0), 0.0, g * _conj(_detached_or_live(result) * log(input))), bt._data.shape)
        return ga, gb
    result = make(out, "PowBackward1", (input, bt), backward)
    return result


def _pow_scalar_exponent(input, a, b, exponent):
    kind = a.dtype.kind
    if kind in "iu" and isinstance(exponent, (int, np.integer)):
        if exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if b != exponent:  # the exponent did not fit the integer dtype
            raise RuntimeError(f"value cannot be converted to type {a.dtype.name}_t without overflow")
    out = (a.astype(np.int8) ** b).astype(np.bool_) if kind == "b" else a ** b

    def backward(g):
        if exponent == 0:
            return (_zeros_like(g),)
        return (g * _conj(exponent * input ** (exponent - 1)),)
    return make(out, "PowBackward0", (input,), backward, (input,))


def _scalar_pow(input, base):
    """number ** tensor (torch.pow(number, tensor) and `number ** tensor`)."""
    base = _python_number(base)
    ad = input._data
    dt = _dtype.result_type(input, base).np
    a = ad.astype(dt, copy=False)
    xp = array_module(a)
    if a.dtype.kind in "iu":
        out = _integer_power(xp, xp.asarray(scalar_operand(base, dt), dtype=dt), a)
    elif a.dtype.kind == "b":
        raise _not_implemented("pow", a.dtype)
    else:
        out = xp.asarray(base, dtype=dt) ** a
    log_base = 0.0 if base == 0 else float(np.log(base)) if base > 0 else float("nan")
    result = make(out, "PowBackward2", (input,), None, saves=())
    return save_output(result, lambda g, out: g * out * log_base)


def neg(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    return make(-input._data, "NegBackward0", (input,), lambda g: (-g,), saves=False)


def positive(input):
    """`+x`: the tensor itself (torch refuses it for bool tensors)."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def abs(input):
    if input._data.dtype == np.bool_:
        raise _not_implemented("abs_cpu", input._data.dtype)
    xp = array_module(input._data)
    if input._data.dtype.kind == "c":  # d|z| = Re(conj(z / |z|) dz): the gradient is g * sgn(z)
        return make(xp.abs(input._data), "AbsBackward0", (input,), lambda g: (g * input.sgn(),))
    return make(xp.abs(input._data), "AbsBackward0", (input,), lambda g: (g * sign(input),))


def sign(input):
    """-1, 0 or 1 by the sign of each element (0 for nan, as in torch)."""
    d = input._data
    if d.dtype.kind == "f":
        out = (d > 0).astype(d.dtype) - (d < 0).astype(d.dtype)
    else:
        out = d.copy() if d.dtype == np.bool_ else array_module(d).sign(d)
    return make(out, "SignBackward0", (input,), lambda g: (_zeros_like(g),), saves=False)


# ----- unary functions --------------------------------------------------------------------------------
def _unary_with_output(name, compute, grad_from_output):
    """An op whose gradient is a function of its own output (exp, sqrt, tanh, sigmoid ...)."""
    def op(input):
        result = make(compute(array_module(input._data), _float_array(input)), name, (input,), None, saves=())
        return save_output(result, grad_from_output)
    op.__name__ = name[:-len("Backward0")].lower()
    return op


def _unary_with_input(name, compute, grad_from_input):
    """An op whose gradient is a function of its input (log, sin, cos ...)."""
    def op(input):
        return make(compute(array_module(input._data), _float_array(input)), name, (input,),
                    lambda g: (grad_from_input(g, input),))
    op.__name__ = name[:-len("Backward0")].lower()
    return op


exp = _unary_with_output("ExpBackward0", lambda xp, a: xp.exp(a), lambda g, out: g * _conj(out))
sqrt = _unary_with_output("SqrtBackward0", lambda xp, a: xp.sqrt(a), lambda g, out: g / (2 * out))
rsqrt = _unary_with_output("RsqrtBackward0", lambda xp, a: xp.reciprocal(xp.sqrt(a)),
                           lambda g, out: g * -0.5 * out * out * out)
tanh = _unary_with_output("TanhBackward0", lambda xp, a: xp.tanh(a), lambda g, out: g * (1 - out * out))
sigmoid = _unary_with_output("SigmoidBackward0", lambda xp, a: _sigmoid(xp, a),
                             lambda g, out: g * out * (1 - out))
log = _unary_with_input("LogBackward0", lambda xp, a: xp.log(a), lambda g, x: g / x)
log2 = _unary_with_input("Log2Backward0", lambda xp, a: xp.log2(a), lambda g, x: g / (x * 0.6931471805599453))
log10 = _unary_with_input("Log10Backward0", lambda xp, a: xp.log10(a),
                          lambda g, x: g / (x * 2.302585092994046))
log1p = _unary_with_input("Log1PBackward0", lambda xp, a: xp.log1p(a), lambda g, x: g / (x + 1))
expm1 = _unary_with_output("Expm1Backward0", lambda xp, a: xp.expm1(a), lambda g, out: g * (out + 1))
reciprocal = _unary_with_output("ReciprocalBackward0", lambda xp, a: xp.reciprocal(a), lambda g, out: -g * out * out)
sin = _unary_with_input("SinBackward0", lambda xp, a: xp.sin(a), lambda g, x: g * cos(x))
cos = _unary_with_input("CosBackward0", lambda xp, a: xp.cos(a), lambda g, x: -g * sin(x))


def _sigmoid(xp, a):
    """1 / (1 + exp(-a)) without overflow warnings for large |a|."""
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


def relu(input):
    d = input._data
    if d.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    result = make(_relu_array(d), "ReluBackward0", (input,), None, saves=())

    def backward(g, out):  # torch's threshold_backward: g where out is not <= 0 (nan passes), else +0.0
        if type(g._data) is np.ndarray and not _grad_state["enabled"] and g._data.dtype == out._data.dtype:
            return Tensor._wrap(_relu_grad_array(g._data, out._data))
        return where(le(out, 0), 0.0, g)
    return save_output(result, backward)


def _relu_grad_array(g, out):
    """relu's gradient on CPU as a bitwise AND of g with a mask of all-ones (pass) or all-zeros (+0.0) words:
    exact for inf and nan gradients, and ~8x faster than NumPy's where() with its data-dependent branches."""
    bits = np.dtype(f"i{g.itemsize}")
    mask = np.subtract((out <= 0).view(np.int8), 1, dtype=bits)  # 0 where out <= 0, -1 (all ones) elsewhere
    return np.bitwise_and(g.view(bits), mask, out=mask).view(g.dtype)


def _relu_array(d):
    """max(d, 0), keeping relu(-0.0) == -0.0 and nan as torch does. On CPU np.maximum is ~10x faster than
    a masked where(); the rare zeros then take d's sign."""
    zero = d.dtype.type(0)
    if type(d) is not np.ndarray or d.dtype.kind != "f":
        return array_module(d).where(d < 0, zero, d)
    out = np.empty_like(d)
    np.maximum(d, zero, out=out)
    if not d.all():  # one read of d; zeros in the input are rare, so the masked fix-up mostly stays away
        np.copysign(out, d, out=out, where=d == 0)
    return out


def _bound(value, np_dtype):
    return None if value is None else scalar_operand(_python_number(value), np_dtype)


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; min > max gives max everywhere, as in torch."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    min_t, max_t = isinstance(min, Tensor), isinstance(max, Tensor)
    if min_t or max_t:
        if not (min_t or min is None) or not (max_t or max is None):
            kinds = ", ".join("Tensor" if isinstance(v, Tensor) else type(v).__name__
                              for v in (input, min, max) if v is not None)
            raise TypeError(f"clamp() received an invalid combination of arguments - got ({kinds})")
        return _clamp_tensor(input, min, max)
    dt = _dtype.result_type(input, *[v for v in (min, max) if v is not None]).np
    if dt == np.bool_:
        kernel = "clamp_scalar_cpu" if min is not None and max is not None else \
            "clamp_min_scalar_cpu" if min is not None else "clamp_max_scalar_cpu"
        raise _not_implemented(kernel, dt)
    a = input._data.astype(dt, copy=False)
    xp = array_module(a)
    lo, hi = _bound(min, dt), _bound(max, dt)
    out = a if lo is None else xp.maximum(a, lo)
    out = out if hi is None else xp.minimum(out, hi)
    if out is a:
        out = a.copy()

    def backward(g):
        mask = None if min is None else ge(input, min)
        if max is not None:
            upper = le(input, max)
            mask = upper if mask is None else logical_and(mask, upper)
        return (where(mask, g, 0.0),)
    return make(out, "ClampBackward1", (input,), backward, (input,))


def _clamp_tensor(input, min, max):
    """clamp with tensor bounds (broadcast against input); gradients flow to the bounds that win."""
    dt = _dtype.result_type(input, *[v for v in (min, max) if v is not None]).np
    a = input._data.astype(dt, copy=False)
    xp = array_module(a)
    out = a if min is None else xp.maximum(a, min._data.astype(dt, copy=False))
    out = out if max is None else xp.minimum(out, max._data.astype(dt, copy=False))

    def backward(g):
        if min is not None and max is not None:
            keep = logical_and(ge(input, min), le(input, max))
            to_min = logical_and(lt(input, min), lt(min, max))
            to_max = logical_or(gt(input, max), lt(max, min))
        else:
            keep = ge(input, min) if min is not None else le(input, max)
            to_min = lt(input, min) if min is not None else None
            to_max = gt(input, max) if max is not None else None
        grads = [sum_to(where(keep, g, 0.0), input._data.shape) if input._requires_grad else None]
        for bound, mask in ((min, to_min), (max, to_max)):
            use = bound is not None and bound._requires_grad
            grads.append(sum_to(where(mask, g, 0.0), bound._data.shape) if use else None)
        return tuple(grads)
    return make(out, "ClampBackward0", (input, min, max), backward, (input, min, max))


def clamp_min(input, min):
    return _clamp_one_side(input, min, "ClampMinBackward0", ge, "max")


def clamp_max(input, max):
    return _clamp_one_side(input, max, "ClampMaxBackward0", le, "min")


def _clamp_one_side(input, bound, name, keeps, pick):
    if isinstance(bound, Tensor):
        return _clamp_tensor(input, bound, None) if pick == "max" else _clamp_tensor(input, None, bound)
    dt = _dtype.result_type(input, bound).np
    a = input._data.astype(dt, copy=False)
    out = getattr(array_module(a), "maximum" if pick == "max" else "minimum")(a, _bound(bound, dt))
    return make(out, name, (input,), lambda g: (where(keeps(input, bound), g, 0.0),), (input,))


def minimum(input, other):
    return _min_max(input, other, "minimum", lambda xp: xp.minimum, gt)


def maximum(input, other):
    return _min_max(input, other, "maximum", lambda xp: xp.maximum, lt)


def _min_max(input, other, name, pick, loses):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    a, b, bt = binary(input, other)
    out = pick(array_module(a))(a, b)

    def backward(g):
        # each side gets the gradient where it wins, half of it on ties (torch's rule)
        shared = where(eq(input, bt), g * 0.5, g)
        ga = sum_to(where(loses(input, bt), 0.0, shared), input._data.shape) if input._requires_grad else None
        gb = sum_to(where(loses(bt, input), 0.0, shared), bt._data.shape) if bt._requires_grad else None
        return ga, gb
    return make(out, name.capitalize() + "Backward0", (input, bt), backward)


def where(condition, input=None, other=None):
    """Elements of `input` where `condition` holds, else of `other` (either may be a number)."""
    if input is None and other is None:
        from .index import nonzero
        return nonzero(condition, as_tuple=True)
    if condition._data.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{condition.dtype.scalar_name}")
    dt = _dtype.result_type(input, other)
    xp = array_module(condition._data)
    a = input._data.astype(dt.np, copy=False) if isinstance(input, Tensor) else _bound(input, dt.np)
    b = other._data.astype(dt.np, copy=False) if isinstance(other, Tensor) else _bound(other, dt.np)
    broadcast_shapes(broadcast_shapes(condition._data.shape, xp.shape(a)), xp.shape(b))
    out = xp.where(condition._data, a, b)
    if out.dtype != dt.np:
        out = out.astype(dt.np)
    input_t = input if isinstance(input, Tensor) else None
    other_t = other if isinstance(other, Tensor) else None

    def backward(g):
        ga = sum_to(where(condition, g, 0.0), input_t._data.shape) if input_t is not None and \
            input_t._requires_grad else None
        gb = sum_to(where(condition, 0.0, g), other_t._data.shape) if other_t is not None and \
            other_t._requires_grad else None
        return ga, gb
    return make(out, "WhereBackward0", (input_t, other_t), backward, (condition,))


# ----- comparisons and logic (no gradient) ---------------------------------------------------------------
def _comparison(name, fn):
    def op(input, other):
        if not isinstance(input, Tensor):
            input = as_tensor_arg(input, other)
        a, b, _ = binary(input, _python_number(other))
        return make(fn(a, b), name, (), None)
    op.__name__ = name
    return op


def _recorded_comparison(op):
    """`op` for its in-place form (`x.eq_(y)`): torch records a node with zero gradients there (EqBackward0
    against a number, EqBackward1 against a tensor), because the result overwrites a tensor with history."""
    def compare(input, other):
        out = op(input, other)._data
        if isinstance(other, Tensor):
            return make(out, f"{op.__name__.capitalize()}Backward1", (input, other),
                        lambda g: (_zeros_like(g), sum_to(_zeros_like(g), other._data.shape)), saves=False)
        return make(out, f"{op.__name__.capitalize()}Backward0", (input,), lambda g: (_zeros_like(g),), saves=False)
    return compare


eq = _comparison("eq", lambda a, b: a == b)
ne = _comparison("ne", lambda a, b: a != b)
lt = _comparison("lt", lambda a, b: a < b)
le = _comparison("le", lambda a, b: a <= b)
gt = _comparison("gt", lambda a, b: a > b)
ge = _comparison("ge", lambda a, b: a >= b)


def _eq_operator(self, other):
    """`tensor == x`: elementwise, except that an operand that is no tensor or number compares unequal."""
    if isinstance(other, (Tensor,) + SCALAR_TYPES):
        return eq(self, other)
    return False


def _ne_operator(self, other):
    if isinstance(other, (Tensor,) + SCALAR_TYPES):
        return ne(self, other)
    return True


def _logical(name, fn):
    def op(input, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
        xp = array_module(input._data)
        b = other._data if isinstance(other, Tensor) else other
        return make(getattr(xp, fn)(input._data.astype(bool), xp.asarray(b).astype(bool)), name, (), None)
    op.__name__ = name
    return op


logical_and = _logical("logical_and", "logical_and")
logical_or = _logical("logical_or", "logical_or")
logical_xor = _logical("logical_xor", "logical_xor")


def logical_not(input):
    return make(~input._data.astype(bool), "logical_not", (), None)


def _bitwise(name, fn):
    def op(input, other):
        a, b, _ = binary(input, _python_number(other))
        if a.dtype.kind not in "biu":
            raise _not_implemented(f"{name}_cpu", a.dtype)
        return make(fn(a, b), name, (), None)
    op.__name__ = name
    return op


bitwise_and = _bitwise("bitwise_and", lambda a, b: a & b)
bitwise_or = _bitwise("bitwise_or", lambda a, b: a | b)
bitwise_xor = _bitwise("bitwise_xor", lambda a, b: a ^ b)


def bitwise_not(input):
    if input._data.dtype.kind not in "biu":
        raise _not_implemented("bitwise_not_cpu", input._data.dtype)
    return make(~input._data, "bitwise_not", (), None)


def _invert(input):
    """`~tensor`: logical not for bool, bitwise not for integers."""
    if input._data.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(input)


def isnan(input):
    return make(array_module(input._data).isnan(input._data), "isnan", (), None)


def isinf(input):
    return make(array_module(input._data).isinf(input._data), "isinf", (), None)


def isfinite(input):
    return make(array_module(input._data).isfinite(input._data), "isfinite", (), None)


def _check_same_dtype(input, other):
    """isclose and allclose compare tensors of one dtype only (torch's error otherwise)."""
    if isinstance(other, Tensor) and other._data.dtype != input._data.dtype:
        raise RuntimeError(f"{input.dtype.scalar_name} did not match {other.dtype.scalar_name}")


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _check_same_dtype(input, other)
    a, b, _ = binary(input, other)
    a, b = widened(a), widened(b) if hasattr(b, "dtype") else b  # NumPy 1 cannot mix bfloat16 with its tolerances
    return make(array_module(a).isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan), "isclose", (), None)


def equal(input, other):
    return input._data.shape == other._data.shape and builtins.bool((input._data == other._data).all())


# ----- rounding (zero gradient) ---------------------------------------------------------------------------
def _rounding(name, kernel, compute):
    def op(input, *args):
        d = input._data
        if d.dtype == np.bool_:
            raise _not_implemented(kernel, d.dtype)
        out = d.copy() if d.dtype.kind in "iu" else compute(array_module(d), d, *args)
        return make(out, name, (input,), lambda g: (_zeros_like(g),), saves=False)
    op.__name__ = name[:-len("Backward0")].lower()
    return op


floor = _rounding("FloorBackward0", "floor_vml_cpu", lambda xp, d: xp.floor(d))
ceil = _rounding("CeilBackward0", "ceil_vml_cpu", lambda xp, d: xp.ceil(d))
trunc = _rounding("TruncBackward0", "trunc_vml_cpu", lambda xp, d: xp.trunc(d))
_round_half_even = _rounding("RoundBackward0", "round_vml_cpu", lambda xp, d: xp.round(d))
_round_decimals = _rounding("RoundBackward1", "round_vml_cpu", lambda xp, d, decimals: xp.round(d, decimals))


def round(input, *, decimals=0):
    """Round half to even; with decimals, to that many decimal places."""
    return _round_decimals(input, decimals) if decimals else _round_half_even(input)


# ----- more functions: tan, inverse and hyperbolic trigonometry, erf, square, nan_to_num, lerp, addcmul ------
tan = _unary_with_output("TanBackward0", lambda xp, a: xp.tan(a), lambda g, out: g * (1 + out * out))
atan = _unary_with_input("AtanBackward0", lambda xp, a: xp.arctan(a), lambda g, x: g / (1 + x * x))
asin = _unary_with_input("AsinBackward0", lambda xp, a: xp.arcsin(a), lambda g, x: g / sqrt(1 - x * x))
acos = _unary_with_input("AcosBackward0", lambda xp, a: xp.arccos(a), lambda g, x: -g / sqrt(1 - x * x))
sinh = _unary_with_input("SinhBackward0", lambda xp, a: xp.sinh(a), lambda g, x: g * cosh(x))
cosh = _unary_with_input("CoshBackward0", lambda xp, a: xp.cosh(a), lambda g, x: g * sinh(x))


def _special(name, a):
    """math.erf or math.erfc elementwise (NumPy has neither; CuPy has both in cupyx.scipy.special)."""
    xp = array_module(a)
    if type(a) is MetaArray:
        return a.copy()
    if xp is not np:
        from ..cuda import _cupyx
        return getattr(_cupyx().scipy.special, name)(a).astype(a.dtype, copy=False)
    import math
    return np.asarray(np.frompyfunc(getattr(math, name), 1, 1)(a.astype(np.float64)), np.float64).astype(a.dtype)


_TWO_OVER_SQRT_PI = 1.1283791670955126
erf = _unary_with_input("ErfBackward0", lambda xp, a: _special("erf", a),
                        lambda g, x: g * _TWO_OVER_SQRT_PI * exp(-x * x))
erfc = _unary_with_input("ErfcBackward0", lambda xp, a: _special("erfc", a),
                         lambda g, x: -g * _TWO_OVER_SQRT_PI * exp(-x * x))


def square(input):
    """input * input, as torch computes it: pow(input, 2) (bool squares to int64)."""
    if input._data.dtype == np.bool_:
        input = Tensor._wrap(input._data.astype(np.int64))
    return pow(input, 2)


def _largest_finite(np_dtype):
    if np_dtype == _dtype.bfloat16.np:
        import ml_dtypes
        return ml_dtypes.finfo(np_dtype).max
    return np.finfo(np_dtype).max


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """nan, +inf and -inf replaced by `nan`, `posinf` and `neginf` (by default the dtype's extremes);
    integer and bool tensors come back unchanged (a copy). The gradient passes where input is finite."""
    d = input._data
    if d.dtype.kind in "biu":
        return make(d.copy(), "NanToNumBackward0", (input,), lambda g: (g,), saves=False)
    xp = array_module(d)
    top = _largest_finite(d.dtype)
    big = d.dtype.type(top if posinf is None else posinf)
    small = d.dtype.type(-top if neginf is None else neginf)
    out = xp.where(xp.isnan(d), d.dtype.type(nan), xp.where(d == np.inf, big, xp.where(d == -np.inf, small, d)))
    return make(out.astype(d.dtype, copy=False), "NanToNumBackward0", (input,),
                lambda g: (where(isfinite(input), g, 0.0),))


def lerp(input, end, weight):
    """input + weight * (end - input), computed from the nearer end as torch does (exact at weight 0
    and 1). `end` and a tensor `weight` (unless zero-dim) must have input's dtype."""
    for label, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t.dtype is not input.dtype and (label == "end" or t.ndim):
            raise RuntimeError(f"expected dtype {input.dtype.cpp_name} for `{label}` but got dtype {t.dtype.cpp_name}")
    weight_t = weight if isinstance(weight, Tensor) else None
    if not input.is_floating_point():
        kernel = "lerp_kernel_tensor" if weight_t is not None else "lerp_kernel_scalar"
        raise _not_implemented(kernel, input._data.dtype)
    a, b = input._data, end._data
    w = weight_t._data.astype(a.dtype, copy=False) if weight_t is not None else _python_number(weight)
    broadcast_shapes(broadcast_shapes(a.shape, b.shape), np.shape(w) if weight_t is None else w.shape)
    xp = array_module(a)
    diff = b - a
    out = xp.where(xp.abs(w) < 0.5, a + w * diff, b - diff * (1 - w)).astype(a.dtype, copy=False)

    def backward(g):
        grads = [sum_to(g * (1 - weight), input._data.shape) if input._requires_grad else None,
                 sum_to(g * weight, end._data.shape) if end._requires_grad else None]
        if weight_t is not None:
            grads.append(sum_to(g * (end - input), weight_t._data.shape) if weight_t._requires_grad else None)
        return tuple(grads)
    if weight_t is None:
        return make(out, "LerpBackward0", (input, end), backward, saves=())
    return make(out, "LerpBackward1", (input, end, weight_t), backward)


def _pointwise3(input, tensor1, tensor2):
    """The three operands of addcmul/addcdiv as arrays of their promoted dtype."""
    dt = _dtype.result_type(input, tensor1, tensor2).np
    arrays = [t._data.astype(dt, copy=False) for t in (input, tensor1, tensor2)]
    broadcast_shapes(broadcast_shapes(arrays[0].shape, arrays[1].shape), arrays[2].shape)
    return arrays


def _value_operand(value, np_dtype):
    """addcmul's `value` in the operands' dtype: integer tensors truncate a float value, as torch does."""
    value = _python_number(value)
    return scalar_operand(int(value) if np_dtype.kind in "iu" else value, np_dtype)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    a, b, c = _pointwise3(input, tensor1, tensor2)
    if a.dtype == np.bool_:
        raise _not_implemented("addcmul_cpu_out", a.dtype)
    out = a + _value_operand(value, a.dtype) * b * c

    def backward(g):
        return (sum_to(g, input._data.shape) if input._requires_grad else None,
                sum_to(g * value * tensor2, tensor1._data.shape) if tensor1._requires_grad else None,
                sum_to(g * value * tensor1, tensor2._data.shape) if tensor2._requires_grad else None)
    return make(out.astype(a.dtype, copy=False), "AddcmulBackward0", (input, tensor1, tensor2), backward,
                (tensor1, tensor2))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (floating point only)."""
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform "
            "a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + "
            "value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * "
            "tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    a, b, c = _pointwise3(input, tensor1, tensor2)
    out = a + _value_operand(value, a.dtype) * (b / c)

    def backward(g):
        return (sum_to(g, input._data.shape) if input._requires_grad else None,
                sum_to(g * value / tensor2, tensor1._data.shape) if tensor1._requires_grad else None,
                sum_to(-g * value * tensor1 / (tensor2 * tensor2), tensor2._data.shape)
                if tensor2._requires_grad else None)
    return make(out.astype(a.dtype, copy=False), "AddcdivBackward0", (input, tensor1, tensor2), backward,
                (tensor1, tensor2))


__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "remainder", "fmod", "pow", "neg", "negative", "positive", "abs", "sign", "exp", "expm1", "log", "log2",
           "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tanh", "sigmoid", "relu", "clamp",
           "clip", "clamp_min", "clamp_max", "minimum", "maximum", "where", "eq", "ne", "lt", "le", "gt", "ge",
           "greater", "less", "greater_equal", "less_equal", "not_equal", "logical_and", "logical_or",
           "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "isnan",
           "isinf", "isfinite", "allclose", "isclose", "equal", "floor", "ceil", "round", "trunc", "tan", "atan",
           "asin", "acos", "sinh", "cosh", "erf", "erfc", "square", "nan_to_num", "lerp", "addcmul", "addcdiv",
           "arctan", "arcsin", "arccos"]
arctan, arcsin, arccos = atan, asin, acos
subtract, multiply, divide, true_divide, negative, clip = sub, mul, div, div, neg, clamp
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne

_METHODS = {name: globals()[name] for name in __all__ if name not in ("where",)}
_METHODS["where"] = lambda self, condition, y: where(condition, self, y)
_METHODS.update({
    "__add__": add, "__radd__": add, "__sub__": sub, "__rsub__": rsub, "__mul__": mul, "__rmul__": mul,
    "__truediv__": div, "__rtruediv__": rdiv, "__floordiv__": floor_divide,
    "__rfloordiv__": lambda self, other: floor_divide(as_tensor_arg(other, self), self),
    "__mod__": remainder, "__rmod__": _rremainder,
    "__pow__": pow, "__rpow__": _scalar_pow, "__neg__": neg, "__abs__": abs,
    "__pos__": positive, "__eq__": _eq_operator, "__ne__": _ne_operator, "__lt__": lt, "__le__": le,
    "__gt__": gt, "__ge__": ge, "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
    "__rand__": bitwise_and, "__ror__": bitwise_or, "__rxor__": bitwise_xor, "__invert__": _invert,
})
_INPLACE = {"add_": add, "sub_": sub, "mul_": mul, "div_": div, "pow_": pow, "neg_": neg, "abs_": abs,
            "exp_": exp, "expm1_": expm1, "log_": log, "log2_": log2, "log10_": log10, "log1p_": log1p,
            "sqrt_": sqrt, "rsqrt_": rsqrt, "reciprocal_": reciprocal, "sin_": sin, "cos_": cos, "tanh_": tanh,
            "sigmoid_": sigmoid, "relu_": relu, "sign_": sign, "clamp_": clamp, "clip_": clamp,
            "clamp_min_": clamp_min, "clamp_max_": clamp_max, "floor_": floor, "ceil_": ceil, "round_": round,
            "trunc_": trunc, "remainder_": remainder, "fmod_": fmod, "floor_divide_": floor_divide,
            "subtract_": sub, "multiply_": mul, "divide_": div, "true_divide_": div, "negative_": neg,
            "bitwise_and_": bitwise_and, "bitwise_or_": bitwise_or, "bitwise_xor_": bitwise_xor,
            "bitwise_not_": bitwise_not, "logical_and_": logical_and, "logical_or_": logical_or,
            "logical_xor_": logical_xor, "logical_not_": logical_not,
            **{f"{op.__name__}_": _recorded_comparison(op) for op in (eq, ne, lt, le, gt, ge)},
            "tan_": tan, "atan_": atan, "asin_": asin, "acos_": acos,
            "sinh_": sinh, "cosh_": cosh, "erf_": erf, "erfc_": erfc, "square_": square, "nan_to_num_": nan_to_num,
            "lerp_": lerp, "addcmul_": addcmul, "addcdiv_": addcdiv, "arctan_": atan, "arcsin_": asin,
            "arccos_": acos,
            "__iadd__": add, "__isub__": sub, "__imul__": mul, "__itruediv__": div, "__ipow__": pow,
            "__ifloordiv__": floor_divide, "__imod__": remainder, "__iand__": bitwise_and,
            "__ior__": bitwise_or, "__ixor__": bitwise_xor}
