"""Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict against real PyTorch: key naming and
order, indexing and slicing, mutation, operators, reprs and errors."""
from collections import OrderedDict

import numpy as np
import pytest

import minitorch
from minitorch import nn

from ._module_parity import copy_state, outcome, same


def _names(module):
    return [n for n, _ in module.named_modules()][1:]


# ----- Sequential ---------------------------------------------------------------------------------------
def test_sequential_construction_and_indexing(torch):
    def scenario(torch):
        nn = torch.nn
        seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh()), ("out", nn.Sigmoid())]))
        sliced = seq[1:]
        named_slice = named[::2]
        return (_names(seq), _names(named), type(seq[0]).__name__, type(seq[-1]).__name__, seq[-3] is seq[0],
                type(sliced).__name__, _names(sliced), sliced[0] is seq[1], _names(named_slice),
                type(named[-2]).__name__, len(seq), [type(m).__name__ for m in seq], outcome(seq.__getitem__, 3),
                outcome(seq.__getitem__, -4), outcome(seq.__getitem__, "0"), repr(seq), repr(named),
                repr(named_slice))
    same(scenario, torch)


def test_sequential_mutation(torch):
    def scenario(torch):
        nn = torch.nn
        seq = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
        log = []
        seq[1] = nn.Identity()
        log.append(_names(seq) + [type(seq[1]).__name__])
        seq.append(nn.Linear(1, 1))
        seq.insert(0, nn.Tanh())
        seq.insert(-1, nn.ReLU())
        log.append([type(m).__name__ for m in seq])
        log.append(outcome(seq.insert, 10, nn.ReLU()))
        log.append(outcome(seq.insert, 0, 5))
        del seq[0]
        log.append(_names(seq))
        del seq[1:3]
        log.append([(n, type(m).__name__) for n, m in seq.named_children()])
        popped = seq.pop(-1)
        log.append((type(popped).__name__, _names(seq)))
        seq.extend([nn.ReLU(), nn.Tanh()])
        log.append([type(m).__name__ for m in seq])
        log.append(outcome(seq.__setitem__, 9, nn.ReLU()))
        log.append(outcome(seq.__delitem__, 9))
        return log
    same(scenario, torch)


def test_sequential_operators(torch):
    def scenario(torch):
        nn = torch.nn
        a = nn.Sequential(nn.ReLU(), nn.Tanh())
        b = nn.Sequential(OrderedDict([("x", nn.Sigmoid())]))
        c = a + b
        d = a * 2
        e = 3 * b
        a += b
        f = nn.Sequential(nn.ReLU())
        f *= 3
        return (_names(c), c[2] is b.x, _names(d), d[0] is d[2], _names(e), _names(a), _names(f),
                outcome(lambda: a + [nn.ReLU()]), outcome(lambda: a * 0), outcome(lambda: a * 1.5),
                outcome(a.__iadd__, 3))
    same(scenario, torch)


def test_sequential_forward_matches_torch(torch):
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2), torch.nn.Tanh())
    ours = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2), nn.Tanh())
    copy_state(ref, ours)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    y_ref = ref(torch.tensor(x))
    y = ours(minitorch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert y.grad_fn.name() == y_ref.grad_fn.name() == "TanhBackward0"


def test_sequential_dir_hides_indices(torch):
    def scenario(torch):
        d = dir(torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh()))
        return [k for k in d if k[0].isdigit()], "append" in d
    same(scenario, torch)


# ----- ModuleList ---------------------------------------------------------------------------------------
def test_module_list(torch):
    def scenario(torch):
        nn = torch.nn
        ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        log = [_names(ml), len(ml), type(ml[-1]).__name__, outcome(ml.__getitem__, 3)]
        ml.append(nn.ReLU())
        ml.extend([nn.Tanh(), nn.Tanh()])
        ml.insert(1, nn.Sigmoid())
        log.append([type(m).__name__ for m in ml])
        sl = ml[1:4]
        log.append((type(sl).__name__, _names(sl), sl[0] is ml[1]))
        del ml[0]
        del ml[::2]
        log.append([(n, type(m).__name__) for n, m in ml.named_children()])
        ml[-1] = nn.Identity()
        log.append((type(ml.pop(0)).__name__, [type(m).__name__ for m in ml]))
        other = ml + [nn.ReLU()]
        ml += nn.ModuleList([nn.Tanh()])
        log.append((type(other).__name__, _names(other), _names(ml)))
        log.append(outcome(ml.extend, 5))
        log.append(outcome(nn.ModuleList, [nn.ReLU(), 3]))
        return log
    same(scenario, torch)


