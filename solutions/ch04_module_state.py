"""Chapter 04 solutions: module state (buffers, state_dict, extra state)."""
import minitorch as torch
from minitorch import nn


class RunningMean(nn.Module):
    """Keeps an exponential running mean of its inputs in a persistent buffer named 'mean'."""

    def __init__(self, num_features, momentum=0.9):
        super().__init__()
        self.momentum = momentum
        self.register_buffer('mean', torch.zeros(num_features))

    def forward(self, x):
        self.mean = self.momentum * self.mean + (1.0 - self.momentum) * x.detach()
        return self.mean


def copy_matching(source, target):
    """Copy every entry of `source` whose key is in `target` with the same shape; return
    (copied_keys, skipped_keys) as sorted lists."""
    copied, skipped = [], []
    for key, value in source.items():
        if key in target and target[key].shape == value.shape:
            target[key] = value.clone()
            copied.append(key)
        else:
            skipped.append(key)
    return sorted(copied), sorted(skipped)


class Counter(nn.Module):
    """Identity module that counts its forward calls; the count is extra state in the state_dict."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x

    def get_extra_state(self):
        return {'calls': self.calls}

    def set_extra_state(self, state):
        self.calls = state['calls']
