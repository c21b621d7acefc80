"""Graded tests for chapter 01 (a simple custom module). Random cases are drawn afresh on every run; the
expected values come from minitorch's own nn.Module and nn.Linear (which match PyTorch's)."""
import math
import random

import pytest

import minitorch as torch
from grader.checks import check, check_close, check_equal, check_own_class, check_raises
from minitorch import nn


def _random_tree(rng, depth=0):
    """A random nn.Module tree of Linear layers and Sequentials, with layers shared between branches."""
    layers = [nn.Linear(rng.randint(1, 5), rng.randint(1, 5), bias=rng.random() < 0.7)
              for _ in range(rng.randint(1, 3))]
    if depth < 2 and rng.random() < 0.6:
        layers.append(_random_tree(rng, depth + 1))
    layers += rng.sample(layers, rng.randint(0, len(layers)))  # the same objects again
    return nn.Sequential(*layers)


# ----- ch01.1 count_parameters --------------------------------------------------------------------------
@pytest.mark.exercise("ch01.1", points=1)
def test_count_parameters_of_layers(ch01):
    """count_parameters of single layers"""
    rng = random.Random()
    for _ in range(5):
        n_in, n_out = rng.randint(1, 50), rng.randint(1, 50)
        bias = rng.random() < 0.5
        count = ch01.count_parameters(nn.Linear(n_in, n_out, bias=bias))
        check_equal(count, n_in * n_out + n_out * bias, f"count_parameters(nn.Linear({n_in}, {n_out}, bias={bias}))")
    check_equal(ch01.count_parameters(nn.ReLU()), 0, "count_parameters(nn.ReLU())")


@pytest.mark.exercise("ch01.1", points=1)
def test_count_parameters_shared_and_trainable(ch01):
    """shared layers count once; trainable_only skips frozen parameters"""
    shared = nn.Linear(4, 4)
    fixed = nn.Sequential(shared, nn.ReLU(), nn.Sequential(shared, nn.Linear(4, 2)))
    fixed[2][1].weight.requires_grad_(False)
    check_equal(ch01.count_parameters(fixed), 20 + 10, "a Linear(4, 4) used twice and a Linear(4, 2)")
    check_equal(ch01.count_parameters(fixed, trainable_only=True), 20 + 2,
                "the same, trainable only (the Linear(4, 2) weight frozen)")
    rng = random.Random()
    for case in range(5):
        net = _random_tree(rng)
        params = list(net.parameters())
        frozen = rng.sample(params, rng.randint(0, min(2, len(params))))
        for p in frozen:
            p.requires_grad_(False)
        unique = list(net.parameters())
        check_equal(ch01.count_parameters(net), sum(p.numel() for p in unique),
                    f"random network {case}: all parameters")
        check_equal(ch01.count_parameters(net, trainable_only=True), sum(p.numel() for p in unique if p.requires_grad),
                    f"random network {case}: trainable parameters only")


# ----- ch01.2 Affine ------------------------------------------------------------------------------------
@pytest.mark.exercise("ch01.2", points=1)
def test_affine_is_your_own_module(ch01):
    """Affine is a new nn.Module, not nn.Linear"""
    ch01.Affine(2, 3)
    check_own_class(ch01.Affine, [nn.Linear], "Affine")
    check(issubclass(ch01.Affine, nn.Module), "Affine subclasses nn.Module", expected="nn.Module in its bases",
          got=ch01.Affine.__mro__)


@pytest.mark.exercise("ch01.2", points=2)
def test_affine_layout_and_forward(ch01):
    """weight (out, in) and bias (out,), forward equals F.linear"""
    rng = random.Random()
    for _ in range(4):
        n_in, n_out, batch = rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 4)
        a = ch01.Affine(n_in, n_out)
        check_equal((a.in_features, a.out_features), (n_in, n_out), "(in_features, out_features)")
        check_equal([(n, tuple(p.shape), type(p)) for n, p in a.named_parameters()],
                    [("weight", (n_out, n_in), nn.Parameter), ("bias", (n_out,), nn.Parameter)],
                    f"named parameters of Affine({n_in}, {n_out}): (name, shape, type)")
        x = torch.randn(batch, n_in)
        check_close(a(x), torch.nn.functional.linear(x, a.weight, a.bias), f"Affine({n_in}, {n_out}) output")
        a(x).sum().backward()
        check_close(a.bias.grad, torch.full((n_out,), float(batch)), "bias.grad after a(x).sum().backward()")


