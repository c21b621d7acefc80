"""The extra elementwise ops (inverse hyperbolic functions, atan2, hypot, logaddexp, copysign, fmax / fmin,
float_power, ldexp, frexp, nextafter, gcd / lcm, bit shifts, sgn, sign tests) against PyTorch: values, dtypes,
grad_fn names, gradients, in-place and method forms, integer inputs and errors; float64 gradcheck with double
backward for each differentiable op; cuda against cpu."""
import numpy as np
import pytest

import minitorch
from tests._core_parity import raises_same, same
from tests._ops_parity import check_grads, compare, cuda_matches_cpu, data

rng = np.random.default_rng(0)
WIDE = rng.uniform(-3, 3, (3, 4))
ABOVE_ONE = rng.uniform(1.2, 3, (3, 4))
UNIT = rng.uniform(-0.9, 0.9, (3, 4))
OTHER = rng.uniform(-3, 3, (3, 4)) + 0.1
POSITIVE = rng.uniform(0.5, 2, (3, 4))

UNARY = [
    ("acosh", ABOVE_ONE), ("arccosh", ABOVE_ONE), ("asinh", WIDE), ("arcsinh", WIDE), ("atanh", UNIT),
    ("arctanh", UNIT), ("deg2rad", WIDE), ("rad2deg", WIDE), ("exp2", WIDE), ("frac", WIDE), ("fix", WIDE),
    ("absolute", OTHER), ("sgn", OTHER),
]
BINARY = [
    ("atan2", WIDE, OTHER), ("arctan2", WIDE, OTHER), ("hypot", WIDE, OTHER), ("logaddexp", WIDE, OTHER),
    ("logaddexp2", WIDE, OTHER), ("copysign", WIDE, OTHER), ("ldexp", WIDE, OTHER[:1]), ("fmax", WIDE, OTHER),
    ("fmin", WIDE, OTHER[:, :1]), ("float_power", POSITIVE, OTHER), ("nextafter", WIDE, OTHER),
]


