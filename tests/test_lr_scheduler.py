"""torch.optim.lr_scheduler against the real torch: the lr (and momentum) sequences over many steps,
state dicts, and errors."""
import math
import warnings

import pytest

import minitorch


def _opt(lib, name="SGD", groups=2, **kwargs):
    params = [lib.nn.Parameter(lib.ones(2)) for _ in range(groups)]
    spec = [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)]
    return getattr(lib.optim, name)(spec, **kwargs)


def _lambda(epoch):
    return 0.95 ** epoch


SCHEDULERS = [
    ("LambdaLR", {"lr_lambda": _lambda}, {}),
    ("LambdaLR", {"lr_lambda": [_lambda, lambda e: 1 / (e + 1)]}, {}),
    ("StepLR", {"step_size": 3}, {}),
    ("StepLR", {"step_size": 4, "gamma": 0.5}, {}),
    ("MultiStepLR", {"milestones": [3, 7, 7, 20]}, {}),
    ("ExponentialLR", {"gamma": 0.9}, {}),
    ("CosineAnnealingLR", {"T_max": 10}, {}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}, {}),
    ("LinearLR", {}, {}),
    ("LinearLR", {"start_factor": 0.5, "end_factor": 0.1, "total_iters": 8}, {}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 30}, {"momentum": 0.9}),
    ("OneCycleLR", {"max_lr": [1.0, 0.5], "epochs": 3, "steps_per_epoch": 10, "anneal_strategy": "linear",
                    "three_phase": True, "pct_start": 0.25}, {"momentum": 0.9}),
    ("OneCycleLR", {"max_lr": 0.01, "total_steps": 30, "base_momentum": 0.8, "max_momentum": 0.9}, "Adam"),
    ("OneCycleLR", {"max_lr": 0.01, "total_steps": 30, "cycle_momentum": False}, {}),
    ("MultiplicativeLR", {"lr_lambda": _lambda}, {}),
    ("MultiplicativeLR", {"lr_lambda": [_lambda, lambda e: 1 / (e + 1)]}, {}),
    ("ConstantLR", {}, {}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 7}, {}),
    ("PolynomialLR", {}, {}),
    ("PolynomialLR", {"total_iters": 12, "power": 2.5}, {}),
    ("CosineAnnealingWarmRestarts", {"T_0": 7}, {}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.01}, {}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}, {"momentum": 0.9}),
    ("CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": 0.5, "step_size_up": 3, "step_size_down": 6,
                  "mode": "triangular2", "base_momentum": 0.7, "max_momentum": 0.95}, {"momentum": 0.9}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, "mode": "exp_range", "gamma": 0.97}, "Adam"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, "scale_fn": _lambda, "scale_mode": "iterations",
                  "cycle_momentum": False}, {}),
]


def _make(lib, name, kwargs, opt_spec):
    opt = _opt(lib, "Adam") if opt_spec == "Adam" else _opt(lib, **opt_spec)
    return opt, getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)


def _trace(opt, sched, steps):
    """(lr, momentum/beta1) of every group after construction and after each of `steps` steps."""
    out = []
    for _ in range(steps + 1):
        out.append([(g["lr"], g.get("momentum", g.get("betas", (None,))[0])) for g in opt.param_groups])
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize("name,kwargs,opt_spec", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _, _) in
                                                                   enumerate(SCHEDULERS)])
def test_sequences_match_torch(torch, name, kwargs, opt_spec):
    steps = 29 if name == "OneCycleLR" else 40
    ours = _trace(*_make(minitorch, name, kwargs, opt_spec), steps)
    theirs = _trace(*_make(torch, name, kwargs, opt_spec), steps)
    for a, b in zip(ours, theirs):
        for (lr, m), (tlr, tm) in zip(a, b):
            assert math.isclose(lr, tlr, rel_tol=1e-12, abs_tol=1e-15)
            assert m == tm or math.isclose(m, tm, rel_tol=1e-12)


