"""Graded tests for chapter 02 (modules as building blocks); `ch02` is the loaded exercise or solution file."""
import pytest

import minitorch as torch
from minitorch import nn


def _layers():
    torch.manual_seed(0)
    return [nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)]


@pytest.mark.exercise("ch02.1", points=2)
def test_my_sequential_matches_sequential(ch02):
    layers = _layers()
    mine, ref = ch02.MySequential(*layers), nn.Sequential(*layers)
    x = torch.randn(5, 4)
    assert torch.equal(mine(x), ref(x))
    assert [name for name, _ in mine.named_children()] == ["0", "1", "2"]
    assert [name for name, _ in mine.named_parameters()] == [name for name, _ in ref.named_parameters()]
    assert repr(mine) == repr(ref).replace("Sequential", "MySequential", 1)


@pytest.mark.exercise("ch02.1", points=1)
def test_my_sequential_len_and_indexing(ch02):
    layers = _layers()
    seq = ch02.MySequential(*layers)
    assert len(seq) == 3
    assert seq[0] is layers[0] and seq[2] is layers[2] and seq[-1] is layers[2] and seq[-3] is layers[0]
    for idx in (3, -4):
        with pytest.raises(IndexError):
            seq[idx]
    assert len(ch02.MySequential()) == 0


@pytest.mark.exercise("ch02.1", points=1)
def test_my_sequential_backward_reaches_every_layer(ch02):
    seq = ch02.MySequential(*_layers())
    seq(torch.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in seq.parameters())


@pytest.mark.exercise("ch02.2", points=1)
def test_count_parameters_nested(ch02):
    net = nn.Sequential(nn.Linear(4, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 2, bias=False)))
    assert ch02.count_parameters(net) == 4 * 3 + 3 + 3 * 2
    assert isinstance(ch02.count_parameters(net), int)
    assert ch02.count_parameters(nn.ReLU()) == 0


@pytest.mark.exercise("ch02.2", points=1)
def test_count_parameters_trainable_only_and_shared(ch02):
    shared = nn.Linear(5, 5)
    net = nn.Sequential(shared, nn.Tanh(), shared, nn.Linear(5, 2))
    assert ch02.count_parameters(net) == 30 + 12
    net[3].weight.requires_grad_(False)
    assert ch02.count_parameters(net, trainable_only=True) == 30 + 2
    assert ch02.count_parameters(net, trainable_only=False) == 42


@pytest.mark.exercise("ch02.3", points=1)
def test_residual_block_structure(ch02):
    block = ch02.ResidualBlock(6, 10)
    assert isinstance(block, nn.Module)
    assert [(name, type(m)) for name, m in block.named_children()] == [("fc1", nn.Linear), ("fc2", nn.Linear)]
    assert (block.fc1.in_features, block.fc1.out_features) == (6, 10)
    assert (block.fc2.in_features, block.fc2.out_features) == (10, 6)


@pytest.mark.exercise("ch02.3", points=2)
def test_residual_block_forward_and_backward(ch02):
    torch.manual_seed(0)
    block = ch02.ResidualBlock(3, 4)
    x = torch.randn(2, 3, requires_grad=True)
    y = block(x)
    expected = x + block.fc2(torch.relu(block.fc1(x)))
    assert y.shape == x.shape
    assert torch.allclose(y, expected)
    with torch.no_grad():
        block.fc2.weight.zero_()
        block.fc2.bias.zero_()
    assert torch.equal(block(x), x)  # a zeroed second layer makes the block the identity
    block(x).sum().backward()
    assert torch.equal(x.grad, torch.ones(2, 3))
