"""Special functions: lgamma, digamma and polygamma, mvlgamma, erfinv, the Bessel function i0, sinc, xlogy,
logit and the regularised incomplete gamma functions igamma / igammac.

NumPy has none of them (and minitorch does not depend on SciPy), so each is computed here with `xp`
operations only, to double precision: Lanczos' approximation for lgamma, the asymptotic series after upward
recurrence for digamma, Euler-Maclaurin summation of the Hurwitz zeta function for polygamma, Newton steps on
erf for erfinv, power and asymptotic series for the Bessel functions, and series / continued fractions for
the incomplete gamma functions. Each forward is followed by its backward."""
import math

import numpy as np

from .._device import array_module
from .._tensor import Tensor
from ._core import as_tensor_arg, binary, make, sum_to
from .elementwise import _operands
from .pointwise import _float_array, _not_implemented, _special, _unary_with_input, cos, exp, log, where

# Lanczos' coefficients for g = 7, n = 9 (Numerical Recipes / Boost), good to about 1e-15 relative
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)  # B2, B4, ..., B16


def _work(a):
    """float64 working copy of an array (results are cast back to the input's dtype)."""
    return a.astype(np.float64)


def _lgamma(xp, a):
    """log|Gamma(a)|; inf at 0 and at the negative integers (the poles)."""
    x = _work(a)
    reflect = x < 0.5
    z = xp.where(reflect, 1 - x, x) - 1  # Lanczos on z + 1 >= 0.5
    series = xp.full_like(z, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], start=1):
        series = series + c / (z + i)
    t = z + _LANCZOS_G + 0.5
    direct = 0.5 * math.log(2 * math.pi) + (z + 0.5) * xp.log(t) - t + xp.log(series)
    with np.errstate(divide="ignore"):
        reflected = math.log(math.pi) - xp.log(xp.abs(xp.sin(math.pi * x))) - direct
    out = xp.where(reflect, reflected, direct)
    pole = (x <= 0) & (x == xp.floor(x))
    return xp.where(pole | xp.isinf(x), np.inf, out).astype(a.dtype)


def _digamma(xp, a):
    """psi(a) = Gamma'(a) / Gamma(a): reflection below 0.5, recurrence up to 6, then the asymptotic series."""
    x = _work(a)
    reflect = x < 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        correction = xp.where(reflect, math.pi / xp.tan(math.pi * x), 0.0)
    x = xp.where(reflect, 1 - x, x)
    acc = xp.zeros_like(x)
    for _ in range(6):
        small = x < 6
        acc = acc - xp.where(small, 1 / x, 0.0)
        x = xp.where(small, x + 1, x)
    inv2 = 1 / (x * x)
    tail, power = xp.zeros_like(x), xp.ones_like(x)
    for k, b in enumerate(_BERNOULLI, start=1):
        power = power * inv2
        tail = tail + b / (2 * k) * power
    out = acc + xp.log(x) - 0.5 / x - tail - correction
    a64 = _work(a)
    out = xp.where((a64 < 0) & (a64 == xp.floor(a64)), np.nan, out)
    return xp.where(a64 == 0, xp.copysign(np.inf, -a64), out).astype(a.dtype)


def _hurwitz_zeta(xp, s, q):
    """zeta(s, q) = sum over k >= 0 of (q + k)^-s for integer s >= 2: the first terms until q + k >= s + 10,
    then the Euler-Maclaurin tail w^(1-s) / (s-1) + w^-s / 2 + sum_j B_2j / (2j)! s (s+1) ... (s+2j-2)
    w^-(s+2j-1) at that w; inf at q = 0 and at the negative integers."""
    lowest = float(q.min()) if q.size else 0.0
    n = s + 10 + max(0, math.ceil(-lowest)) if math.isfinite(lowest) else s + 10
    total = xp.zeros_like(q)
    for k in range(n):
        total = total + (q + k) ** -s
    w = q + n
    total = total + w ** (1 - s) / (s - 1) + 0.5 * w ** -s
    factor, power = s / 2, w ** (-s - 1)
    for j, b in enumerate(_BERNOULLI, start=1):
        total = total + b * factor * power
        factor = factor * (s + 2 * j - 1) * (s + 2 * j) / ((2 * j + 1) * (2 * j + 2))
        power = power / (w * w)
    return xp.where((q <= 0) & (q == xp.floor(q)), np.inf, total)


def _trigamma(xp, x):
    """psi1(x) as torch computes it: reflection below 0.5 (psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x)), six
    steps of psi1(x) = 1 / x^2 + psi1(x + 1), then 1/x + 1/(2x^2) + 1/(6x^3) - 1/(30x^5) + 1/(42x^7)."""
    reflect = x < 0.5
    result = xp.where(reflect, -(math.pi ** 2) / xp.sin(math.pi * x) ** 2, 0.0)
    x = xp.where(reflect, 1 - x, x)
    for _ in range(6):
        result = result + 1 / (x * x)
        x = x + 1
    inv2 = 1 / (x * x)
    result = result + (1 + 1 / (2 * x) + inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42)))) / x
    return xp.where(reflect, -result, result)


