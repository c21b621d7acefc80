"""BatchNorm1d/2d, LayerNorm, GroupNorm, Dropout and Embedding against real PyTorch: outputs, gradients,
running statistics over several steps, buffers, reprs, errors; gradcheck of the functional forms."""
import numpy as np
import pytest

import minitorch
from minitorch import nn
from minitorch.autograd import gradcheck, gradgradcheck

from ._layer_parity import TOL, randn
from ._module_parity import copy_state, outcome, same


def _pair(torch, make, dtype):
    """The same module in both libraries, torch's random parameters copied into ours."""
    ref, ours = make(torch.nn), make(nn)
    ref.to(getattr(torch, np.dtype(dtype).name))
    ours.to(getattr(minitorch, np.dtype(dtype).name))
    with torch.no_grad():
        for p in ref.parameters():
            p.uniform_(0.5, 1.5)
    copy_state(ref, ours)
    return ours, ref


def _step(lib, module, x, seed):
    """One forward and backward; returns (output, input grad, parameter grads)."""
    t = lib.tensor(x, requires_grad=True)
    out = module(t)
    w = np.random.default_rng(seed).standard_normal(out.shape).astype(x.dtype)
    (out * lib.tensor(w)).sum().backward()
    return [out.detach().numpy(), t.grad.numpy()] + [p.grad.numpy() for p in module.parameters()]


def _check_steps(torch, make, shape, dtype, train=True, steps=3):
    ours, ref = _pair(torch, make, dtype)
    ours.train(train)
    ref.train(train)
    for step in range(steps):
        x = randn(shape, dtype, seed=step) * 2 + 1
        for a, b in zip(_step(minitorch, ours, x, step), _step(torch, ref, x, step)):
            np.testing.assert_allclose(a, b, **TOL[dtype])
        ours.zero_grad()
        ref.zero_grad()
    for (n, a), (m, b) in zip(ours.named_buffers(), ref.named_buffers()):
        assert n == m and a.dtype.name == str(b.dtype)[6:]
        np.testing.assert_allclose(a.numpy(), b.numpy(), **TOL[dtype])
    return ours, ref


BN = [
    (lambda m: m.BatchNorm1d(3), (5, 3)), (lambda m: m.BatchNorm1d(3), (4, 3, 6)),
    (lambda m: m.BatchNorm2d(3), (2, 3, 4, 5)), (lambda m: m.BatchNorm2d(3, momentum=None), (2, 3, 2, 2)),
    (lambda m: m.BatchNorm1d(3, affine=False), (5, 3)), (lambda m: m.BatchNorm2d(3, track_running_stats=False),
                                                          (2, 3, 2, 3)),
    (lambda m: m.BatchNorm1d(3, eps=1e-3, momentum=0.5, bias=False), (6, 3)),
]


