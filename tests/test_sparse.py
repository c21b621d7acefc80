"""Sparse tensors (COO and CSR) against torch: conversions, parts, factories, reprs, products and their
gradients, F.linear with a CSR weight, errors; the dispatch door around them (ops without a kernel, the fast
path coming back, dense and meta tensors unaffected); sparsify and saving in sparse form."""
import gc
import os
import warnings

import numpy as np
import pytest

import minitorch
from minitorch import _dispatch, nn
from minitorch.autograd import gradcheck
from minitorch.nn import functional as F
from minitorch.nn.utils import parametrize, prune
from minitorch.serialization import SerializationError

pytestmark = pytest.mark.parity

DENSE = [[0.0, 1.5, 0.0], [2.0, 0.0, 3.0]]


@pytest.fixture(autouse=True)
def _quiet_torch():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta")
        warnings.filterwarnings("ignore", "Sparse invariant checks are implicitly disabled")
        yield


def _masked(rng, shape, keep=0.4):
    a = rng.standard_normal(shape)
    return a * (rng.random(shape) < keep)


def _examples(lib):
    """Sparse tensors of many kinds, built the same way in both libraries."""
    d = lib.tensor(DENSE)
    return [d.to_sparse_csr(), d.to_sparse(), d.double().to_sparse_csr(), d.to_sparse().requires_grad_(),
            lib.zeros(2, 3).to_sparse_csr(), lib.zeros(2, 3, 4).to_sparse(), lib.tensor(3.0).to_sparse(),
            lib.ones(2, 3, dtype=lib.bool).to_sparse(), lib.zeros(3).to_sparse(),
            lib.sparse_csr_tensor(lib.tensor([0, 1, 2], dtype=lib.int32), lib.tensor([1, 0], dtype=lib.int32),
                                  lib.tensor([1.0, 2.0]), (2, 3)),
            lib.nn.Parameter(d.to_sparse_csr()), lib.arange(60.0).reshape(6, 10).to_sparse(),
            lib.arange(2000.0).reshape(40, 50).to_sparse_csr(),
            lib.sparse_coo_tensor([[0, 0], [1, 1]], [1.0, 2.0], (2, 2)), lib.tensor([[1, 0], [0, 7]]).to_sparse_csr(),
            d.to_sparse_csr().to_sparse(), d.requires_grad_().to_sparse_csr()]


def test_reprs_match_torch(torch):
    assert [repr(t) for t in _examples(minitorch)] == [repr(t) for t in _examples(torch)]


def test_attributes_match_torch(torch):
    def facts(lib):
        out = []
        for t in _examples(lib):
            out.append((str(t.layout), t.is_sparse, tuple(t.shape), str(t.dtype), str(t.device), t.is_cpu, t.dim(),
                        t.numel(), t._nnz(), t.sparse_dim(), t.dense_dim(), t.element_size(), t.is_leaf,
                        t.requires_grad, t.is_floating_point(), t.detach().layout == t.layout, t.get_device()))
        return out
    assert facts(minitorch) == facts(torch)


@pytest.mark.parametrize("shape", [(4, 5), (3,), (2, 3, 4), (1, 1), (0, 3)])
def test_round_trips_and_parts_match_torch(torch, shape):
    a = _masked(np.random.default_rng(len(shape)), shape)
    ours, theirs = minitorch.tensor(a), torch.tensor(a)
    coo, tcoo = ours.to_sparse(), theirs.to_sparse()
    assert np.array_equal(coo.indices().numpy(), tcoo.indices().numpy())
    assert np.array_equal(coo.values().numpy(), tcoo.values().numpy())
    assert coo.indices().dtype == minitorch.int64 and coo.is_coalesced()
    assert np.array_equal(coo.to_dense().numpy(), a)
    if len(shape) == 2:
        csr, tcsr = ours.to_sparse_csr(), theirs.to_sparse_csr()
        for part in ("crow_indices", "col_indices", "values"):
            assert np.array_equal(getattr(csr, part)().numpy(), getattr(tcsr, part)().numpy()), part
        assert np.array_equal(csr.to_dense().numpy(), a)
        assert np.array_equal(csr.to_sparse().to_dense().numpy(), a)
        assert np.array_equal(coo.to_sparse_csr().to_dense().numpy(), a)
        assert np.array_equal(ours.to_sparse(layout=minitorch.sparse_csr).crow_indices().numpy(),
                              tcsr.crow_indices().numpy())
    assert ours.to_dense() is ours


