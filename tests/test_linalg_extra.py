"""torch.linalg's inverses, determinants, Cholesky, LU, symmetric eigen decompositions, triangular solves,
pseudo-inverse, least squares, matrix powers and products, and the older torch.* names, against PyTorch:
values, dtypes, return types, grad_fn names, gradients, torch's LinAlgError messages; float64 gradcheck with
double backward. Symmetric positive-definite inputs are built inside the function (A A^T + n I), so that
gradients are compared on the space torch's formulas assume."""
import numpy as np
import pytest

import minitorch
from minitorch.autograd import gradcheck
from tests._core_parity import raises_same, same
from tests._ops_parity import check_grads, compare, cuda_matches_cpu, data

A = data((3, 3)) + 3 * np.eye(3)
BATCH = data((2, 3, 3), seed=1) + 3 * np.eye(3)
B = data((3, 2), seed=2)
TALL = data((5, 3), seed=3)


def spd(L, a):
    return a @ a.mT + a.shape[-1] * L.eye(a.shape[-1], dtype=a.dtype, device=a.device)


CASES = {
    "inv": (lambda L, a: (L.linalg.inv(a), *L.linalg.inv_ex(a), L.inverse(a), a.inverse()), A),
    "inv_batch": (lambda L, a: L.linalg.inv(a), BATCH),
    "det": (lambda L, a: (L.linalg.det(a), L.det(a), a.det(), *L.linalg.slogdet(a), *L.slogdet(a), L.logdet(a),
                          a.logdet()), BATCH),
    "cholesky": (lambda L, a: (L.linalg.cholesky(spd(L, a)), L.linalg.cholesky(spd(L, a), upper=True),
                               *L.linalg.cholesky_ex(spd(L, a))), BATCH),
    "cholesky_solve": (lambda L, a, b: (L.cholesky_solve(b, L.linalg.cholesky(spd(L, a))),
                                        L.cholesky_solve(b, L.linalg.cholesky(spd(L, a), upper=True), upper=True),
                                        L.cholesky_inverse(L.linalg.cholesky(spd(L, a))),
                                        L.linalg.cholesky(spd(L, a)).cholesky_inverse()), A, B),
    # (an eigenvector's sign is LAPACK's choice, which differs between builds: its square is compared)
    "eigh": (lambda L, a: (L.linalg.eigh(spd(L, a)).eigenvalues, L.linalg.eigh(spd(L, a)).eigenvectors ** 2,
                           L.linalg.eigvalsh(spd(L, a)), L.linalg.eigvalsh(spd(L, a), UPLO="U")), BATCH),
    "solve_triangular": (lambda L, a, b: (L.linalg.solve_triangular(a, b, upper=True),
                                          L.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
                                          L.linalg.solve_triangular(a, b.mT, upper=True, left=False),
                                          *L.triangular_solve(b, a), *L.triangular_solve(b, a, False, True, True)),
                         A, B),
    "lu": (lambda L, a, b: (*L.linalg.lu_factor(a), *L.linalg.lu(a), L.linalg.lu_solve(*L.linalg.lu_factor(a), b),
                            L.linalg.lu_solve(*L.linalg.lu_factor(a), b, adjoint=True),
                            L.linalg.lu_solve(*L.linalg.lu_factor(a), b.mT, left=False),
                            *L.lu_unpack(*L.linalg.lu_factor(a)), *L.linalg.lu_factor_ex(a)), A, B),
    "pinv": (lambda L, t: (L.linalg.pinv(t), L.pinverse(t), L.linalg.pinv(t.mT), t.pinverse()), TALL),
    "lstsq": (lambda L, t, b: (*L.linalg.lstsq(t, b), L.linalg.lstsq(t, b[:, 0]).solution,
                               L.linalg.lstsq(t.mT, b[:3]).solution), TALL, data((5, 2), seed=4)),
    "matrix_power": (lambda L, a: (L.linalg.matrix_power(a, 3), L.matrix_power(a, -2), a.matrix_power(0),
                                   L.linalg.matrix_power(a, 1), L.linalg.matrix_power(a, 6)), A),
    "multi_dot": (lambda L, a, b: (L.linalg.multi_dot([a, a, b]), L.linalg.multi_dot([a[0], a, b]),
                                   L.linalg.multi_dot([a, b, b.mT, a[:, 0]]), L.linalg.multi_dot([b.mT, a])), A, B),
    "vec": (lambda L, a, b: (L.linalg.vecdot(a, b.mT[:1]), L.linalg.vecdot(a, a, dim=0), L.linalg.vander(a[0]),
                             L.linalg.vander(a, N=4), L.linalg.diagonal(a), L.linalg.diagonal(a, offset=1)), A, B),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(torch, name):
    fn, *arrays = CASES[name]
    compare(torch, fn, *arrays)


@pytest.mark.parametrize("name", [n for n in CASES if n not in ("lstsq",)])
def test_gradcheck(name):
    fn, *arrays = CASES[name]
    check_grads(fn, *(a[:2, :2] if a.ndim == 2 else a[:1, :2, :2] for a in arrays))  # small: second derivatives


def test_lstsq_gradcheck_and_rank(torch):
    check_grads(lambda L, t, b: L.linalg.lstsq(t, b).solution, TALL, data((5, 2), seed=4))
    same(torch, lambda L: [L.linalg.matrix_rank(L.tensor(A)), L.linalg.matrix_rank(L.ones(3, 4)),
                           L.linalg.matrix_rank(L.tensor(BATCH), atol=1.0, rtol=0.5),
                           L.linalg.matrix_rank(L.zeros(2, 2)),
                           L.linalg.lstsq(L.tensor(TALL), L.ones(5, 1, dtype=L.float64)).rank])


def test_singular_and_edge_cases(torch):
    # (what LAPACK leaves in a failed inverse or factor is not compared, only the info)
    same(torch, lambda L: [abs(L.linalg.det(L.tensor([[1.0, 2.0], [2.0, 4.0]]))), *L.linalg.slogdet(L.zeros(2, 2)),
                           L.logdet(L.tensor([[-1.0, 0.0], [0.0, 1.0]])), L.linalg.inv_ex(L.zeros(2, 2)).info,
                           L.linalg.cholesky_ex(L.tensor([[1.0, 2.0], [2.0, 1.0]])).info,
                           *L.linalg.lu_factor_ex(L.tensor([[0.0, 1.0], [0.0, 2.0]])),
                           L.linalg.matrix_power(L.tensor([[float("nan"), 1.0], [2.0, 3.0]]), 0)])
    # the determinant's gradient at a singular matrix is the (transposed) cofactor matrix; torch 2.13 returns
    # zeros there (a solve with the singular matrix), so ours is checked against finite differences
    singular = minitorch.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], dtype=minitorch.float64,
                                requires_grad=True)
    assert gradcheck(minitorch.linalg.det, (singular,))


