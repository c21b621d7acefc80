"""minitorch.fx against torch.fx: the same modules traced by both give the same nodes, the same generated code,
the same printed graph and table, the same errors; the traced modules compute what the originals do."""
import contextlib
import copy
import io
import math
import re
from importlib import import_module

import numpy as np
import pytest

import minitorch

from ._module_parity import copy_state, outcome, same

pytestmark = pytest.mark.parity


def helper(a, b):
    """A module-level function that tracing records as one node (wrapped below, in both libraries)."""
    return a * b if a.dim() > 1 else a


minitorch.fx.wrap("helper")
try:  # torch's wrap must be called at module level too (without torch, the torch fixture skips the tests)
    import torch.fx as _torch_fx
    _torch_fx.wrap("helper")
except ImportError:
    pass


# ----- the modules traced by both libraries ------------------------------------------------------------
def everything(lib):
    """One module that uses every kind of operation tracing records."""
    nn, F = lib.nn, lib.nn.functional

    class Everything(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(4, 5)
            self.conv = nn.Conv2d(1, 2, 3)
            self.bn = nn.BatchNorm2d(2)
            self.param = nn.Parameter(lib.rand(5))
            self.register_buffer("buf", lib.ones(5))
            self.const = lib.arange(4.0)

        def forward(self, x, y, scale=2):
            a = self.linear(x) + self.param
            b = F.relu(a) * scale
            c = lib.add(b, self.buf).clamp(min=0.0, max=1.0)
            d = c.view(-1, c.size(1) // 5, 5).sum(dim=-1)
            e = lib.flatten(self.bn(self.conv(y)), 1)
            g = F.linear(x, self.linear.weight)
            h = lib.cat([d, x], dim=1)
            first, second = x.shape
            return {"d": d, "e": e, "h": h, "t": (g, first * second), "neg": -x, "r": 1 - x, "pw": x ** 2,
                    "idx": x[:, 0], "m": x @ x.t(), "c": lib.conv2d(y, self.conv.weight), "k": x + self.const,
                    "z": x * lib.zeros(4), "s": F.softmax(x, dim=-1), "w": helper(x, 3), "abs": abs(x),
                    "dt": x.to(lib.float64), "mean": x.mean(), "sig": lib.sigmoid(x).tanh(),
                    "sq": d.squeeze(-1)}
    return Everything()


def digits_cnn(lib):
    """The chapter-03 CNN (minitorch.examples.train_digits), built in either library."""
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))


def blocks(lib):
    """Chapter-02 building blocks: nested user modules, ModuleList, ModuleDict, Sequential inside."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(n, n) for _ in range(2)])
            self.act = nn.ModuleDict({"relu": nn.ReLU(), "tanh": nn.Tanh()})

        def forward(self, x, kind="relu"):
            for layer in self.layers:
                x = self.act[kind](layer(x))
            return x

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.Sequential(Block(3), Block(3))
            self.head = nn.Linear(3, 1)

        def forward(self, x):
            return self.head(self.blocks(x)).squeeze(-1), x.shape[0]
    return Net()


def variadic(lib):
    class Variadic(lib.nn.Module):
        def forward(self, x, *rest, flag=None, **options):
            return x + rest[0] + options["bias"]
    return Variadic()


def _trace(lib, build, **kwargs):
    lib.manual_seed(0)
    return lib.fx.symbolic_trace(build(lib), **kwargs)


def _nodes(gm):
    """(op, name, printed target, args as printed, kwargs as printed) per node: the graph as data."""
    fmt = import_module(type(gm.graph).__module__.replace(".graph", ".node"))._format_arg
    return [(n.op, n.name, _target_name(n), fmt(n.args), fmt(n.kwargs), len(n.users)) for n in gm.graph.nodes]


def _target_name(n):
    return n._pretty_print_target(n.target) if hasattr(n, "_pretty_print_target") else \
        minitorch.fx.node._pretty_target(n.target)


def _tabular(gm):
    """print_tabular's rows, with function targets (whose str holds an address) replaced by their names."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        gm.graph.print_tabular()
    text = re.sub(r"<(built-in )?(function|method) (\w+)[^>]*>", r"<fn \3>", buf.getvalue())
    header, rule, *rows = text.splitlines()  # the rule's widths follow the (differing) str of functions
    return [line.split() for line in [header] + rows]


