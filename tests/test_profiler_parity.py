"""minitorch.profiler against torch.profiler on the same small programs: the events recorded, their names,
nesting, order, counts and input shapes; the table's layout; FLOPs and memory of the forward ops; the
schedule's actions and the steps it records.

What a recording is compared on: torch records more internal ops than minitorch (aten::as_strided,
aten::resolve_conj, aten::empty ...), so torch's tree is pruned to the names minitorch records (an event
that is left out hands its children to its nearest kept ancestor); the two trees must then be equal. Inside
an engine step only the node's own event is compared: the ops a node runs follow each library's own
backward formulas."""
import importlib
import warnings

import pytest

pytestmark = pytest.mark.parity

ENGINE = "autograd::engine::evaluate_function: "


def _libs(torch):
    return {"minitorch": importlib.import_module("minitorch"), "torch": torch}


def _tensor_shapes(event):
    """The input shapes that are a tensor's (torch lists [] for every other argument of the schema)."""
    return [s for s in (event.input_shapes or []) if s]


def skeleton(events, keep=None, max_depth=None):
    """[(depth, name, tensor input shapes)] in start order; with `keep`, only events of those names, each at
    the depth of its kept ancestors; with `max_depth`, only that deep."""
    rows = []

    def walk(event, depth, inside_node=False):
        kept = keep is None or event.name in keep
        if kept:
            rows.append((depth, event.name, _tensor_shapes(event)))
        if inside_node or depth == max_depth:
            return
        node = event.name[len(ENGINE):] if event.name.startswith(ENGINE) else None
        for child in event.cpu_children:
            if node is None or child.name == node:
                walk(child, depth + kept, node is not None)
    for event in events:
        if event.cpu_parent is None and event.name != "[memory]":
            walk(event, 0)
    return rows


def assert_same_recording(ours, theirs, required, max_depth=None):
    """Our skeleton equals torch's pruned to the names we record, and those include `required`."""
    mine = skeleton(ours, max_depth=max_depth)
    names = {name for _, name, _ in mine}
    assert set(required) <= names, f"not recorded: {sorted(set(required) - names)}"
    expected = skeleton(theirs, keep=names, max_depth=max_depth)
    assert mine == expected


def mlp_step(lib):
    """One training step of an MLP (module loss, SGD), labelled with record_function."""
    nn, profiler = lib.nn, lib.profiler
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 5))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    x, y = lib.randn(8, 20), lib.randint(0, 5, (8,))

    def step():
        with profiler.record_function("train_step"):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
    step()  # gradients exist from here on, as in a running loop
    with profiler.profile(activities=[profiler.ProfilerActivity.CPU], record_shapes=True) as prof:
        step()
    return prof


def cnn_epoch(lib):
    """Two batches of a small CNN from a DataLoader, SGD with momentum, and a labelled evaluation."""
    nn, profiler = lib.nn, lib.profiler
    lib.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 10))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    data = lib.utils.data.TensorDataset(lib.randn(6, 1, 8, 8), lib.randint(0, 10, (6,)))
    loader = lib.utils.data.DataLoader(data, batch_size=3)
    with profiler.profile(record_shapes=True) as prof:
        for x, y in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
            with profiler.record_function("evaluate"), lib.no_grad():
                model(x[:2]).argmax(1)
    return prof


def tensor_ops(lib):
    """Indexing, operators, methods and factories outside any module."""
    profiler = lib.profiler
    lib.manual_seed(0)
    a = lib.randn(4, 5, requires_grad=True)
    index = lib.tensor([0, 2])
    with profiler.profile(record_shapes=True) as prof:
        parts = [a[0], a[:, 1], a[1:3], a[index], a[a > 0], a[..., None], a[0, 1]]
        results = [a + 1, 2 * a, a * a, 1 - a, a / 2, a @ a.T, -a, a ** 2, a.sum(), a.mean(), a.exp(),
                   a.view(20), a.reshape(5, 4), a.flatten(), a.t(), a.transpose(0, 1), a.unsqueeze(0),
                   lib.cat([a, a]), a.softmax(-1), a.detach(), a.clone(), a.to(lib.float64), a.max(),
                   a.argmax(1), lib.zeros(3), lib.ones(2, 2), lib.randn(3), a.float(), a.shape, a.size(0)]
        with lib.no_grad():
            a.add_(1)
            a.mul_(2)
        del parts, results
    return prof


