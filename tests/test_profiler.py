"""minitorch.profiler on its own: the trace file, memory accounting, record_function, the table's options,
stacks, trace handlers, the autograd-level profiler, the plots, GPU time, and that nothing is left hooked
in when no profiler records."""
import gzip
import json
import os
import re

import numpy as np
import pytest

import minitorch
from minitorch import _dispatch, nn
from minitorch.autograd import graph
from minitorch.profiler import ProfilerActivity, profile, record_function


def train_step(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()


@pytest.fixture
def setup():
    minitorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = minitorch.optim.SGD(model.parameters(), lr=0.1)
    return model, optimizer, minitorch.randn(6, 12), minitorch.randint(0, 3, (6,))


def test_no_hook_left_when_not_recording(setup):
    """After a recording the door's fast path is back and the engine runs without an observer."""
    assert _dispatch._PLAIN[0] and graph.node_observer[0] is None
    with profile():
        assert not _dispatch._PLAIN[0] and graph.node_observer[0] is not None
        train_step(*setup)
    assert _dispatch._PLAIN[0] and not _dispatch._observers and graph.node_observer[0] is None
    with pytest.raises(ValueError):
        with profile():
            raise ValueError("stops the recording")
    assert _dispatch._PLAIN[0] and graph.node_observer[0] is None


def test_one_recording_at_a_time():
    with profile():
        with pytest.raises(RuntimeError, match="Profiler is already enabled on this thread"):
            with profile():
                pass


def test_results_need_a_finished_recording():
    with pytest.raises(AssertionError, match="Profiler must be initialized before getting key averages"):
        profile().key_averages()
    with pytest.raises(RuntimeError, match="Profiler didn't finish running"):
        minitorch.autograd.profiler.profile().table()


def test_self_times_add_up_to_the_total(setup):
    """Each event's total is its self time plus its children's totals; the footer is the sum of self times."""
    with profile() as prof:
        train_step(*setup)
    events = prof.events()
    for e in events:
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - sum(c.cpu_time_total for c in e.cpu_children))
        assert e.self_cpu_time_total >= 0
        for child in e.cpu_children:
            assert e.time_range.start <= child.time_range.start <= child.time_range.end <= e.time_range.end
    total = sum(e.cpu_time_total for e in events if e.cpu_parent is None)
    assert events.self_cpu_time_total == pytest.approx(total)
    assert prof.key_averages().table().splitlines()[-1] == \
        f"Self CPU time total: {minitorch.autograd.profiler_util._format_time(events.self_cpu_time_total)}"


def test_chrome_trace_is_valid(setup, tmp_path):
    """Every event has ph / ts / dur / name / pid / tid, children lie inside their parents on one thread,
    memory events carry the running total, and each fwdbwd arrow has both ends."""
    with profile(record_shapes=True, profile_memory=True) as prof:
        with record_function("step"):
            train_step(*setup)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    assert trace["schemaVersion"] == 1 and trace["displayTimeUnit"] == "ms"
    complete = [e for e in trace["traceEvents"] if e["ph"] == "X" and e.get("cat") != "Trace"]
    assert len(complete) == len(prof.events())
    for e in complete:
        assert {"ph", "ts", "dur", "name", "pid", "tid"} <= set(e) and e["dur"] >= 0
    by_name = {}
    for e in complete:
        by_name.setdefault(e["name"], e)
    assert by_name["aten::addmm"]["args"]["Input Dims"] == [[8], [6, 12], [12, 8]]
    assert by_name["step"]["cat"] == "user_annotation" and by_name["aten::relu"]["cat"] == "cpu_op"
    open_spans = []
    for e in sorted(complete, key=lambda e: (e["ts"], -e["dur"])):
        while open_spans and e["ts"] >= open_spans[-1]["ts"] + open_spans[-1]["dur"]:
            open_spans.pop()
        if open_spans:  # strictly nested: a child ends inside its parent
            assert e["ts"] + e["dur"] <= open_spans[-1]["ts"] + open_spans[-1]["dur"] + 1e-3
        open_spans.append(e)
    memory = [e for e in trace["traceEvents"] if e["name"] == "[memory]"]
    assert memory and all(e["ph"] == "i" for e in memory)
    assert np.cumsum([e["args"]["Bytes"] for e in memory]).tolist() == [e["args"]["Total Allocated"] for e in memory]
    starts = {e["id"] for e in trace["traceEvents"] if e["ph"] == "s"}
    finishes = {e["id"] for e in trace["traceEvents"] if e["ph"] == "f"}
    assert finishes and finishes <= starts


def test_gzip_trace_and_tensorboard_handler(tmp_path, setup):
    """A .gz path writes gzip; tensorboard_trace_handler writes <worker>.<ns>.pt.trace.json[.gz] per trace."""
    with profile() as prof:
        train_step(*setup)
    prof.export_chrome_trace(str(tmp_path / "t.json.gz"))
    with gzip.open(tmp_path / "t.json.gz") as f:
        assert json.load(f)["traceEvents"]
    handler = minitorch.profiler.tensorboard_trace_handler(str(tmp_path / "logs"), worker_name="w0", use_gzip=True)
    with profile(schedule=minitorch.profiler.schedule(wait=0, warmup=1, active=1, repeat=2),
                 on_trace_ready=handler) as prof:
        for _ in range(5):
            train_step(*setup)
            prof.step()
    names = sorted(os.listdir(tmp_path / "logs"))
    assert len(names) == 2 and all(n.startswith("w0.") and n.endswith(".pt.trace.json.gz") for n in names)