def _polygamma(xp, n, a):
    """The n-th derivative of digamma: (-1)^(n+1) n! zeta(n + 1, a) for n >= 1."""
    if n == 0:
        return _digamma(xp, a)
    x = _work(a)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if n == 1:
            return _trigamma(xp, x).astype(a.dtype)
        out = (-1) ** (n + 1) * math.factorial(n) * _hurwitz_zeta(xp, n + 1, x)
    return out.astype(a.dtype)


lgamma = _unary_with_input("LgammaBackward0", _lgamma, lambda g, x: g * digamma(x))
digamma = _unary_with_input("DigammaBackward0", _digamma, lambda g, x: g * polygamma(1, x))


def polygamma(n, input):
    """The n-th derivative of the digamma function (n >= 0)."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return make(_polygamma(array_module(input._data), n, _float_array(input)), "PolygammaBackward0", (input,),
                lambda g: (g * polygamma(n + 1, input),))


def mvlgamma(input, p):
    """The multivariate log-gamma function of dimension p: p(p-1)/4 log(pi) + sum_i lgamma(input - i / 2)."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    xp = array_module(input._data)
    data = _float_array(input)
    out = p * (p - 1) / 4 * math.log(math.pi) + sum(_lgamma(xp, data - i / 2) for i in range(p))

    def backward(g):
        return (g * sum(digamma(input - i / 2) for i in range(p)),)
    return make(out.astype(data.dtype), "MvlgammaBackward0", (input,), backward)


def _erfinv(xp, a):
    """The inverse of erf on (-1, 1): a rational first guess refined by Newton steps on erf."""
    y = _work(a)
    inside = xp.abs(y) < 1
    safe = xp.where(inside, y, 0.0)
    w = -xp.log((1 - safe) * (1 + safe))
    # Giles' single-precision approximation ("Approximating the erfinv function", 2010) as the first guess
    central = w < 5
    wc, wt = w - 2.5, xp.sqrt(w) - 3
    pc = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
              0.246640727, 1.50140941):
        pc = c + pc * wc
    pt = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
              1.00167406, 2.83297682):
        pt = c + pt * wt
    x = xp.abs(xp.where(central, pc, pt) * safe)
    # Newton steps on erfc(x) = 1 - |y| (exact for |y| >= 0.5), which keeps full precision near |y| = 1
    target = 1 - xp.abs(safe)
    for _ in range(3):
        x = x + (_special("erfc", x) - target) / (2 / math.sqrt(math.pi) * xp.exp(-x * x))
    x = xp.where(safe < 0, -x, x)
    x = xp.where(inside, x, xp.where(y == 1, np.inf, xp.where(y == -1, -np.inf, np.nan)))
    return x.astype(a.dtype)


erfinv = _unary_with_input("ErfinvBackward0", _erfinv,
                         lambda g, x: g * (math.sqrt(math.pi) / 2) * exp(erfinv(x) ** 2))


def _bessel_i(xp, nu, a):
    """The modified Bessel function I_nu (nu = 0 or 1): the power series for |x| <= 15, the asymptotic series
    e^|x| / sqrt(2 pi |x|) sum_k (-1)^k prod_j (4 nu^2 - (2j - 1)^2) / (k! (8|x|)^k) beyond (odd in x for nu = 1)."""
    x = _work(a)
    ax = xp.abs(x)
    small = xp.minimum(ax, 15.0)
    half_sq = (small / 2) ** 2
    term = xp.ones_like(x) if nu == 0 else small / 2
    series = term
    for k in range(1, 60):
        term = term * half_sq / (k * (k + nu))
        series = series + term
    big = xp.maximum(ax, 15.0)
    coefficient, tail, power = 1.0, xp.ones_like(x), xp.ones_like(x)
    for k in range(1, 30):
        coefficient = coefficient * (4 * nu * nu - (2 * k - 1) ** 2) / (k * 8)
        power = power / big
        tail = tail + (-1) ** k * coefficient * power
    with np.errstate(over="ignore", invalid="ignore"):
        asymptotic = xp.exp(big) / xp.sqrt(2 * math.pi * big) * tail
    out = xp.where(ax <= 15, series, asymptotic)
    if nu == 1:
        out = xp.where(x < 0, -out, out)
    return out.astype(a.dtype)


def _i1(input):
    return make(_bessel_i(array_module(input._data), 1, _float_array(input)), "SpecialI1Backward0", (input,),
                lambda g: (g * (i0(input) - where(input == 0, 0.5, _i1(input) / input)),))


i0 = _unary_with_input("I0Backward0", lambda xp, a: _bessel_i(xp, 0, a), lambda g, x: g * _i1(x))


