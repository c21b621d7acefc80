"""Graded tests for chapter 10 (quantization). Inputs, scales, zero points and models are drawn afresh on
every run; the expected integers, parameters and errors come from minitorch's quantization (itself
compared with PyTorch's, bit for bit, in tests/test_quantized_tensor.py and tests/test_ao_quantization.py)."""
import random

import pytest

import minitorch as torch
from grader.checks import calls_forbidden, check, check_close, check_equal, check_own_class
from minitorch import nn
from minitorch.ao import quantization as tq

pytestmark = pytest.mark.filterwarnings("ignore")  # torch's deprecation notices for quantization

QUANTIZERS = ("quantize_per_tensor", "quantize_per_channel", "fake_quantize_per_tensor_affine",
              "_make_per_tensor_quantized_tensor")


def _cases(rng, count):
    """(x, scale, zero point, dtype) with x drawn over several scales' worth of range."""
    for _ in range(count):
        dtype = rng.choice([torch.quint8, torch.qint8])
        zero = rng.randint(0, 255) if dtype is torch.quint8 else rng.randint(-128, 127)
        scale = 10 ** rng.uniform(-3, 0)
        x = torch.randn(rng.randint(1, 40)) * scale * rng.choice([10, 100, 400])
        yield x, scale, zero, dtype


def _quantize(ch10, *args):
    with calls_forbidden(torch, QUANTIZERS, "quantize works"):
        return ch10.quantize(*args)


# ----- ch10.1 quantize / dequantize ---------------------------------------------------------------------------
@pytest.mark.exercise("ch10.1", points=2)
def test_quantize_matches_quantize_per_tensor(ch10):
    """quantize gives torch.quantize_per_tensor's integers, zero point and clamping included"""
    rng = random.Random()
    for i, (x, scale, zero, dtype) in enumerate(_cases(rng, 12)):
        expected = torch.quantize_per_tensor(x, scale, zero, dtype).int_repr()
        check_equal(_quantize(ch10, x, scale, zero, dtype), expected,
                    f"case {i}: quantize(x, scale={scale:.4g}, zero_point={zero}, {dtype})")


@pytest.mark.exercise("ch10.1", points=1)
def test_quantize_rounds_ties_to_even(ch10):
    """values exactly half-way between two integers go to the even one"""
    x = torch.tensor([0.25, 0.75, -0.25, -0.75, 1.25, 2.5])
    expected = torch.quantize_per_tensor(x, 0.5, 0, torch.qint8).int_repr()
    check_equal(_quantize(ch10, x, 0.5, 0, torch.qint8), expected, "quantize of half-way values with scale 0.5")


@pytest.mark.exercise("ch10.1", points=1)
def test_dequantize_matches(ch10):
    """dequantize gives the values dequantize() of the quantized tensor gives"""
    rng = random.Random()
    for i, (x, scale, zero, dtype) in enumerate(_cases(rng, 8)):
        q = torch.quantize_per_tensor(x, scale, zero, dtype)
        check_close(ch10.dequantize(q.int_repr(), scale, zero), q.dequantize(),
                    f"case {i}: dequantize(q, scale={scale:.4g}, zero_point={zero})", rtol=1e-6, atol=0)


# ----- ch10.2 MinMaxObserver ----------------------------------------------------------------------------------
def _observe(observer, batches):
    for x in batches:
        out = observer(x)
        check(out is x or torch.equal(out, x), "the observer returns its input unchanged")
    return observer.calculate_qparams()


@pytest.mark.exercise("ch10.2", points=1)
def test_observer_is_your_own(ch10):
    """MinMaxObserver is a Module of your own, with min_val and max_val buffers"""
    check_own_class(ch10.MinMaxObserver, [tq.MinMaxObserver, tq.ObserverBase, tq.UniformQuantizationObserverBase],
                    "MinMaxObserver")
    observer = ch10.MinMaxObserver()
    check_equal(sorted(name for name, _ in observer.named_buffers()), ["max_val", "min_val"],
                "the buffers of MinMaxObserver()")


@pytest.mark.exercise("ch10.2", points=3)
def test_observer_qparams_match(ch10):
    """scale and zero point after random batches, for quint8 / qint8, affine / symmetric"""
    rng = random.Random()
    for dtype in (torch.quint8, torch.qint8):
        for qscheme in (torch.per_tensor_affine, torch.per_tensor_symmetric):
            for case in range(3):
                shift, spread = rng.choice([0, 2, -3]), 10 ** rng.uniform(-2, 1)
                batches = [torch.randn(rng.randint(2, 20)) * spread + shift for _ in range(rng.randint(1, 4))]
                label = f"{dtype}, {qscheme}, case {case}"
                scale, zero = _observe(ch10.MinMaxObserver(dtype, qscheme), batches)
                ref_scale, ref_zero = _observe(tq.MinMaxObserver(dtype=dtype, qscheme=qscheme), batches)
                check_close(scale.reshape(-1), ref_scale, f"{label}: scale", rtol=1e-6, atol=0)
                check_equal(zero.reshape(-1).tolist(), ref_zero.tolist(), f"{label}: zero_point")


