"""Products against PyTorch: einsum (implicit and explicit outputs, ellipses, diagonals, sums, broadcasting, the
sublist form), tensordot, kron, inner, vdot, addmm / addmv / addr / addbmm / baddbmm (beta, alpha, in place),
chain_matmul, trace, cross and linalg.cross, dist and cdist (every p, both compute modes): values, dtypes, grad_fn
names, gradients and errors; float64 gradcheck with double backward."""
import pytest

from tests._core_parity import raises_same, same
from tests._ops_parity import check_grads, compare, cuda_matches_cpu, data

A, B, V, W = data((2, 3)), data((3, 4), seed=1), data((3,), seed=2), data((4,), seed=3)
T = data((2, 3, 4), seed=4)

EINSUM = [
    ("ij,jk->ik", (A, B)), ("ij,jk", (A, B)), ("ij->", (A,)), ("ij->ji", (A,)), ("ii->i", (B[:, :3],)),
    ("ii", (B[:, :3],)), ("i,i->", (V, V)), ("i,j->ij", (V, W)), ("i,j", (V, W)), ("bij,jk->bik", (T[:, :, :3], B)),
    ("...ij,...jk", (T[:, :, :3], B)), ("bij,bkj->bik", (T, T)), ("ijk->kj", (T,)), ("ij,ij->i", (A, A)),
    ("i,ij,jk->k", (V[:2], A, B)), ("bi,bj->bij", (A, A)), ("ij,kl->ijkl", (A, A)), ("i...->...", (T,)),
]


@pytest.mark.parametrize("equation,operands", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_matches_torch(torch, equation, operands):
    compare(torch, lambda L, *ops: L.einsum(equation, *ops), *operands)
    check_grads(lambda L, *ops: L.einsum(equation, *ops), *operands)


def test_einsum_list_and_sublist_forms(torch):
    compare(torch, lambda L, a, b: (L.einsum("ij,jk->ik", [a, b]), L.einsum(a, [0, 1], b, [1, 2], [0, 2]),
                                    L.einsum(a, [0, 1], b, [1, 2])), A, B)


def test_tensordot_kron_inner_vdot(torch):
    compare(torch, lambda L, t, b: (L.tensordot(t, b, 1), L.tensordot(t, t, ([1, 2], [1, 2])),
                                    L.tensordot(t, t, 3), L.tensordot(t, b, ([1], [0])), L.tensordot(t, b, 0)),
            T[:, :, :3], B)
    check_grads(lambda L, t, b: L.tensordot(t, b, ([1], [0])), T[:, :, :3], B)
    compare(torch, lambda L, a, v: (L.kron(a, v), L.kron(v, a), a.kron(a), L.kron(v, v.sum())), A, V)
    check_grads(lambda L, a, v: L.kron(a, v), A, V)
    compare(torch, lambda L, a, v: (L.inner(a, a), L.inner(v, v), a.inner(v), L.inner(v.sum(), a)), A, V)
    compare(torch, lambda L, v, u: (L.vdot(v, u), v.vdot(u)), V, V[::-1].copy())
    check_grads(lambda L, v, u: (L.vdot(v, u), L.inner(v, u)), V, V[::-1].copy())
    same(torch, lambda L: [L.kron(L.tensor([[1, 2], [3, 4]]), L.tensor([1, -1])), L.vdot(L.tensor([1j, 2]),
                                                                                            L.tensor([3j, 1]))])


@pytest.mark.parametrize("kwargs", [{}, {"beta": 0.5, "alpha": 2.0}, {"beta": 0}])
def test_scaled_products(torch, kwargs):
    c, d = data((2, 4), seed=5), data((5, 3, 2), seed=6)
    e = data((5, 2, 4), seed=7)
    compare(torch, lambda L, x, a, b: (L.addmm(x, a, b, **kwargs), x.addmm(a, b, **kwargs),
                                       L.addmm(x[0], a, b, **kwargs)), c, A, B)
    compare(torch, lambda L, x, a, v: (L.addmv(x, a, v, **kwargs), x.addmv(a, v, **kwargs)), c[:, 0].copy(), A, V)
    compare(torch, lambda L, x, u, v: (L.addr(x, u, v, **kwargs), x.addr(u, v, **kwargs)), A, c[:, 0].copy(), V)
    compare(torch, lambda L, x, b1, b2: (L.baddbmm(x, b1, b2, **kwargs), L.addbmm(x[0], b1, b2, **kwargs)),
            data((5, 3, 4), seed=8), d, e)
    check_grads(lambda L, x, a, b: L.addmm(x, a, b, **kwargs), c, A, B)
    check_grads(lambda L, x, b1, b2: L.addbmm(x, b1, b2, **kwargs), data((3, 4), seed=8), d, e)
    same(torch, lambda L: [L.tensor(c).addmm_(L.tensor(A), L.tensor(B), **kwargs),
                           L.tensor(A).addr_(L.tensor(c[:, 0].copy()), L.tensor(V), **kwargs),
                           L.addmm(L.tensor([1, 2]), L.tensor([[1, 2]]), L.tensor([[1, 2], [3, 4]]), beta=2, alpha=3),
                           L.addmm(L.tensor([1]), L.tensor([[1]]), L.tensor([[1]]), beta=0.5)])


def test_chain_trace_cross_dist(torch):
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        compare(torch, lambda L, a, b: L.chain_matmul(a, b, b.t()), A, B)
    compare(torch, lambda L, b: (L.trace(b), b.trace()), B)
    check_grads(lambda L, b: L.trace(b), B)
    same(torch, lambda L: [L.trace(L.tensor([[1, 2], [3, 4]])), L.trace(L.tensor([[True, False], [True, True]]))])
    x, y = data((4, 3), seed=9), data((4, 3), seed=10)
    compare(torch, lambda L, a, b: (L.cross(a, b, dim=1), a.cross(b, 1), L.linalg.cross(a, b), L.linalg.cross(a, b[:1]),
                                    L.linalg.cross(a.t(), b.t(), dim=0)), x, y)
    check_grads(lambda L, a, b: L.linalg.cross(a, b[:1]), x, y)
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        compare(torch, lambda L, a, b: L.cross(a, b), x, y)
    for p in (2, 1, 0, 3.5, float("inf")):
        compare(torch, lambda L, a, b: (L.dist(a, b, p), a.dist(b[:1], p)), x, y, grad=bool(p))  # torch has no p=0 grad
        if p:
            check_grads(lambda L, a, b: L.dist(a, b, p), x, y)


@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.0, float("inf")])
def test_cdist(torch, p):
    x1, x2 = data((2, 5, 3), seed=11), data((2, 4, 3), seed=12)
    compare(torch, lambda L, a, b: (L.cdist(a, b, p), L.cdist(a[0], b, p), L.cdist(a, b[0], p)), x1, x2)
    if p:
        check_grads(lambda L, a, b: L.cdist(a, b, p), x1[:1, :3], x2[:1, :2])


