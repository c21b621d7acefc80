"""The out= keyword of minitorch.* functions, against torch for every function that takes it: the result lands
in `out`, which is returned; shapes are resized (with torch's warning unless `out` was empty); dtypes follow
torch's casting rules; and out= refuses arguments that require grad while grad mode is on."""
import warnings

import numpy as np
import pytest

import minitorch
from minitorch.ops.out import RULE_OF

pytestmark = pytest.mark.filterwarnings("ignore:torch.ger is deprecated:UserWarning")


def x_(L):
    return L.tensor([[0.1, 0.7, 0.3], [0.9, 0.2, 0.5], [0.4, 0.8, 0.6]])


def y_(L):
    return L.tensor([[0.5, 0.2, 0.9], [0.3, 0.6, 0.1], [0.7, 0.4, 0.8]])


def i_(L):
    return L.tensor([[3, 1, 2], [0, 5, 6], [7, 2, 1]])


def v_(L):
    return L.tensor([0.5, 0.25, 0.75])


UNARY = ("abs", "acos", "arccos", "arcsin", "arctan", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp",
         "expm1", "floor", "log", "log10", "log1p", "log2", "nan_to_num", "neg", "negative", "reciprocal", "round",
         "rsqrt", "sigmoid", "sign", "sin", "sinh", "sqrt", "square", "tan", "tanh", "trunc", "tril", "triu",
         "diag", "msort")
BINARY = ("add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "fmod",
          "remainder", "pow", "maximum", "minimum", "eq", "ne", "not_equal", "lt", "less", "le", "less_equal", "gt",
          "greater", "ge", "greater_equal", "matmul", "mm")
REDUCTIONS = ("sum", "mean", "prod", "cumsum", "std", "var", "logsumexp", "amax", "amin", "argmax", "argmin",
              "all", "any", "softmax", "log_softmax", "max", "min", "norm")
ARGS = {name: (lambda L: (x_(L),)) for name in UNARY}
ARGS.update({name: (lambda L: (x_(L), y_(L))) for name in BINARY})
ARGS.update({name: (lambda L: (x_(L), 0)) for name in REDUCTIONS})
ARGS.update({
    "norm": lambda L: (x_(L), 2, 0), "all": lambda L: (x_(L) > 0.3, 0), "any": lambda L: (x_(L) > 0.3, 0),
    "bitwise_and": lambda L: (i_(L), i_(L).T), "bitwise_or": lambda L: (i_(L), i_(L).T),
    "bitwise_xor": lambda L: (i_(L), i_(L).T), "bitwise_not": lambda L: (i_(L),),
    "logical_and": lambda L: (x_(L) > 0.5, y_(L) > 0.5), "logical_or": lambda L: (x_(L) > 0.5, y_(L) > 0.5),
    "logical_xor": lambda L: (x_(L) > 0.5, y_(L) > 0.5), "logical_not": lambda L: (x_(L) > 0.5,),
    "clamp": lambda L: (x_(L), 0.2, 0.6), "clip": lambda L: (x_(L), 0.2, 0.6), "clamp_min": lambda L: (x_(L), 0.3),
    "clamp_max": lambda L: (x_(L), 0.3), "addcmul": lambda L: (x_(L), y_(L), x_(L)),
    "addcdiv": lambda L: (x_(L), y_(L), x_(L)), "lerp": lambda L: (x_(L), y_(L), 0.25),
    "where": lambda L: (x_(L) > 0.5, x_(L), y_(L)), "gather": lambda L: (x_(L), 1, i_(L) % 3),
    "index_select": lambda L: (x_(L), 0, L.tensor([2, 0])), "masked_select": lambda L: (x_(L), x_(L) > 0.4),
    "take": lambda L: (x_(L), L.tensor([0, 4, 8])), "nonzero": lambda L: (x_(L) > 0.4,),
    "sort": lambda L: (x_(L),), "topk": lambda L: (x_(L), 2), "kthvalue": lambda L: (x_(L), 2),
    "bmm": lambda L: (x_(L).reshape(1, 3, 3), y_(L).reshape(1, 3, 3)), "dot": lambda L: (v_(L), v_(L)),
    "mv": lambda L: (x_(L), v_(L)), "outer": lambda L: (v_(L), v_(L)), "ger": lambda L: (v_(L), v_(L)),
    "cat": lambda L: ([x_(L), y_(L)],), "concat": lambda L: ([x_(L), y_(L)],),
    "concatenate": lambda L: ([x_(L), y_(L)],), "stack": lambda L: ([x_(L), y_(L)],),
    "hstack": lambda L: ([x_(L), y_(L)],), "vstack": lambda L: ([x_(L), y_(L)],),
    "multinomial": lambda L: (v_(L), 2), "bernoulli": lambda L: (x_(L),),
})
RANDOM = ("multinomial", "bernoulli")
OPS = sorted(name for name in RULE_OF if hasattr(minitorch, name))


