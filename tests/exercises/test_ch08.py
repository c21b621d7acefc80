"""Graded tests for chapter 08 (pruning). Weights, thresholds and targets are drawn afresh on every run; the
expected masks are computed here from the rules in the exercises, and the predicted pruning state by running
the code of the question."""
import random

import pytest

import minitorch as torch
from grader.checks import check, check_equal, check_own_class
from minitorch import nn
from minitorch.nn.utils import prune

LIBRARY_METHODS = [prune.Identity, prune.RandomUnstructured, prune.L1Unstructured, prune.RandomStructured,
                   prune.LnStructured, prune.CustomFromMask, prune.PruningContainer]


def _reference_mask(t, default_mask, threshold):
    return default_mask * (t.abs() >= threshold).to(default_mask.dtype)


# ----- ch08.1 ThresholdPruning --------------------------------------------------------------------------------
@pytest.mark.exercise("ch08.1", points=1)
def test_threshold_pruning_is_an_unstructured_method_of_your_own(ch08):
    """ThresholdPruning subclasses BasePruningMethod itself (no library method) and is unstructured"""
    method = ch08.ThresholdPruning(0.5)
    check(isinstance(method, prune.BasePruningMethod), "a ThresholdPruning is a BasePruningMethod", got=method)
    check_own_class(ch08.ThresholdPruning, LIBRARY_METHODS, "ThresholdPruning")
    check(issubclass(ch08.ThresholdPruning, prune.BasePruningMethod), "ThresholdPruning subclasses "
          "prune.BasePruningMethod", got=ch08.ThresholdPruning.__mro__)
    check_equal(ch08.ThresholdPruning.PRUNING_TYPE, "unstructured", "ThresholdPruning.PRUNING_TYPE")


@pytest.mark.exercise("ch08.1", points=2)
def test_compute_mask_on_random_tensors(ch08):
    """compute_mask keeps |t| >= threshold (the threshold itself included) where default_mask is 1"""
    rng = random.Random()
    for _ in range(8):
        shape = (rng.randint(1, 6), rng.randint(1, 6))
        t = torch.randn(*shape)
        threshold = abs(t.reshape(-1)[rng.randrange(t.numel())].item())  # an entry sits exactly on it
        default = (torch.rand(*shape) > 0.3).float()
        mask = ch08.ThresholdPruning(threshold).compute_mask(t, default_mask=default)
        check_equal(mask, _reference_mask(t, default, threshold), f"mask of {tuple(shape)} at threshold "
                    f"{threshold:.4f}")


