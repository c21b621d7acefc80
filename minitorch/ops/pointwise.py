"""Elementwise ops. Each forward is followed by its backward, written with tensor ops so that
`create_graph=True` can differentiate it again."""
import builtins

import numpy as np

from .. import _dtype
from .._device import array_module
from .._tensor import Tensor
from ..autograd import grad_mode
from ._core import as_tensor_arg, binary, make, sum_to

_grad_state = grad_mode._state


def _float_array(t):
    """The array of `t`, cast to the default float dtype if it is an integer or bool tensor."""
    d = t._data
    if d.dtype.kind in "biu":
        return d.astype(_dtype.get_default_dtype().np)
    return d


# ----- arithmetic ---------------------------------------------------------------------------------------
def add(input, other, *, alpha=1):
    a, b, bt = binary(input, other)
    if alpha != 1:
        b = b * alpha
    shape_a = input._data.shape

    def backward(g):
        gb = None
        if bt is not None and bt._requires_grad:
            gb = sum_to(g if alpha == 1 else g * alpha, bt._data.shape)
        return sum_to(g, shape_a), gb
    return make(a + b, "AddBackward0", (input, bt), backward, saves=False)


def sub(input, other, *, alpha=1):
    if input._data.dtype == np.bool_ and (not isinstance(other, Tensor) or other._data.dtype == np.bool_):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                           "`^` or `logical_xor()` operator instead.")
    a, b, bt = binary(input, other)
    if alpha != 1:
        b = b * alpha
    shape_a = input._data.shape

    def backward(g):
        gb = None
        if bt is not None and bt._requires_grad:
            gb = sum_to(-g if alpha == 1 else g * -alpha, bt._data.shape)
        return sum_to(g, shape_a), gb
    return make(a - b, "SubBackward0", (input, bt), backward, saves=False)


def rsub(input, other, *, alpha=1):
    """other - alpha * input (the reflected `number - tensor`)."""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    a, b, _ = binary(input, other)
    out = b - (a * alpha if alpha != 1 else a)
    return make(out, "RsubBackward1", (input,), lambda g: (-g if alpha == 1 else g * -alpha,), saves=False)


def mul(input, other):
    a, b, bt = binary(input, other)

    def backward(g):
        ga = gb = None
        if input._requires_grad:
            ga = sum_to(g * other, input._data.shape)
        if bt is not None and bt._requires_grad:
            gb = sum_to(g * input, bt._data.shape)
        return ga, gb
    return make(a * b, "MulBackward0", (input, bt), backward)


def div(input, other, *, rounding_mode=None):
    if rounding_mode is not None:
        if rounding_mode == "floor":
            return floor_divide(input, other)
        if rounding_mode != "trunc":
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                             f"'{rounding_mode}'")
        a, b, bt = binary(input, other)
        xp = array_module(a)
        out = xp.trunc(a / b).astype(a.dtype) if a.dtype.kind in "iu" else xp.trunc(a / b)
        return make(out, "DivBackward1", (), None)
    a, b, bt = binary(input, other)
    if a.dtype.kind in "biu" and (bt is not None or isinstance(b, (np.ndarray, np.generic, int))):
        fd = _dtype.get_default_dtype().np
        a = a.astype(fd)
        b = b.astype(fd) if hasattr(b, "astype") else b
    out = a / b

    def backward(g):
        ga = gb = None
        if input._requires_grad:
            ga = sum_to(g / other, input._data.shape)
        if bt is not None and bt._requires_grad:
            gb = sum_to(-g * input / (bt * bt), bt._data.shape)
        return ga, gb
    return make(out, "DivBackward0", (input, bt), backward)


def rdiv(input, other):
    """number / tensor: torch computes it as reciprocal(tensor) * number."""
    return mul(reciprocal(input), other)


def _detached_or_live(t):
    """An op's own output used in its backward: live when building a double-backward graph."""
    return t if _grad_state["enabled"] else Tensor._wrap(t._data)


def floor_divide(input, other):
    a, b, _ = binary(input, other)
    xp = array_module(a)
    return make(xp.floor_divide(a, b), "FloorDivideBackward0", (), None)


