"""nn.utils.prune against PyTorch: for the same seed and weights the same masks (ties included), the same
re-parametrisation (weight_orig Parameter, weight_mask buffer, weight recomputed by a forward pre-hook),
state_dict keys, gradients, iterative pruning through PruningContainer, global pruning with importance
scores, remove / is_pruned, and torch's errors."""
import copy

import numpy as np
import pytest

import minitorch

from ._module_parity import outcome, same, values


@pytest.fixture(scope="module")
def torch_prune(torch):
    import torch.nn.utils.prune  # noqa: F401  (torch does not import it with torch.nn.utils)
    return torch


def _summary(module):
    """What pruning leaves on a module: state_dict keys and values, the plain `weight` attribute, the
    parameter names and the pruning hooks (and the methods inside a PruningContainer)."""
    hooks = [type(h).__name__ for h in module._forward_pre_hooks.values()]
    inner = [[type(m).__name__ for m in h] for h in module._forward_pre_hooks.values() if hasattr(h, "__iter__")]
    state = module.state_dict()
    attrs = [n for n in ("weight", "bias") if n in module.__dict__]
    return [list(state), values(state.values()), attrs, values(module.__dict__[n] for n in attrs),
            [n for n, _ in module.named_parameters()], hooks, inner]


def _model(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(6, 8), L.nn.ReLU(), L.nn.Conv2d(2, 4, 3), L.nn.Linear(8, 5))


STEPS = {
    "identity": [lambda L, P, m: P.identity(m[0], "bias")],
    "l1 fraction": [lambda L, P, m: P.l1_unstructured(m[0], "weight", amount=0.3)],
    "l1 count": [lambda L, P, m: P.l1_unstructured(m[3], "weight", amount=7)],
    "l1 all and none": [lambda L, P, m: P.l1_unstructured(m[0], "weight", amount=1.0),
                        lambda L, P, m: P.l1_unstructured(m[3], "weight", amount=0)],
    "random": [lambda L, P, m: P.random_unstructured(m[0], "weight", amount=0.5)],
    "random structured": [lambda L, P, m: P.random_structured(m[2], "weight", amount=2, dim=0)],
    "ln structured": [lambda L, P, m: P.ln_structured(m[2], "weight", amount=0.5, n=2, dim=1)],
    "ln structured inf": [lambda L, P, m: P.ln_structured(m[3], "weight", amount=3, n=float("inf"), dim=-1)],
    "ln structured fro": [lambda L, P, m: P.ln_structured(m[3], "weight", amount=2, n="fro", dim=0)],
    "iterative unstructured": [lambda L, P, m: P.l1_unstructured(m[0], "weight", amount=0.3),
                               lambda L, P, m: P.random_unstructured(m[0], "weight", amount=5),
                               lambda L, P, m: P.l1_unstructured(m[0], "weight", amount=0.5)],
    "structured after unstructured": [lambda L, P, m: P.l1_unstructured(m[2], "weight", amount=0.4),
                                      lambda L, P, m: P.ln_structured(m[2], "weight", amount=1, n=1, dim=0),
                                      lambda L, P, m: P.random_structured(m[2], "weight", amount=0.5, dim=1)],
    "unstructured after structured": [lambda L, P, m: P.ln_structured(m[0], "weight", amount=0.5, n=2, dim=0),
                                      lambda L, P, m: P.l1_unstructured(m[0], "weight", amount=0.5)],
    "custom mask": [lambda L, P, m: P.custom_from_mask(m[0], "bias", L.tensor([1., 0, 1, 0, 1, 1, 0, 0])),
                    lambda L, P, m: P.custom_from_mask(m[0], "bias", L.tensor([0., 1, 1, 1, 1, 1, 1, 1]))],
    "importance scores": [lambda L, P, m: P.l1_unstructured(m[3], "weight", amount=10,
                                                            importance_scores=m[0].weight.T[:5].contiguous()),
                          lambda L, P, m: P.ln_structured(m[0], "weight", amount=2, n=1, dim=0,
                                                          importance_scores=m[0].weight.flip(0))],
    "global": [lambda L, P, m: P.global_unstructured([(m[0], "weight"), (m[3], "weight"), (m[3], "bias")],
                                                     P.L1Unstructured, amount=0.5)],
    "global random after local": [
        lambda L, P, m: P.l1_unstructured(m[0], "weight", amount=0.2),
        lambda L, P, m: P.global_unstructured([(m[0], "weight"), (m[2], "weight")], P.RandomUnstructured,
                                              amount=20)],
    "global importance scores": [
        lambda L, P, m: P.global_unstructured(
            [(m[0], "weight"), (m[3], "weight")], P.L1Unstructured, amount=0.3,
            importance_scores={(m[0], "weight"): m[0].weight.abs() * 10})],
    "remove": [lambda L, P, m: P.l1_unstructured(m[0], "weight", amount=0.5),
               lambda L, P, m: P.l1_unstructured(m[0], "weight", amount=0.5),
               lambda L, P, m: P.remove(m[0], "weight")],
}


