"""Convolution against real PyTorch: F.conv1d / conv2d / conv_transpose2d / unfold / fold (values,
gradients, grad_fn names, float32 and float64), gradcheck, the Conv layers (repr, init, factory kwargs)
and torch's error messages."""
import math

import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch import nn
from minitorch.autograd import gradcheck, gradgradcheck

from ._module_parity import copy_state, outcome, same


def _arrays(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [None if s is None else rng.standard_normal(s).astype(dtype) for s in shapes]


def _tensors(lib, arrays):
    return [None if a is None else lib.tensor(a, requires_grad=True) for a in arrays]


def _compare(torch, name, shapes, dtype, kwargs):
    """Run F.<name> in both libraries on the same data; compare output, grad_fn name and every gradient."""
    arrays = _arrays(shapes, dtype)
    ours, theirs = _tensors(minitorch, arrays), _tensors(torch, arrays)
    y = getattr(F, name)(*ours, **kwargs)
    y_ref = getattr(torch.nn.functional, name)(*theirs, **kwargs)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    assert y.shape == tuple(y_ref.shape) and y.dtype.name == str(y_ref.dtype)[6:]
    np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy(), **tol)
    assert y.grad_fn.name() == y_ref.grad_fn.name()
    g = _arrays([tuple(y_ref.shape)], dtype, seed=1)[0]
    y.backward(minitorch.tensor(g))
    y_ref.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        if a is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)


CONV2D = [
    ([(2, 3, 8, 7), (4, 3, 3, 3), (4,)], {}),
    ([(2, 3, 8, 7), (4, 3, 3, 2), None], dict(stride=2, padding=1)),
    ([(1, 4, 9, 9), (6, 2, 3, 3), (6,)], dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)),
    ([(2, 4, 6, 6), (4, 1, 3, 3), None], dict(groups=4, padding=1)),
    ([(2, 3, 7, 6), (5, 3, 4, 3), (5,)], dict(padding="same")),
    ([(2, 3, 7, 6), (5, 3, 3, 3), None], dict(padding="same", dilation=2)),
    ([(2, 3, 7, 6), (5, 3, 3, 3), (5,)], dict(padding="valid")),
    ([(3, 8, 7), (4, 3, 3, 3), (4,)], dict(padding=1)),  # unbatched input
    ([(2, 3, 5, 5), (4, 3, 5, 5), (4,)], {}),  # kernel as large as the input
    ([(2, 3, 6, 6), (4, 3, 1, 1), (4,)], dict(stride=3)),
]
CONV1D = [
    ([(2, 3, 10), (4, 3, 3), (4,)], {}),
    ([(2, 4, 11), (6, 2, 3), None], dict(stride=2, padding=2, dilation=2, groups=2)),
    ([(2, 3, 9), (4, 3, 4), (4,)], dict(padding="same")),
    ([(3, 9), (4, 3, 3), (4,)], dict(padding=1)),
]
CONV_T = [
    ([(2, 3, 5, 4), (3, 4, 3, 3), (4,)], {}),
    ([(2, 4, 5, 4), (4, 3, 3, 2), (6,)], dict(stride=2, padding=1, output_padding=1, groups=2)),
    ([(2, 3, 4, 5), (3, 2, 3, 3), None], dict(stride=(2, 3), padding=(0, 1), dilation=(1, 2))),
    ([(2, 3, 4, 4), (3, 2, 3, 3), None], dict(padding=1, output_padding=1, dilation=2)),
    ([(3, 4, 4), (3, 2, 2, 2), (2,)], dict(stride=2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes,kwargs", CONV2D)
def test_conv2d_matches_torch(torch, shapes, kwargs, dtype):
    _compare(torch, "conv2d", shapes, dtype, kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes,kwargs", CONV1D)
def test_conv1d_matches_torch(torch, shapes, kwargs, dtype):
    _compare(torch, "conv1d", shapes, dtype, kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes,kwargs", CONV_T)
def test_conv_transpose2d_matches_torch(torch, shapes, kwargs, dtype):
    _compare(torch, "conv_transpose2d", shapes, dtype, kwargs)


@pytest.mark.parametrize("shapes,kwargs", [
    ([(2, 3, 7, 6)], dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=2)),
    ([(3, 5, 5)], dict(kernel_size=2)),
])
def test_unfold_matches_torch(torch, shapes, kwargs):
    _compare(torch, "unfold", shapes, np.float64, kwargs)


def test_fold_matches_torch(torch):
    _compare(torch, "fold", [(2, 12, 12)], np.float64, dict(output_size=(5, 6), kernel_size=2, stride=(1, 2)))


def _small(shape, seed=0):
    return minitorch.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=(1, 2)), [(1, 2, 5, 6), (3, 2, 2, 2), (3,)]),
    (lambda x, w, b: F.conv2d(x, w, b, padding="same", groups=2), [(2, 2, 4, 4), (2, 1, 2, 3), (2,)]),
    (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), [(2, 2, 7), (3, 2, 3), (3,)]),
    (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), [(1, 2, 3, 3), (2, 3, 3, 3),
                                                                                         (3,)]),
])
def test_conv_gradcheck(fn, shapes):
    inputs = tuple(_small(s, i) for i, s in enumerate(shapes))
    assert gradcheck(fn, inputs)


