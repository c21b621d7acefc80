"""The activation functions beyond the basic ones of `_layers`: the ReLU family (relu6, threshold, prelu,
rrelu), the ELU family (selu, celu), smooth gates (mish, hardswish, hardsigmoid, logsigmoid, glu),
shrinkage (hardshrink, softshrink, softsign, tanhshrink), softmin and gumbel_softmax, with the in-place
`name_` forms torch offers. Each op is one node whose backward is built from tensor ops (so double
backward works) and carries torch's grad_fn name. See https://pytorch.org/docs/stable/nn.functional.html"""
import numpy as np

from .. import _warnings
from .._creation import empty, empty_like, zeros_like
from .._device import array_module
from .._dtype import float64
from .._tensor import Tensor
from ..ops._core import make
from ..ops.inplace import inplace_variant
from ..ops.pointwise import _sigmoid, sigmoid, tanh, where
from ..ops.shape import cat
from ..ops.reduce import softmax as _softmax
from . import _layers

__all__ = ["relu6", "selu", "selu_", "celu", "celu_", "elu_", "mish", "hardswish", "hardsigmoid", "logsigmoid",
           "softmin", "glu", "threshold", "threshold_", "hardshrink", "softshrink", "softsign", "tanhshrink",
           "prelu", "rrelu", "rrelu_", "hardtanh_", "gumbel_softmax"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elementwise(input, name, compute, grad):
    """One node: compute(xp, x) on the input array; grad(g, input) its gradient, from tensor ops."""
    x = input._data
    out = compute(array_module(x), x)
    return make(out.astype(x.dtype, copy=False), name, (input,), lambda g: (grad(g, input),))


def _check_floating(input, kernel):
    if not input.is_floating_point():
        raise NotImplementedError(f'"{kernel}" not implemented for \'{input.dtype.scalar_name}\'')


# ----- the ReLU family ----------------------------------------------------------------------------------
def relu6(input, inplace=False):
    """min(max(x, 0), 6): hardtanh between 0 and 6, as torch computes it."""
    return _layers.hardtanh(input, 0.0, 6.0, inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place hardtanh."""
    return _layers.hardtanh(input, min_val, max_val, inplace=True)


def _threshold(input, threshold, value, name="ThresholdBackward0"):
    return _elementwise(input, name, lambda xp, x: xp.where(x > threshold, x, x.dtype.type(value)),
                        lambda g, t: where(t > threshold, g, 0.0))


_threshold_ = inplace_variant(lambda input, threshold, value: _threshold(input, threshold, value,
                                                                         "ThresholdBackward1"))


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value."""
    return _threshold_(input, threshold, value) if inplace else _threshold(input, threshold, value)


def threshold_(input, threshold, value):
    """In-place threshold."""
    return _threshold_(input, threshold, value)


def prelu(input, weight):
    """x where x > 0, weight * x elsewhere; weight holds one slope or one per channel (dim 1)."""
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    if weight.dtype is not input.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {input.dtype.scalar_name} and "
                           f"{weight.dtype.scalar_name}")
    channels = input.shape[1] if input.dim() >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    if weight.numel() == 1 or input.dim() < 2:
        shape = (1,) * input.dim()
    else:
        shape = (1, channels) + (1,) * (input.dim() - 2)
    x, w = input._data, weight._data.reshape(shape)

    def backward(g):
        positive = input > 0
        slope = weight.reshape(shape)
        gx = where(positive, g, g * slope) if input._requires_grad else None
        gw = None
        if weight._requires_grad:
            per = where(positive, 0.0, g * input)
            axes = tuple(i for i, s in enumerate(shape) if s == 1 and input.dim() > 0)
            gw = (per.sum(axes) if axes else per).reshape(weight.shape)
        return gx, gw
    return make(array_module(x).where(x > 0, x, w * x).astype(x.dtype, copy=False), "PreluKernelBackward0",
                (input, weight), backward)


def _rrelu(input, lower, upper, training, name="RreluWithNoiseBackward0"):
    """Leaky relu whose negative slope is drawn from U(lower, upper) per element in training (one float64
    draw per non-positive element, in order, as torch's cpu kernel draws), (lower + upper) / 2 otherwise."""
    x = input._data
    xp = array_module(x)
    if training:
        negative = x <= 0
        noise = xp.ones(x.shape, dtype=x.dtype)
        count = int(negative.sum())
        if count:
            draws = empty(count, dtype=float64, device=input.device).uniform_(lower, upper)._data
            noise[negative] = draws.astype(x.dtype)
    else:
        noise = x.dtype.type((lower + upper) / 2)
    out = xp.where(x > 0, x, x * noise)
    slope = noise if training else float(noise)

    def backward(g):
        if training:
            return (g * Tensor._wrap(noise),)
        return (where(input > 0, g, g * slope),)
    return make(out.astype(x.dtype, copy=False), name, (input,), backward)


_rrelu_ = inplace_variant(lambda input, lower, upper, training: _rrelu(input, lower, upper, training,
                                                                        "RreluWithNoiseBackward1"))


def _check_rrelu(lower, upper):
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky relu (see _rrelu)."""
    _check_rrelu(lower, upper)
    return (_rrelu_ if inplace else _rrelu)(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place rrelu."""
    _check_rrelu(lower, upper)
    return _rrelu_(input, lower, upper, training)


# ----- the ELU family -----------------------------------------------------------------------------------
def _elu_like(input, alpha, scale, input_scale, name, grad_input_scale=None):
    """scale * x where x > 0, scale * alpha * (exp(input_scale * x) - 1) elsewhere: torch's one kernel
    behind elu, selu and celu. The backward may use its own input_scale (torch's celu rounds alpha to
    float32 there)."""
    def compute(xp, x):
        return xp.where(x > 0, scale * x, scale * alpha * xp.expm1(xp.minimum(x, 0) * input_scale))

    slope = input_scale if grad_input_scale is None else grad_input_scale

    def grad(g, t):
        return where(t > 0, g * scale, g * (scale * alpha * slope) * (t * slope).exp())
    return _elementwise(input, name, compute, grad)


def _selu(input, name="EluBackward0"):
    return _elu_like(input, _SELU_ALPHA, _SELU_SCALE, 1.0, name)


def _celu(input, alpha, name="CeluBackward0"):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _elu_like(input, alpha, 1.0, 1.0 / alpha, name, grad_input_scale=1.0 / float(np.float32(alpha)))


_selu_ = inplace_variant(lambda input: _selu(input, "EluBackward1"))
_celu_ = inplace_variant(lambda input, alpha: _celu(input, alpha, "CeluBackward1"))


def selu(input, inplace=False):
    """scale * elu(x, alpha) with torch's self-normalising constants."""
    return _selu_(input) if inplace else _selu(input)


def selu_(input):
    """In-place selu."""
    return _selu_(input)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return _celu_(input, alpha) if inplace else _celu(input, alpha)


def celu_(input, alpha=1.0):
    """In-place celu."""
    return _celu_(input, alpha)


def elu_(input, alpha=1.0):
    """In-place elu."""
    return _layers.elu(input, alpha, inplace=True)


# ----- smooth gates -------------------------------------------------------------------------------------
def _mish(input):
    def grad(g, t):
        tsp = tanh(_layers.softplus(t))
        return g * (tsp + t * sigmoid(t) * (1 - tsp * tsp))
    return _elementwise(input, "MishBackward0", lambda xp, x: x * xp.tanh(xp.logaddexp(0, x)), grad)


def _hardswish(input):
    def grad(g, t):
        return where(t < -3, 0.0, where(t <= 3, g * (t / 3 + 0.5), g))
    return _elementwise(input, "HardswishBackward0", lambda xp, x: x * xp.clip(x + 3, 0, 6) / 6, grad)


_FLOAT_SIXTH = float(np.float32(1) / np.float32(6))  # torch's hardsigmoid gradient uses 1/6 rounded to float32


def _hardsigmoid(input):
    return _elementwise(input, "HardsigmoidBackward0", lambda xp, x: xp.clip(x + 3, 0, 6) / 6,
                        lambda g, t: where((t > -3) & (t < 3), g * _FLOAT_SIXTH, 0.0))


_mish_, _hardswish_, _hardsigmoid_ = (inplace_variant(op) for op in (_mish, _hardswish, _hardsigmoid))


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _mish_(input) if inplace else _mish(input)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    _check_floating(input, "hardswish_cpu")
    return _hardswish_(input) if inplace else _hardswish(input)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    _check_floating(input, "hardsigmoid_cpu")
    return _hardsigmoid_(input) if inplace else _hardsigmoid(input)


def logsigmoid(input):
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), finite for any x."""
    _check_floating(input, "log_sigmoid_forward_cpu")
    return _elementwise(input, "LogSigmoidBackward0",
                        lambda xp, x: xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x))),
                        lambda g, t: g * sigmoid(-t))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along `dim`."""
    if dim is None:
        dim = _layers._implicit_dim("softmin", input.dim())
    return _softmax(-input, dim, dtype=dtype)


