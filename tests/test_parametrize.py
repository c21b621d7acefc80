"""nn.utils.parametrize and nn.utils.parametrizations against PyTorch: the class swap (Parametrized<Class>),
`parametrizations.<name>.original` (original0, original1 ... for a tuple right_inverse), chains, caching,
assignment through right_inverse, removal, state_dict keys, reprs, outputs and gradients, torch's errors;
orthogonal (every map, with and without trivialization), weight_norm and spectral_norm (u / v buffers,
eval mode), and the older hook-based weight_norm / spectral_norm."""
import copy
import pickle
import warnings

import pytest

import minitorch

from ._module_parity import outcome, same, values


def _parts(L):
    """Parametrizations written once against library L."""
    class Symmetric(L.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    class Scale(L.nn.Module):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def forward(self, X):
            return X * self.factor

        def right_inverse(self, X):
            return X / self.factor

    class NoInverse(L.nn.Module):
        def forward(self, X):
            return X + 1

    class SumOfTwo(L.nn.Module):  # right_inverse returns two tensors: original0 and original1
        def forward(self, A, B):
            return A + B

        def right_inverse(self, X):
            return X * 0.25, X * 0.75

    class Grow(L.nn.Module):
        def forward(self, X):
            return L.cat([X, X], 0)

    return Symmetric, Scale, NoInverse, SumOfTwo, Grow


def _observe(L, module, x):
    """Repr, class, state_dict keys and values, output and parameter gradients of one forward (in float64,
    so that values compared to 5 decimals do not straddle a rounding boundary)."""
    out = module(x.double())
    out.pow(2).sum().backward()
    params = list(module.named_parameters())
    return [repr(module), type(module).__name__, list(module.state_dict()), values(module.state_dict().values()),
            values([out]), [n for n, _ in params], values(p.grad for _, p in params if p.grad is not None)]


def test_register_chain_assign_and_remove_match_torch(torch):
    def scenario(L):
        P = L.nn.utils.parametrize
        Symmetric, Scale, NoInverse, _, _ = _parts(L)
        L.manual_seed(0)
        layer = L.nn.Linear(3, 3, dtype=L.float64)
        weight = layer.weight
        P.register_parametrization(layer, "weight", Symmetric())
        seen = [P.is_parametrized(layer), P.is_parametrized(layer, "weight"), P.is_parametrized(layer, "bias"),
                P.type_before_parametrizations(layer).__name__, layer.parametrizations.weight.original is weight]
        seen += _observe(L, layer, L.ones(2, 3))
        P.register_parametrization(layer, "weight", Scale(2.0))
        seen += _observe(L, layer, L.ones(2, 3))
        layer.weight = L.eye(3, dtype=L.float64) * 4  # right_inverse of Scale, then of Symmetric
        seen += values([layer.parametrizations.weight.original, layer.weight])
        P.register_parametrization(layer, "bias", NoInverse())
        seen.append(outcome(setattr, layer, "bias", L.zeros(3, dtype=L.float64)))
        P.remove_parametrizations(layer, "weight")
        seen += [layer.weight is weight, *_observe(L, layer, L.ones(2, 3))]
        P.remove_parametrizations(layer, "bias", leave_parametrized=False)
        seen += [type(layer).__name__, hasattr(layer, "parametrizations"), *_observe(L, layer, L.ones(2, 3))]
        return seen
    same(scenario, torch)


def test_tuple_right_inverse_buffers_and_unsafe_match_torch(torch):
    def scenario(L):
        P = L.nn.utils.parametrize
        _, Scale, _, SumOfTwo, Grow = _parts(L)
        L.manual_seed(1)
        layer = L.nn.Linear(2, 3, dtype=L.float64)
        P.register_parametrization(layer, "weight", SumOfTwo())
        seen = _observe(L, layer, L.ones(1, 2))
        seen.append(outcome(P.remove_parametrizations, layer, "weight", leave_parametrized=False))
        layer.weight = L.ones(3, 2, dtype=L.float64)
        seen += values([layer.parametrizations.weight.original0, layer.parametrizations.weight.original1])
        norm = L.nn.BatchNorm1d(3)
        P.register_parametrization(norm, "running_mean", Scale(3.0))
        seen += [list(norm.state_dict()), [n for n, _ in norm.named_buffers()]]
        P.register_parametrization(norm, "weight", Grow(), unsafe=True)
        seen += [tuple(norm.weight.shape), outcome(P.register_parametrization, norm, "bias", Grow())]
        P.remove_parametrizations(layer, "weight")
        seen += [type(layer).__name__, list(layer.state_dict()), values([layer.weight])]
        return seen
    same(scenario, torch)


def test_cached_computes_each_tensor_once():
    P = minitorch.nn.utils.parametrize
    Symmetric = _parts(minitorch)[0]
    layer = P.register_parametrization(minitorch.nn.Linear(3, 3), "weight", Symmetric())
    calls = []
    layer.parametrizations.weight[0].register_forward_hook(lambda *args: calls.append(1))
    assert layer.weight is not layer.weight and len(calls) == 2
    with P.cached():
        first = layer.weight
        with P.cached():
            assert layer.weight is first
        assert layer.weight is first and len(calls) == 3
    assert layer.weight is not first and not P._cache


def test_parametrized_modules_train_save_copy_but_do_not_pickle():
    P = minitorch.nn.utils.parametrize
    Symmetric = _parts(minitorch)[0]
    layer = minitorch.nn.Linear(3, 3)
    optimizer = minitorch.optim.SGD(layer.parameters(), lr=0.1)  # built before: still trains `original`
    P.register_parametrization(layer, "weight", Symmetric())
    before = layer.parametrizations.weight.original.clone()
    layer(minitorch.randn(4, 3)).sum().backward()
    optimizer.step()
    assert not minitorch.equal(before, layer.parametrizations.weight.original)
    assert minitorch.equal(layer.weight, layer.weight.T)
    twin = copy.deepcopy(layer)
    assert type(twin).__name__ == "ParametrizedLinear" and minitorch.equal(twin.weight, layer.weight)
    fresh = P.register_parametrization(minitorch.nn.Linear(3, 3), "weight", Symmetric())
    fresh.load_state_dict(layer.state_dict())
    assert minitorch.equal(fresh.weight, layer.weight)
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(layer)
    layer.eval()
    assert not layer.parametrizations.weight[0].training
    target = minitorch.nn.Linear(3, 3)
    P.transfer_parametrizations_and_params(layer, target)
    assert target.parametrizations.weight.original is layer.parametrizations.weight.original


ERRORS = [
    lambda L, P, parts, m: P.register_parametrization(m, "nothing", parts[0]()),
    lambda L, P, parts, m: P.register_parametrization(m, "weight", parts[4]()),
    lambda L, P, parts, m: P.register_parametrization(m, "weight", L.nn.Identity()) and
    P.register_parametrization(m, "weight", parts[4]()),
    lambda L, P, parts, m: P.remove_parametrizations(m, "weight"),
    lambda L, P, parts, m: P.register_parametrization(m, "weight", parts[2]()) and setattr(m, "weight", m.weight),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(torch, case):
    def scenario(L):
        layer = L.nn.Linear(2, 2)
        return outcome(ERRORS[case], L, L.nn.utils.parametrize, _parts(L), layer)
    assert same(scenario, torch)[0] == "raised"


# ----- parametrizations ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)], ids=str)
@pytest.mark.parametrize("trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder", None])
def test_orthogonal_matches_torch(torch, orthogonal_map, trivialization, shape):
    def scenario(L):
        L.manual_seed(2)
        layer = L.nn.Linear(shape[1], shape[0], dtype=L.float64)
        L.nn.utils.parametrizations.orthogonal(layer, orthogonal_map=orthogonal_map,
                                               use_trivialization=trivialization)
        seen = _observe(L, layer, L.ones(2, shape[1]))
        w = layer.weight
        gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
        seen.append(L.allclose(gram, L.eye(min(shape), dtype=L.float64)))
        q = L.linalg.qr(L.randn(max(shape), min(shape), dtype=L.float64)).Q
        seen.append(outcome(setattr, layer, "weight", q.T if shape[0] < shape[1] else q))
        seen.append(values([layer.weight]))
        return seen
    same(scenario, torch)


def test_orthogonal_batch_and_errors_match_torch(torch):
    def scenario(L):
        orthogonal = L.nn.utils.parametrizations.orthogonal
        L.manual_seed(3)
        holder = L.nn.Module()
        holder.weight = L.nn.Parameter(L.randn(2, 3, 3, dtype=L.float64))
        orthogonal(holder, orthogonal_map="cayley")
        q = holder.weight
        return [values([q]), L.allclose(q @ q.mT, L.eye(3, dtype=L.float64).expand(2, 3, 3)),
                outcome(orthogonal, L.nn.Linear(3, 3), "nothing"), outcome(orthogonal, L.nn.Linear(3, 3), "bias"),
                outcome(orthogonal, L.nn.Linear(3, 3), orthogonal_map="qr")]
    same(scenario, torch)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_matches_torch(torch, dim):
    def scenario(L):
        L.manual_seed(4)
        layer = L.nn.utils.parametrizations.weight_norm(L.nn.Linear(3, 4, dtype=L.float64), dim=dim)
        seen = _observe(L, layer, L.ones(2, 3))
        seen.append(layer.parametrizations.weight.original0.grad_fn is None)
        return seen
    same(scenario, torch)


def test_spectral_norm_matches_torch(torch):
    def scenario(L):
        L.manual_seed(5)
        layer = L.nn.utils.parametrizations.spectral_norm(L.nn.Linear(5, 4, dtype=L.float64),
                                                           n_power_iterations=2)
        sn = layer.parametrizations.weight[0]
        seen = [values([sn._u, sn._v])] + _observe(L, layer, L.ones(2, 5))
        u = sn._u.clone()
        layer.eval()
        seen += [values([layer(L.ones(1, 5, dtype=L.float64))]), L.equal(u, sn._u)]  # eval: no power iteration
        layer.train()
        layer(L.ones(1, 5, dtype=L.float64))
        seen += [L.equal(u, sn._u), values([sn._u, sn._v])]
        sigma = L.linalg.matrix_norm(layer.weight.detach(), 2)
        seen.append(abs(float(sigma) - 1) < 1e-3)
        conv = L.nn.utils.parametrizations.spectral_norm(L.nn.ConvTranspose2d(2, 3, 3, dtype=L.float64))
        seen += [conv.parametrizations.weight[0].dim, values([conv.weight])]
        holder = L.nn.Module()
        holder.v = L.nn.Parameter(L.tensor([3.0, 4.0], dtype=L.float64))
        L.nn.utils.parametrizations.spectral_norm(holder, "v")
        seen += [values([holder.v]), list(holder.state_dict())]
        seen.append(outcome(L.nn.utils.parametrizations.spectral_norm, L.nn.Linear(3, 3), dim=2))
        seen.append(outcome(L.nn.utils.parametrizations.spectral_norm, L.nn.Linear(3, 3), n_power_iterations=0))
        return seen
    same(scenario, torch)


def _old_hooks(L):
    L.manual_seed(6)
    layer = L.nn.utils.weight_norm(L.nn.Linear(3, 4, dtype=L.float64))
    seen = _observe(L, layer, L.ones(2, 3)) + [type(list(layer._forward_pre_hooks.values())[0]).__name__]
    seen.append(outcome(L.nn.utils.weight_norm, layer))
    old_state = layer.state_dict()
    L.nn.utils.remove_weight_norm(layer)
    seen += [list(layer.state_dict()), outcome(L.nn.utils.remove_weight_norm, layer)]
    upgraded = L.nn.utils.parametrizations.weight_norm(L.nn.Linear(3, 4, dtype=L.float64))
    upgraded.load_state_dict(old_state)  # the old keys weight_g / weight_v load into original0 / 1
    seen.append(values([upgraded.weight, layer.weight]))
    spectral = L.nn.utils.spectral_norm(L.nn.Linear(5, 4, dtype=L.float64))
    state = spectral.state_dict()
    seen += [list(state), state._metadata[""].get("spectral_norm")]
    seen += _observe(L, spectral, L.ones(2, 5)) + values([spectral.weight_u, spectral.weight_v])
    spectral.eval()
    seen += values([spectral(L.ones(1, 5, dtype=L.float64))])
    seen.append(outcome(L.nn.utils.spectral_norm, spectral))
    L.nn.utils.remove_spectral_norm(spectral)
    return seen + [list(spectral.state_dict()), outcome(L.nn.utils.remove_spectral_norm, spectral)]


def test_old_hook_based_weight_and_spectral_norm_match_torch(torch):
    def scenario(L):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            seen = _old_hooks(L)
        return seen + [[str(w.message) for w in caught if w.category is FutureWarning]]
    assert same(scenario, torch)[-1] == ["`torch.nn.utils.weight_norm` is deprecated in favor of "
                                         "`torch.nn.utils.parametrizations.weight_norm`."] * 2


def test_old_spectral_norm_loads_the_older_format_and_is_fully_removed():
    """A state_dict without weight_v (format version 0) gets v recomputed; and after remove_spectral_norm
    a plain state_dict loads (torch leaves the wrapped load hook behind and reports missing keys)."""
    layer = minitorch.nn.utils.spectral_norm(minitorch.nn.Linear(4, 3))
    layer(minitorch.ones(1, 4))
    state = layer.state_dict()
    old = {k: v for k, v in state.items() if k != "weight_v"}
    old["weight"] = layer.weight.detach()
    other = minitorch.nn.utils.spectral_norm(minitorch.nn.Linear(4, 3))
    other.load_state_dict(old, strict=False)
    other.eval()
    layer.eval()
    x = minitorch.randn(2, 4)
    assert minitorch.allclose(other(x), layer(x), atol=1e-5)
    minitorch.nn.utils.remove_spectral_norm(layer)
    layer.load_state_dict(minitorch.nn.Linear(4, 3).state_dict())


@pytest.mark.cuda
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_parametrizations_on_cuda_match_cpu(orthogonal_map):
    """Square weights: completing a non-square one draws random columns (from each device's own stream)."""
    results = []
    for device in ("cpu", "cuda"):
        minitorch.manual_seed(7)
        layer = minitorch.nn.Linear(4, 4, dtype=minitorch.float64)
        weight_norm = minitorch.nn.Linear(4, 2, dtype=minitorch.float64)
        layer.to(device)
        weight_norm.to(device)
        minitorch.nn.utils.parametrizations.orthogonal(layer, orthogonal_map=orthogonal_map)
        minitorch.nn.utils.parametrizations.weight_norm(weight_norm)
        out = weight_norm(layer(minitorch.ones(2, 4, dtype=minitorch.float64, device=device)))
        out.sum().backward()
        assert out.device.type == device
        results.append([out.detach().cpu()] + [p.grad.cpu() for p in layer.parameters()])
    for a, b in zip(*results):
        assert minitorch.allclose(a, b, atol=1e-10)
