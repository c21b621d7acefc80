"""Graded tests for chapter 11 (transforming modules with fx). Models are drawn afresh on every run; the
expected answers come from minitorch itself (eager runs with GELU, fx's own trace, a FLOP count written
here from the rules in the exercise)."""
import math
import random

import pytest

import minitorch as torch
from grader.checks import check, check_close, check_equal
from minitorch import fx, nn
from minitorch.fx.passes.shape_prop import ShapeProp
from minitorch.nn import functional as F

RELU_FORMS = ("F.relu", "torch.relu", "method", "module")
OTHER_STEPS = ("linear", "tanh", "scale", "sigmoid-method")


class Steps(nn.Module):
    """A forward that applies `steps` in order; ReLUs written in the four ways, or GELU in their place."""

    def __init__(self, steps, gelu=False):
        super().__init__()
        self.steps, self.gelu = list(steps), gelu
        self.lin = nn.Linear(3, 3)
        self.act = nn.ReLU()

    def forward(self, x):
        for step in self.steps:
            if step in RELU_FORMS and self.gelu:
                x = F.gelu(x)
            elif step == "F.relu":
                x = F.relu(x)
            elif step == "torch.relu":
                x = torch.relu(x)
            elif step == "method":
                x = x.relu()
            elif step == "module":
                x = self.act(x)
            elif step == "linear":
                x = self.lin(x)
            elif step == "tanh":
                x = torch.tanh(x)
            elif step == "scale":
                x = x * 2 - 1
            else:
                x = x.sigmoid()
        return x


def _is_relu(node, gm):
    if node.op == "call_function":
        return node.target in (F.relu, torch.relu)
    if node.op == "call_method":
        return node.target == "relu"
    return node.op == "call_module" and isinstance(gm.get_submodule(node.target), nn.ReLU)


# ----- ch11.1 ReluToGelu -----------------------------------------------------------------------------------
@pytest.mark.exercise("ch11.1", points=1)
def test_every_relu_form_becomes_gelu(ch11):
    """each way of writing ReLU (F.relu, torch.relu, x.relu(), an nn.ReLU module) becomes one F.gelu node"""
    for form in RELU_FORMS:
        gm = fx.symbolic_trace(Steps(["linear", form]))
        new = ch11.ReluToGelu(gm).transform()
        check(isinstance(new, fx.GraphModule), "transform() returns a GraphModule", got=type(new))
        relus = [n.name for n in new.graph.nodes if _is_relu(n, new)]
        check_equal(relus, [], f"ReLU nodes left after the pass ({form})")
        gelus = [n.op for n in new.graph.nodes if n.op == "call_function" and n.target is F.gelu]
        check_equal(gelus, ["call_function"], f"F.gelu call_function nodes after the pass ({form})")


@pytest.mark.exercise("ch11.1", points=2)
def test_random_models_compute_with_gelu(ch11):
    """random models: the transformed module computes what the model computes with GELU, other nodes untouched"""
    rng = random.Random()
    for trial in range(6):
        steps = [rng.choice(RELU_FORMS + OTHER_STEPS) for _ in range(rng.randint(2, 7))] + [rng.choice(RELU_FORMS)]
        torch.manual_seed(trial)
        model = Steps(steps)
        reference = Steps(steps, gelu=True)
        reference.load_state_dict(model.state_dict())
        gm = fx.symbolic_trace(model)
        new = ch11.ReluToGelu(gm).transform()
        x = torch.randn(4, 3)
        check_close(new(x), reference(x), f"output of the transformed {steps}")
        kept = [(n.op, n.target) for n in gm.graph.nodes if not _is_relu(n, gm)]
        check_equal([(n.op, n.target) for n in new.graph.nodes if not (n.op == "call_function" and
                                                                          n.target is F.gelu)],
                    kept, f"the nodes other than ReLU, in order ({steps})")


# ----- ch11.2 predict the graph ----------------------------------------------------------------------------
@pytest.mark.exercise("ch11.2", points=1)
def test_predicted_graph(ch11):
    """predict_graph() lists the traced Puzzle's nodes as (opcode, target)"""
    gm = fx.symbolic_trace(ch11.Puzzle())
    truth = [(n.op, fx.node._pretty_target(n.target)) for n in gm.graph.nodes]
    check_equal(list(ch11.predict_graph()), truth, "the nodes of the traced Puzzle, in order")


# ----- ch11.3 count_flops ----------------------------------------------------------------------------------
def _reference_flops(gm, *inputs):
    """The rules of the exercise, written independently of the learner's code."""
    ShapeProp(gm).propagate(*inputs)
    out = {}
    for node in gm.graph.nodes:
        if node.op not in ("call_module", "call_function", "call_method"):
            continue
        meta = node.meta.get("tensor_meta")
        size = math.prod(meta.shape) if node.meta.get("type") is torch.Tensor else 0
        m = gm.get_submodule(node.target) if node.op == "call_module" else None
        if isinstance(m, nn.Linear):
            out[node.name] = size // m.out_features * m.in_features * m.out_features * 2 + \
                (size if m.bias is not None else 0)
        elif isinstance(m, nn.Conv2d):
            per = 2 * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
            out[node.name] = size * per + (size if m.bias is not None else 0)
        else:
            out[node.name] = size
    return out


class ConvNet(nn.Module):
    def __init__(self, channels, groups, bias, hidden, linear_bias):
        super().__init__()
        self.conv = nn.Conv2d(2, channels, 3, padding=1, groups=groups, bias=bias)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(channels * 9, hidden, bias=linear_bias)

    def forward(self, x):
        y = self.pool(torch.relu(self.conv(x)))
        return self.fc(y.flatten(1)) * 0.5, x.shape[0]


@pytest.mark.exercise("ch11.3", points=2)
def test_flops_of_random_models(ch11):
    """FLOPs per node of random conv nets (groups, biases, batch sizes) and MLPs"""
    rng = random.Random()
    for _ in range(5):
        groups = rng.choice([1, 2])
        model = ConvNet(2 * rng.randint(1, 3), groups, rng.random() < 0.5, rng.randint(2, 6), rng.random() < 0.5)
        x = torch.randn(rng.randint(1, 4), 2, 6, 6)
        got = ch11.count_flops(fx.symbolic_trace(model), x)
        want = _reference_flops(fx.symbolic_trace(model), x)
        check_equal(dict(got), want, f"FLOPs per node (conv groups={groups}, batch {x.shape[0]})")
    mlp = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3, bias=False))
    x = torch.randn(rng.randint(2, 9), 5)
    check_equal(dict(ch11.count_flops(fx.symbolic_trace(mlp), x)), _reference_flops(fx.symbolic_trace(mlp), x),
                "FLOPs per node of an MLP")


@pytest.mark.exercise("ch11.3", points=1)
def test_only_computing_nodes_are_counted(ch11):
    """placeholders, get_attr and output nodes are left out; a non-tensor result counts 0"""
    class WithParam(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(3))

        def forward(self, x):
            return (x * self.w).sum() + x.size(0)
    got = ch11.count_flops(fx.symbolic_trace(WithParam()), torch.ones(2, 3))
    check_equal(dict(got), {"mul": 6, "sum_1": 1, "size": 0, "add": 1}, "FLOPs per node of x * w, sum, size")
