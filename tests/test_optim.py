"""torch.optim optimizers against the real torch: the same parameters and gradients must give the same
updates and state (for every option in the table), state_dict round trips, errors and reprs."""
import numpy as np
import pytest

import minitorch

SHAPES = [(3, 4), (5,), (70000,)]  # the last is larger than one cache slice

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1, "maximize": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "maximize": True}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.9), "eps": 1e-3, "decoupled_weight_decay": True,
              "weight_decay": 0.1}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.5, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "weight_decay": 0.1, "maximize": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "eps": 1e-4}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.1, "eps": 1e-3, "maximize": True}),
]


def _pair(torch, name, kwargs, seed=0, groups=False):
    """(minitorch params, minitorch optimizer, torch params, torch optimizer) from the same initial values."""
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    ours = [minitorch.nn.Parameter(minitorch.tensor(v)) for v in values]
    theirs = [torch.nn.Parameter(torch.tensor(v)) for v in values]

    def build(lib, params):
        spec = [{"params": params[:1], "lr": 0.03}, {"params": params[1:]}] if groups else params
        return getattr(lib.optim, name)(spec, **kwargs)
    return ours, build(minitorch, ours), theirs, build(torch, theirs)


def _set_grads(torch, ours, theirs, rng):
    for a, b in zip(ours, theirs):
        g = rng.standard_normal(a.shape).astype(np.float32)
        a.grad = minitorch.tensor(g)
        b.grad = torch.tensor(g)


def _close(actual, desired):
    """Equal to 1e-6 relative to the array's scale (float32 rounding of large terms that cancel)."""
    np.testing.assert_allclose(actual, desired, rtol=1e-6, atol=1e-6 * max(1.0, float(np.abs(desired).max())))


def _assert_same(torch, ours, theirs, opt, topt):
    for a, b in zip(ours, theirs):
        _close(a.detach().numpy(), b.detach().numpy())
    for a, b in zip(ours, theirs):
        mine, ref = opt.state[a], topt.state[b]
        assert list(mine) == list(ref)
        for key in ref:
            assert str(mine[key].dtype) == str(ref[key].dtype) and mine[key].shape == ref[key].shape
            _close(mine[key].numpy(), ref[key].numpy())


def _run(torch, ours, opt, theirs, topt, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        _set_grads(torch, ours, theirs, rng)
        opt.step()
        topt.step()
        _assert_same(torch, ours, theirs, opt, topt)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_updates_match_torch(torch, name, kwargs):
    ours, opt, theirs, topt = _pair(torch, name, kwargs, groups=True)
    _run(torch, ours, opt, theirs, topt, 5, seed=1)
    assert opt.param_groups[0]["lr"] == topt.param_groups[0]["lr"]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_state_dict_round_trip(torch, name, kwargs):
    ours, opt, theirs, topt = _pair(torch, name, kwargs)
    _run(torch, ours, opt, theirs, topt, 2, seed=2)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert list(sd["state"]) == list(tsd["state"])
    # a fresh optimizer (other hyper-parameters) loaded from the state continues as the original does
    fresh = getattr(minitorch.optim, name)(ours, lr=123.0)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == topt.param_groups[0]["lr"]
    assert fresh.param_groups[0]["params"][0] is ours[0]
    tfresh = getattr(torch.optim, name)(theirs, lr=123.0)
    tfresh.load_state_dict(tsd)
    _run(torch, ours, fresh, theirs, tfresh, 2, seed=3)


def test_state_survives_save_and_load(tmp_path):
    p = minitorch.nn.Parameter(minitorch.ones(3))
    opt = minitorch.optim.Adam([p], lr=0.1)
    p.grad = minitorch.ones(3)
    opt.step()
    minitorch.save(opt.state_dict(), tmp_path / "opt.pt")
    loaded = minitorch.load(tmp_path / "opt.pt")
    assert loaded["state"][0]["step"].item() == 1.0
    other = minitorch.optim.Adam([minitorch.nn.Parameter(minitorch.ones(3))])
    other.load_state_dict(loaded)
    assert other.param_groups[0]["lr"] == 0.1


def test_skips_params_without_grad_and_closure_returns_loss(torch):
    a = minitorch.nn.Parameter(minitorch.ones(2))
    b = minitorch.nn.Parameter(minitorch.ones(2))
    opt = minitorch.optim.Adam([a, b], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss
    loss = opt.step(closure)
    assert loss.item() == 2.0
    assert b.tolist() == [1.0, 1.0] and b not in opt.state
    np.testing.assert_allclose(a.detach().numpy(), [0.9, 0.9], rtol=1e-6)
    assert a._version > 0  # in-place update bumps the version, as torch's does


def test_zero_grad():
    p = minitorch.nn.Parameter(minitorch.ones(2))
    opt = minitorch.optim.SGD([p], lr=0.1)
    p.grad = minitorch.ones(2)
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_reprs_match_torch(torch):
    for name, kwargs in CASES:
        _, opt, _, topt = _pair(torch, name, kwargs, groups=True)
        assert repr(opt) == repr(topt)
    assert repr(minitorch.optim.optimizer.required) == "<required parameter>"


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", {"lr": -0.1}), ("SGD", {"momentum": -1}), ("SGD", {"weight_decay": -1}),
    ("SGD", {"nesterov": True}), ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
    ("Adam", {"lr": -1.0}), ("Adam", {"eps": -1.0}), ("Adam", {"betas": (1.0, 0.9)}),
    ("Adam", {"betas": (0.9, -0.1)}), ("Adam", {"weight_decay": -0.5}), ("Adam", {"betas": (0, 0.9)}),
    ("AdamW", {"lr": -0.01}), ("RMSprop", {"alpha": -1}), ("RMSprop", {"momentum": -1}),
    ("RMSprop", {"eps": -1}), ("Adagrad", {"lr_decay": -1}), ("Adagrad", {"initial_accumulator_value": -1}),
    ("Adagrad", {"eps": -1}), ("Adagrad", {"weight_decay": -2}),
])
def test_invalid_hyper_parameters(torch, name, kwargs):
    ours = _error(lambda: getattr(minitorch.optim, name)([minitorch.nn.Parameter(minitorch.ones(1))], **kwargs))
    theirs = _error(lambda: getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))], **kwargs))
    assert ours[0].__name__ == theirs[0].__name__ and ours[1] == theirs[1]