def test_memory_of_ops(setup):
    """profile_memory: an op that makes an array allocates its bytes, a view nothing; what is freed while an
    op runs counts against it, what is freed between ops makes a '[memory]' event."""
    x = minitorch.randn(100, 50)
    with profile(profile_memory=True) as prof:
        y = x * 2          # 20000 bytes
        z = y.t()          # a view
        del y, z           # freed between ops
        w = (x + 1).sum()  # x + 1 is freed inside nothing: also between ops
    events = {e.name: e for e in prof.events()}
    assert events["aten::mul"].cpu_memory_usage == 20000
    assert events["aten::t"].cpu_memory_usage == 0
    assert events["aten::sum"].cpu_memory_usage == 4
    freed = [e.cpu_memory_usage for e in prof.events() if e.name == "[memory]"]
    assert sorted(freed) == [-20000, -20000]
    averages = {e.key: e for e in prof.key_averages()}
    assert averages["[memory]"].count == 2
    table = prof.key_averages().table(sort_by="self_cpu_memory_usage")
    assert "CPU Mem" in table.splitlines()[1] and "19.53 KB" in table
    del w


def test_backward_memory_is_counted(setup):
    """The gradients a backward node returns, and a leaf's first .grad, count as its allocations."""
    model, optimizer, x, y = setup
    with profile(profile_memory=True) as prof:
        nn.functional.cross_entropy(model(x), y).backward()
    nodes = {e.name: e for e in prof.events() if e.name in ("AddmmBackward0", "torch::autograd::AccumulateGrad")}
    assert nodes["AddmmBackward0"].cpu_memory_usage > 0
    assert sum(e.cpu_memory_usage for e in prof.events() if e.name == "torch::autograd::AccumulateGrad") == \
        4 * sum(p.numel() for p in model.parameters())


def test_record_function_forms(setup):
    """record_function as a context manager and as a decorator (also recursive), closed on exceptions;
    outside a recording it does nothing."""
    @record_function("fact")
    def fact(n):
        return minitorch.ones(1) if n <= 1 else n * fact(n - 1)

    assert fact(4).item() == 24
    with profile() as prof:
        with record_function("outer"):
            assert fact(2).item() == 2
            with pytest.raises(KeyError):
                with record_function("fails"):
                    {}["missing"]
            minitorch.ones(2) + 1
    names = [(e.name, e.cpu_parent.name if e.cpu_parent else None) for e in prof.events()]
    assert names == [("outer", None), ("fact", "outer"), ("fact", "fact"), ("aten::ones", "fact"),
                     ("aten::mul", "fact"), ("aten::item", "outer"), ("fails", "outer"), ("aten::ones", "outer"),
                     ("aten::add", "outer")]
    assert all(e.is_user_annotation for e in prof.events() if e.name in ("outer", "fact", "fails"))


def test_not_operators_are_not_recorded():
    """Attribute reads and protocol methods (shape, size, dtype, requires_grad, len, repr) are no ops, as in
    torch; x[0] records aten::select and float(x) aten::item."""
    x = minitorch.randn(3, 4, requires_grad=True)
    with profile() as prof:
        x.shape, x.size(), x.dtype, x.requires_grad, len(x), repr(x.detach()[0, 0]), x.grad, x.is_leaf
    with profile() as prof2:
        float(x[0, 1])
    assert "aten::shape" not in {e.name for e in prof.events()}
    assert [e.name for e in prof2.events() if e.cpu_parent is None] == ["aten::select", "aten::select", "aten::item"]


def test_table_options(setup):
    """sort_by orders rows by that attribute, descending; row_limit; long names end in '...' at
    max_name_column_width; time_unit fixes the unit; header and top_level_events_only add their lines."""
    with profile(profile_memory=True) as prof:
        train_step(*setup)
    averages = prof.key_averages()
    by_key = {e.key: e for e in averages}
    for attribute in ("cpu_time_total", "self_cpu_time_total", "cpu_memory_usage", "self_cpu_memory_usage", "count"):
        table = averages.table(sort_by=attribute, row_limit=-1, max_name_column_width=200)
        rows = [re.split(r"\s{2,}", line.strip())[0] for line in table.splitlines()[3:-2]]
        assert len(rows) == len(averages)
        values = [getattr(by_key[r], attribute) for r in rows]
        assert values == sorted(values, reverse=True)
    lines = averages.table(sort_by="count", row_limit=3, max_name_column_width=20, time_unit="ms").splitlines()
    assert len(lines) == 3 + 3 + 2
    assert all(len(re.split(r"\s{2,}", line.strip())[0]) <= 20 for line in lines[3:6])
    assert any(line.lstrip().startswith("autograd::engine:...") for line in averages.table(
        max_name_column_width=20, row_limit=-1).splitlines())
    assert lines[-1].endswith("ms") and "us" not in lines[3]
    top = prof.events().table(header="my step", top_level_events_only=True, row_limit=-1).splitlines()
    assert top[1] == "my step" and top[3] == "This report only display top-level ops statistics"
    assert len(top) == 7 + sum(1 for e in prof.events() if e.cpu_parent is None) + 2