def test_coalesce_sums_repeated_entries(torch):
    def run(lib):
        s = lib.sparse_coo_tensor([[1, 0, 1, 1], [2, 0, 2, 0]], [1.0, 2.0, 3.0, 4.0], (2, 3))
        c = s.coalesce()
        return (s.is_coalesced(), c.is_coalesced(), c.indices().tolist(), c.values().tolist(), s.to_dense().tolist(),
                s.to_sparse_csr().values().tolist(), s.t().to_dense().tolist())
    assert run(minitorch) == run(torch)


def test_factories_infer_size_and_check_invariants(torch):
    """torch checks CSR and COO invariants only on request (check_invariants=True); minitorch always does,
    with torch's messages."""
    good = [lambda lib: lib.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 2.0]),
            lambda lib: lib.sparse_csr_tensor([0, 1, 2], [1, 0], [1.0, 2.0]),
            lambda lib: lib.sparse_csr_tensor([0, 1, 2], [1, 0], [1.0, 2.0], (2, 2), dtype=lib.float64),
            lambda lib: lib.sparse_coo_tensor([[0, 1], [1, 1]], [1.0, 2.0], (2, 2), requires_grad=True)]
    for make in good:
        assert repr(make(minitorch)) == repr(make(torch))
    bad = [lambda lib, **k: lib.sparse_coo_tensor([[0, 3], [1, 1]], [1.0, 2.0], (2, 2), **k),
           lambda lib, **k: lib.sparse_coo_tensor([[0, -1], [1, 1]], [1.0, 2.0], (2, 2), **k),
           lambda lib, **k: lib.sparse_coo_tensor([[0, 1, 1]], [1.0, 2.0], (2, 2), **k),
           lambda lib, **k: lib.sparse_coo_tensor([[0, 1], [1, 1]], [1.0, 2.0, 3.0], (2, 2), **k),
           lambda lib, **k: lib.sparse_csr_tensor([0, 2, 1], [1, 0], [1.0, 2.0], (2, 2), **k),
           lambda lib, **k: lib.sparse_csr_tensor([0, 1, 2], [1, 5], [1.0, 2.0], (2, 2), **k),
           lambda lib, **k: lib.sparse_csr_tensor([1, 1, 2], [1, 0], [1.0, 2.0], (2, 2), **k),
           lambda lib, **k: lib.sparse_csr_tensor([0, 1, 2], [1, 0], [1.0, 2.0], (3, 2), **k),
           lambda lib, **k: lib.sparse_csr_tensor([0, 2, 2], [1, 1], [1.0, 2.0], (2, 2), **k),
           lambda lib, **k: lib.sparse_csr_tensor([0, 1, 2], [1, 0], [1.0, 2.0, 3.0], (2, 2), **k)]
    for make in bad:
        with pytest.raises(RuntimeError) as theirs:
            make(torch, check_invariants=True)
        with pytest.raises(RuntimeError) as ours:
            make(minitorch)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("layout", ["csr", "coo"])
def test_products_and_gradients_match_torch(torch, layout):
    rng = np.random.default_rng(1)
    w, x, d = _masked(rng, (5, 4)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2))

    def run(lib):
        def sparse(a):
            t = lib.tensor(a)
            return (t.to_sparse_csr() if layout == "csr" else t.to_sparse()).requires_grad_()
        s, dd, xx = sparse(w), lib.tensor(d, requires_grad=True), lib.tensor(x, requires_grad=True)
        out = [lib.sparse.mm(s, dd), lib.mm(s, dd), s @ dd, lib.matmul(s, dd)]
        (out[0] * lib.tensor(rng_b)).sum().backward()
        grads = [s.grad.to_dense().tolist(), str(s.grad.layout), dd.grad.tolist()]
        right = lib.mm(xx, sparse(w.T.copy()))
        out.append(s.sum())
        right.pow(2).sum().backward()
        return [o.tolist() for o in out] + [o.grad_fn.name() for o in out] + grads + [right.tolist(), xx.grad.tolist()]
    rng_b = rng.standard_normal((5, 2))
    assert _close(run(minitorch), run(torch))