def test_deprecated_names_warn(torch):
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated"):
        compare(torch, lambda L, a: L.cholesky(spd(L, a)), A)
    with pytest.warns(UserWarning, match="torch.lu is deprecated"):
        compare(torch, lambda L, a: L.lu(a), A)
    with pytest.warns(UserWarning, match="torch.lu_solve is deprecated"):
        compare(torch, lambda L, a, b: L.lu_solve(b, *L.linalg.lu_factor(a)), A, B)


@pytest.mark.parametrize("call", [
    lambda L: L.linalg.inv(L.zeros(2, 2)),
    lambda L: L.linalg.inv(L.stack([L.eye(2), L.zeros(2, 2)])),
    lambda L: L.linalg.inv(L.ones(2, 3)),
    lambda L: L.linalg.inv(L.ones(3)),
    lambda L: L.linalg.inv(L.ones(2, 2, dtype=L.int64)),
    lambda L: L.linalg.cholesky(L.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda L: L.linalg.cholesky(L.stack([L.eye(2), -L.eye(2)])),
    lambda L: L.linalg.eigh(L.ones(2, 2), UPLO="X"),
    lambda L: L.linalg.det(L.ones(2, 3)),
    lambda L: L.linalg.lstsq(L.ones(3, 2), L.ones(3, 1, dtype=L.float64)),
    lambda L: L.linalg.multi_dot([L.ones(2, 2)]),
    lambda L: L.linalg.multi_dot([L.ones(2, 3), L.ones(2, 3)]),
    lambda L: L.linalg.multi_dot([L.ones(2, 2), L.ones(2, 2, 2)]),
    lambda L: L.linalg.vander(L.ones(2), N=1),
    lambda L: L.linalg.lstsq(L.ones(3, 2), L.ones(4, 1)),
    lambda L: L.linalg.pinv(L.ones(3)),
])
def test_errors_match_torch(torch, call):
    raises_same(torch, call)


def test_lin_alg_error_is_torch_like():
    assert issubclass(minitorch.linalg.LinAlgError, RuntimeError)
    with pytest.raises(minitorch.linalg.LinAlgError, match="The diagonal element 2 is zero"):
        minitorch.linalg.inv(minitorch.tensor([[1.0, 2.0], [2.0, 4.0]]))


@pytest.mark.cuda
def test_cuda_matches_cpu():
    cuda_matches_cpu(lambda L, a, b: (L.linalg.inv(a), L.linalg.det(a), L.linalg.cholesky(spd(L, a)),
                                      L.linalg.eigvalsh(spd(L, a)), L.linalg.solve_triangular(a, b, upper=True),
                                      L.linalg.pinv(b), L.linalg.lu_factor(a).LU),
                     A.astype("float32"), B.astype("float32"))
