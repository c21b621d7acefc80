"""Acceptance-audit regressions for the foundation: the in-place random fills (ops/random.py) reproduce
torch's cpu stream, half/bfloat16 draws and sums follow torch, and refused calls leave the generator alone."""
import numpy as np
import pytest

import minitorch

FLOATS = ["float32", "float64", "float16", "bfloat16"]
FILLS = {
    "uniform": lambda t: t.uniform_(),
    "uniform_range": lambda t: t.uniform_(-3, 2.5),
    "normal_small": lambda t: t[:5].normal_(1, 2),
    "bernoulli": lambda t: t.bernoulli_(0.4),
    "bernoulli_tensor": lambda t: t.bernoulli_(t.clone().fill_(0.5)),
    "exponential": lambda t: t.exponential_(3),
    "random_full": lambda t: t.random_(),
    "random_to": lambda t: t.random_(10),
    "random_from_to": lambda t: t.random_(-5, 7),
    "cauchy": lambda t: t.cauchy_(1, 0.5),
    "log_normal": lambda t: t.log_normal_(),
    "geometric": lambda t: t.geometric_(0.2),
}


def _values(t):
    return np.asarray(t.float().tolist())


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [3, 20, 100])
@pytest.mark.parametrize("fill", sorted(FILLS))
def test_random_fills_match_torch_stream(torch, dtype, n, fill):
    torch.manual_seed(0)
    expected = FILLS[fill](torch.empty(n, dtype=getattr(torch, dtype)))
    after = torch.rand(2).tolist()
    minitorch.manual_seed(0)
    got = FILLS[fill](minitorch.empty(n, dtype=getattr(minitorch, dtype)))
    np.testing.assert_array_equal(_values(got), _values(expected))
    assert minitorch.rand(2).tolist() == after


@pytest.mark.parametrize("dtype", ["float64", "float16", "bfloat16"])
def test_normal_fill_matches_torch_block_order(torch, dtype):
    """n >= 16 uses Box-Muller blocks; half and bfloat16 draw the last block after the full ones only.
    (float32 blocks differ from torch by a few ulps: torch's AVX2 log/sincos approximations.)"""
    for n in (16, 20, 37):
        torch.manual_seed(0)
        expected = torch.empty(n, dtype=getattr(torch, dtype)).normal_(1, 2)
        minitorch.manual_seed(0)
        got = minitorch.empty(n, dtype=getattr(minitorch, dtype)).normal_(1, 2)
        np.testing.assert_array_equal(_values(got), _values(expected))


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool"])
def test_integer_random_fills_match_torch(torch, dtype):
    def run(lib):
        lib.manual_seed(1)
        t = lambda: lib.empty(6, dtype=getattr(lib, dtype))  # noqa: E731
        out = [t().random_().tolist(), t().random_(2).tolist(), t().bernoulli_(0.5).tolist()]
        if dtype != "bool":
            out += [t().geometric_(0.5).tolist(), t().random_(1, 100).tolist()]
        return out
    assert run(minitorch) == run(torch)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_bernoulli_with_probability_tensors_matches_torch(torch, dtype):
    def run(lib):
        lib.manual_seed(3)
        p = lib.rand(40, dtype=getattr(lib, dtype))
        return [lib.bernoulli(p).tolist(), lib.empty(2, 40).bernoulli_(p).tolist(), p.bernoulli().tolist(),
                lib.bernoulli(p, 0.25).tolist()]
    assert run(minitorch) == run(torch)


def test_random_fills_take_a_generator(torch):
    def run(lib):
        g = lib.Generator().manual_seed(3)
        return [lib.empty(4).uniform_(generator=g).tolist(), lib.empty(10).normal_(generator=g).tolist(),
                lib.empty(4).bernoulli_(generator=g).tolist(), lib.rand(2).tolist()]
    torch.manual_seed(0)
    minitorch.manual_seed(0)
    assert run(minitorch) == run(torch)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_rand_and_randn_match_torch(torch, dtype):
    for n in (5, 16, 17, 40):
        torch.manual_seed(0)
        expected = [torch.rand(n, dtype=getattr(torch, dtype)), torch.randn(n, dtype=getattr(torch, dtype))]
        minitorch.manual_seed(0)
        got = [minitorch.rand(n, dtype=getattr(minitorch, dtype)), minitorch.randn(n, dtype=getattr(minitorch, dtype))]
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(_values(g), _values(e))


