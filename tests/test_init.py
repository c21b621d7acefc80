"""nn.init against real PyTorch: gains, the structured fills (eye_, dirac_, orthogonal_, sparse_), the
distributions' statistics (tolerances from the sample size), generators, in-place no-grad behaviour, errors."""
import math
import warnings

import numpy as np
import pytest

import minitorch
from minitorch import nn

from ._module_parity import outcome, same

N = (200, 300)  # 60 000 samples: the standard error of a mean is std / 245
SE = 1 / math.sqrt(N[0] * N[1])


def _sample(fn, *args, **kwargs):
    minitorch.manual_seed(0)
    return fn(minitorch.empty(N, dtype=minitorch.float64), *args, **kwargs).numpy()


def _trunc_moments(mean, std, a, b):
    """Mean and standard deviation of N(mean, std**2) truncated to [a, b]."""
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    alpha, beta = (a - mean) / std, (b - mean) / std
    z = cdf(beta) - cdf(alpha)
    shift = (pdf(alpha) - pdf(beta)) / z
    return mean + std * shift, std * math.sqrt(1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - shift ** 2)


def test_calculate_gain_matches_torch(torch):
    def scenario(torch):
        gain = torch.nn.init.calculate_gain
        names = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
        return ([gain(n) for n in names], [gain("leaky_relu", p) for p in (0, 0.2, 1, 3.5)],
                [outcome(gain, *a) for a in (("gelu",), ("leaky_relu", "0.1"), ("leaky_relu", False))])
    same(scenario, torch)


@pytest.mark.parametrize("fn, args, mean, std, bound", [
    (nn.init.uniform_, (-2.0, 4.0), 1.0, 6 / math.sqrt(12), (-2.0, 4.0)),
    (nn.init.normal_, (0.5, 2.0), 0.5, 2.0, None),
    (nn.init.xavier_uniform_, (2.0,), 0.0, 2 * math.sqrt(2 / 500), (-2 * math.sqrt(6 / 500), 2 * math.sqrt(6 / 500))),
    (nn.init.xavier_normal_, (), 0.0, math.sqrt(2 / 500), None),
    (nn.init.kaiming_uniform_, (0, "fan_out", "relu"), 0.0, math.sqrt(2 / 200), (-math.sqrt(6 / 200),
                                                                              math.sqrt(6 / 200))),
    (nn.init.kaiming_normal_, (0.2,), 0.0, math.sqrt(2 / 1.04 / 300), None),
    (nn.init.trunc_normal_, (), *_trunc_moments(0.0, 1.0, -2.0, 2.0), (-2.0, 2.0)),
    (nn.init.trunc_normal_, (1.0, 0.5, 0.0, 3.0), *_trunc_moments(1.0, 0.5, 0.0, 3.0), None),
    (nn.init.trunc_normal_, (0.0, 1.0, 2.0, 3.0), *_trunc_moments(0.0, 1.0, 2.0, 3.0), (2.0, 3.0)),
])
def test_distribution_statistics(fn, args, mean, std, bound):
    """Sample mean within 5 standard errors; sample std within 2 %; bounds respected and nearly reached."""
    x = _sample(fn, *args)
    spread = x.std()
    assert abs(x.mean() - mean) < 5 * spread * SE
    if std is not None:
        assert abs(spread - std) < 0.02 * std
    if bound is not None:
        lo, hi = bound
        assert x.min() >= lo and x.max() <= hi
        assert x.min() < lo + 0.01 * (hi - lo) and x.max() > hi - 0.01 * (hi - lo)


def test_trunc_normal_far_interval_and_warning(torch):
    """A narrow interval far in the tail (the uniform-proposal path) and torch's warning for it."""
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    p = (cdf(3.25) - cdf(3.0)) / (cdf(3.5) - cdf(3.0))  # the share of [3, 3.5]'s mass below 3.25 (~0.69)
    for lib in (minitorch, torch):
        with pytest.warns(UserWarning, match="mean is more than 2 std from"):
            x = lib.nn.init.trunc_normal_(lib.empty(20000, dtype=lib.float64), 0.0, 1.0, 3.0, 3.5).numpy()
        assert x.min() >= 3.0 and x.max() <= 3.5
        assert abs(np.mean(x < 3.25) - p) < 5 * math.sqrt(p * (1 - p) / 20000)


def test_eye_and_dirac_match_torch(torch):
    def scenario(torch):
        init = torch.nn.init
        return [init.eye_(torch.empty(2, 4)).tolist(), init.eye_(torch.empty(3, 2)).tolist(),
                init.dirac_(torch.empty(3, 2, 3)).tolist(), init.dirac_(torch.empty(4, 2, 3, 3), groups=2).tolist(),
                init.dirac_(torch.empty(2, 3, 2, 3, 1)).tolist()]
    same(scenario, torch)


