"""The Tensor object's Python protocol compared with PyTorch, errors included: conversions to Python and
NumPy (item, tolist, numpy, __array__, float/int/bool/index), dtype and device moves (to, type, float() ...),
shape queries, len/iteration/hashing, .data, .grad assignment checks and copying."""
import copy

import numpy as np
import pytest

import minitorch
from tests._core_parity import raises_same, same


def test_python_conversions(torch):
    same(torch, lambda L: [L.tensor([[2.5]]).item(), type(L.tensor(3).item()).__name__, L.tensor(True).item(),
                           L.tensor(2.5).tolist(), L.tensor([1.5], dtype=L.float16).tolist(),
                           L.tensor([[1, 2]]).tolist(),
                           float(L.tensor([2.0])), int(L.tensor([2.7])), int(L.tensor(-2.7)), bool(L.tensor([0.0])),
                           bool(L.tensor(3)), complex(L.tensor(2.0)), [1, 2, 3][L.tensor(1)], f"{L.tensor(2.5):.2f}",
                           float(L.tensor([2.0], requires_grad=True))])


@pytest.mark.parametrize("case", ["item of many", "item of none", "float of many", "int of none", "bool of many",
                                  "bool of none", "index float", "index many", "format many", "len of 0-d",
                                  "iterate 0-d"])
def test_python_conversion_errors(torch, case):
    raises_same(torch, {
        "item of many": lambda L: L.tensor([1.0, 2.0]).item(), "item of none": lambda L: L.tensor([]).item(),
        "float of many": lambda L: float(L.tensor([1.0, 2.0])), "int of none": lambda L: int(L.tensor([])),
        "bool of many": lambda L: bool(L.tensor([1.0, 2.0])), "bool of none": lambda L: bool(L.tensor([])),
        "index float": lambda L: [1, 2][L.tensor(0.0)], "index many": lambda L: [1, 2][L.tensor([0, 0])],
        "format many": lambda L: f"{L.tensor([2.5]):.2f}", "len of 0-d": lambda L: len(L.tensor(1.0)),
        "iterate 0-d": lambda L: list(L.tensor(1.0)),
    }[case])


def test_numpy_bridge(torch):
    def scenario(L):
        t = L.tensor([1.0, 2.0])
        t.numpy()[0] = 5
        return [t, np.asarray(L.tensor([1, 2])).dtype.name, np.asarray(L.tensor([1, 2]), dtype=np.float32).dtype.name,
                np.array(L.tensor([1.5])).tolist(), L.tensor([1.0], requires_grad=True).detach().numpy().tolist()]
    same(torch, scenario)
    raises_same(torch, lambda L: L.tensor([1.0], requires_grad=True).numpy())
    raises_same(torch, lambda L: np.asarray(L.tensor([1.0], requires_grad=True)))
    raises_same(torch, lambda L: (L.tensor([1.0], requires_grad=True) * 2).numpy())


def test_shape_queries(torch):
    same(torch, lambda L: [L.zeros(2, 3).shape, repr(L.zeros(2, 3).shape), L.zeros(2, 3).size(), L.zeros(2, 3).size(-1),
                           L.zeros(2, 3).stride(), L.zeros(2, 3).stride(1), L.zeros(2, 3).dim(), L.tensor(1).ndim,
                           L.zeros(2, 3).numel(), L.zeros(2, 3).nelement(), L.zeros(2, 3).is_contiguous(),
                           L.zeros(2, dtype=L.float16).element_size(), L.ones(3).nbytes,
                           L.ones(3, dtype=L.float64).itemsize, len(L.zeros(3, 2)), L.zeros(2, 3).shape.numel(),
                           L.zeros(2, 3).shape[1:], L.ones(1).is_floating_point(),
                           L.ones(1, dtype=L.int8).is_floating_point(), L.ones(1).is_complex()])
    raises_same(torch, lambda L: L.zeros(2, 3).stride(2))
    raises_same(torch, lambda L: L.zeros(2, 3).size(-3))


def test_hash_identity_and_iteration(torch):
    same(torch, lambda L: (lambda t: [hash(t) == id(t), len({t, t}), len({L.ones(1), L.ones(1)}), t in [t],
                                      [r.tolist() for r in L.tensor([[1, 2], [3, 4]])]])(L.ones(2)))


