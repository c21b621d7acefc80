"""state_dict / load_state_dict against real PyTorch: keys and order, metadata, detached shared storage,
keep_vars, strict and non-strict loading with torch's error text, assign=, extra state and the four kinds of
state-dict hooks."""
from collections import OrderedDict

import numpy as np
import pytest

import minitorch
from minitorch import nn

from ._module_parity import copy_state, outcome, same


def _stateful(torch):
    """The note's StatefulModule: every kind of state a module can hold."""
    nn = torch.nn

    class StatefulModule(nn.Module):
        def __init__(self):
            super().__init__()
            self.param1 = nn.Parameter(torch.randn(2))
            self.register_parameter("param2", nn.Parameter(torch.randn(3)))
            self.register_parameter("param3", None)
            self.param_list = nn.ParameterList([nn.Parameter(torch.randn(2)) for _ in range(3)])
            self.param_dict = nn.ParameterDict({"foo": nn.Parameter(torch.randn(3)),
                                                "bar": nn.Parameter(torch.randn(4))})
            self.register_buffer("buffer1", torch.randn(4), persistent=True)
            self.register_buffer("buffer2", torch.randn(5), persistent=False)
            self.register_buffer("buffer3", None)
            self.linear = nn.Linear(2, 3)
    return StatefulModule()


def _summary(sd):
    return [(k, tuple(v.shape), type(v).__name__, v.requires_grad) for k, v in sd.items()]


def test_keys_order_and_metadata(torch):
    def scenario(torch):
        m = _stateful(torch)
        sd = m.state_dict()
        nested = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sequential(torch.nn.ReLU()))
        nsd = nested.state_dict(prefix="model.")
        return (type(sd).__name__, _summary(sd), list(sd._metadata.items()), list(nsd),
                list(nsd._metadata.items()), list(nested.state_dict()._metadata))
    same(scenario, torch)


def test_values_are_detached_and_share_storage(torch):
    def scenario(torch):
        m = torch.nn.Linear(2, 2)
        sd = m.state_dict()
        w = sd["weight"]
        with torch.no_grad():
            m.weight.fill_(3.0)
        kept = m.state_dict(keep_vars=True)
        return (w.tolist(), w.requires_grad, w.grad_fn, type(w).__name__, kept["weight"] is m.weight,
                type(kept["bias"]).__name__)
    same(scenario, torch)


def test_destination_and_positional_args(torch):
    def scenario(torch):
        m = torch.nn.Linear(1, 1)
        dest = {}
        out = m.state_dict(destination=dest, prefix="p.")
        with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
            positional = m.state_dict(None, "q.", True)
        return out is dest, list(dest), hasattr(dest, "_metadata"), list(positional), \
            positional["q.weight"] is m.weight
    same(scenario, torch)


def test_round_trip_keeps_identity(torch):
    def scenario(torch):
        torch.manual_seed(0)
        a, b = _stateful(torch), _stateful(torch)
        params = [id(p) for p in b.parameters()]
        result = b.load_state_dict(a.state_dict())
        same_values = all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
        return (repr(result), str(result), result.missing_keys, result.unexpected_keys, same_values,
                params == [id(p) for p in b.parameters()], b.buffer2.tolist() != a.buffer2.tolist(),
                type(result).__name__, tuple(result))
    same(scenario, torch)