def _close(a, b):
    """Nested lists of numbers and strings equal, numbers to 1e-12."""
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return abs(a - b) <= 1e-12 * max(1.0, abs(b))
    return a == b


def test_linear_with_a_csr_weight_matches_torch(torch):
    rng = np.random.default_rng(2)
    w, b = _masked(rng, (6, 5)), rng.standard_normal(6)
    inputs = [rng.standard_normal((4, 5)), rng.standard_normal((2, 3, 5)), rng.standard_normal(5)]

    def run(lib):
        seen = []
        for x in inputs:
            for bias in (lib.tensor(b, requires_grad=True), None):
                weight = lib.tensor(w).to_sparse_csr().requires_grad_()
                xx = lib.tensor(x, requires_grad=True)
                y = lib.nn.functional.linear(xx, weight, bias)
                y.pow(2).sum().backward()
                seen += [y.tolist(), tuple(y.shape), xx.grad.tolist(), str(weight.grad.layout), weight.grad.tolist(),
                         None if bias is None else bias.grad.tolist()]
        return seen
    assert _close(run(minitorch), run(torch))


def test_linear_module_with_a_csr_parameter(torch):
    rng = np.random.default_rng(3)
    w = _masked(rng, (4, 3))

    def run(lib):
        lin = lib.nn.Linear(3, 4).double()
        lin.weight = lib.nn.Parameter(lib.tensor(w).to_sparse_csr())
        x = lib.tensor(rng_x, requires_grad=True)
        lin(x).sum().backward()
        return [repr(lin), repr(lin.weight), str(lin.state_dict()["weight"].layout), x.grad.tolist(),
                lin.weight.grad.tolist()]
    rng_x = rng.standard_normal((2, 3))
    assert run(minitorch) == run(torch)


def test_gradcheck():
    rng = np.random.default_rng(4)
    mask = minitorch.tensor((rng.random((4, 3)) < 0.5).astype(np.float64))
    w = minitorch.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    x = minitorch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = minitorch.tensor(rng.standard_normal(4), requires_grad=True)
    d = minitorch.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(lambda w, x, b: F.linear(x, (w * mask).to_sparse_csr(), b), (w, x, b))
    assert gradcheck(lambda w, d: minitorch.sparse.mm((w * mask).to_sparse(), d), (w, d))
    assert gradcheck(lambda w, d: minitorch.sparse.mm((w * mask).to_sparse_csr(), d), (w, d))
    assert gradcheck(lambda w: (w * mask).to_sparse().values() * 2, (w,))
    assert gradcheck(lambda w: (w * mask).to_sparse_csr().to_dense().exp(), (w,))


@pytest.mark.parametrize("layout", ["csr", "coo"])
def test_gradients_accumulate_in_sparse_form(torch, layout):
    def run(lib):
        t = lib.tensor(DENSE, dtype=lib.float64)
        s = (t.to_sparse_csr() if layout == "csr" else t.to_sparse()).requires_grad_()
        d = lib.ones(3, 2, dtype=lib.float64)
        lib.sparse.mm(s, d).sum().backward()
        lib.sparse.mm(s, 2 * d).sum().backward()
        (lib.sparse.mm(s, d) + lib.sparse.mm(s, d)).sum().backward()
        return repr(s.grad)
    assert run(minitorch) == run(torch)


