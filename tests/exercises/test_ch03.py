"""Graded tests for chapter 03 (training with modules); `ch03` is the loaded exercise or solution file."""
import pytest

import minitorch as torch
from minitorch import nn
from minitorch.utils.data import DataLoader, TensorDataset


class Recorder(nn.Module):
    """Passes its input through and records (training flag, grad mode) at every call."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, torch.is_grad_enabled()))
        return x


def _twin_models():
    """Two small networks with identical weights (plus an unused layer whose grads stay None)."""
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    b = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    b.load_state_dict(a.state_dict())
    return a, b


SGD_SETTINGS = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1},
    {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01, "nesterov": True},
]


def _run_both(ch03, settings):
    """Five identical training steps with MySGD and torch.optim.SGD; returns both models and an unused param."""
    mine, ref = _twin_models()
    unused = nn.Parameter(torch.ones(2))  # never gets a gradient: must be left alone
    opt_mine = ch03.MySGD(list(mine.parameters()) + [unused], **settings)
    opt_ref = torch.optim.SGD(ref.parameters(), **settings)
    torch.manual_seed(1)
    for _ in range(5):
        x, y = torch.randn(6, 3), torch.randn(6, 2)
        for model, opt in ((mine, opt_mine), (ref, opt_ref)):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()
    return mine, ref, unused


@pytest.mark.exercise("ch03.1", points=3)
def test_my_sgd_matches_optim_sgd(ch03):
    for settings in SGD_SETTINGS:
        mine, ref, unused = _run_both(ch03, settings)
        for p, q in zip(mine.parameters(), ref.parameters()):
            assert torch.allclose(p, q, atol=1e-6), settings
        assert torch.equal(unused, torch.ones(2))


@pytest.mark.exercise("ch03.1", points=1)
def test_my_sgd_zero_grad_and_no_graph(ch03):
    mine, _ = _twin_models()
    opt = ch03.MySGD(mine.parameters(), lr=0.1, momentum=0.9)
    mine(torch.randn(2, 3)).sum().backward()
    opt.step()
    assert all(p.grad_fn is None and p.requires_grad for p in mine.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in mine.parameters())


def _data():
    torch.manual_seed(2)
    return TensorDataset(torch.randn(10, 3), torch.randn(10, 2))


@pytest.mark.exercise("ch03.2", points=2)
def test_train_one_epoch_matches_reference_loop(ch03):
    mine, ref = _twin_models()
    loader = DataLoader(_data(), batch_size=4)  # batches of 4, 4 and 2 samples
    loss_fn = nn.MSELoss()
    result = ch03.train_one_epoch(mine, loader, loss_fn, torch.optim.SGD(mine.parameters(), lr=0.1))

    opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    total = 0.0
    for x, y in loader:
        loss = loss_fn(ref(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(y)
    assert isinstance(result, float)
    assert result == pytest.approx(total / 10, rel=1e-6)
    for p, q in zip(mine.parameters(), ref.parameters()):
        assert torch.allclose(p, q, atol=1e-6)


@pytest.mark.exercise("ch03.2", points=1)
def test_train_one_epoch_uses_training_mode(ch03):
    recorder = Recorder()
    model = nn.Sequential(nn.Linear(3, 2), recorder).eval()
    ch03.train_one_epoch(model, DataLoader(_data(), batch_size=5), nn.MSELoss(),
                         torch.optim.SGD(model.parameters(), lr=0.1))
    assert recorder.seen == [(True, True), (True, True)]


def _classifier():
    """A fixed linear classifier over 2 features and 3 classes, and 6 samples of which it gets 4 right."""
    model = nn.Linear(2, 3, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))
    x = torch.tensor([[2.0, 0.0], [0.0, 3.0], [-1.0, -2.0], [1.0, 0.5], [0.2, 1.0], [-3.0, 0.0]])
    y = torch.tensor([0, 1, 2, 1, 1, 0])  # predictions: 0, 1, 2, 0, 1, 2
    return model, TensorDataset(x, y)


@pytest.mark.exercise("ch03.3", points=2)
def test_accuracy_value(ch03):
    model, data = _classifier()
    for batch_size in (1, 4, 6):
        result = ch03.accuracy(model, DataLoader(data, batch_size=batch_size))
        assert isinstance(result, float)
        assert result == pytest.approx(4 / 6)


@pytest.mark.exercise("ch03.3", points=1)
def test_accuracy_eval_mode_without_grad(ch03):
    model, data = _classifier()
    recorder = Recorder()
    wrapped = nn.Sequential(model, recorder).train()
    assert ch03.accuracy(wrapped, DataLoader(data, batch_size=4)) == pytest.approx(4 / 6)
    assert recorder.seen == [(False, False), (False, False)]
    assert torch.is_grad_enabled()
