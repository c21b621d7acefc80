"""Chapter 08 reference solutions: pruning."""
import minitorch as torch  # noqa: F401
from minitorch import nn  # noqa: F401
from minitorch.nn.utils import prune


class ThresholdPruning(prune.BasePruningMethod):
    """Prune every entry whose magnitude is below `threshold`."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, threshold):
        self.threshold = threshold

    def compute_mask(self, t, default_mask):
        keep = (t.abs() >= self.threshold).to(default_mask.dtype)
        return default_mask * keep


def threshold_unstructured(module, name, threshold):
    ThresholdPruning.apply(module, name, threshold)
    return module


def predict_pruning_state():
    # Pruning weight moves the Parameter to weight_orig (parameters come first, in registration order, and
    # weight_orig is registered after bias), then buffers. The second 50% applies to the 10 entries still
    # unpruned: 5 more zeros. The bias loses 2 entries. One hook per pruned tensor (a PruningContainer for
    # the weight).
    return ["weight_orig", "bias_orig", "weight_mask", "bias_mask"], 15, 2, 2


def prune_to_sparsity(parameters, target):
    parameters = list(parameters)
    total = sum(getattr(module, name).numel() for module, name in parameters)
    pruned = 0
    for module, name in parameters:
        mask = getattr(module, name + "_mask", None)
        if mask is not None:
            pruned += int((mask == 0).sum().item())
    wanted = round(target * total)
    if wanted <= pruned:
        return 0
    prune.global_unstructured(parameters, pruning_method=prune.L1Unstructured, amount=wanted - pruned)
    return wanted - pruned
