"""The cuda code paths around the kernels: dtypes the kernels are not built for, scatter reductions CuPy
lacks, the fused optimizer's checks, max-pool windows of padding only, the softmax and cross-entropy
kernels behind torch.nn.functional, host syncs on the hot path, and several GPUs. Each result on cuda
must equal the cpu result. In CI these run on the CuPy stand-in (MINITORCH_CUDA_STANDIN=1); on a GPU
machine they run on the GPU (scripts/gpu_check.sh)."""
import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch.backends.cuda import ops as cuda_ops

pytestmark = pytest.mark.cuda

HALF = [minitorch.float16, minitorch.bfloat16]


def _rand(*shape, seed=0):
    return minitorch.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def _on_both(fn, *tensors, dtype=None):
    """fn on the cpu and on cuda:0, inputs cast to dtype: (cpu result, cuda result moved to the cpu)."""
    cpu = [t.to(dtype) if dtype else t for t in tensors]
    gpu = [t.cuda() for t in cpu]
    out_cpu, out_gpu = fn(*cpu), fn(*gpu)
    assert out_gpu.device == minitorch.device("cuda", 0)
    return out_cpu, out_gpu.cpu()


def _assert_same(cpu, gpu, tol=0.0):
    assert cpu.dtype == gpu.dtype and cpu.shape == gpu.shape
    np.testing.assert_allclose(cpu.float().numpy(), gpu.float().numpy(), rtol=tol, atol=tol)


# ----- dtypes without kernels take the array-code path --------------------------------------------------
HALF_OPS = {
    "conv2d": (lambda x, w: F.conv2d(x, w, padding=1), [(2, 3, 6, 5), (4, 3, 3, 3)]),
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2), [(2, 4, 3, 3), (4, 3, 2, 2)]),
    "unfold": (lambda x: F.unfold(x, 2, padding=1), [(2, 3, 4, 4)]),
    "fold": (lambda c: F.fold(c, (4, 4), 2, padding=1), [(2, 12, 25)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, 2, 1), [(2, 3, 7, 6)]),
}


@pytest.mark.parametrize("dtype", HALF, ids=str)
@pytest.mark.parametrize("case", HALF_OPS)
def test_half_precision_ops_match_cpu(case, dtype):
    fn, shapes = HALF_OPS[case]
    cpu, gpu = _on_both(fn, *[_rand(*s, seed=i) for i, s in enumerate(shapes)], dtype=dtype)
    _assert_same(cpu, gpu, tol=0.02)


@pytest.mark.parametrize("dtype", HALF, ids=str)
@pytest.mark.parametrize("optimizer,options", [
    (minitorch.optim.SGD, {"lr": 0.1, "momentum": 0.9}), (minitorch.optim.Adam, {"lr": 0.01}),
    (minitorch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1})], ids=["SGD", "Adam", "AdamW"])
def test_half_precision_optimizers_match_cpu(optimizer, options, dtype):
    results = []
    for device in ("cpu", "cuda"):
        p = minitorch.nn.Parameter(_rand(5, 4).to(dtype).to(device))
        opt = optimizer([p], **options)
        for seed in (1, 2):
            p.grad = _rand(5, 4, seed=seed).to(dtype).to(device)
            opt.step()
        results.append(p.detach().cpu())
    _assert_same(*results, tol=0.02)


# ----- scatter reductions CuPy does not have ---------------------------------------------------------------
def test_scatter_multiply_with_repeated_indices_matches_cpu():
    index = minitorch.tensor([[0, 1, 0], [2, 2, 2]])
    cpu, gpu = _on_both(lambda x, s, i: x.scatter(1, i, s, reduce="multiply"), _rand(2, 4), _rand(2, 3, seed=1),
                        index)
    _assert_same(cpu, gpu, tol=1e-6)
    cpu, gpu = _on_both(lambda x, i: x.scatter(0, i, 3.0, reduce="multiply"), _rand(3, 3), index[:, :3])
    _assert_same(cpu, gpu, tol=1e-6)


@pytest.mark.parametrize("dtype", [minitorch.uint8, minitorch.int8, minitorch.int16, minitorch.int64,
                                   minitorch.bool, minitorch.bfloat16], ids=str)
