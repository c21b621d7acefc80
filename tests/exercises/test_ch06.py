"""Graded tests for chapter 06 (module hooks), checked against values computed without hooks."""
import pytest

import minitorch as torch
from minitorch import nn


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Sequential(nn.Linear(8, 8), nn.ReLU()), nn.Linear(8, 2))


# ----- ch06.1 ActivationStats ---------------------------------------------------------------------------
@pytest.mark.exercise("ch06.1", points=2)
def test_activation_stats_records_every_linear(ch06):
    model = _model()
    x = torch.randn(16, 4)
    recorder = ch06.ActivationStats(model)
    assert recorder.stats == {}
    assert len(recorder.handles) == 3
    out = model(x)
    assert set(recorder.stats) == {"0", "2.0", "3"}
    h0 = model[0](x)
    h1 = model[2][0](torch.tanh(h0))
    for name, value in (("0", h0), ("2.0", h1), ("3", out)):
        mean, std = recorder.stats[name]
        assert type(mean) is float and type(std) is float
        assert abs(mean - value.mean().item()) < 1e-5
        assert abs(std - value.std().item()) < 1e-5


@pytest.mark.exercise("ch06.1", points=1)
def test_activation_stats_remove(ch06):
    model = _model()
    recorder = ch06.ActivationStats(model)
    model(torch.randn(5, 4))
    before = dict(recorder.stats)
    recorder.remove()
    assert not model[0]._forward_hooks and not model[3]._forward_hooks
    model(torch.randn(5, 4) * 10)
    assert recorder.stats == before


# ----- ch06.2 add_input_clamp ---------------------------------------------------------------------------
@pytest.mark.exercise("ch06.2", points=2)
def test_input_clamp(ch06):
    torch.manual_seed(0)
    layer = nn.Linear(3, 2)
    x = torch.tensor([[-5.0, 0.5, 5.0], [0.1, -0.2, 2.0]])
    handle = ch06.add_input_clamp(layer, -1.0, 1.0)
    expected = layer.forward(x.clamp(-1.0, 1.0))
    assert torch.allclose(layer(x), expected)
    assert torch.equal(x, torch.tensor([[-5.0, 0.5, 5.0], [0.1, -0.2, 2.0]]))  # input not modified in place
    handle.remove()
    assert torch.allclose(layer(x), layer.forward(x))


@pytest.mark.exercise("ch06.2", points=1)
def test_input_clamp_gradient_and_extra_args(ch06):
    x = torch.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    ident = nn.Identity()
    ch06.add_input_clamp(ident, 0.0, 1.0)
    out = ident(x)
    assert torch.equal(out, torch.tensor([0.0, 0.5, 1.0]))
    out.sum().backward()
    assert torch.equal(x.grad, torch.tensor([0.0, 1.0, 0.0]))

    class Add(nn.Module):
        def forward(self, a, b):
            return a + b
    add = Add()
    ch06.add_input_clamp(add, 0.0, 1.0)
    assert torch.equal(add(torch.tensor([5.0]), torch.tensor([5.0])), torch.tensor([6.0]))


# ----- ch06.3 record_grad_norms -------------------------------------------------------------------------
@pytest.mark.exercise("ch06.3", points=2)
def test_record_grad_norms(ch06):
    model = _model()
    norms = {}
    handles = ch06.record_grad_norms(model, norms)
    assert len(handles) == 3
    x = torch.randn(6, 4, requires_grad=True)
    out = model(x)
    loss = out.pow(2).sum()
    loss.backward()
    assert set(norms) == {"0", "2.0", "3"}
    assert all(len(v) == 1 and type(v[0]) is float for v in norms.values())
    # dL/d(out) = 2 * out for the last layer
    assert abs(norms["3"][0] - (2 * out.detach()).norm().item()) < 1e-4
    # the first layer's output gradient, computed without hooks
    h0 = model[0](x)
    h0.retain_grad()
    model[3](model[2](torch.tanh(h0))).pow(2).sum().backward()
    assert abs(norms["0"][0] - h0.grad.norm().item()) < 1e-4
    assert len(norms["0"]) == 2  # the hook fired again during the second backward


@pytest.mark.exercise("ch06.3", points=1)
def test_record_grad_norms_remove(ch06):
    model = _model()
    norms = {}
    handles = ch06.record_grad_norms(model, norms)
    model(torch.randn(2, 4, requires_grad=True)).sum().backward()
    for h in handles:
        h.remove()
    model(torch.randn(2, 4, requires_grad=True)).sum().backward()
    assert all(len(v) == 1 for v in norms.values())
