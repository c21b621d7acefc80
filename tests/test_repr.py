"""repr/str of tensors against real PyTorch: the same NumPy data goes into both libraries and the printed
text must match character for character (values, widths, wrapping, summaries and suffixes)."""
import numpy as np
import pytest

import minitorch

NAN, INF = float("nan"), float("inf")


def _rng(seed=0):
    return np.random.default_rng(seed)


def _assert_same(torch, arr, requires_grad=False):
    m = minitorch.tensor(arr, requires_grad=requires_grad)
    t = torch.tensor(arr, requires_grad=requires_grad)
    assert repr(m) == repr(t)
    assert str(m) == str(t)


@pytest.fixture
def printoptions(torch):
    """Set the same print options in both libraries; restore the defaults afterwards."""
    def apply(**kwargs):
        minitorch.set_printoptions(**kwargs)
        torch.set_printoptions(**kwargs)
    yield apply
    apply(profile="default")


# ----- values: one parity case per (name, array) --------------------------------------------------------------
FLOAT_VALUES = {
    "ints": [1.0, 2.0, -3.0],
    "fractions": [1.5, -2.25, 0.1],
    "zeros": [0.0, 0.0],
    "negative_zero": [-0.0, 1.0],
    "single_small": [3.5e-5],
    "small": [1e-5, 0.5],
    "min_boundary": [1e-4, 0.5],
    "below_min_boundary": [9.9e-5, 0.5],
    "ratio_1000": [1.0, 1000.0],
    "ratio_over_1000": [1.0, 1000.5],
    "int_ratio_over_1000": [1.0, 1001.0],
    "big_ints": [1e8, 2.0e8],
    "huge": [1e10, -2.5],
    "just_below_1e8": [99999999.0, 99999998.0],
    "nan_inf": [NAN, INF, -INF, 1.5],
    "nan_inf_ints": [NAN, INF, -INF, 2.0],
    "only_nan": [NAN, NAN],
    "only_inf": [INF, -INF],
    "nan_zero": [NAN, 0.0],
    "nan_sci": [NAN, 1e-7, 3.0],
    "rounding_up": [9.99996, 0.5],
    "rounding_width": [-9.99996, 99.99999],
    "mixed_signs": [-1234.5678, 0.001, 42.0],
    "wide_exponent": [1e-30, 1e30],
}


@pytest.mark.parametrize("values", FLOAT_VALUES.values(), ids=FLOAT_VALUES.keys())
@pytest.mark.parametrize("np_dtype", [np.float32, np.float64])
def test_float_values(torch, values, np_dtype):
    _assert_same(torch, np.array(values, dtype=np_dtype))


def test_float64_three_digit_exponent(torch):
    _assert_same(torch, np.array([1e-300, 1.0, 1e300]))
    _assert_same(torch, np.array([[1e200, -1.0], [2.5, 1e-200]]))


@pytest.mark.parametrize("values", [[1.0, 2.0], [0.1, -2.5], [1e-5, 6e4], [NAN, INF, 0.0], [65504.0, -0.5]],
                         ids=["ints", "fractions", "sci", "special", "max_half"])
def test_float16_values(torch, values):
    _assert_same(torch, np.array(values, dtype=np.float16))


@pytest.mark.skipif(minitorch.bfloat16.np is None, reason="bfloat16 needs the ml_dtypes package")
def test_bfloat16(torch):
    data = np.array([[1.0, -2.5, 0.1], [3e4, NAN, 7.0]], dtype=np.float32)
    assert repr(minitorch.tensor(data).to(minitorch.bfloat16)) == repr(torch.tensor(data).to(torch.bfloat16))


INT_VALUES = {
    "small": [1, 2, 3],
    "negative": [-5, 10, 100],
    "zeros": [0, 0],
    "extremes": [-128, 127],
}


@pytest.mark.parametrize("values", INT_VALUES.values(), ids=INT_VALUES.keys())
@pytest.mark.parametrize("np_dtype", [np.int64, np.int32, np.int16, np.int8])
def test_int_values(torch, values, np_dtype):
    _assert_same(torch, np.array(values, dtype=np_dtype))


def test_wide_ints(torch):
    _assert_same(torch, np.array([-(2 ** 62), 7, 2 ** 62]))
    _assert_same(torch, np.array([0, 255, 17], dtype=np.uint8))


@pytest.mark.parametrize("values", [[True, False], [True, True], [False], [[True], [False]]])
def test_bool_values(torch, values):
    _assert_same(torch, np.array(values))


