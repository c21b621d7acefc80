"""The autograd engine compared with PyTorch: backward and autograd.grad options, accumulation, freed
graphs, grad_fn structure, hooks and their order, grad modes, custom Functions, gradcheck, and deep graphs
(the engine is iterative)."""
import gc
import sys
import warnings
import weakref

import pytest

import minitorch
from minitorch.autograd import gradcheck
from tests._core_parity import raises_same, same


def leaf(L, values=(1.0, 2.0, 3.0), dtype="float32"):
    return L.tensor(list(values), dtype=getattr(L, dtype), requires_grad=True)


def names(node):
    """A graph below `node` as nested (name, [(child, output_nr)]) data."""
    if node is None:
        return None
    return (node.name(), [(names(n), nr) for n, nr in node.next_functions])


# ----- backward and grad ------------------------------------------------------------------------------
def test_backward_accumulates_across_calls(torch):
    def scenario(L):
        x = leaf(L)
        (x * 2).sum().backward()
        (x * x).sum().backward()
        first = x.grad.clone()
        x.grad = None
        (x * 3).sum().backward()
        return [first, x.grad]
    same(torch, scenario)


def test_backward_with_gradient_argument(torch):
    same(torch, lambda L: (lambda x: ((x * 2).backward(L.tensor([1.0, 0.0, 2.0])), x.grad)[1])(leaf(L)))
    same(torch, lambda L: (lambda x: ((x * 2).sum().backward(L.tensor(2.0)), x.grad)[1])(leaf(L)))
    same(torch, lambda L: (lambda x: ((x.double() * 2).backward(L.ones(3, dtype=L.float64)), x.grad)[1])(leaf(L)))
    same(torch, lambda L: (lambda x: ((x * 2).backward(L.ones(3, dtype=L.float64)), x.grad)[1])(leaf(L)))


@pytest.mark.parametrize("case", ["non-scalar", "no grad", "integer output", "shape", "list of floats",
                                  "empty inputs", "too few grads"])
def test_backward_errors(torch, case):
    raises_same(torch, {
        "non-scalar": lambda L: (leaf(L) * 2).backward(),
        "no grad": lambda L: (leaf(L, rg) if (rg := False) else L.ones(3) * 2).sum().backward(),
        "integer output": lambda L: (leaf(L) > 1).sum().backward(),
        "shape": lambda L: (leaf(L) * 2).backward(L.ones(2)),
        "list of floats": lambda L: (leaf(L) * 2).sum().backward([1.0]),
        "empty inputs": lambda L: (leaf(L) * 2).sum().backward(inputs=[]),
        "too few grads": lambda L: L.autograd.backward([leaf(L) * 2, leaf(L) * 3], [L.ones(3)]),
    }[case])


def test_second_backward_frees_saved_tensors_only(torch):
    def twice(op):
        def scenario(L):
            x = leaf(L)
            y = op(L, x).sum()
            y.backward()
            y.backward()
            return x.grad
        return scenario
    for op in (lambda L, x: x * x, lambda L, x: x * 2, lambda L, x: x.exp(), lambda L, x: x / 2,
               lambda L, x: L.where(x > 1, x, 0.0), lambda L, x: x.relu(), lambda L, x: x ** 2):
        raises_same(torch, twice(op))
    for op in (lambda L, x: x + 1, lambda L, x: -x, lambda L, x: 2 - x, lambda L, x: x.clone(),
               lambda L, x: x.double(), lambda L, x: x % 2, lambda L, x: x.sign(), lambda L, x: L.add(x, x, alpha=2)):
        same(torch, twice(op))


def test_retain_graph(torch):
    def scenario(L):
        x = leaf(L)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad
    same(torch, scenario)


def test_create_graph_gives_higher_derivatives(torch):
    def scenario(L):
        x = leaf(L)
        y = (x ** 3).sum()
        g, = L.autograd.grad(y, x, create_graph=True)
        g2, = L.autograd.grad(g.sum(), x, create_graph=True)
        g3, = L.autograd.grad(g2.sum(), x)
        return [g.detach(), g.requires_grad, g2.detach(), g3]
    same(torch, scenario)

    def through_backward(L):
        x = leaf(L)
        (x ** 3).sum().backward(create_graph=True)
        first = x.grad.detach().clone()
        x.grad.sum().backward()
        return [first, x.grad]
    same(torch, through_backward)


