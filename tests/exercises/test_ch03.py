"""Graded tests for chapter 03 (training with modules). Random cases are drawn afresh on every run; the
expected updates are minitorch's torch.optim.SGD (which matches PyTorch's)."""
import math
import random

import pytest

import minitorch as torch
from grader.checks import check, check_close, check_equal, check_own_class, check_raises
from minitorch import nn
from minitorch.utils.data import DataLoader, TensorDataset

SETTINGS = ("lr", "momentum", "dampening", "weight_decay", "nesterov")
FIXED_SETTINGS = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1},
    {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01, "nesterov": True},
]


def _random_settings(rng):
    momentum = rng.choice([0, rng.uniform(0.1, 0.95)])
    nesterov = momentum > 0 and rng.random() < 0.4
    return {"lr": rng.uniform(0.01, 0.2), "momentum": momentum, "dampening": 0 if nesterov else rng.choice([0, 0.2]),
            "weight_decay": rng.choice([0, 0.05]), "nesterov": nesterov}


def _twin_models(seed):
    """Two small networks with identical weights."""
    torch.manual_seed(seed)
    a = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    b = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    b.load_state_dict(a.state_dict())
    return a, b


def _train_step(model, optimizer, x, y):
    optimizer.zero_grad()
    ((model(x) - y) ** 2).mean().backward()
    optimizer.step()


# ----- ch03.1 MySGD -------------------------------------------------------------------------------------
@pytest.mark.exercise("ch03.1", points=1)
def test_my_sgd_is_built_from_scratch(ch03):
    """MySGD is a plain class, not a torch.optim optimizer"""
    ch03.MySGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    check_own_class(ch03.MySGD, [torch.optim.Optimizer, torch.optim.SGD], "MySGD")


@pytest.mark.exercise("ch03.1", points=3)
def test_my_sgd_updates_match_sgd(ch03):
    """parameters and momentum buffers match torch.optim.SGD step by step"""
    rng = random.Random()
    for settings in FIXED_SETTINGS + [_random_settings(rng) for _ in range(4)]:
        mine, ref = _twin_models(rng.randrange(2**31))
        unused = nn.Parameter(torch.ones(2))  # never gets a gradient: must be left alone, without state
        opt_mine = ch03.MySGD(list(mine.parameters()) + [unused], **settings)
        opt_ref = torch.optim.SGD(ref.parameters(), **settings)
        for step in range(1, 5):
            x, y = torch.randn(6, 3), torch.randn(6, 2)
            _train_step(mine, opt_mine, x, y)
            _train_step(ref, opt_ref, x, y)
            for (name, p), q in zip(mine.named_parameters(), ref.parameters()):
                check_close(p, q, f"{name} after step {step} with {settings}")
                if settings.get("momentum"):
                    check_close(opt_mine.state[p]["momentum_buffer"], opt_ref.state[q]["momentum_buffer"],
                                f"momentum buffer of {name} after step {step} with {settings}")
        check_equal(unused.detach(), torch.ones(2), "a parameter without a gradient after the steps")
        check(unused not in opt_mine.state, "a parameter that never had a gradient has no state",
              got=opt_mine.state.get(unused))
    p = nn.Parameter(torch.ones(2))
    step_once = ch03.MySGD([p], lr=0.5)
    p.grad = torch.ones(2)
    step_once.step()
    check(p.grad_fn is None and p.requires_grad and p.is_leaf, "after step() the parameter is still a trainable leaf",
          got=(p.grad_fn, p.requires_grad))
    step_once.zero_grad()
    check(p.grad is None, "zero_grad() sets .grad to None", got=p.grad)