def _sinc(xp, a):
    with np.errstate(invalid="ignore", divide="ignore"):
        px = math.pi * a
        return xp.where(a == 0, a.dtype.type(1), xp.sin(px) / px).astype(a.dtype)


sinc = _unary_with_input("SincBackward0", _sinc,
                       lambda g, x: where(x == 0, 0.0, g * (cos(math.pi * x) - sinc(x)) / x))


def logit(input, eps=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    data = _float_array(input)
    xp = array_module(data)
    p = data if eps is None else xp.clip(data, eps, 1 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = xp.log(p / (1 - p))

    def backward(g):
        grad = g / (input * (1 - input))
        if eps is None:
            return (grad,)
        return (where((input < eps) | (input > 1 - eps), 0.0, grad),)
    return make(out.astype(data.dtype, copy=False), "LogitBackward0", (input,), backward)


def xlogy(input, other):
    """input * log(other), 0 where input is 0 (unless other is nan); either operand may be a number."""
    name = "XlogyBackward0" if isinstance(input, Tensor) and isinstance(other, Tensor) else \
        "XlogyBackward2" if isinstance(input, Tensor) else "XlogyBackward1"
    if not isinstance(input, Tensor):
        input = as_tensor_arg(input, other)
    a, b, bt = _operands(input, other)
    xp = array_module(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = xp.where((a == 0) & ~xp.isnan(b), a.dtype.type(0), a * xp.log(b)).astype(a.dtype, copy=False)

    def backward(g):
        ga = gb = None
        if input._requires_grad:
            ga = sum_to(g * xlogy((input != 0).to(g.dtype), other), input.shape)
        if bt is not None and bt._requires_grad:
            gb = sum_to(g * input / bt, bt.shape)
        return ga, gb
    return make(out, name, (input, bt), backward)


def _incomplete_gamma(xp, a, x):
    """(P, Q), the regularised lower and upper incomplete gamma functions: the series of P where x < a + 1,
    Lentz's continued fraction of Q elsewhere; the edge cases as torch gives them."""
    a, x = xp.broadcast_arrays(_work(a), _work(x))
    ok = (a > 0) & (x > 0) & xp.isfinite(x)
    sa, sx = xp.where(ok, a, 1.0), xp.where(ok, x, 1.0)
    log_prefix = sa * xp.log(sx) - sx - _lgamma(xp, sa)
    # series: P = e^-x x^a / Gamma(a + 1) sum_n x^n / ((a + 1) ... (a + n))
    term = 1 / sa
    total = term
    for n in range(1, 300):
        term = term * sx / (sa + n)
        total = total + term
    lower = xp.exp(log_prefix) * total
    # continued fraction for Q (modified Lentz)
    tiny = 1e-300
    b = sx + 1 - sa
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 300):
        an = -i * (i - sa)
        b = b + 2
        d = an * d + b
        d = xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        d = 1 / d
        h = h * d * c
    upper = xp.exp(log_prefix) * h
    use_series = sx < sa + 1
    p = xp.where(use_series, lower, 1 - upper)
    q = xp.where(use_series, 1 - lower, upper)
    # the edges: x = 0 gives P = 0; a = 0 (x > 0) or x = inf gives P = 1; negative arguments give nan
    p = xp.where(x == 0, 0.0, xp.where((a == 0) | xp.isinf(x), 1.0, p))
    q = xp.where(x == 0, 1.0, xp.where((a == 0) | xp.isinf(x), 0.0, q))
    bad = (a < 0) | (x < 0) | xp.isnan(a) | xp.isnan(x)
    return xp.where(bad, np.nan, p), xp.where(bad, np.nan, q)


def _igamma_op(name, upper):
    def op(input, other):
        a, x, xt = binary(input, other)
        if a.dtype.kind in "biu":
            raise _not_implemented(f"{name}_cpu", a.dtype)
        p, q = _incomplete_gamma(array_module(a), a, x)
        out = (q if upper else p).astype(a.dtype)

        def backward(g):
            if input._requires_grad:
                raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
            # d P / dx = e^-x x^(a-1) / Gamma(a)
            density = exp((input - 1) * log(other) - other - lgamma(input))
            return None, sum_to(-g * density if upper else g * density, xt.shape)
        return make(out, name.capitalize() + "Backward0", (input, xt), backward)
    op.__name__ = name
    return op


igamma = _igamma_op("igamma", upper=False)
igammac = _igamma_op("igammac", upper=True)

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma", "erfinv", "i0", "sinc", "logit", "xlogy", "igamma",
           "igammac"]
_METHODS = {name: globals()[name] for name in __all__ if name != "polygamma"}
_METHODS["polygamma"] = lambda self, n: polygamma(n, self)
_INPLACE = {name + "_": fn for name, fn in _METHODS.items()}
