"""Wrong answers to chapter 08."""
from minitorch.nn.utils import prune

from . import solution

ok = solution(8)


class StrictThreshold(ok.ThresholdPruning):
    """Prunes the entries exactly at the threshold too (> instead of >=)."""

    def compute_mask(self, t, default_mask):
        return default_mask * (t.abs() > self.threshold).to(default_mask.dtype)


class ForgetsEarlierPruning(ok.ThresholdPruning):
    """Ignores default_mask: entries pruned before come back."""

    def compute_mask(self, t, default_mask):
        return (t.abs() >= self.threshold).to(default_mask.dtype)


class LibraryBased(prune.L1Unstructured):
    """Built on L1Unstructured, turning the threshold into an amount: the library's method in disguise."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, threshold):
        super().__init__(amount=0)
        self.threshold = threshold

    def compute_mask(self, t, default_mask):
        return default_mask * (t.abs() >= self.threshold).to(default_mask.dtype)


def threshold_without_hook(module, name, threshold):
    """Multiplies the weight once instead of installing the method: no weight_orig, no mask, no hook."""
    weight = getattr(module, name)
    weight.data = weight.data * (weight.data.abs() >= threshold).to(weight.dtype)
    return module


def pruning_state_same_entries():
    """Believes the second 50% hits the same entries (10 zeros) and that bias stays first in the state_dict."""
    return ["bias", "weight_orig", "weight_mask", "bias_mask"], 10, 2, 2


def pruning_state_three_hooks():
    """Counts one hook per pruning call, and the 50% of 50% as 75% of the total."""
    return ["weight_orig", "bias_orig", "weight_mask", "bias_mask"], 15, 2, 3


def sparsity_as_amount(parameters, target):
    """Hands the target fraction to global_unstructured, which applies it to the entries still unpruned."""
    prune.global_unstructured(list(parameters), pruning_method=prune.L1Unstructured, amount=target)
    return 0


def sparsity_layer_by_layer(parameters, target):
    """Reaches the count in each tensor separately: the right total, but not the globally smallest entries."""
    pruned = 0
    for module, name in parameters:
        mask = getattr(module, name + "_mask", None)
        done = 0 if mask is None else int((mask == 0).sum().item())
        more = round(target * getattr(module, name).numel()) - done
        if more > 0:
            prune.l1_unstructured(module, name, amount=more)
            pruned += more
    return pruned


def sparsity_ignoring_masks(parameters, target):
    """Counts only the wanted total, not what was pruned already: over-prunes tensors pruned before."""
    parameters = list(parameters)
    wanted = round(target * sum(getattr(module, name).numel() for module, name in parameters))
    prune.global_unstructured(parameters, pruning_method=prune.L1Unstructured, amount=wanted)
    return wanted


WRONG = {
    "ch08.1": {
        "entries at the threshold pruned": {"ThresholdPruning": StrictThreshold},
        "earlier pruning forgotten": {"ThresholdPruning": ForgetsEarlierPruning},
        "a subclass of L1Unstructured": {"ThresholdPruning": LibraryBased},
        "weights multiplied once, no re-parametrization": {"threshold_unstructured": threshold_without_hook},
    },
    "ch08.2": {
        "the same entries pruned twice": {"predict_pruning_state": pruning_state_same_entries},
        "one hook per call": {"predict_pruning_state": pruning_state_three_hooks},
    },
    "ch08.3": {
        "the target passed as the amount": {"prune_to_sparsity": sparsity_as_amount},
        "layer by layer, not global": {"prune_to_sparsity": sparsity_layer_by_layer},
        "earlier pruning not counted": {"prune_to_sparsity": sparsity_ignoring_masks},
    },
}
