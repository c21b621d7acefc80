"""Graded tests for chapter 04 (module state): buffers, state_dict round trips, extra state."""
import io

import pytest

import minitorch as torch
from minitorch import nn


# ----- ch04.1 RunningMean -------------------------------------------------------------------------------
@pytest.mark.exercise("ch04.1", points=2)
def test_running_mean_buffer(ch04):
    m = ch04.RunningMean(3, momentum=0.5)
    assert list(m.parameters()) == []
    assert [name for name, _ in m.named_buffers()] == ["mean"]
    assert list(m.state_dict().keys()) == ["mean"]
    assert torch.equal(m.mean, torch.zeros(3))
    out = m(torch.tensor([2.0, 4.0, -2.0]))
    assert torch.allclose(out, torch.tensor([1.0, 2.0, -1.0]))
    m(torch.tensor([2.0, 4.0, -2.0]))
    assert torch.allclose(m.mean, torch.tensor([1.5, 3.0, -1.5]))
    assert ch04.RunningMean(2).momentum == 0.9


@pytest.mark.exercise("ch04.1", points=2)
def test_running_mean_matches_formula_and_round_trip(ch04):
    torch.manual_seed(0)
    m = ch04.RunningMean(4)
    expected = torch.zeros(4)
    for _ in range(10):
        x = torch.randn(4, requires_grad=True)
        m(x)
        expected = 0.9 * expected + 0.1 * x.detach()
    assert torch.allclose(m.mean, expected)
    assert not m.mean.requires_grad
    buffer = io.BytesIO()
    torch.save(m.state_dict(), buffer)
    buffer.seek(0)
    loaded = ch04.RunningMean(4)
    assert repr(loaded.load_state_dict(torch.load(buffer))) == "<All keys matched successfully>"
    assert torch.equal(loaded.mean, m.mean)
    m.to(torch.float64)
    assert m.mean.dtype == torch.float64


# ----- ch04.2 copy_matching -----------------------------------------------------------------------------
@pytest.mark.exercise("ch04.2", points=2)
def test_copy_matching_between_models(ch04):
    torch.manual_seed(0)
    old = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    new = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 5))
    source, target = old.state_dict(), new.state_dict()
    untouched = target["2.weight"].clone()
    copied, skipped = ch04.copy_matching(source, target)
    assert copied == ["0.bias", "0.weight"]
    assert skipped == ["2.bias", "2.weight"]
    assert torch.equal(target["0.weight"], source["0.weight"])
    assert torch.equal(target["2.weight"], untouched)
    assert repr(new.load_state_dict(target)) == "<All keys matched successfully>"
    assert torch.equal(new[0].weight, old[0].weight)


@pytest.mark.exercise("ch04.2", points=1)
def test_copy_matching_extra_keys_and_no_sharing(ch04):
    source = {"a": torch.ones(2), "b": torch.zeros(3), "z": torch.ones(1)}
    target = {"a": torch.zeros(2), "b": torch.zeros(4), "c": torch.full((2,), 7.0)}
    copied, skipped = ch04.copy_matching(source, target)
    assert copied == ["a"] and skipped == ["b", "z"]
    assert set(target) == {"a", "b", "c"}
    assert torch.equal(target["c"], torch.full((2,), 7.0))
    source["a"].add_(5.0)
    assert torch.equal(target["a"], torch.ones(2))


# ----- ch04.3 Counter with extra state --------------------------------------------------------------------
@pytest.mark.exercise("ch04.3", points=2)
def test_counter_extra_state_round_trip(ch04):
    c = ch04.Counter()
    x = torch.randn(2, 3)
    for _ in range(3):
        assert torch.equal(c(x), x)
    assert c.calls == 3
    state = c.state_dict()
    assert list(state.keys()) == ["_extra_state"]
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    fresh = ch04.Counter()
    assert fresh.calls == 0
    fresh.load_state_dict(torch.load(buffer))
    assert fresh.calls == 3
    fresh(x)
    assert fresh.calls == 4 and c.calls == 3


@pytest.mark.exercise("ch04.3", points=1)
def test_counter_inside_a_model(ch04):
    model = nn.Sequential(nn.Linear(2, 2), ch04.Counter())
    model(torch.randn(1, 2))
    model(torch.randn(1, 2))
    assert list(model.state_dict().keys()) == ["0.weight", "0.bias", "1._extra_state"]
    other = nn.Sequential(nn.Linear(2, 2), ch04.Counter())
    other.load_state_dict(model.state_dict())
    assert other[1].calls == 2