@pytest.mark.exercise("ch01.2", points=1)
def test_affine_without_bias_and_repr(ch01):
    """bias=False registers no bias; the repr shows the configuration"""
    a = ch01.Affine(4, 3, bias=False)
    check(a.bias is None, "Affine(4, 3, bias=False).bias is None", got=a.bias)
    check_equal([n for n, _ in a.named_parameters()], ["weight"], "named parameters of Affine(4, 3, bias=False)")
    check_equal(list(a.state_dict()), ["weight"], "state_dict keys of Affine(4, 3, bias=False)")
    x = torch.randn(2, 4)
    check_close(a(x), x @ a.weight.T, "Affine(4, 3, bias=False) output")
    check_equal(repr(ch01.Affine(4, 3)), "Affine(in_features=4, out_features=3, bias=True)", "repr(Affine(4, 3))")
    check_equal(repr(a), "Affine(in_features=4, out_features=3, bias=False)", "repr(Affine(4, 3, bias=False))")


@pytest.mark.exercise("ch01.2", points=1)
def test_affine_init_and_dtype(ch01):
    """uniform start in +-1/sqrt(in_features); dtype= creates float64 parameters"""
    torch.manual_seed(random.randrange(2**31))
    a = ch01.Affine(100, 300)
    bound = 1 / math.sqrt(100)
    values = a.weight.detach()
    check(values.abs().max().item() <= bound, "every weight lies in [-1/sqrt(100), 1/sqrt(100)]",
          expected=f"|w| <= {bound}", got=values.abs().max().item())
    check(values.abs().max().item() > 0.95 * bound, "the weights fill the whole interval (uniform)",
          expected=f"max |w| close to {bound}", got=values.abs().max().item())
    check_close(values.std().item(), bound / math.sqrt(3), "std of the weights (uniform: bound / sqrt(3))", rtol=0.05)
    check(a.bias.detach().abs().max().item() <= bound, "every bias lies in [-1/sqrt(100), 1/sqrt(100)]",
          got=a.bias.detach().abs().max().item())
    double = ch01.Affine(3, 2, dtype=torch.float64)
    check_equal([p.dtype for p in double.parameters()], [torch.float64] * 2, "dtypes of Affine(3, 2, dtype=float64)")