@pytest.mark.exercise("ch10.2", points=1)
def test_observer_edge_cases(ch10):
    """an unobserved observer, a constant input and an all-positive input"""
    scale, zero = ch10.MinMaxObserver().calculate_qparams()
    check_equal((float(scale.reshape(-1)[0]), int(zero.reshape(-1)[0])), (1.0, 0), "scale and zero point before "
                                                                                   "any input")
    for label, batch in (("constant input", torch.full((5,), 3.0)), ("all-positive input", torch.rand(9) + 1),
                         ("all zeros", torch.zeros(4))):
        scale, zero = _observe(ch10.MinMaxObserver(), [batch])
        ref_scale, ref_zero = _observe(tq.MinMaxObserver(), [batch])
        check_close(scale.reshape(-1), ref_scale, f"{label}: scale", rtol=1e-6, atol=0)
        check_equal(zero.reshape(-1).tolist(), ref_zero.tolist(), f"{label}: zero_point")


# ----- ch10.3 predictions -------------------------------------------------------------------------------------
def quantized_vector():
    return torch.quantize_per_tensor(torch.tensor([-1.0, 0.0, 0.25, 0.35, 2.0, 30.0]), 0.1, 10, torch.quint8)


def observed_zero_point():
    observer = torch.ao.quantization.MinMaxObserver()
    observer(torch.tensor([-1.0, 0.5, 3.0]))
    return int(observer.calculate_qparams()[1])


@pytest.mark.exercise("ch10.3", points=1)
def test_predicted_int_repr(ch10):
    """your prediction of the integers of the chapter's quantized vector"""
    check_equal(ch10.predict_quantization()[0], quantized_vector().int_repr().tolist(), "q.int_repr().tolist()")


@pytest.mark.exercise("ch10.3", points=1)
def test_predicted_zero_point(ch10):
    """your prediction of MinMaxObserver's zero point for values from -1 to 3"""
    check_equal(ch10.predict_quantization()[1], observed_zero_point(), "the zero point")


# ----- ch10.4 layer_errors (debugging) ------------------------------------------------------------------------
def _quantized_pair(rng):
    """(fused float model, its static int8 version, a batch): a small random MLP or CNN, calibrated."""
    torch.manual_seed(rng.randrange(2 ** 31))
    if rng.random() < 0.5:
        width = rng.choice([8, 16])
        model = nn.Sequential(nn.Linear(12, width), nn.ReLU(), nn.Linear(width, 5))
        fuse, x = [["0", "1"]], torch.randn(16, 12)
    else:
        model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 36, 4))
        fuse, x = [["0", "1"]], torch.randn(8, 1, 6, 6)
    fused = tq.QuantWrapper(tq.fuse_modules(model.eval(), fuse))
    fused.qconfig = tq.default_qconfig
    prepared = tq.prepare(fused)
    prepared(x)
    quantized = tq.convert(prepared)
    return tq.QuantWrapper(tq.fuse_modules(model.eval(), fuse)).eval(), quantized, x


def _reference_errors(float_model, quantized_model, x):
    """Each weighted layer's output in both models, by running them layer by layer with hooks."""
    outputs = {}
    names = [name for name, m in quantized_model.named_modules() if callable(getattr(m, "weight", None))]
    handles = []
    for kind, model in (("float", float_model), ("quantized", quantized_model)):
        modules = dict(model.named_modules())
        for name in names:
            handles.append(modules[name].register_forward_hook(
                lambda m, i, o, key=(kind, name): outputs.__setitem__(key, o.dequantize() if o.is_quantized else o)))
    with torch.no_grad():
        float_model(x), quantized_model(x)
    for handle in handles:
        handle.remove()
    return {name: ((outputs["float", name] - outputs["quantized", name]).norm() / outputs["float", name].norm()).item()
            for name in names}


@pytest.mark.exercise("ch10.4", points=2)
def test_layer_errors_values(ch10):
    """the relative error of every weighted layer, on random MLPs and CNNs"""
    rng = random.Random()
    for case in range(4):
        float_model, quantized, x = _quantized_pair(rng)
        got = ch10.layer_errors(float_model, quantized, x)
        expected = _reference_errors(float_model, quantized, x)
        check_equal(sorted(got), sorted(expected), f"model {case}: the layers reported")
        for name, value in expected.items():
            check_close(got[name], value, f"model {case}: error of layer {name!r}", rtol=1e-4, atol=1e-7)


@pytest.mark.exercise("ch10.4", points=1)
def test_layer_errors_leaves_no_hooks(ch10):
    """a second call gives the same errors, and no hook stays on either model"""
    float_model, quantized, x = _quantized_pair(random.Random())
    first = ch10.layer_errors(float_model, quantized, x)
    second = ch10.layer_errors(float_model, quantized, x)
    check_equal(second, first, "the errors of a second call")
    left = [name for model in (float_model, quantized) for name, m in model.named_modules() if m._forward_hooks]
    check_equal(left, [], "modules that still have forward hooks")