BUILDERS = [everything, digits_cnn, blocks, variadic]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_nodes_code_and_printouts_match_torch(build, torch):
    def scenario(lib):
        gm = _trace(lib, build)
        readable = gm.print_readable(print_output=False)
        return _nodes(gm), gm.code, str(gm.graph), readable, str(gm), type(gm).__name__
    same(scenario, torch)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_print_tabular_rows_match_torch(build, torch):
    same(lambda lib: _tabular(_trace(lib, build)), torch)


def test_print_tabular_layout_is_torchs(torch):
    """Column widths, the rule line and trimmed trailing spaces, character for character."""
    def scenario(lib):
        def f(x, y):
            return lib.nn.functional.relu(x, inplace=False) + y
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            lib.fx.symbolic_trace(f).graph.print_tabular()
        return re.sub(r"<[^>]*relu[^>]*>", "<relu>", buf.getvalue())
    same(scenario, torch)


@pytest.mark.parametrize("build", [everything, digits_cnn, blocks], ids=lambda b: b.__name__)
def test_graph_module_computes_what_the_module_computes(build):
    minitorch.manual_seed(0)
    module = build(minitorch).eval()
    gm = minitorch.fx.symbolic_trace(module)
    shape = {"everything": (3, 4), "digits_cnn": (2, 1, 8, 8), "blocks": (5, 3)}[build.__name__]
    x = minitorch.randn(*shape)
    args = (x, minitorch.randn(2, 1, 5, 5)) if build is everything else (x,)
    want, got = module(*args), gm(*args)
    flat_want, flat_got = _flatten(want), _flatten(got)
    assert len(flat_want) == len(flat_got) > 0
    for a, b in zip(flat_want, flat_got):
        if isinstance(a, minitorch.Tensor):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        else:
            assert a == b


def _flatten(value):
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flatten(v)]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flatten(v)]
    return [value]


def test_concrete_args_specialize_like_torch(torch):
    def scenario(lib):
        class Gate(lib.nn.Module):
            def forward(self, x, flag=True, extra=None):
                if flag:
                    x = x.relu()
                if extra is not None:
                    x = x + extra
                return x
        traced = lib.fx.symbolic_trace(Gate(), concrete_args={"flag": False, "extra": None})
        return _nodes(traced), traced.code, outcome(lib.fx.symbolic_trace, Gate())
    same(scenario, torch)
    gm = minitorch.fx.symbolic_trace(_gate_module(), concrete_args={"flag": False})
    x = minitorch.randn(3)
    np.testing.assert_array_equal(gm(x, False).numpy(), x.numpy())
    with pytest.raises(AssertionError, match="flag has been specialized to have value False"):
        gm(x, True)


def _gate_module():
    class Gate(minitorch.nn.Module):
        def forward(self, x, flag=True):
            return x.relu() if flag else x
    return Gate()


@pytest.mark.parametrize("body", ["control_flow", "iterate", "length", "int"])
def test_untraceable_code_raises_torchs_errors(body, torch):
    def scenario(lib):
        class Bad(lib.nn.Module):
            def forward(self, x):
                if body == "control_flow":
                    return x if x.sum() > 0 else -x
                if body == "iterate":
                    return [row for row in x]
                if body == "length":
                    return x * len(x)
                return x + int(x.shape[0])
        result = outcome(lib.fx.symbolic_trace, Bad())
        return result[:2] + (result[2].replace("'Proxy'", "Proxy"),)
    same(scenario, torch)