def remainder(input, other):
    a, b, bt = binary(input, other)
    xp = array_module(a)

    def backward(g):
        gb = None
        if bt is not None and bt._requires_grad:
            gb = sum_to(-g * floor_divide(input, bt), bt._data.shape)
        return sum_to(g, input._data.shape), gb
    return make(xp.remainder(a, b), "RemainderBackward0", (input, bt), backward)


def fmod(input, other):
    a, b, bt = binary(input, other)
    xp = array_module(a)
    return make(xp.fmod(a, b), "FmodBackward0", (input,), lambda g: (g,), saves=False)


def pow(input, exponent):
    if not isinstance(input, Tensor):
        return _rpow(exponent, input)
    a, b, bt = binary(input, exponent)
    if a.dtype.kind in "iu" and bt is None and not isinstance(b, float) and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    out = a ** b
    if bt is None:
        def backward(g):
            if exponent == 0:
                return (g * 0,)
            return (g * exponent * input ** (exponent - 1),)
        return make(out, "PowBackward0", (input,), backward)

    def backward_t(g):
        ga = gb = None
        if input._requires_grad:
            ga = sum_to(g * bt * input ** (bt - 1), input._data.shape)
        if bt._requires_grad:
            res = input ** bt
            log_in = where(logical_and(eq(input, 0), ge(bt, 0)), 0.0, log(input))
            gb = sum_to(g * res * log_in, bt._data.shape)
        return ga, gb
    return make(out, "PowBackward1", (input, bt), backward_t)


def _rpow(input, base):
    """number ** tensor."""
    a = input._data
    if a.dtype.kind in "biu" and isinstance(base, float):
        a = a.astype(_dtype.get_default_dtype().np)
    out = np.asarray(base, dtype=a.dtype) ** a if a.dtype.kind == "f" else base ** a
    if isinstance(out, np.ndarray) is False and not hasattr(out, "shape"):
        out = np.asarray(out)
    result = make(out, "PowBackward2", (input,), None)
    if result._grad_fn is not None:
        log_base = float(np.log(base)) if base > 0 else float("nan") if base < 0 else float("-inf")
        result._grad_fn._backward_fn = lambda g: (g * _detached_or_live(result) * log_base,)
    return result


