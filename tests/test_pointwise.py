"""Elementwise ops compared with PyTorch: forward values and dtypes on every dtype, gradients (with
broadcasting) and grad_fn names, float64 gradcheck of every differentiable op, and in-place forms."""
import numpy as np
import pytest

import minitorch
from minitorch.autograd import gradcheck
from tests._core_parity import observe, raises_same, same

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]

# values that visit the interesting points: negatives, zero, fractions, large magnitudes
SAMPLES = {"bool": [True, False, True, False], "uint8": [0, 3, 200, 255],
           "float": [-2.5, -0.0, 0.5, 3.0, 40.0, -100.0, float("inf"), float("nan")]}


def sample(L, name, zero_dim=False):
    """The sample values of dtype `name` as a tensor (only the first one, as a zero-dim tensor)."""
    values = SAMPLES.get(name) or (SAMPLES["float"] if name.startswith("float") else [-100, -1, 0, 1, 7, 127])
    return L.tensor(values[0] if zero_dim else values, dtype=getattr(L, name))


UNARY = ["neg", "abs", "sign", "exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal",
         "sin", "cos", "tanh", "sigmoid", "relu", "floor", "ceil", "round", "trunc", "isnan", "isinf",
         "isfinite", "logical_not", "bitwise_not"]


@pytest.mark.parametrize("op", UNARY)
def test_unary_forward_every_dtype(torch, op):
    """Values, dtype (integers become the default float for float functions) or torch's error."""
    failures = []
    for name in NAMES:
        for scenario in (lambda L: getattr(L, op)(sample(L, name)),
                         lambda L: getattr(sample(L, name), op)(),
                         lambda L: getattr(L, op)(sample(L, name, zero_dim=True))):
            ours, theirs = observe(scenario, minitorch), observe(scenario, torch)
            if ours != theirs:
                failures.append(f"{op}({name}): minitorch {ours!r} torch {theirs!r}")
    assert not failures, "\n".join(failures[:6])


def test_round_decimals(torch):
    same(torch, lambda L: [L.round(L.tensor([1.2345, -2.5, 0.5, 1.5]), decimals=2),
                           L.tensor([1.25, 2.5]).round(), L.tensor([3, 4]).round()])


CLAMP_ARGS = [(-1, 2), (None, 2), (-1, None), (-1.5, 2.0), (0.5, None), (3, 1), (True, None)]


@pytest.mark.parametrize("bounds", CLAMP_ARGS)
def test_clamp_forward_every_dtype(torch, bounds):
    failures = []
    for name in NAMES:
        def scenario(L):
            return [L.clamp(sample(L, name), *bounds), sample(L, name).clip(*bounds)]
        ours, theirs = observe(scenario, minitorch), observe(scenario, torch)
        if ours != theirs:
            failures.append(f"clamp({name}, {bounds}): minitorch {ours!r} torch {theirs!r}")
    assert not failures, "\n".join(failures[:6])


def test_clamp_errors(torch):
    raises_same(torch, lambda L: L.clamp(L.ones(2)))
    ours = observe(lambda L: L.clamp(L.ones(2), L.zeros(2), 1.0), minitorch)
    assert ours[:2] == ("raised", "TypeError") and "clamp() received an invalid combination" in ours[2]


def test_clamp_min_max_functions(torch):
    same(torch, lambda L: [L.clamp_min(L.tensor([-1., 2.]), 0), L.clamp_max(L.tensor([-1., 2.]), 0),
                           L.clamp_min(L.tensor([-1., 2.]), L.tensor([0., 3.]))])


