"""The torch.* functions that are in-place ops or Tensor methods under another name (torch.relu_(x),
torch.numel(x) ...), against PyTorch: the same result, written into the same tensor."""
import numpy as np
import pytest

import minitorch
from minitorch import _entries
from tests._core_parity import same

UNIT = [0.2, 0.45, 0.7]
EXTRA_ARGS = {
    "clamp_": (0.3, 0.6), "clamp_max_": (0.5,), "clamp_min_": (0.5,), "clip_": (0.3, 0.6), "fill_": (2.5,),
    "ldexp_": ("tensor", [1.0, 2.0, -1.0]), "xlogy_": ("tensor", [2.0, 0.5, 3.0]), "as_strided_": ((2,), (1,)),
    "round_": (), "addmv_": ("matrix",), "index_put_": ("indices",),
}


def _call(L, name):
    """torch.<name>(x, ...) on a fresh tensor; returns (result, x, result is x)."""
    data = [1.5, 2.0, 3.0] if name in ("acosh_", "arccosh_") else UNIT
    dtype = L.int64 if name in ("gcd_", "lcm_") else L.float64
    x = L.tensor([4, 6, 9] if dtype is L.int64 else data, dtype=dtype)
    args = EXTRA_ARGS.get(name, ())
    if name in ("gcd_", "lcm_"):
        args = (L.tensor([6, 4, 3]),)
    elif args and args[0] == "tensor":
        args = (L.tensor(args[1], dtype=dtype),)
    elif args and args[0] == "matrix":
        args = (L.ones(3, 2, dtype=dtype), L.tensor([1.0, 2.0], dtype=dtype))
    elif args and args[0] == "indices":
        args = ((L.tensor([0, 2]),), L.tensor([5.0, 6.0], dtype=dtype))
    result = getattr(L, name)(x, *args)
    return result, x, result is x


@pytest.mark.parametrize("name", _entries.TORCH_INPLACE)
def test_torch_level_in_place_ops_match_torch(torch, name):
    same(torch, lambda L: _call(L, name))


def test_torch_level_methods_match_torch(torch):
    x = np.arange(6.0).reshape(2, 3)
    same(torch, lambda L: [L.numel(L.tensor(x)), L.adjoint(L.tensor(x)), L.is_complex(L.tensor(x)),
                           L.is_floating_point(L.tensor([1])), L.detach(L.tensor(x, requires_grad=True)),
                           L.detach_(L.tensor(x, requires_grad=True) * 2).requires_grad])
    assert minitorch.relu_.__name__ == "relu_"
