"""Pooling and reshaping layers against real PyTorch: F.max_pool1d/2d (indices, NaN, ties, ceil mode),
avg_pool1d/2d (count_include_pad, divisor_override), adaptive_avg_pool2d, their gradients, grad_fn names,
gradcheck, the layers' reprs, Flatten / Unflatten, and torch's error messages."""
import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch.autograd import gradcheck, gradgradcheck

from ._module_parity import outcome, same


def _compare(torch, name, shape, dtype, kwargs, data=None):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype) if data is None else data
    a, b = minitorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, y_ref = getattr(F, name)(a, **kwargs), getattr(torch.nn.functional, name)(b, **kwargs)
    if kwargs.get("return_indices"):
        np.testing.assert_array_equal(y[1].numpy(), y_ref[1].numpy())
        assert y[1].dtype is minitorch.int64
        y, y_ref = y[0], y_ref[0]
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    assert y.shape == tuple(y_ref.shape) and y.dtype.name == str(y_ref.dtype)[6:]
    np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy(), **tol)
    assert y.grad_fn.name() == y_ref.grad_fn.name()
    g = np.random.default_rng(1).standard_normal(tuple(y_ref.shape)).astype(dtype)
    y.backward(minitorch.tensor(g))
    y_ref.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)


MAX2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, return_indices=True)),
    ((2, 3, 9, 8), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 1), return_indices=True)),
    ((1, 2, 5, 5), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
    ((3, 7, 6), dict(kernel_size=3, stride=1)),  # unbatched
]
AVG2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ((2, 3, 7, 6), dict(kernel_size=(2, 3), stride=(1, 2), divisor_override=4)),
    ((3, 7, 6), dict(kernel_size=2, padding=1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kwargs", MAX2D)
def test_max_pool2d_matches_torch(torch, shape, kwargs, dtype):
    _compare(torch, "max_pool2d", shape, dtype, kwargs)


def test_max_pool2d_nan_and_ties_match_torch(torch):
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 6))
    x[0, 0, 1, 1] = np.nan
    x[1, 1, :3, :3] = 0.5
    _compare(torch, "max_pool2d", None, np.float64, dict(kernel_size=3, stride=2, return_indices=True), data=x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kwargs", AVG2D)
def test_avg_pool2d_matches_torch(torch, shape, kwargs, dtype):
    _compare(torch, "avg_pool2d", shape, dtype, kwargs)


@pytest.mark.parametrize("name,shape,kwargs", [
    ("max_pool1d", (2, 3, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, return_indices=True)),
    ("max_pool1d", (3, 10), dict(kernel_size=2, dilation=2)),
    ("avg_pool1d", (2, 3, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avg_pool1d", (3, 10), dict(kernel_size=2)),
    ("adaptive_avg_pool2d", (2, 3, 7, 6), dict(output_size=(3, 4))),
    ("adaptive_avg_pool2d", (2, 3, 7, 6), dict(output_size=1)),
    ("adaptive_avg_pool2d", (3, 5, 9), dict(output_size=(None, 4))),
    ("adaptive_avg_pool2d", (1, 2, 4, 4), dict(output_size=6)),
])
def test_other_pools_match_torch(torch, name, shape, kwargs):
    for dtype in (np.float32, np.float64):
        _compare(torch, name, shape, dtype, kwargs)


def _small(shape):
    return minitorch.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: F.avg_pool2d(x, 2, divisor_override=3),
    lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
    lambda x: F.max_pool1d(x.flatten(2), 3, 2),
    lambda x: F.avg_pool1d(x.flatten(2), 3, 2, 1),
])
def test_pool_gradcheck(fn):
    x = _small((1, 2, 5, 5))
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_double_backward_node_names_match_torch(torch):
    def scenario(lib):
        x = lib.ones(1, 1, 4, 4, requires_grad=True) * lib.arange(16.0).reshape(1, 1, 4, 4)
        names = []
        for f in (lambda t: lib.nn.functional.max_pool2d(t, 2), lambda t: lib.nn.functional.avg_pool2d(t, 2),
                  lambda t: lib.nn.functional.adaptive_avg_pool2d(t, 3)):
            y = f(x)
            g, = lib.autograd.grad(y, x, lib.ones(y.shape, requires_grad=True), create_graph=True)
            names.append(g.grad_fn.name())
        return names
    same(scenario, torch)


# ----- layers ---------------------------------------------------------------------------------------------
def test_layer_reprs_and_attributes(torch):
    def scenario(torch):
        nn = torch.nn
        layers = [nn.MaxPool2d(2), nn.MaxPool2d(3, 1, 1, 2, True, True), nn.MaxPool2d((2, 3)),
                  nn.MaxPool1d(2), nn.MaxPool1d(3, 1, 1, 2, True, True), nn.AvgPool2d(2),
                  nn.AvgPool2d(3, 1, 1, True, False, 3), nn.AvgPool2d((2, 3), stride=[1, 2]), nn.AvgPool1d(2),
                  nn.AvgPool1d(3, 1, 1, True, False), nn.AdaptiveAvgPool2d((5, 7)), nn.AdaptiveAvgPool2d(5),
                  nn.AdaptiveAvgPool2d((None, 7)), nn.Flatten(), nn.Flatten(0, 2), nn.Unflatten(1, (2, 5)),
                  nn.Unflatten(1, [2, 5])]
        attrs = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices", "count_include_pad",
                 "divisor_override", "output_size", "start_dim", "end_dim", "dim", "unflattened_size")
        return [(repr(m), [getattr(m, a, None) for a in attrs], type(m).__constants__) for m in layers]
    same(scenario, torch)


