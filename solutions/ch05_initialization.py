"""Chapter 05 solutions: initialization."""
import math

import minitorch as torch
from minitorch import nn


@torch.no_grad()
def init_weights(module):
    """For Module.apply: Kaiming-normal (relu) weights and zero biases for every nn.Linear."""
    if isinstance(module, nn.Linear):
        nn.init.kaiming_normal_(module.weight, nonlinearity='relu')
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def count_zero_weights(rows, cols, sparsity, std=0.01):
    """Fill a fresh (rows, cols) tensor with nn.init.sparse_ and return (zeros found, zeros expected)."""
    weight = nn.init.sparse_(torch.empty(rows, cols), sparsity, std=std)
    return int((weight == 0).sum().item()), math.ceil(sparsity * rows) * cols


def my_uniform_(tensor, gain=1.0):
    """Fill `tensor` in place from U(-b, b), b = gain * sqrt(3 / fan_in); return it."""
    if tensor.dim() < 2:
        raise ValueError("my_uniform_ needs a tensor with at least 2 dimensions")
    fan_in = tensor.shape[1] * math.prod(tensor.shape[2:])
    bound = gain * math.sqrt(3.0 / fan_in)
    return nn.init.uniform_(tensor, -bound, bound)