def test_random_fill_writes_through_views_and_records_zero_grad(torch):
    for lib in (minitorch, torch):
        x = lib.ones(2, 3)
        x[:, 1].uniform_(2, 3)
        assert (x == 1).sum().item() == 4 and (x[:, 1] >= 2).all()
        a = lib.ones(3, requires_grad=True)
        b = a * 2
        assert b.normal_() is b
        b.sum().backward()
        assert a.grad.tolist() == [0.0, 0.0, 0.0]
    names = {}
    for lib in (minitorch, torch):
        a = lib.ones(3, requires_grad=True)
        names[lib] = [getattr(a * 2, m)(*args).grad_fn.name() for m, args in
                      [("uniform_", ()), ("normal_", ()), ("bernoulli_", (0.3,)), ("bernoulli_", (lib.rand(3),)),
                       ("exponential_", ()), ("random_", ()), ("random_", (5,)), ("random_", (2, 5)),
                       ("cauchy_", ()), ("log_normal_", ()), ("geometric_", (0.3,))]]
        names[lib].append(lib.bernoulli(lib.rand(2, requires_grad=True)).grad_fn.name())
    assert names[minitorch] == names[torch]


ERRORS = [
    ("int64", "uniform_", ()), ("int64", "normal_", ()), ("int64", "exponential_", ()), ("int64", "cauchy_", ()),
    ("int64", "log_normal_", ()), ("float32", "uniform_", (3, 2)), ("float32", "uniform_", (0, float("inf"))),
    ("float32", "normal_", (0, -1)), ("float32", "bernoulli_", (1.5,)), ("float32", "exponential_", (0,)),
    ("float32", "random_", (5, 3)), ("float32", "random_", (0,)), ("float32", "cauchy_", (0, -1)),
    ("float32", "log_normal_", (0, 0)), ("float32", "geometric_", (0,)), ("float32", "geometric_", (1.0,)),
    ("uint8", "random_", (-1, 5)), ("int8", "random_", (0, 200)),
]


@pytest.mark.parametrize("dtype, method, args", ERRORS)
def test_random_fill_errors_match_torch(torch, dtype, method, args):
    def message(lib):
        with pytest.raises(Exception) as info:
            getattr(lib.ones(3, dtype=getattr(lib, dtype)), method)(*args)
        return type(info.value).__name__, str(info.value)
    assert message(minitorch) == message(torch)


def test_refused_random_calls_keep_torch_stream(torch):
    calls = [lambda lib: lib.bernoulli(lib.tensor([0.2, 1.5])),
             lambda lib: lib.bernoulli(lib.tensor([1, 0])),
             lambda lib: lib.ones(3, requires_grad=True).uniform_()]
    for call in calls:
        messages = []
        for lib in (minitorch, torch):
            lib.manual_seed(0)
            with pytest.raises((RuntimeError, NotImplementedError)) as info:
                call(lib)
            messages.append((str(info.value), lib.rand(2).tolist()))
        assert messages[0] == messages[1]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_sum_and_mean_accumulate_in_float(torch, dtype):
    data = [[1.0] * 1000, [0.1] * 300]
    for lib_result, torch_result in [
        (minitorch.tensor(data[0], dtype=getattr(minitorch, dtype)).sum(),
         torch.tensor(data[0], dtype=getattr(torch, dtype)).sum()),
        (minitorch.tensor(data[1], dtype=getattr(minitorch, dtype)).mean(),
         torch.tensor(data[1], dtype=getattr(torch, dtype)).mean()),
        (minitorch.ones(4, 500, dtype=getattr(minitorch, dtype)).sum(1),
         torch.ones(4, 500, dtype=getattr(torch, dtype)).sum(1)),
    ]:
        assert lib_result.float().tolist() == torch_result.float().tolist()
