"""Graded tests for chapter 06 (module hooks). Random sequences of registrations, removals and calls are
drawn afresh on every run and replayed on minitorch's nn.Module (whose hooks match PyTorch's)."""
import random

import pytest

import minitorch as torch
from grader.checks import check, check_close, check_equal, check_own_class
from minitorch import nn
from minitorch.utils.hooks import RemovableHandle as LibraryHandle


def _modules(ch06):
    """The same module written on the learner's HookedModule and on nn.Module; each logs into self.log."""
    def forward(self, x, scale=1.0, fail=False):
        self.log.append(("forward", x, scale))
        if fail:
            raise ValueError("forward failed")
        return x * scale

    def init(base):
        def __init__(self):
            base.__init__(self)
            self.log = []
        return __init__

    return (type("Mine", (ch06.HookedModule,), {"__init__": init(ch06.HookedModule), "forward": forward})(),
            type("Reference", (nn.Module,), {"__init__": init(nn.Module), "forward": forward})())


def _make_hook(kind, tag, effect):
    """A hook of `kind` ("pre", "pre-kw", "fwd", "fwd-kw") that logs `tag` and what it saw, and changes the
    computation when `effect` says so."""
    def pre(module, args):
        module.log.append((tag, args))
        return {"none": None, "wrap": args[0] + 1, "tuple": (args[0] * 2,) + tuple(args[1:])}[effect]

    def pre_kw(module, args, kwargs):
        module.log.append((tag, args, dict(kwargs)))
        return None if effect == "none" else (args, {**kwargs, "scale": 3.0})

    def fwd(module, args, result):
        module.log.append((tag, args, result))
        return None if effect == "none" or result is None else result + 10

    def fwd_kw(module, args, kwargs, result):
        module.log.append((tag, args, dict(kwargs), result))
        return None if effect == "none" or result is None else result - 1

    return {"pre": pre, "pre-kw": pre_kw, "fwd": fwd, "fwd-kw": fwd_kw}[kind]


def _register(module, kind, tag, effect, prepend, always_call):
    hook = _make_hook(kind, tag, effect)
    with_kwargs = kind.endswith("-kw")
    if kind.startswith("pre"):
        return module.register_forward_pre_hook(hook, prepend=prepend, with_kwargs=with_kwargs)
    return module.register_forward_hook(hook, prepend=prepend, with_kwargs=with_kwargs, always_call=always_call)


def _call(module, args, kwargs):
    """(result or the exception's type name, the log of this call)."""
    module.log.clear()
    try:
        outcome = module(*args, **kwargs)
    except ValueError as exc:
        outcome = type(exc).__name__
    return outcome, list(module.log)


def _same_call(mine, ref, args, kwargs, label):
    got, expected = _call(mine, args, kwargs), _call(ref, args, kwargs)
    check_equal(got[1], expected[1], f"{label}: what the hooks and forward saw, in order")
    check_equal(got[0], expected[0], f"{label}: the call's result")


# ----- ch06.1 RemovableHandle and HookedModule -----------------------------------------------------------
@pytest.mark.exercise("ch06.1", points=1)
def test_own_classes_and_handles(ch06):
    """RemovableHandle and HookedModule are your own; handles remove, twice, and as context managers"""
    mine, _ = _modules(ch06)
    check_own_class(ch06.HookedModule, [nn.Module], "HookedModule")
    check_own_class(ch06.RemovableHandle, [LibraryHandle], "RemovableHandle")
    hooks, flags = {}, {}
    first, second = ch06.RemovableHandle(hooks, flags), ch06.RemovableHandle(hooks)
    check(second.id > first.id, "a later handle gets a larger id", got=(first.id, second.id))
    hooks[first.id], flags[first.id], hooks[second.id] = "a", True, "b"
    first.remove()
    first.remove()
    check_equal((hooks, flags), ({second.id: "b"}, {}), "the dicts after removing the first handle (twice)")
    with second as entered:
        check(entered is second, "`with handle as h` gives the handle")
    check_equal(hooks, {}, "the dict after the with block")
    handle = mine.register_forward_hook(_make_hook("fwd", "h", "none"))
    check(isinstance(handle, ch06.RemovableHandle), "register_forward_hook returns your RemovableHandle",
          got=type(handle))


@pytest.mark.exercise("ch06.1", points=2)
def test_hook_order_and_effects(ch06):
    """order, prepend, changed args, kwargs and results, as nn.Module"""
    mine, ref = _modules(ch06)
    plan = [("pre", "p1", "wrap", False), ("pre", "p2", "none", True), ("pre-kw", "pk", "kw", False),
            ("fwd", "f1", "none", False), ("fwd", "f2", "add", True), ("fwd-kw", "fk", "sub", False),
            ("pre", "p3", "tuple", False)]
    handles = [(_register(mine, *step, False), _register(ref, *step, False)) for step in plan]
    _same_call(mine, ref, (2.0,), {}, "seven hooks, two prepended")
    for index in (1, 4):
        for handle in handles[index]:
            handle.remove()
    _same_call(mine, ref, (5.0,), {"scale": 0.5}, "after removing p2 and f2")


@pytest.mark.exercise("ch06.1", points=2)
def test_always_call_and_errors(ch06):
    """always_call hooks run when forward or a hook fails, and the error propagates"""
    mine, ref = _modules(ch06)
    for step in [("fwd", "plain", "none", False, False), ("fwd", "always", "add", False, True),
                 ("fwd-kw", "always-kw", "sub", True, True)]:
        _register(mine, *step)
        _register(ref, *step)
    _same_call(mine, ref, (1.0,), {"fail": True}, "forward raises")

    def failing(module, args, result):
        module.log.append(("failing", result))
        raise ValueError("hook failed")

    for module in (mine, ref):
        module.register_forward_hook(failing, prepend=True)
    _same_call(mine, ref, (1.0,), {}, "the first forward hook raises")


