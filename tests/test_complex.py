"""Complex dtypes (complex64, complex128) against PyTorch: dtype attributes and type promotion, creation,
printing, arithmetic, the complex-specific ops (real, imag, view_as_real / view_as_complex, complex, polar,
conj, angle, abs, sgn) and gradients under torch's convention for complex numbers (float64 gradcheck of real
functions that pass through complex values)."""
import itertools

import numpy as np
import pytest

import minitorch
from minitorch.autograd import gradcheck
from tests._core_parity import raises_same, same
from tests._ops_parity import compare

DTYPES = ["bool", "uint8", "int64", "float16", "float32", "float64", "complex64", "complex128"]


def test_dtype_attributes(torch):
    for name in ("complex64", "complex128", "cfloat", "cdouble"):
        ours, theirs = getattr(minitorch, name), getattr(torch, name)
        assert (repr(ours), ours.is_complex, ours.is_floating_point, ours.is_signed, ours.itemsize) == \
            (repr(theirs), theirs.is_complex, theirs.is_floating_point, theirs.is_signed, theirs.itemsize)
        assert repr(ours.to_real()) == repr(theirs.to_real())
    assert minitorch.float64.to_complex() is minitorch.complex128 and minitorch.float32.to_complex() is minitorch.cfloat
    assert minitorch.complex64.to_complex() is minitorch.complex64 and minitorch.float32.to_real() is minitorch.float32


@pytest.mark.parametrize("a,b", list(itertools.combinations_with_replacement(DTYPES, 2)))
def test_promote_types_matches_torch(torch, a, b):
    same(torch, lambda L: L.promote_types(getattr(L, a), getattr(L, b)))


@pytest.mark.parametrize("scenario", [
    lambda L: L.result_type(L.ones(3), 1j), lambda L: L.result_type(L.ones(3, dtype=L.float64), 1j),
    lambda L: L.result_type(L.ones(3, dtype=L.int64), 1j), lambda L: L.result_type(L.tensor(1.0), 1j),
    lambda L: L.result_type(L.ones(3), L.tensor(1j, dtype=L.complex128)),
    lambda L: L.result_type(L.ones(3, dtype=L.float64), L.tensor(1j)),
    lambda L: L.result_type(L.ones(3, dtype=L.complex64), L.tensor(1.0, dtype=L.float64)),
    lambda L: L.result_type(L.ones(3, dtype=L.int32), L.tensor(1j, dtype=L.complex128)),
])
def test_result_type_matches_torch(torch, scenario):
    same(torch, scenario)


@pytest.mark.parametrize("text", [
    "L.tensor([1+2j, -3.5-0j, 0.25j])", "L.tensor(1+1j)", "L.tensor([1+2j], dtype=L.complex128)",
    "L.tensor([[1e-5+2j, 1000j], [3, 4]])", "L.zeros(0, dtype=L.complex64)", "L.zeros(2, 0, dtype=L.complex128)",
    "L.tensor([complex(float('nan'), float('inf')), -1j])", "L.arange(30).reshape(5, 6) * (1 + 0.5j)",
    "L.tensor([1. + 1j] * 2000)", "L.tensor([-0.0-0.0j, 0j])", "L.tensor([1+2j], requires_grad=True)",
    "L.ones(2, dtype=L.float64) * 1j", "L.tensor([1.5, 2]).to(L.cfloat)", "L.tensor([1, 2]).cdouble()",
])
def test_repr_matches_torch(torch, text):
    assert repr(eval(text, {"L": minitorch})) == repr(eval(text, {"L": torch}))


def test_creation_and_conversion(torch):
    values = np.array([1 + 2j, -0.5j], dtype=np.complex64)
    same(torch, lambda L: [L.tensor([1, 2 + 1j]), L.tensor([[1j]], dtype=L.complex128), L.from_numpy(values),
                           L.zeros(2, dtype=L.cfloat), L.ones(2, dtype=L.cdouble), L.tensor([1j]).item(),
                           L.tensor([[1 + 1j]]).tolist(), L.tensor([1 + 1j]).is_complex(),
                           L.tensor([1 + 1j]).is_floating_point(), L.tensor([1.0]).is_complex(),
                           L.tensor(2j).dtype, complex(L.tensor(3 + 4j)), L.tensor([3j]).numpy().dtype.name,
                           L.tensor([1 + 1j], requires_grad=True).requires_grad])
    with pytest.warns(UserWarning, match="Casting complex values to real discards the imaginary part"):
        assert minitorch.tensor([1 + 2j]).float().tolist() == [1.0]


@pytest.mark.parametrize("scenario", [
    lambda L: L.tensor([1 + 2j, 3 - 1j]) + L.tensor([0.5, 2.0]),
    lambda L: L.tensor([1 + 2j, 3 - 1j]) * L.tensor([2j, 1.0 + 0j]),
    lambda L: L.tensor([1 + 2j, 3 - 1j]) / L.tensor([2j, 1 + 1j]),
    lambda L: L.tensor([1.0, 2.0]) * 1j - 2,
    lambda L: L.tensor([1, 2]) * (1 + 1j),
    lambda L: L.tensor([1 + 2j], dtype=L.complex128) + L.tensor([1.0]),
    lambda L: (L.tensor([1 + 2j]) ** 2, L.tensor([1 + 2j]).exp(), -L.tensor([1 - 1j]), L.tensor([3 + 4j]).abs()),
    lambda L: (L.tensor([1 + 2j]) == L.tensor([1 + 2j]), L.tensor([1 + 2j, 0j]).sum(), L.tensor([1j, 2j]).mean()),
    lambda L: (L.tensor([[1 + 1j, 2]]) @ L.tensor([[1j], [1]])),
])
def test_arithmetic_matches_torch(torch, scenario):
    same(torch, scenario)


