"""nn.Module and nn.Parameter against real PyTorch: registration rules and their errors, iteration order and
names, lookup by dotted path, modes, gradients, device/dtype moves, repr, dir and deepcopy. Each scenario is
written once against `torch` and run with both libraries."""
import copy

import numpy as np
import pytest

import minitorch
from minitorch import nn

from ._module_parity import outcome, same


def _tree(torch):
    """A small tree with a shared Linear, a None child, a buffer and a reserved parameter name."""
    class Block(torch.nn.Module):
        def __init__(self, shared):
            super().__init__()
            self.fc = torch.nn.Linear(2, 3)
            self.shared = shared
            self.register_buffer("steps", torch.zeros(1, dtype=torch.int64))
            self.register_parameter("unused", None)

        def forward(self, x):
            return self.shared(self.fc(x))

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            shared = torch.nn.Linear(3, 3)
            self.a = Block(shared)
            self.b = Block(shared)
            self.empty = None
            self.scale = torch.nn.Parameter(torch.ones(3))
            self.register_buffer("mask", torch.ones(3), persistent=False)

        def forward(self, x):
            return self.b.fc(x) * self.scale
    return Net()


# ----- Parameter and Buffer -----------------------------------------------------------------------------
def test_parameter_basics(torch):
    def scenario(torch):
        data = torch.tensor([1.0, 2.0])
        p = torch.nn.Parameter(data)
        with torch.no_grad():
            q = torch.nn.Parameter(torch.zeros(2))
        frozen = torch.nn.Parameter(torch.ones(2), requires_grad=False)
        data.add_(1.0)  # the parameter shares data's storage
        return (type(p).__name__, isinstance(p, torch.Tensor), p.requires_grad, p.is_leaf, p.tolist(),
                q.requires_grad, frozen.requires_grad, repr(p), repr(frozen), str(p),
                type(p * 2).__name__, type(p.detach()).__name__, tuple(torch.nn.Parameter().shape))
    same(scenario, torch)


def test_parameter_errors(torch):
    def scenario(torch):
        return (outcome(torch.nn.Parameter, [1.0, 2.0]), outcome(torch.nn.Parameter, torch.ones(2, dtype=torch.int64)),
                repr(torch.nn.Parameter(torch.ones(2, dtype=torch.int64), requires_grad=False)))
    same(scenario, torch)


def test_parameter_of_non_leaf_is_a_detached_leaf(torch):
    def scenario(torch):
        x = torch.ones(2, requires_grad=True)
        p = torch.nn.Parameter(x * 3)
        return p.is_leaf, p.grad_fn is None, p.requires_grad, p.tolist()
    same(scenario, torch)


def test_parameter_deepcopy_keeps_type_copies_data_drops_grad(torch):
    def scenario(torch):
        p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
        p.grad = torch.ones(2)
        q = copy.deepcopy(p)
        with torch.no_grad():
            q.mul_(10)
        both = copy.deepcopy([p, p])
        return type(q).__name__, q.requires_grad, q.grad, p.tolist(), q.tolist(), both[0] is both[1]
    same(scenario, torch)


def test_buffer_marker(torch):
    def scenario(torch):
        m = torch.nn.Module()
        m.kept = torch.nn.Buffer(torch.ones(2))
        m.temp = torch.nn.Buffer(torch.zeros(1), persistent=False)
        b = torch.nn.Buffer(torch.ones(2, requires_grad=True))
        return (type(m.kept).__name__, isinstance(m.kept, torch.nn.Buffer), isinstance(torch.ones(1), torch.nn.Buffer),
                list(m._buffers), sorted(m._non_persistent_buffers_set), list(m.state_dict()), b.requires_grad,
                b.is_leaf)
    same(scenario, torch)