# ----- ch01.3 predict_parameter_names --------------------------------------------------------------------
class Puzzle(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = nn.Parameter(torch.zeros(2))
        self.a = nn.Parameter(torch.zeros(3))
        self.scale = torch.ones(1, requires_grad=True)
        self.register_parameter("c", None)
        self.inner = nn.Linear(3, 1, bias=False)
        self.b = nn.Parameter(torch.zeros(4))
        self.tied = self.a


@pytest.mark.exercise("ch01.3", points=1)
def test_predicted_parameter_names(ch01):
    """your prediction of Puzzle().named_parameters()"""
    truth = [(name, tuple(p.shape)) for name, p in Puzzle().named_parameters()]
    check_equal(ch01.predict_parameter_names(), truth, "named_parameters of Puzzle as (name, shape) pairs")


# ----- ch01.4 TinyModule --------------------------------------------------------------------------------
def _node_class(base):
    class Node(base):
        def __init__(self):
            super().__init__()

        def forward(self, *args, **kwargs):
            return args, kwargs
    return Node


def _random_plan(rng):
    """Build steps for a random tree: per node, (kind, attribute name, index) in assignment order. Children
    point to later nodes (so there is no cycle) and may be shared; parameters come from a shared pool."""
    n_nodes, n_params = rng.randint(2, 6), rng.randint(3, 8)
    names = ["w", "b", "gamma", "alpha", "z", "k"]
    plan = []
    for node in range(n_nodes):
        steps = []
        for _ in range(rng.randint(1, 5)):
            roll = rng.random()
            if roll < 0.45:
                steps.append(("param", rng.choice(names), rng.randrange(n_params)))
            elif roll < 0.75 and node + 1 < n_nodes:
                steps.append(("child", f"m{rng.randint(0, 3)}", rng.randrange(node + 1, n_nodes)))
            elif roll < 0.9 and steps and steps[-1][0] == "param":
                steps.append(("none", steps[-1][1], None))
            else:
                steps.append(("plain", f"note{rng.randint(0, 2)}", rng.randint(0, 9)))
        plan.append(steps)
    return plan, [nn.Parameter(torch.randn(rng.randint(1, 3))) for _ in range(n_params)]


def _build(base, plan, pool):
    """The planned tree made of `base` modules; returns (root, nodes)."""
    node_class = _node_class(base)
    nodes = [node_class() for _ in plan]
    for node, steps in zip(nodes, plan):
        for kind, name, index in steps:
            if kind == "child" and name in node._parameters:  # both reject that; keep the plan valid
                continue
            if kind == "param" and name in node._modules:
                continue
            value = {"param": lambda: pool[index], "child": lambda: nodes[index], "none": lambda: None,
                     "plain": lambda: index}[kind]()
            setattr(node, name, value)
    return nodes[0], nodes


def _twins(ch01, rng):
    plan, pool = _random_plan(rng)
    mine, my_nodes = _build(ch01.TinyModule, plan, pool)
    ref, ref_nodes = _build(nn.Module, plan, pool)
    return mine, ref, {id(m): i for i, m in enumerate(my_nodes)}, {id(m): i for i, m in enumerate(ref_nodes)}


@pytest.mark.exercise("ch01.4", points=1)
def test_tiny_module_is_built_from_scratch(ch01):
    """TinyModule is a plain class, not nn.Module"""
    _node_class(ch01.TinyModule)()
    check_own_class(ch01.TinyModule, [nn.Module], "TinyModule")


@pytest.mark.exercise("ch01.4", points=2)
def test_tiny_module_registration(ch01):
    """__setattr__ registers Parameters and children; __getattr__ finds them"""
    node_class = _node_class(ch01.TinyModule)
    m, child = node_class(), node_class()
    w, w2 = nn.Parameter(torch.randn(2)), nn.Parameter(torch.randn(3))
    m.w = w
    m.plain = torch.ones(2, requires_grad=True)
    m.child = child
    m.b = nn.Parameter(torch.zeros(1))
    check_equal(list(m._parameters), ["w", "b"], "keys of _parameters after assigning w, plain, child, b")
    check_equal(list(m._modules), ["child"], "keys of _modules")
    check("w" not in m.__dict__ and "child" not in m.__dict__, "registered names are not in the instance __dict__",
          expected="no 'w' or 'child'", got=sorted(m.__dict__))
    check(m.w is w and m.child is child, "m.w and m.child return the registered objects")
    check("plain" in m.__dict__, "a plain tensor stays an ordinary attribute", got=sorted(m.__dict__))
    m.w = w2
    check_equal(list(m._parameters), ["w", "b"], "reassigning w keeps its place in _parameters")
    check(m.w is w2, "m.w after reassigning it is the new Parameter")
    with check_raises(TypeError, "assigning a plain tensor to parameter 'w'", match="w"):
        m.w = torch.zeros(2)
    m.w = None
    check(m.w is None and "w" in m._parameters, "m.w = None keeps the slot with None",
          expected="m.w is None, 'w' still in _parameters", got=(m.w, list(m._parameters)))
    with check_raises(AttributeError, "m.missing on an unknown name", match="missing"):
        m.missing
    check(not hasattr(m, "other"), "hasattr(m, 'other') is False")
    del m.b
    check_equal(list(m._parameters), ["w"], "keys of _parameters after del m.b")
    del m.child
    check_equal(list(m._modules), [], "keys of _modules after del m.child")


@pytest.mark.exercise("ch01.4", points=1)
def test_tiny_module_names_on_a_small_tree(ch01):
    """named_parameters of a small tree: dotted names, each Parameter once"""
    node_class = _node_class(ch01.TinyModule)
    root, kid, grand = node_class(), node_class(), node_class()
    p1, p2, p3 = (nn.Parameter(torch.zeros(1)) for _ in range(3))
    root.a = p1
    root.kid = kid
    kid.b = p2
    kid.grand = grand
    grand.c = p1
    grand.d = p3
    root.again = kid
    check_equal([n for n, _ in root.named_parameters()], ["a", "kid.b", "kid.grand.d"],
                "names from root.named_parameters() (grand.c is root.a again; root.again is root.kid again)")
    check_equal([n for n, _ in root.named_modules()], ["", "kid", "kid.grand"], "names from root.named_modules()")


@pytest.mark.exercise("ch01.4", points=2)
def test_tiny_module_walks_like_nn_module(ch01):
    """named_modules, named_children and named_parameters match nn.Module on random trees"""
    rng = random.Random()
    for case in range(12):
        mine, ref, my_index, ref_index = _twins(ch01, rng)
        label = f"random tree {case}"
        check_equal([(n, my_index[id(m)]) for n, m in mine.named_modules()],
                    [(n, ref_index[id(m)]) for n, m in ref.named_modules()], f"{label}: named_modules (name, node)")
        check_equal([(n, my_index[id(m)]) for n, m in mine.named_children()],
                    [(n, ref_index[id(m)]) for n, m in ref.named_children()], f"{label}: named_children (name, node)")
        for kwargs in ({}, {"prefix": "net"}, {"recurse": False}):
            check_equal([(n, id(p)) for n, p in mine.named_parameters(**kwargs)],
                        [(n, id(p)) for n, p in ref.named_parameters(**kwargs)],
                        f"{label}: named_parameters({kwargs}) as (name, id of the tensor)")
        check_equal([id(p) for p in mine.parameters()], [id(p) for p in ref.parameters()],
                    f"{label}: parameters() as ids")


@pytest.mark.exercise("ch01.4", points=1)
def test_tiny_module_trains(ch01):
    """a TinyModule model is called like a module and trains with an optimizer"""
    class Line(ch01.TinyModule):
        def __init__(self):
            super().__init__()
            self.slope = nn.Parameter(torch.zeros(1))
            self.offset = nn.Parameter(torch.zeros(1))

        def forward(self, x, scale=1.0):
            return scale * (x * self.slope + self.offset)

    model = Line()
    check_equal(model(torch.ones(1), scale=0.0).tolist(), [0.0], "model(x, scale=0.0) passes keyword arguments")
    x = torch.linspace(-1, 1, 20)
    y = 3 * x - 2
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    for _ in range(200):
        optimizer.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        optimizer.step()
    check_close([model.slope.item(), model.offset.item()], [3.0, -2.0], "slope and offset after training on y = 3x - 2",
                atol=1e-3)


# ----- ch01.5 GatedLinear (debugging) --------------------------------------------------------------------
@pytest.mark.exercise("ch01.5", points=1)
def test_gated_linear_parameters(ch01):
    """the gate and linear's weight and bias are all registered"""
    g = ch01.GatedLinear(4, 3)
    check_equal([(n, tuple(p.shape)) for n, p in g.named_parameters()],
                [("gate", (3,)), ("linear.weight", (3, 4)), ("linear.bias", (3,))], "named parameters (name, shape)")
    check_equal(g.gate.detach(), torch.zeros(3), "the gate's starting value")


@pytest.mark.exercise("ch01.5", points=1)
def test_gated_linear_forward_and_training(ch01):
    """y = linear(x) * sigmoid(gate), and a training step moves the gate"""
    rng = random.Random()
    n_in, n_out = rng.randint(2, 6), rng.randint(2, 6)
    g = ch01.GatedLinear(n_in, n_out)
    with torch.no_grad():
        g.gate.copy_(torch.randn(n_out))
    x = torch.randn(5, n_in)
    check_close(g(x), g.linear(x) * torch.sigmoid(g.gate), "output of GatedLinear")
    before = g.gate.detach().clone()
    optimizer = torch.optim.SGD(g.parameters(), lr=0.5)
    g(x).pow(2).sum().backward()
    optimizer.step()
    check(not torch.equal(g.gate.detach(), before), "an SGD step over g.parameters() changes the gate",
          expected="a new gate", got=g.gate.detach())


@pytest.mark.exercise("ch01.5", points=1)
def test_gated_linear_dtype(ch01):
    """dtype=float64 reaches every parameter and the output"""
    g = ch01.GatedLinear(3, 2, dtype=torch.float64)
    check_equal([p.dtype for _, p in g.named_parameters()], [torch.float64] * 3, "parameter dtypes with dtype=float64")
    check_equal(g(torch.ones(1, 3, dtype=torch.float64)).dtype, torch.float64, "output dtype for a float64 input")


@pytest.mark.exercise("ch01.5", points=1)
def test_gated_linear_runs_child_hooks(ch01):
    """a forward hook on the child linear runs when the GatedLinear is called"""
    g = ch01.GatedLinear(3, 2)
    seen = []
    g.linear.register_forward_hook(lambda module, args, output: seen.append(tuple(output.shape)))
    g(torch.randn(4, 3))
    check_equal(seen, [(4, 2)], "output shapes seen by a forward hook on g.linear")