@pytest.mark.exercise("ch06.1", points=1)
def test_hooks_changed_during_a_call(ch06):
    """a hook that removes itself or registers another changes only later calls"""
    mine, _ = _modules(ch06)
    handle = {}

    def once(m, args, result):
        m.log.append("once")
        handle["it"].remove()

    def adder(m, args):
        m.log.append("adder")
        m.register_forward_pre_hook(lambda m, args: m.log.append("added"))

    handle["it"] = mine.register_forward_hook(once)
    mine.register_forward_hook(lambda m, args, result: m.log.append("after"))
    mine.register_forward_pre_hook(adder)
    # as in torch, whose loops go over a snapshot of the hooks
    expected = [["adder", ("forward", 0.0, 1.0), "once", "after"],
                ["adder", "added", ("forward", 1.0, 1.0), "after"],
                ["adder", "added", "added", ("forward", 2.0, 1.0), "after"]]
    for call, log in enumerate(expected):
        check_equal(_call(mine, (float(call),), {})[1], log, f"call {call + 1}: what ran, in order")


@pytest.mark.exercise("ch06.1", points=2)
def test_random_hook_sequences(ch06):
    """random registrations, removals and calls behave as on nn.Module"""
    rng = random.Random()
    for case in range(8):
        mine, ref = _modules(ch06)
        handles, done = [], []
        for step in range(14):
            roll = rng.random()
            if roll < 0.45:
                kind = rng.choice(["pre", "pre-kw", "fwd", "fwd-kw"])
                choices = {"pre": ["none", "wrap", "tuple"], "pre-kw": ["none", "kw"]}.get(kind, ["none", "on"])
                effect = rng.choice(choices)
                args = (kind, f"h{step}", effect, rng.random() < 0.3, kind.startswith("fwd") and rng.random() < 0.4)
                handles.append((_register(mine, *args), _register(ref, *args)))
                done.append(f"register {args}")
            elif roll < 0.65 and handles:
                index = rng.randrange(len(handles))
                for handle in handles[index]:
                    handle.remove()
                done.append(f"remove #{index}")
            else:
                args, kwargs = (rng.uniform(-2, 2),), rng.choice([{}, {"scale": 2.0}, {"fail": True}])
                _same_call(mine, ref, args, kwargs, f"random case {case}, step {step}, after {'; '.join(done[-4:])}")


# ----- ch06.2 predict_hook_order --------------------------------------------------------------------------
def hook_order():
    seen = []

    def tag(name):
        def hook(*args):
            seen.append(name)
        return hook

    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    net.register_forward_pre_hook(tag("A"))
    net.register_forward_hook(tag("B"))
    net[0].register_forward_hook(tag("C"))
    net[0].register_forward_pre_hook(tag("D"))
    net[1].register_forward_hook(tag("F"))
    net[1].register_forward_hook(tag("G"), prepend=True)
    net[0].register_full_backward_hook(tag("H"))
    net[1].register_full_backward_pre_hook(tag("I"))
    net(torch.randn(1, 2, requires_grad=True)).sum().backward()
    return seen


@pytest.mark.exercise("ch06.2", points=1)
def test_predicted_hook_order(ch06):
    """your prediction of the order in which the hooks run"""
    check_equal(ch06.predict_hook_order(), hook_order(), "the order of the hooks")


# ----- ch06.3 GradientMonitor (debugging) ----------------------------------------------------------------
def _monitored_model(rng):
    torch.manual_seed(rng.randrange(2**31))
    width = rng.randint(3, 6)
    return nn.Sequential(nn.Linear(4, width), nn.Tanh(), nn.Sequential(nn.Linear(width, 5), nn.ReLU()), nn.Linear(5, 2))


def _grad_at_outputs(model, x):
    """The gradient norm at the output of layers "0", "2.0" and "3" for loss = (model(x) ** 2).sum()."""
    h0 = model[0](x)
    h1 = model[2][0](torch.tanh(h0))
    h2 = model[3](torch.relu(h1))
    for h in (h0, h1, h2):
        h.retain_grad()
    (h2 ** 2).sum().backward()
    return {"0": h0.grad.norm().item(), "2.0": h1.grad.norm().item(), "3": h2.grad.norm().item()}


@pytest.mark.exercise("ch06.3", points=2)
def test_gradient_monitor_records_per_layer(ch06):
    """one float per backward pass under each Linear's own name, with the right norm"""
    rng = random.Random()
    model = _monitored_model(rng)
    x = torch.randn(6, 4, requires_grad=True)
    expected = _grad_at_outputs(model, x)
    model.zero_grad()
    monitor = ch06.GradientMonitor(model)
    for _ in range(2):
        (model(x) ** 2).sum().backward()
    check_equal(sorted(monitor.norms), sorted(expected), "the layer names in norms")
    for name, value in expected.items():
        check_equal([type(v).__name__ for v in monitor.norms[name]], ["float", "float"],
                    f"types of norms[{name!r}] after two backward passes")
        check_close(monitor.norms[name], [value, value], f"norms[{name!r}] after two backward passes", rtol=1e-4)


@pytest.mark.exercise("ch06.3", points=1)
def test_gradient_monitor_remove(ch06):
    """remove() detaches every hook"""
    model = _monitored_model(random.Random())
    x = torch.randn(3, 4, requires_grad=True)
    monitor = ch06.GradientMonitor(model)
    model(x).sum().backward()
    monitor.remove()
    model(x).sum().backward()
    check_equal({name: len(values) for name, values in monitor.norms.items()}, {"0": 1, "2.0": 1, "3": 1},
                "the number of entries per layer after one backward pass, remove() and another backward pass")