# ----- __setattr__ / register_* rules -------------------------------------------------------------------
def test_assignment_routes_to_registries(torch):
    def scenario(torch):
        m = torch.nn.Module()
        m.w = torch.nn.Parameter(torch.ones(1))
        m.child = torch.nn.Linear(1, 1)
        m.plain = torch.ones(1)  # a plain tensor is just an attribute
        m.register_buffer("buf", torch.zeros(1))
        m.buf = torch.ones(2)  # a tensor assigned to a buffer name stays a buffer
        m.register_buffer("nb", torch.zeros(1), persistent=False)
        m.nb = torch.ones(3)  # ... and keeps its persistence
        m.w = None
        m.child = None
        m.x = 3
        return (list(m._parameters.items()), list(m._modules.items()), list(m._buffers),
                sorted(m._non_persistent_buffers_set), "plain" in m.__dict__, m.buf.tolist(), m.x)
    same(scenario, torch)


def test_reassignment_moves_between_registries(torch):
    def scenario(torch):
        m = torch.nn.Module()
        m.register_buffer("x", torch.zeros(1), persistent=False)
        m.x = torch.nn.Parameter(torch.ones(1))  # a Parameter replaces the buffer
        state1 = (list(m._parameters), list(m._buffers), sorted(m._non_persistent_buffers_set))
        m.y = 5
        m.y = torch.nn.Linear(1, 1)  # a Module replaces the plain attribute
        m.y = torch.nn.Parameter(torch.ones(1))  # ... and a Parameter replaces the Module
        return state1, list(m._parameters), list(m._modules), "y" in m.__dict__
    same(scenario, torch)


@pytest.mark.parametrize("case", [
    "param_before_init", "module_before_init", "buffer_before_init", "register_param_before_init",
    "tensor_to_param", "int_to_param", "tensor_to_child", "str_to_buffer", "register_tensor_as_param",
    "register_int_buffer", "dotted_param", "empty_param", "existing_param", "dotted_buffer",
    "empty_buffer", "existing_buffer", "nonstring_param", "nonstring_buffer", "add_module_int",
    "add_module_nonstring", "add_module_dotted", "add_module_empty", "add_module_existing",
])
def test_registration_errors(torch, case):
    def scenario(torch):
        nn = torch.nn

        class Early(nn.Module):
            def __init__(self, what):
                if what == "param":
                    self.w = nn.Parameter(torch.ones(1))
                elif what == "module":
                    self.m = nn.Linear(1, 1)
                elif what == "buffer":
                    self.register_buffer("b", torch.ones(1))
                else:
                    self.register_parameter("p", nn.Parameter(torch.ones(1)))
                super().__init__()

        m = nn.Module()
        m.register_parameter("weight", nn.Parameter(torch.ones(1)))
        m.add_module("child", nn.Linear(1, 1))
        m.attr = 1
        actions = {
            "param_before_init": lambda: Early("param"),
            "module_before_init": lambda: Early("module"),
            "buffer_before_init": lambda: Early("buffer"),
            "register_param_before_init": lambda: Early("register"),
            "tensor_to_param": lambda: setattr(m, "weight", torch.ones(1)),
            "int_to_param": lambda: setattr(m, "weight", 3),
            "tensor_to_child": lambda: setattr(m, "child", torch.ones(1)),
            "str_to_buffer": lambda: (m.register_buffer("b", torch.ones(1)), setattr(m, "b", "x")),
            "register_tensor_as_param": lambda: m.register_parameter("q", torch.ones(1)),
            "register_int_buffer": lambda: m.register_buffer("b2", 5),
            "dotted_param": lambda: m.register_parameter("a.b", None),
            "empty_param": lambda: m.register_parameter("", None),
            "existing_param": lambda: m.register_parameter("attr", None),
            "dotted_buffer": lambda: m.register_buffer("a.b", None),
            "empty_buffer": lambda: m.register_buffer("", None),
            "existing_buffer": lambda: m.register_buffer("child", None),
            "nonstring_param": lambda: m.register_parameter(1, None),
            "nonstring_buffer": lambda: m.register_buffer(1.5, None),
            "add_module_int": lambda: m.add_module("z", 5),
            "add_module_nonstring": lambda: m.add_module(3, None),
            "add_module_dotted": lambda: m.add_module("a.b", None),
            "add_module_empty": lambda: m.add_module("", None),
            "add_module_existing": lambda: m.add_module("weight", None),
        }
        return outcome(actions[case])
    result = same(scenario, torch)
    assert result[0] == "raised"