def test_backward_inputs(torch):
    def scenario(L):
        x, w = leaf(L), leaf(L, (0.5, 1.0, 1.5))
        h = x * 2
        (h * w).sum().backward(inputs=[w])
        (h * w).sum().backward(inputs=[h])
        return [x.grad, w.grad, h.grad]
    same(torch, scenario)


def test_autograd_grad(torch):
    same(torch, lambda L: (lambda x: [L.autograd.grad((x * x).sum(), x), x.grad])(leaf(L)))
    same(torch, lambda L: (lambda x: L.autograd.grad(x * 2, x, grad_outputs=L.ones(3)))(leaf(L)))
    same(torch, lambda L: (lambda x: L.autograd.grad([(x * 2).sum(), (x * x).sum()], [x]))(leaf(L)))
    same(torch, lambda L: (lambda x, w: L.autograd.grad((x * 2).sum(), [x, w], allow_unused=True))(leaf(L), leaf(L)))
    same(torch, lambda L: (lambda x, w: L.autograd.grad((x * 2).sum(), [x, w], materialize_grads=True))(
        leaf(L), leaf(L)))
    same(torch, lambda L: (lambda x: L.autograd.grad((x * 2).sum(), x))(leaf(L)))  # a bare tensor as inputs


@pytest.mark.parametrize("case", ["unused", "materialize without allow_unused", "no grad input", "empty inputs",
                                  "non-scalar", "twice"])
def test_autograd_grad_errors(torch, case):
    def twice(L):
        x = leaf(L)
        y = (x * x).sum()
        L.autograd.grad(y, x)
        L.autograd.grad(y, x)
    raises_same(torch, {
        "unused": lambda L: L.autograd.grad((leaf(L) * 2).sum(), [leaf(L)]),
        "materialize without allow_unused": lambda L: L.autograd.grad(
            (leaf(L) * 2).sum(), leaf(L), allow_unused=False, materialize_grads=True),
        "no grad input": lambda L: (lambda x: L.autograd.grad((x * 2).sum(), x.detach()))(leaf(L)),
        "empty inputs": lambda L: L.autograd.grad((leaf(L) * 2).sum(), []),
        "non-scalar": lambda L: (lambda x: L.autograd.grad(x * 2, x))(leaf(L)),
        "twice": twice,
    }[case])


def test_leaf_grad_keeps_leaf_dtype(torch):
    same(torch, lambda L: (lambda x: ((x.float() * 2).sum().backward(), x.grad)[1])(leaf(L, dtype="float64")))


# ----- graph structure ---------------------------------------------------------------------------------
def test_grad_fn_names_and_next_functions(torch):
    def scenario(L):
        x, y = leaf(L), L.tensor([1.0, 2.0, 3.0])
        z = ((x * 2 + y) / 3).exp().sum()
        return [names(z.grad_fn), type(z.grad_fn).__name__, z.grad_fn.next_functions[0][0].name(),
                (x * 2).grad_fn.next_functions[0][0].variable is x]
    same(torch, scenario)
    r = repr(minitorch.tensor([1.0], requires_grad=True).mul(2).grad_fn)
    assert r.startswith("<MulBackward0 object at 0x")
    acc = (minitorch.tensor([1.0], requires_grad=True) * 2).grad_fn.next_functions[0][0]
    assert repr(acc).startswith("<AccumulateGrad object at 0x")


def test_leaf_and_requires_grad_propagation(torch):
    same(torch, lambda L: (lambda x: [x.is_leaf, (x * 2).is_leaf, (x * 2).requires_grad, (x.detach() * 2).requires_grad,
                                      (x > 1).requires_grad, x.long().requires_grad, L.ones(1).is_leaf,
                                      (L.ones(1) * 2).is_leaf, (x * 2).grad])(leaf(L)))


def test_detach(torch):
    def scenario(L):
        x = leaf(L)
        d = (x * 2).detach()
        alias = x.detach()
        alias.zero_()
        return [d, d.requires_grad, d.is_leaf, d.grad_fn, x]
    same(torch, scenario)


def test_detach_inplace(torch):
    same(torch, lambda L: (lambda y: (y.detach_(), y.requires_grad, y.grad_fn, y.is_leaf)[1:])(leaf(L) * 2))