def test_layers_forward_match_torch(torch):
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)

    def scenario(lib):
        nn = lib.nn
        model = nn.Sequential(nn.MaxPool2d(2, return_indices=False), nn.AvgPool2d(2, ceil_mode=True),
                              nn.AdaptiveAvgPool2d((3, 2)), nn.Flatten(), nn.Unflatten(1, (3, 6)))
        y = model(lib.tensor(x))
        y1 = nn.MaxPool1d(2, return_indices=True)(lib.tensor(x[0]))
        y2 = nn.AvgPool1d(3, 2, 1)(lib.tensor(x[0]))
        return (tuple(y.shape), np.round(y.numpy(), 5).tolist(), [np.round(t.numpy(), 5).tolist() for t in y1],
                np.round(y2.numpy(), 5).tolist())
    same(scenario, torch)


def test_unflatten_errors_match_torch(torch):
    def scenario(torch):
        return [outcome(lambda: torch.nn.Unflatten(1, 5)), outcome(lambda: torch.nn.Unflatten(1, (2.0, 5))),
                outcome(lambda: torch.nn.Unflatten(1, (2, 2))(torch.ones(2, 5)))[:2]]
    same(scenario, torch)


def test_max_pool2d_window_of_padding_only_matches_torch(torch):
    """Dilation can step over the whole input: such a window gives -inf and torch's index of its first row and
    column at or after the input's start (outside the plane here). torch's own backward then writes outside
    its buffer, so the gradient is checked against the zeros it should be: no input pixel won."""
    x = np.random.default_rng(0).standard_normal((2, 3, 2, 5)).astype(np.float32)
    kwargs = dict(kernel_size=2, stride=1, padding=1, dilation=(3, 1), return_indices=True)
    a = minitorch.tensor(x, requires_grad=True)
    (y, idx), (y_ref, idx_ref) = F.max_pool2d(a, **kwargs), torch.nn.functional.max_pool2d(torch.tensor(x), **kwargs)
    np.testing.assert_array_equal(y.detach().numpy(), y_ref.numpy())
    np.testing.assert_array_equal(idx.numpy(), idx_ref.numpy())
    gy = minitorch.ones_like(y).requires_grad_()
    (gx,) = minitorch.autograd.grad(y, a, gy, create_graph=True)
    np.testing.assert_array_equal(gx.detach().numpy(), np.zeros_like(x))
    (ggy,) = minitorch.autograd.grad(gx.sum(), gy)  # the double backward reads the winners back
    np.testing.assert_array_equal(ggy.numpy(), np.zeros(y.shape, np.float32))


# ----- errors ---------------------------------------------------------------------------------------------
def test_pool_errors_match_torch(torch):
    def scenario(torch):
        F, r = torch.nn.functional, torch.randn
        cases = [lambda: F.max_pool2d(r(1, 1, 4, 4), 5), lambda: F.max_pool2d(r(1, 1, 4, 4), 3, padding=2),
                 lambda: F.max_pool2d(r(4), 2), lambda: F.max_pool2d(r(1, 1, 4, 4), 0),
                 lambda: F.max_pool2d(r(1, 1, 4, 4), 2, dilation=0),
                 lambda: F.max_pool2d(r(1, 1, 5, 5), 3, padding=2, dilation=2),  # within the dilated window only
                 lambda: F.max_pool1d(r(1, 1, 4), 5), lambda: F.max_pool1d(r(4), 2),
                 lambda: F.avg_pool2d(r(1, 1, 4, 4), 5), lambda: F.avg_pool2d(r(1, 1, 4, 4), 3, padding=2),
                 lambda: F.avg_pool2d(r(1, 1, 4, 4), 2, divisor_override=0),
                 lambda: F.avg_pool1d(r(1, 1, 4), 5), lambda: F.avg_pool1d(r(4), 2),
                 lambda: F.adaptive_avg_pool2d(r(4), 2)]
        return [outcome(c)[:3] for c in cases]
    same(scenario, torch)


# ----- cuda -----------------------------------------------------------------------------------------------
@pytest.mark.cuda
@pytest.mark.parametrize("name,shape,kwargs", [("max_pool2d", *MAX2D[1]), ("max_pool2d", *MAX2D[2]),
                                               ("max_pool2d", *MAX2D[4]), ("avg_pool2d", *AVG2D[2]),
                                               ("adaptive_avg_pool2d", (2, 3, 7, 6), dict(output_size=(3, 4)))])
def test_pool_cuda_matches_cpu(name, shape, kwargs):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    a, b = minitorch.tensor(x, requires_grad=True), minitorch.tensor(x, device="cuda", requires_grad=True)
    y, y_gpu = getattr(F, name)(a, **kwargs), getattr(F, name)(b, **kwargs)
    if kwargs.get("return_indices"):
        np.testing.assert_array_equal(y_gpu[1].cpu().numpy(), y[1].numpy())
        y, y_gpu = y[0], y_gpu[0]
    assert y_gpu.is_cuda
    np.testing.assert_allclose(y_gpu.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-5, atol=1e-6)
    (y * y).sum().backward()
    (y_gpu * y_gpu).sum().backward()
    np.testing.assert_allclose(b.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-5, atol=1e-5)