def test_graph_editing_matches_torch(torch):
    """inserting_before/after, replace_all_uses_with, erase_node (and its error), DCE, lint, recompile."""
    def scenario(lib):
        def f(x):
            y = x + 1
            unused = x * 5  # noqa: F841 - dead code for eliminate_dead_code
            return y.relu()
        gm = lib.fx.symbolic_trace(f)
        g = gm.graph
        add = next(n for n in g.nodes if n.name == "add")
        with g.inserting_after(add):
            first = g.call_function(lib.neg, (add,))
        with g.inserting_after(first):
            second = g.call_method("abs", (first,))
        with g.inserting_before(add):
            g.create_node("call_function", lib.exp, (add.args[0],), name="pre")
        add.replace_all_uses_with(second, delete_user_cb=lambda user: user is not first)
        erase_error = outcome(g.erase_node, first)
        changed = g.eliminate_dead_code()
        gm.recompile()
        sizes = [len(g.nodes), [n.name for n in reversed(g.nodes)]]
        return _nodes(gm), gm.code, erase_error, changed, sizes, [n.name for n in add.users]
    same(scenario, torch)


def test_lint_errors_match_torch(torch):
    def scenario(lib):
        gm = lib.fx.symbolic_trace(lambda x: x.relu() + 1)
        nodes = list(gm.graph.nodes)
        nodes[1].prepend(nodes[2])  # the add now comes before the relu it reads
        bad_order = outcome(gm.graph.lint)
        nodes[1].prepend(nodes[2])
        nodes[2].append(nodes[1])
        missing = lib.fx.symbolic_trace(lib.nn.Sequential(lib.nn.ReLU()))
        missing.graph.create_node("call_module", "nothere", ())
        not_module = lib.fx.symbolic_trace(lib.nn.Sequential(lib.nn.Linear(1, 1)))
        not_module.graph.create_node("call_module", "0.weight", ())
        return bad_order, outcome(missing.graph.lint), outcome(not_module.graph.lint)
    same(scenario, torch)


def test_transformer_and_interpreter_match_torch(torch):
    def scenario(lib):
        F = lib.nn.functional

        class Swap(lib.fx.Transformer):
            def call_function(self, target, args, kwargs):
                if target is F.relu:
                    return super().call_function(F.gelu, args, {})
                return super().call_function(target, args, kwargs)

            def call_method(self, target, args, kwargs):
                return super().call_method("sigmoid" if target == "tanh" else target, args, kwargs)
        lib.manual_seed(0)
        module = lib.nn.Sequential(lib.nn.Linear(3, 3))
        gm = lib.fx.symbolic_trace(lambda x: F.relu(x).tanh() * 2)
        new = Swap(gm).transform()
        x = lib.tensor([[-1.0, 0.5, 2.0]])
        ran = lib.fx.Interpreter(gm).run(x)
        return _nodes(new), new.code, type(new).__name__, new(x).tolist(), ran.tolist(), \
            lib.fx.symbolic_trace(module).code
    ours, theirs = scenario(minitorch), scenario(torch)
    assert ours[:3] == theirs[:3] and ours[5] == theirs[5]
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-6)
    np.testing.assert_allclose(ours[4], theirs[4], rtol=1e-6)


def test_interpreter_error_names_the_node(torch):
    def scenario(lib):
        gm = lib.fx.symbolic_trace(lambda x: lib.matmul(x, x))
        result = outcome(lib.fx.Interpreter(gm).run, lib.ones(2, 3))
        return result[2].split("\n\n")[-1].split("\nUse tlparse")[0]  # (torch's own log tool)
    same(scenario, torch)