@pytest.mark.exercise("ch08.1", points=2)
def test_threshold_unstructured_prunes_a_module_and_combines(ch08):
    """threshold_unstructured installs the method as torch's functions do, and a second call combines"""
    rng = random.Random()
    for _ in range(4):
        layer = nn.Linear(rng.randint(2, 7), rng.randint(2, 7))
        original = layer.weight.detach().clone()
        low = original.abs().reshape(-1).sort().values[original.numel() // 2].item()
        check(ch08.threshold_unstructured(layer, "weight", low) is layer, "threshold_unstructured returns the "
              "module")
        check(isinstance(layer.weight_orig, nn.Parameter), "weight_orig is a Parameter", got=type(layer.weight_orig))
        check_equal(layer.weight_orig.detach(), original, "weight_orig keeps the trained values")
        expected = _reference_mask(original, torch.ones_like(original), low)
        check_equal(layer.weight_mask, expected, "weight_mask after pruning at the median magnitude")
        hooks = list(layer._forward_pre_hooks.values())
        check(len(hooks) == 1 and isinstance(hooks[0], ch08.ThresholdPruning), "one forward pre-hook, a "
              "ThresholdPruning", got=hooks)
        high = original.abs().max().item() * rng.uniform(0.6, 0.9)
        ch08.threshold_unstructured(layer, "weight", high)
        check_equal(layer.weight_mask, _reference_mask(original, expected, high), "weight_mask after a second "
                    "pruning at a higher threshold")
        hooks = list(layer._forward_pre_hooks.values())
        check(len(hooks) == 1 and isinstance(hooks[0], prune.PruningContainer), "the two prunings combined in "
              "one PruningContainer hook", got=hooks)
        with torch.no_grad():
            layer.weight_orig.add_(1.0)
        layer(torch.randn(3, layer.in_features))
        check_equal(layer.weight, (original + 1.0) * layer.weight_mask, "weight recomputed before forward")


# ----- ch08.2 predict the pruning state --------------------------------------------------------------------------
def pruning_state():
    """The question of ch08.2, run."""
    lin = nn.Linear(4, 5)
    prune.l1_unstructured(lin, "weight", amount=0.5)
    prune.l1_unstructured(lin, "weight", amount=0.5)
    prune.random_unstructured(lin, "bias", amount=2)
    return (list(lin.state_dict()), int((lin.weight == 0).sum().item()), int((lin.bias == 0).sum().item()),
            len(lin._forward_pre_hooks))


@pytest.mark.exercise("ch08.2", points=1)
def test_predicted_pruning_state(ch08):
    """predict_pruning_state() gives the keys, zeros and hooks of the layer pruned three times"""
    got = ch08.predict_pruning_state()
    check(isinstance(got, tuple) and len(got) == 4, "a tuple of four answers", got=got)
    truth = pruning_state()
    for label, mine, real in zip(("state_dict keys", "zeros in weight", "zeros in bias", "forward pre-hooks"),
                                 got, truth):
        check_equal(list(mine) if label == "state_dict keys" else mine, real, label)


# ----- ch08.3 prune_to_sparsity --------------------------------------------------------------------------------
def _layers(rng):
    torch.manual_seed(rng.randrange(10 ** 6))
    return [nn.Linear(rng.randint(3, 9), rng.randint(3, 9)) for _ in range(rng.randint(2, 3))]


def _masks(layers):
    return [getattr(layer, "weight_mask", torch.ones_like(layer.weight)).clone() for layer in layers]


def _weights(layers):
    return [getattr(layer, "weight_orig", layer.weight).detach().clone() for layer in layers]


def _check_step(ch08, layers, target, label):
    """Run one call and check the count, the return value and that the smallest unpruned entries went."""
    before, weights = _masks(layers), _weights(layers)
    total = sum(w.numel() for w in weights)
    pruned_before = sum(int((m == 0).sum().item()) for m in before)
    returned = ch08.prune_to_sparsity([(layer, "weight") for layer in layers], target)
    after = _masks(layers)
    pruned_after = sum(int((m == 0).sum().item()) for m in after)
    wanted = max(pruned_before, round(target * total))
    check_equal(pruned_after, wanted, f"{label}: entries pruned in all the tensors together after the call")
    check_equal(returned, wanted - pruned_before, f"{label}: the number of entries the call pruned")
    check(all(bool(((b == 0) <= (a == 0)).all().item()) for b, a in zip(before, after)),
          f"{label}: entries pruned before stay pruned")
    new = [w.abs()[(b == 1) & (a == 0)] for w, b, a in zip(weights, before, after)]
    kept = [w.abs()[a == 1] for w, a in zip(weights, after)]
    new, kept = torch.cat(new), torch.cat(kept)
    if new.numel() and kept.numel():
        check(new.max().item() <= kept.min().item(), f"{label}: the entries pruned are the smallest unpruned "
              "ones across all the tensors", expected=f"<= {kept.min().item():.4f}", got=new.max().item())


@pytest.mark.exercise("ch08.3", points=2)
def test_targets_in_steps(ch08):
    """random layers pruned to rising targets: exact counts, smallest magnitudes first, globally"""
    rng = random.Random()
    for trial in range(4):
        layers = _layers(rng)
        targets = sorted(rng.uniform(0.05, 0.95) for _ in range(3))
        for target in targets:
            _check_step(ch08, layers, target, f"trial {trial}, target {target:.3f}")


@pytest.mark.exercise("ch08.3", points=2)
def test_already_pruned_tensors(ch08):
    """tensors pruned before by another method: their masks count, and a reached target changes nothing"""
    rng = random.Random()
    for trial in range(4):
        layers = _layers(rng)
        for layer in layers[:-1]:
            prune.random_unstructured(layer, "weight", amount=rng.uniform(0.2, 0.6))
        total = sum(layer.weight.numel() for layer in layers)
        pruned = sum(int((m == 0).sum().item()) for m in _masks(layers))
        _check_step(ch08, layers, pruned / total * 0.5, f"trial {trial}, a target already reached")
        _check_step(ch08, layers, min(0.97, pruned / total + rng.uniform(0.1, 0.3)), f"trial {trial}, a higher "
                    "target")
