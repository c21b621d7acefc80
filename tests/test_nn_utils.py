"""nn.utils against real PyTorch: clip_grad_norm_ / clip_grad_value_ / get_total_norm, parameters_to_vector /
vector_to_parameters, skip_init."""
import math
import warnings

import numpy as np
import pytest

import minitorch
from minitorch import nn

from ._module_parity import outcome, same


def _params(lib, grads, dtypes=None):
    """Parameters whose .grad holds the given arrays (None: no grad)."""
    out = []
    for i, g in enumerate(grads):
        dtype = getattr(lib, (dtypes or ["float32"] * len(grads))[i])
        p = lib.nn.Parameter(lib.zeros(2 if g is None else np.shape(g), dtype=dtype))
        if g is not None:
            p.grad = lib.tensor(g, dtype=dtype)
        out.append(p)
    return out


GRADS = [[[3.0, -4.0], [1.0, 0.5]], None, [[0.25, 2.0, -7.0]]]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, -math.inf, 0.0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(torch, norm_type, max_norm):
    def scenario(torch):
        params = _params(torch, GRADS)
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
        return (round(total.item(), 4), str(total.dtype), total.shape,
                [None if p.grad is None else np.round(p.grad.numpy(), 5).tolist() for p in params])
    same(scenario, torch)


def test_clip_grad_norm_forms(torch):
    def scenario(torch):
        u = torch.nn.utils
        single = _params(torch, [[3.0, 4.0]])[0]
        mixed = _params(torch, [[2.0, 2.0], [1.0, 1.0]], ["float32", "float64"])
        nan = _params(torch, [[1.0, float("nan")]])
        total = u.clip_grad_norm_(mixed, 1.0)
        return [u.clip_grad_norm_(single, 1.0).item(), np.round(single.grad.numpy(), 5).tolist(),
                u.clip_grad_norm_([], 1.0).item(), u.clip_grad_norm_(_params(torch, [None]), 1.0).item(),
                round(total.item(), 5), str(total.dtype), [str(p.grad.dtype) for p in mixed],
                outcome(u.clip_grad_norm_, nan, 1.0, error_if_nonfinite=True),
                np.isnan(u.clip_grad_norm_(nan, 1.0).item()),
                round(u.get_total_norm([torch.tensor([3.0]), torch.tensor([4.0])]).item(), 5),
                u.clip_grads_with_norm_(single, 1.0, torch.tensor(10.0)), np.round(single.grad.numpy(), 5).tolist(),
                u.clip_grad_norm_((p for p in single.unsqueeze(0)[:0]), 1.0).item()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(scenario, torch)


def test_clip_grad_norm_warnings(torch):
    for lib in (minitorch, torch):
        with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):
            lib.nn.utils.clip_grad_norm_((p for p in []), 1.0)
        with pytest.warns(FutureWarning, match="deprecated in favor of `torch.nn.utils.clip_grad_norm_`"):
            lib.nn.utils.clip_grad_norm(_params(lib, [[1.0]]), 1.0)


def test_clip_grad_norm_leaves_no_graph():
    p = nn.Parameter(minitorch.ones(3))
    (p * p * 5).sum().backward(create_graph=True)
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert total.grad_fn is None and not total.requires_grad
    assert np.allclose(p.grad.detach().numpy(), 1 / math.sqrt(3), atol=1e-6)


def test_clip_grad_value_matches_torch(torch):
    def scenario(torch):
        params = _params(torch, GRADS)
        single = _params(torch, [[5.0, -0.5]])[0]
        return (torch.nn.utils.clip_grad_value_(params, 1.5), torch.nn.utils.clip_grad_value_(single, 1),
                [None if p.grad is None else p.grad.tolist() for p in params + [single]])
    same(scenario, torch)


def test_parameters_vector_round_trip(torch):
    def scenario(torch):
        torch.manual_seed(0)
        m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1, bias=False))
        vec = torch.nn.utils.parameters_to_vector(m.parameters())
        new = torch.arange(vec.numel(), dtype=torch.float32)
        torch.nn.utils.vector_to_parameters(new, m.parameters())
        return (tuple(vec.shape), vec.grad_fn is not None, type(vec.grad_fn).__name__,
                [p.tolist() for p in m.parameters()], [type(p).__name__ for p in m.parameters()],
                [p.requires_grad for p in m.parameters()],
                outcome(torch.nn.utils.vector_to_parameters, [1.0], m.parameters()),
                outcome(torch.nn.utils.vector_to_parameters, np.zeros(3), m.parameters()))
    same(scenario, torch)


def test_parameters_to_vector_gradient():
    a, b = nn.Parameter(minitorch.ones(2, 2)), nn.Parameter(minitorch.ones(3))
    (nn.utils.parameters_to_vector([a, b]) * minitorch.arange(7.0)).sum().backward()
    assert a.grad.tolist() == [[0, 1], [2, 3]] and b.grad.tolist() == [4, 5, 6]


def test_skip_init_leaves_init_untouched():
    minitorch.manual_seed(0)
    before = minitorch.rand(3)
    minitorch.manual_seed(0)
    m = nn.utils.skip_init(nn.Linear, 5, 4, bias=True, dtype=minitorch.float64)
    assert minitorch.equal(minitorch.rand(3), before)  # no random numbers drawn
    assert m.weight.shape == (4, 5) and m.weight.dtype == minitorch.float64 and m.weight.requires_grad
    assert nn.init.uniform_ is not None and nn.init.uniform_(minitorch.zeros(100), 1, 2).min().item() >= 1
    lstm = nn.utils.skip_init(nn.LSTM, 3, 4, device="cpu")
    assert [n for n, _ in lstm.named_parameters()] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]


def test_skip_init_errors(torch):
    def scenario(torch):
        return [outcome(torch.nn.utils.skip_init, torch.nn.ReLU), outcome(torch.nn.utils.skip_init, int),
                type(outcome(torch.nn.utils.skip_init, torch.nn.Linear, 2, 3)).__name__]
    same(scenario, torch)