@pytest.mark.parametrize("index", range(len(BN)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("train", [True, False])
def test_batch_norm_matches_torch_over_steps(torch, index, dtype, train):
    make, shape = BN[index]
    ours, ref = _check_steps(torch, make, shape, dtype, train)
    if ours.track_running_stats:
        assert ours.num_batches_tracked.item() == ref.num_batches_tracked.item() == (3 if train else 0)
        assert ours.num_batches_tracked.dtype is minitorch.int64


def test_batch_norm_train_then_eval(torch):
    ours, ref = _check_steps(torch, lambda m: m.BatchNorm2d(3), (4, 3, 2, 2), np.float64)
    ours.eval()
    ref.eval()
    x = randn((2, 3, 2, 2), np.float64, seed=9)
    for a, b in zip(_step(minitorch, ours, x, 0), _step(torch, ref, x, 0)):
        np.testing.assert_allclose(a, b, **TOL[np.float64])


NORMS = [
    (lambda m: m.LayerNorm(4), (3, 4)), (lambda m: m.LayerNorm([2, 3]), (2, 5, 2, 3)),
    (lambda m: m.LayerNorm(4, elementwise_affine=False), (2, 4)), (lambda m: m.LayerNorm(4, bias=False), (4,)),
    (lambda m: m.GroupNorm(2, 4), (3, 4, 5)), (lambda m: m.GroupNorm(1, 3), (2, 3)),
    (lambda m: m.GroupNorm(3, 6, affine=False), (2, 6, 2, 2)), (lambda m: m.GroupNorm(2, 4, bias=False),
                                                                   (2, 4, 3)),
]


@pytest.mark.parametrize("index", range(len(NORMS)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_and_group_norm_match_torch(torch, index, dtype):
    make, shape = NORMS[index]
    _check_steps(torch, make, shape, dtype, steps=1)


def _f64(shape, seed=0, grad=True):
    return minitorch.tensor(randn(shape, np.float64, seed), requires_grad=grad)


GRADCHECK = [
    lambda F: (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), ((4, 3, 2), (3,), (3,))),
    lambda F: (lambda x, w, b: F.batch_norm(x, minitorch.full((3,), 0.3, dtype=minitorch.float64),
                                            minitorch.full((3,), 2.0, dtype=minitorch.float64), w, b),
               ((4, 3), (3,), (3,))),
    lambda F: (lambda x, w, b: F.layer_norm(x, (2, 3), w, b), ((2, 2, 3), (2, 3), (2, 3))),
    lambda F: (lambda x, w, b: F.group_norm(x, 2, w, b), ((2, 4, 3), (4,), (4,))),
    lambda F: (lambda x, w, b: F.layer_norm(x, (3,)) * w.sum() + b.sum(), ((2, 3), (1,), (1,))),
]


@pytest.mark.parametrize("index", range(len(GRADCHECK)))
def test_gradcheck_and_gradgradcheck(index):
    fn, shapes = GRADCHECK[index](minitorch.nn.functional)
    inputs = tuple(_f64(s, seed=i) for i, s in enumerate(shapes))
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_structure_and_reprs(torch):
    def scenario(lib):
        m = lib.nn
        mods = [m.BatchNorm2d(3), m.BatchNorm1d(4, momentum=None, affine=False), m.BatchNorm1d(2, bias=False),
                m.BatchNorm2d(2, track_running_stats=False), m.LayerNorm([2, 3]), m.LayerNorm(4, bias=False),
                m.LayerNorm(3, elementwise_affine=False), m.GroupNorm(2, 4), m.GroupNorm(1, 2, affine=False),
                m.Dropout(), m.Dropout(0.2, inplace=True), m.Embedding(5, 3), m.Embedding(5, 3, padding_idx=-1),
                m.Embedding(5, 3, 1, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True)]
        half = m.BatchNorm2d(3, dtype=lib.half)
        return ([repr(x) for x in mods], [list(x.state_dict()) for x in mods],
                [[(n, tuple(b.shape), str(b.dtype)) for n, b in x.named_buffers()] for x in mods[:4]],
                mods[0].running_var.tolist(), mods[4].normalized_shape, mods[12].padding_idx,
                str(half.running_mean.dtype), str(half.weight.dtype), str(half.num_batches_tracked.dtype),
                mods[11].weight.shape, mods[4].weight.tolist(), mods[7].bias.tolist())
    same(scenario, torch)


def test_errors(torch):
    def scenario(lib):
        F, m = lib.nn.functional, lib.nn
        x = lib.ones(4, 3)
        return [outcome(m.BatchNorm1d(3), lib.ones(2, 3, 4, 5)), outcome(m.BatchNorm2d(3), lib.ones(2, 3, 4)),
                outcome(m.BatchNorm1d(3), lib.ones(1, 3)),
                outcome(F.batch_norm, lib.ones(2, 3), lib.zeros(4), lib.ones(4), training=True),
                outcome(F.layer_norm, x, (4,)), outcome(F.group_norm, lib.ones(2, 4, 3), 3),
                outcome(m.GroupNorm, 3, 4), outcome(F.dropout, x, 1.5), outcome(m.Dropout, -0.1),
                outcome(F.embedding, lib.tensor([1.0]), x), outcome(F.embedding, lib.tensor([7]), x),
                outcome(m.Embedding, 3, 2, padding_idx=5), outcome(m.Embedding, 3, 2, padding_idx=-4)]
    same(scenario, torch)


def test_half_batch_norm_runs_like_torch(torch):
    results = []
    for lib in (minitorch, torch):
        bn = lib.nn.BatchNorm2d(3, dtype=lib.half)
        out = bn(lib.arange(24.0).reshape(2, 3, 2, 2).half())
        results.append((str(out.dtype), str(bn.running_var.dtype), out.detach().float().numpy(),
                        bn.running_var.float().numpy()))
    assert results[0][:2] == results[1][:2] == ("torch.float16", "torch.float16")
    for a, b in zip(results[0][2:], results[1][2:]):
        np.testing.assert_allclose(a, b, atol=2e-2, rtol=1e-2)


# ----- dropout ------------------------------------------------------------------------------------------
def test_dropout_statistics_and_gradient():
    minitorch.manual_seed(0)
    x = minitorch.ones(200, 100, requires_grad=True)
    y = minitorch.nn.functional.dropout(x, 0.3)
    values = y.detach().numpy()
    np.testing.assert_allclose(np.unique(values), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((values == 0).mean() - 0.3) < 0.01
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), values)  # the gradient is the same mask
    assert y.grad_fn.name() == "MulBackward0"


def test_dropout_modes(torch):
    def scenario(lib):
        F = lib.nn.functional
        x = lib.ones(3, 4, requires_grad=True)
        d = lib.nn.Dropout(0.5)
        d.eval()
        y = x * 1
        z = F.dropout(y, 0.4, inplace=True)
        return (F.dropout(x, 0.0) is x, F.dropout(x, 0.5, training=False) is x, d(x) is x,
                F.dropout(x, 1.0).tolist(), F.dropout(x, 1.0).grad_fn.name(), z is y, z.grad_fn.name(),
                bool(((z == 0) | (z == 1 / 0.6)).all()))
    same(scenario, torch)


# ----- embedding ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("options", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                     {"max_norm": 1.0}, {"max_norm": 1.5, "norm_type": 1.0}])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_matches_torch(torch, options, dtype):
    ours, ref = _pair(torch, lambda m: m.Embedding(6, 3, **options), dtype)
    idx = np.array([[0, 2, 5, 2], [4, 2, 1, 5]])
    results = []
    for lib, m in ((minitorch, ours), (torch, ref)):
        out = m(lib.tensor(idx))
        w = np.random.default_rng(0).standard_normal(out.shape).astype(dtype)
        (out * lib.tensor(w)).sum().backward()
        results.append((out.detach().numpy(), m.weight.grad.numpy(), m.weight.detach().numpy(), out.grad_fn.name()))
    for a, b in zip(*results):
        if isinstance(a, str):
            assert a == b
        else:
            np.testing.assert_allclose(a, b, **TOL[dtype])


def test_embedding_padding_row_and_gradcheck(torch):
    m = nn.Embedding(4, 2, padding_idx=1)
    assert m.weight[1].tolist() == [0.0, 0.0]
    w = _f64((4, 2))
    idx = minitorch.tensor([[0, 1], [3, 3]])
    assert gradcheck(lambda w: minitorch.nn.functional.embedding(idx, w) * 1.5, (w,))
    assert gradgradcheck(lambda w: minitorch.nn.functional.embedding(idx, w) ** 2, (w,))

    def scenario(lib):
        e = lib.nn.Embedding.from_pretrained(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
        f = lib.nn.Embedding.from_pretrained(lib.tensor([[1.0, 2.0], [3.0, 4.0]]), freeze=False, padding_idx=0)
        return repr(e), e.weight.requires_grad, f.weight.requires_grad, e(lib.tensor([1, 0])).tolist(), repr(f)
    same(scenario, torch)


@pytest.mark.cuda
@pytest.mark.parametrize("make,shape", [(lambda m: m.BatchNorm2d(3), (2, 3, 4, 4)), (lambda m: m.LayerNorm(5), (3, 5)),
                                        (lambda m: m.GroupNorm(2, 4), (2, 4, 3))])
def test_cuda_norms_match_cpu(make, shape):
    x = randn(shape, np.float32)
    results = []
    for device in ("cpu", "cuda"):
        minitorch.manual_seed(0)
        m = make(nn).to(device)
        t = minitorch.tensor(x, device=device, requires_grad=True)
        out = m(t)
        (out * out).sum().backward()
        results.append([out.detach().cpu().numpy(), t.grad.cpu().numpy()] +
                       [b.cpu().numpy() for b in m.buffers()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.cuda
def test_cuda_dropout_and_embedding():
    x = minitorch.ones(100, 100, device="cuda", requires_grad=True)
    y = minitorch.nn.functional.dropout(x, 0.25)
    assert abs((y == 0).float().mean().item() - 0.25) < 0.02 and y.is_cuda
    e = nn.Embedding(5, 3, padding_idx=0).to("cuda")
    e(minitorch.tensor([0, 1, 1], device="cuda")).sum().backward()
    assert e.weight.grad.cpu().tolist()[0] == [0.0, 0.0, 0.0] and e.weight.grad.cpu().tolist()[1] == [2.0] * 3