def test_param_group_errors(torch):
    cases = [
        lambda lib, p: lib.optim.SGD(p),
        lambda lib, p: lib.optim.SGD([]),
        lambda lib, p: lib.optim.SGD([p, 3]),
        lambda lib, p: lib.optim.SGD([p * 2]),
        lambda lib, p: lib.optim.SGD([p]).add_param_group({"params": [p]}),
        lambda lib, p: lib.optim.SGD([p]).add_param_group({"params": {lib.nn.Parameter(lib.ones(1))}}),
        lambda lib, p: lib.optim.SGD([p]).add_param_group([p]),
        lambda lib, p: lib.optim.SGD([p]).load_state_dict({"state": {}, "param_groups": []}),
        lambda lib, p: lib.optim.SGD([p]).load_state_dict({"state": {}, "param_groups": [{"params": [0, 1]}]}),
        lambda lib, p: lib.optim.SGD([("w", p), lib.nn.Parameter(lib.ones(1))]),
        lambda lib, p: lib.optim.SGD([("w", p)]).add_param_group({"params": [lib.nn.Parameter(lib.ones(1))]}),
    ]
    for case in cases:
        ours = _error(lambda: case(minitorch, minitorch.nn.Parameter(minitorch.ones(2))))
        theirs = _error(lambda: case(torch, torch.nn.Parameter(torch.ones(2))))
        assert (ours[0].__name__, ours[1]) == (theirs[0].__name__, theirs[1])
    p = minitorch.nn.Parameter(minitorch.ones(2))
    with pytest.warns(UserWarning, match="duplicate parameters"):
        minitorch.optim.SGD([p, p])


def test_named_params_and_added_group_in_state_dict(torch):
    sds = []
    for lib in (minitorch, torch):
        a, b = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.SGD([("a", a)], lr=0.1)
        opt.add_param_group({"params": [("b", b)], "momentum": 0.5})
        sds.append(opt.state_dict())
    assert sds[0] == sds[1]


def test_step_hooks():
    p = minitorch.nn.Parameter(minitorch.ones(1))
    opt = minitorch.optim.SGD([p], lr=1.0)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt)))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o is opt)))
    p.grad = minitorch.ones(1)
    opt.step()
    pre.remove()
    opt.step()
    assert calls == [("pre", True), ("post", True), ("post", True)]
    assert p.tolist() == [-1.0]


def test_custom_optimizer_subclass():
    class Sign(minitorch.optim.Optimizer):
        def __init__(self, params, lr=minitorch.optim.optimizer.required):
            super().__init__(params, {"lr": lr})

        @minitorch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p -= group["lr"] * p.grad.sign()

    p = minitorch.nn.Parameter(minitorch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        Sign([p])
    opt = Sign([p], lr=0.5)
    p.grad = minitorch.tensor([3.0, -2.0])
    opt.step()
    assert p.tolist() == [0.5, -0.5]


def test_trains_a_linear_model(torch):
    """Same model, data and optimizer in both libraries: the losses agree over a short training run."""
    losses = []
    for lib in (minitorch, torch):
        lib.manual_seed(0)
        model = lib.nn.Linear(4, 1)
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((32, 4)).astype(np.float32))
        y = lib.tensor(rng.standard_normal((32, 1)).astype(np.float32))
        with lib.no_grad():
            model.weight.copy_(lib.tensor([[0.1, -0.2, 0.3, 0.0]]))
            model.bias.zero_()
        opt = lib.optim.AdamW(model.parameters(), lr=0.05)
        run = []
        for _ in range(20):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            run.append(loss.item())
        losses.append(run)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    assert losses[0][-1] < losses[0][0]


@pytest.mark.cuda
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_cuda_updates_match_cpu(name, kwargs):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    cpu = [minitorch.nn.Parameter(minitorch.tensor(v)) for v in values]
    gpu = [minitorch.nn.Parameter(minitorch.tensor(v, device="cuda")) for v in values]
    opts = [getattr(minitorch.optim, name)(ps, **kwargs) for ps in (cpu, gpu)]
    for _ in range(4):
        for a, b in zip(cpu, gpu):
            g = rng.standard_normal(a.shape).astype(np.float32)
            a.grad, b.grad = minitorch.tensor(g), minitorch.tensor(g, device="cuda")
        for opt in opts:
            opt.step()
    for a, b in zip(cpu, gpu):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().cpu().numpy(), rtol=1e-5, atol=1e-5)
        for key, value in opts[1].state[b].items():
            assert value.device == (b.device if key != "step" else minitorch.device("cpu"))