@pytest.mark.parametrize("program, required, max_depth", [
    (mlp_step, ["train_step", "Optimizer.zero_grad#SGD.zero_grad", "aten::linear", "aten::t", "aten::addmm",
                "aten::relu", "aten::cross_entropy_loss", "aten::log_softmax", "aten::nll_loss_nd",
                ENGINE + "NllLossBackward0", "LogSoftmaxBackward0", "AddmmBackward0", "TBackward0",
                ENGINE + "torch::autograd::AccumulateGrad", "ReluBackward0", "Optimizer.step#SGD.step"], None),
    (cnn_epoch, ["enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__", "aten::select",
                 "aten::conv2d", "aten::max_pool2d", "aten::flatten", "ConvolutionBackward0",
                 "MaxPool2DWithIndicesBackward0", "ViewBackward0", "evaluate", "aten::slice", "aten::argmax"], None),
    (tensor_ops, ["aten::select", "aten::slice", "aten::index", "aten::unsqueeze", "aten::gt", "aten::add",
                  "aten::mul", "aten::rsub", "aten::div", "aten::numpy_T", "aten::matmul", "aten::neg",
                  "aten::pow", "aten::sum", "aten::mean", "aten::view", "aten::reshape", "aten::cat",
                  "aten::detach", "aten::clone", "aten::to", "aten::zeros", "aten::randn", "aten::add_"], 0),
], ids=["mlp_step", "cnn_epoch", "tensor_ops"])
def test_recording_matches_torch(torch, program, required, max_depth):
    """Same events, names, nesting, order, counts and tensor shapes as torch.profiler records (for the tensor
    ops, the calls themselves: torch runs view, reshape ... inside other ops that minitorch computes at once)."""
    libs = _libs(torch)
    ours, theirs = program(libs["minitorch"]), program(libs["torch"])
    assert_same_recording(ours.events(), theirs.events(), required, max_depth)


def _inside_nodes(events):
    """The names of events that run inside a backward node (each library's own backward formulas)."""
    names = set()
    for e in events:
        parent = e.cpu_parent
        while parent is not None:
            if parent.cpu_parent is not None and parent.cpu_parent.name.startswith(ENGINE):
                names.add(e.name)
                break
            parent = parent.cpu_parent
    return names


def test_key_average_counts_match_torch(torch):
    """key_averages: every key we report has torch's count (keys that also run inside backward nodes aside)."""
    libs = _libs(torch)
    ours, theirs = cnn_epoch(libs["minitorch"]), cnn_epoch(libs["torch"])
    apart = _inside_nodes(ours.events()) | _inside_nodes(theirs.events())
    ours = {e.key: e.count for e in ours.key_averages() if e.key not in apart}
    theirs = {e.key: e.count for e in theirs.key_averages()}
    assert len(ours) >= 25
    assert {k: theirs.get(k) for k in ours} == ours


def test_group_by_input_shape_matches_torch(torch):
    """group_by_input_shape=True splits a key by its tensor shapes as torch does."""
    libs = _libs(torch)

    def groups(prof):
        return sorted((e.key, str(_tensor_shapes(e)), e.count) for e in prof.key_averages(group_by_input_shape=True)
                      if e.key in ("aten::linear", "aten::addmm", "aten::relu", "AddmmBackward0"))
    assert groups(mlp_step(libs["minitorch"])) == groups(mlp_step(libs["torch"]))


def _header(table):
    return table.splitlines()[:3]


@pytest.mark.parametrize("options, sort_by", [({}, "cpu_time_total"),
                                              ({"profile_memory": True}, "self_cpu_memory_usage"),
                                              ({"profile_memory": True}, "count")])
def test_table_header_matches_torch(torch, options, sort_by):
    """The table's separator and column headers are torch's, for the same options."""
    tables = {}
    for name, lib in _libs(torch).items():
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(8, 8), lib.nn.ReLU())
        with lib.profiler.profile(**options) as prof:
            model(lib.randn(4, 8)).sum().backward()
        tables[name] = prof.key_averages().table(sort_by=sort_by, row_limit=5)
    assert _header(tables["minitorch"]) == _header(tables["torch"])
    assert tables["minitorch"].splitlines()[-1].startswith("Self CPU time total: ")


