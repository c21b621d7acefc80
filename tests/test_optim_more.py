"""The rest of torch.optim against the real torch: Adadelta, Adafactor, Adamax, ASGD, Muon, NAdam, RAdam, Rprop
(updates and state step by step, state_dict round trips, reprs, errors), LBFGS with and without the strong-Wolfe
line search (float64, so that every iterate can be compared), SparseAdam's update, swa_utils (AveragedModel,
update_bn; SWALR is in test_lr_scheduler.py) and swap_in_optimizer_params_and_state."""
import numpy as np
import pytest

import minitorch
from minitorch.optim.sparse_adam import sparse_adam_update
from tests.test_optim import _assert_same, _error, _set_grads

VECTORS = [(3, 4), (5,), (2, 3, 4)]
MATRICES = [(3, 4), (6, 2)]

CASES = [
    ("Adadelta", {}, VECTORS),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1, "maximize": True}, VECTORS),
    ("Adamax", {}, VECTORS),
    ("Adamax", {"lr": 0.1, "betas": (0.5, 0.9), "weight_decay": 0.1, "maximize": True}, VECTORS),
    ("ASGD", {}, VECTORS),
    ("ASGD", {"lr": 0.05, "lambd": 0.1, "alpha": 0.5, "t0": 2, "weight_decay": 0.1, "maximize": True}, VECTORS),
    ("NAdam", {}, VECTORS),
    ("NAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1, "momentum_decay": 0.1}, VECTORS),
    ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}, VECTORS),
    ("RAdam", {}, VECTORS),
    ("RAdam", {"betas": (0.5, 0.6), "weight_decay": 0.1, "eps": 1e-3}, VECTORS),
    ("RAdam", {"betas": (0.5, 0.6), "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
     VECTORS),
    ("Rprop", {}, VECTORS),
    ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2), "maximize": True}, VECTORS),
    ("Adafactor", {}, VECTORS),
    ("Adafactor", {"lr": 0.1, "beta2_decay": -0.5, "eps": (1e-3, 1e-2), "d": 1.5, "weight_decay": 0.1,
                   "maximize": True}, VECTORS),
    ("Muon", {}, MATRICES),
    ("Muon", {"lr": 0.02, "weight_decay": 0.01, "momentum": 0.9, "nesterov": False, "ns_steps": 3}, MATRICES),
    ("Muon", {"adjust_lr_fn": "match_rms_adamw", "ns_coefficients": (2.0, -1.5, 0.5), "eps": 1e-4}, MATRICES),
]
IDS = [f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)]


def _pair(torch, name, kwargs, shapes, groups=False, seed=0):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    ours = [minitorch.nn.Parameter(minitorch.tensor(v)) for v in values]
    theirs = [torch.nn.Parameter(torch.tensor(v)) for v in values]

    def build(lib, params):
        spec = [{"params": params[:1], "lr": 0.03}, {"params": params[1:]}] if groups else params
        return getattr(lib.optim, name)(spec, **kwargs)
    return ours, build(minitorch, ours), theirs, build(torch, theirs)


