"""Chapter 08 exercises: pruning.

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 8`."""
import minitorch as torch  # noqa: F401
from minitorch import nn  # noqa: F401
from minitorch.nn.utils import prune  # noqa: F401


class ThresholdPruning(prune.BasePruningMethod):
    """ch08.1: an unstructured pruning method that prunes every entry whose magnitude is below `threshold`
    (entries exactly at the threshold stay).

    - `PRUNING_TYPE` is "unstructured";
    - `compute_mask(t, default_mask)` returns the new mask: 0 where |t| < threshold or where default_mask is
      already 0 (pruned entries stay pruned), 1 elsewhere, with default_mask's dtype;
    - `threshold_unstructured(module, name, threshold)` below prunes `module.<name>` with it, as the library's
      functions do, and returns the module.

    Pruning again with a higher threshold must combine with the earlier pruning, as every method does.
    Hint: `BasePruningMethod.apply(module, name, *args)` creates the method with `cls(*args)` and installs it.
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, threshold):
        raise NotImplementedError("ch08.1: keep the threshold")

    def compute_mask(self, t, default_mask):
        raise NotImplementedError("ch08.1: the mask of the entries to keep")


def threshold_unstructured(module, name, threshold):
    """ch08.1: prune `module.<name>` with ThresholdPruning(threshold); return `module`."""
    raise NotImplementedError("ch08.1: apply ThresholdPruning")


def predict_pruning_state():
    """ch08.2 (predict, then check): what this does to a fresh layer, without running it first:

        lin = nn.Linear(4, 5)                       # weight (5, 4), bias (5,)
        prune.l1_unstructured(lin, "weight", amount=0.5)
        prune.l1_unstructured(lin, "weight", amount=0.5)
        prune.random_unstructured(lin, "bias", amount=2)

    Return (list of lin.state_dict() keys in order, number of zeros in lin.weight, number of zeros in
    lin.bias, number of forward pre-hooks of lin). Then check with the notebook's code."""
    raise NotImplementedError("ch08.2: return (keys, weight zeros, bias zeros, hooks)")


def prune_to_sparsity(parameters, target):
    """ch08.3: prune the tensors `parameters` (a list of (module, name) pairs, as for
    `prune.global_unstructured`) by global L1 magnitude until the fraction `target` of all their entries,
    counted together, is pruned: round(target * total entries) pruned entries exactly.

    The tensors may already be pruned (by earlier calls or by anything else); their masks say which entries
    are. Only entries still unpruned are candidates, and the smallest of them in magnitude go, wherever they
    are. If the target is already reached, nothing changes. Returns the number of entries this call pruned.

    Hint: `prune.global_unstructured` takes an int amount, counted among the entries still unpruned."""
    raise NotImplementedError("ch08.3: prune globally to the target sparsity")
