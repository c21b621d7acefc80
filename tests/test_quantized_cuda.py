"""Quantized tensors and layers on a GPU give the cpu's integers exactly: quantize / dequantize, the
integer product of backends/cuda/kernels/qgemm.cu behind Linear and Conv2d, dynamic Linear, and a whole
converted model moved with .cuda(). Run on the CuPy stand-in in CI, on a real GPU when there is one."""
import numpy as np
import pytest

import minitorch

pytestmark = [pytest.mark.cuda, pytest.mark.filterwarnings("ignore")]  # torch's deprecation notices
mtq = minitorch.ao.quantization


def _ints(q):
    return q.int_repr().cpu().numpy()


def test_quantize_on_cuda_matches_cpu():
    minitorch.manual_seed(0)
    x = minitorch.randn(5, 7) * 20
    for qdtype in (minitorch.quint8, minitorch.qint8, minitorch.qint32):
        cpu, gpu = (minitorch.quantize_per_tensor(t, 0.07, 3, qdtype) for t in (x, x.cuda()))
        assert gpu.is_cuda and gpu.dtype is qdtype and str(gpu.device) == "cuda:0"
        np.testing.assert_array_equal(_ints(gpu), _ints(cpu))
        np.testing.assert_array_equal(gpu.dequantize().cpu().numpy(), cpu.dequantize().numpy())
    scales, zeros = minitorch.rand(7) / 10 + 0.01, minitorch.zeros(7, dtype=minitorch.long)
    cpu = minitorch.quantize_per_channel(x, scales, zeros, 1, minitorch.qint8)
    gpu = minitorch.quantize_per_channel(x.cuda(), scales, zeros, 1, minitorch.qint8)
    np.testing.assert_array_equal(_ints(gpu), _ints(cpu))
    assert gpu.q_per_channel_scales().is_cuda
    assert minitorch.equal(gpu.cpu(), cpu) and minitorch.equal(cpu.cuda(), gpu)
    assert "device='cuda:0'" in repr(gpu)
    with pytest.raises(NotImplementedError, match="from the 'QuantizedCUDA' backend"):
        gpu + gpu


def test_qgemm_kernel_is_exact():
    from minitorch.backends.cuda import ops
    cp = minitorch.cuda._cupy()
    rng = np.random.default_rng(1)
    for dtype, low, high in ((np.uint8, 0, 256), (np.int8, -128, 128)):
        a = rng.integers(low, high, (37, 70)).astype(dtype)
        b = rng.integers(-128, 128, (19, 70)).astype(np.int8)
        b_zero = rng.integers(-5, 5, 19)
        got = ops.qgemm(cp.asarray(a), 7, cp.asarray(b), cp.asarray(b_zero)).get()
        expected = (a.astype(np.int64) - 7) @ (b.astype(np.int64) - b_zero[:, None]).T
        np.testing.assert_array_equal(got, expected)


def _calibrated_cnn():
    nn = minitorch.nn
    minitorch.manual_seed(2)
    model = nn.Sequential(mtq.QuantStub(), nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(64, 10), mtq.DeQuantStub()).eval()
    model = mtq.fuse_modules(model, ["1", "2"])
    model.qconfig = mtq.get_default_qconfig("x86")
    prepared = mtq.prepare(model)
    prepared(minitorch.randn(16, 1, 8, 8))
    return mtq.convert(prepared)


def test_converted_model_on_cuda_matches_cpu():
    model = _calibrated_cnn()
    x = minitorch.randn(5, 1, 8, 8)
    expected = model(x).numpy()
    model.cuda()
    assert model[1].weight().is_cuda and model[5].weight().is_cuda
    got = model(x.cuda())
    assert got.is_cuda
    np.testing.assert_array_equal(got.cpu().numpy(), expected)


def test_dynamic_linear_on_cuda_matches_cpu():
    minitorch.manual_seed(3)
    model = mtq.quantize_dynamic(minitorch.nn.Sequential(minitorch.nn.Linear(12, 6), minitorch.nn.ReLU(),
                                                         minitorch.nn.Linear(6, 3)))
    x = minitorch.randn(4, 12)
    expected = model(x).numpy()
    np.testing.assert_allclose(model.cuda()(x.cuda()).cpu().numpy(), expected, rtol=1e-6, atol=1e-6)
