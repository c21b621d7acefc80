"""minitorch.fx beyond what the parity tests compare: the dispatch door's part in tracing, save/load without
pickle (and the files it refuses), hand-made Proxies, drawing, the per-node profiler, to_folder."""
import gc
import io
import json
import operator
import struct

import numpy as np
import pytest

import minitorch
from minitorch import _dispatch, fx, nn
from minitorch.fx.profiling import NodeProfiler
from minitorch.nn import functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(3 * 4 * 4, 5)
        self.scale = nn.Parameter(minitorch.ones(5))

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        return self.fc(x.flatten(1)) * self.scale + minitorch.arange(5.0)


def _net():
    minitorch.manual_seed(0)
    return Net().eval()


def test_tracing_leaves_the_fast_path_on():
    """Nothing of the trace stays installed: the dispatch door is back to one flag test afterwards."""
    gm = fx.symbolic_trace(_net())
    gc.collect()
    assert _dispatch._PLAIN[0] and _dispatch._foreign[0] == 0
    assert nn.Module.__call__ is not None and "__call__" in nn.Module.__dict__
    x = minitorch.randn(2, 1, 8, 8)
    np.testing.assert_array_equal(gm(x).detach().numpy(), _net()(x).detach().numpy())


def test_ops_never_see_a_proxy():
    """A hand-made Proxy (outside any trace) still reaches __torch_function__: the door takes its full path
    while a Proxy lives, so no op implementation runs on it (and records nonsense)."""
    graph = fx.Graph()
    x = fx.Proxy(graph.placeholder("x"))
    assert not _dispatch._PLAIN[0]
    out = minitorch.neg(F.relu(x)) + minitorch.ones(2)
    graph.output(out.node)
    assert [(n.op, n.name) for n in graph.nodes] == [
        ("placeholder", "x"), ("call_function", "relu"), ("call_function", "neg"), ("call_function", "add"),
        ("output", "output")]
    assert isinstance(graph.find_nodes(op="call_function", target=operator.add)[0].args[1], minitorch.Tensor)
    del x, out
    gc.collect()
    assert _dispatch._PLAIN[0]


def test_functions_reach_the_tracer_as_torch_hands_them():
    """F.relu arrives with inplace as a keyword, minitorch.add as a function, Tensor.add as a method."""
    def f(x, t):
        return F.relu(x), minitorch.add(x, 1), minitorch.Tensor.add(x, 2), F.softmax(x, -1)
    gm = fx.symbolic_trace(f)
    calls = [(n.op, fx.node._pretty_target(n.target), n.args[1:], n.kwargs) for n in gm.graph.nodes
             if n.op.startswith("call")]
    assert calls == [("call_function", "torch.nn.functional.relu", (), {"inplace": False}),
                     ("call_function", "torch.add", (1,), {}), ("call_method", "add", (2,), {}),
                     ("call_function", "torch.nn.functional.softmax", (),
                      {"dim": -1, "_stacklevel": 3, "dtype": None})]


def test_save_and_load_round_trip(tmp_path):
    net = _net()
    gm = fx.symbolic_trace(net)
    path = tmp_path / "gm.pt"
    minitorch.save(gm, path)
    loaded = minitorch.load(path)
    assert type(loaded).__name__ == "Net" and isinstance(loaded, fx.GraphModule)
    assert loaded.code == gm.code and str(loaded.graph) == str(gm.graph)
    assert loaded.training is False and isinstance(loaded.scale, nn.Parameter)
    x = minitorch.randn(2, 1, 8, 8)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), gm(x).detach().numpy())
    assert sorted(loaded.state_dict()) == sorted(gm.state_dict())
    assert repr(loaded.conv) == repr(net.conv)


def test_save_refuses_what_cannot_be_rebuilt():
    def local(x):
        return x * 2

    class Custom(nn.Module):
        def forward(self, x):
            return x

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Custom()

        def forward(self, x):
            return self.inner(x)
    tracer = fx.Tracer()
    tracer.is_leaf_module = lambda m, name: True
    graph = tracer.trace(Outer())
    with pytest.raises(TypeError, match="class Custom is not a minitorch.nn layer"):
        minitorch.save(fx.GraphModule(tracer.root, graph), io.BytesIO())
    gm = fx.symbolic_trace(lambda x: x + 1)
    gm.graph.call_function(local, (next(iter(gm.graph.nodes)),))
    with pytest.raises(TypeError, match="it calls .*local, which is not a minitorch op"):
        minitorch.save(gm, io.BytesIO())


def _tampered(gm, change):
    """A saved GraphModule whose graph JSON was changed by `change(nodes)`: the structure is rewritten in the
    header, as an attacker would."""
    buf = io.BytesIO()
    minitorch.save(gm, buf)
    raw = buf.getvalue()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    structure = json.loads(header["__metadata__"]["minitorch"])
    value = structure["root"]["value"]
    graph_item = next(item for item in value["items"] if item[0] == "graph")
    nodes = json.loads(graph_item[1])
    change(nodes)
    graph_item[1] = json.dumps(nodes)
    header["__metadata__"]["minitorch"] = json.dumps(structure)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return io.BytesIO(len(text).to_bytes(8, "little") + text + raw[8 + n:])