@pytest.mark.parametrize("name,kwargs,opt_spec", SCHEDULERS[2:], ids=[n for n, _, _ in SCHEDULERS[2:]])
def test_state_dict_matches_torch_and_resumes(torch, name, kwargs, opt_spec):
    opt, sched = _make(minitorch, name, kwargs, opt_spec)
    topt, tsched = _make(torch, name, kwargs, opt_spec)
    for _ in range(5):
        opt.step(), sched.step(), topt.step(), tsched.step()
    assert sched.state_dict() == tsched.state_dict()
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]
    assert repr(opt) == repr(topt)
    # a new scheduler on a restored optimizer continues the same sequence
    opt2, sched2 = _make(minitorch, name, kwargs, opt_spec)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    for _ in range(5):
        opt.step(), sched.step(), opt2.step(), sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_lambda_state_dict_keeps_callable_objects(torch):
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate ** epoch
    sds = []
    for lib in (minitorch, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.LambdaLR(opt, [Decay(0.5), _lambda])
        sds.append(sched.state_dict())
    assert sds[0] == sds[1]
    sched = minitorch.optim.lr_scheduler.LambdaLR(_opt(minitorch), [Decay(0.9), _lambda])
    sched.load_state_dict(sds[0])
    assert sched.lr_lambdas[0].rate == 0.5


@pytest.mark.parametrize("kwargs", [
    {},
    {"mode": "max", "patience": 2, "factor": 0.5},
    {"patience": 1, "threshold": 0.1, "threshold_mode": "abs", "cooldown": 2},
    {"patience": 0, "min_lr": [0.02, 0.05], "eps": 1e-3},
    {"mode": "max", "patience": 1, "threshold_mode": "abs", "threshold": 0.5, "min_lr": 0.01},
])
def test_reduce_on_plateau_matches_torch(torch, kwargs):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.88, 0.95] * 3
    metrics += [1.0 + 0.01 * i for i in range(12)]
    runs = []
    for lib in (minitorch, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        run = []
        for m in metrics:
            opt.step()
            sched.step(lib.tensor(m))
            run.append((sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter, sched.best))
        runs.append((run, sched.state_dict()))
    assert runs[0] == runs[1]


def _step_times(sched, n):
    for _ in range(n):
        sched.step()


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


@pytest.mark.parametrize("call", [
    lambda lib, o: lib.optim.lr_scheduler.StepLR(o, 3, last_epoch=4),
    lambda lib, o: lib.optim.lr_scheduler.StepLR(object(), 3),
    lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, [_lambda]),
    lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, start_factor=0),
    lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, end_factor=2),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=0),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=0),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=5, pct_start=1),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=5, anneal_strategy="exp"),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, [1.0], total_steps=5),
    lambda lib, o: _step_times(lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=2), 3),
    lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0),
    lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, mode="up"),
    lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"),
    lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]),
])
def test_errors_match_torch(torch, call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _error(lambda: call(minitorch, _opt(minitorch))) == _error(lambda: call(torch, _opt(torch)))


def test_warnings():
    opt = _opt(minitorch)
    sched = minitorch.optim.lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(5)
    assert sched.get_last_lr() == pytest.approx([0.1 * 0.1 ** 2, 0.2 * 0.1 ** 2])


def test_epoch_argument_uses_closed_form(torch):
    for name, kwargs, _ in SCHEDULERS[2:10]:
        lrs = []
        for lib in (minitorch, torch):
            opt = _opt(lib)
            sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sched.step(6)
            lrs.append(sched.get_last_lr())
        assert lrs[0] == pytest.approx(lrs[1], rel=1e-12)


# ----- schedulers built from other schedulers, and SWALR ------------------------------------------------------
def _sequential(lib, opt):
    S = lib.optim.lr_scheduler
    return S.SequentialLR(opt, [S.LinearLR(opt, 0.25, total_iters=4), S.ExponentialLR(opt, 0.9),
                                S.CosineAnnealingLR(opt, 6)], milestones=[5, 12])


def _chained(lib, opt):
    S = lib.optim.lr_scheduler
    return S.ChainedScheduler([S.ConstantLR(opt, 0.5, total_iters=3), S.ExponentialLR(opt, 0.95)])


def _nested(lib, opt):
    S = lib.optim.lr_scheduler
    inner = S.SequentialLR(opt, [S.ConstantLR(opt, 0.3, total_iters=2), S.MultiplicativeLR(opt, _lambda)], [4])
    return S.ChainedScheduler([inner, S.StepLR(opt, 2)])


COMPOSITES = {
    "sequential": _sequential,
    "chained": _chained,
    "nested": _nested,
    "swalr-cos": lambda lib, opt: lib.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=5),
    "swalr-linear": lambda lib, opt: lib.optim.swa_utils.SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=3,
                                                               anneal_strategy="linear"),
    "swalr-zero": lambda lib, opt: lib.optim.swa_utils.SWALR(opt, swa_lr=0.02, anneal_epochs=0),
}


