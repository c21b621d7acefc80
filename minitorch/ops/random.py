"""In-place random fills (Tensor.uniform_, normal_, bernoulli_, exponential_, random_, cauchy_, log_normal_,
geometric_) and `bernoulli`. Each draws from the default generator of the tensor's device, or `generator=`,
with torch's own transforms, so on cpu `manual_seed(0); empty(3).uniform_()` gives torch's numbers (see
_random.py). The fill records a node whose gradient is zero, as torch's does."""
import numpy as np

from .._creation import _check_floating
from .._device import array_module
from .._random import generator_for
from .._tensor import Tensor
from ._core import make
from .inplace import _old_value, check_inplace, commit
from .pointwise import _zeros_like

_MANTISSA = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}  # torch's random_() float range


def _fill(self, name, generator, draw):
    """Write draw(engine, n, xp), made with the generator for self's device (on that GPU for cuda), into
    self (views see it) and record the zero-gradient node `name`. The in-place check comes before the draw,
    so a refused call leaves the generator as it was."""
    old = _old_value(self, copy=False) if check_inplace(self) else self
    xp = array_module(self._data)
    if self.device.type == "meta":  # nothing to draw
        data = self._data.copy()
    else:
        engine = generator_for(self.device, generator).engine
        if self.device.type == "cuda":
            with xp.cuda.Device(self.device.index):
                values = draw(engine, self.numel(), xp)
        else:
            values = draw(engine, self.numel(), xp)
        data = values.astype(self._data.dtype, copy=False).reshape(self._data.shape)
    return commit(self, make(data, name, (old,), lambda g: (_zeros_like(g),), saves=False))


def _check_continuous(self, name, type_name):
    if not self.dtype.is_floating_point:
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {type_name}")


def uniform_(self, from_=0.0, to=1.0, *, generator=None):
    """Fill with samples from U(from_, to): torch computes x * (to - from) + from in one fused step."""
    _check_floating(self.dtype, "check_uniform_bounds")
    for bound, value in (("from", from_), ("to", to)):
        if not np.isfinite(value):
            raise RuntimeError(f"{bound} is out of bounds for {self.dtype.cpp_name}")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_:g} > to={to:g}")
    double = self.dtype.name == "float64"

    def draw(engine, n, xp):
        x = engine.uniform(n, self.dtype.np if double else np.float32)
        if double:  # the fused multiply-add rounds once: emulate it in extended precision where there is one
            wide = np.longdouble if xp is np else np.float64
            return (x.astype(wide) * wide(to - from_) + wide(from_)).astype(np.float64)
        lo, hi = np.float32(from_), np.float32(to)
        value = (x.astype(np.float64) * np.float64(hi - lo) + np.float64(lo)).astype(np.float32)
        value = value.astype(self._data.dtype)  # a value rounded up to `to` wraps to `from`, as in torch
        scalar = self._data.dtype.type
        return xp.where(value == scalar(to), scalar(from_), value)
    return _fill(self, "UniformBackward0", generator, draw)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with samples from N(mean, std**2)."""
    _check_floating(self.dtype, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    return _fill(self, "NormalBackward0", generator,
                 lambda engine, n, xp: engine.normal(n, self._data.dtype, float(mean), float(std)))


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 1 where a uniform draw is below `p` (a number, or a tensor broadcast to self), else 0."""
    if isinstance(p, Tensor):
        if not p.dtype.is_floating_point:
            raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{p.dtype.scalar_name}'")
        probs = p.to(self.device)._data
        compute = np.float64 if p.dtype.name == "float64" else np.float32

        def draw(engine, n, xp):
            return engine.uniform(n, compute).reshape(self._data.shape) < xp.broadcast_to(probs, self._data.shape)
        return _fill(self, "BernoulliBackward1", generator, draw)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return _fill(self, "BernoulliBackward2", generator, lambda engine, n, xp: engine.uniform(n, np.float64) < p)


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples: with probabilities `input` (gradient zero), or with the number `p` in input's shape."""
    if p is not None:
        return bernoulli_(Tensor._wrap(array_module(input._data).empty_like(input._data)), p, generator=generator)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{input.dtype.scalar_name}'")
    compute = np.float64 if input.dtype.name == "float64" else np.float32
    probs = input._data
    if input.device.type == "meta":  # nothing to draw
        return make(probs.copy(), "BernoulliBackward0", (input,), lambda g: (_zeros_like(g),), saves=False)
    xp = array_module(probs)
    engine = generator_for(input.device, generator).engine
    bad = xp.flatnonzero(~((probs >= 0) & (probs <= 1)))
    if bad.size:  # torch checks each probability as it draws, so the draws before the bad one are spent
        engine.uniform(int(bad[0]), compute)
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
                           "be improved?  If so, please report an enhancement request to PyTorch.)")
    data = (engine.uniform(probs.size, compute).reshape(probs.shape) < probs).astype(probs.dtype)
    return make(data, "BernoulliBackward0", (input,), lambda g: (_zeros_like(g),), saves=False)


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with samples from the exponential distribution of rate `lambd`."""
    _check_continuous(self, "Exponential", self.dtype.scalar_name)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return _fill(self, "ExponentialBackward0", generator,
                 lambda engine, n, xp: -1.0 / lambd * xp.log1p(-engine.uniform(n, np.float64)))


def random_(self, from_=None, to=None, *, generator=None):
    """Fill with integers uniform in [from_, to); `random_(to)` draws from [0, to) and `random_()` from
    [0, 2**mantissa] for floats or [0, max] for integers."""
    if from_ is None and to is None:
        if self.dtype.is_floating_point:
            low, high = 0, (1 << _MANTISSA[self.dtype.name]) + 1
        else:
            low, high = 0, (1 if self.dtype.name == "bool" else int(np.iinfo(self.dtype.np).max)) + 1
        name = "RandomBackward2"
    elif to is None:
        low, high, name = 0, from_, "RandomBackward1"
    else:
        low, high, name = from_, to, "RandomBackward0"
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if not self.dtype.is_floating_point and self.dtype.name != "bool":
        info = np.iinfo(self.dtype.np)
        for bound, value in (("from", low), ("to - 1", high - 1)):
            if not info.min <= value <= info.max:
                raise RuntimeError(f"{bound} is out of bounds for {self.dtype.cpp_name}")
    return _fill(self, name, generator, lambda engine, n, xp: engine.integers(int(low), int(high), (n,)))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with samples from the Cauchy distribution."""
    _check_continuous(self, "Cauchy", self.dtype.cpp_name)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    return _fill(self, "CauchyBackward0", generator,
                 lambda engine, n, xp: median + sigma * xp.tan(np.pi * (engine.uniform(n, np.float64) - 0.5)))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with exp of N(mean, std**2) samples (torch draws these one double pair at a time)."""
    _check_floating(self.dtype, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return _fill(self, "LogNormalBackward0", generator,
                 lambda engine, n, xp: xp.exp(engine.normal_doubles(n) * std + mean))


def geometric_(self, p, *, generator=None):
    """Fill with the number of Bernoulli(p) trials up to the first success."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    return _fill(self, "GeometricBackward0", generator,
                 lambda engine, n, xp: xp.ceil(xp.log(engine.uniform(n, np.float64)) / np.log1p(-p)))


__all__ = ["bernoulli"]
_METHODS = {"uniform_": uniform_, "normal_": normal_, "bernoulli_": bernoulli_, "bernoulli": bernoulli,
            "exponential_": exponential_, "random_": random_, "cauchy_": cauchy_, "log_normal_": log_normal_,
            "geometric_": geometric_}
_INPLACE = {}