def test_requires_grad_rules(torch):
    raises_same(torch, lambda L: L.tensor([1, 2]).requires_grad_())
    raises_same(torch, lambda L: setattr(L.tensor([1, 2]), "requires_grad", True))
    raises_same(torch, lambda L: L.ones(2, dtype=L.int64, requires_grad=True))
    raises_same(torch, lambda L: L.tensor([1], requires_grad=True))
    raises_same(torch, lambda L: (leaf(L) * 2).requires_grad_(False))
    same(torch, lambda L: [(leaf(L) * 2).requires_grad_(True).requires_grad, L.ones(2).requires_grad_().requires_grad,
                           L.ones(2, requires_grad=True).requires_grad_(False).requires_grad])


def test_non_leaf_grad_access_warns(torch):
    for lib in (minitorch, torch):
        y = leaf(lib) * 2
        with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor is being "
                                             "accessed"):
            assert y.grad is None
        y.retain_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert y.grad is None


def test_retain_grad(torch):
    def scenario(L):
        x = leaf(L)
        h = x * 2
        h.retain_grad()
        h.retain_grad()
        (h * h).sum().backward()
        return [h.grad, h.retains_grad, x.retains_grad, x.grad]
    same(torch, scenario)
    raises_same(torch, lambda L: L.ones(2).retain_grad())


# ----- hooks --------------------------------------------------------------------------------------------
def test_tensor_hooks_replace_order_and_removal(torch):
    def scenario(L):
        log = []
        x = leaf(L)
        y = x * 2
        z = y * 3
        y.register_hook(lambda g: log.append(("y1", g.tolist())) or g * 10)
        handle = y.register_hook(lambda g: log.append(("removed", g.tolist())))
        y.register_hook(lambda g: log.append(("y3", g.tolist())))
        handle.remove()
        handle.remove()
        y.retain_grad()
        x.register_hook(lambda g: log.append(("x", g.tolist())))
        with x.register_hook(lambda g: log.append(("gone", g.tolist()))):
            pass
        y.grad_fn.register_prehook(lambda go: log.append(("pre", go[0].tolist())))
        y.grad_fn.register_hook(lambda gi, go: log.append(("post", gi[0].tolist(), go[0].tolist())))
        x.register_post_accumulate_grad_hook(lambda t: log.append(("acc", t.grad.tolist())))
        z.sum().backward()
        return [log, y.grad, x.grad]
    same(torch, scenario)


def test_leaf_hook_registered_before_the_graph_exists(torch):
    def scenario(L):
        x = leaf(L)
        x.register_hook(lambda g: g * 0 + 7)
        gc.collect()
        (x * 2).sum().backward()
        return x.grad
    same(torch, scenario)


def test_node_hooks_replace_gradients(torch):
    def scenario(L):
        x = leaf(L)
        y = x * 2
        y.grad_fn.register_prehook(lambda go: (go[0] * 100,))
        z = x * 3
        z.grad_fn.register_hook(lambda gi, go: (gi[0] + 1, None))
        (y + z).sum().backward()
        return x.grad
    same(torch, scenario)


def test_hook_errors(torch):
    raises_same(torch, lambda L: L.ones(2).register_hook(lambda g: g))
    raises_same(torch, lambda L: (lambda y: (y.register_hook(lambda g: g.sum()), y.sum().backward()))(leaf(L) * 2))
    raises_same(torch, lambda L: (leaf(L) * 2).register_post_accumulate_grad_hook(lambda t: None))


def test_hook_order_on_a_diamond(torch):
    """Tensor hooks, node pre-hooks and hooks fire in torch's order on a graph with shared inputs."""
    def scenario(L):
        log = []
        x, w = leaf(L), leaf(L, (0.5, -1.0, 2.0))
        a = x * w
        b = a.exp()
        c = a.sin()
        d = b * c + a * x
        for name, t in [("x", x), ("w", w), ("a", a), ("b", b), ("c", c), ("d", d)]:
            t.register_hook(lambda g, name=name: log.append(name))
        for name, t in [("a", a), ("b", b), ("c", c), ("d", d)]:
            t.grad_fn.register_prehook(lambda go, name=name: log.append("pre_" + name))
            t.grad_fn.register_hook(lambda gi, go, name=name: log.append("post_" + name))
        d.sum().backward()
        return [log, x.grad, w.grad]
    same(torch, scenario)


def test_node_metadata_and_call(torch):
    def scenario(L):
        y = leaf(L) * 2
        y.grad_fn.metadata["note"] = 1
        return [y.grad_fn.metadata, y.grad_fn(L.ones(3))]
    same(torch, scenario)