def test_conv_second_derivatives():
    x, w = _small((1, 2, 4, 4)), _small((2, 2, 2, 2), 1)
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, padding=1, stride=2), (x, w))
    assert gradgradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2), (x, w))


def test_unfold_fold_gradcheck():
    x = _small((1, 2, 4, 5))
    assert gradcheck(lambda x: F.unfold(x, (2, 3), padding=1, stride=(1, 2)), (x,))
    cols = _small((1, 8, 6))
    assert gradcheck(lambda c: F.fold(c, (3, 4), 2, padding=(0, 1), stride=(1, 2)), (cols,))


def test_conv_backward_twice_raises_like_torch(torch):
    def scenario(lib):
        x = lib.ones(1, 1, 3, 3, requires_grad=True)
        y = lib.nn.functional.conv2d(x, lib.ones(1, 1, 2, 2)).sum()
        y.backward(retain_graph=False)
        return outcome(y.backward)[:2]
    same(scenario, torch)


# ----- layers ---------------------------------------------------------------------------------------------
def test_conv_layer_reprs_and_attributes(torch):
    def scenario(torch):
        layers = [torch.nn.Conv2d(1, 20, 5), torch.nn.Conv2d(3, 6, 3, stride=2, padding=1, dilation=2, groups=3,
                                                             bias=False, padding_mode="reflect"),
                  torch.nn.Conv2d(2, 4, (3, 1), padding="same"), torch.nn.Conv2d(2, 4, 3, padding="valid"),
                  torch.nn.Conv1d(2, 4, 3), torch.nn.Conv1d(2, 4, 3, 2, 1, 2, 2, False),
                  torch.nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1),
                  torch.nn.ConvTranspose2d(2, 4, 3, groups=2, bias=False, dilation=2, padding=1)]
        return [(repr(m), [(n, tuple(p.shape)) for n, p in m.named_parameters()], m.kernel_size, m.stride,
                 m.padding, m.dilation, m.output_padding, m.transposed, m.groups, m.padding_mode,
                 list(m._reversed_padding_repeated_twice)) for m in layers] + [torch.nn.Conv2d.__constants__]
    same(scenario, torch)


def test_conv_layer_constructor_errors(torch):
    def scenario(torch):
        return [outcome(lambda: torch.nn.Conv2d(*a, **k)) [:3] for a, k in [
            ((4, 6, 3), dict(groups=4)), ((4, 5, 3), dict(groups=2)), ((4, 6, 3), dict(groups=0)),
            ((4, 6, 3), dict(padding="same", stride=2))]] + [
            outcome(lambda: torch.nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"))]
    same(scenario, torch)
    # these name a set, whose printed order depends on the hash seed: compare the set's contents
    for arg, choices in (("padding", {"same", "valid"}), ("padding_mode", {"zeros", "reflect", "replicate",
                                                                          "circular"})):
        kind, name, message = outcome(lambda: nn.Conv2d(4, 6, 3, **{arg: "foo"}))
        ref = outcome(lambda: torch.nn.Conv2d(4, 6, 3, **{arg: "foo"}))
        assert (kind, name) == ref[:2] and eval(message[message.index("{"):message.index("}") + 1]) == choices
        assert message.replace(message[message.index("{"):message.index("}") + 1], "") == \
            ref[2].replace(ref[2][ref[2].index("{"):ref[2].index("}") + 1], "")


def test_conv_default_init_and_factory_kwargs():
    minitorch.manual_seed(0)
    m = nn.Conv2d(8, 16, 3, dtype=minitorch.float64, device="cpu")
    bound = 1 / math.sqrt(8 * 9)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert m.weight.dtype is minitorch.float64 and m.bias.dtype is minitorch.float64
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(b).max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 0.005
    t = nn.ConvTranspose2d(4, 6, 2, groups=2)
    assert tuple(t.weight.shape) == (4, 3, 2, 2) and np.abs(t.bias.detach().numpy()).max() <= 1 / math.sqrt(12)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(3, 4, 3, stride=2, padding=1, groups=1),
    lambda nn: nn.Conv1d(4, 6, 3, padding="same", groups=2),
    lambda nn: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1),
])
def test_conv_layers_match_torch(torch, make):
    ref, ours = make(torch.nn), make(nn)
    copy_state(ref, ours)
    shape = (2, ref.in_channels) + (8,) * (ref.weight.dim() - 2)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y, y_ref = ours(minitorch.tensor(x)), ref(torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy(), rtol=1e-4, atol=1e-5)
    y.sum().backward()
    y_ref.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv_transpose_output_size(torch):
    ref, ours = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), nn.ConvTranspose2d(2, 3, 3, stride=2,
                                                                                           padding=1)
    copy_state(ref, ours)
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype(np.float32)
    y, y_ref = ours(minitorch.tensor(x), output_size=(8, 8)), ref(torch.tensor(x), output_size=[8, 8])
    assert y.shape == (1, 3, 8, 8)
    np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy(), rtol=1e-4, atol=1e-5)