def test_module_list_repr_collapses_repeats(torch):
    def scenario(torch):
        nn = torch.nn
        layers = [nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(),
                  nn.ReLU(), nn.Sequential(nn.Linear(1, 1), nn.Tanh()), nn.Sequential(nn.Linear(1, 1), nn.Tanh())]

        class Holder(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.ModuleList(layers)
                self.none = nn.ModuleList()

        return repr(nn.ModuleList(layers)), repr(nn.ModuleList()), repr(Holder()), repr(nn.ModuleList([
            nn.ReLU()]))
    result = same(scenario, torch)
    assert "(0-2): 3 x Linear(in_features=4, out_features=4, bias=True)" in result[0]


# ----- ModuleDict ---------------------------------------------------------------------------------------
def test_module_dict(torch):
    def scenario(torch):
        nn = torch.nn
        md = nn.ModuleDict({"relu": nn.ReLU(), "lrelu": nn.LeakyReLU()})
        log = [_names(md), list(md), list(md.keys()), [type(v).__name__ for v in md.values()],
               [(k, type(v).__name__) for k, v in md.items()], "relu" in md, len(md)]
        md["tanh"] = nn.Tanh()
        md.update([("sig", nn.Sigmoid()), ("relu", nn.Identity())])
        md.update(nn.ModuleDict({"z": nn.ReLU()}))
        md.update(OrderedDict([("b", nn.ReLU()), ("a", nn.ReLU())]))
        log.append([(k, type(v).__name__) for k, v in md.items()])
        log.append(type(md.pop("tanh")).__name__)
        del md["sig"]
        log.append(list(md))
        log += [outcome(md.__getitem__, "nope"), outcome(md.update, 5), outcome(md.update, [("a",)]),
                outcome(md.update, [5]), outcome(md.__setitem__, "x.y", nn.ReLU()), repr(md)]
        md.clear()
        log.append((len(md), repr(md)))
        return log
    same(scenario, torch)


# ----- ParameterList ------------------------------------------------------------------------------------
def test_parameter_list(torch):
    def scenario(torch):
        nn = torch.nn
        pl = nn.ParameterList([nn.Parameter(torch.ones(2)), torch.zeros(2, 3), "text"])
        log = [[n for n, _ in pl.named_parameters()], len(pl), type(pl[1]).__name__, pl[1].requires_grad,
               type(pl[-1]).__name__, repr(pl), outcome(pl.__getitem__, 3)]
        pl.append(torch.ones(1, dtype=torch.float64))
        pl.extend([nn.Parameter(torch.ones(4))])
        pl[0] = torch.full((2,), 5.0)
        log += [[n for n, _ in pl.named_parameters()], pl[0].tolist(), type(pl[0]).__name__]
        sl = pl[::2]
        log += [type(sl).__name__, len(sl), sl[0] is pl[0], [n for n, _ in sl.named_parameters()]]
        log += [outcome(pl.extend, torch.ones(2)), outcome(pl), [type(p).__name__ for p in pl],
                list(pl.state_dict()), repr(pl)]
        return log
    same(scenario, torch)


# ----- ParameterDict ------------------------------------------------------------------------------------
def test_parameter_dict_ordering_and_access(torch):
    def scenario(torch):
        nn = torch.nn
        plain = nn.ParameterDict({"foo": nn.Parameter(torch.ones(3)), "bar": nn.Parameter(torch.ones(4)),
                                  "baz": torch.zeros(1)})
        ordered = nn.ParameterDict(OrderedDict([("foo", nn.Parameter(torch.ones(3))),
                                                ("bar", torch.ones(2))]))
        pairs = nn.ParameterDict([("z", torch.ones(1)), ("a", torch.ones(1))])
        log = [list(plain), list(plain.state_dict()), list(ordered), list(pairs),
               [n for n, _ in plain.named_parameters()], type(plain["baz"]).__name__, "foo" in plain,
               plain.get("nope", 7), len(plain), list(reversed(plain)), repr(plain)]
        plain["new"] = torch.ones(2)
        plain.update({"b2": torch.ones(1), "a2": torch.ones(1)})
        plain.setdefault("c", torch.zeros(2))
        log.append(list(plain.keys()))
        log.append(plain.popitem()[0])
        log.append(type(plain.pop("foo")).__name__)
        del plain["bar"]
        log.append([k for k, _ in plain.items()])
        log.append(len(list(plain.values())))
        merged = plain | ordered
        log.append((type(merged).__name__, list(merged)))
        plain |= pairs
        log.append(list(plain))
        log.append(list(plain.copy()))
        log.append(list(nn.ParameterDict().fromkeys(["x", "y"])))
        log += [outcome(plain.__getitem__, 3), outcome(plain.__getitem__, "ghost"), outcome(plain, 1),
                outcome(plain.update, 5), outcome(plain.update, [(1, 2, 3)])]
        plain.clear()
        log.append((len(plain), repr(plain)))
        return log
    same(scenario, torch)


def test_parameter_dict_repr_with_objects(torch):
    def scenario(torch):
        pd = torch.nn.ParameterDict({"b": torch.nn.Parameter(torch.ones(2, 2, dtype=torch.float64)),
                                     "a": torch.zeros(3), "s": "text"})
        return repr(pd)
    same(scenario, torch)


# ----- gradients flow through containers ----------------------------------------------------------------
def test_container_parameters_get_gradients(torch):
    def scenario(torch):
        pl = torch.nn.ParameterList([torch.ones(2), torch.full((2,), 2.0)])
        pd = torch.nn.ParameterDict({"w": torch.full((2,), 3.0)})
        loss = (pl[0] * pl[1] * pd["w"]).sum()
        loss.backward()
        return pl[0].grad.tolist(), pl[1].grad.tolist(), pd["w"].grad.tolist()
    same(scenario, torch)


@pytest.mark.cuda
def test_containers_on_cuda():
    seq = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    pl = nn.ParameterList([minitorch.ones(2)])
    pd = nn.ParameterDict({"w": minitorch.ones(2)})
    for m in (seq, pl, pd):
        m.cuda()
    assert seq[0].weight.is_cuda and pl[0].is_cuda and pd["w"].is_cuda
    assert "(cuda:0)" in repr(pl) and "(cuda:0)" in repr(pd)
    y = seq(minitorch.ones(2, 3, device="cuda"))
    y.sum().backward()
    assert seq[0].weight.grad.is_cuda