def test_scatter_add_and_index_add_on_small_dtypes_match_cpu(dtype):
    x = minitorch.tensor([[100, 0, 1], [2, 120, 0]]).to(dtype)
    src = minitorch.tensor([[100, 1, 0], [1, 100, 1]]).to(dtype)  # 100 + 100 + 100 wraps in 8 bits
    index = minitorch.tensor([[0, 0, 2], [1, 1, 1]])
    _assert_same(*_on_both(lambda a, s, i: a.scatter_add(1, i, s), x, src, index))
    _assert_same(*_on_both(lambda a, s, i: a.index_add(0, i, s), x, src, minitorch.tensor([1, 1])))


# ----- the fused SGD kernel needs a contiguous momentum buffer as well -----------------------------------
def test_sgd_with_strided_momentum_buffer_matches_cpu():
    results = []
    for device in ("cpu", "cuda"):
        p = minitorch.nn.Parameter(_rand(4, 4).to(device))
        opt = minitorch.optim.SGD([p], lr=0.1, momentum=0.9)
        p.grad = _rand(4, 4, seed=1).to(device)
        opt.step()
        buf = opt.state[p]["momentum_buffer"]
        opt.state[p]["momentum_buffer"] = buf.t().contiguous().t()  # same values, column-major
        assert not opt.state[p]["momentum_buffer"].is_contiguous()
        p.grad = _rand(4, 4, seed=2).to(device)
        opt.step()
        results.append(p.detach().cpu())
    _assert_same(*results, tol=1e-6)


# ----- max pooling: a window of padding only ------------------------------------------------------------
def test_max_pool_window_of_padding_only_matches_cpu():
    x = _rand(2, 3, 2, 5).requires_grad_()
    outs = []
    for t in (x, x.detach().cuda().requires_grad_()):
        values, indices = F.max_pool2d(t, 2, 1, 1, (3, 1), return_indices=True)
        values.sum().backward()
        outs.append((values.detach().cpu(), indices.cpu(), t.grad.cpu()))
    (v0, i0, g0), (v1, i1, g1) = outs
    assert v0.isinf().all() and (v0 < 0).all()
    _assert_same(v0, v1)
    _assert_same(i0, i1)
    _assert_same(g0, g1)
    assert not g1.any()


# ----- softmax and cross-entropy run the kernels of softmax.cu -------------------------------------------
@pytest.fixture
def kernel_calls(monkeypatch):
    """Counts the calls of each kernel wrapper of backends.cuda.ops."""
    calls = {}
    for name in ("softmax", "softmax_backward", "cross_entropy", "cross_entropy_backward"):
        def spy(*args, _name=name, _fn=getattr(cuda_ops, name), **kwargs):
            calls[_name] = calls.get(_name, 0) + 1
            return _fn(*args, **kwargs)
        monkeypatch.setattr(cuda_ops, name, spy)
    return calls


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [-1, 1])
def test_softmax_uses_its_kernel(kernel_calls, fn, dim):
    x, g = _rand(3, 5, 4) * 20, _rand(3, 5, 4, seed=1)
    grads = []
    for t in (x, x.cuda()):
        t = t.detach().requires_grad_()
        y = fn(t, dim=dim)
        y.backward(g.to(t.device))
        grads.append((y.detach().cpu(), t.grad.cpu()))
    assert kernel_calls == {"softmax": 1, "softmax_backward": 1}
    _assert_same(grads[0][0], grads[1][0], tol=1e-5)
    _assert_same(grads[0][1], grads[1][1], tol=1e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2, "ignore_index": 1}, {"weighted": True}],
                         ids=["plain", "smoothing-ignore", "weighted"])
def test_cross_entropy_uses_its_kernels(kernel_calls, reduction, options):
    options = dict(options)
    weight = _rand(5, seed=3).abs() if options.pop("weighted", False) else None
    x, target = _rand(4, 5, 3) * 5, minitorch.tensor([[0, 1, 4], [1, 1, 2], [3, 0, 0], [4, 2, 1]])
    results = []
    for device in ("cpu", "cuda"):
        t = x.to(device).detach().requires_grad_()
        w = None if weight is None else weight.to(device)
        loss = F.cross_entropy(t, target.to(device), w, reduction=reduction, **options)
        loss.sum().backward()
        results.append((loss.detach().cpu(), t.grad.cpu()))
    assert kernel_calls == {"cross_entropy": 1, "cross_entropy_backward": 1}
    _assert_same(results[0][0], results[1][0], tol=1e-5)
    _assert_same(results[0][1], results[1][1], tol=1e-5)


