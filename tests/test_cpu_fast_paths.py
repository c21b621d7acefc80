"""The shortcuts a CPU training step takes, each against torch and against the general path it skips:
BLAS axpy / scal in SGD, a first gradient handed to `.grad` without a copy when nothing else holds it,
relu's gradient as a bit mask, and backwards computed on arrays when no graph of the backward is recorded."""
import numpy as np
import pytest

import minitorch
from minitorch.autograd import graph
from minitorch.backends import cpu
from minitorch.optim import optimizer

FLOATS = [np.float32, np.float64]


# ----- backends.cpu --------------------------------------------------------------------------------------
def test_numpy_blas_is_found():
    assert set(cpu._routines()) == {np.dtype(np.float32), np.dtype(np.float64)}


@pytest.mark.parametrize("dtype", FLOATS)
def test_axpy(dtype):
    rng = np.random.default_rng(0)
    x, y = rng.random((2, 10007)).astype(dtype)
    expected = y + dtype(0.3) * x
    cpu.axpy(0.3, x, y)
    np.testing.assert_array_max_ulp(y, expected, maxulp=1)  # fused or not, at most one rounding apart


@pytest.mark.parametrize("dtype", FLOATS)
def test_scal(dtype):
    x = np.random.default_rng(1).standard_normal(1001).astype(dtype)
    expected = x * dtype(0.9)
    cpu.scal(dtype(0.9), x)  # NumPy scalars are accepted as alpha too
    np.testing.assert_array_equal(x, expected)


def test_usable_only_for_contiguous_writeable_arrays_of_one_float_dtype():
    a = np.ones((4, 5), np.float32)
    assert cpu.usable(a, np.zeros_like(a), None)
    read_only = np.ones_like(a)
    read_only.flags.writeable = False
    for rejected in [(a, np.ones((4, 5))), (a.T, a), (a, read_only), (a, np.ones(21, np.float32)),
                     (a.astype(np.float16),), (np.ones(0, np.float32),), (a.tolist(),)]:
        assert not cpu.usable(*rejected)