def test_stacks(setup, tmp_path):
    """with_stack: each op carries the Python frames that called it (innermost first), export_stacks writes
    them outermost first with the metric, and key_averages can group by the innermost frames."""
    model, optimizer, x, y = setup
    with profile(with_stack=True) as prof:
        model(x)
    addmm = next(e for e in prof.events() if e.name == "aten::addmm")
    assert any(__file__ in frame and "test_stacks" in frame for frame in addmm.stack)
    assert not any(_dispatch.__file__ in frame or minitorch.autograd.profiler.__file__ in frame
                   for frame in addmm.stack)
    path = tmp_path / "stacks.txt"
    prof.export_stacks(str(path), "self_cpu_time_total")
    lines = path.read_text().splitlines()
    assert lines and all(int(line.rsplit(" ", 1)[1]) > 0 for line in lines)
    grouped = prof.key_averages(group_by_stack_n=1)
    assert all(len(e.stack) <= 1 for e in grouped) and "Source Location" in grouped.table().splitlines()[1]
    with pytest.raises(AssertionError, match="requires with_stack=True"):
        with profile() as plain:
            model(x)
        plain.export_stacks(str(path))


def test_autograd_profiler(setup):
    """minitorch.autograd.profiler.profile: the autograd-level API (table, key_averages, totals)."""
    with minitorch.autograd.profiler.profile(record_shapes=True) as prof:
        train_step(*setup)
    assert str(prof) == prof.function_events.table()
    assert prof.table(row_limit=2).splitlines()[-1].startswith("Self CPU time total:")
    assert prof.total_average().count == len(prof.function_events)
    assert prof.self_cpu_time_total == pytest.approx(prof.function_events.self_cpu_time_total)
    assert minitorch.autograd.profiler.profile(enabled=False).__enter__() is not None


def test_same_name_nesting_folds():
    """x.float() on a float tensor is one aten::to (its call of to() folds into it), as torch shows it."""
    x = minitorch.ones(3)
    with profile() as prof:
        x.float()
    assert [e.name for e in prof.events()] == ["aten::to"]


def test_plots(setup):
    """plot_timeline draws one bar per event, coloured by phase; plot_memory a step line of the bytes held."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from minitorch.profiler import plot_memory, plot_timeline
    from minitorch.profiler._plots import PHASE_COLORS, memory_timeline
    with profile(profile_memory=True) as prof:
        train_step(*setup)
    ax = plot_timeline(prof)
    assert len(ax.patches) == len([e for e in prof.events() if e.name != "[memory]"])
    colors = {matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches}
    assert {PHASE_COLORS[p].lower() for p in ("forward", "backward", "optimizer")} <= colors
    times, totals = memory_timeline(prof)
    assert times[0] == 0 and max(totals) > 0 and times == sorted(times)
    ax = plot_memory(prof)
    assert list(ax.lines[0].get_ydata()) == pytest.approx([t / 1024 for t in totals])
    with profile() as no_memory:
        train_step(*setup)
    with pytest.raises(RuntimeError, match="profile_memory=True"):
        plot_memory(no_memory)
    matplotlib.pyplot.close("all")


def test_dispatch_mode_sees_index_ops_not_attributes():
    """The lower layer shows x[1:] as aten::slice and never shows attribute reads (shape, size)."""
    from minitorch.utils._python_dispatch import TorchDispatchMode
    seen = []

    class Log(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append(func.name)
            return func(*args, **(kwargs or {}))
    x = minitorch.randn(3, 2)
    with Log():
        x[1:], x.shape, x.size(0), x[None]
    assert seen == ["aten::slice", "aten::unsqueeze"]


@pytest.mark.cuda
def test_cuda_time_per_op():
    """ProfilerActivity.CUDA: each op on a cuda tensor gets its GPU time; CUDA columns and footer appear;
    the memory of cuda arrays is counted as CUDA memory."""
    model = nn.Linear(16, 8).cuda()
    x = minitorch.randn(32, 16, device="cuda")
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA], profile_memory=True) as prof:
        model(x).relu().sum().backward()
    events = {e.name: e for e in prof.events()}
    assert events["aten::addmm"].device_time_total > 0
    assert events["aten::linear"].device_time_total >= events["aten::addmm"].device_time_total
    assert events["aten::addmm"].device_memory_usage == 32 * 8 * 4 and events["aten::addmm"].cpu_memory_usage == 0
    table = prof.key_averages().table(sort_by="self_cuda_time_total")
    assert "Self CUDA" in table.splitlines()[1] and "CUDA Mem" in table.splitlines()[1]
    assert table.splitlines()[-1].startswith("Self CUDA time total: ")