# ----- shapes -------------------------------------------------------------------------------------------------
SHAPES = [(), (1,), (5,), (3, 4), (2, 3, 4), (2, 2, 2, 2), (1, 1, 1), (4, 1), (1, 7),
          (30,), (3, 30), (2, 2, 25), (1001,), (2000,), (40, 40), (10, 10, 11), (4, 5, 6, 10), (3, 400),
          (7, 2, 100)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", ["randn", "uniform", "ints_as_float", "large", "int64", "int32", "bool",
                                  "float64", "float16"])
def test_shapes(torch, shape, kind):
    rng = _rng(len(shape) * 100 + sum(shape))
    data = {
        "randn": lambda: rng.standard_normal(shape).astype(np.float32),
        "uniform": lambda: rng.random(shape).astype(np.float32),
        "ints_as_float": lambda: rng.integers(-50, 50, shape).astype(np.float32),
        "large": lambda: (rng.standard_normal(shape) * 1e6).astype(np.float32),
        "int64": lambda: rng.integers(-1000, 1000, shape),
        "int32": lambda: rng.integers(0, 10, shape).astype(np.int32),
        "bool": lambda: rng.random(shape) > 0.5,
        "float64": lambda: rng.standard_normal(shape) * 10,
        "float16": lambda: rng.standard_normal(shape).astype(np.float16),
    }[kind]()
    _assert_same(torch, np.asarray(data))


def test_non_contiguous_view(torch):
    data = _rng(1).standard_normal((3, 5)).astype(np.float32).T
    _assert_same(torch, data)


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 4), (3, 0)], ids=str)
@pytest.mark.parametrize("np_dtype", [np.float32, np.float64, np.int64, np.int32, np.bool_, np.float16])
def test_empty(torch, shape, np_dtype):
    _assert_same(torch, np.zeros(shape, dtype=np_dtype))


@pytest.mark.filterwarnings("ignore:overflow encountered in cast")  # 123456789 is inf in float16
@pytest.mark.parametrize("value", [3.0, 3.5, -0.0, NAN, -INF, 1e-6, 123456789.0])
@pytest.mark.parametrize("np_dtype", [np.float32, np.float64, np.float16])
def test_zero_dim_float(torch, value, np_dtype):
    _assert_same(torch, np.array(value, dtype=np_dtype))


@pytest.mark.parametrize("value", [np.int64(3), np.int32(-7), np.uint8(200), np.bool_(True), np.bool_(False)],
                         ids=repr)
def test_zero_dim_other(torch, value):
    _assert_same(torch, np.array(value))


def test_expected_text():
    """A few fixed strings, so the layout stays pinned even where torch is absent."""
    assert repr(minitorch.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(minitorch.tensor(3.0)) == "tensor(3.)"
    assert repr(minitorch.tensor([True, False])) == "tensor([ True, False])"
    assert repr(minitorch.tensor([1e5, 1.0])) == "tensor([1.0000e+05, 1.0000e+00])"
    assert repr(minitorch.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(minitorch.tensor([1, 2], dtype=minitorch.int32)) == "tensor([1, 2], dtype=torch.int32)"
    assert repr(minitorch.tensor([[1, 2], [3, 4]])) == "tensor([[1, 2],\n        [3, 4]])"


@pytest.mark.parametrize("seed", range(8))
def test_random_mixtures(torch, seed):
    """Random shapes, magnitudes spanning 1e-10..1e12, special values and dtypes, 40 tensors per seed."""
    rng = _rng(1000 + seed)
    for _ in range(40):
        ndim = int(rng.integers(0, 5))
        shape = tuple(int(rng.integers(0, 8 if ndim > 2 else 50)) for _ in range(ndim))
        size = int(np.prod(shape))
        values = rng.standard_normal(size) * 10.0 ** rng.integers(-10, 12, size)
        values[rng.random(size) < 0.2] = rng.choice([0.0, -0.0, NAN, INF, -INF])
        if rng.random() < 0.3:
            values = np.round(values)
        np_dtype = rng.choice([np.float32, np.float64, np.float16])
        with np.errstate(over="ignore"):
            _assert_same(torch, values.reshape(shape).astype(np_dtype))


# ----- autograd suffixes --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (25,), (2000,)], ids=str)
def test_requires_grad(torch, shape):
    data = _rng(2).standard_normal(shape)
    _assert_same(torch, data.astype(np.float32), requires_grad=True)
    _assert_same(torch, data, requires_grad=True)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (12,), (13,), (2000,)], ids=str)
@pytest.mark.parametrize("np_dtype", [np.float32, np.float64])
def test_grad_fn(torch, shape, np_dtype):
    data = _rng(3).standard_normal(shape).astype(np_dtype)
    m = minitorch.tensor(data, requires_grad=True) * 2
    t = torch.tensor(data, requires_grad=True) * 2
    assert repr(m) == repr(t)
    assert "grad_fn=<MulBackward0>" in repr(m)