def test_errors_match_torch(torch):
    def attempts(lib):
        d = lib.tensor(DENSE)
        c, s = d.to_sparse_csr(), d.to_sparse()
        calls = [lambda: s.exp(), lambda: c.view(6), lambda: s.sum(), lambda: d.values(), lambda: d.indices(),
                 lambda: d.crow_indices(), lambda: s.crow_indices(), lambda: c.indices(), lambda: s.col_indices(),
                 lambda: d.coalesce(), lambda: c.coalesce(), lambda: c.is_coalesced(), lambda: c.numpy(),
                 lambda: s.numpy(), lambda: c.stride(), lambda: c.is_contiguous(), lambda: d._nnz(),
                 lambda: lib.sparse.mm(c, lib.ones(2, 2)), lambda: lib.sparse.mm(c, lib.ones(3, 2, dtype=lib.float64)),
                 lambda: lib.sparse.mm(c, lib.ones(3)), lambda: lib.nn.functional.linear(lib.ones(2, 3).double(), c),
                 lambda: lib.nn.functional.linear(lib.ones(2, 4), c),
                 lambda: lib.nn.functional.linear(lib.ones(2, 3), s),
                 lambda: d.to_sparse(3), lambda: d.to_sparse_csr(1), lambda: c.to_dense(lib.float64),
                 lambda: lib.sparse_coo_tensor([[0, 0], [1, 1]], [1.0, 2.0], (2, 2)).indices(),
                 lambda: c.to_sparse_csr(1), lambda: s.to_sparse(1)]
        for call in calls:
            try:
                call()
                yield "ok"
            except Exception as e:  # noqa: BLE001 - the exception is what is compared
                yield type(e).__name__, str(e).split(" This could be")[0]
    assert list(attempts(minitorch)) == list(attempts(torch))


def test_fast_path_returns_when_sparse_tensors_are_freed():
    gc.collect()
    assert _dispatch._PLAIN[0]
    x = minitorch.tensor(DENSE)
    s = x.to_sparse_csr()
    v = s.values()
    assert not _dispatch._PLAIN[0]
    del s
    gc.collect()
    assert _dispatch._PLAIN[0]
    assert v.tolist() == [1.5, 2.0, 3.0]  # a view of the values array, which outlives the sparse tensor


def test_dense_and_meta_tensors_unaffected_while_sparse_ones_live(torch):
    keep = minitorch.tensor(DENSE).to_sparse()
    assert not _dispatch._PLAIN[0]
    x = minitorch.tensor(DENSE, requires_grad=True)
    y = (x.exp() * 2).sum(0)
    y.sum().backward()
    tx = torch.tensor(DENSE, requires_grad=True)
    (tx.exp() * 2).sum(0).sum().backward()
    assert np.allclose(y.detach().numpy(), (tx.exp() * 2).sum(0).detach().numpy())
    assert np.allclose(x.grad.numpy(), tx.grad.numpy())
    m = minitorch.empty(4, 3, device="meta")
    out = F.linear(m, minitorch.empty(2, 3, device="meta")).relu()
    assert out.is_meta and tuple(out.shape) == (4, 2)
    with pytest.raises(NotImplementedError, match="Could not run 'aten::exp' with arguments from the 'SparseCPU'"):
        keep.exp()


# ----- sparsify and saving ------------------------------------------------------------------------------------
def _pruned_model(amount=0.9):
    minitorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    for layer in (model[0], model[2]):
        prune.l1_unstructured(layer, "weight", amount=amount)
    return model


def test_sparsify_keeps_outputs_and_shrinks_memory():
    model = _pruned_model()
    x = minitorch.randn(5, 64)
    with minitorch.no_grad():
        before = model(x)
    assert minitorch.sparse.sparsify(model) is model
    assert not prune.is_pruned(model)
    w = model[0].weight
    assert isinstance(w, nn.Parameter) and w.layout is minitorch.sparse_csr and w.requires_grad
    assert w.crow_indices().dtype == minitorch.int32 and w.col_indices().dtype == minitorch.int32
    assert w._nnz() == round(0.1 * 64 * 32)
    assert w._data.arrays_nbytes() <= 0.25 * 64 * 32 * 4
    with minitorch.no_grad():
        assert minitorch.allclose(model(x), before, atol=1e-6)
    minitorch.sparse.sparsify(model)  # a second call leaves CSR weights alone
    assert model[0].weight is w


