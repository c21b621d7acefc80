"""Graded tests for chapter 05 (initialization), checked against hand-computed bounds and statistics."""
import math

import pytest

import minitorch as torch
from minitorch import nn


# ----- ch05.1 init_weights ------------------------------------------------------------------------------
@pytest.mark.exercise("ch05.1", points=2)
def test_init_weights_via_apply(ch05):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(400, 300), nn.ReLU(), nn.Linear(300, 200, bias=False), nn.BatchNorm1d(200))
    bn_weight = net[3].weight.detach().clone()
    assert net.apply(ch05.init_weights) is net
    first, second = net[0], net[2]
    assert torch.equal(first.bias, torch.zeros(300))
    assert abs(first.weight.std().item() - math.sqrt(2 / 400)) < 0.05 * math.sqrt(2 / 400)
    assert abs(second.weight.std().item() - math.sqrt(2 / 300)) < 0.05 * math.sqrt(2 / 300)
    assert abs(first.weight.mean().item()) < 0.005
    # normal, not uniform: a uniform with this std never exceeds sqrt(3) std
    assert first.weight.abs().max().item() > 2.5 * math.sqrt(2 / 400)
    assert torch.equal(net[3].weight, bn_weight)
    for p in net.parameters():
        assert p.requires_grad and p.grad_fn is None


@pytest.mark.exercise("ch05.1", points=1)
def test_init_weights_matches_kaiming_normal(ch05):
    torch.manual_seed(3)
    mine = nn.Linear(6, 4)
    torch.manual_seed(5)
    ch05.init_weights(mine)
    torch.manual_seed(5)
    expected = nn.init.kaiming_normal_(torch.empty(4, 6), nonlinearity="relu")
    assert torch.allclose(mine.weight, expected)
    tanh = nn.Tanh()
    ch05.init_weights(tanh)  # other modules: untouched, no error


# ----- ch05.2 count_zero_weights ------------------------------------------------------------------------
@pytest.mark.exercise("ch05.2", points=2)
def test_count_zero_weights(ch05):
    torch.manual_seed(0)
    for rows, cols, sparsity in ((10, 4, 0.3), (7, 5, 0.5), (100, 20, 0.9), (8, 3, 0.0)):
        found, expected = ch05.count_zero_weights(rows, cols, sparsity)
        assert type(found) is int and type(expected) is int
        assert expected == math.ceil(sparsity * rows) * cols
        assert found == expected


@pytest.mark.exercise("ch05.2", points=1)
def test_count_zero_weights_uses_sparse(ch05):
    torch.manual_seed(1)
    found, _ = ch05.count_zero_weights(50, 10, 0.2, std=1.0)
    torch.manual_seed(1)
    reference = nn.init.sparse_(torch.empty(50, 10), 0.2, std=1.0)
    assert found == int((reference == 0).sum().item())


# ----- ch05.3 my_uniform_ -------------------------------------------------------------------------------
@pytest.mark.exercise("ch05.3", points=2)
def test_my_uniform_linear_weight(ch05):
    torch.manual_seed(0)
    w = torch.empty(300, 48)
    out = ch05.my_uniform_(w)
    assert out is w
    bound = math.sqrt(3 / 48)
    assert w.abs().max().item() <= bound
    assert w.abs().max().item() > 0.98 * bound
    assert abs(w.std().item() - 1 / math.sqrt(48)) < 0.03 / math.sqrt(48)
    torch.manual_seed(0)
    gained = ch05.my_uniform_(torch.empty(300, 48), gain=2.0)
    assert torch.allclose(gained, 2 * w)


@pytest.mark.exercise("ch05.3", points=2)
def test_my_uniform_conv_weight_and_errors(ch05):
    torch.manual_seed(0)
    w = torch.empty(64, 3, 5, 5)  # fan_in = 3 * 25 = 75
    ch05.my_uniform_(w)
    bound = math.sqrt(3 / 75)
    assert 0.98 * bound < w.abs().max().item() <= bound
    p = nn.Parameter(torch.empty(8, 4))
    ch05.my_uniform_(p)
    assert p.requires_grad and p.grad_fn is None
    with pytest.raises(ValueError):
        ch05.my_uniform_(torch.empty(5))