def test_cdist_matrix_product_mode(torch):
    x1, x2 = data((30, 3), seed=13), data((4, 3), seed=14)
    compare(torch, lambda L, a, b: (L.cdist(a, b), L.cdist(a[:5], b, compute_mode="use_mm_for_euclid_dist"),
                                    L.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")), x1, x2)
    check_grads(lambda L, a, b: L.cdist(a, b, compute_mode="use_mm_for_euclid_dist"), x1[:3], x2[:2])


@pytest.mark.parametrize("call", [
    lambda L: L.einsum("ij,jk", L.ones(2, 3), L.ones(4, 5)),
    lambda L: L.einsum("ij->k", L.ones(2, 3)),
    lambda L: L.einsum("i", L.ones(2, 3)),
    lambda L: L.einsum("i,j", L.ones(2)),
    lambda L: L.addmm(L.ones(2), L.ones(2, 3), L.ones(2, 3)),
    lambda L: L.addmm(L.ones(3), L.ones(2, 3), L.ones(3, 2)),
    lambda L: L.trace(L.ones(2, 2, 2)),
    lambda L: L.cross(L.ones(2, 2), L.ones(2, 2)),
    lambda L: L.linalg.cross(L.ones(2, 2), L.ones(2, 2)),
    lambda L: L.cdist(L.ones(2, 3), L.ones(2, 4)),
    lambda L: L.cdist(L.ones(2, 3), L.ones(2, 3), p=-1),
    lambda L: L.cdist(L.ones(3), L.ones(2, 3)),
    lambda L: L.vdot(L.ones(2), L.ones(3)),
    lambda L: L.vdot(L.ones(2), L.ones(2, dtype=L.float64)),
    lambda L: L.tensordot(L.ones(2, 3), L.ones(4, 5), 1),
    lambda L: L.inner(L.ones(2, 3), L.ones(4)),
])
def test_errors_match_torch(torch, call):
    raises_same(torch, call)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    cuda_matches_cpu(lambda L, a, b, c: (L.einsum("ij,jk->ik", a, b), L.kron(a, b), L.addmm(c, a, b),
                                         L.cdist(a, b.t()), L.tensordot(a, b, 1), L.trace(b[:, :3])),
                     A.astype("float32"), B.astype("float32"), data((2, 4), "float32", seed=5))