def test_dtype_conversions(torch):
    same(torch, lambda L: [getattr(L.tensor([1.5, -2.5]), m)() for m in
                           ("float", "double", "half", "long", "int", "bool", "short", "char", "byte")])
    same(torch, lambda L: [L.tensor([1.5]).to(L.int64), L.ones(1).to(L.float32) is not None,
                           L.ones(1).to("cpu").device, L.ones(1).to(L.ones(1, dtype=L.float64)),
                           L.ones(1).to(dtype=L.float16),
                           L.ones(1, requires_grad=True).to(L.float64), L.ones(1, requires_grad=True).to(L.int64),
                           L.ones(1).type(), L.ones(1, dtype=L.int64).type(), L.ones(1).type("torch.DoubleTensor"),
                           L.ones(1).type(L.int32), L.ones(2).type_as(L.ones(1, dtype=L.int16)),
                           L.ones(1).cpu().device])
    same(torch, lambda L: (lambda t: [t.to(L.float32) is t, t.to(L.float32, copy=True) is t, t.float() is t,
                                      t.cpu() is t, t.to("cpu") is t])(L.ones(1)))
    raises_same(torch, lambda L: L.ones(1).to("cuda:x"))
    raises_same(torch, lambda L: L.ones(1).type("torch.Foo"))


def test_data_attribute(torch):
    def scenario(L):
        x = L.ones(2, requires_grad=True)
        y = x * 2
        d = y.data
        x.data = L.zeros(3)
        return [d.requires_grad, d.grad_fn, d.is_leaf, x, x.requires_grad, x.shape]
    same(torch, scenario)
    raises_same(torch, lambda L: setattr(L.ones(1), "data", [1.0]))


def test_grad_assignment(torch):
    same(torch, lambda L: (lambda t: (setattr(t, "grad", L.ones(2)), t.grad, delattr(t, "grad"), t.grad)[1::2])(
        L.ones(2, requires_grad=True)))
    raises_same(torch, lambda L: setattr(L.ones(2, requires_grad=True), "grad", L.ones(3)))
    raises_same(torch, lambda L: setattr(L.ones(2, requires_grad=True), "grad", L.ones(2, dtype=L.float64)))
    raises_same(torch, lambda L: setattr(L.ones(2, requires_grad=True), "grad", L.ones(2, dtype=L.int64)))
    raises_same(torch, lambda L: setattr(L.ones(2, requires_grad=True), "grad", [1.0, 2.0]))
    raises_same(torch, lambda L: setattr(L.ones(2, dtype=L.int64), "grad", L.ones(2)))


def test_copy_and_deepcopy(torch):
    def scenario(L):
        t = L.zeros(2, requires_grad=True)
        t.grad = L.ones(2)
        t.note = "kept"
        c = copy.deepcopy(t)
        s = copy.copy(t)
        with L.no_grad():
            c.add_(1)
            s.add_(5)
        return [c is t, c.requires_grad, c.is_leaf, c, c.grad, c.note, t, s.requires_grad, s.grad]
    same(torch, scenario)
    raises_same(torch, lambda L: copy.deepcopy(L.ones(2, requires_grad=True) * 2))


def test_tensor_is_not_pickled():
    """minitorch refuses pickle (minitorch.save never runs code on load); torch pickles tensors."""
    import pickle
    with pytest.raises(TypeError, match="minitorch.save"):
        pickle.dumps(minitorch.ones(1))


def test_version_counter(torch):
    """In-place ops count in `_version`; a detached alias shares the count, `.data` does not."""
    def scenario(L):
        t = L.ones(2)
        versions = [t._version, t.add_(1)._version, t.mul_(2)._version, t.zero_()._version]
        t.detach().add_(1)
        versions.append(t._version)
        t.data.add_(1)
        versions.append(t._version)
        return versions
    same(torch, scenario)


@pytest.mark.parametrize("shapes", [((3,), (4,)), ((2, 3), (4, 1, 2)), ((2, 3), (3, 4)), ((5, 3), (2, 1, 2))])
@pytest.mark.parametrize("op", ["add", "mul", "sub", "div", "maximum", "eq", "where"])
def test_broadcast_mismatch_names_sizes_and_dim(torch, shapes, op):
    """Operands that do not broadcast: torch's RuntimeError naming both sizes and the dimension."""
    def scenario(L):
        a, b = L.ones(*shapes[0]), L.ones(*shapes[1])
        if op == "where":
            return L.where(a > 0, a, b)
        return getattr(L, op)(a, b)
    raises_same(torch, scenario)