def test_suffix_wraps_to_new_line(torch):
    """A suffix that would pass column 80 goes on its own line, indented under the values."""
    for n in range(5, 14):
        data = np.linspace(-1, 1, n)
        _assert_same(torch, data, requires_grad=True)
        _assert_same(torch, data.astype(np.int16))


def test_no_grad_leaf_has_no_suffix(torch):
    with minitorch.no_grad():
        m = minitorch.tensor([1.0], requires_grad=True) * 2
    assert repr(m) == "tensor([2.])"


# ----- print options ------------------------------------------------------------------------------------------
OPTIONS = {
    "precision_2": dict(precision=2),
    "precision_0": dict(precision=0),
    "precision_8": dict(precision=8),
    "threshold_5": dict(threshold=5),
    "edgeitems_1": dict(threshold=5, edgeitems=1),
    "edgeitems_0": dict(threshold=5, edgeitems=0),
    "linewidth_40": dict(linewidth=40),
    "linewidth_10": dict(linewidth=10),
    "linewidth_200": dict(linewidth=200),
    "short": dict(profile="short"),
    "full": dict(profile="full"),
    "short_then_precision": dict(profile="short", precision=6),
    "sci_on": dict(sci_mode=True),
    "sci_off": dict(sci_mode=False),
}
OPTION_DATA = {
    "fractions": np.array([1.123456789, -20.5, 0.001], dtype=np.float32),
    "ints_float": np.arange(12, dtype=np.float32).reshape(3, 4),
    "ints": np.arange(-6, 6).reshape(2, 3, 2),
    "sci_needed": np.array([1e-8, 2.5e9, 3.0]),
    "zeros": np.zeros(4, dtype=np.float32),
    "big": _rng(4).standard_normal((30, 40)).astype(np.float32),
    "long": np.linspace(0, 1, 1200, dtype=np.float32),
    "scalar": np.array(2.0, dtype=np.float32),
    "bool": np.array([True, False] * 5),
}


@pytest.mark.parametrize("data", OPTION_DATA.values(), ids=OPTION_DATA.keys())
@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
def test_printoptions(torch, printoptions, options, data):
    printoptions(**options)
    _assert_same(torch, data)


def test_printoptions_persist_until_reset(torch, printoptions):
    printoptions(precision=2)
    printoptions(threshold=4)  # other options kept; sci_mode back to automatic
    _assert_same(torch, np.array([1.23456, 2.5, 3.0, 4.0, 5.0], dtype=np.float32))
    printoptions(profile="default")
    assert repr(minitorch.tensor([1.23456])) == "tensor([1.2346])"


def test_printoptions_with_suffixes(torch, printoptions):
    printoptions(linewidth=30)
    _assert_same(torch, np.arange(8, dtype=np.float64), requires_grad=True)


def test_default_dtype_float64(torch):
    """With float64 as the default, float64 tensors drop their suffix and float32 ones gain it."""
    try:
        minitorch.set_default_dtype(minitorch.float64)
        torch.set_default_dtype(torch.float64)
        for data in (np.array([1.5, 2.0]), np.array([1.5, 2.0], dtype=np.float32), np.zeros((0,)),
                     np.zeros((0,), dtype=np.float32), np.array([1, 2])):
            _assert_same(torch, data)
    finally:
        minitorch.set_default_dtype(minitorch.float32)
        torch.set_default_dtype(torch.float32)


def test_subclass_prefix(torch):
    class Mine(minitorch.Tensor):
        pass

    class TMine(torch.Tensor):
        pass

    data = np.array([1.0, 2.0], dtype=np.float32)
    assert repr(Mine._wrap(data)) == repr(torch.tensor(data).as_subclass(TMine)).replace("TMine", "Mine")


# ----- cuda -----------------------------------------------------------------------------------------------------
@pytest.mark.cuda
def test_cuda_suffix():
    x = minitorch.tensor([1.0, 2.5], device="cuda")
    assert repr(x) == "tensor([1.0000, 2.5000], device='cuda:0')"
    assert repr(minitorch.tensor([1, 2], dtype=minitorch.int32, device="cuda")) == (
        "tensor([1, 2], device='cuda:0', dtype=torch.int32)")
    assert repr(minitorch.zeros(0, 2, device="cuda")) == "tensor([], device='cuda:0', size=(0, 2))"
    x = minitorch.ones(2, device="cuda", requires_grad=True)
    assert repr(x) == "tensor([1., 1.], device='cuda:0', requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 2.], device='cuda:0', grad_fn=<MulBackward0>)"
