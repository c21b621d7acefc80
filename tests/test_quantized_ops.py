"""The integer arithmetic of the quantized layers: the int8 product is exact (equal to an int64 reference),
and quantized linear / conv2d / dynamic linear give torch's fbgemm results bit for bit."""
import numpy as np
import pytest

import minitorch
from minitorch._quantized import functional as QF
from minitorch._quantized.gemm import BLOCK, int_matmul
from minitorch._quantized.qparams import choose_qparams

pytestmark = pytest.mark.filterwarnings("ignore")  # torch's deprecation notices for quantization


def _reference(a, a_zero, b, b_zero):
    return (a.astype(np.int64) - a_zero) @ (b.astype(np.int64) - np.asarray(b_zero)[..., None]).T


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (7, 3 * BLOCK + 5, 9), (64, 1024, 33), (5, 0, 4), (0, 8, 3)])
@pytest.mark.parametrize("signed", [False, True])
def test_int_matmul_is_exact(m, k, n, signed):
    rng = np.random.default_rng(m * 1000 + k + n)
    a = (rng.integers(-128, 128, (m, k)).astype(np.int8) if signed else rng.integers(0, 256, (m, k)).astype(np.uint8))
    b = rng.integers(-128, 128, (n, k)).astype(np.int8)
    for a_zero, b_zero in ((0, 0), (int(rng.integers(-128, 128)), rng.integers(-128, 128, n))):
        got = int_matmul(a, a_zero, b, b_zero)
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got, _reference(a, a_zero, b, b_zero))


def test_int_matmul_worst_case_sums_stay_exact():
    """Every product at its largest magnitude: the partial sums of each block reach 512 * 255 * 128."""
    k = 4 * BLOCK
    a = np.full((3, k), 255, np.uint8)
    b = np.full((2, k), -128, np.int8)
    np.testing.assert_array_equal(int_matmul(a, 0, b, 0), _reference(a, 0, b, 0))
    np.testing.assert_array_equal(int_matmul(a, 255, b, 127), _reference(a, 255, b, 127))


def _torch_weight(torch, w, per_channel):
    if per_channel:
        scales = torch.from_numpy(np.abs(w).reshape(len(w), -1).max(1) / 127 + 1e-6).double()
        return torch.quantize_per_channel(torch.from_numpy(w), scales, torch.zeros(len(w), dtype=torch.long), 0,
                                          torch.qint8)
    return torch.quantize_per_tensor(torch.from_numpy(w), float(np.abs(w).max() / 127), 3, torch.qint8)


def _mine(torch_q):
    """The same quantized tensor in minitorch (built from torch's integers and parameters)."""
    ints = minitorch.tensor(torch_q.int_repr().numpy())
    if "per_channel" in str(torch_q.qscheme()):
        return minitorch._make_per_channel_quantized_tensor(
            ints, minitorch.tensor(torch_q.q_per_channel_scales().numpy()),
            minitorch.tensor(torch_q.q_per_channel_zero_points().numpy()), torch_q.q_per_channel_axis())
    return minitorch._make_per_tensor_quantized_tensor(ints, torch_q.q_scale(), torch_q.q_zero_point())


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_quantized_linear_is_bit_identical(torch, per_channel, relu, bias):
    rng = np.random.default_rng(int(per_channel) * 4 + int(relu) * 2 + int(bias))
    for m, k, n in ((5, 7, 3), (33, 600, 17)):
        x = rng.standard_normal((2, m, k)).astype(np.float32)
        w = (rng.standard_normal((n, k)) * 0.1).astype(np.float32)
        b = rng.standard_normal(n).astype(np.float32) if bias else None
        tx = torch.quantize_per_tensor(torch.from_numpy(x), 0.03, 70, torch.quint8)
        tw = _torch_weight(torch, w, per_channel)
        packed = torch.ops.quantized.linear_prepack(tw, None if b is None else torch.from_numpy(b))
        expected = (torch.ops.quantized.linear_relu if relu else torch.ops.quantized.linear)(tx, packed, 0.08, 90)
        got = (QF.linear_relu if relu else QF.linear)(_mine(tx), _mine(tw), None if b is None else minitorch.tensor(b),
                                                      0.08, 90)
        np.testing.assert_array_equal(got.int_repr().numpy(), expected.int_repr().numpy())
        assert (got.q_scale(), got.q_zero_point()) == (expected.q_scale(), expected.q_zero_point())


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("reduce_range", [False, True])
def test_dynamic_linear_is_bit_identical(torch, per_channel, reduce_range):
    rng = np.random.default_rng(7)
    for m, k, n in ((1, 5, 2), (40, 300, 21)):
        x = (rng.standard_normal((m, k)) * rng.uniform(0.1, 10)).astype(np.float32)
        w = (rng.standard_normal((n, k)) * 0.1).astype(np.float32)
        b = rng.standard_normal(n).astype(np.float32)
        tw = _torch_weight(torch, w, per_channel)
        packed = torch.ops.quantized.linear_prepack(tw, torch.from_numpy(b))
        expected = torch.ops.quantized.linear_dynamic(torch.from_numpy(x), packed, reduce_range).numpy()
        got = QF.linear_dynamic(minitorch.tensor(x), _mine(tw), minitorch.tensor(b), reduce_range).numpy()
        np.testing.assert_array_equal(got, expected)