def test_exact_setattr_messages():
    """The messages the issue quotes, checked literally (they also match torch in the parity test above)."""
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"^cannot assign 'torch.FloatTensor' as parameter 'weight' "
                                        r"\(torch.nn.Parameter or None expected\)$"):
        m.weight = minitorch.ones(2, 2)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(minitorch.ones(1))

    with pytest.raises(AttributeError, match=r"^cannot assign parameters before Module.__init__\(\) call$"):
        Early()


def test_register_none_reserves_name(torch):
    def scenario(torch):
        m = torch.nn.Module()
        m.register_parameter("p", None)
        m.register_buffer("b", None)
        r = (m.p, m.b, list(m.parameters()), list(m.buffers()), list(m.state_dict()))
        m.p = torch.nn.Parameter(torch.ones(1))
        m.b = torch.ones(2)
        return r + (list(dict(m.named_parameters())), list(dict(m.named_buffers())),
                    outcome(setattr, m, "p", torch.zeros(1)))
    same(scenario, torch)


def test_getattr_and_delattr(torch):
    def scenario(torch):
        m = torch.nn.Linear(2, 2)
        m.register_buffer("b", torch.zeros(1), persistent=False)
        missing = outcome(getattr, m, "nope")
        del m.weight
        del m.b
        m.extra = 1
        del m.extra
        return (missing, list(m._parameters), list(m._buffers), sorted(m._non_persistent_buffers_set),
                outcome(delattr, m, "ghost"), hasattr(m, "weight"))
    same(scenario, torch)


def test_missing_forward(torch):
    def scenario(torch):
        class MyModule(torch.nn.Module):
            pass
        return outcome(MyModule(), torch.ones(1)), outcome(torch.nn.Module())
    result = same(scenario, torch)
    assert result[0] == ("raised", "NotImplementedError",
                         'Module [MyModule] is missing the required "forward" function')


def test_init_rejects_arguments(torch):
    def scenario(torch):
        return outcome(torch.nn.Module, 1), outcome(torch.nn.Module, foo=1)
    same(scenario, torch)


# ----- iteration ----------------------------------------------------------------------------------------
def test_named_members_order_prefix_recurse_duplicates(torch):
    def scenario(torch):
        net = _tree(torch)
        names = lambda it: [n for n, _ in it]  # noqa: E731
        return (names(net.named_parameters()), names(net.named_parameters(prefix="model")),
                names(net.named_parameters(recurse=False)), names(net.named_parameters(remove_duplicate=False)),
                names(net.named_buffers()), names(net.named_buffers(prefix="p", remove_duplicate=False)),
                names(net.named_children()), names(net.named_modules()), names(net.named_modules(prefix="root")),
                names(net.named_modules(remove_duplicate=False)), len(list(net.parameters())),
                len(list(net.parameters(recurse=False))), len(list(net.buffers())), len(list(net.children())),
                len(list(net.modules())), len(list(net.modules(remove_duplicate=False))),
                [type(m).__name__ for m in net.modules()])
    same(scenario, torch)


def test_shared_parameter_appears_once(torch):
    def scenario(torch):
        a = torch.nn.Linear(2, 2)
        b = torch.nn.Linear(2, 2)
        b.weight = a.weight
        seq = torch.nn.Sequential(a, b, a)
        return ([n for n, _ in seq.named_parameters()], [n for n, _ in seq.named_children()],
                [n for n, _ in seq.named_modules()], list(seq.state_dict()))
    same(scenario, torch)


# ----- dotted lookup ------------------------------------------------------------------------------------
def test_get_and_set_submodule(torch):
    def scenario(torch):
        net = _tree(torch)
        found = (type(net.get_submodule("a.fc")).__name__, net.get_submodule("") is net,
                 tuple(net.get_parameter("a.fc.bias").shape), net.get_parameter("scale").tolist(),
                 net.get_buffer("a.steps").tolist(), net.get_buffer("mask").tolist())
        errors = [outcome(net.get_submodule, p) for p in ("a.nope", "scale.x", "a.fc.weight")]
        errors += [outcome(net.get_parameter, p) for p in ("a.steps", "a.nope", "nope.w", "a.fc")]
        errors += [outcome(net.get_buffer, p) for p in ("a.fc.weight", "a.ghost", "scale")]
        net.set_submodule("a.fc", torch.nn.Identity())
        net.set_submodule("a.new", torch.nn.ReLU())
        errors += [outcome(net.set_submodule, "", torch.nn.ReLU()),
                   outcome(net.set_submodule, "a.fc", 5),
                   outcome(net.set_submodule, "a.other", torch.nn.ReLU(), strict=True),
                   outcome(net.set_submodule, "scale", torch.nn.ReLU()),
                   outcome(net.set_submodule, "zz.y", torch.nn.ReLU())]
        return found, errors, [n for n, _ in net.a.named_children()]
    same(scenario, torch)


