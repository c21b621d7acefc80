"""Tensors on the GPU: every core op on device='cuda' must give what it gives on the cpu, gradients
included, and moving between devices follows torch. GPU tests are marked `cuda` (skipped without a
GPU); the import checks at the top run everywhere."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minitorch

DEVICE = "cuda"


def _run_python(code, **env):
    """Run `code` in a fresh interpreter (so that sys.modules starts empty) and return its stdout."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, **env}, cwd=Path(__file__).parents[1], timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_does_not_import_cupy():
    code = ("import sys, minitorch, minitorch.backends.cuda.ops\n"
            "minitorch.ones(2) + 1\n"
            "print('cupy' in sys.modules)")
    assert _run_python(code) == "False"


def test_no_visible_gpu_means_not_available():
    code = ("import minitorch\n"
            "print(minitorch.cuda.is_available(), minitorch.cuda.device_count())\n"
            "try:\n"
            "    minitorch.zeros(2, device='cuda')\n"
            "except RuntimeError:\n"
            "    print('RuntimeError')")
    assert _run_python(code, CUDA_VISIBLE_DEVICES="").splitlines() == ["False 0", "RuntimeError"]


# ----- on a GPU ------------------------------------------------------------------------------------
def same(gpu, cpu):
    """`gpu` lives on cuda:0 and equals the cpu result in dtype, shape and values."""
    assert gpu.device == minitorch.device("cuda", 0)
    assert gpu.is_cuda and not gpu.is_cpu
    assert gpu.dtype == cpu.dtype and gpu.shape == cpu.shape
    np.testing.assert_allclose(gpu.cpu().numpy(), cpu.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.cuda
def test_device_queries():
    assert minitorch.cuda.is_available()
    assert minitorch.cuda.device_count() >= 1
    assert isinstance(minitorch.cuda.get_device_name(0), str)
    t = minitorch.zeros(2, device=DEVICE)
    assert str(t.device) == "cuda:0" and repr(t.device) == "device(type='cuda', index=0)"
    assert repr(minitorch.tensor([1.0, 2.0], device=DEVICE)) == "tensor([1., 2.], device='cuda:0')"


@pytest.mark.cuda
@pytest.mark.parametrize("factory", [
    lambda **kw: minitorch.zeros(2, 3, **kw), lambda **kw: minitorch.ones(4, dtype=minitorch.int64, **kw),
    lambda **kw: minitorch.full((2, 2), 7.5, **kw), lambda **kw: minitorch.arange(0, 5, 0.5, **kw),
    lambda **kw: minitorch.eye(3, **kw), lambda **kw: minitorch.linspace(-1, 1, 9, **kw),
    lambda **kw: minitorch.tensor([[1, 2], [3, 4]], **kw), lambda **kw: minitorch.tensor(True, **kw),
])
def test_creation_matches_cpu(factory):
    same(factory(device=DEVICE), factory())


@pytest.mark.cuda
def test_random_creation_on_device():
    minitorch.manual_seed(0)
    a = minitorch.randn(3, 4, device=DEVICE)
    minitorch.manual_seed(0)
    b = minitorch.randn(3, 4, device=DEVICE)
    assert a.device.type == "cuda" and a.dtype == minitorch.float32 and a.shape == (3, 4)
    np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())


def _pair(data, dtype=None):
    cpu = minitorch.tensor(data, dtype=dtype)
    return cpu.to(DEVICE), cpu


X = [[0.5, -1.5, 2.0], [3.0, 0.25, -0.75]]
Y = [[1.5, 2.0, -0.5], [0.5, 4.0, 1.25]]


@pytest.mark.cuda
@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b, lambda a, b: a ** 2,
    lambda a, b: 2 - a, lambda a, b: minitorch.maximum(a, b), lambda a, b: a < b, lambda a, b: a == b,
    lambda a, b: minitorch.where(a > 0, a, b), lambda a, b: a.exp(), lambda a, b: b.abs().log(),
    lambda a, b: b.abs().sqrt(), lambda a, b: a.tanh(), lambda a, b: a.sigmoid(), lambda a, b: a.relu(),
    lambda a, b: -a, lambda a, b: a.floor(), lambda a, b: a.clamp(-1, 1), lambda a, b: a.sum(),
    lambda a, b: a.sum(1, keepdim=True), lambda a, b: a.reshape(3, 2), lambda a, b: a[0].expand(2, 3),
    lambda a, b: a.clone(),
])
def test_ops_match_cpu(op):
    (ga, ca), (gb, cb) = _pair(X), _pair(Y)
    same(op(ga, gb), op(ca, cb))