@pytest.mark.parametrize("name", COMPOSITES)
def test_composite_schedulers_and_swalr_match_torch(torch, name):
    runs = []
    for lib in (minitorch, torch):
        opt = _opt(lib, momentum=0.9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = COMPOSITES[name](lib, opt)
        runs.append((_trace(opt, sched, 20), sched.state_dict(), opt.state_dict()["param_groups"]))
    (ours, our_state, our_groups), (theirs, their_state, their_groups) = runs
    for a, b in zip(ours, theirs):
        for (lr, _), (tlr, _) in zip(a, b):
            assert math.isclose(lr, tlr, rel_tol=1e-12, abs_tol=1e-15)
    assert our_state == their_state and our_groups == their_groups


def test_composite_state_dict_resumes():
    opt, opt2 = _opt(minitorch), _opt(minitorch)
    sched, sched2 = _nested(minitorch, opt), _nested(minitorch, opt2)
    for _ in range(6):
        opt.step(), sched.step()
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    for _ in range(6):
        opt.step(), sched.step(), opt2.step(), sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_cosine_warm_restarts_fractional_epochs_match_torch(torch):
    runs = []
    for lib in (minitorch, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3, eta_min=0.001)
        run = []
        for epoch in (0.5, 1.25, 2, 3.5, 7.75, 9, 20.5, 1):
            opt.step()
            sched.step(epoch)
            run.append((sched.get_last_lr(), sched.T_i, sched.T_cur, sched.last_epoch))
        runs.append(run)
    assert runs[0] == runs[1]


def test_cyclic_custom_scale_object_state_dict(torch):
    class Halving:
        def __init__(self):
            self.base = 0.5

        def __call__(self, x):
            return self.base ** x
    states = [lib.optim.lr_scheduler.CyclicLR(_opt(lib, momentum=0.9), 0.01, 0.1, scale_fn=Halving()).state_dict()
              for lib in (minitorch, torch)]
    assert states[0] == states[1] and states[0]["_scale_fn_custom"] == {"base": 0.5}


@pytest.mark.parametrize("call", [
    lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(o, [_lambda]),
    lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(o, 3),
    lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o, factor=1.5),
    lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"),
    lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2).step(-1),
    lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="sawtooth"),
    lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, [0.1], 1.0),
    lambda lib, o: lib.optim.lr_scheduler.CyclicLR(lib.optim.Adagrad(o.param_groups[0]["params"]), 0.1, 1.0),
    lambda lib, o: lib.optim.lr_scheduler.SequentialLR(o, [], milestones=[]),
    lambda lib, o: lib.optim.lr_scheduler.SequentialLR(o, [lib.optim.lr_scheduler.StepLR(o, 2)], milestones=[3]),
    lambda lib, o: lib.optim.lr_scheduler.SequentialLR(o, [lib.optim.lr_scheduler.ReduceLROnPlateau(o)], []),
    lambda lib, o: lib.optim.lr_scheduler.SequentialLR(o, [object()], []),
    lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler([]),
    lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler([lib.optim.lr_scheduler.StepLR(o, 2)],
                                                           optimizer=_opt(lib)),
    lambda lib, o: lib.optim.swa_utils.SWALR(o, 0.1, anneal_strategy="exp"),
    lambda lib, o: lib.optim.swa_utils.SWALR(o, 0.1, anneal_epochs=-1),
    lambda lib, o: lib.optim.swa_utils.SWALR(o, [0.1]),
])
def test_new_scheduler_errors_match_torch(torch, call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _error(lambda: call(minitorch, _opt(minitorch))) == _error(lambda: call(torch, _opt(torch)))