# ----- errors ---------------------------------------------------------------------------------------------
def test_conv_errors_match_torch(torch):
    def scenario(torch):
        F, r = torch.nn.functional, torch.randn
        w = r(20, 1, 5, 5)
        cases = [lambda: F.conv2d(r(1, 3, 28, 28), w), lambda: F.conv2d(r(28, 28), w),
                 lambda: F.conv2d(r(1, 1, 1, 28, 28), w), lambda: F.conv2d(r(1, 1, 3, 3), w),
                 lambda: F.conv2d(r(1, 4, 8, 8), r(6, 2, 3, 3), groups=3),
                 lambda: F.conv2d(r(1, 4, 8, 8), r(6, 2, 3, 3), groups=4),
                 lambda: F.conv2d(r(1, 1, 8, 8), w, padding="same", stride=2),
                 lambda: F.conv2d(r(1, 1, 8, 8), w, padding="foo"),
                 lambda: F.conv2d(r(1, 1, 8, 8), w, bias=r(3)), lambda: F.conv2d(r(1, 1, 8, 8), w, stride=0),
                 lambda: F.conv2d(r(1, 1, 8, 8), w, padding=-1),
                 lambda: F.conv2d(r(1, 1, 8, 8, dtype=torch.float64), w),
                 lambda: F.conv2d(r(1, 1, 8, 8), w, stride=(1, 1, 1)),
                 lambda: F.conv1d(r(1, 3, 8), r(2, 2, 3)), lambda: F.conv1d(r(8), r(2, 2, 3)),
                 lambda: F.conv_transpose2d(r(1, 3, 8, 8), r(2, 2, 3, 3)),
                 lambda: F.conv_transpose2d(r(1, 2, 8, 8), r(2, 2, 3, 3), output_padding=1),
                 lambda: F.fold(r(1, 4, 5), (4, 4), 2)]
        return [outcome(c)[:3] for c in cases]
    same(scenario, torch)


# ----- cuda -----------------------------------------------------------------------------------------------
@pytest.mark.cuda
@pytest.mark.parametrize("name,shapes,kwargs", [("conv2d", *CONV2D[2]), ("conv2d", *CONV2D[4]),
                                                ("conv1d", *CONV1D[1]), ("conv_transpose2d", *CONV_T[1]),
                                                ("conv_transpose2d", *CONV_T[3])])
def test_conv_cuda_matches_cpu(name, shapes, kwargs):
    arrays = _arrays(shapes, np.float32)
    cpu = [None if a is None else minitorch.tensor(a, requires_grad=True) for a in arrays]
    gpu = [None if a is None else minitorch.tensor(a, device="cuda", requires_grad=True) for a in arrays]
    y, y_gpu = getattr(F, name)(*cpu, **kwargs), getattr(F, name)(*gpu, **kwargs)
    assert y_gpu.is_cuda
    np.testing.assert_allclose(y_gpu.detach().cpu().numpy(), y.detach().numpy(), rtol=1e-4, atol=1e-4)
    (y * y).sum().backward()
    (y_gpu * y_gpu).sum().backward()
    for a, b in zip(cpu, gpu):
        if a is not None:
            np.testing.assert_allclose(b.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-3, atol=1e-3)