def glu(input, dim=-1):
    """a * sigmoid(b), where a and b are the two halves of `input` along `dim`."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.dim()
    size = input.shape[d]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {size}")
    x = input._data
    xp = array_module(x)
    a, b = xp.split(x, 2, axis=d)

    def backward(g):
        first, second = input.chunk(2, d)
        s = sigmoid(second)
        return (cat((g * s, g * first * s * (1 - s)), d),)
    return make((a * _sigmoid(xp, b)).astype(x.dtype, copy=False), "GluBackward0", (input,), backward)


# ----- shrinkage ----------------------------------------------------------------------------------------
def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    return _elementwise(input, "HardshrinkBackward0", lambda xp, x: xp.where((x >= -lambd) & (x <= lambd), 0, x),
                        lambda g, t: where((t >= -lambd) & (t <= lambd), 0.0, g))


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    if lambd < 0:
        top = np.finfo(input._data.dtype).max if input.is_floating_point() else np.iinfo(input._data.dtype).max
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype {input.dtype.scalar_name}, but "
                           f"found {lambd:g}")
    return _elementwise(input, "SoftshrinkBackward0",
                        lambda xp, x: xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0)),
                        lambda g, t: where((t >= -lambd) & (t <= lambd), 0.0, g))


def softsign(input):
    """x / (1 + |x|) (composed of tensor ops, as torch composes it)."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """x - tanh(x) (composed of tensor ops, as torch composes it)."""
    return input - input.tanh()


# ----- gumbel softmax -----------------------------------------------------------------------------------
def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + g) / tau) with Gumbel(0, 1) noise g = -log(Exp(1)); with hard=True the forward
    value is the one-hot of the maximum while the gradient is the soft sample's (straight-through)."""
    if eps != 1e-10:
        _warnings.warn("`eps` parameter is deprecated and has no effect.")
    gumbels = -empty_like(logits).exponential_().log()
    y_soft = _softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft

