"""Graded tests for chapter 02 (modules as building blocks). Random cases are drawn afresh on every run;
the expected behaviour is minitorch's nn.Sequential (which matches PyTorch's)."""
import random

import pytest

import minitorch as torch
from grader.checks import check, check_close, check_equal, check_own_class, check_raises
from minitorch import nn

SHAPE_KEEPING = (lambda: nn.Linear(3, 3), nn.ReLU, nn.Tanh, nn.Identity, nn.Sigmoid)


def _layer(rng):
    return rng.choice(SHAPE_KEEPING)()


class Labels(dict):
    """Short names for module objects ("Linear#1", "ReLU#2"), so that messages show which object is where."""

    def __call__(self, module, root=None):
        if module is root:
            return "(the container)"
        return self.setdefault(id(module), f"{type(module).__name__}#{len(self) + 1}")


def _names(seq, label):
    """(name, label of the module) for each child slot, in order."""
    return [(name, label(module)) for name, module in seq._modules.items()]


# ----- ch02.1 MySequential ------------------------------------------------------------------------------
@pytest.mark.exercise("ch02.1", points=1)
def test_my_sequential_is_built_on_module(ch02):
    """MySequential is your own container on nn.Module, not nn.Sequential"""
    seq = ch02.MySequential(nn.ReLU())
    check_own_class(ch02.MySequential, [nn.Sequential, nn.ModuleList, nn.ModuleDict], "MySequential")
    check(isinstance(seq, nn.Module), "MySequential(...) is an nn.Module", got=type(seq).__mro__)


@pytest.mark.exercise("ch02.1", points=2)
def test_my_sequential_registers_and_runs_in_order(ch02):
    """children "0", "1", ...; forward, parameters, named_modules and repr like nn.Sequential"""
    rng = random.Random()
    for case in range(5):
        layers = [_layer(rng) for _ in range(rng.randint(0, 5))]
        if layers and rng.random() < 0.5:
            layers.append(nn.Sequential(layers[0], _layer(rng)))  # a nested container sharing a module
        mine, ref = ch02.MySequential(*layers), nn.Sequential(*layers)
        label, names = f"MySequential of {len(layers)} modules", Labels()
        check_equal(_names(mine, names), _names(ref, names), f"{label}: (name, module) in _modules")
        check_equal([(n, names(m, mine)) for n, m in mine.named_modules()],
                    [(n, names(m, ref)) for n, m in ref.named_modules()], f"{label}: named_modules (name, module)")
        check_equal([names(p) for p in mine.parameters()], [names(p) for p in ref.parameters()],
                    f"{label}: parameters()")
        check_equal(len(mine), len(ref), f"len of {label}")
        check_equal([names(m) for m in mine], [names(m) for m in ref], f"iterating over {label}")
        x = torch.randn(2, 3)
        check_close(mine(x), ref(x), f"{label}: output")
        check_equal(repr(mine), repr(ref).replace("Sequential", "MySequential", 1), f"repr of {label}")
    keyed = ch02.MySequential({"first": nn.ReLU(), "second": nn.Tanh()})
    check_equal(list(keyed._modules), ["first", "second"], "names of MySequential({'first': ..., 'second': ...})")


@pytest.mark.exercise("ch02.1", points=2)
def test_my_sequential_indexing_and_slicing(ch02):
    """seq[i], seq[i] = m, seq[a:b] keeps the names, out of range is an IndexError"""
    rng = random.Random()
    layers = [_layer(rng) for _ in range(rng.randint(3, 6))]
    mine, ref, names = ch02.MySequential(*layers), nn.Sequential(*layers), Labels()
    n = len(layers)
    for i in range(-n, n):
        check(mine[i] is ref[i], f"seq[{i}] is the module at that position")
    for i in (n, -n - 1, n + 3):
        with check_raises(IndexError, f"seq[{i}] on {n} modules"):
            mine[i]
    for a, b in [(1, None), (-2, None), (0, 0), *(sorted(rng.sample(range(-n, n + 1), 2)) for _ in range(3))]:
        part = mine[a:b]
        check(type(part) is ch02.MySequential, f"seq[{a}:{b}] is a MySequential", got=type(part))
        check_equal(_names(part, names), _names(ref[a:b], names), f"seq[{a}:{b}]: (name, module) in _modules")
    i, new = rng.randrange(n), nn.GELU()
    mine[i] = new
    ref[i] = new
    check_equal(_names(mine, names), _names(ref, names), f"(name, module) after seq[{i}] = nn.GELU()")


@pytest.mark.exercise("ch02.1", points=3)
def test_my_sequential_append_insert_delete(ch02):
    """append, insert, del and pop renumber the names like nn.Sequential"""
    a, b, c, d, e = nn.ReLU(), nn.Tanh(), nn.Identity(), nn.Sigmoid(), nn.GELU()
    mine = ch02.MySequential(a, b, c, d)
    del mine[1]
    names = Labels()
    expected = [("0", names(a)), ("1", names(c)), ("2", names(d))]
    check_equal(_names(mine, names), expected, "(name, module) after del seq[1] on (ReLU, Tanh, Identity, Sigmoid)")
    mine.insert(-1, e)
    check_equal(_names(mine, names), expected[:2] + [("2", names(e)), ("3", names(d))],
                "(name, module) after that and insert(-1, GELU)")
    rng = random.Random()
    for case in range(6):
        layers = [_layer(rng) for _ in range(rng.randint(1, 4))]
        mine, ref, names = ch02.MySequential(*layers), nn.Sequential(*layers), Labels()
        done = []
        for _ in range(8):
            n = len(ref)
            op = rng.choice(("append", "insert", "del", "del slice", "pop") if n else ("append", "insert"))
            if op == "append":
                module = rng.choice(layers) if rng.random() < 0.3 else _layer(rng)
                check(mine.append(module) is mine, "seq.append(module) returns seq")
                ref.append(module)
            elif op == "insert":
                index, module = rng.randint(-n, n), _layer(rng)
                mine.insert(index, module)
                ref.insert(index, module)
                op = f"insert({index})"
            elif op == "del":
                index = rng.randrange(-n, n)
                del mine[index]
                del ref[index]
                op = f"del seq[{index}]"
            elif op == "del slice":
                a, b = sorted(rng.sample(range(-n, n + 1), 2))
                del mine[a:b]
                del ref[a:b]
                op = f"del seq[{a}:{b}]"
            else:
                index = rng.randrange(-n, n)
                check(mine.pop(index) is ref.pop(index), f"seq.pop({index}) returns the module at {index}")
                op = f"pop({index})"
            done.append(op)
            check_equal(_names(mine, names), _names(ref, names), f"(name, module) after {', '.join(done)}")
        x = torch.randn(2, 3)
        check_close(mine(x), ref(x), f"output after {', '.join(done)}")
    small = ch02.MySequential(nn.ReLU())
    for index in (2, -2):
        with check_raises(IndexError, f"insert({index}, module) into 1 module"):
            small.insert(index, nn.ReLU())


# ----- ch02.2 predict_named_modules ---------------------------------------------------------------------
def puzzle_net():
    shared = nn.ReLU()
    return nn.Sequential(
        nn.Linear(2, 2),
        shared,
        nn.Sequential(shared, nn.Linear(2, 2)),
        nn.ModuleDict({"out": nn.Linear(2, 1), "act": shared}),
    )


@pytest.mark.exercise("ch02.2", points=1)
def test_predicted_named_modules(ch02):
    """your prediction of net.named_modules()"""
    truth = [name for name, _ in puzzle_net().named_modules()]
    check_equal(ch02.predict_named_modules(), truth, "names yielded by net.named_modules()")


# ----- ch02.3 ResidualBlock -----------------------------------------------------------------------------
@pytest.mark.exercise("ch02.3", points=1)
def test_residual_block_structure(ch02):
    """children fc1 and fc2 in that order, with the right sizes"""
    rng = random.Random()
    features, hidden = rng.randint(2, 9), rng.randint(2, 9)
    block = ch02.ResidualBlock(features, hidden)
    check_equal([(name, type(m)) for name, m in block.named_children()], [("fc1", nn.Linear), ("fc2", nn.Linear)],
                "named_children as (name, type)")
    check_equal([(n, tuple(p.shape)) for n, p in block.named_parameters()],
                [("fc1.weight", (hidden, features)), ("fc1.bias", (hidden,)),
                 ("fc2.weight", (features, hidden)), ("fc2.bias", (features,))],
                f"named_parameters of ResidualBlock({features}, {hidden})")


@pytest.mark.exercise("ch02.3", points=2)
def test_residual_block_forward_and_backward(ch02):
    """y = x + fc2(relu(fc1(x))), and the skip passes the gradient through"""
    rng = random.Random()
    features, hidden = rng.randint(2, 6), rng.randint(2, 6)
    block = ch02.ResidualBlock(features, hidden)
    x = torch.randn(3, features, requires_grad=True)
    y = block(x)
    check_equal(tuple(y.shape), (3, features), "output shape")
    check_close(y, x + block.fc2(torch.relu(block.fc1(x))), "output")
    with torch.no_grad():
        block.fc2.weight.zero_()
        block.fc2.bias.zero_()
    check_close(block(x), x, "output with a zeroed fc2 (the block is then the identity)")
    block(x).sum().backward()
    check_close(x.grad, torch.ones(3, features), "x.grad through an identity block")


# ----- ch02.4 DeepMLP (debugging) ------------------------------------------------------------------------
@pytest.mark.exercise("ch02.4", points=2)
def test_deep_mlp_registers_separate_layers(ch02):
    """every hidden layer is registered, and each is a separate layer"""
    rng = random.Random()
    n_in, width, n_out, depth = rng.randint(2, 5), rng.randint(3, 6), rng.randint(1, 4), rng.randint(3, 5)
    mlp = ch02.DeepMLP(n_in, width, n_out, depth)
    expected = [f"hidden.{i}.{kind}" for i in range(depth) for kind in ("weight", "bias")] + ["out.weight", "out.bias"]
    check_equal([n for n, _ in mlp.named_parameters()], expected, f"named_parameters of DeepMLP(depth={depth})")
    check_equal(len({id(layer) for layer in mlp.hidden}), depth, "number of different hidden layer objects")
    check_equal(mlp.to(torch.float64).hidden[-1].weight.dtype, torch.float64,
                "dtype of the last hidden layer after .to(float64)")


@pytest.mark.exercise("ch02.4", points=1)
def test_deep_mlp_returns_raw_scores(ch02):
    """the output layer's scores come back without a ReLU"""
    torch.manual_seed(random.randrange(2**31))
    mlp = ch02.DeepMLP(4, 8, 3, 2)
    with torch.no_grad():
        mlp.out.bias.fill_(-100.0)
    x = torch.randn(64, 4)
    h = x
    for layer in mlp.hidden:
        h = torch.relu(layer(h))
    check_close(mlp(x), mlp.out(h), "output of DeepMLP")
    check(mlp(x).max().item() < 0, "raw scores with an output bias of -100 are negative", got=mlp(x).max().item())