def neg(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    return make(-input._data, "NegBackward0", (input,), lambda g: (-g,), saves=False)


def abs(input):
    xp = array_module(input._data)
    return make(xp.abs(input._data), "AbsBackward0", (input,), lambda g: (g * sign(input),))


def sign(input):
    xp = array_module(input._data)
    return make(xp.sign(input._data), "SignBackward0", (input,), lambda g: (g * 0,), saves=False)


# ----- unary functions --------------------------------------------------------------------------------
def _unary_with_output(name, compute, grad_from_output):
    """An op whose gradient is a function of its own output (exp, sqrt, tanh, sigmoid ...)."""
    def op(input):
        result = make(compute(array_module(input._data), _float_array(input)), name, (input,), None)
        if result._grad_fn is not None:
            result._grad_fn._backward_fn = lambda g: (grad_from_output(g, _detached_or_live(result)),)
        return result
    op.__name__ = name[:-len("Backward0")].lower()
    return op


def _unary_with_input(name, compute, grad_from_input):
    """An op whose gradient is a function of its input (log, sin, cos ...)."""
    def op(input):
        return make(compute(array_module(input._data), _float_array(input)), name, (input,),
                    lambda g: (grad_from_input(g, input),))
    op.__name__ = name[:-len("Backward0")].lower()
    return op


exp = _unary_with_output("ExpBackward0", lambda xp, a: xp.exp(a), lambda g, out: g * out)
sqrt = _unary_with_output("SqrtBackward0", lambda xp, a: xp.sqrt(a), lambda g, out: g / (2 * out))
rsqrt = _unary_with_output("RsqrtBackward0", lambda xp, a: 1 / xp.sqrt(a),
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
reciprocal = _unary_with_output("ReciprocalBackward0", lambda xp, a: 1 / a, lambda g, out: -g * out * out)
sin = _unary_with_input("SinBackward0", lambda xp, a: xp.sin(a), lambda g, x: g * cos(x))
cos = _unary_with_input("CosBackward0", lambda xp, a: xp.cos(a), lambda g, x: -g * sin(x))


def _sigmoid(xp, a):
    """1 / (1 + exp(-a)) without overflow warnings for large |a|."""
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


def relu(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError('"clamp_min_cpu" not implemented for \'Bool\'')
    result = make(input._data * (input._data > 0), "ReluBackward0", (input,), None)
    if result._grad_fn is not None:
        result._grad_fn._backward_fn = lambda g: (g * gt(_detached_or_live(result), 0),)
    return result


def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, as_tensor_arg(min, input))
        if max is not None:
            out = minimum(out, as_tensor_arg(max, input))
        return out
    xp = array_module(input._data)
    a = input._data
    if a.dtype.kind in "biu" and isinstance(min, float) or isinstance(max, float):
        a = _float_array(input)
    out = xp.clip(a, min, max)
    if min is not None and max is not None and min > max:
        out = xp.full_like(a, max)
    name = "ClampBackward1" if min is not None and max is not None else (
        "ClampMinBackward0" if min is not None else "ClampMaxBackward0")

    def backward(g):
        mask = None
        if min is not None:
            mask = ge(input, min)
        if max is not None:
            upper = le(input, max)
            mask = upper if mask is None else logical_and(mask, upper)
        return (g * mask,)
    return make(out, name, (input,), backward)


def minimum(input, other):
    return _min_max(input, other, "MinimumBackward0", lambda xp: xp.minimum, lt)


def maximum(input, other):
    return _min_max(input, other, "MaximumBackward0", lambda xp: xp.maximum, gt)


def _min_max(input, other, name, pick, wins):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name[:7].lower()}(): argument 'other' must be Tensor, not {type(other).__name__}")
    a, b, bt = binary(input, other)
    out = pick(array_module(a))(a, b)

    def backward(g):
        # ties share the gradient equally, as torch does
        tie = eq(input, bt) * 0.5
        ga = sum_to(g * (wins(input, bt) + tie), input._data.shape) if input._requires_grad else None
        gb = sum_to(g * (wins(bt, input) + tie), bt._data.shape) if bt._requires_grad else None
        return ga, gb
    return make(out, name, (input, bt), backward)


def where(condition, input=None, other=None):
    if input is None and other is None:
        from .index import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        from .._creation import tensor
        input = tensor(input, device=condition.device)
    if not isinstance(input, Tensor):
        input = as_tensor_arg(input, other)
    other = as_tensor_arg(other, input)
    if condition._data.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_dtype_name(condition.dtype)}")
    a, b, _ = binary(input, other)
    xp = array_module(a)
    c = condition._data
    out = xp.where(c, a, b)

    def backward(g):
        ga = sum_to(where(condition, g, 0.0), input._data.shape) if input._requires_grad else None
        gb = sum_to(where(condition, 0.0, g), other._data.shape) if other._requires_grad else None
        return None, ga, gb
    return make(out, "WhereBackward0", (None, input, other), backward, saves=False)


def _dtype_name(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}[d.name]


# ----- comparisons and logic (no gradient) ---------------------------------------------------------------
def _comparison(name, fn):
    def op(input, other):
        if not isinstance(input, Tensor):
            input, other = as_tensor_arg(input, other), other
        a, b, _ = binary(input, other)
        return make(fn(a, b), name, (), None)
    op.__name__ = name
    return op


eq = _comparison("eq", lambda a, b: a == b)
ne = _comparison("ne", lambda a, b: a != b)
lt = _comparison("lt", lambda a, b: a < b)
le = _comparison("le", lambda a, b: a <= b)
gt = _comparison("gt", lambda a, b: a > b)
ge = _comparison("ge", lambda a, b: a >= b)


def _logical(name, fn):
    def op(input, other):
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
        a, b, _ = binary(input, other)
        if a.dtype.kind not in "biu":
            raise RuntimeError(f'"{name}_cpu" not implemented for \'{_dtype_name(input.dtype)}\'')
        return make(fn(a, b), name, (), None)
    return op