def test_load_copies_values_across_libraries(torch):
    torch.manual_seed(0)
    ref = _stateful(torch)
    ours = _stateful(minitorch)
    state = {k: minitorch.tensor(v.numpy()) for k, v in ref.state_dict().items()}
    ours.load_state_dict(state)
    for (k, v), (k2, v2) in zip(ours.state_dict().items(), ref.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(v.numpy(), v2.numpy())


@pytest.mark.parametrize("case", ["missing", "unexpected", "both", "size", "size_nonstrict", "not_tensor",
                                  "missing_nonstrict", "child_unexpected", "scalar_from_1elem", "none_param",
                                  "not_mapping", "bad_dtype"])
def test_load_errors_and_incompatible_keys(torch, case):
    def scenario(torch):
        nn = torch.nn
        m = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
        m.register_buffer("s", torch.tensor(1.0))
        sd = m.state_dict()
        if case == "missing":
            del sd["fc.bias"]
            return outcome(m.load_state_dict, sd)
        if case == "unexpected":
            sd["fc.extra"] = torch.ones(1)
            sd["zz"] = torch.ones(1)
            return outcome(m.load_state_dict, sd)
        if case == "both":
            del sd["s"]
            sd["act.w"] = torch.ones(1)
            return outcome(m.load_state_dict, sd)
        if case == "size":
            sd["fc.weight"] = torch.ones(3, 2)
            del sd["fc.bias"]
            return outcome(m.load_state_dict, sd)
        if case == "size_nonstrict":
            sd["fc.weight"] = torch.ones(3, 2)
            return outcome(m.load_state_dict, sd, strict=False)
        if case == "not_tensor":
            sd["fc.bias"] = [1.0, 2.0]
            return outcome(m.load_state_dict, sd)
        if case == "missing_nonstrict":
            del sd["fc.weight"]
            sd["extra"] = torch.ones(1)
            r = m.load_state_dict(sd, strict=False)
            return repr(r), r.missing_keys, r.unexpected_keys
        if case == "child_unexpected":
            sd["act.nothing"] = torch.ones(1)
            sd["fc.inner.x"] = torch.ones(1)
            return outcome(m.load_state_dict, sd)
        if case == "scalar_from_1elem":
            sd["s"] = torch.tensor([5.0])
            m.load_state_dict(sd)
            return m.s.tolist(), tuple(m.s.shape)
        if case == "none_param":
            m.fc.register_parameter("ghost", None)
            sd["fc.ghost"] = torch.ones(1)
            return outcome(m.load_state_dict, sd)
        if case == "not_mapping":
            return outcome(m.load_state_dict, [("fc.weight", torch.ones(2, 2))])
        sd["fc.weight"] = torch.ones(2, 2, dtype=torch.float64)
        m.load_state_dict(sd)
        return str(m.fc.weight.dtype), m.fc.weight.tolist()
    same(scenario, torch)


def test_exact_error_text():
    m = nn.Linear(2, 2)
    sd = m.state_dict()
    sd["weight"] = minitorch.ones(3, 2)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd, strict=False)
    assert str(info.value) == ("Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a "
                               "param with shape torch.Size([3, 2]) from checkpoint, the shape in current model "
                               "is torch.Size([2, 2]).")


def test_load_under_no_grad_into_leaves(torch):
    def scenario(torch):
        m = torch.nn.Linear(2, 1)
        sd = {"weight": torch.ones(1, 2, requires_grad=True) * 2, "bias": torch.zeros(1)}
        m.load_state_dict(sd)
        return m.weight.is_leaf, m.weight.requires_grad, m.weight.grad_fn, m.weight.tolist()
    same(scenario, torch)


def test_assign(torch):
    def scenario(torch):
        m = torch.nn.Linear(2, 2)
        m.register_buffer("b", torch.zeros(2))
        old = m.weight
        m.weight.requires_grad_(False)
        sd = {"weight": torch.ones(2, 2, dtype=torch.float64), "bias": torch.nn.Parameter(torch.ones(2)),
              "b": torch.ones(2)}
        sd_b = sd["b"]
        m.load_state_dict(sd, assign=True)
        return (m.weight is old, type(m.weight).__name__, str(m.weight.dtype), m.weight.requires_grad,
                m.bias is sd["bias"], m.bias.requires_grad, m.b is sd_b)
    same(scenario, torch)