@pytest.mark.parametrize("case", STEPS, ids=str)
def test_pruning_matches_torch(torch_prune, case):
    def scenario(L):
        model = _model(L)
        for step in STEPS[case]:
            step(L, L.nn.utils.prune, model)
        out = model[3](model[0](L.ones(2, 6)) * 0.5)
        out.sum().backward()
        grads = values(p.grad for p in model.parameters() if p.grad is not None)
        return [_summary(m) for m in model] + [values([out]), grads, L.nn.utils.prune.is_pruned(model)]
    same(scenario, torch_prune)


@pytest.mark.parametrize("levels", [2, 5, 200])
def test_ties_are_broken_as_torch_breaks_them(torch_prune, levels):
    """Weights with many equal magnitudes: the same entries are pruned."""
    def scenario(L):
        rng = np.random.default_rng(levels)
        layer = L.nn.Linear(50, 40)
        with L.no_grad():
            layer.weight.copy_(L.tensor((rng.integers(0, levels, (40, 50)) - levels // 2).astype(np.float32)))
        P = L.nn.utils.prune
        P.l1_unstructured(layer, "weight", amount=0.37)
        first = values([layer.weight_mask])
        P.ln_structured(layer, "weight", amount=0.25, n=1, dim=0)
        P.l1_unstructured(layer, "weight", amount=11)
        return [first, values([layer.weight_mask])]
    same(scenario, torch_prune)


def test_large_layer_mask_matches_torch(torch_prune):
    """A layer large enough for torch's selection to take its quickselect path over ties of float32 draws."""
    def scenario(L):
        L.manual_seed(3)
        layer = L.nn.Linear(256, 512)
        P = L.nn.utils.prune
        P.random_unstructured(layer, "weight", amount=0.9)
        P.l1_unstructured(layer, "bias", amount=0.01)
        return [layer.weight_mask.nonzero().tolist(), values([layer.bias_mask])]
    same(scenario, torch_prune)


def test_the_forward_pre_hook_recomputes_the_weight():
    layer = minitorch.nn.Linear(4, 3)
    prune = minitorch.nn.utils.prune
    prune.l1_unstructured(layer, "weight", amount=0.5)
    hook = list(layer._forward_pre_hooks.values())[0]
    assert isinstance(hook, prune.L1Unstructured) and hook._tensor_name == "weight"
    assert "weight" not in dict(layer.named_parameters()) and "weight" in layer.__dict__
    assert set(dict(layer.named_parameters())) == {"bias", "weight_orig"}
    assert set(dict(layer.named_buffers())) == {"weight_mask"}
    with minitorch.no_grad():
        layer.weight_orig.add_(1.0)  # what an optimizer step does
    stale = layer.weight.clone()
    layer(minitorch.ones(1, 4))
    assert minitorch.equal(layer.weight, (layer.weight_orig * layer.weight_mask).detach())
    assert not minitorch.equal(layer.weight, stale)
    assert minitorch.equal(layer.weight == 0, layer.weight_mask == 0)


def test_prune_method_and_custom_pruning_method(torch_prune):
    def scenario(L):
        P = L.nn.utils.prune

        class EveryOther(P.BasePruningMethod):
            PRUNING_TYPE = "unstructured"

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.view(-1)[::2] = 0
                return mask

        L.manual_seed(1)
        t = L.randn(3, 4)
        layer = L.nn.Linear(3, 3)
        EveryOther.apply(layer, "weight")
        P.l1_unstructured(layer, "weight", amount=2)
        container = list(layer._forward_pre_hooks.values())[0]
        return [values([P.L1Unstructured(0.5).prune(t), P.RandomStructured(1, dim=1).prune(t),
                        P.L1Unstructured(2).prune(t, importance_scores=-t.flip(1), default_mask=(t > 0).float()),
                        layer.weight_mask]), len(container), [type(m).__name__ for m in container]]
    same(scenario, torch_prune)
    with pytest.raises(TypeError, match="abstract"):
        minitorch.nn.utils.prune.BasePruningMethod()


def test_pruned_state_dict_saves_and_loads():
    prune = minitorch.nn.utils.prune
    source = minitorch.nn.Linear(5, 4)
    prune.random_unstructured(source, "weight", amount=0.5)
    target = minitorch.nn.Linear(5, 4)
    prune.identity(target, "weight")
    target.load_state_dict(source.state_dict())
    x = minitorch.randn(2, 5)
    assert minitorch.equal(target(x), source(x))
    with pytest.raises(RuntimeError, match="graph leaves"):  # as torch: `weight` was computed with grad
        copy.deepcopy(source)
    with minitorch.no_grad():
        source(x)
    twin = copy.deepcopy(source)
    assert minitorch.equal(twin(x), source(x)) and prune.is_pruned(twin)
    prune.remove(twin, "weight")
    assert isinstance(twin.weight, minitorch.nn.Parameter) and not prune.is_pruned(twin)
    assert list(twin.state_dict()) == ["bias", "weight"] and prune.is_pruned(source)  # re-registered last
    assert minitorch.equal(twin.weight, source.weight)


ERRORS = [
    lambda L, P, m: P.l1_unstructured(m, "weight", amount=-1),
    lambda L, P, m: P.l1_unstructured(m, "weight", amount=1.5),
    lambda L, P, m: P.l1_unstructured(m, "weight", amount="half"),
    lambda L, P, m: P.random_unstructured(m, "weight", amount=13),
    lambda L, P, m: P.random_structured(m, "bias", amount=1, dim=0),
    lambda L, P, m: P.ln_structured(m, "weight", amount=1, n=2, dim=2),
    lambda L, P, m: P.ln_structured(m, "weight", amount=5, n=2, dim=0),
    lambda L, P, m: P.l1_unstructured(m, "weight", amount=1, importance_scores=L.ones(3)),
    lambda L, P, m: P.remove(m, "weight"),
    lambda L, P, m: P.global_unstructured(3, P.L1Unstructured, amount=1),
    lambda L, P, m: P.global_unstructured([(m, "weight")], P.L1Unstructured, importance_scores=[1], amount=1),
    lambda L, P, m: P.global_unstructured([(m, "weight")], P.RandomStructured, amount=1),
    lambda L, P, m: P.custom_from_mask(m, "weight", L.ones(4)),
    lambda L, P, m: P.PruningContainer(P.L1Unstructured(1)).add_pruning_method(3),
    lambda L, P, m: P.L1Unstructured(1).prune(L.ones(3), importance_scores=L.ones(2)),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(torch_prune, case):
    def scenario(L):
        layer = L.nn.Linear(4, 3)
        result = outcome(ERRORS[case], L, L.nn.utils.prune, layer)
        # a failed pruning leaves the parameters as they were (re-registered: `weight` comes last, as in torch)
        return [result, sorted(n for n, _ in layer.named_parameters()), len(layer._forward_pre_hooks)]
    assert same(scenario, torch_prune)[0][0] == "raised"


@pytest.mark.cuda
def test_pruning_on_cuda_matches_cpu():
    """Distinct magnitudes, so the cuda selection (no tie rule to follow) picks the same entries."""
    masks = []
    for device in ("cpu", "cuda"):
        minitorch.manual_seed(0)
        model = _model(minitorch).to(device)
        prune = minitorch.nn.utils.prune
        prune.l1_unstructured(model[0], "weight", amount=0.4)
        prune.ln_structured(model[2], "weight", amount=2, n=2, dim=0)
        prune.global_unstructured([(model[0], "bias"), (model[3], "weight")], prune.L1Unstructured, amount=0.5)
        model[3](model[0](minitorch.ones(2, 6, device=device))).sum().backward()
        masks.append([b.cpu() for _, b in model.named_buffers()] + [model[0].weight_orig.grad.cpu()])
    for a, b in zip(*masks):
        assert minitorch.equal(a, b)