def test_cross_entropy_double_backward_on_cuda_matches_cpu():
    x, target, weight = _rand(4, 5) * 3, minitorch.tensor([0, 4, 1, 1]), _rand(5, seed=2).abs()
    results = []
    for device in ("cpu", "cuda"):
        t = x.to(device).detach().requires_grad_()
        loss = F.cross_entropy(t, target.to(device), weight.to(device), label_smoothing=0.1)
        (g,) = minitorch.autograd.grad(loss, t, create_graph=True)
        (g * g).sum().backward()
        results.append((g.detach().cpu(), t.grad.cpu()))
    _assert_same(results[0][0], results[1][0], tol=1e-5)
    _assert_same(results[0][1], results[1][1], tol=1e-5)


# ----- no waiting for the GPU on the hot path ----------------------------------------------------------------
def test_relu_backward_does_not_wait_for_the_gpu():
    if not minitorch.cuda.is_standin():
        pytest.skip("counting host syncs needs the CuPy stand-in (MINITORCH_CUDA_STANDIN=1)")
    from minitorch.backends.cuda.standin import host_syncs
    x = _rand(64, 32).cuda().requires_grad_()
    y = F.relu(x * 2)
    before = host_syncs()
    y.backward(minitorch.ones_like(y))
    assert host_syncs() == before
    np.testing.assert_array_equal(x.grad.cpu().numpy(), np.where(x.detach().cpu().numpy() > 0, 2.0, 0.0))


# ----- several GPUs -----------------------------------------------------------------------------------------
def _two_gpus():
    if minitorch.cuda.device_count() < 2:
        pytest.skip("needs two GPUs (the CuPy stand-in simulates two)")


def test_synchronize_takes_a_device(monkeypatch):
    _two_gpus()
    runtime = minitorch.cuda._cupy().cuda.runtime
    seen = []
    monkeypatch.setattr(runtime, "deviceSynchronize", lambda: seen.append(runtime.getDevice()))
    for device in (1, "cuda:1", minitorch.device("cuda", 1), None):
        minitorch.cuda.synchronize(device)
    assert seen == [1, 1, 1, 0] and minitorch.cuda.current_device() == 0
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        minitorch.cuda.synchronize(7)


def test_ops_run_on_their_tensors_gpu():
    _two_gpus()
    model = minitorch.nn.Sequential(minitorch.nn.Conv2d(2, 3, 3, padding=1), minitorch.nn.ReLU(),
                                    minitorch.nn.MaxPool2d(2), minitorch.nn.Flatten(), minitorch.nn.Linear(12, 4))
    x, target = _rand(5, 2, 4, 4), minitorch.tensor([0, 3, 1, 2, 2])
    losses = {}
    for device in ("cpu", "cuda:1"):
        minitorch.manual_seed(0)
        net = minitorch.nn.Sequential(*[type(m)(*a) for m, a in zip(model, [(2, 3, 3, 1, 1), (), (2,), (), (12, 4)])])
        net.load_state_dict(model.state_dict())
        net.to(device)
        opt = minitorch.optim.Adam(net.parameters(), lr=0.01)
        with minitorch.cuda.device(0):  # the current GPU is another one than the model's
            for _ in range(2):
                opt.zero_grad()
                loss = F.cross_entropy(net(x.to(device)), target.to(device))
                loss.backward()
                opt.step()
            assert minitorch.cuda.current_device() == 0
        assert loss.device == minitorch.device(device) and all(p.device == loss.device for p in net.parameters())
        assert all(p.grad.device == loss.device for p in net.parameters())
        losses[device] = (loss.item(), [p.detach().cpu() for p in net.parameters()])
    assert losses["cpu"][0] == pytest.approx(losses["cuda:1"][0], rel=1e-5)
    for a, b in zip(losses["cpu"][1], losses["cuda:1"][1]):
        _assert_same(a, b, tol=1e-5)