CONV_CASES = [  # (N, C, H, W), out channels, kernel, stride, padding, dilation, groups
    ((2, 3, 8, 7), 4, (3, 3), (1, 1), (1, 1), (1, 1), 1),
    ((1, 4, 9, 9), 6, (3, 2), (2, 1), (0, 1), (1, 2), 2),
    ((3, 1, 5, 6), 2, (1, 1), (1, 1), (0, 0), (1, 1), 1),
]


@pytest.mark.parametrize("shape,out,kernel,stride,padding,dilation,groups", CONV_CASES)
@pytest.mark.parametrize("relu", [False, True])
def test_quantized_conv2d_is_bit_identical(torch, shape, out, kernel, stride, padding, dilation, groups, relu):
    rng = np.random.default_rng(sum(shape) + out)
    x = rng.standard_normal(shape).astype(np.float32)
    w = (rng.standard_normal((out, shape[1] // groups) + kernel) * 0.2).astype(np.float32)
    b = rng.standard_normal(out).astype(np.float32)
    tx = torch.quantize_per_tensor(torch.from_numpy(x), 0.025, 40, torch.quint8)
    tw = _torch_weight(torch, w, per_channel=True)
    packed = torch.ops.quantized.conv2d_prepack(tw, torch.from_numpy(b), list(stride), list(padding), list(dilation),
                                                groups)
    expected = (torch.ops.quantized.conv2d_relu if relu else torch.ops.quantized.conv2d)(tx, packed, 0.07, 60)
    got = (QF.conv2d_relu if relu else QF.conv2d)(_mine(tx), _mine(tw), minitorch.tensor(b), stride, padding,
                                                  dilation, groups, 0.07, 60)
    np.testing.assert_array_equal(got.int_repr().numpy(), expected.int_repr().numpy())


def test_choose_qparams_matches_torch(torch):
    rng = np.random.default_rng(11)
    for i in range(300):
        x = (rng.standard_normal(20) * 10.0 ** rng.uniform(-7, 2) + rng.choice([0, 1, -1]) * rng.uniform()).astype(
            np.float32)
        for reduce_range in (False, True):
            scale, zero = torch._choose_qparams_per_tensor(torch.from_numpy(x), reduce_range)
            assert choose_qparams(x.min(), x.max(), 0, 255, reduce_range=reduce_range) == (np.float32(scale), zero)


def test_quantized_inputs_are_required():
    from minitorch.ao.nn.quantized import Linear
    with pytest.raises(NotImplementedError, match="Could not run 'quantized::linear' with arguments from the 'CPU'"):
        Linear(3, 2)(minitorch.randn(2, 3))
    with pytest.raises(RuntimeError, match="The number of rows in the packB should be equal to K: 4"):
        Linear(3, 2)(minitorch.quantize_per_tensor(minitorch.randn(2, 4), 0.1, 0, minitorch.quint8))
