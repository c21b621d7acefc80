"""Graded tests for chapter 07 (profiling). Module trees, event sets and training loops are drawn afresh on every
run; answers are compared with minitorch's profiler (itself compared with PyTorch's) or with what the trees
were built to take."""
import contextlib
import random

import pytest

import minitorch as torch
from grader.checks import check, check_close, check_equal
from minitorch import nn
from minitorch.autograd.profiler_util import EventList, FunctionEvent
from minitorch.profiler import profile, record_function
from minitorch.profiler._plots import phase_of


# ----- ch07.1 ModuleTimer ---------------------------------------------------------------------------------
class FakeClock:
    """A clock that only moves when a module tells it to: timings become exact."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Work(nn.Module):
    """Takes `before` seconds, calls its children in turn, then takes `after` seconds (on the fake clock)."""

    def __init__(self, clock, before, after, children=(), fail=False):
        super().__init__()
        self.clock, self.before, self.after, self.fail = clock, before, after, fail
        self.parts = nn.ModuleList(children)

    def forward(self, x):
        self.clock.now += self.before
        for part in self.parts:
            x = part(x)
        if self.fail:
            raise ValueError("work failed")
        self.clock.now += self.after
        return x


def _random_tree(rng, clock, depth=0):
    """A random Work tree and, for each module, what one call costs: (total, self)."""
    children = [_random_tree(rng, clock, depth + 1) for _ in range(rng.randint(0, 3) if depth < 3 else 0)]
    before, after = rng.randint(0, 9), rng.randint(1, 9)
    node = Work(clock, before, after, [c for c, _ in children])
    total = before + after + sum(c_costs[""][0] for _, c_costs in children)
    costs = {"": (total, before + after)}
    for i, (_, c_costs) in enumerate(children):
        costs.update({f"parts.{i}" + (f".{name}" if name else ""): value for name, value in c_costs.items()})
    return node, costs


@pytest.mark.exercise("ch07.1", points=1)
def test_module_timer_hooks(ch07):
    """one pre-hook and one forward hook per module, all removed by remove()"""
    clock = FakeClock()
    model = Work(clock, 1, 1, [Work(clock, 2, 0), Work(clock, 0, 3)])
    timer = ch07.ModuleTimer(model, clock=clock)
    counts = [(len(m._forward_pre_hooks), len(m._forward_hooks)) for _, m in model.named_modules()]
    check_equal(counts, [(1, 1)] * 6, "(pre-hooks, forward hooks) on each of the 6 modules (ModuleLists included) "
                "after ModuleTimer(model)")
    model(torch.ones(1))
    timer.remove()
    model(torch.ones(1))
    counts = [(len(m._forward_pre_hooks), len(m._forward_hooks)) for _, m in model.named_modules()]
    check_equal(counts, [(0, 0)] * 6, "hooks left on each module after remove()")
    check_equal(timer.stats(), {"": (1, 7.0, 2.0), "parts.0": (1, 2.0, 2.0), "parts.1": (1, 3.0, 3.0)},
                "stats() after one call, remove() and another call")


@pytest.mark.exercise("ch07.1", points=2)
def test_module_timer_random_trees(ch07):
    """calls, total and self time of every module of random nested models"""
    rng = random.Random()
    for case in range(6):
        clock = FakeClock()
        model, costs = _random_tree(rng, clock)
        timer = ch07.ModuleTimer(model, clock=clock)
        calls = rng.randint(1, 3)
        for _ in range(calls):
            model(torch.ones(1))
        expected = {name: (calls, float(total * calls), float(own * calls)) for name, (total, own) in costs.items()}
        got = timer.stats()
        check_equal(sorted(got), sorted(expected), f"case {case}: the modules in stats()")
        for name in expected:
            check_close(list(got[name]), list(expected[name]), f"case {case}: stats()[{name!r}] after {calls} "
                        "calls")


@pytest.mark.exercise("ch07.1", points=1)
def test_module_timer_shared_module_and_errors(ch07):
    """a module used twice is counted twice under its first name; a call that raises keeps the books right"""
    clock = FakeClock()
    shared = Work(clock, 2, 0)
    model = Work(clock, 1, 0, [shared, Work(clock, 3, 0, [shared]), shared])
    timer = ch07.ModuleTimer(model, clock=clock)
    model(torch.ones(1))
    check_equal(timer.stats(), {"": (1, 10.0, 1.0), "parts.0": (3, 6.0, 6.0), "parts.1": (1, 5.0, 3.0)},
                "stats() of a model that calls one module three times, once from a child")
    clock = FakeClock()
    failing = Work(clock, 0, 0, [Work(clock, 4, 0), Work(clock, 2, 0, fail=True)])
    model = Work(clock, 1, 1, [failing])
    timer = ch07.ModuleTimer(model, clock=clock)
    for _ in range(2):
        with pytest.raises(ValueError):
            model(torch.ones(1))
    check_equal(timer.stats(), {"": (2, 14.0, 2.0), "parts.0": (2, 12.0, 0.0), "parts.0.parts.0": (2, 8.0, 8.0),
                                "parts.0.parts.1": (2, 4.0, 4.0)}, "stats() after two calls that raise inside")


# ----- ch07.2 key_averages ----------------------------------------------------------------------------
def _random_events(rng):
    """Nested events on a few threads as (name, thread, start, end), in shuffled order; a child never has
    its parent's name (torch folds such a pair into one event)."""
    names = [f"op{i}" for i in range(rng.randint(3, 6))]
    events = []

    def fill(thread, start, end, depth, parent):
        t = start
        while t < end and len(events) < 60:
            if rng.random() < 0.3:
                t += rng.randint(1, 5)
                continue
            length = rng.randint(0, min(30, end - t))
            name = rng.choice([n for n in names if n != parent])
            events.append((name, thread, t, t + length))
            if depth < 3 and length > 2:
                fill(thread, t + 1, t + length, depth + 1, name)
            t += length + (1 if length == 0 else rng.choice([0, 0, 1, 3]))
    for thread in rng.sample([101, 202, 303], rng.randint(1, 3)):
        fill(thread, 0, 200, 0, None)
    rng.shuffle(events)
    return events