@pytest.mark.parametrize("shape, gain", [((3, 5), 1.0), ((5, 3), 2.0), ((4, 2, 3), 1.0), ((6, 6), 0.5)])
def test_orthogonal(shape, gain):
    minitorch.manual_seed(0)
    w = nn.init.orthogonal_(minitorch.empty(*shape, dtype=minitorch.float64), gain=gain).numpy().reshape(shape[0], -1)
    small = min(w.shape)
    gram = w @ w.T if w.shape[0] == small else w.T @ w
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(small), atol=1e-12)


def test_orthogonal_is_haar_distributed():
    """With the sign correction Q is uniform: each entry of a random 2x2 rotation/reflection has mean 0
    (without it, Q's diagonal is biased towards positive values)."""
    g = minitorch.Generator().manual_seed(1)
    diag = [nn.init.orthogonal_(minitorch.empty(2, 2, dtype=minitorch.float64), generator=g)[0, 0].item()
            for _ in range(2000)]
    assert abs(np.mean(diag)) < 5 * math.sqrt(0.5 / 2000)


@pytest.mark.parametrize("rows, sparsity", [(10, 0.25), (7, 0.5), (5, 0.0), (4, 1.0)])
def test_sparse(rows, sparsity):
    minitorch.manual_seed(0)
    w = nn.init.sparse_(minitorch.empty(rows, 400, dtype=minitorch.float64), sparsity, std=0.5).numpy()
    assert ((w == 0).sum(axis=0) == math.ceil(sparsity * rows)).all()
    nonzero = w[w != 0]
    if nonzero.size:
        assert abs(nonzero.std() - 0.5) < 0.05
    rows_hit = (w == 0).sum(axis=1)
    assert rows_hit.max() - rows_hit.min() <= max(1, 0.35 * rows_hit.mean())  # zeros spread over all rows


RANDOM_FILLS = [(nn.init.uniform_, ()), (nn.init.normal_, ()), (nn.init.xavier_uniform_, ()),
                (nn.init.xavier_normal_, ()), (nn.init.kaiming_uniform_, ()), (nn.init.kaiming_normal_, ()),
                (nn.init.trunc_normal_, ()), (nn.init.orthogonal_, ()), (nn.init.sparse_, (0.3,))]


@pytest.mark.parametrize("fn, args", RANDOM_FILLS)
def test_generator_reproducible_and_in_place(fn, args):
    g = minitorch.Generator()
    p = nn.Parameter(minitorch.zeros(4, 5))
    g.manual_seed(3)
    minitorch.manual_seed(3)  # sparse_ picks its zeroed rows from the default generator, as torch does
    out = fn(p, *args, generator=g)
    first = p.detach().clone()
    g.manual_seed(3)
    minitorch.manual_seed(3)
    fn(p, *args, generator=g)
    assert out is p and minitorch.equal(p, first) and not minitorch.equal(first, minitorch.zeros(4, 5))
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    fn(p, *args, generator=g)
    assert not minitorch.equal(p, first)


def test_deterministic_fills_in_place():
    p = nn.Parameter(minitorch.zeros(3, 3, 3))
    assert nn.init.dirac_(p) is p and p.is_leaf and p.grad_fn is None
    q = nn.Parameter(minitorch.zeros(2, 2))
    assert nn.init.eye_(q) is q and q.tolist() == [[1, 0], [0, 1]] and q.requires_grad


def test_errors_match_torch(torch):
    def scenario(torch):
        init, e = torch.nn.init, torch.empty
        calls = [lambda: init.eye_(e(2, 2, 2)), lambda: init.eye_(e(3)), lambda: init.dirac_(e(3, 3)),
                 lambda: init.dirac_(e(3, 2, 2), groups=2), lambda: init.orthogonal_(e(4)),
                 lambda: init.sparse_(e(2, 2, 2), 0.1), lambda: init.uniform_(e(3), 1.5, 0.5),
                 lambda: init.normal_(e(3), 0, -1), lambda: init.xavier_uniform_(e(3)),
                 lambda: init.kaiming_normal_(e(2), mode="fan_in"), lambda: init.kaiming_uniform_(e(2, 2), mode="x"),
                 lambda: init.kaiming_normal_(e(2, 2), nonlinearity="swish"),
                 lambda: init.orthogonal_(e(0, 3)).shape, lambda: init.dirac_(e(2, 5, 3, 3, 3)).sum().item()]
        return [outcome(c) for c in calls]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(scenario, torch)