@pytest.mark.exercise("ch03.1", points=2)
def test_my_sgd_param_groups(ch03):
    """per-group settings, and changing a group's lr takes effect"""
    mine, ref = _twin_models(random.randrange(2**31))
    groups = lambda m: [{"params": m[0].parameters(), "lr": 0.2, "nesterov": True},  # noqa: E731
                        {"params": m[2].parameters(), "momentum": 0.5, "dampening": 0.1}]
    opt_mine = ch03.MySGD(groups(mine), lr=0.05, momentum=0.9)
    opt_ref = torch.optim.SGD(groups(ref), lr=0.05, momentum=0.9)
    check_equal([{k: g[k] for k in SETTINGS} for g in opt_mine.param_groups],
                [{k: g[k] for k in SETTINGS} for g in opt_ref.param_groups], "settings of each param group")
    check_equal([[id(p) for p in g["params"]] for g in opt_mine.param_groups], [[id(p) for p in m.parameters()]
                for m in (mine[0], mine[2])], "the parameters of each group (as ids)")
    for step in range(1, 6):
        if step == 3:
            for opt in (opt_mine, opt_ref):
                opt.param_groups[0]["lr"] *= 0.5
        x, y = torch.randn(5, 3), torch.randn(5, 2)
        _train_step(mine, opt_mine, x, y)
        _train_step(ref, opt_ref, x, y)
        for (name, p), q in zip(mine.named_parameters(), ref.parameters()):
            check_close(p, q, f"{name} after step {step} (group 0's lr halved before step 3)")
    extra = nn.Parameter(torch.zeros(1))
    opt_mine.add_param_group({"params": [extra], "lr": 1.0})
    check_equal({k: opt_mine.param_groups[2][k] for k in SETTINGS},
                {"lr": 1.0, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": False},
                "settings of a group added with add_param_group({'params': [...], 'lr': 1.0})")


@pytest.mark.exercise("ch03.1", points=1)
def test_my_sgd_errors(ch03):
    """invalid settings raise ValueError in torch's words"""
    p = nn.Parameter(torch.zeros(1))
    cases = [({"lr": -1}, "Invalid learning rate: -1"), ({"lr": 0.1, "momentum": -1}, "Invalid momentum value: -1"),
             ({"lr": 0.1, "weight_decay": -1}, "Invalid weight_decay value: -1"),
             ({"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
             ({"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True},
              "Nesterov momentum requires a momentum and zero dampening")]
    for kwargs, message in cases:
        with check_raises(ValueError, f"MySGD([p], **{kwargs})", match=message):
            ch03.MySGD([p], **kwargs)
    with check_raises(ValueError, "MySGD([], lr=0.1)", match="optimizer got an empty parameter list"):
        ch03.MySGD([], lr=0.1)
    with check_raises(ValueError, "the same parameter in two groups",
                      match="some parameters appear in more than one parameter group"):
        ch03.MySGD([{"params": [p]}, {"params": [p]}], lr=0.1)


@pytest.mark.exercise("ch03.1", points=2)
def test_my_sgd_state_dict_round_trip(ch03):
    """state_dict has torch's layout; loading it continues training exactly"""
    rng = random.Random()
    seed = rng.randrange(2**31)
    mine, ref = _twin_models(seed)
    groups = lambda m: [{"params": m[0].parameters()}, {"params": m[2].parameters(), "lr": 0.02}]  # noqa: E731
    opt_mine = ch03.MySGD(groups(mine), lr=0.1, momentum=0.9)
    opt_ref = torch.optim.SGD(groups(ref), lr=0.1, momentum=0.9)
    batches = [(torch.randn(4, 3), torch.randn(4, 2)) for _ in range(5)]
    for x, y in batches[:3]:
        _train_step(mine, opt_mine, x, y)
        _train_step(ref, opt_ref, x, y)
    saved, expected = opt_mine.state_dict(), opt_ref.state_dict()
    check_equal([{k: g[k] for k in (*SETTINGS, "params")} for g in saved["param_groups"]],
                [{k: g[k] for k in (*SETTINGS, "params")} for g in expected["param_groups"]],
                "state_dict()['param_groups'] (settings and parameter indices)")
    check_equal(sorted(saved["state"]), sorted(expected["state"]), "the indices in state_dict()['state']")
    for index, state in expected["state"].items():
        check_close(saved["state"][index]["momentum_buffer"], state["momentum_buffer"],
                    f"state_dict()['state'][{index}]['momentum_buffer']")

    resumed, _ = _twin_models(seed)
    resumed.load_state_dict(mine.state_dict())
    opt_resumed = ch03.MySGD(groups(resumed), lr=0.5, momentum=0.1)
    opt_resumed.load_state_dict(saved)
    check_equal([g["lr"] for g in opt_resumed.param_groups], [0.1, 0.02], "lr of each group after load_state_dict")
    for x, y in batches[3:]:
        _train_step(mine, opt_mine, x, y)
        _train_step(resumed, opt_resumed, x, y)
    for (name, p), q in zip(resumed.named_parameters(), mine.parameters()):
        check_close(p, q, f"{name}: resumed from state_dict vs trained straight through")
    with check_raises(ValueError, "loading a state_dict with another number of groups",
                      match="loaded state dict has a different number of parameter groups"):
        ch03.MySGD(resumed.parameters(), lr=0.1).load_state_dict(saved)
    with check_raises(ValueError, "loading a state_dict whose groups have other sizes",
                      match="loaded state dict contains a parameter group that doesn't match the size"):
        ch03.MySGD([{"params": [resumed[0].weight]}, {"params": [resumed[0].bias, *resumed[2].parameters()]}],
                   lr=0.1).load_state_dict(saved)


# ----- ch03.2 predict_momentum_buffer --------------------------------------------------------------------
def momentum_buffers(steps=200):
    """The momentum buffer of SGD(lr=0.1, momentum=0.9) after each step with the gradient 1.0."""
    p = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    buffers = []
    for _ in range(steps):
        p.grad = torch.ones(1)
        optimizer.step()
        buffers.append(optimizer.state[p]["momentum_buffer"].item())
    return buffers


@pytest.mark.exercise("ch03.2", points=1)
def test_predicted_momentum_buffer(ch03):
    """your prediction of the momentum buffer under a constant gradient"""
    values, limit = ch03.predict_momentum_buffer()
    truth = momentum_buffers()
    check_close(list(values), truth[:3], "momentum buffer after steps 1, 2 and 3", atol=1e-4)
    check_close(limit, truth[-1], "the value the buffer approaches", atol=1e-3)


# ----- ch03.3 train_accumulating (debugging) ------------------------------------------------------------
class Recorder(nn.Module):
    """Passes its input through and records its training flag at every call."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append(self.training)
        return x


class CountingSGD(torch.optim.SGD):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.steps = 0

    def step(self, closure=None):
        self.steps += 1
        return super().step(closure)


def _reference_epoch(model, loader, loss_fn, optimizer, k):
    """The intended training loop, written the long way: groups of k batches, one step per group."""
    batches = list(loader)
    optimizer.zero_grad()
    total = 0.0
    for start in range(0, len(batches), k):
        for x, y in batches[start:start + k]:
            loss = loss_fn(model(x), y)
            (loss / k).backward()
            total += loss.item() * len(y)
        optimizer.step()
        optimizer.zero_grad()
    return total / sum(len(y) for _, y in batches)


@pytest.mark.exercise("ch03.3", points=3)
def test_train_accumulating_matches_the_intended_loop(ch03):
    """the same parameters, optimizer steps and mean loss as the intended loop"""
    rng = random.Random()
    cases = [(10, 4, 2), (12, 3, 2), (9, 2, 1), (7, 2, 8)] + [(rng.randint(5, 20), rng.randint(1, 5), rng.randint(1, 4))
                                                               for _ in range(3)]
    for n, batch_size, k in cases:
        seed = rng.randrange(2**31)
        torch.manual_seed(seed)
        data = TensorDataset(torch.randn(n, 3), torch.randn(n, 2))
        mine, ref = _twin_models(seed)
        label = f"{n} samples, batches of {batch_size}, accumulation_steps={k}"
        opt_mine = CountingSGD(mine.parameters(), lr=0.1, momentum=0.5)
        opt_ref = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.5)
        for p in mine.parameters():
            p.grad = torch.full_like(p, 100.0)  # left over from before: must not leak into the first step
        result = ch03.train_accumulating(mine, DataLoader(data, batch_size=batch_size), nn.MSELoss(), opt_mine, k)
        expected = _reference_epoch(ref, DataLoader(data, batch_size=batch_size), nn.MSELoss(), opt_ref, k)
        check_equal(opt_mine.steps, math.ceil(math.ceil(n / batch_size) / k), f"{label}: number of optimizer steps")
        for (name, p), q in zip(mine.named_parameters(), ref.parameters()):
            check_close(p, q, f"{label}: {name} after the epoch")
        check(isinstance(result, float), f"{label}: the result is a Python float", got=type(result).__name__)
        check_close(result, expected, f"{label}: mean loss per sample")


@pytest.mark.exercise("ch03.3", points=1)
def test_train_accumulating_trains_in_training_mode(ch03):
    """the model is put in training mode"""
    recorder = Recorder()
    model = nn.Sequential(nn.Linear(3, 2), recorder).eval()
    data = TensorDataset(torch.randn(6, 3), torch.randn(6, 2))
    ch03.train_accumulating(model, DataLoader(data, batch_size=3), nn.MSELoss(),
                            torch.optim.SGD(model.parameters(), lr=0.1), 2)
    check_equal(recorder.seen, [True, True], "the training flag at each forward call")
