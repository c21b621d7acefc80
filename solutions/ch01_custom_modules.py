"""Chapter 01 — a simple custom module: reference solutions (same names as exercises/ch01_custom_modules.py)."""
import math

import minitorch as torch
from minitorch import nn


class MyLinear(nn.Module):
    """ch01.1: y = input @ weight + bias, with weight (in_features, out_features) and bias (out_features),
    both drawn from randn and created on the given device with the given dtype."""

    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.randn(in_features, out_features, **factory_kwargs))
        self.bias = nn.Parameter(torch.randn(out_features, **factory_kwargs))

    def forward(self, input):
        return (input @ self.weight) + self.bias


class Square(nn.Module):
    """ch01.2: a stateless module that squares its input element-wise."""

    def forward(self, input):
        return input * input


def count_parameters(module, trainable_only=False):
    """ch01.3: the number of scalar parameters of `module` (its children included); with
    trainable_only=True, only those of parameters that require grad."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


class Affine(nn.Module):
    """ch01.4: nn.Linear's semantics — weight (out_features, in_features), y = input @ weight.T + bias,
    parameters uniform in [-1/sqrt(in_features), 1/sqrt(in_features)], bias=False registers None,
    repr `Affine(in_features=4, out_features=3, bias=True)`."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(nn.init.uniform_(torch.empty(out_features, in_features), -bound, bound))
        if bias:
            self.bias = nn.Parameter(nn.init.uniform_(torch.empty(out_features), -bound, bound))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        output = input @ self.weight.T
        if self.bias is not None:
            output = output + self.bias
        return output

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