def test_every_out_op_has_a_case():
    assert not set(OPS) - set(ARGS)
    assert {"add", "mul", "matmul", "sum", "cat", "max", "where", "clamp"} <= set(OPS)


def run(L, name, out_of, grad=False):
    """(outcome, warnings): outcome is ('ok', returned-is-out, dtypes, shapes, values) or ('error', type, text)."""
    L.manual_seed(0)
    args = ARGS[name](L)
    if grad:  # the first floating tensor argument requires grad
        first = next(a for a in args for a in (a if isinstance(a, list) else [a]) if a.is_floating_point())
        first.requires_grad_()
    reference = getattr(L, name)(*args)
    references = reference if isinstance(reference, tuple) else (reference,)
    outs = tuple(out_of(L, r) for r in references)
    out = outs if isinstance(reference, tuple) else outs[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got = getattr(L, name)(*args, out=out)
        except Exception as e:  # noqa: BLE001 - compared with torch's
            return ("error", type(e).__name__, str(e)), []
    gots = got if isinstance(got, tuple) else (got,)
    same = all(g is o for g, o in zip(gots, outs)) and (got is out or type(got).__name__ == name + "_out")
    values = None if name in RANDOM else [np.array(o.double().tolist()) for o in outs]
    return ("ok", same, [str(o.dtype) for o in outs], [tuple(o.shape) for o in outs], values), \
        [str(w.message).split(" (Triggered internally at ")[0] for w in caught]


def same_outcome(mine, theirs):
    (a, wa), (b, wb) = mine, theirs
    assert a[:4] == b[:4] and wa == wb, (a[:4], b[:4], wa, wb)  # (an error is its type and its message)
    if a[0] == "ok" and a[4] is not None:
        for p, q in zip(a[4], b[4]):
            np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)


OUTS = {
    "matching": lambda L, r: L.empty(r.shape, dtype=r.dtype),
    "empty": lambda L, r: L.empty(0, dtype=r.dtype),
    "wrong shape": lambda L, r: L.zeros(2, dtype=r.dtype),
    "float64": lambda L, r: L.empty(r.shape, dtype=L.float64),
    "int64": lambda L, r: L.empty(r.shape, dtype=L.int64),
    "bool": lambda L, r: L.empty(r.shape, dtype=L.bool),
}


@pytest.mark.parametrize("kind", OUTS)
@pytest.mark.parametrize("name", OPS)
def test_out_like_torch(name, kind, torch):
    mine, theirs = run(minitorch, name, OUTS[kind]), run(torch, name, OUTS[kind])
    if (name, kind) == ("kthvalue", "wrong shape"):  # torch's kernel quotes the shapes with the reduced dim kept
        assert len(mine[1]) == len(theirs[1]) == 2
        mine, theirs = (mine[0], []), (theirs[0], [])
    if kind in ("matching", "empty", "wrong shape"):
        assert mine[0][:2] == ("ok", True), mine
    same_outcome(mine, theirs)