def test_sparsify_refuses_parametrized_weights():
    layer = nn.Linear(3, 3)
    parametrize.register_parametrization(layer, "weight", nn.Identity())
    with pytest.raises(ValueError, match="parametrized; call parametrize.remove_parametrizations"):
        minitorch.sparse.sparsify(nn.Sequential(layer))


def test_save_and_load_in_sparse_form(tmp_path):
    dense = _pruned_model()
    for layer in (dense[0], dense[2]):
        prune.remove(layer, "weight")
    sparse = minitorch.sparse.sparsify(_pruned_model())
    paths = {name: tmp_path / f"{name}.pt" for name in ("dense", "sparse", "model")}
    minitorch.save(dense.state_dict(), paths["dense"])
    minitorch.save(sparse.state_dict(), paths["sparse"])
    assert os.path.getsize(paths["sparse"]) < 0.5 * os.path.getsize(paths["dense"])  # JSON header included
    state = minitorch.load(paths["sparse"])
    w = state["0.weight"]
    assert w.layout is minitorch.sparse_csr and not w.requires_grad  # state_dict entries are detached
    assert w.crow_indices().dtype == minitorch.int32
    assert minitorch.equal(w.to_dense(), sparse[0].weight.to_dense())
    minitorch.save(sparse, paths["model"])
    again = minitorch.load(paths["model"], weights_only=False)
    x = minitorch.randn(3, 64)
    with minitorch.no_grad():
        assert minitorch.equal(again(x), sparse(x))
    assert isinstance(again[0].weight, nn.Parameter) and again[0].weight.layout is minitorch.sparse_csr
    coo = minitorch.tensor(DENSE).to_sparse().requires_grad_()
    minitorch.save({"coo": coo}, paths["dense"])
    back = minitorch.load(paths["dense"])["coo"]
    assert back.layout is minitorch.sparse_coo and back.requires_grad
    assert minitorch.equal(back.to_dense(), coo.to_dense())


def test_load_checks_saved_sparse_indices(tmp_path):
    """A file whose CSR indices point outside the matrix is refused, not loaded into a crash."""
    path = tmp_path / "bad.pt"
    bad = minitorch.tensor(DENSE).to_sparse_csr()
    bad._data.col_indices[0] = 7
    minitorch.save({"w": bad}, path)
    with pytest.raises(SerializationError, match="bad sparse_tensor.*col_indices < ncols"):
        minitorch.load(path)


# ----- GPU --------------------------------------------------------------------------------------------------------
@pytest.mark.cuda
@pytest.mark.parametrize("layout", ["csr", "coo"])
def test_sparse_on_cuda_matches_cpu(layout):
    rng = np.random.default_rng(5)
    w, x, d = _masked(rng, (6, 4)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    results = []
    for device in ("cpu", "cuda"):
        t = minitorch.tensor(w, device=device)
        s = (t.to_sparse_csr() if layout == "csr" else t.to_sparse()).requires_grad_()
        assert s.device.type == device
        assert s.layout is (minitorch.sparse_csr if layout == "csr" else minitorch.sparse_coo)
        dd = minitorch.tensor(d, device=device, requires_grad=True)
        out = minitorch.sparse.mm(s, dd)
        out.sum().backward()
        seen = [out, s.grad.to_dense(), dd.grad, s.to_dense()]
        if layout == "csr":
            xx = minitorch.tensor(x, device=device, requires_grad=True)
            y = F.linear(xx, s.detach(), minitorch.ones(6, dtype=minitorch.float64, device=device))
            y.sum().backward()
            seen += [y, xx.grad]
        assert all(r.device.type == device for r in seen)
        results.append([r.detach().cpu().numpy() for r in seen])
    for a, b in zip(*results):
        assert np.allclose(a, b)


@pytest.mark.cuda
def test_sparsify_on_cuda():
    model = _pruned_model().cuda()
    x = minitorch.randn(4, 64, device="cuda")
    with minitorch.no_grad():
        before = model(x)
        minitorch.sparse.sparsify(model)
        assert model[0].weight.device.type == "cuda" and model[0].weight.layout is minitorch.sparse_csr
        assert minitorch.allclose(model(x), before, atol=1e-5)
