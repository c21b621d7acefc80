"""dtypes, type promotion and devices, compared with PyTorch: promote_types and result_type for every
pair, the dtype (and values) of binary ops over every dtype pair, zero-dim and number operands, device
parsing, printing and errors."""
import itertools
import pickle

import numpy as np
import pytest

import minitorch
from tests._core_parity import observe, raises_same, same

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SHAPES = [(3,), ()]  # a sized tensor and a zero-dim one
NUMBERS = [True, False, 2, -2, 300, 2.5, -0.5]


def make(L, name, shape):
    """A small tensor of dtype `name` with values every op accepts (no zero divisors)."""
    values = {"bool": [True, True, True], "uint8": [3, 200, 5]}.get(name, [-3, 7, 5])
    if name.startswith("float"):
        values = [-1.5, 2.25, 3.0]
    return L.tensor(values if shape else values[0], dtype=getattr(L, name))


def test_dtype_objects(torch):
    same(torch, lambda L: [(str(d), repr(d), d.is_floating_point, d.is_signed, d.itemsize, d.is_complex)
                           for d in (getattr(L, n) for n in NAMES + ["bfloat16"])])
    same(torch, lambda L: [L.float is L.float32, L.double is L.float64, L.half is L.float16, L.long is L.int64,
                           L.int is L.int32, L.short is L.int16])
    assert pickle.loads(pickle.dumps(minitorch.float16)) is minitorch.float16


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES + ["bfloat16"], repeat=2)))
def test_promote_types(torch, a, b):
    same(torch, lambda L: L.promote_types(getattr(L, a), getattr(L, b)))


def test_result_type(torch):
    def scenario(L):
        out = []
        for a, b in itertools.product(NAMES, repeat=2):
            for sa, sb in itertools.product(SHAPES, repeat=2):
                out.append(L.result_type(make(L, a, sa), make(L, b, sb)))
        for a, n in itertools.product(NAMES, NUMBERS):
            out.append(L.result_type(make(L, a, (3,)), n))
        return out
    same(torch, scenario)


def test_default_dtype(torch):
    def scenario(L):
        L.set_default_dtype(L.float64)
        try:
            return [L.tensor([1.5]).dtype, L.ones(2).dtype, (L.tensor([1, 2]) / 2).dtype, L.arange(0.5, 2).dtype,
                    (L.tensor([1]) * 1.5).dtype, L.get_default_dtype()]
        finally:
            L.set_default_dtype(L.float32)
    same(torch, scenario)
    raises_same(torch, lambda L: L.set_default_dtype(L.int64))


BINARY = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "eq", "lt", "ge", "maximum",
          "minimum", "bitwise_and", "bitwise_xor", "logical_and"]


@pytest.mark.parametrize("op", BINARY)
def test_binary_promotion_every_dtype_pair(torch, op):
    """dtype, values (or the error) of `op` for every pair of dtypes, sized and zero-dim."""
    failures = []
    for a, b in itertools.product(NAMES, repeat=2):
        for sa, sb in itertools.product(SHAPES, repeat=2):
            def scenario(L):
                return getattr(L, op)(make(L, a, sa), make(L, b, sb))
            ours, theirs = observe(scenario, minitorch), observe(scenario, torch)
            if ours != theirs:
                failures.append(f"{a}{list(sa)} {op} {b}{list(sb)}: minitorch {ours!r} torch {theirs!r}")
    assert not failures, "\n".join(failures[:10])


@pytest.mark.parametrize("op", [o for o in BINARY if o not in ("maximum", "minimum")])
def test_binary_promotion_with_numbers(torch, op):
    """Python numbers do not upcast within a category; an int tensor with a float number gives the default
    float; out-of-range integers wrap into the tensor's dtype, as torch casts them."""
    failures = []
    for a, n, s in itertools.product(NAMES, NUMBERS, SHAPES):
        def scenario(L):
            return getattr(L, op)(make(L, a, s), n)
        ours, theirs = observe(scenario, minitorch), observe(scenario, torch)
        if ours != theirs:
            failures.append(f"{a}{list(s)} {op} {n!r}: minitorch {ours!r} torch {theirs!r}")
    assert not failures, "\n".join(failures[:10])