def _library_rows(events):
    """(key, count, total, self) per name from minitorch's own EventList, ordered as the exercise asks."""
    order = sorted(range(len(events)), key=lambda i: (events[i][2], -events[i][3], i))
    function_events = EventList([FunctionEvent(i, events[i][0], events[i][1], events[i][2], events[i][3])
                                 for i in order])
    function_events._build_tree()
    averages = function_events.key_averages()
    rows = [(e.key, e.count, float(e.cpu_time_total), float(e.self_cpu_time_total)) for e in averages]
    return sorted(rows, key=lambda row: -row[3])


def _rows(result):
    return [(row.key, row.count, float(row.cpu_time_total), float(row.self_cpu_time_total)) for row in result]


@pytest.mark.exercise("ch07.2", points=1)
def test_key_averages_small_cases(ch07):
    """empty input, one event, nesting on one thread, events that touch, two threads"""
    check_equal(ch07.key_averages([]), [], "key_averages([])")
    check_equal(_rows(ch07.key_averages([("a", 1, 0, 10)])), [("a", 1, 10.0, 10.0)], "one event")
    touching = [("b", 1, 10, 14), ("a", 1, 0, 10), ("c", 1, 2, 5), ("c", 1, 5, 5)]
    check_equal(_rows(ch07.key_averages(touching)), [("a", 1, 10.0, 7.0), ("b", 1, 4.0, 4.0), ("c", 2, 3.0, 3.0)],
                "a [0, 10) holding c [2, 5) and c [5, 5), then b [10, 14) starting where a ends")
    threads = [("a", 1, 0, 10), ("b", 2, 2, 6), ("b", 1, 4, 8)]
    check_equal(_rows(ch07.key_averages(threads)), [("b", 2, 8.0, 8.0), ("a", 1, 10.0, 6.0)],
                "a [0, 10) on thread 1, b [2, 6) on thread 2, b [4, 8) on thread 1")


@pytest.mark.exercise("ch07.2", points=2)
def test_key_averages_random_events(ch07):
    """counts, totals, self times and order of random nested events, as minitorch's key_averages"""
    rng = random.Random()
    for case in range(8):
        events = _random_events(rng)
        check_equal(_rows(ch07.key_averages(list(events))), _library_rows(events),
                    f"case {case} ({len(events)} events): (key, count, total, self) rows")