# ----- SGD -----------------------------------------------------------------------------------------------
SGD_CASES = [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
             {"momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1, "maximize": True},
             {"weight_decay": 0.2, "maximize": True}]


def _sgd_run(lib, kwargs, dtype, steps=4):
    rng = np.random.default_rng(2)
    p = lib.nn.Parameter(lib.tensor(rng.standard_normal((37, 41)).astype(dtype)))
    opt = lib.optim.SGD([p], lr=0.1, **kwargs)
    for _ in range(steps):
        p.grad = lib.tensor(rng.standard_normal((37, 41)).astype(dtype))
        opt.step()
    return p.detach().numpy()


@pytest.mark.parametrize("kwargs", SGD_CASES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_sgd_matches_torch_to_the_bit(torch, kwargs, dtype):
    torch.set_num_threads(1)
    np.testing.assert_array_equal(_sgd_run(minitorch, kwargs, dtype), _sgd_run(torch, kwargs, dtype))


@pytest.mark.parametrize("kwargs", SGD_CASES)
def test_sgd_without_blas_takes_ufuncs(monkeypatch, kwargs):
    fast = _sgd_run(minitorch, kwargs, np.float32)
    monkeypatch.setattr(cpu, "usable", lambda *arrays: False)
    slow = _sgd_run(minitorch, kwargs, np.float32)
    np.testing.assert_allclose(slow, fast, rtol=1e-6, atol=1e-6)
    assert not np.array_equal(slow, fast)  # the ufunc path rounds twice: not the same bits


@pytest.mark.parametrize("name, kwargs, dtype", [("Adam", {"lr": 0.01, "weight_decay": 0.1}, np.float32),
                                                 ("SGD", {"lr": 0.1, "momentum": 0.9}, np.float16)])
def test_sliced_updates_equal_whole_array_updates(monkeypatch, name, kwargs, dtype):
    """Arrays above optimizer._SLICE_ABOVE go through the ufuncs in cache-sized slices: same numbers.
    (SGD takes the ufuncs for float16, which the BLAS has no routines for.)"""
    def run():
        rng = np.random.default_rng(3)
        p = minitorch.nn.Parameter(minitorch.tensor(rng.standard_normal(70001).astype(dtype)))
        opt = getattr(minitorch.optim, name)([p], **kwargs)
        for _ in range(3):
            p.grad = minitorch.tensor(rng.standard_normal(70001).astype(dtype))
            opt.step()
        return p.detach().numpy()
    whole = run()
    monkeypatch.setattr(optimizer, "_SLICE_ABOVE", 1000)
    np.testing.assert_array_equal(run(), whole)


# ----- a leaf's first gradient ---------------------------------------------------------------------------
def _spy_unshared(monkeypatch):
    answers = []
    unshared = graph._unshared

    def spy(grads):
        answers.append(unshared(grads))
        return answers[-1]
    monkeypatch.setattr(graph, "_unshared", spy)
    return answers


def test_linear_layer_gradients_are_not_copied(monkeypatch):
    answers = _spy_unshared(monkeypatch)
    layer = minitorch.nn.Linear(4, 3)
    layer(minitorch.randn(5, 4)).sum().backward()
    assert answers == [True, True]


def test_gradients_someone_else_holds_are_copied(monkeypatch):
    answers = _spy_unshared(monkeypatch)
    given = minitorch.ones(3)
    leaf = minitorch.zeros(3, requires_grad=True)
    leaf.backward(given)  # the caller keeps `given`
    given += 1
    assert leaf.grad.tolist() == [1, 1, 1]

    kept = []
    leaf = minitorch.zeros(3, requires_grad=True)
    leaf.register_hook(kept.append)  # a hook keeps it
    (leaf * 2).sum().backward()
    kept[0] += 5
    assert leaf.grad.tolist() == [2, 2, 2]

    leaf = minitorch.zeros(2, 2, requires_grad=True)
    view = leaf.t()
    view.retain_grad()  # the view's .grad shares the array
    (view * 3).sum().backward()
    view.grad += 1
    assert leaf.grad.tolist() == [[3, 3], [3, 3]]

    a, b = minitorch.zeros(3, requires_grad=True), minitorch.zeros(3, requires_grad=True)
    ((a + b) * 1).sum().backward()  # add's backward hands one gradient to both leaves
    a.grad += 1
    assert b.grad.tolist() == [1, 1, 1]
    assert answers == [False, False, False, False, True]


def test_second_backward_accumulates_into_the_first_gradient():
    leaf = minitorch.ones(3, requires_grad=True)
    total = (leaf * 2).sum()
    total.backward(retain_graph=True)
    first = leaf.grad
    total.backward()
    assert leaf.grad is first and first.tolist() == [4, 4, 4]


# ----- relu's gradient -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_relu_gradient_matches_torch_on_special_values(torch, dtype):
    x = [-0.0, 0.0, -1.0, float("nan"), 2.0, 3.0, 4.0, -5.0]
    g = [float("inf"), 1.0, -1.0, 5.0, float("-inf"), float("nan"), -2.0, float("nan")]
    grads = []
    for lib in (minitorch, torch):
        t = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
        lib.relu(t).backward(lib.tensor(g, dtype=getattr(lib, dtype)))
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(np.signbit(grads[0]), np.signbit(grads[1]))


# ----- backwards on arrays -------------------------------------------------------------------------------
def _grads(build, inputs, create_graph):
    out = build(*inputs)
    return minitorch.autograd.grad(out, inputs, minitorch.ones_like(out), create_graph=create_graph)


@pytest.mark.parametrize("build", [
    lambda x, w, b: minitorch.nn.functional.linear(x, w, b),
    lambda x, w, b: minitorch.mm(x.t().t(), w.t()) + b,
    lambda x, w, b: minitorch.log_softmax(minitorch.nn.functional.linear(x, w, b), 1) * w.sum(),
    lambda x, w, b: minitorch.softmax(x @ w.t() + b, 0).pow(2),
], ids=["linear", "mm", "log_softmax", "softmax"])
@pytest.mark.parametrize("dtype", [minitorch.float32, minitorch.float64])
def test_array_backward_equals_the_tensor_backward(build, dtype):
    """create_graph=False takes the array shortcuts; create_graph=True the tensor ops that record a graph."""
    rng = np.random.default_rng(4)
    inputs = [minitorch.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True)
              for s in [(6, 5), (3, 5), (3,)]]
    for fast, general in zip(_grads(build, inputs, False), _grads(build, inputs, True)):
        assert fast.shape == general.shape and fast.dtype == general.dtype
        np.testing.assert_allclose(fast.numpy(), general.detach().numpy(), rtol=1e-6, atol=1e-7)


# ----- max pooling: first maximum, NaN rule, windows left over ----------------------------------------------
@pytest.mark.parametrize("shape, kernel", [((4, 3, 26, 26), 2), ((2, 3, 11, 11), 2), ((2, 2, 9, 12), 3),
                                           ((3, 7, 7), 2)])
@pytest.mark.parametrize("special", ["ties", "nan"])
def test_max_pool_matches_torch_on_ties_and_nan(torch, shape, kernel, special):
    """Values, indices (first maximum; torch's NaN rule) and gradients, also for windows left over."""
    a = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    a[..., :2, :4] = 1.0 if special == "ties" else np.nan
    results = []
    for lib in (minitorch, torch):
        x = lib.tensor(a, requires_grad=True)
        values, indices = lib.nn.functional.max_pool2d(x, kernel, return_indices=True)
        values.backward(values.detach() + 1)
        results.append((values.detach().numpy(), indices.numpy(), x.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)