@pytest.mark.parametrize("scenario", [
    lambda L: (L.tensor([1 + 2j, -3j]).real, L.tensor([1 + 2j, -3j]).imag, L.real(L.tensor([1.5])),
               L.imag(L.tensor([2 - 1j]))),
    lambda L: (L.view_as_real(L.tensor([1 + 2j, -3j])), L.view_as_complex(L.tensor([[1.0, 2.0], [0.0, -1.0]]))),
    lambda L: L.view_as_real(L.tensor([[1 + 2j, 4j], [2, 3]], dtype=L.complex128).t().contiguous()),
    lambda L: (L.complex(L.tensor([1.0, 2.0]), L.tensor([3.0, -1.0])),
               L.complex(L.tensor([1.0], dtype=L.float64), L.tensor([0.5], dtype=L.float64))),
    lambda L: L.polar(L.tensor([1.0, 2.0]), L.tensor([0.5, -2.0])),
    lambda L: (L.conj(L.tensor([1 + 2j])).resolve_conj(), L.tensor([1 + 2j]).conj_physical(), L.conj(L.tensor([1.0])),
               L.conj_physical(L.tensor([1, 2])), L.tensor([1 + 1j]).resolve_conj(), L.tensor([1.0]).resolve_neg()),
    lambda L: (L.angle(L.tensor([1 + 1j, -1 + 0j, -1j])), L.tensor([-2.0, 0.0, 3.0, float("nan")]).angle(),
               L.angle(L.tensor([-1, 2]))),
    lambda L: (L.sgn(L.tensor([3 + 4j, 0j, -2j])), L.tensor([3 + 4j]).abs()),
    lambda L: (L.is_conj(L.tensor([1.0])), L.tensor([1.0]).is_neg(), L.tensor([1j]).is_complex()),
])
def test_complex_ops_match_torch(torch, scenario):
    same(torch, scenario)


@pytest.mark.parametrize("scenario", [
    lambda L: L.tensor([1.0]).imag,
    lambda L: L.view_as_real(L.tensor([1.0])),
    lambda L: L.view_as_complex(L.tensor([1.0, 2.0, 3.0])),
    lambda L: L.view_as_complex(L.tensor([[1, 2]])),
    lambda L: L.view_as_complex(L.ones(2, 2).t()),
    lambda L: L.complex(L.tensor([1]), L.tensor([2])),
    lambda L: L.complex(L.tensor([1.0]), L.tensor([2.0], dtype=L.float64)),
    lambda L: L.polar(L.tensor([1.0]), L.tensor([2.0], dtype=L.float64)),
    lambda L: L.tensor([1, 2]).requires_grad_(),
])
def test_errors_match_torch(torch, scenario):
    raises_same(torch, scenario)


def test_views_share_memory():
    z = minitorch.tensor([1 + 2j, 3 + 4j])
    parts = minitorch.view_as_real(z)
    parts[0, 1] = 9.0
    z.real[1] = -1.0
    assert z.tolist() == [1 + 9j, -1 + 4j]
    assert minitorch.view_as_complex(parts)._data.base is not None


# ----- gradients: real functions through complex values ----------------------------------------------------
def _through_complex(L, x, y):
    z = L.complex(x, y)
    w = L.view_as_complex(L.stack([y, x], -1))
    out = z * w / (w + 3) - z.conj() * 2j + L.polar(x.abs() + 1, y)
    return (L.view_as_real(out), out.abs(), out.angle(), out.sgn().real, (z * 1j).imag, out.real * out.imag)


def test_gradients_match_torch():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 3, 4))
    compare(__import__("torch"), lambda L, a, b: _through_complex(L, a, b), x, y)


def test_gradcheck_through_complex():
    rng = np.random.default_rng(1)
    inputs = tuple(minitorch.tensor(a, requires_grad=True) for a in rng.standard_normal((2, 3, 4)))
    assert gradcheck(lambda a, b: _through_complex(minitorch, a, b), inputs)
    assert gradcheck(lambda a: minitorch.view_as_real(minitorch.view_as_complex(a.reshape(6, 2)) ** 2), inputs[:1])
    assert gradcheck(lambda a: a.to(minitorch.complex128).mul(2 + 1j).abs(), inputs[:1])


def test_real_leaf_gets_real_gradient():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    (x * (1 + 2j)).abs().sum().backward()
    assert x.grad.dtype is minitorch.float32
    np.testing.assert_allclose(x.grad.numpy(), [5 ** 0.5] * 2, rtol=1e-6)


def test_save_and_load(tmp_path, torch):
    z = minitorch.tensor([[1 + 2j, -0.5j]])
    minitorch.save({"z": z, "kind": minitorch.complex64}, tmp_path / "z.pt")
    loaded = minitorch.load(tmp_path / "z.pt")
    assert loaded["z"].dtype is minitorch.complex64 and loaded["z"].tolist() == z.tolist()
    assert loaded["kind"] is minitorch.complex64
    from safetensors.torch import load_file  # the file is a safetensors file torch reads too
    assert load_file(tmp_path / "z.pt")["z"].tolist() == z.tolist()
    with pytest.raises(TypeError, match="cannot store a tensor of dtype torch.complex128"):
        minitorch.save(z.cdouble(), tmp_path / "w.pt")
