"""Wrong answers to chapter 04."""
import minitorch as torch
from minitorch import nn

from . import solution

ok = solution(4)


def via_named_members(module, prefix=""):
    """named_parameters and named_buffers: shared children once, non-persistent buffers in, no extra state."""
    return {prefix + name: t.detach() for name, t in [*module.named_parameters(), *module.named_buffers()]}


def without_extra_state(module, prefix=""):
    return {key: value for key, value in ok.state_dict_of(module, prefix).items() if not key.endswith("_extra_state")}


def replacing_parameters(module, state_dict, strict=True):
    """Loads by assigning new Parameters: an optimizer built before would update the old ones."""
    result = ok.load_state_into(module, state_dict, strict)
    for name, param in list(module.named_parameters()):
        owner, _, attr = name.rpartition(".")
        setattr(module.get_submodule(owner), attr, nn.Parameter(param.detach().clone()))
    return result


def lenient_shapes(module, state_dict, strict=True):
    """Skips a tensor of the wrong shape instead of reporting it when strict=False."""
    if strict:
        return ok.load_state_into(module, state_dict, strict)
    own = ok.state_dict_of(module)
    kept = {k: v for k, v in state_dict.items()
            if not (k in own and isinstance(v, torch.Tensor) and v.shape != own[k].shape)}
    return ok.load_state_into(module, kept, strict)


def first_problem_only(module, state_dict, strict=True):
    """Reports only the first line of the error."""
    try:
        return ok.load_state_into(module, state_dict, strict)
    except RuntimeError as exc:
        raise RuntimeError("\n\t".join(str(exc).split("\n\t")[:2])) from None


class PlainTensors(nn.Module):
    """Fixed the history and the count, but the statistics are still plain attributes."""

    def __init__(self, num_features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.mean = torch.zeros(num_features)
        self.var = torch.ones(num_features)
        self.count = 0

    forward = ok.Standardizer.forward
    get_extra_state = ok.Standardizer.get_extra_state
    set_extra_state = ok.Standardizer.set_extra_state


class NoExtraState(ok.Standardizer):
    get_extra_state = nn.Module.get_extra_state
    set_extra_state = nn.Module.set_extra_state


class KeepsHistory(ok.Standardizer):
    def forward(self, x):
        if self.training:
            self.count += 1
            m = self.momentum
            self.mean = (1 - m) * self.mean + m * x.mean(0)
            self.var = (1 - m) * self.var + m * x.var(0)
        return (x - self.mean) / torch.sqrt(self.var + 1e-5)


class CountAsBuffer(ok.Standardizer):
    """Saves the count in a tensor buffer named 'count' instead of extra state."""

    def __init__(self, num_features, momentum=0.1):
        super().__init__(num_features, momentum)
        del self.count
        self.register_buffer("count", torch.tensor(0))

    get_extra_state = nn.Module.get_extra_state
    set_extra_state = nn.Module.set_extra_state


WRONG = {
    "ch04.1": {
        "named_parameters + named_buffers": {"state_dict_of": via_named_members},
        "no extra state": {"state_dict_of": without_extra_state},
        "assigns new Parameters": {"load_state_into": replacing_parameters},
        "size mismatch skipped when not strict": {"load_state_into": lenient_shapes},
        "only the first problem in the message": {"load_state_into": first_problem_only},
    },
    "ch04.2": {
        "in registration order": {"predict_state_dict_keys": lambda: [
            f"blocks.{i}.{k}" for i in range(2) for k in ("steps", "norm.weight", "norm.bias", "norm.running_mean",
                                                           "norm.running_var", "norm.num_batches_tracked", "scale",
                                                           "_extra_state")] + ["head.weight", "tied.weight"]},
        "the tied head once": {"predict_state_dict_keys": lambda: ok.predict_state_dict_keys()[:-1]},
        "with the non-persistent cache": {"predict_state_dict_keys": lambda: [
            f"blocks.{i}.{k}" for i in range(2) for k in ("scale", "steps", "cache", "_extra_state", "norm.weight",
                                                           "norm.bias", "norm.running_mean", "norm.running_var",
                                                           "norm.num_batches_tracked")]
            + ["head.weight", "tied.weight"]},
    },
    "ch04.3": {
        "statistics as plain tensors": {"Standardizer": PlainTensors},
        "count not saved": {"Standardizer": NoExtraState},
        "history recorded in the statistics": {"Standardizer": KeepsHistory},
        "count as a buffer": {"Standardizer": CountAsBuffer},
    },
}
