"""Graded tests for chapter 04 (module state). Random module trees are drawn afresh on every run; the
expected state dicts, results and error messages come from minitorch's nn.Module (which match PyTorch's)."""
import io
import random

import pytest

import minitorch as torch
from grader.checks import calls_forbidden, check, check_close, check_equal
from minitorch import nn


class Stateful(nn.Module):
    """Every kind of state: a parameter, a None slot, persistent, non-persistent and None buffers."""

    def __init__(self, n):
        super().__init__()
        self.register_buffer("running", torch.randn(n))
        self.weight = nn.Parameter(torch.randn(n, 2))
        self.register_parameter("unused", None)
        self.register_buffer("cache", torch.randn(n), persistent=False)
        self.register_buffer("empty", None)


class WithExtra(nn.Module):
    """Keeps a Python value as extra state."""

    def __init__(self):
        super().__init__()
        self.info = {"seen": random.randint(0, 1000)}
        self.scale = nn.Parameter(torch.randn(1))

    def get_extra_state(self):
        return dict(self.info)

    def set_extra_state(self, state):
        self.info = dict(state)


def _random_model(rng, depth=0):
    """A random tree of Linear, BatchNorm1d, Stateful and WithExtra modules, with a child under two names."""
    parts = [rng.choice([lambda: nn.Linear(2, rng.randint(1, 3), bias=rng.random() < 0.7), lambda: nn.BatchNorm1d(2),
                         lambda: Stateful(rng.randint(1, 3)), WithExtra])() for _ in range(rng.randint(1, 3))]
    if depth < 2 and rng.random() < 0.6:
        parts.append(_random_model(rng, depth + 1))
    model = Stateful(2) if rng.random() < 0.5 else nn.Module()
    for i, part in enumerate(parts):
        setattr(model, f"part{i}", part)
    if rng.random() < 0.5:
        model.again = parts[0]
    return model


def _twin(rng):
    """The same random structure twice, with different values."""
    state = rng.getstate()
    torch.manual_seed(rng.randrange(2**31))
    first = _random_model(rng)
    rng.setstate(state)
    torch.manual_seed(rng.randrange(2**31) + 1)
    return first, _random_model(rng)


STATE_METHODS = ("state_dict", "_save_to_state_dict", "load_state_dict", "_load_from_state_dict")


def _mine_state_dict(ch04, model, prefix=""):
    with calls_forbidden(nn.Module, STATE_METHODS, "state_dict_of builds the dict"):
        return ch04.state_dict_of(model, prefix)


def _mine_load(ch04, model, state_dict, strict=True):
    with calls_forbidden(nn.Module, STATE_METHODS, "load_state_into loads"):
        return ch04.load_state_into(model, state_dict, strict)


def _load_error(load):
    """The message of the RuntimeError `load()` raises, or None."""
    try:
        load()
    except NotImplementedError:  # still the exercise stub
        raise
    except RuntimeError as exc:
        return str(exc)
    return None


# ----- ch04.1 state_dict_of / load_state_into -------------------------------------------------------------
@pytest.mark.exercise("ch04.1", points=3)
def test_state_dict_of_matches_state_dict(ch04):
    """state_dict_of gives state_dict's keys, values and extra state, detached"""
    rng = random.Random()
    for case in range(10):
        model = _random_model(rng)
        for prefix in ("", "net."):
            mine, ref = _mine_state_dict(ch04, model, prefix), model.state_dict(prefix=prefix)
            check_equal(list(mine), list(ref), f"random model {case}: keys of state_dict_of(model, prefix={prefix!r})")
            for key, value in ref.items():
                if isinstance(value, torch.Tensor):
                    check_equal(mine[key], value, f"random model {case}: state_dict_of(...)[{key!r}]")
                    check(not mine[key].requires_grad, f"random model {case}: {key!r} is detached",
                          got=mine[key].requires_grad)
                else:
                    check_equal(mine[key], value, f"random model {case}: extra state {key!r}")


@pytest.mark.exercise("ch04.1", points=2)
def test_load_state_into_copies_in_place(ch04):
    """load_state_into copies every entry into the existing tensors"""
    rng = random.Random()
    for case in range(10):
        source, target = _twin(rng)
        params = {name: p for name, p in target.named_parameters()}
        saved = source.state_dict()
        result = _mine_load(ch04, target, saved)
        check_equal(repr(result), "<All keys matched successfully>", f"random model {case}: repr of the result")
        for key, value in source.state_dict().items():
            check_equal(target.state_dict()[key], value, f"random model {case}: {key!r} after loading")
        check(all(p is params[name] for name, p in target.named_parameters()),
              f"random model {case}: the parameters are the same objects after loading")
        for key, value in saved.items():
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                value.add_(1.0)
                check(not torch.equal(target.state_dict()[key], value),
                      f"random model {case}: {key!r} is a copy, not the checkpoint's tensor")


def _mismatched(model, rng):
    """model's state_dict with some keys dropped and unexpected ones added (in the order torch reports them)."""
    state = model.state_dict()
    keys = list(state)
    for key in rng.sample(keys, rng.randint(1, len(keys))):
        del state[key]
    extra = {}
    for prefix, _ in model.named_modules(remove_duplicate=False):
        if rng.random() < 0.3:
            extra[f"{prefix}.bogus" if prefix else "bogus"] = torch.zeros(1)
    return {**state, **extra}