def test_extra_state(torch):
    def scenario(torch):
        class Counter(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.count = 0
                self.fc = torch.nn.Linear(1, 1)

            def get_extra_state(self):
                return {"count": self.count}

            def set_extra_state(self, state):
                self.count = state["count"]

        outer = torch.nn.Sequential(Counter())
        outer[0].count = 5
        sd = outer.state_dict()
        fresh = torch.nn.Sequential(Counter())
        fresh.load_state_dict(sd)
        del sd["0._extra_state"]
        missing = outcome(fresh.load_state_dict, sd)
        plain = torch.nn.Linear(1, 1)
        psd = plain.state_dict()
        psd["_extra_state"] = 1
        return (list(outer.state_dict()), outer.state_dict()["0._extra_state"], fresh[0].count, missing,
                outcome(plain.load_state_dict, psd), outcome(torch.nn.Module().get_extra_state)[:2],
                outcome(torch.nn.Module().set_extra_state, 1)[:2])
    same(scenario, torch)


def test_state_dict_hooks(torch):
    def scenario(torch):
        log = []
        m = torch.nn.Sequential(torch.nn.Linear(1, 1))
        h1 = m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: log.append(("pre", prefix, keep_vars)))
        m[0].register_state_dict_pre_hook(lambda mod, prefix, keep_vars: log.append(("child pre", prefix)))

        def post(mod, sd, prefix, local_metadata):
            log.append(("post", prefix, list(sd), dict(local_metadata)))
            sd["extra"] = torch.zeros(1)
        m.register_state_dict_post_hook(post)
        m[0]._register_state_dict_hook(lambda mod, sd, prefix, meta: log.append(("child legacy", prefix)))
        keys = list(m.state_dict(prefix="root.", keep_vars=True))
        h1.remove()
        m._register_state_dict_hook(lambda mod, sd, prefix, meta: OrderedDict(only=torch.ones(1)))
        replaced = list(m.state_dict())
        bad = torch.nn.Linear(1, 1)
        bad.register_state_dict_post_hook(lambda *a: {})
        err = outcome(bad.state_dict)
        both = outcome(bad._register_state_dict_hook, post)
        return log, keys, replaced, err, both
    same(scenario, torch)


def test_load_state_dict_hooks(torch):
    def scenario(torch):
        log = []
        m = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU())

        def pre(mod, sd, prefix, local_metadata, strict, missing, unexpected, errors):
            log.append(("pre", type(mod).__name__, prefix, sorted(sd), dict(local_metadata), strict))
            sd.pop(prefix + "stale", None)

        def post(mod, keys):
            log.append(("post", type(mod).__name__, list(keys.missing_keys), list(keys.unexpected_keys)))
            keys.unexpected_keys.clear()
        m.register_load_state_dict_pre_hook(pre)
        m[0].register_load_state_dict_pre_hook(pre)
        m[1].register_load_state_dict_post_hook(post)
        m.register_load_state_dict_post_hook(post)
        m[0]._register_load_state_dict_pre_hook(lambda sd, prefix, *rest: log.append(("no module", prefix)))
        sd = m.state_dict()
        sd["0.stale"] = torch.ones(1)
        sd["odd"] = torch.ones(1)
        result = m.load_state_dict(sd)
        bad = torch.nn.Linear(1, 1)
        bad.register_load_state_dict_post_hook(lambda mod, keys: 1)
        return log, repr(result), outcome(bad.load_state_dict, bad.state_dict())
    same(scenario, torch)


def test_loaded_module_computes_like_torch(torch):
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    ours.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(ours(minitorch.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    copy_state(ours, ref)  # the other direction too
    np.testing.assert_array_equal(ref[2].bias.detach().numpy(), ours[2].bias.detach().numpy())


@pytest.mark.cuda
def test_state_dict_on_cuda_loads_into_cpu_module_and_back():
    gpu = nn.Linear(3, 2).cuda()
    gpu.register_buffer("steps", minitorch.zeros(1, dtype=minitorch.int64, device="cuda"))
    cpu = nn.Linear(3, 2)
    cpu.register_buffer("steps", minitorch.ones(1, dtype=minitorch.int64))
    w = gpu.weight
    gpu.load_state_dict(cpu.state_dict())
    assert gpu.weight is w and w.is_cuda and gpu.steps.is_cuda
    np.testing.assert_array_equal(w.detach().cpu().numpy(), cpu.weight.detach().numpy())
    assert gpu.steps.tolist() == [1]