@pytest.mark.parametrize("a", NAMES)
def test_reflected_operators_with_numbers(torch, a):
    for n in (2, 2.5, True):
        same(torch, lambda L: [n + make(L, a, (3,)), n * make(L, a, (3,)), n / make(L, a, (3,))])
        same(torch, lambda L: n - make(L, a, (3,)))
        same(torch, lambda L: n ** make(L, a, (3,)))
        same(torch, lambda L: n == make(L, a, (3,)))


def test_numpy_scalars_act_as_numbers(torch):
    same(torch, lambda L: [(L.tensor([1, 2], dtype=L.uint8) + np.int64(3)),
                           (L.tensor([1.5], dtype=L.float16) * np.float64(2.0)),
                           (L.tensor([1, 2], dtype=L.int32) * np.float32(0.5))])


def test_bfloat16(torch):
    pytest.importorskip("ml_dtypes", reason="bfloat16 tensors need the optional ml_dtypes package")
    same(torch, lambda L: [L.ones(2, dtype=L.bfloat16) + L.ones(2, dtype=L.float16),
                           L.tensor([1.5, 2.5], dtype=L.bfloat16) * 2, L.ones(2, dtype=L.bfloat16).float()])


def test_bfloat16_without_ml_dtypes_is_a_clear_error():
    if minitorch.bfloat16.np is not None:
        pytest.skip("ml_dtypes is installed")
    with pytest.raises(RuntimeError, match="ml_dtypes"):
        minitorch.ones(2, dtype=minitorch.bfloat16)


# ----- devices ---------------------------------------------------------------------------------------------
def test_device_parsing(torch):
    same(torch, lambda L: [(repr(d), str(d), d.type, d.index) for d in (
        L.device("cpu"), L.device("cuda:1"), L.device("cuda", 1), L.device("cuda"), L.device("cpu:0"),
        L.device(L.device("cuda:2")), L.device(type="cpu"), L.device("cuda", index=3), L.device("meta"))])
    same(torch, lambda L: [L.device("cuda:1") == L.device("cuda", 1), L.device("cpu") == L.device("cpu:0"),
                           L.device("cpu") == "cpu", L.device("cuda") == L.device("cuda:0"),
                           len({L.device("cpu"), L.device("cpu")})])


@pytest.mark.parametrize("text", ["cud", "", "cuda:x", "cuda:-1", "cuda:01", "cuda:1:2", " cuda", "CUDA",
                                  "cuda:1 "])
def test_invalid_device_strings(torch, text):
    raises_same(torch, lambda L: L.device(text))


def test_invalid_device_arguments(torch):
    raises_same(torch, lambda L: L.device("cuda", -1))
    raises_same(torch, lambda L: L.device("cuda:1", 1))
    raises_same(torch, lambda L: L.device(None))
    raises_same(torch, lambda L: L.device(1.5))


def test_tensor_device(torch):
    same(torch, lambda L: [str(L.ones(1).device), L.ones(1).is_cuda, L.ones(1).is_cpu, L.ones(1).get_device(),
                           L.ones(1, device="cpu").device == L.device("cpu")])
    assert pickle.loads(pickle.dumps(minitorch.device("cuda:1"))) == minitorch.device("cuda", 1)


def test_cuda_is_not_available_here():
    if minitorch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert minitorch.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        minitorch.ones(1).to("cuda")


@pytest.mark.cuda
def test_mixing_devices_is_an_error():
    a, b = minitorch.ones(2, device="cuda"), minitorch.ones(2)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at least "
                                           "two devices, cuda:0 and cpu!"):
        a + b
    assert (a + minitorch.tensor(1.0)).device == minitorch.device("cuda:0")  # a cpu scalar may join in


@pytest.mark.cuda
def test_to_cuda_and_back():
    x = minitorch.tensor([1.5, 2.0], requires_grad=True)
    y = x.to("cuda")
    assert y.device == minitorch.device("cuda", 0) and y.grad_fn.name() == "ToCopyBackward0"
    (y * 2).sum().backward()
    assert x.grad.device.type == "cpu" and x.grad.tolist() == [2.0, 2.0]
    assert y.cpu().tolist() == [1.5, 2.0] and y.type() == "torch.cuda.FloatTensor"