def _run(torch, ours, opt, theirs, topt, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        _set_grads(torch, ours, theirs, rng)
        opt.step()
        topt.step()
        _assert_same(torch, ours, theirs, opt, topt)


@pytest.mark.parametrize("name,kwargs,shapes", CASES, ids=IDS)
def test_updates_and_state_match_torch(torch, name, kwargs, shapes):
    ours, opt, theirs, topt = _pair(torch, name, kwargs, shapes, groups=True)
    _run(torch, ours, opt, theirs, topt, 6, seed=1)
    assert repr(opt) == repr(topt)


@pytest.mark.parametrize("name,kwargs,shapes", CASES, ids=IDS)
def test_state_dict_round_trip(torch, name, kwargs, shapes):
    ours, opt, theirs, topt = _pair(torch, name, kwargs, shapes)
    _run(torch, ours, opt, theirs, topt, 2, seed=2)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert list(sd["state"]) == list(tsd["state"])
    fresh = getattr(minitorch.optim, name)(ours, lr=0.5)
    fresh.load_state_dict(sd)
    tfresh = getattr(torch.optim, name)(theirs, lr=0.5)
    tfresh.load_state_dict(tsd)
    _run(torch, ours, fresh, theirs, tfresh, 2, seed=3)


def _one_param(lib, shape=(2, 2)):
    return [lib.nn.Parameter(lib.ones(*shape))]


@pytest.mark.parametrize("name,kwargs", [
    ("Adadelta", {"lr": -1}), ("Adadelta", {"rho": 1.5}), ("Adadelta", {"eps": -1}),
    ("Adadelta", {"weight_decay": -1}), ("Adamax", {"eps": -1}), ("Adamax", {"betas": (1.0, 0.5)}),
    ("Adamax", {"betas": (0.5, -0.5)}), ("Adamax", {"weight_decay": -1}), ("ASGD", {"lr": -1}),
    ("ASGD", {"weight_decay": -1}), ("NAdam", {"momentum_decay": -1}), ("NAdam", {"betas": (0.9, 1.0)}),
    ("RAdam", {"eps": -1}), ("RAdam", {"weight_decay": -1}), ("Rprop", {"etas": (1.5, 1.2)}),
    ("Rprop", {"etas": (0.5, 0.9)}), ("Rprop", {"lr": -1}), ("Adafactor", {"lr": -1}),
    ("Adafactor", {"beta2_decay": 0.5}), ("Adafactor", {"eps": (-1, 1e-3)}), ("Adafactor", {"eps": (None, -1)}),
    ("Adafactor", {"d": 0.5}), ("Adafactor", {"weight_decay": -1}), ("Muon", {"lr": -1}), ("Muon", {"momentum": -1}),
    ("Muon", {"weight_decay": -1}), ("Muon", {"adjust_lr_fn": "other"}), ("SparseAdam", {"lr": 0}),
    ("SparseAdam", {"eps": 0}), ("SparseAdam", {"betas": (0.5, 1.0)}), ("LBFGS", {"lr": -1}),
])
def test_invalid_hyper_parameters(torch, name, kwargs):
    ours = _error(lambda: getattr(minitorch.optim, name)(_one_param(minitorch), **kwargs))
    theirs = _error(lambda: getattr(torch.optim, name)(_one_param(torch), **kwargs))
    assert (ours[0].__name__, ours[1]) == (theirs[0].__name__, theirs[1])


def _stepped(lib, name, **kwargs):
    """One step of optimizer `name` on a 2x2 parameter whose gradient is ones."""
    params = _one_param(lib)
    params[0].grad = lib.ones(2, 2)
    getattr(lib.optim, name)(params, **kwargs).step()


@pytest.mark.parametrize("call", [
    lambda lib: lib.optim.Muon(_one_param(lib, (3,))),
    lambda lib: _stepped(lib, "Muon", ns_steps=100),
    lambda lib: _stepped(lib, "Muon", ns_coefficients=(1.0, 2.0)),
    lambda lib: _stepped(lib, "SparseAdam"),
    lambda lib: lib.optim.LBFGS([{"params": _one_param(lib)}, {"params": _one_param(lib)}]),
])
def test_structural_errors(torch, call):
    ours, theirs = _error(lambda: call(minitorch)), _error(lambda: call(torch))
    assert (ours[0].__name__, ours[1]) == (theirs[0].__name__, theirs[1])


# ----- LBFGS -------------------------------------------------------------------------------------------------
def _lbfgs_run(lib, kwargs, steps=4):
    """A small float64 regression (tanh model plus a quartic penalty) minimised by LBFGS; returns the loss of
    every step, the final weights and the optimizer's counters."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((20, 3)))
    y = lib.tensor(rng.standard_normal((20, 1)))
    w = lib.nn.Parameter(lib.full((3, 1), 0.5, dtype=lib.float64))
    b = lib.nn.Parameter(lib.tensor([0.1], dtype=lib.float64))
    opt = lib.optim.LBFGS([w, b], **kwargs)

    def closure():
        opt.zero_grad()
        loss = ((lib.tanh(x @ w + b) - y) ** 2).mean() + (w ** 4).sum()
        loss.backward()
        return loss
    losses = [opt.step(closure).item() for _ in range(steps)]
    state = opt.state[w]
    return losses, w.detach().numpy().copy(), state["func_evals"], state["n_iter"], len(state["old_dirs"])


@pytest.mark.parametrize("kwargs", [
    {},
    {"line_search_fn": "strong_wolfe"},
    {"line_search_fn": "strong_wolfe", "history_size": 2, "lr": 0.5, "max_iter": 7},
    {"lr": 0.1, "max_iter": 5, "max_eval": 3, "history_size": 3},
    {"tolerance_change": 1e-3, "tolerance_grad": 1e-2},
])
def test_lbfgs_matches_torch(torch, kwargs):
    ours, theirs = _lbfgs_run(minitorch, kwargs), _lbfgs_run(torch, kwargs)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9, atol=1e-12)
    assert ours[2:] == theirs[2:]


def test_lbfgs_state_repr_and_errors(torch):
    reprs, errors = [], []
    for lib in (minitorch, torch):
        p = lib.nn.Parameter(lib.ones(2, dtype=lib.float64))
        opt = lib.optim.LBFGS([p], line_search_fn="backtracking")
        reprs.append(repr(opt))

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss
        errors.append(_error(lambda: opt.step(closure))[1])
    assert reprs[0] == reprs[1] and errors[0] == errors[1] == "only 'strong_wolfe' is supported"
    # already at a minimum: one evaluation, nothing changes
    p = minitorch.nn.Parameter(minitorch.zeros(2, dtype=minitorch.float64))
    opt = minitorch.optim.LBFGS([p])

    def at_minimum():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    assert opt.step(at_minimum).item() == 0.0 and opt.state[p]["func_evals"] == 1 and p.tolist() == [0.0, 0.0]


# ----- SparseAdam ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("maximize", [False, True])
def test_sparse_adam_update_matches_torch(torch, maximize):
    """The row update on a coalesced COO gradient matches torch's SparseAdam fed real sparse gradients."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal((6, 3)).astype(np.float32)
    p = torch.nn.Parameter(torch.tensor(start))
    opt = torch.optim.SparseAdam([p], lr=0.1, betas=(0.8, 0.9), maximize=maximize)
    ours, m, v = start.copy(), np.zeros_like(start), np.zeros_like(start)
    for step, rows in enumerate(([0, 2, 5], [2, 3], [5, 0, 1]), start=1):
        values = rng.standard_normal((len(rows), 3)).astype(np.float32)
        indices = np.array([rows])
        p.grad = torch.sparse_coo_tensor(torch.tensor(indices), torch.tensor(values), (6, 3),
                                         check_invariants=True)
        opt.step()
        sparse_adam_update(ours, m, v, indices, values, step, 0.1, (0.8, 0.9), 1e-8, maximize)
        np.testing.assert_allclose(ours, p.detach().numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(m, opt.state[p]["exp_avg"].numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(v, opt.state[p]["exp_avg_sq"].numpy(), rtol=1e-6, atol=1e-7)


def test_sparse_adam_repr_matches_torch(torch):
    assert repr(minitorch.optim.SparseAdam(_one_param(minitorch), lr=0.1)) == \
        repr(torch.optim.SparseAdam(_one_param(torch), lr=0.1))


# ----- swa_utils ----------------------------------------------------------------------------------------------
def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(), lib.nn.Linear(4, 2))


def _copy_weights(src, dst, lib):
    with lib.no_grad():
        for a, b in zip(src.parameters(), dst.parameters()):
            a.copy_(lib.tensor(b.detach().numpy()))


AVERAGES = {
    "swa": lambda lib: {},
    "ema": lambda lib: {"avg_fn": lib.optim.swa_utils.get_ema_avg_fn(0.9)},
    "ema-multi": lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_ema_multi_avg_fn(0.8)},
    "swa-multi": lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_swa_multi_avg_fn()},
    "buffers": lambda lib: {"use_buffers": True},
}