@pytest.mark.parametrize("name,x", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_matches_torch(torch, name, x, dtype):
    # torch's gradient of sgn on real input is a ZeroTensor, which has no NumPy form to compare
    compare(torch, lambda L, t: (getattr(L, name)(t), getattr(t, name)()), x.astype(dtype), grad=name != "sgn")


@pytest.mark.parametrize("name,x", UNARY, ids=[u[0] for u in UNARY])
def test_unary_gradcheck_and_inplace(torch, name, x):
    if name not in ("frac", "fix", "sgn"):  # piecewise constant derivatives aside
        check_grads(lambda L, t: getattr(L, name)(t), x)
    same(torch, lambda L: getattr(L.tensor(x), name + "_")())
    same(torch, lambda L: [getattr(L, name)(L.tensor([1, -2, 3])), getattr(L, name)(L.tensor([True, False]))])


@pytest.mark.parametrize("name,x,y", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_matches_torch(torch, name, x, y, dtype):
    compare(torch, lambda L, a, b: (getattr(L, name)(a, b), getattr(a, name)(b)), x.astype(dtype), y.astype(dtype))


@pytest.mark.parametrize("name,x,y", BINARY, ids=[b[0] for b in BINARY])
def test_binary_gradcheck_integers_and_inplace(torch, name, x, y):
    if name not in ("fmax", "fmin"):
        check_grads(lambda L, a, b: getattr(L, name)(a, b), x, y)
    same(torch, lambda L: getattr(L, name)(L.tensor([3, -4, 6]), L.tensor([2, 5, 1])))
    same(torch, lambda L: getattr(L, name)(L.tensor([3.0, 2.0]), L.tensor([2, 5])))
    if name not in ("fmax", "fmin", "logaddexp", "logaddexp2"):
        dtype = "float64" if name == "float_power" else "float32"
        same(torch, lambda L: getattr(L.tensor(x, dtype=getattr(L, dtype)), name + "_")(L.tensor(y[0])))


def test_nan_handling_and_special_values(torch):
    nan, inf = float("nan"), float("inf")
    same(torch, lambda L: [L.fmax(L.tensor([nan, 1.0, nan]), L.tensor([2.0, nan, nan])),
                           L.fmin(L.tensor([nan, 1.0, -0.0]), L.tensor([2.0, nan, 0.0])),
                           L.copysign(L.tensor([1.0, 2.0, 3.0]), L.tensor([-0.0, 0.0, -inf])),
                           L.copysign(L.tensor([1.0, -2.0]), -1.0), L.copysign(L.tensor([1, 2]), 2),
                           L.sgn(L.tensor([-0.0, 0.0, -3.0, nan])), L.signbit(L.tensor([-0.0, 0.0, -1.0, 2.0])),
                           L.signbit(L.tensor([-1, 3])), L.isposinf(L.tensor([inf, -inf, nan, 1.0])),
                           L.isneginf(L.tensor([inf, -inf, nan, 1.0])), L.isneginf(L.tensor([1, 2])),
                           L.isreal(L.tensor([1.0, 2.0])), L.isreal(L.tensor([1 + 1j, 2 + 0j])),
                           L.hypot(L.tensor([inf, 3.0]), L.tensor([nan, 4.0])),
                           L.logaddexp(L.tensor([-inf, 1000.0]), L.tensor([-inf, 1000.0])),
                           L.atan2(L.tensor([0.0, -0.0, 1.0]), L.tensor([-1.0, -1.0, 0.0])),
                           L.nextafter(L.tensor([1.0, 0.0]), L.tensor([2.0, -1.0])),
                           L.nextafter(L.tensor([1.0], dtype=L.float64), L.tensor([0.0], dtype=L.float64)) - 1.0,
                           L.exp2(L.tensor([10, 0, -1])), L.frac(L.tensor([-2.5, 3.75, inf]))])


def test_frexp_gcd_lcm_shifts_heaviside(torch):
    same(torch, lambda L: [*L.frexp(L.tensor([0.0, -3.0, 1e-40, 1024.0])), *L.tensor([6.0]).frexp(),
                           L.gcd(L.tensor([4, 6, 0, -9]), L.tensor([6, 9, 5, 6])),
                           L.lcm(L.tensor([4, 6, 0, -9]), L.tensor([6, 9, 5, 6])),
                           L.tensor([12], dtype=L.int32).gcd(L.tensor([18], dtype=L.int32)),
                           L.bitwise_left_shift(L.tensor([1, -3, 5]), L.tensor([2, 1, 70])),
                           L.bitwise_right_shift(L.tensor([-8, 8, -1]), L.tensor([1, 2, 64])),
                           L.bitwise_left_shift(L.tensor([1, 2], dtype=L.uint8), 7), L.tensor([-16, 16]) >> 2,
                           L.tensor([3, 5], dtype=L.int16) << 3,
                           L.heaviside(L.tensor([-1.0, 0.0, 2.0]), L.tensor([0.5, 0.5, 0.5])),
                           L.heaviside(L.tensor([-1, 0, 2]), L.tensor([7]))])
    assert repr(minitorch.frexp(minitorch.tensor([8.0]))) == repr(torch.frexp(torch.tensor([8.0])))
    x = minitorch.tensor([1, 2])
    x <<= 2
    assert x.tolist() == [4, 8]


@pytest.mark.parametrize("call", [
    lambda L: L.hypot(L.tensor([1, 2]), L.tensor([1, 2])),
    lambda L: L.logaddexp(L.tensor([1]), L.tensor([1])),
    lambda L: L.nextafter(L.tensor([1]), L.tensor([1])),
    lambda L: L.frac(L.tensor([1, 2])),
    lambda L: L.gcd(L.tensor([1.0]), L.tensor([2.0])),
    lambda L: L.bitwise_left_shift(L.tensor([1.0]), 1),
    lambda L: L.frexp(L.tensor([1, 2])),
    lambda L: L.heaviside(L.tensor([1.0]), L.tensor([1.0], dtype=L.float64)),
    lambda L: L.atan2(L.tensor([1.0]), 2.0),
    lambda L: L.float_power_(L.tensor([2.0]), 2) if hasattr(L, "float_power_") else L.tensor([2.0]).float_power_(2),
    lambda L: L.tensor([2.0]).float_power_(2),
    lambda L: L.tensor([1, 2]).atan2_(L.tensor([1.0, 1.0])),
    lambda L: L.heaviside(L.tensor([1.0], requires_grad=True), L.tensor([1.0])).sum().backward(),
    lambda L: L.isposinf(L.tensor([1j])),
])
def test_errors_match_torch(torch, call):
    raises_same(torch, call)


def test_comparison_aliases_in_place(torch):
    same(torch, lambda L: [L.tensor([1.0, 2.0, 3.0]).greater_(2), L.tensor([1.0, 2.0, 3.0]).less_equal_(2),
                           L.tensor([1.0, 2.0]).greater_equal_(L.tensor([1.0, 3.0])), L.tensor([1, 2]).less_(2),
                           L.tensor([1, 2]).not_equal_(2)])


@pytest.mark.parametrize("name,x,y", BINARY[:5], ids=[b[0] for b in BINARY[:5]])
def test_binary_broadcast_grads_match_torch(torch, name, x, y):
    compare(torch, lambda L, a, b: getattr(L, name)(a, b), x, y[:1])


@pytest.mark.cuda
def test_cuda_matches_cpu():
    cuda_matches_cpu(lambda L, a, b: (L.atan2(a, b), L.hypot(a, b), L.logaddexp(a, b), L.copysign(a, b),
                                      L.fmax(a, b), L.asinh(a), L.exp2(a), L.sgn(a)),
                     data((3, 4), "float32"), data((3, 4), "float32", seed=1))