@pytest.mark.parametrize("name", ["add", "mul", "matmul", "exp", "sum", "cat", "clamp", "max", "where"])
def test_out_refuses_grad_like_torch(name, torch):
    mine, theirs = (run(L, name, OUTS["matching"], grad=True) for L in (minitorch, torch))
    assert mine == theirs and mine[0][0] == "error"
    with minitorch.no_grad():
        assert run(minitorch, name, OUTS["matching"], grad=True)[0][0] == "ok"


def test_out_may_alias_an_input(torch):
    for L in (minitorch, torch):
        x = L.tensor([1.0, 2.0])
        assert L.add(x, x, out=x) is x and x.tolist() == [2.0, 4.0]


def test_out_must_be_a_tensor():
    with pytest.raises(TypeError, match="argument 'out' must be Tensor, not list"):
        minitorch.add(minitorch.ones(2), 1, out=[1.0, 2.0])


def test_without_out_nothing_changes():
    assert minitorch.add(minitorch.ones(2), 1).tolist() == [2.0, 2.0]
    assert minitorch.add.__name__ == "add" and minitorch.max.__doc__ == minitorch.ops.reduce.max.__doc__


FACTORIES = {
    "zeros": lambda L, **k: L.zeros(3, **k), "ones": lambda L, **k: L.ones(2, 2, **k),
    "empty": lambda L, **k: L.empty(3, **k).zero_(), "full": lambda L, **k: L.full((2,), 7, **k),
    "eye": lambda L, **k: L.eye(2, **k), "arange": lambda L, **k: L.arange(5, **k),
    "linspace": lambda L, **k: L.linspace(0, 1, 3, **k), "logspace": lambda L, **k: L.logspace(0, 1, 3, **k),
    "rand": lambda L, **k: L.rand(2, **k), "randn": lambda L, **k: L.randn(2, **k),
    "randint": lambda L, **k: L.randint(0, 3, (2,), **k), "randperm": lambda L, **k: L.randperm(3, **k),
    "normal": lambda L, **k: L.normal(0.0, 1.0, (2,), **k),
}


def factory_outcome(L, name, out_of, **kwargs):
    L.manual_seed(0)
    out = out_of(L)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got = FACTORIES[name](L, out=out, **kwargs)
        except Exception as e:  # noqa: BLE001 - compared with torch's
            return ("error", type(e).__name__, str(e)), []
    values = got.double().tolist() if name not in ("rand", "randn", "normal", "randint", "randperm") else None
    return ("ok", got is out, str(got.dtype), tuple(got.shape), values), \
        [str(w.message).split(" (Triggered internally at ")[0] for w in caught]


FACTORY_OUTS = {
    "float32": lambda L: L.empty(0), "int64": lambda L: L.empty(0, dtype=L.int64),
    "float64 of another shape": lambda L: L.empty(2, dtype=L.float64),
}


@pytest.mark.parametrize("kind", FACTORY_OUTS)
@pytest.mark.parametrize("name", FACTORIES)
def test_factory_out_like_torch(name, kind, torch):
    mine, theirs = (factory_outcome(L, name, FACTORY_OUTS[kind]) for L in (minitorch, torch))
    assert mine[0][:4] == theirs[0][:4] and mine[1] == theirs[1]
    if mine[0][0] == "ok" and mine[0][4] is not None:  # (NumPy 1's pow may differ from torch's in the last bit)
        np.testing.assert_allclose(mine[0][4], theirs[0][4], rtol=1e-15)


def test_factory_out_errors_like_torch(torch):
    for kwargs, out_of in (({"dtype": "float64"}, lambda L: L.empty(3)),
                           ({}, lambda L: L.empty(3, requires_grad=True))):
        outcomes = []
        for L in (minitorch, torch):
            k = {key: getattr(L, v) for key, v in kwargs.items()}
            outcomes.append(factory_outcome(L, "zeros", out_of, **k))
        assert outcomes[0] == outcomes[1] and outcomes[0][0][0] == "error"