def test_division_modes(torch):
    x = [7, -7, 5, -5, 0]
    y = [2, 2, -3, -3, 4]
    for dt in ("int64", "int8", "float32", "float64"):
        def scenario(L):
            a, b = L.tensor(x, dtype=getattr(L, dt)), L.tensor(y, dtype=getattr(L, dt))
            return [[L.div(a, b, rounding_mode=m) for m in (None, "trunc", "floor")],
                    a // b, a % b, L.fmod(a, b), L.remainder(a, -3), 7 // b, 7 % b]
        same(torch, scenario)
    same(torch, lambda L: [L.tensor([1., -1., 0.]) / 0, L.tensor([1., -1.]) // 0.0, L.tensor([5.5]) % 0.0])
    raises_same(torch, lambda L: L.div(L.ones(2), 2, rounding_mode="round"))


@pytest.mark.parametrize("case", ["int // 0", "int % 0", "fmod(int, 0)", "trunc div by 0", "bool // bool"])
def test_integer_division_by_zero_and_bool_errors(torch, case):
    raises_same(torch, {
        "int // 0": lambda L: L.tensor([1, 2]) // 0,
        "int % 0": lambda L: L.tensor([1, 2]) % L.tensor([1, 0]),
        "fmod(int, 0)": lambda L: L.fmod(L.tensor([1, 2]), 0),
        "trunc div by 0": lambda L: L.div(L.tensor([1]), L.tensor([0]), rounding_mode="trunc"),
        "bool // bool": lambda L: L.tensor([True]) // L.tensor([True]),
    }[case])


def test_pow_cases(torch):
    same(torch, lambda L: [L.tensor([2, -3, 1, -1]) ** L.tensor([-1, -2, -3, -3]), 2 ** L.tensor([-1, 0, 3]),
                           L.tensor([True, False]) ** 2, L.tensor([True, False]) ** True, L.tensor([2, 3]) ** 2.5,
                           L.tensor([0., 4.]) ** 0.5, 2.5 ** L.tensor([2]), L.pow(2, L.tensor([1., 2.])),
                           L.tensor([-8.]) ** (1 / 3), L.tensor([2], dtype=L.uint8) ** 3])
    raises_same(torch, lambda L: L.tensor([2]) ** -1)
    raises_same(torch, lambda L: L.tensor([True]) ** L.tensor([True]))
    raises_same(torch, lambda L: True ** L.tensor([True]))


def test_bool_arithmetic_errors(torch):
    raises_same(torch, lambda L: L.tensor([True]) - L.tensor([False]))
    raises_same(torch, lambda L: L.tensor([True]) - 1)
    raises_same(torch, lambda L: L.tensor([1.]) - True)
    raises_same(torch, lambda L: 1 - L.tensor([True]))
    raises_same(torch, lambda L: -L.tensor([True]))
    raises_same(torch, lambda L: L.abs(L.tensor([True])))
    raises_same(torch, lambda L: L.relu(L.tensor([True])))
    raises_same(torch, lambda L: L.tensor([1.5]) & 1)
    raises_same(torch, lambda L: ~L.tensor([1.5]))


def test_alpha(torch):
    same(torch, lambda L: [L.add(L.ones(2), L.ones(2), alpha=3), L.sub(L.ones(2), 2, alpha=0.5),
                           L.ones(2).add(L.tensor([1, 2]), alpha=2), L.rsub(L.ones(2), L.tensor([5., 6.]), alpha=2),
                           L.rsub(L.ones(2), 3)])
    raises_same(torch, lambda L: L.tensor([1, 2]).add(1, alpha=1.5))
    raises_same(torch, lambda L: L.ones(2).add(1, alpha=True))


def test_comparisons_and_logic(torch):
    same(torch, lambda L: [L.tensor([1, 2, 3]) < 2.5, L.tensor([1., 2.]) == L.tensor([1, 3]), 2 < L.tensor([1, 3]),
                           L.tensor([1, 2]) != 2, L.tensor([1., float("nan")]) == L.tensor([1., float("nan")]),
                           L.ge(L.tensor([1, 2]), L.tensor([[2], [1]])), L.tensor([3], dtype=L.uint8) < -1,
                           L.logical_and(L.tensor([1., 0.]), L.tensor([2, 2])), L.logical_xor(L.ones(2), L.zeros(2)),
                           L.tensor([True, False]) | L.tensor([False, False]), L.tensor([6, 3]) ^ 5,
                           L.tensor([6, 3]) & L.tensor([True, False])])
    same(torch, lambda L: [L.ones(2) == None, L.ones(2) != "a"])  # noqa: E711 - the operator is under test
    same(torch, lambda L: [L.isclose(L.tensor([1., 2.]), L.tensor([1., 2.0001])), L.allclose(L.ones(2), L.ones(2)),
                           L.equal(L.ones(2), L.ones(2)), L.equal(L.ones(2), L.ones(3))])


def test_minimum_maximum(torch):
    same(torch, lambda L: [L.maximum(L.tensor([1, 5]), L.tensor([3., 2.])),
                           L.minimum(L.tensor([1, 5]), L.tensor([[3], [2]])),
                           L.maximum(L.tensor([1., float("nan")]), L.tensor([float("nan"), 2.]))])
    raises_same(torch, lambda L: L.maximum(L.ones(2), 1))


def test_where(torch):
    c = [True, False, True]
    same(torch, lambda L: [L.where(L.tensor(c), L.tensor([1, 2, 3]), L.tensor([4., 5., 6.])),
                           L.where(L.tensor(c), L.tensor([1, 2, 3]), 0), L.where(L.tensor(c), 1.0, 0),
                           L.where(L.tensor(c), 1, 0), L.where(L.tensor(c), L.ones(3, dtype=L.float16), 2.5),
                           L.where(L.tensor([[True], [False]]), L.ones(3), L.zeros(2, 1)),
                           L.ones(3).where(L.tensor(c), L.zeros(3))])
    raises_same(torch, lambda L: L.where(L.tensor([1., 0.]), L.ones(2), L.zeros(2)))


# ----- gradients -------------------------------------------------------------------------------------------
def _leaf(L, values, dtype="float32"):
    return L.tensor(values, dtype=getattr(L, dtype), requires_grad=True)


# sample points away from kinks (integers for floor, bounds for clamp, multiples for remainder)
POSITIVE = [[0.5, 1.5, 2.2], [3.1, 0.25, 1.2]]
MIXED = [[-1.5, 0.4, 2.2], [1.3, -0.25, 3.1]]
OTHER_ROW = [1.25, -0.55, 2.5]
OTHER_POS = [1.25, 0.55, 2.5]

# name -> (function of the tensors, inputs); inputs are (values, shapes broadcast against each other)
DIFFERENTIABLE = {
    "add": (lambda L, x, y: x + y, (MIXED, OTHER_ROW)),
    "add_alpha": (lambda L, x, y: L.add(x, y, alpha=-2.5), (MIXED, OTHER_ROW)),
    "add_scalar": (lambda L, x: 3 + x + 1.5, (MIXED,)),
    "sub": (lambda L, x, y: x - y, (MIXED, OTHER_ROW)),
    "sub_alpha": (lambda L, x, y: L.sub(x, y, alpha=2), (MIXED, OTHER_ROW)),
    "rsub_scalar": (lambda L, x: 2 - x, (MIXED,)),
    "rsub": (lambda L, x, y: L.rsub(x, y, alpha=3), (MIXED, OTHER_ROW)),
    "mul": (lambda L, x, y: x * y, (MIXED, OTHER_ROW)),
    "mul_scalar": (lambda L, x: 2.5 * x * 3, (MIXED,)),
    "div": (lambda L, x, y: x / y, (MIXED, OTHER_ROW)),
    "div_scalar": (lambda L, x: x / 4, (MIXED,)),
    "rdiv": (lambda L, x: 2 / x, (MIXED,)),
    "pow_scalar": (lambda L, x: x ** 3, (MIXED,)),
    "pow_frac": (lambda L, x: x ** 2.5, (POSITIVE,)),
    "pow_zero": (lambda L, x: x ** 0, (MIXED,)),
    "pow_tensor": (lambda L, x, y: x ** y, (POSITIVE, OTHER_ROW)),
    "rpow": (lambda L, x: 2.5 ** x, (MIXED,)),
    "neg": (lambda L, x: -x, (MIXED,)),
    "abs": (lambda L, x: x.abs(), (MIXED,)),
    "exp": (lambda L, x: x.exp(), (MIXED,)),
    "expm1": (lambda L, x: x.expm1(), (MIXED,)),
    "log": (lambda L, x: x.log(), (POSITIVE,)),
    "log2": (lambda L, x: L.log2(x), (POSITIVE,)),
    "log10": (lambda L, x: L.log10(x), (POSITIVE,)),
    "log1p": (lambda L, x: x.log1p(), (POSITIVE,)),
    "sqrt": (lambda L, x: x.sqrt(), (POSITIVE,)),
    "rsqrt": (lambda L, x: x.rsqrt(), (POSITIVE,)),
    "reciprocal": (lambda L, x: x.reciprocal(), (MIXED,)),
    "sin": (lambda L, x: x.sin(), (MIXED,)),
    "cos": (lambda L, x: x.cos(), (MIXED,)),
    "tanh": (lambda L, x: x.tanh(), (MIXED,)),
    "sigmoid": (lambda L, x: x.sigmoid(), (MIXED,)),
    "relu": (lambda L, x: L.relu(x), (MIXED,)),
    "clamp_both": (lambda L, x: x.clamp(-1.0, 1.0), (MIXED,)),
    "clamp_min": (lambda L, x: x.clamp(min=0.0), (MIXED,)),
    "clamp_max": (lambda L, x: L.clamp(x, max=0.75), (MIXED,)),
    "clamp_min_fn": (lambda L, x: L.clamp_min(x, 0.25), (MIXED,)),
    "clamp_tensor": (lambda L, x, lo, hi: x.clamp(lo, hi), (MIXED, [-1.0, 0.0, 2.5], [0.25, 1.0, 2.0])),
    "clamp_tensor_min": (lambda L, x, lo: x.clamp(min=lo), (MIXED, [-1.0, 0.75, 2.5])),
    "clamp_tensor_max": (lambda L, x, hi: x.clamp(max=hi), (MIXED, [[0.0], [1.0]])),
    "minimum": (lambda L, x, y: L.minimum(x, y), (MIXED, OTHER_ROW)),
    "maximum": (lambda L, x, y: L.maximum(x, y), (MIXED, [-1.25, 0.25, 2.5])),
    "where": (lambda L, x, y: L.where(x > 0.7, x, y), (MIXED, OTHER_ROW)),
    "where_scalar": (lambda L, x: L.where(x > 0.7, x, 1.5), (MIXED,)),
    "remainder": (lambda L, x, y: x % y, (MIXED, OTHER_POS)),
    "remainder_scalar": (lambda L, x: x % 0.7, (MIXED,)),
    "fmod": (lambda L, x, y: L.fmod(x, y), (MIXED, OTHER_POS)),
    "sign": (lambda L, x: x.sign() * x, (MIXED,)),
    "floor": (lambda L, x: x.floor() + x, (MIXED,)),
}


@pytest.mark.parametrize("op", list(DIFFERENTIABLE))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradients_match_torch(torch, op, dtype):
    """Forward values, the grad_fn name, and every input's gradient (broadcast inputs summed back)."""
    fn, inputs = DIFFERENTIABLE[op]

    def scenario(L):
        leaves = [_leaf(L, v, dtype) for v in inputs]
        out = fn(L, *leaves)
        weights = L.tensor(np.linspace(-1, 2, out.numel()).reshape(tuple(out.shape)).tolist(), dtype=out.dtype)
        (out * weights).sum().backward()
        return [out, [t.grad for t in leaves]]
    same(torch, scenario)


@pytest.mark.parametrize("op", list(DIFFERENTIABLE))
def test_gradcheck(op):
    fn, inputs = DIFFERENTIABLE[op]
    leaves = tuple(_leaf(minitorch, v, "float64") for v in inputs)
    assert gradcheck(lambda *xs: fn(minitorch, *xs), leaves)


@pytest.mark.parametrize("op", ["mul", "div", "pow_tensor", "exp", "sigmoid", "tanh", "log", "sin", "rpow",
                                "clamp_tensor", "maximum", "where", "sqrt", "remainder", "fmod"])
def test_second_order_gradients_match_torch(torch, op):
    """Backward written with tensor ops can be differentiated again (create_graph=True). The first
    gradients are compared detached: torch names some of their nodes after fused backward kernels
    (SigmoidBackwardBackward0) where minitorch composes ordinary ops."""
    fn, inputs = DIFFERENTIABLE[op]

    def scenario(L):
        leaves = [_leaf(L, v, "float64") for v in inputs]
        out = fn(L, *leaves).sum()
        grads = L.autograd.grad(out, leaves, create_graph=True)
        second = L.autograd.grad(sum(g.sum() for g in grads), leaves, allow_unused=True)
        return [[g.requires_grad for g in grads], [g.detach() for g in grads], second]
    same(torch, scenario)


def test_ties_share_the_gradient(torch):
    same(torch, lambda L: (lambda x, y: (L.maximum(x, y).sum().backward(), x.grad, y.grad)[1:])(
        _leaf(L, [1.0, 2.0, 3.0]), _leaf(L, [1.0, 5.0, 3.0])))
    same(torch, lambda L: (lambda x: (x.clamp(0.0, 1.0).sum().backward(), x.grad)[1])(_leaf(L, [0.0, 1.0, 0.5, 2.0])))
    same(torch, lambda L: (lambda x, lo, hi: (x.clamp(lo, hi).sum().backward(), x.grad, lo.grad, hi.grad)[1:])(
        _leaf(L, [0.0, 1.0, 0.5, 2.0]), _leaf(L, [0.0, 0.0, 1.0, 3.0]), _leaf(L, [1.0, 1.0, 0.0, 2.5])))


def test_non_differentiable_ops(torch):
    same(torch, lambda L: [(lambda x: (x // 2).grad_fn)(_leaf(L, [1.5])), (_leaf(L, [1.5]) > 1).requires_grad,
                           L.div(_leaf(L, [3.0]), 2, rounding_mode="floor")])
    raises_same(torch, lambda L: (_leaf(L, [1.5]) // 2).sum().backward())
    same(torch, lambda L: (lambda x: (L.div(x, 2, rounding_mode="trunc").sum().backward(), x.grad)[1])(
        _leaf(L, [3.0, -3.0])))


def test_integer_inputs_to_float_functions_have_no_grad(torch):
    same(torch, lambda L: [L.tensor([1, 2]).exp(), L.tensor([4]).sqrt(), L.tensor([1, 2]).sigmoid(),
                           L.tensor([True, False]).sin()])


# ----- in-place forms ------------------------------------------------------------------------------------
INPLACE = {
    "add_": lambda x: x.add_(2), "add_alpha": lambda x: x.add_(1, alpha=3), "iadd": lambda x: x.__iadd__(1),
    "sub_": lambda x: x.sub_(0.5), "isub": lambda x: x.__isub__(1), "mul_": lambda x: x.mul_(3),
    "imul": lambda x: x.__imul__(2), "div_": lambda x: x.div_(4), "itruediv": lambda x: x.__itruediv__(2),
    "pow_": lambda x: x.pow_(2), "ipow": lambda x: x.__ipow__(3), "neg_": lambda x: x.neg_(),
    "abs_": lambda x: x.abs_(), "exp_": lambda x: x.exp_(), "log_": lambda x: x.abs_().log_(),
    "sqrt_": lambda x: x.abs_().sqrt_(), "sigmoid_": lambda x: x.sigmoid_(), "tanh_": lambda x: x.tanh_(),
    "relu_": lambda x: x.relu_(), "clamp_": lambda x: x.clamp_(-0.5, 0.5), "clamp_min_": lambda x: x.clamp_min_(0),
    "floor_": lambda x: x.floor_(), "round_": lambda x: x.round_(), "reciprocal_": lambda x: x.reciprocal_(),
    "remainder_": lambda x: x.remainder_(0.75), "fmod_": lambda x: x.fmod_(0.75), "sign_": lambda x: x.sign_(),
    "zero_": lambda x: x.zero_(), "fill_": lambda x: x.fill_(2.5), "sin_": lambda x: x.sin_(),
}


@pytest.mark.parametrize("op", list(INPLACE))
def test_inplace_values_and_gradients(torch, op):
    """The op returns self with the new values, bumps the version, and backward flows through the old value."""
    def scenario(L):
        x = _leaf(L, [-1.5, 0.25, 2.0])
        y = x * 1.5
        version = y._version
        out = INPLACE[op](y)
        y.sum().backward()
        return [out is y, y, y._version - version, x.grad]
    same(torch, scenario)


def test_inplace_without_grad_and_integer_tensors(torch):
    same(torch, lambda L: (lambda t: [t.add_(3), t.mul_(2), t.__ifloordiv__(3), t.__imod__(4), t.__iand__(6),
                                      t.sub_(L.tensor([1, 2, 3]))])(L.tensor([1, 2, 3])))
    same(torch, lambda L: (lambda t: [t.__ior__(L.tensor([True, False])), t])(L.tensor([False, False])))
    same(torch, lambda L: (lambda t: (t.add_(L.tensor([1, 2])), t)[1])(L.ones(2, dtype=L.float16)))


def test_inplace_errors(torch):
    raises_same(torch, lambda L: _leaf(L, [1.0]).add_(1))
    raises_same(torch, lambda L: _leaf(L, [1.0]).zero_())
    raises_same(torch, lambda L: L.tensor([1, 2]).add_(1.5))
    raises_same(torch, lambda L: L.tensor([1, 2]).__itruediv__(2))
    raises_same(torch, lambda L: L.tensor([True]).__iadd__(1))
    raises_same(torch, lambda L: L.zeros(3).add_(L.ones(2, 3)))
    raises_same(torch, lambda L: L.zeros(3).copy_(L.ones(2)))
    raises_same(torch, lambda L: L.zeros(3).fill_(L.ones(2)))


def test_inplace_on_leaf_under_no_grad(torch):
    def scenario(L):
        x = _leaf(L, [1.0, 2.0])
        with L.no_grad():
            x.mul_(2)
            x -= 1
        return [x, x.is_leaf, x.requires_grad, x._version]
    same(torch, scenario)


def test_inplace_makes_a_tensor_require_grad(torch):
    def scenario(L):
        w = _leaf(L, [1.0, 2.0])
        z = L.zeros(2)
        z += w * 3
        z.sum().backward()
        return [z, z.is_leaf, w.grad]
    same(torch, scenario)


def test_fill_zero_copy_graph(torch):
    def scenario(L):
        x, v = _leaf(L, [1.0, 2.0]), _leaf(L, 3.0)
        a, b, c = x * 1, x * 2, L.zeros(2)
        a.fill_(v)
        b.zero_()
        c.copy_(x * 4)
        (a + b + c).sum().backward()
        return [a, b, c, x.grad, v.grad, [n.name() if n else None for n, _ in a.grad_fn.next_functions]]
    same(torch, scenario)


def test_modified_saved_tensor_is_detected(torch):
    def saved_input(L):
        x, w = _leaf(L, [1.0, 2.0]), _leaf(L, [3.0, 4.0])
        y = x * 1
        z = (y * w).sum()
        y.add_(1)
        z.backward()

    def saved_output(L):
        y = _leaf(L, [1.0, 2.0]).exp()
        z = y.sum()
        y.mul_(2)
        z.backward()

    def leaf_changed_under_no_grad(L):
        x, w = _leaf(L, [1.0, 2.0]), _leaf(L, [3.0, 4.0])
        z = (x * w).sum()
        with L.no_grad():
            w.add_(1)
        z.backward()

    def changed_twice(L):
        y = _leaf(L, [1.0, 2.0]) * 1
        y.exp_()
        y.exp_()
        y.sum().backward()

    def through_detached_alias(L):
        y = _leaf(L, [1.0, 2.0]).exp()
        z = y.sum()
        y.detach().zero_()
        z.backward()
    for scenario in (saved_input, saved_output, leaf_changed_under_no_grad, changed_twice, through_detached_alias):
        raises_same(torch, scenario)


def test_unsaved_tensor_may_change(torch):
    """x * 2 keeps no tensor, so changing its input in place afterwards is fine, as in torch."""
    def scenario(L):
        x = _leaf(L, [1.0, 2.0])
        y = x * 1
        z = (y * 2 + y).sum()
        y.add_(1)
        z.backward()
        return x.grad
    same(torch, scenario)