@pytest.mark.parametrize("name", AVERAGES)
def test_averaged_model_matches_torch(torch, name):
    reference = _net(torch)
    probe = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    runs = []
    for lib in (minitorch, torch):
        model = _net(lib)
        _copy_weights(model, reference, lib)
        averaged = lib.optim.swa_utils.AveragedModel(model, **AVERAGES[name](lib))
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        data = np.random.default_rng(1)
        for _ in range(4):
            x = lib.tensor(data.standard_normal((8, 3)).astype(np.float32))
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
            averaged.update_parameters(model)
        out = averaged(lib.tensor(probe))
        runs.append(({k: v.detach().numpy().copy() for k, v in averaged.state_dict().items()}, out.detach().numpy()))
    (ours, our_out), (theirs, their_out) = runs
    assert list(ours) == list(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(our_out, their_out, rtol=1e-5, atol=1e-6)


def test_update_bn_matches_torch(torch):
    reference = _net(torch)
    batches = [np.random.default_rng(i).standard_normal((6, 3)).astype(np.float32) for i in range(3)]
    stats = []
    for lib in (minitorch, torch):
        model = _net(lib)
        _copy_weights(model, reference, lib)
        model.eval()
        loader = [(lib.tensor(b), lib.zeros(6)) for b in batches]
        lib.optim.swa_utils.update_bn(loader, model)
        bn = model[1]
        stats.append((bn.running_mean.numpy().copy(), bn.running_var.numpy().copy(), int(bn.num_batches_tracked),
                      bn.momentum, model.training))
    np.testing.assert_allclose(stats[0][0], stats[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats[0][1], stats[1][1], rtol=1e-5, atol=1e-6)
    assert stats[0][2:] == stats[1][2:]


def test_swa_helpers_errors(torch):
    for call in (lambda lib: lib.optim.swa_utils.get_ema_avg_fn(1.5),
                 lambda lib: lib.optim.swa_utils.get_ema_multi_avg_fn(-0.1),
                 lambda lib: lib.optim.swa_utils.AveragedModel(lib.nn.Linear(1, 1), avg_fn=abs, multi_avg_fn=abs)):
        ours, theirs = _error(lambda: call(minitorch)), _error(lambda: call(torch))
        assert (ours[0].__name__, ours[1]) == (theirs[0].__name__, theirs[1])


# ----- swap_in_optimizer_params_and_state -------------------------------------------------------------------------
def test_swap_in_params_and_state(torch):
    results = []
    for lib in (minitorch, torch):
        live = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]
        opt = lib.optim.Adam(live, lr=0.1)
        for p in live:
            p.grad = lib.ones(*p.shape)
        opt.step()
        swap = {"a": lib.nn.Parameter(lib.zeros(2)), "b": lib.nn.Parameter(lib.zeros(3))}
        for p in swap.values():
            p.grad = lib.full(p.shape, 2.0)
        state = opt.state_dict()
        state["param_groups"][0]["lr"] = 0.5
        with lib.optim.swap_in_optimizer_params_and_state(opt, swap, state):
            opt.step()
            inside = opt.param_groups[0]["lr"]
        results.append(([p.detach().numpy().tolist() for p in swap.values()],
                        [p.detach().numpy().tolist() for p in live], inside, opt.param_groups[0]["lr"],
                        state["state"][0]["step"].item(), opt.state[live[0]]["step"].item()))
    for ours, theirs in zip(results[0][:2], results[1][:2]):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-6)
    assert results[0][2:] == results[1][2:]