def test_table_flops_column_matches_torch(torch):
    """with_flops: the 'Total <unit>FLOPs' column, and the FLOPs of addmm, mm and conv2d, are torch's."""
    flops, headers = {}, {}
    for name, lib in _libs(torch).items():
        F = lib.nn.functional
        a, b, c = lib.randn(8, 16), lib.randn(16, 4), lib.randn(4)
        x, w = lib.randn(2, 3, 10, 10), lib.randn(5, 3, 3, 3)
        with lib.profiler.profile(with_flops=True) as prof:
            lib.mm(a, b)
            F.linear(a, b.T, c)
            F.conv2d(x, w, stride=2, padding=1)
            lib.bmm(lib.randn(3, 4, 5), lib.randn(3, 5, 6))
        averages = prof.key_averages()
        flops[name] = {e.key: e.flops for e in averages if e.key in ("aten::mm", "aten::addmm", "aten::conv2d",
                                                                      "aten::bmm")}
        headers[name] = averages.table(row_limit=3).splitlines()[1].split()[-2:]
    assert flops["minitorch"] == flops["torch"] == {"aten::mm": 1024, "aten::addmm": 1024, "aten::conv2d": 13500,
                                                    "aten::bmm": 720}
    assert headers["minitorch"] == headers["torch"] == ["Total", "FLOPs"]


def test_forward_memory_matches_torch(torch):
    """profile_memory: the bytes the forward ops of a Linear + ReLU allocate are torch's."""
    usage = {}
    for name, lib in _libs(torch).items():
        model = lib.nn.Sequential(lib.nn.Linear(20, 16), lib.nn.ReLU())
        x = lib.randn(8, 20)
        with lib.profiler.profile(profile_memory=True) as prof:
            out = model(x)
        usage[name] = {e.key: (e.cpu_memory_usage, e.self_cpu_memory_usage) for e in prof.key_averages()
                       if e.key in ("aten::linear", "aten::t", "aten::addmm", "aten::relu")}
        del out
    assert usage["minitorch"].pop("aten::relu")[0] == usage["torch"].pop("aten::relu")[0] == 512  # torch
    # allocates relu's output in a nested clamp_min, minitorch in relu itself: only the totals compare
    assert usage["minitorch"] == usage["torch"] == {"aten::linear": (512, 0), "aten::t": (0, 0),
                                                    "aten::addmm": (512, 512)}


@pytest.mark.parametrize("kwargs", [dict(wait=1, warmup=1, active=2), dict(wait=0, warmup=2, active=1, repeat=2),
                                    dict(wait=2, warmup=1, active=3, repeat=1, skip_first=3),
                                    dict(wait=3, warmup=1, active=1, skip_first=2, skip_first_wait=1)])
def test_schedule_actions_match_torch(torch, kwargs):
    """schedule(...) gives torch's action for every step."""
    import minitorch
    ours = minitorch.profiler.schedule(**kwargs)
    theirs = torch.profiler.schedule(**kwargs)
    assert [ours(step).name for step in range(30)] == [theirs(step).name for step in range(30)]


def test_schedule_errors_match_torch(torch):
    """Invalid schedule arguments and a schedule without warmup: torch's error and warning."""
    import minitorch
    for lib in (minitorch, torch):
        with pytest.raises(AssertionError) as raised:
            lib.profiler.schedule(wait=-1, warmup=0, active=0)
        assert "Invalid profiler schedule arguments. Got wait=-1 (need >= 0)" in str(raised.value)
        with pytest.warns(UserWarning, match="Profiler won't be using warmup"):
            lib.profiler.schedule(wait=1, warmup=0, active=1)


def test_scheduled_profile_records_the_steps_torch_records(torch):
    """profile(schedule=..., on_trace_ready=...) + step(): the traces come out at torch's steps, each with the
    ProfilerStep#N ranges torch records."""
    seen = {}
    for name, lib in _libs(torch).items():
        traces = []

        def ready(prof):
            traces.append((prof.step_num, sorted(e.trace_name for e in prof.events()
                                                 if e.name == "ProfilerStep*")))
        x = lib.randn(3, 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.profiler.profile(schedule=lib.profiler.schedule(wait=1, warmup=1, active=2, repeat=2),
                                      on_trace_ready=ready) as prof:
                for _ in range(10):
                    x @ x
                    prof.step()
        seen[name] = traces
    assert seen["minitorch"] == seen["torch"] == [(4, ["ProfilerStep#2", "ProfilerStep#3"]),
                                                  (8, ["ProfilerStep#6", "ProfilerStep#7"])]