# ----- grad modes ---------------------------------------------------------------------------------------
def test_no_grad_enable_grad_set_grad_enabled(torch):
    def scenario(L):
        x = leaf(L)
        out = []
        with L.no_grad():
            out.append((x * 2).requires_grad)
            with L.enable_grad():
                out.append((x * 2).requires_grad)
            out.append(L.is_grad_enabled())
        with L.set_grad_enabled(False):
            out.append((x * 2).requires_grad)
        L.set_grad_enabled(False)
        out.append((x * 2).requires_grad)
        L.set_grad_enabled(True)
        out.append(L.is_grad_enabled())
        try:
            with L.no_grad():
                raise KeyError
        except KeyError:
            out.append(L.is_grad_enabled())
        return out
    same(torch, scenario)


def test_grad_modes_as_decorators(torch):
    def scenario(L):
        @L.no_grad()
        def called(x):
            return x * 2

        @L.no_grad
        def bare(x):
            return x * 2

        @L.enable_grad()
        def enabled(x):
            return x * 2

        @L.set_grad_enabled(False)
        def disabled(x):
            return x * 2

        @L.inference_mode()
        def inference(x):
            return x * 2, L.is_inference_mode_enabled()

        @L.inference_mode
        def bare_inference(x):
            return x * 2

        @L.no_grad()
        def generator():
            yield L.is_grad_enabled()
            yield L.is_grad_enabled()
        x = leaf(L)
        with L.no_grad():
            inside = enabled(x).requires_grad
        return [called(x).requires_grad, bare(x).requires_grad, inside, disabled(x).requires_grad,
                L.is_grad_enabled(), inference(x)[0].requires_grad, inference(x)[1], bare_inference(x).requires_grad,
                list(generator()), L.is_grad_enabled(), called.__name__]
    same(torch, scenario)


def test_inference_mode(torch):
    def scenario(L):
        x = leaf(L)
        with L.inference_mode():
            y = x * 2
            inside = L.is_inference_mode_enabled()
        with L.inference_mode(False):
            z = x * 2
        return [y.requires_grad, inside, z.requires_grad, L.is_inference_mode_enabled(), L.is_grad_enabled()]
    same(torch, scenario)