@pytest.mark.exercise("ch07.2", points=1)
def test_key_averages_of_a_real_profile(ch07):
    """the rows of a real training step's recording, as prof.key_averages() gives them"""
    torch.manual_seed(random.randrange(1000))
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 2))
    with profile() as prof:
        nn.functional.cross_entropy(model(torch.randn(4, 6)), torch.tensor([0, 1, 1, 0])).backward()
    events = [(e.name, e.thread, e.time_range.start, e.time_range.end) for e in prof.events()]
    expected = sorted(((e.key, e.count, e.cpu_time_total, e.self_cpu_time_total) for e in prof.key_averages()),
                      key=lambda row: -row[3])
    got = _rows(ch07.key_averages(events))
    check_equal([row[:2] for row in got], [row[:2] for row in expected], "(key, count) of each row, in order")
    check_close([row[2:] for row in got], [row[2:] for row in expected], "(total, self) of each row", rtol=1e-9)


# ----- ch07.3 predict_dominant_flops --------------------------------------------------------------------
def flops_of_the_model():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(8 * 16 * 16, 10))
    with torch.profiler.profile(with_flops=True) as prof:
        model(torch.randn(4, 3, 32, 32))
    counted = sorted(((e.flops, e.key) for e in prof.key_averages() if e.flops), reverse=True)
    return counted[0][1], counted[0][0], counted[1][0]


@pytest.mark.exercise("ch07.3", points=1)
def test_predicted_dominant_flops(ch07):
    """your prediction of the op with the most FLOPs, its FLOPs and the other op's"""
    check_equal(tuple(ch07.predict_dominant_flops()), flops_of_the_model(), "(key, flops, other_flops)")


# ----- ch07.4 phase_breakdown (debugging) ---------------------------------------------------------------
def _reference_phases(events):
    totals = dict.fromkeys(("data", "forward", "backward", "optimizer"), 0.0)
    for e in events:
        phase = phase_of(e)
        if phase != "range" and (e.cpu_parent is None or phase_of(e.cpu_parent) == "range"):
            totals[phase] += e.cpu_time_total
    return totals


def _training_profile(rng, labelled):
    torch.manual_seed(rng.randrange(1000))
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=rng.choice([0.0, 0.9]))
    data = torch.utils.data.TensorDataset(torch.randn(12, 6), torch.randint(0, 3, (12,)))
    with profile() as prof:
        for x, y in torch.utils.data.DataLoader(data, batch_size=rng.choice([3, 4])):
            with record_function("step") if labelled else contextlib.nullcontext():
                optimizer.zero_grad()
                nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
    return prof.events()


@pytest.mark.exercise("ch07.4", points=2)
def test_phase_breakdown_of_training(ch07):
    """the time of each phase of a recorded training loop (with and without own ranges)"""
    rng = random.Random()
    for labelled in (False, True):
        events = _training_profile(rng, labelled)
        got = ch07.phase_breakdown(events)
        expected = _reference_phases(events)
        check_equal(sorted(got), sorted(expected), "the phases returned")
        check_close([got[k] for k in sorted(expected)], [expected[k] for k in sorted(expected)],
                    f"phase times ({', '.join(sorted(expected))}), {'with' if labelled else 'without'} a "
                    "record_function range around each step", rtol=1e-9)


def _event(i, name, start, end, user=False):
    return FunctionEvent(i, name, 1, start, end, is_user_annotation=user)


@pytest.mark.exercise("ch07.4", points=1)
def test_phase_breakdown_counts_each_piece_once(ch07):
    """nested ops, backward nodes, zero_grad and own ranges, on hand-made events"""
    engine = "autograd::engine::evaluate_function: "
    events = EventList([
        _event(0, "my step", 0, 100, user=True), _event(1, "Optimizer.zero_grad#SGD.zero_grad", 0, 4, user=True),
        _event(2, "aten::linear", 5, 25), _event(3, "aten::addmm", 6, 20), _event(4, engine + "AddmmBackward0", 30, 50),
        _event(5, "AddmmBackward0", 31, 45), _event(6, engine + "torch::autograd::AccumulateGrad", 50, 55),
        _event(7, "torch::autograd::AccumulateGrad", 51, 54), _event(8, "Optimizer.step#SGD.step", 60, 70, user=True),
        _event(9, "enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__", 100, 110, user=True),
        _event(10, "aten::select", 101, 102)])
    events._build_tree()
    check_equal(ch07.phase_breakdown(events), {"data": 10.0, "forward": 20.0, "backward": 25.0, "optimizer": 14.0},
                "phases of a hand-made step")
    check(isinstance(ch07.phase_breakdown(EventList([]))["forward"], float), "an empty recording gives 0.0 times")