@pytest.mark.exercise("ch04.1", points=2)
def test_load_state_into_missing_and_unexpected(ch04):
    """missing and unexpected keys: returned when not strict, torch's error when strict"""
    rng = random.Random()
    for case in range(10):
        source, target = _twin(rng)
        state = _mismatched(source, rng)
        mine = _mine_load(ch04, target, state, strict=False)
        ref = source.load_state_dict(state, strict=False)
        check_equal((list(mine.missing_keys), list(mine.unexpected_keys)), (ref.missing_keys, ref.unexpected_keys),
                    f"random model {case}: (missing_keys, unexpected_keys) with strict=False")
        check_equal(repr(mine), repr(ref), f"random model {case}: repr of the result with strict=False")
        if ref.missing_keys or ref.unexpected_keys:
            check_equal(_load_error(lambda: _mine_load(ch04, target, state)),
                        _load_error(lambda: source.load_state_dict(state)),
                        f"random model {case}: the RuntimeError message with strict=True")


@pytest.mark.exercise("ch04.1", points=1)
def test_load_state_into_size_mismatch(ch04):
    """a shape mismatch is an error, strict or not, in torch's words"""
    rng = random.Random()
    for case in range(6):
        source, target = _twin(rng)
        state = source.state_dict()
        tensors = [key for key, value in state.items() if isinstance(value, torch.Tensor) and value.dim() > 0]
        for key in rng.sample(tensors, rng.randint(1, min(2, len(tensors)))):
            state[key] = torch.zeros(*[n + 1 for n in state[key].shape])
        if rng.random() < 0.5:
            del state[next(iter(state))]
        for strict in (True, False):
            check_equal(_load_error(lambda: _mine_load(ch04, target, state, strict)),
                        _load_error(lambda: source.load_state_dict(state, strict)),
                        f"random model {case}: the RuntimeError message with strict={strict}")


# ----- ch04.2 predict_state_dict_keys ---------------------------------------------------------------------
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))
        self.norm = nn.BatchNorm1d(2)
        self.scale = nn.Parameter(torch.ones(2))
        self.register_buffer("cache", torch.zeros(2), persistent=False)

    def get_extra_state(self):
        return {"version": 2}

    def set_extra_state(self, state):
        pass


class Puzzle(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Block(), Block()])
        self.head = nn.Linear(2, 1, bias=False)
        self.register_parameter("offset", None)
        self.tied = self.head


@pytest.mark.exercise("ch04.2", points=1)
def test_predicted_state_dict_keys(ch04):
    """your prediction of Puzzle().state_dict() keys"""
    check_equal(ch04.predict_state_dict_keys(), list(Puzzle().state_dict()), "the keys of Puzzle().state_dict()")


# ----- ch04.3 Standardizer (debugging) -------------------------------------------------------------------
def _trained_standardizer(ch04, calls):
    s = ch04.Standardizer(3, momentum=0.2)
    mean, var = torch.zeros(3), torch.ones(3)
    for _ in range(calls):
        x = torch.randn(8, 3) * 2 + 1
        s(x)
        mean, var = 0.8 * mean + 0.2 * x.mean(0), 0.8 * var + 0.2 * x.var(0)
    return s, mean, var


@pytest.mark.exercise("ch04.3", points=1)
def test_standardizer_statistics(ch04):
    """the running statistics follow the update rule, and eval mode leaves them alone"""
    calls = random.randint(2, 6)
    s, mean, var = _trained_standardizer(ch04, calls)
    check_close(s.mean, mean, f"mean after {calls} calls")
    check_close(s.var, var, f"var after {calls} calls")
    check_equal(s.count, calls, f"count after {calls} calls")
    s.eval()
    x = torch.randn(4, 3)
    check_close(s(x), (x - mean) / torch.sqrt(var + 1e-5), "output in evaluation mode")
    check_equal(s.count, calls, "count after a call in evaluation mode")


@pytest.mark.exercise("ch04.3", points=1)
def test_standardizer_state_round_trip(ch04):
    """state_dict holds mean, var and the count, and load_state_dict restores them"""
    s, mean, var = _trained_standardizer(ch04, 3)
    check_equal(list(s.state_dict()), ["mean", "var", "_extra_state"], "the keys of state_dict()")
    buffer = io.BytesIO()
    torch.save(s.state_dict(), buffer)
    buffer.seek(0)
    fresh = ch04.Standardizer(3, momentum=0.2)
    fresh.load_state_dict(torch.load(buffer))
    check_close(fresh.mean, mean, "mean of a fresh Standardizer after load_state_dict")
    check_equal(fresh.count, 3, "count of a fresh Standardizer after load_state_dict")


@pytest.mark.exercise("ch04.3", points=1)
def test_standardizer_no_history_and_to(ch04):
    """the statistics carry no autograd history and follow .to(float64)"""
    s = ch04.Standardizer(2)
    x = torch.randn(5, 2, requires_grad=True)
    s(x).sum().backward()
    check(not s.mean.requires_grad and s.mean.grad_fn is None, "mean after a call on an input that requires grad",
          expected="no grad_fn, requires_grad False", got=(s.mean.grad_fn, s.mean.requires_grad))
    s.to(torch.float64)
    check_equal((s.mean.dtype, s.var.dtype), (torch.float64, torch.float64),
                "dtypes of mean and var after .to(float64)")
    check_equal(s(torch.randn(3, 2, dtype=torch.float64)).dtype, torch.float64, "output dtype after .to(float64)")