# ----- custom Functions --------------------------------------------------------------------------------
def functions(L):
    class Cube(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** 3 * k

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * x ** 2 * ctx.k, None

    class Split(L.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2, x > 0

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.mark_non_differentiable(output[1])
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g, g_mask):
            return g * 2

    class Identity(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    class Double(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class TwoOutputs(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            return (g1 if g1 is not None else 0) + (g2 * 2 if g2 is not None else 0)

    class Needs(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.flags = ctx.needs_input_grad
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g, g
    return Cube, Split, Identity, Double, TwoOutputs, Needs


def test_custom_function(torch):
    def scenario(L):
        Cube, Split, Identity, Double, TwoOutputs, Needs = functions(L)
        x = leaf(L, (1.0, -2.0, 0.5))
        y = Cube.apply(x, 2.0)
        y.sum().backward()
        a, mask = Split.apply(x)
        (a * 1).sum().backward()
        i = Identity.apply(x)
        h = x * 1
        d = Double.apply(h)
        n = Needs.apply(x, L.ones(3))
        return [y, type(y.grad_fn).__name__, y.grad_fn.name(), names(y.grad_fn), x.grad, a, mask,
                i is x, i.is_leaf, d is h, d.grad_fn.name(), h._version, n.grad_fn.flags]
    same(torch, scenario)
    r = repr(functions(minitorch)[0].apply(minitorch.ones(1, requires_grad=True), 1.0).grad_fn)
    assert r.startswith("<torch.autograd.function.CubeBackward object at 0x")


def test_custom_function_gradients_and_materialization(torch):
    def scenario(L):
        _, _, Identity, _, TwoOutputs, _ = functions(L)
        x = leaf(L)
        Identity.apply(x).sum().backward()
        first = x.grad.clone()
        x.grad = None
        TwoOutputs.apply(x)[1].sum().backward()
        second = x.grad.clone()
        x.grad = None
        TwoOutputs.apply(x)[0].sum().backward()
        return [first, second, x.grad]
    same(torch, scenario)


def test_custom_function_without_grad(torch):
    def scenario(L):
        Cube = functions(L)[0]
        x = leaf(L)
        with L.no_grad():
            y = Cube.apply(x, 2.0)
        return [y, Cube.apply(L.ones(2), 1.0)]
    same(torch, scenario)


@pytest.mark.parametrize("case", ["wrong count", "gradient for a number", "wrong shape", "freed saved tensors",
                                  "dirty leaf", "no backward", "legacy call"])
def test_custom_function_errors(torch, case):
    def wrong_count(L):
        class F(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x + y

            @staticmethod
            def backward(ctx, g):
                return g
        F.apply(leaf(L), leaf(L)).sum().backward()

    def gradient_for_a_number(L):
        class F(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g, 1.0
        F.apply(leaf(L), 2.0).sum().backward()

    def wrong_shape(L):
        class F(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.sum()

            @staticmethod
            def backward(ctx, g):
                return g * L.ones(2)
        F.apply(leaf(L)).backward()

    def freed(L):
        y = functions(L)[0].apply(leaf(L), 2.0)
        y.sum().backward()
        return y.grad_fn.saved_tensors

    def no_backward(L):
        class F(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2
        F.apply(leaf(L)).sum().backward()

    raises_same(torch, {
        "wrong count": wrong_count, "gradient for a number": gradient_for_a_number, "wrong shape": wrong_shape,
        "freed saved tensors": freed, "dirty leaf": lambda L: functions(L)[3].apply(leaf(L)),
        "no backward": no_backward, "legacy call": lambda L: functions(L)[0]()(leaf(L), 1.0),
    }[case])


def test_custom_function_broadcast_and_dtype_of_returned_grads(torch):
    def scenario(L):
        class F(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return (g * 2).double().expand(2, 3)
        x = leaf(L)
        F.apply(x).sum().backward()
        return x.grad
    same(torch, scenario)


# ----- gradcheck ---------------------------------------------------------------------------------------
def test_gradcheck_accepts_a_right_gradient_and_detects_a_wrong_one(torch):
    def scenario(L):
        class Wrong(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * x  # should be 2 * g * x
        x = leaf(L, (1.0, -2.0, 3.0), "float64")
        right = L.autograd.gradcheck(lambda t: (t * t).sum() * t, (x,))
        wrong = L.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)
        try:
            L.autograd.gradcheck(Wrong.apply, (x,))
            raised = None
        except RuntimeError as e:
            raised = (type(e).__name__, str(e).splitlines()[0])
        return [right, wrong, raised]
    same(torch, scenario)


def test_gradgradcheck(torch):
    same(torch, lambda L: L.autograd.gradgradcheck(lambda t: (t ** 3).sin(), (leaf(L, dtype="float64"),)))


# ----- deep graphs --------------------------------------------------------------------------------------
def test_deep_chain_backprops_without_recursion():
    """100,000 ops deep: the engine walks the graph with an explicit stack, not Python recursion."""
    limit = sys.getrecursionlimit()
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    sys.setrecursionlimit(1000)
    try:
        y.sum().backward()
    finally:
        sys.setrecursionlimit(limit)
    assert x.grad.tolist() == [1.0, 1.0]


def test_deep_graph_is_freed_when_dropped():
    x = minitorch.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y.exp() * 0.5
    first = weakref.ref(x * 1)  # a tensor that nothing else holds is freed at once
    node = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert first() is None and node() is None
    assert x.grad is None


def test_gradcheck_of_a_composite_function():
    x = minitorch.tensor([[0.3, -1.2], [2.0, 0.7]], dtype=minitorch.float64, requires_grad=True)
    w = minitorch.tensor([0.5, -0.25], dtype=minitorch.float64, requires_grad=True)
    assert gradcheck(lambda a, b: ((a * b).tanh() + a.exp() / (1 + b * b)).sigmoid(), (x, w))


def test_views_share_the_version_counter(torch):
    """Changing a view in place counts as changing its base, so saved bases are protected too."""
    def changed_through(view):
        def scenario(L):
            y = leaf(L, (1.0, 2.0, 3.0, 4.0)).reshape(2, 2).exp()
            z = y.sum()
            with L.no_grad():
                view(y).mul_(2)
            z.backward()
        return scenario
    for view in (lambda y: y.view(4), lambda y: y.t(), lambda y: y[0]):
        raises_same(torch, changed_through(view))
    same(torch, lambda L: (lambda x: (x.view(4).add_(1), x._version, x)[1:])(L.ones(2, 2)))


def test_once_differentiable(torch):
    def scenario(L):
        from importlib import import_module
        once_differentiable = import_module(L.__name__ + ".autograd.function").once_differentiable

        class Square(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @once_differentiable
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return 2 * g * x
        x = leaf(L)
        g, = L.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
        return [g, g.requires_grad]
    same(torch, scenario)