def test_replace_pattern_matches_torch(torch):
    def scenario(lib):
        def f(x, w):
            a = lib.sigmoid(x) * x
            b = lib.relu(a + w)
            c = lib.sigmoid(b) * b
            return c + lib.relu(x + w)

        def pattern(x, w):
            return lib.relu(x + w)

        def replacement(x, w):
            return lib.clamp(lib.add(x, w), min=0)
        gm = lib.fx.symbolic_trace(f)
        matches = lib.fx.replace_pattern(gm, pattern, replacement)
        gm2 = lib.fx.symbolic_trace(f)
        swish = lib.fx.replace_pattern(gm2, lambda x: lib.sigmoid(x) * x, lambda x: lib.nn.functional.silu(x))
        x, w = lib.tensor([[-1.0, 2.0]]), lib.tensor([[0.5, -3.0]])
        return (len(matches), [(m.anchor.name, sorted((k.name, v.name) for k, v in m.nodes_map.items()))
                               for m in matches], gm.code, len(swish), gm2.code,
                np.round(gm(x, w).numpy(), 6).tolist(), np.round(f(x, w).numpy(), 6).tolist())
    ours = same(scenario, torch)
    assert ours[-1] == ours[-2]


def test_shape_prop_matches_torch(torch):
    def scenario(lib):
        shape_prop = import_module(f"{lib.__name__}.fx.passes.shape_prop")
        lib.manual_seed(0)
        gm = lib.fx.symbolic_trace(digits_cnn(lib))
        shape_prop.ShapeProp(gm).propagate(lib.randn(2, 1, 8, 8))
        return [(n.name, tuple(n.meta["tensor_meta"].shape), str(n.meta["tensor_meta"].dtype),
                 n.meta["tensor_meta"].stride, n.meta["tensor_meta"].requires_grad, n.meta["type"].__name__)
                for n in gm.graph.nodes]
    same(scenario, torch)


def test_fused_conv_bn_equals_torchs(torch):
    from minitorch.fx.experimental.optimization import fuse
    from torch.fx.experimental.optimization import fuse as torch_fuse

    def build(lib):
        nn = lib.nn
        return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                             nn.Conv2d(4, 3, 3, bias=False), nn.BatchNorm2d(3), nn.Flatten(),
                             nn.Linear(3 * 4 * 4, 6), nn.BatchNorm1d(6))
    torch.manual_seed(0)
    theirs = build(torch)
    with torch.no_grad():  # running statistics that are not the defaults
        for m in theirs.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.5, 2)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    ours = build(minitorch)
    copy_state(theirs, ours)
    ours.eval()
    theirs.eval()
    fused, torch_fused = fuse(ours), torch_fuse(theirs)
    assert fused.code == torch_fused.code
    assert [k for k in fused.state_dict()] == [k for k in torch_fused.state_dict()]
    for (name, a), (_, b) in zip(fused.state_dict().items(), torch_fused.state_dict().items()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    x = np.random.default_rng(0).standard_normal((3, 2, 6, 6)).astype(np.float32)
    want = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(fused(minitorch.tensor(x)).detach().numpy(), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours(minitorch.tensor(x)).detach().numpy(), want, rtol=1e-4, atol=1e-5)
    assert "bn" not in fused.code and len(list(fused.modules())) < len(list(ours.modules()))


def test_graph_module_copies_and_printouts_match_torch(torch):
    def scenario(lib):
        lib.manual_seed(0)
        gm = lib.fx.symbolic_trace(blocks(lib))
        deep, shallow = copy.deepcopy(gm), copy.copy(gm)
        sub = gm.get_submodule("blocks")
        return (type(deep).__name__, type(shallow).__name__, deep.code == gm.code, repr(sub),
                sorted(gm.state_dict()), deep.blocks is gm.blocks, shallow.head is gm.head,
                [name for name, _ in gm.named_children()])
    same(scenario, torch)


def test_math_functions_are_autowrapped_like_torch(torch):
    def scenario(lib):
        def f(x):
            return x / math.sqrt(x.size(-1))
        gm = lib.fx.symbolic_trace(f)
        return gm.code, _nodes(gm)
    same(scenario, torch)