@pytest.mark.cuda
def test_inplace_on_device():
    (g, c) = _pair(X)
    g.add_(1.5).mul_(2)
    c.add_(1.5).mul_(2)
    same(g, c)


@pytest.mark.cuda
@pytest.mark.parametrize("a,b,expected", [
    (minitorch.int64, minitorch.float32, minitorch.float32), (minitorch.int32, minitorch.int64, minitorch.int64),
    (minitorch.bool, minitorch.int64, minitorch.int64), (minitorch.float16, minitorch.float64, minitorch.float64),
])
def test_type_promotion_on_device(a, b, expected):
    x = minitorch.ones(3, dtype=a, device=DEVICE)
    y = minitorch.ones(3, dtype=b, device=DEVICE)
    assert (x + y).dtype == expected and (x + y).is_cuda


@pytest.mark.cuda
def test_python_scalars_do_not_upcast_on_device():
    i = minitorch.tensor([1, 2], device=DEVICE)
    f = minitorch.tensor([1.0, 2.0], device=DEVICE)
    assert (i + 1).dtype == minitorch.int64 and (i * 2.5).dtype == minitorch.float32
    assert (f * 2.5).dtype == minitorch.float32
    same(i * 2.5, minitorch.tensor([2.5, 5.0]))


@pytest.mark.cuda
def test_cpu_zero_dim_tensor_mixes_with_cuda_tensor():
    g = minitorch.tensor([1.0, 2.0], device=DEVICE)
    same(g * minitorch.tensor(3.0), minitorch.tensor([3.0, 6.0]))


@pytest.mark.cuda
def test_mixed_devices_raise_torch_error():
    g = minitorch.ones(2, device=DEVICE)
    c = minitorch.ones(2)
    with pytest.raises(RuntimeError) as info:
        g + c
    assert str(info.value) == ("Expected all tensors to be on the same device, but found at least two "
                               "devices, cuda:0 and cpu!")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        c * g


@pytest.mark.cuda
def test_backward_matches_cpu():
    grads = []
    for device in ("cpu", DEVICE):
        x = minitorch.tensor(X, device=device, requires_grad=True)
        w = minitorch.tensor(Y, device=device)
        loss = (x * w + x.exp() / (1 + x ** 2)).sum()
        loss.backward()
        assert x.grad.device == x.device and loss.grad_fn.name() == "SumBackward0"
        grads.append(x.grad)
    same(grads[1], grads[0])


@pytest.mark.cuda
def test_gradient_flows_across_devices():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = x.cuda() * 3
    assert y.is_cuda and y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert x.grad.is_cpu
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


@pytest.mark.cuda
def test_moves_between_devices():
    c = minitorch.tensor([1.5, -2.0])
    g = c.cuda()
    assert g.is_cuda and g.cuda() is g and g.to("cuda:0") is g and c.cpu() is c
    same(g, c)
    assert c.to(DEVICE, minitorch.float64).dtype == minitorch.float64
    assert c.to(minitorch.device("cuda", 0)).device == minitorch.device("cuda:0")
    back = g.cpu()
    assert back.is_cpu
    np.testing.assert_array_equal(back.numpy(), c.numpy())
    assert g.to(c).is_cpu and c.to(g).is_cuda
    back.add_(1)  # a real copy: the gpu tensor is untouched
    np.testing.assert_array_equal(g.cpu().numpy(), c.numpy())


@pytest.mark.cuda
def test_host_conversions():
    g = minitorch.tensor([[1.0, 2.0]], device=DEVICE)
    assert g.tolist() == [[1.0, 2.0]] and g[0, 1].item() == 2.0 and float(g.sum()) == 3.0
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu"):
        g.numpy()
