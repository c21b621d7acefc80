"""Type promotion of every binary op and loss with mixed operands, table-driven against torch: for each pair of
the ten dtypes, with the second operand a sized tensor, a zero-dim tensor or a Python number, both libraries must
agree on the outcome (result dtype, shape and values, or the exception type)."""
import itertools
import warnings

import numpy as np
import pytest

import minitorch

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
FORMS = ["tensor", "zero-dim", "number"]


def operand(lib, name, form, probabilities=False):
    rows = [[0.25, 1.0, 0.75], [1.0, 0.5, 0.0]] if probabilities else [[1, 2, 3], [0, 1, 2]]
    if name == "bool":
        rows = [[True, False, True], [False, True, True]]
    t = lib.tensor(rows) if name == "bool" else lib.tensor(rows, dtype=lib.float64).to(getattr(lib, name))
    if form == "tensor":
        return t
    return t[0, 1] if form == "zero-dim" else t[0, 1].item()


def outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fn()
    except Exception as e:  # noqa: BLE001 - the exception type is what is compared
        return ("error", type(e).__name__)
    if isinstance(r, bool):
        return ("ok", "bool", (), [float(r)])
    return ("ok", str(r.dtype).split(".")[-1], tuple(r.shape), np.array(r.double().tolist()).ravel().tolist())


def F(lib):
    return lib.nn.functional


BINARY = {
    "add": lambda L, a, b: L.add(a, b), "add alpha": lambda L, a, b: L.add(a, b, alpha=2), "sub": lambda L, a, b: a - b,
    "rsub": lambda L, a, b: b - a, "mul": lambda L, a, b: a * b, "div": lambda L, a, b: a / b,
    "div floor": lambda L, a, b: L.div(a, b, rounding_mode="floor"), "floor_divide": lambda L, a, b: a // b,
    "remainder": lambda L, a, b: a % b, "fmod": lambda L, a, b: L.fmod(a, b), "pow": lambda L, a, b: a ** b,
    "rpow": lambda L, a, b: b ** a, "maximum": lambda L, a, b: L.maximum(a, b),
    "minimum": lambda L, a, b: L.minimum(a, b), "eq": lambda L, a, b: a == b, "ne": lambda L, a, b: a != b,
    "lt": lambda L, a, b: a < b, "ge": lambda L, a, b: a >= b, "bitwise_and": lambda L, a, b: a & b,
    "bitwise_or": lambda L, a, b: a | b, "bitwise_xor": lambda L, a, b: a ^ b,
    "logical_and": lambda L, a, b: L.logical_and(a, L.as_tensor(b)),
    "where": lambda L, a, b: L.where(a > 0, a, b), "clamp": lambda L, a, b: L.clamp(a, max=b),
    "addcmul": lambda L, a, b: L.addcmul(a, a, L.as_tensor(b)), "isclose": lambda L, a, b: L.isclose(a, L.as_tensor(b)),
    "allclose": lambda L, a, b: L.allclose(a, L.as_tensor(b)), "matmul": lambda L, a, b: a @ L.as_tensor(b).T,
}
LOSSES = {
    "mse_loss": lambda L, a, b: F(L).mse_loss(a, L.as_tensor(b)),
    "mse_loss none": lambda L, a, b: F(L).mse_loss(a, L.as_tensor(b), reduction="none"),
    "l1_loss": lambda L, a, b: F(L).l1_loss(a, L.as_tensor(b)),
    "l1_loss sum": lambda L, a, b: F(L).l1_loss(a, L.as_tensor(b), reduction="sum"),
    "smooth_l1_loss": lambda L, a, b: F(L).smooth_l1_loss(a, L.as_tensor(b)),
    "binary_cross_entropy": lambda L, a, b: F(L).binary_cross_entropy(a, L.as_tensor(b)),
    "binary_cross_entropy_with_logits": lambda L, a, b: F(L).binary_cross_entropy_with_logits(a, L.as_tensor(b)),
    "cross_entropy probabilities": lambda L, a, b: F(L).cross_entropy(a, L.as_tensor(b)),
}
PROBABILITY_LOSSES = ("binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy probabilities")


def compare(torch, fn, probabilities=False):
    mismatches = []
    for first, second, form in itertools.product(DTYPES, DTYPES, FORMS):
        if form == "number" and second in ("float16", "bfloat16", "uint8", "int8", "int16", "int32"):
            continue  # a Python number is a bool, an int or a float: those are covered by bool, int64, float64
        mine, theirs = (outcome(lambda: fn(lib, operand(lib, first, "tensor", probabilities),
                                           operand(lib, second, form, probabilities))) for lib in (minitorch, torch))
        same = mine[:2] == theirs[:2] and (mine[0] == "error" or mine[2] == theirs[2] and np.allclose(
            mine[3], theirs[3], rtol=1e-2, atol=1e-3, equal_nan=True))
        if not same:
            mismatches.append((first, second, form, mine[:2], theirs[:2]))
    assert not mismatches, mismatches[:10]


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_promotion_matches_torch(name, torch):
    compare(torch, BINARY[name])


@pytest.mark.parametrize("name", LOSSES)
def test_loss_promotion_matches_torch(name, torch):
    compare(torch, LOSSES[name], probabilities=name in PROBABILITY_LOSSES)


@pytest.mark.parametrize("target_dtype", ["int64", "int32", "uint8", "float64", "float16"])
def test_regression_with_a_target_of_another_dtype_trains(target_dtype, torch):
    """A float32 model against an integer (or wider float) target: the reported mse_loss case, whose backward
    used to fail in the matrix product with a dtype mismatch."""
    grads = []
    for lib in (minitorch, torch):
        lib.manual_seed(0)
        model = lib.nn.Linear(3, 1)
        x = lib.arange(6.0).reshape(2, 3)
        target = lib.tensor([[1], [2]], dtype=getattr(lib, target_dtype))
        for loss_fn in (F(lib).mse_loss, F(lib).l1_loss, F(lib).smooth_l1_loss):
            loss = loss_fn(model(x), target)
            assert str(loss.dtype) == str(lib.promote_types(lib.float32, getattr(lib, target_dtype)))
            loss.backward()
        grads.append([p.grad.tolist() for p in model.parameters()])
        assert all(p.grad.dtype is lib.float32 for p in model.parameters())
    np.testing.assert_allclose(np.array(grads[0][0]), np.array(grads[1][0]), rtol=1e-4)
    np.testing.assert_allclose(np.array(grads[0][1]), np.array(grads[1][1]), rtol=1e-4)


def test_mixed_float_loss_gradients_have_their_operands_dtypes(torch):
    for lib in (minitorch, torch):
        x = lib.ones(4, dtype=lib.float16, requires_grad=True)
        t = lib.zeros(4, dtype=lib.float64, requires_grad=True)
        loss = F(lib).mse_loss(x, t) + F(lib).smooth_l1_loss(x, t) + F(lib).binary_cross_entropy_with_logits(x, t)
        loss.backward()
        assert (loss.dtype, x.grad.dtype, t.grad.dtype) == (lib.float64, lib.float16, lib.float64)
