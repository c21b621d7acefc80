"""The dispatch door against torch's: what a TorchFunctionMode sees for programs written with functions,
methods, operators and properties; which function object, types and arguments reach __torch_function__ and in
which order subclasses are asked; subclass preservation, as_subclass and _make_subclass; the errors; and the
lower layer (TorchDispatchMode, observers, dispatch keys)."""
import gc

import numpy as np
import pytest

import minitorch
from minitorch import _dispatch

pytestmark = pytest.mark.parity


def _name(lib, func):
    name = lib.overrides.resolve_name(func)
    return name.replace("minitorch", "torch") if name else getattr(func, "__name__", repr(func))


def _logging_mode(lib, seen):
    class Log(lib.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            seen.append((_name(lib, func), [t.__name__ for t in types],
                         [type(a).__name__ for a in args], sorted(kwargs)))
            return func(*args, **kwargs)
    return Log()


def program_arithmetic(L):
    x = L.ones(2, 3, requires_grad=True)
    y = L.full((3,), 2.0)
    z = x + y
    w = 2 * x - 1
    v = L.add(x, y, alpha=2)
    u = x.add(y).mul(3) / y
    s = (z * w + v - u).pow(2).sum()
    s.backward()
    return [x.grad, z ** 2, 1 - z, 1 / z, -z, abs(z), z // 2, z % 2, z @ L.ones(3, 2), z == w, z < w, z >= 1]


def program_shapes(L):
    x = L.arange(12.0).reshape(3, 4)
    parts = [x.T, x.t(), x.view(4, 3), x[1], x[:, 2], x[..., :2], x.shape, x.size(0), x.dim(), x.numel(),
             x.dtype, x.device, x.requires_grad, x.is_leaf, x.flatten(), x.unsqueeze(0), x.permute(1, 0),
             L.cat([x, x]), L.stack((x, x)), x.split(2, 1), L.split(x, 1), x.chunk(2), x.max(dim=0), L.max(x),
             x.sum(dim=1, keepdim=True), x.mean(), L.where(x > 3, x, L.zeros(3, 4)), len(x), list(x)]
    y = x.clone()
    y[0] = 5.0
    y += 1
    y.mul_(2)
    return parts + [y, x.float(), x.to(L.float64), x.detach(), x.item() if x.numel() == 1 else x.tolist()]


def program_functional(L):
    F = L.nn.functional
    x = L.linspace(-2, 2, 12).reshape(3, 4)
    w = L.ones(2, 4)
    target = L.tensor([0, 1, 1])
    return [F.relu(x), F.softmax(x, dim=1), F.log_softmax(x, 0), F.linear(x, w), F.gelu(x),
            F.cross_entropy(F.linear(x, w), target), F.mse_loss(x, x * 2), F.dropout(x, 0.5, False),
            F.layer_norm(x, (4,)), F.leaky_relu(x, 0.2), F.tanh(x), F.sigmoid(x), F.pad(x, (1, 1)),
            F.max_pool1d(x[None], 2), F.normalize(x)]


PROGRAMS = [program_arithmetic, program_shapes, program_functional]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_logging_mode_sees_what_torch_sees(torch, program):
    """The sequence of public calls (names, the types torch lists, argument types, keyword names)."""
    seen = {}
    for lib in (minitorch, torch):
        seen[lib.__name__] = []
        with _logging_mode(lib, seen[lib.__name__]):
            program(lib)
    assert seen["minitorch"] == seen["torch"]


def test_mode_is_off_inside_its_handler_and_modes_nest(torch):
    """The innermost mode goes first; each mode is popped while its handler runs, so what the handler calls
    reaches the next mode, and a handler may change the result."""
    def trace(lib):
        log = []

        class Tag(lib.overrides.TorchFunctionMode):
            def __init__(self, tag):
                super().__init__()
                self.tag = tag

            def __torch_function__(self, func, types, args=(), kwargs=None):
                log.append((self.tag, _name(lib, func)))
                out = func(*args, **(kwargs or {}))
                return out * 10 if self.tag == "inner" and _name(lib, func) == "torch.Tensor.add" else out
        x = lib.ones(2)
        with Tag("outer"), Tag("inner"):
            result = (x + 1).sum()
        log.append(("after", (x + 1).sum().item(), result.item()))
        return log
    assert trace(minitorch) == trace(torch)


class _Parity:
    """Subclass definitions made for each library in turn."""

    def __init__(self, lib):
        self.lib = lib
        self.log = log = []

        class Logged(lib.Tensor):
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                log.append((cls.__name__, _name(lib, func), [t.__name__ for t in types],
                            [type(a).__name__ for a in args]))
                return super().__torch_function__(func, types, args, kwargs)

        class Child(Logged):
            pass

        class Other(lib.Tensor):
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                log.append(("Other", _name(lib, func)))
                return NotImplemented

        class Scalar:
            """Not a tensor, but it speaks the protocol."""

            def __init__(self, n):
                self.n = n

            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                log.append(("Scalar", _name(lib, func), [t.__name__ for t in types]))
                return ("handled", _name(lib, func), len(args), sorted(kwargs or {}))

        self.Logged, self.Child, self.Other, self.Scalar = Logged, Child, Other, Scalar

    def tensor(self, cls, *shape):
        return self.lib.ones(*shape).as_subclass(cls)


def _outcome(fn):
    try:
        out = fn()
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return ("raised", type(e).__name__, str(e).split("\n")[0].replace("minitorch", "torch"))
    if isinstance(out, (list, tuple)):
        return (type(out).__name__, [type(o).__name__ for o in out])
    return type(out).__name__ if not isinstance(out, (str, int, float)) else out


SUBCLASS_CASES = {
    "operator": lambda p: p.tensor(p.Logged, 2) + 1,
    "function": lambda p: p.lib.add(p.tensor(p.Logged, 2), p.lib.ones(2), alpha=2),
    "method": lambda p: p.tensor(p.Logged, 2, 3).sum(dim=1),
    "reflected": lambda p: 3 - p.tensor(p.Logged, 2),
    "namedtuple": lambda p: p.tensor(p.Logged, 2, 3).max(dim=0),
    "split": lambda p: p.tensor(p.Logged, 4).split(2),
    "getitem": lambda p: p.tensor(p.Logged, 3, 2)[1],
    "property": lambda p: p.tensor(p.Logged, 3, 2).T,
    "shape": lambda p: p.tensor(p.Logged, 3, 2).shape,
    "functional": lambda p: p.lib.nn.functional.relu(p.tensor(p.Logged, 2)),
    "subclass first": lambda p: p.lib.mul(p.tensor(p.Logged, 2), p.tensor(p.Child, 2)),
    "child first": lambda p: p.lib.mul(p.tensor(p.Child, 2), p.tensor(p.Logged, 2)),
    "unrelated": lambda p: p.lib.mul(p.tensor(p.Logged, 2), p.tensor(p.Other, 2)),
    "all decline": lambda p: p.lib.mul(p.tensor(p.Other, 2), p.lib.ones(2)),
    "foreign function": lambda p: p.lib.mean(p.Scalar(5)),
    "foreign operand": lambda p: p.lib.add(p.lib.ones(2), p.Scalar(1)),
    "foreign operator": lambda p: p.lib.ones(2) * p.Scalar(3),
    "foreign functional": lambda p: p.lib.nn.functional.relu(p.Scalar(1)),
    "parameter": lambda p: p.lib.nn.Parameter(p.lib.ones(2)) * 2,
    "plain": lambda p: p.lib.ones(2) + p.lib.ones(2),
}


@pytest.mark.parametrize("case", SUBCLASS_CASES)
def test_torch_function_protocol(torch, case):
    """What each handler receives, the order they are asked in, the result's class, and the errors."""
    results = {}
    for lib in (minitorch, torch):
        p = _Parity(lib)
        outcome = _outcome(lambda: SUBCLASS_CASES[case](p))
        results[lib.__name__] = (outcome, p.log)
    assert results["minitorch"] == results["torch"]


def test_function_objects_handed_over():
    """The very public objects arrive: Tensor.add for `x + y`, Tensor.mul for `2 * x`, the property getter
    for `x.shape`, minitorch.add for minitorch.add."""
    got = []

    class Grab(minitorch.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            got.append(func)
            return func(*args, **(kwargs or {}))
    x = minitorch.ones(2)
    with Grab():
        _ = x + x, 2 * x, x.shape, minitorch.add(x, x), minitorch.nn.functional.relu(x), x.add_(1)
    T = minitorch.Tensor
    assert got[0] is T.add and got[1] is T.mul and got[2] == T.shape.__get__
    assert got[3] is minitorch.add and got[4] is minitorch.nn.functional.relu and got[5] is T.add_


def test_as_subclass_and_make_subclass(torch):
    def facts(lib):
        class C(lib.Tensor):
            pass
        x = lib.ones(2, requires_grad=True)
        y = x.as_subclass(C)
        (y * 2).sum().backward()
        z = lib.Tensor._make_subclass(C, lib.ones(3), True)
        p = lib.nn.Parameter(lib.ones(2))
        out = [type(y).__name__, y.grad_fn.name(), y.is_leaf, y.requires_grad, x.grad.tolist(), repr(y),
               type(z).__name__, z.requires_grad, z.is_leaf, type(p + 1).__name__, type(p.as_subclass(C)).__name__,
               repr(lib.ones(2).as_subclass(C) + 1)]
        try:
            lib.ones(2).as_subclass(int)
        except TypeError as e:
            out.append(str(e))
        return out
    assert facts(minitorch) == facts(torch)


def test_overrides_helpers(torch):
    def facts(lib):
        class C(lib.Tensor):
            pass

        class Foreign:
            __torch_function__ = classmethod(lambda cls, *a, **k: None)
        c, t = lib.ones(1).as_subclass(C), lib.ones(1)
        ov = lib.overrides
        return [ov.has_torch_function((c,)), ov.has_torch_function((t,)), ov.has_torch_function_unary(c),
                ov.has_torch_function_variadic(t, Foreign()), ov.is_tensor_like(c), ov.is_tensor_like(Foreign()),
                ov.is_tensor_like(3), _name(lib, lib.add), _name(lib, lib.Tensor.shape.__get__),
                _name(lib, lib.nn.functional.relu), _name(lib, lib.Tensor.__add__), ov.resolve_name(lambda: 1),
                ov.is_tensor_method_or_property(lib.Tensor.add), ov.is_tensor_method_or_property(lib.add)]
    assert facts(minitorch) == facts(torch)


def test_handle_torch_function_for_user_functions(torch):
    """A user's own function made overridable with has_torch_function / handle_torch_function."""
    def trace(lib):
        log = []

        def scaled(x, factor=2):
            if lib.overrides.has_torch_function_unary(x):
                return lib.overrides.handle_torch_function(scaled, (x,), x, factor=factor)
            return x * factor

        class Log(lib.overrides.TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                log.append((getattr(func, "__name__", "?"), [t.__name__ for t in types], sorted(kwargs or {})))
                return func(*args, **(kwargs or {}))
        with Log():
            scaled(lib.ones(2), factor=3)
        return log
    assert trace(minitorch) == trace(torch)


def test_disable_torch_function_subclass(torch):
    def trace(lib):
        class C(lib.Tensor):
            pass
        c = lib.ones(2).as_subclass(C)
        with lib._C.DisableTorchFunctionSubclass():
            inside = type(c + 1).__name__
        return [inside, type(c + 1).__name__, lib._C._is_torch_function_enabled()]
    assert trace(minitorch) == trace(torch)


def test_fast_path_comes_back():
    """With no mode and no overriding subclass alive, entries call the implementation directly again."""
    gc.collect()  # subclasses made by earlier tests (classes live in reference cycles)
    assert _dispatch._PLAIN[0]
    with minitorch.overrides.BaseTorchFunctionMode():
        assert not _dispatch._PLAIN[0]
    assert _dispatch._PLAIN[0]


def test_dispatch_mode_sees_aten_ops_and_can_replace_results():
    """The lower layer names ops as aten does, sees each op after the torch function layer with its arguments
    bound to the kernel's signature, and may answer in the op's place."""
    from minitorch.utils._python_dispatch import TorchDispatchMode
    seen = []

    class Log(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append((func.name, [t.__name__ for t in types], len(args), sorted(kwargs or {})))
            if func.name == "aten::exp":
                return minitorch.zeros(2)
            return func(*args, **(kwargs or {}))
    x = minitorch.ones(2)
    with Log():
        y = minitorch.add(x, x, alpha=3)
        z = x.exp()
        minitorch.nn.functional.relu(y)
    assert seen == [("aten::add", ["Tensor"], 2, ["alpha"]), ("aten::exp", ["Tensor"], 1, []),
                    ("aten::relu", ["Tensor"], 1, [])]
    assert y.tolist() == [4.0, 4.0] and z.tolist() == [0.0, 0.0]


def test_observers_see_nested_ops():
    """Observers (the profiler's hook) see every op the lower layer runs: those run inside other ops, and those
    the backward pass runs (backward itself is no operator, as in torch)."""
    events = []
    x = minitorch.ones(2, requires_grad=True)
    logits, target = minitorch.ones(2, 3), minitorch.tensor([0, 1])
    remove = _dispatch.add_observer(lambda op, args, kwargs: events.append(("enter", op.name)) or op.name,
                                    lambda token: events.append(("leave", token)))
    try:
        (x * 2).sum().backward()
        minitorch.nn.functional.cross_entropy(logits, target)
    finally:
        remove()
    gc.collect()
    assert events[:4] == [("enter", "aten::mul"), ("leave", "aten::mul"), ("enter", "aten::sum"),
                          ("leave", "aten::sum")]
    loss_at = events.index(("enter", "aten::cross_entropy_loss"))
    assert ("enter", "aten::mul") in events[4:loss_at]  # MulBackward's g * 2
    assert ("enter", "aten::backward") not in events
    assert events[loss_at:] == [("enter", "aten::cross_entropy_loss"), ("enter", "aten::log_softmax"),
                                ("leave", "aten::log_softmax"), ("enter", "aten::nll_loss_nd"),
                                ("leave", "aten::nll_loss_nd"), ("leave", "aten::cross_entropy_loss")]
    assert _dispatch._PLAIN[0]


def test_warnings_point_at_the_callers_line():
    x = minitorch.ones(2, 3, 4)
    with pytest.warns(UserWarning, match="x.T") as record:
        x.T
    assert record[0].filename == __file__


def test_foreign_object_after_a_failing_plain_call_is_not_tried_twice():
    """A TypeError from an op with no __torch_function__ argument is the op's own error."""
    with pytest.raises(TypeError):
        minitorch.add(minitorch.ones(2), "a")
    assert minitorch.ones(2).__add__(object()) is NotImplemented
    assert np.array_equal((minitorch.ones(2) + 1).numpy(), [2.0, 2.0])