@pytest.mark.parametrize("change, problem", [
    (lambda nodes: nodes[1].update(target="builtins.eval"), "unknown function 'builtins.eval'"),
    (lambda nodes: nodes[1].update(target="torch.save"), "unknown function 'torch.save'"),
    (lambda nodes: nodes[1].update(name="x; import os"), "bad or repeated node name"),
    (lambda nodes: nodes[1].update(op="call_method", target="__class__"), "unknown Tensor method"),
    (lambda nodes: nodes[1].update(op="get_attr", target='a"); import os; ("'), "bad target"),
    (lambda nodes: nodes[1].update(args={"node": "nowhere"}), "unknown node 'nowhere'"),
])
def test_load_refuses_tampered_graphs(change, problem):
    gm = fx.symbolic_trace(lambda x: minitorch.relu(x))
    with pytest.raises(minitorch.serialization.SerializationError, match=problem):
        minitorch.load(_tampered(gm, change))


def test_load_refuses_classes_outside_minitorch_nn():
    gm = fx.symbolic_trace(nn.Sequential(nn.ReLU()))
    buf = io.BytesIO()
    minitorch.save(gm, buf)
    raw = buf.getvalue().replace(b'\\"ReLU\\"', b'\\"eval\\"')
    assert b"eval" in raw
    with pytest.raises(minitorch.serialization.SerializationError, match="unknown module class 'eval'"):
        minitorch.load(io.BytesIO(raw))


def test_deepcopy_is_independent():
    import copy
    gm = fx.symbolic_trace(_net())
    twin = copy.deepcopy(gm)
    with minitorch.no_grad():
        twin.fc.weight.zero_()
    assert gm.fc.weight.abs().sum().item() > 0
    assert twin.code == gm.code and twin.graph is not gm.graph
    twin.graph.call_function(minitorch.exp, (next(iter(twin.graph.nodes)),))
    assert len(twin.graph.nodes) == len(gm.graph.nodes) + 1


def test_to_folder_writes_an_importable_module(tmp_path):
    import importlib.util
    gm = fx.symbolic_trace(_net())
    gm.to_folder(tmp_path / "pkg", "Exported")
    spec = importlib.util.spec_from_file_location("pkg_module", tmp_path / "pkg" / "module.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    exported = module.Exported().eval()
    x = minitorch.randn(2, 1, 8, 8)
    np.testing.assert_array_equal(exported(x).detach().numpy(), gm(x).detach().numpy())


def test_node_profiler_times_every_node():
    gm = fx.symbolic_trace(_net())
    profiler = NodeProfiler(gm)
    x = minitorch.randn(2, 1, 8, 8)
    out = profiler.profile(x, runs=3)
    np.testing.assert_array_equal(out.detach().numpy(), gm(x).detach().numpy())
    totals = profiler.totals()
    assert list(totals) == [n.name for n in gm.graph.nodes] and profiler.runs == 3
    assert all(t >= 0 for t in totals.values()) and totals["conv"] > 0
    lines = profiler.table().splitlines()
    assert lines[0].split() == ["node", "opcode", "target", "ms/run", "share"] and len(lines) == 2 + len(totals)


def test_draw_graph_places_every_node():
    matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is in the notebooks extra")
    matplotlib.use("Agg")
    from minitorch.fx.drawing import draw_graph, layout
    gm = fx.symbolic_trace(_net())
    pos = layout(gm.graph)
    assert set(pos) == set(gm.graph.nodes)
    for node in gm.graph.nodes:
        assert all(pos[n][1] < pos[node][1] for n in node.all_input_nodes)
    ax = draw_graph(gm)
    boxes = [t.get_text().split("\n")[0] for t in ax.texts if t.get_bbox_patch() is not None]
    assert sorted(boxes) == sorted(n.name for n in gm.graph.nodes)


def test_wrap_only_at_module_level():
    with pytest.raises(NotImplementedError, match="wrap must be called at the top level of a module"):
        fx.wrap("len")
    with pytest.raises(RuntimeError, match="Unsupported type for global function"):
        fx.wrap(3)


def test_interpreter_missing_input_and_defaults():
    gm = fx.symbolic_trace(lambda x, y=3: x * y)
    assert fx.Interpreter(gm).run(minitorch.ones(2)).tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="Expected positional argument for parameter x"):
        fx.Interpreter(gm).run()


def test_trace_error_is_a_value_error():
    assert issubclass(fx.TraceError, ValueError)
    with pytest.raises(fx.TraceError, match="cannot be used as inputs to control flow"):
        fx.symbolic_trace(lambda x: x if x.sum() else -x)