bitwise_and = _bitwise("bitwise_and", lambda a, b: a & b)
bitwise_or = _bitwise("bitwise_or", lambda a, b: a | b)
bitwise_xor = _bitwise("bitwise_xor", lambda a, b: a ^ b)


def bitwise_not(input):
    if input._data.dtype.kind not in "biu":
        raise RuntimeError(f"\"bitwise_not_cpu\" not implemented for '{_dtype_name(input.dtype)}'")
    return make(~input._data, "bitwise_not", (), None)


def isnan(input):
    return make(array_module(input._data).isnan(input._data), "isnan", (), None)


def isinf(input):
    return make(array_module(input._data).isinf(input._data), "isinf", (), None)


def isfinite(input):
    return make(array_module(input._data).isfinite(input._data), "isfinite", (), None)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b, _ = binary(input, other)
    return builtins.bool(array_module(a).allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b, _ = binary(input, other)
    return make(array_module(a).isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan), "isclose", (), None)


def equal(input, other):
    return input._data.shape == other._data.shape and builtins.bool((input._data == other._data).all())


def floor(input):
    return make(array_module(input._data).floor(input._data), "FloorBackward0", (input,),
                lambda g: (g * 0,), saves=False)


def ceil(input):
    return make(array_module(input._data).ceil(input._data), "CeilBackward0", (input,),
                lambda g: (g * 0,), saves=False)


def round(input, decimals=0):
    return make(array_module(input._data).round(input._data, decimals), "RoundBackward0", (input,),
                lambda g: (g * 0,), saves=False)


def trunc(input):
    return make(array_module(input._data).trunc(input._data), "TruncBackward0", (input,),
                lambda g: (g * 0,), saves=False)


__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "remainder", "fmod", "pow", "neg", "negative", "abs", "sign", "exp", "expm1", "log", "log2", "log10",
           "log1p", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tanh", "sigmoid", "relu", "clamp", "clip",
           "minimum", "maximum", "where", "eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "logical_and",
           "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
           "bitwise_not", "isnan", "isinf", "isfinite", "allclose", "isclose", "equal", "floor", "ceil",
           "round", "trunc"]
subtract, multiply, divide, true_divide, negative, clip = sub, mul, div, div, neg, clamp
greater, less = gt, lt

_METHODS = {name: globals()[name] for name in __all__ if name not in ("where",)}
_METHODS["where"] = lambda self, condition, y: where(condition, self, y)
_METHODS.update({
    "__add__": add, "__radd__": add, "__sub__": sub, "__rsub__": rsub, "__mul__": mul, "__rmul__": mul,
    "__truediv__": div, "__rtruediv__": rdiv, "__floordiv__": floor_divide,
    "__rfloordiv__": lambda self, other: floor_divide(as_tensor_arg(other, self), self),
    "__mod__": remainder, "__pow__": pow, "__rpow__": _rpow, "__neg__": neg, "__abs__": abs,
    "__pos__": lambda self: self, "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt,
    "__ge__": ge, "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
    "__rand__": bitwise_and, "__ror__": bitwise_or, "__rxor__": bitwise_xor, "__invert__": bitwise_not,
})
_INPLACE = {"add_": add, "sub_": sub, "mul_": mul, "div_": div, "pow_": pow, "neg_": neg, "abs_": abs,
            "exp_": exp, "log_": log, "sqrt_": sqrt, "sin_": sin, "cos_": cos, "tanh_": tanh,
            "sigmoid_": sigmoid, "relu_": relu, "clamp_": clamp, "clip_": clamp, "floor_": floor,
            "ceil_": ceil, "round_": round, "trunc_": trunc, "reciprocal_": reciprocal, "rsqrt_": rsqrt,
            "log1p_": log1p, "remainder_": remainder, "floor_divide_": floor_divide,
            "__iadd__": add, "__isub__": sub, "__imul__": mul, "__itruediv__": div, "__ipow__": pow,
            "__ifloordiv__": floor_divide, "__imod__": remainder, "__iand__": bitwise_and,
            "__ior__": bitwise_or, "__ixor__": bitwise_xor, "subtract_": sub, "multiply_": mul,
            "divide_": div, "maximum_": maximum, "minimum_": minimum}
