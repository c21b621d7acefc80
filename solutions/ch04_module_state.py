"""Chapter 04 solutions: module state (buffers, state_dict, extra state)."""
import minitorch as torch
from minitorch import nn
from minitorch.nn.modules.module import _IncompatibleKeys


def _has_extra_state(module):
    return type(module).get_extra_state is not nn.Module.get_extra_state


def _own_tensors(module):
    """{name: tensor} of a module's own entries in a state_dict: parameters, then persistent buffers."""
    own = {name: p for name, p in module._parameters.items() if p is not None}
    own.update({name: b for name, b in module._buffers.items()
                if b is not None and name not in module._non_persistent_buffers_set})
    return own


def _children(module, prefix):
    return [(child, f"{prefix}{name}.") for name, child in module._modules.items() if child is not None]


def state_dict_of(module, prefix=""):
    """ch04.1: own parameters, persistent buffers and extra state, then each child's entries, detached."""
    result = {prefix + name: tensor.detach() for name, tensor in _own_tensors(module).items()}
    if _has_extra_state(module):
        result[prefix + "_extra_state"] = module.get_extra_state()
    for child, child_prefix in _children(module, prefix):
        result.update(state_dict_of(child, child_prefix))
    return result


def load_state_into(module, state_dict, strict=True):
    """ch04.1: copy every expected entry in place; collect missing and unexpected keys and size
    mismatches; raise as torch does."""
    missing, mismatches, expected = [], [], set()
    pending = [(module, "")]
    while pending:
        current, prefix = pending.pop(0)
        for name, tensor in _own_tensors(current).items():
            key = prefix + name
            expected.add(key)
            if key not in state_dict:
                missing.append(key)
            elif state_dict[key].shape != tensor.shape:
                mismatches.append(f"size mismatch for {key}: copying a param with shape {state_dict[key].shape} "
                                  f"from checkpoint, the shape in current model is {tensor.shape}.")
            else:
                with torch.no_grad():
                    tensor.copy_(state_dict[key])
        if _has_extra_state(current):
            key = prefix + "_extra_state"
            expected.add(key)
            if key in state_dict:
                current.set_extra_state(state_dict[key])
            else:
                missing.append(key)
        pending[:0] = _children(current, prefix)
    unexpected = [key for key in state_dict if key not in expected]
    errors = []
    if strict and missing:
        errors.append("Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
    if strict and unexpected:
        errors.append("Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
    errors += mismatches
    if errors:
        raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(type(module).__name__,
                                                                              "\n\t".join(errors)))
    return _IncompatibleKeys(missing, unexpected)


def predict_state_dict_keys():
    """ch04.2: per module its parameters, then persistent buffers, then extra state, then the children;
    `tied` is the head again under a second name, so its weight appears twice."""
    block = ["scale", "steps", "_extra_state", "norm.weight", "norm.bias", "norm.running_mean", "norm.running_var",
             "norm.num_batches_tracked"]
    return [f"blocks.{i}.{key}" for i in range(2) for key in block] + ["head.weight", "tied.weight"]


class Standardizer(nn.Module):
    """ch04.3: running statistics in persistent buffers, updated without autograd history, and the call count
    as extra state."""

    def __init__(self, num_features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(num_features))
        self.register_buffer("var", torch.ones(num_features))
        self.count = 0

    def forward(self, x):
        if self.training:
            self.count += 1
            m = self.momentum
            with torch.no_grad():
                self.mean = (1 - m) * self.mean + m * x.mean(0)
                self.var = (1 - m) * self.var + m * x.var(0)
        return (x - self.mean) / torch.sqrt(self.var + 1e-5)

    def get_extra_state(self):
        return {"count": self.count}

    def set_extra_state(self, state):
        self.count = state["count"]