@pytest.mark.parametrize("edit", [
    lambda opt, sd, swap: (opt.__class__(opt.param_groups[0]["params"]), sd, swap),
    lambda opt, sd, swap: (opt, [], swap),
    lambda opt, sd, swap: (opt, {**sd, "state": []}, swap),
    lambda opt, sd, swap: (opt, {**sd, "state": {0: 1}}, swap),
    lambda opt, sd, swap: (opt, {**sd, "param_groups": {}}, swap),
    lambda opt, sd, swap: (opt, {**sd, "param_groups": []}, swap),
    lambda opt, sd, swap: (opt, {**sd, "param_groups": [dict(sd["param_groups"][0], params=[0])]}, swap),
    lambda opt, sd, swap: (opt, {**sd, "param_groups": [dict(sd["param_groups"][0], extra=1)]}, swap),
    lambda opt, sd, swap: (opt, {**sd, "state": {**sd["state"], 7: {}}}, swap),
    lambda opt, sd, swap: (opt, sd, {"a": swap["a"]}),
])
def test_swap_in_errors_match_torch(torch, edit):
    def attempt(lib):
        params = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(2))]
        opt = lib.optim.SGD(params, lr=0.1, momentum=0.9)
        for p in params:
            p.grad = lib.ones(2)
        opt.step()
        swap = {"a": lib.nn.Parameter(lib.ones(2)), "b": lib.nn.Parameter(lib.ones(2))}
        opt, sd, swap = edit(opt, opt.state_dict(), swap)
        with lib.optim.swap_in_optimizer_params_and_state(opt, swap, sd):
            pass
    ours, theirs = _error(lambda: attempt(minitorch)), _error(lambda: attempt(torch))
    assert (ours[0].__name__, ours[1]) == (theirs[0].__name__, theirs[1])


@pytest.mark.cuda
@pytest.mark.parametrize("name,kwargs,shapes", CASES, ids=IDS)
def test_cuda_updates_match_cpu(name, kwargs, shapes):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    cpu = [minitorch.nn.Parameter(minitorch.tensor(v)) for v in values]
    gpu = [minitorch.nn.Parameter(minitorch.tensor(v, device="cuda")) for v in values]
    opts = [getattr(minitorch.optim, name)(ps, **kwargs) for ps in (cpu, gpu)]
    for _ in range(3):
        for a, b in zip(cpu, gpu):
            g = rng.standard_normal(a.shape).astype(np.float32)
            a.grad, b.grad = minitorch.tensor(g), minitorch.tensor(g, device="cuda")
        for opt in opts:
            opt.step()
    for a, b in zip(cpu, gpu):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().cpu().numpy(), rtol=1e-5, atol=1e-5)