# ----- modes, grads, apply ------------------------------------------------------------------------------
def test_train_eval_requires_grad_apply(torch):
    def scenario(torch):
        net = _tree(torch)
        modes = [net.training]
        r1 = net.eval() is net
        modes.append([m.training for m in net.modules()])
        net.a.train()
        modes.append([m.training for m in net.modules()])
        err = outcome(net.train, "yes")
        r2 = net.requires_grad_(False) is net
        flags = [p.requires_grad for p in net.parameters()]
        net.a.requires_grad_()
        flags.append([p.requires_grad for p in net.parameters()])
        visited = []
        r3 = net.apply(lambda m: visited.append(type(m).__name__)) is net
        return modes, r1, r2, r3, err, flags, visited
    same(scenario, torch)


def test_zero_grad(torch):
    def scenario(torch):
        m = torch.nn.Linear(2, 1)
        m(torch.ones(3, 2)).sum().backward()
        before = m.weight.grad.tolist()
        m.zero_grad(set_to_none=False)
        zeroed = (m.weight.grad.tolist(), m.bias.grad.tolist(), m.weight.grad.requires_grad)
        m.zero_grad()
        return before, zeroed, m.weight.grad, m.bias.grad
    same(scenario, torch)


# ----- device and dtype ---------------------------------------------------------------------------------
def test_to_dtype_casts_floating_only_and_keeps_parameter_identity(torch):
    def scenario(torch):
        net = _tree(torch)
        net.b.fc.weight.grad = torch.ones(3, 2)
        w = net.a.fc.weight
        out = net.to(torch.float64)
        kept = (out is net, net.a.fc.weight is w, type(w).__name__, w.requires_grad)
        dtypes = [(n, str(t.dtype)) for n, t in list(net.named_parameters()) + list(net.named_buffers())]
        grad = str(net.b.fc.weight.grad.dtype)
        net.half()
        half = [str(p.dtype) for p in net.parameters()] + [str(net.a.steps.dtype)]
        net.float()
        net.type(torch.float64)
        typed = [str(t.dtype) for t in net.buffers()]
        net.double().to(torch.float32)
        return (kept, dtypes, grad, half, typed, [str(p.dtype) for p in net.parameters()],
                outcome(net.to, torch.int64), outcome(net.to, dtype=torch.int32))
    same(scenario, torch)


def test_to_forms(torch):
    def scenario(torch):
        m = torch.nn.Linear(2, 2)
        m.to("cpu").to(device="cpu").to(torch.device("cpu"), torch.float64)
        a = str(m.weight.dtype)
        m.to(torch.zeros(1, dtype=torch.float32))
        b = str(m.weight.dtype)
        m.to(device="cpu", dtype=torch.float64).cpu()
        return a, b, str(m.weight.dtype), str(m.weight.device)
    same(scenario, torch)


def test_to_empty(torch):
    def scenario(torch):
        m = torch.nn.Sequential(torch.nn.Linear(2, 3))
        w = m[0].weight
        m.double().to_empty(device="cpu")
        m.to_empty(device="cpu", recurse=False)
        return m[0].weight is w, tuple(w.shape), str(w.dtype), w.requires_grad
    same(scenario, torch)


def test_bfloat16(torch):
    pytest.importorskip("ml_dtypes", reason="minitorch's bfloat16 needs the optional ml_dtypes package")

    def scenario(torch):
        m = torch.nn.Linear(2, 3)
        m.register_buffer("n", torch.zeros(1, dtype=torch.int64))
        m.bfloat16()
        return str(m.weight.dtype), str(m.bias.dtype), str(m.n.dtype)
    same(scenario, torch)


def test_to_on_parameter_grads_moves_grad(torch):
    def scenario(torch):
        m = torch.nn.Linear(2, 1)
        m(torch.ones(1, 2)).sum().backward()
        g = m.weight.grad
        m.double()
        return m.weight.grad is g, str(g.dtype), g.tolist()
    same(scenario, torch)


# ----- repr, dir, deepcopy ------------------------------------------------------------------------------
def test_repr_nested_and_extra_repr(torch):
    def scenario(torch):
        class Multi(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False), torch.nn.ReLU(inplace=True))

            def extra_repr(self):
                return "first line\nsecond line"

        class One(torch.nn.Module):
            def extra_repr(self):
                return "k=3"

        class Blank(torch.nn.Module):
            def extra_repr(self):
                return "top\n\nbottom"

        net = _tree(torch)
        net.add_module("nothing", None)
        outer = torch.nn.Sequential(Blank(), Multi())
        return (repr(net), str(net), repr(Multi()), repr(One()), repr(torch.nn.Module()), repr(outer),
                repr(torch.nn.Sequential()), repr(torch.nn.Tanh()), repr(torch.nn.Identity(3, k=1)))
    same(scenario, torch)


def test_dir(torch):
    def scenario(torch):
        m = _tree(torch)
        m.plain = 1
        d = dir(m)
        wanted = ["a", "b", "scale", "mask", "plain", "empty", "forward", "training", "state_dict"]
        return [w in d for w in wanted], d == sorted(d), any(k[0].isdigit() for k in dir(torch.nn.Sequential(
            torch.nn.ReLU())))
    assert same(scenario, torch)[0] == [True] * 9


def test_deepcopy_module(torch):
    def scenario(torch):
        net = _tree(torch)
        net.a.fc.weight.grad = torch.ones(3, 2)
        twin = copy.deepcopy(net)
        with torch.no_grad():
            twin.scale.fill_(7.0)
        return (twin is not net, twin.a.shared is twin.b.shared, twin.a.shared is not net.a.shared,
                type(twin.scale).__name__, net.scale.tolist(), twin.scale.tolist(),
                [n for n, _ in twin.named_parameters()], repr(twin) == repr(net), twin.a.fc.weight.grad,
                twin.a.steps.tolist(), twin.training)
    same(scenario, torch)


def test_deepcopy_keeps_hooks_bound_to_the_copy(torch):
    def scenario(torch):
        seen = []
        m = torch.nn.Linear(1, 1)
        m.register_forward_hook(lambda mod, i, o: seen.append("fwd"))
        m.register_load_state_dict_pre_hook(lambda mod, *a: seen.append(mod))
        twin = copy.deepcopy(m)
        twin(torch.ones(1))
        twin.load_state_dict(twin.state_dict())
        return seen[0], seen[1] is twin
    same(scenario, torch)


@pytest.mark.cuda
def test_to_cuda_and_back_keeps_identity():
    m = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    m.register_buffer("count", minitorch.zeros(1, dtype=minitorch.int64))
    w = m[0].weight
    m.cuda()
    assert m[0].weight is w and w.device.type == "cuda" and m.count.device.type == "cuda"
    assert m.count.dtype is minitorch.int64
    out = m(minitorch.randn(4, 3, device="cuda"))
    out.sum().backward()
    assert w.grad.device.type == "cuda"
    m.to("cpu", minitorch.float64)
    assert w.device.type == "cpu" and w.dtype is minitorch.float64 and w.grad.dtype is minitorch.float64
    m.to(device="cuda", dtype=minitorch.float32)
    assert w.device.type == "cuda" and m.count.dtype is minitorch.int64


@pytest.mark.cuda
def test_cuda_parameter_repr_and_state_dict():
    m = nn.Linear(2, 2, device="cuda")
    assert "device='cuda:0'" in repr(m.weight)
    sd = m.state_dict()
    assert all(t.device.type == "cuda" for t in sd.values())
    cpu = nn.Linear(2, 2)
    cpu.load_state_dict(sd)
    np.testing.assert_array_equal(cpu.weight.detach().numpy(), m.weight.detach().cpu().numpy())
