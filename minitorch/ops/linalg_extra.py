"""torch.linalg's inverses, determinants, Cholesky, LU and eigen decompositions of symmetric matrices,
triangular solves, pseudo-inverse, least squares, matrix powers and products, and the older torch.* names
for them (inverse, det, logdet, cholesky_solve, lu, triangular_solve ...). They act on the last two dims; the
dims before are batch dims. Forwards use the array module's LAPACK (numpy.linalg / cupy.linalg) where it has
the routine (LU with partial pivoting is written here); each backward is written with tensor ops, so that
`create_graph=True` differentiates it again.

Real floating dtypes (float32, float64); torch's errors name the failing pivot or minor."""
import math

import numpy as np

from .. import _dtype, _warnings
from .._device import array_module
from ..backends.meta import has_data
from .._tensor import Tensor
from ._core import broadcast_shapes, make, make_multi, sum_to
from .decompositions import LinAlgError, _check_matrix, _check_square, _eye_like
from .linalg import _mT, matmul, mm
from .pointwise import _dtype_name, _zeros_like, where
from .reduce import return_type, sum
from .shape import diagonal, expand, reshape, tril, triu

_SLOGDET = return_type("linalg_slogdet", ("sign", "logabsdet"))
_EIGH = return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
_INV_EX = return_type("linalg_inv_ex", ("inverse", "info"))
_CHOLESKY_EX = return_type("linalg_cholesky_ex", ("L", "info"))
_LU_FACTOR = return_type("linalg_lu_factor", ("LU", "pivots"))
_LU_FACTOR_EX = return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_LU = return_type("linalg_lu", ("P", "L", "U"))
_LU_UNPACK = return_type("lu_unpack", ("P", "L", "U"))
_LSTSQ = return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
_TRIANGULAR_SOLVE = return_type("triangular_solve", ("solution", "cloned_coefficient"))


def _batch_label(batch_index, batched):
    return f"(Batch element {batch_index}): " if batched else ""


# ----- LU with partial pivoting ----------------------------------------------------------------------------------
def _lu(a):
    """(LU packed, pivots (1-based, int32), info) of each matrix of the batch `a` (..., m, n): Doolittle's
    elimination with partial pivoting, one column at a time for the whole batch. info is the first zero pivot
    (1-based), 0 when there is none."""
    xp = array_module(a)
    lu = a.astype(a.dtype, copy=True)
    m, n = a.shape[-2], a.shape[-1]
    k_max = min(m, n)
    batch = a.shape[:-2]
    pivots = xp.zeros(batch + (k_max,), np.int32)
    info = xp.zeros(batch, np.int32)
    flat = lu.reshape((-1, m, n))
    flat_piv, flat_info = pivots.reshape((-1, k_max)), info.reshape(-1)
    rows = xp.arange(flat.shape[0])
    for k in range(k_max):
        p = k + xp.argmax(xp.abs(flat[:, k:, k]), axis=1)
        flat_piv[:, k] = p + 1
        swap = flat[rows, p].copy()
        flat[rows, p] = flat[:, k]
        flat[:, k] = swap
        pivot = flat[:, k, k]
        zero = pivot == 0
        flat_info[:] = xp.where(zero & (flat_info == 0), k + 1, flat_info)
        safe = xp.where(zero, 1, pivot)
        flat[:, k + 1:, k] = xp.where(zero[:, None], flat[:, k + 1:, k], flat[:, k + 1:, k] / safe[:, None])
        flat[:, k + 1:, k + 1:] -= flat[:, k + 1:, k:k + 1] * flat[:, k:k + 1, k + 1:]
    return flat.reshape(a.shape), pivots, info


def _permutation(pivots, m, dtype, xp):
    """The permutation matrices P (A = P L U) of LAPACK-style pivots (1-based row swaps)."""
    batch = pivots.shape[:-1]
    order = xp.broadcast_to(xp.arange(m), batch + (m,)).copy().reshape(-1, m)
    flat = pivots.reshape(-1, pivots.shape[-1]) - 1
    rows = xp.arange(order.shape[0])
    for k in range(flat.shape[1]):
        p = flat[:, k]
        swap = order[rows, p].copy()
        order[rows, p] = order[:, k]
        order[:, k] = swap
    # row i of P^T A is row order[i] of A, so P[order[i], i] = 1
    perm = xp.zeros((order.shape[0], m, m), dtype)
    perm[rows[:, None], order, xp.arange(m)[None, :]] = 1
    return perm.reshape(batch + (m, m))


def _unpack(lu, pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) arrays from packed LU and pivots."""
    xp = array_module(lu)
    m, n = lu.shape[-2], lu.shape[-1]
    k = min(m, n)
    L = xp.tril(lu[..., :, :k], -1) + xp.eye(m, k, dtype=lu.dtype) if unpack_data else xp.zeros(0, lu.dtype)
    U = xp.triu(lu[..., :k, :]) if unpack_data else xp.zeros(0, lu.dtype)
    P = _permutation(pivots, m, lu.dtype, xp) if unpack_pivots else xp.zeros(0, lu.dtype)
    return P, L, U


def _lu_grad(P, L, U, gL, gU):
    """The gradient of A = P L U for a square A, from those of L and U (torch's formula):
    P L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H."""
    phi = tril(_mT(L) @ gL, -1) if gL is not None else 0
    if gU is not None:
        phi = phi + triu(gU @ _mT(U))
    inner = solve_triangular(_mT(U), phi, upper=False, left=False)
    return P @ solve_triangular(_mT(L), inner, upper=True, unitriangular=True)


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """(LU, pivots, info): the packed LU decomposition with partial pivoting of each matrix."""
    _check_matrix("linalg.lu_factor_ex", A)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    packed, pivots, info = _lu(A._data)

    def backward(g_lu, g_pivots, g_info):
        if A.shape[-1] != A.shape[-2]:
            raise NotImplementedError("linalg.lu_factor: the derivative is implemented for square matrices")
        P, L, U = linalg_lu(A)  # live, for double backward
        return (_lu_grad(P, L, U, tril(g_lu, -1), triu(g_lu)),)
    outs = make_multi((packed, pivots, info), "LinalgLuFactorExBackward0", (A,), backward, saves=(A,))
    if check_errors:
        _raise_singular("linalg.lu_factor_ex", info)
    return _LU_FACTOR_EX(outs)


def lu_factor(A, *, pivot=True):
    """(LU, pivots): the packed LU decomposition with partial pivoting."""
    LU, pivots, _ = lu_factor_ex(A, pivot=pivot)
    return _LU_FACTOR((LU, pivots))


def linalg_lu(A, *, pivot=True):
    """(P, L, U) with A = P @ L @ U."""
    _check_matrix("linalg.lu", A)
    packed, pivots, _ = _lu(A._data)
    P, L, U = _unpack(packed, pivots)

    def backward(gP, gL, gU):
        if A.shape[-1] != A.shape[-2]:
            raise NotImplementedError("linalg.lu: the derivative is implemented for square matrices")
        live_P, live_L, live_U = linalg_lu(A)
        return (_lu_grad(live_P, live_L, live_U, gL, gU),)
    outs = make_multi((P, L, U), "LinalgLuBackward0", (A,), backward, saves=(A,))
    outs[0]._requires_grad, outs[0]._grad_fn = False, None  # P is constant
    return _LU(outs)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from the packed output of lu_factor."""
    P, L, U = _unpack(LU_data._data, LU_pivots._data, unpack_data, unpack_pivots)

    def backward(gP, gL, gU):
        grad = 0
        if gL is not None:
            grad = grad + _pad_to(tril(gL, -1), LU_data.shape)
        if gU is not None:
            grad = grad + _pad_to(triu(gU), LU_data.shape)
        return (grad if isinstance(grad, Tensor) else _zeros_like(LU_data),)
    outs = make_multi((P, L, U), "LuUnpackBackward0", (LU_data,), backward, saves=False)
    outs[0]._requires_grad, outs[0]._grad_fn = False, None
    return _LU_UNPACK(outs)


def _pad_to(t, shape):
    """`t` written into zeros of `shape` at the top left."""
    out = array_module(t._data).zeros(shape, t._data.dtype)
    out[..., :t.shape[-2], :t.shape[-1]] = t._data
    return make(out, "ConstantPadNdBackward0", (t,), lambda g: (g[..., :t.shape[-2], :t.shape[-1]],), saves=False)


def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B (X A = B with left=False; A^H in place of A with adjoint), A = P L U from lu_factor."""
    # X A = B is A^T X^T = B^T
    X = _lu_solve_left(LU, pivots, B, adjoint) if left else _mT(_lu_solve_left(LU, pivots, _mT(B), not adjoint))
    return make(X._data, "LinalgLuSolveBackward0", (X,), lambda g: (g,), saves=False)


def _lu_solve_left(LU, pivots, B, adjoint):
    """X with A X = B (A^T X = B with adjoint) by two triangular solves."""
    P, L, U = lu_unpack(LU, pivots)
    P = P.detach()
    if adjoint:  # U^T L^T P^T X = B
        inner = solve_triangular(_mT(U), B, upper=False)
        return P @ solve_triangular(_mT(L), inner, upper=True, unitriangular=True)
    inner = solve_triangular(L, _mT(P) @ B, upper=False, unitriangular=True)
    return solve_triangular(U, inner, upper=True)


def lu_solve(b, LU_data, LU_pivots):
    """torch.lu_solve (deprecated by torch): linalg.lu_solve with its arguments in the old order."""
    _warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a future "
                   "PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\nX = "
                   "torch.lu_solve(B, LU, pivots)\nshould be replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)")
    return linalg_lu_solve(LU_data, LU_pivots, b)


def lu(A, pivot=True, get_infos=False):
    """torch.lu (deprecated by torch): (LU, pivots), and the infos with get_infos."""
    _warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be "
                   "removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be replaced "
                   "with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\nLU, pivots, info = "
                   "torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\nLU, pivots, info = "
                   "torch.linalg.lu_factor_ex(A, compute_pivots)")
    LU, pivots, info = lu_factor_ex(A, pivot=pivot)
    return (LU, pivots, info) if get_infos else (LU, pivots)


def _raise_singular(op, info, batched=None):
    """torch's LinAlgError for the first matrix of the batch whose LU has a zero pivot (meta: none known)."""
    if not has_data(info):
        return
    flat = info.reshape(-1)
    bad = [i for i, v in enumerate(flat.tolist()) if v]
    if bad:
        label = _batch_label(bad[0], info.ndim > 0 if batched is None else batched)
        raise LinAlgError(f"{op}: {label}The diagonal element {int(flat[bad[0]])} is zero, the inversion could not be "
                          "completed because the input matrix is singular.")


# ----- inverse and determinants ---------------------------------------------------------------------------------------
def inv_ex(A, *, check_errors=False):
    """(inverse, info) of each square matrix; info > 0 marks a singular one (its first zero pivot)."""
    _check_square("linalg.inv", A)
    xp = array_module(A._data)
    _, _, info = _lu(A._data)
    if check_errors:
        _raise_singular("linalg.inv_ex", info)
    with np.errstate(all="ignore"):
        try:
            out = xp.linalg.inv(A._data) if A.numel() else A._data.copy()
        except np.linalg.LinAlgError:
            out = xp.full(A._data.shape, np.nan, A._data.dtype)

    def backward(g, g_info):
        inverse = inv(A)  # live, for double backward
        return (-_mT(inverse) @ g @ _mT(inverse),)
    outs = make_multi((out.astype(A._data.dtype, copy=False), info), "LinalgInvExBackward0", (A,), backward,
                      saves=(A,))
    return _INV_EX(outs)


def inv(A):
    """The inverse of each square matrix (torch.linalg.LinAlgError for a singular one)."""
    result = inv_ex(A)
    _raise_singular("linalg.inv", result.info._data)
    return result.inverse


def inverse(input):
    """torch.inverse: linalg.inv."""
    return inv(input)


def det(A):
    """The determinant of each square matrix."""
    _check_square("linalg.det", A)
    xp = array_module(A._data)
    out = xp.linalg.det(A._data).astype(A._data.dtype, copy=False)

    def backward(g):
        # d det = det tr(A^-1 dA): the gradient is g det A^-T (the adjugate's transpose also at singular A)
        return (_adjugate_t(A) * g.unsqueeze(-1).unsqueeze(-1),)
    return make(out, "LinalgDetBackward0", (A,), backward)


def _adjugate_t(A):
    """adj(A)^T = det(A) A^-T, computed from the SVD where A is singular (the cofactors stay finite)."""
    data = A._data
    xp = array_module(data)
    if not data.size or bool((xp.linalg.det(data) != 0).all()):
        return det(A).unsqueeze(-1).unsqueeze(-1) * _mT(inv(A))
    u, s, vh = xp.linalg.svd(data)
    n = s.shape[-1]
    others = xp.stack([xp.prod(xp.delete(s, i, axis=-1), axis=-1) for i in range(n)], -1)
    signs = xp.linalg.det(u) * xp.linalg.det(vh)
    cof = (u * others[..., None, :]) @ vh * signs[..., None, None]
    return Tensor._wrap(cof.astype(data.dtype))


def linalg_slogdet(A):
    """(sign, log|det|) of each square matrix (torch.linalg.slogdet)."""
    _check_square("linalg.slogdet", A)
    xp = array_module(A._data)
    s, logabs = xp.linalg.slogdet(A._data)
    dtype = A._data.dtype

    def backward(g_sign, g_log):
        if g_log is None:
            return (_zeros_like(A),)
        return (g_log.unsqueeze(-1).unsqueeze(-1) * _mT(inv(A)),)
    return _SLOGDET(make_multi((s.astype(dtype), logabs.astype(dtype)), "LinalgSlogdetBackward0", (A,), backward,
                               saves=(A,)))


def logdet(input):
    """log(det) of each square matrix: nan for a negative determinant, -inf for zero."""
    sgn, logabs = linalg_slogdet(input)
    return where(sgn < 0, float("nan"), where(sgn == 0, float("-inf"), logabs))


# ----- Cholesky -------------------------------------------------------------------------------------------------------
def _leading_minor(xp, a):
    """The order of the first leading minor of `a` that is not positive-definite."""
    for k in range(1, a.shape[-1] + 1):
        try:
            xp.linalg.cholesky(a[:k, :k])
        except Exception:
            return k
    return 0


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info): the lower (or upper) Cholesky factor of each symmetric positive-definite matrix; info > 0 is
    the order of the first leading minor that is not positive-definite."""
    _check_square("linalg.cholesky", A)
    xp = array_module(A._data)
    data = A._data
    flat = data.reshape((-1,) + data.shape[-2:])
    factors, infos = [], []
    for a in flat:
        try:
            factors.append(xp.linalg.cholesky(xp.tril(a) + _mT_array(xp.tril(a, -1))))
            infos.append(0)
        except Exception:
            factors.append(xp.full(a.shape, np.nan, a.dtype))
            infos.append(_leading_minor(xp, xp.tril(a) + _mT_array(xp.tril(a, -1))))
    factor = (xp.stack(factors) if factors else flat.copy()).reshape(data.shape).astype(data.dtype)
    factor = xp.tril(factor)
    info = xp.asarray(infos, dtype=np.int32).reshape(data.shape[:-2])
    if check_errors:
        _raise_not_positive("linalg.cholesky_ex", info)
    out = _mT_array(factor) if upper else factor

    def backward(g, g_info):
        L = linalg_cholesky(A, upper=upper)
        return (_cholesky_grad(_mT(L) if upper else L, _mT(g) if upper else g),)
    return _CHOLESKY_EX(make_multi((out, info), "LinalgCholeskyExBackward0", (A,), backward, saves=(A,)))


def _mT_array(a):
    return a.swapaxes(-1, -2)


def _raise_not_positive(op, info):
    if not has_data(info):
        return
    flat = info.reshape(-1).tolist()
    bad = [i for i, v in enumerate(flat) if v]
    if bad:
        label = _batch_label(bad[0], info.ndim > 0)
        raise LinAlgError(f"{op}: {label}The factorization could not be completed because the input is not "
                          f"positive-definite (the leading minor of order {flat[bad[0]]} is not positive-definite).")


def _cholesky_grad(L, gL):
    """The gradient of A = L L^T (only A's lower triangle is read) from that of L (torch's formula):
    L^-T Phi(L^T gL) L^-1, with Phi keeping the lower triangle and halving the diagonal, made symmetric."""
    phi = tril(_mT(L) @ gL)
    phi = 0.5 * (phi + _mT(tril(phi, -1)))
    inner = solve_triangular(_mT(L), phi, upper=True)
    return solve_triangular(L, inner, upper=False, left=False)


def linalg_cholesky(A, *, upper=False):
    """The Cholesky factor of each symmetric positive-definite matrix (LinAlgError otherwise)."""
    L, info = cholesky_ex(A, upper=upper)
    _raise_not_positive("linalg.cholesky", info._data)
    return L


def _deprecated_cholesky(input, upper=False):
    """torch.cholesky (deprecated by torch in favour of linalg.cholesky)."""
    _warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future "
                   "PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = torch.linalg.cholesky(A)\n"
                   "and\nU = torch.cholesky(A, upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\n"
                   "This transform will produce equivalent results for all valid (symmetric positive definite) inputs.")
    L = linalg_cholesky(input, upper=upper)
    return make(L._data, "CholeskyBackward0", (L,), lambda g: (g,), saves=False)


def cholesky_solve(B, L, upper=False):
    """X with (L L^T) X = B (U^T U with upper=True), from the Cholesky factor."""
    lower = _mT(L) if upper else L
    X = solve_triangular(_mT(lower), solve_triangular(lower, B, upper=False), upper=True)
    return make(X._data, "CholeskySolveBackward0", (X,), lambda g: (g,), saves=False)


def cholesky_inverse(L, upper=False):
    """The inverse of L L^T (U^T U with upper=True), from the Cholesky factor."""
    lower = _mT(L) if upper else L
    n = L.shape[-1]
    eye = expand(_eye_like(L, n), L.shape)
    X = solve_triangular(_mT(lower), solve_triangular(lower, eye, upper=False), upper=True)
    return make(X._data, "CholeskyInverseBackward0", (X,), lambda g: (g,), saves=False)


# ----- triangular solves ----------------------------------------------------------------------------------------------
def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (X A = B with left=False) for triangular A: only A's upper (or lower) triangle is read,
    and its diagonal is taken as ones with unitriangular=True."""
    if A.ndim < 2 or B.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor " + ("A" if A.ndim < 2 else "B") +
                           " must have at least 2 dimensions.")
    xp = array_module(A._data)
    tri = xp.triu(A._data) if upper else xp.tril(A._data)
    if unitriangular:
        n = tri.shape[-1]
        tri = tri * (1 - xp.eye(n, dtype=tri.dtype)) + xp.eye(n, dtype=tri.dtype)
    b = B._data.astype(A._data.dtype, copy=False)  # torch computes in A's dtype
    b = b if left else _mT_array(b)
    a = tri if left else _mT_array(tri)
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = xp.broadcast_to(a, tuple(batch) + a.shape[-2:])
    b = xp.broadcast_to(b, tuple(batch) + b.shape[-2:])
    with np.errstate(all="ignore"):
        x = xp.linalg.solve(a, b) if a.size and b.size else xp.zeros(b.shape, b.dtype)
    x = x if left else _mT_array(x)

    def backward(g):
        X = solve_triangular(A, B, upper=upper, left=left, unitriangular=unitriangular)
        if left:
            gB = solve_triangular(_mT(A), g, upper=not upper, unitriangular=unitriangular)
            gA = -gB @ _mT(X)
        else:
            gB = solve_triangular(_mT(A), g, upper=not upper, left=False, unitriangular=unitriangular)
            gA = -_mT(X) @ gB
        gA = triu(gA, 1 if unitriangular else 0) if upper else tril(gA, -1 if unitriangular else 0)
        return (sum_to(gA, A.shape) if A._requires_grad else None,
                sum_to(gB, B.shape) if B._requires_grad else None)
    return make(x.astype(A._data.dtype, copy=False), "LinalgSolveTriangularBackward0", (A, B), backward)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve: (X with A X = b (A^T X = b with transpose), a copy of A)."""
    coefficient = _mT(A) if transpose else A
    X = solve_triangular(coefficient, b, upper=upper != transpose, unitriangular=unitriangular)
    outs = make_multi((X._data, A._data.copy()), "TriangularSolveBackward0", (X, A),
                      lambda gx, ga: (gx, ga), saves=False)
    return _TRIANGULAR_SOLVE(outs)


# ----- symmetric eigenproblems ----------------------------------------------------------------------------------------
def eigh(A, UPLO="L"):
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix, read from its lower (or upper)
    triangle. The eigenvectors' signs are as LAPACK returns them."""
    _check_square("linalg.eigh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    xp = array_module(A._data)
    values, vectors = xp.linalg.eigh(A._data, UPLO=UPLO)
    dtype = A._data.dtype

    def backward(g_values, g_vectors):
        L, V = eigh(A, UPLO)
        inner = 0
        if g_vectors is not None:
            # the skew part of V^T gV over the eigenvalue gaps E_ij = L_j - L_i (0 on the diagonal)
            gaps = L.unsqueeze(-2) - L.unsqueeze(-1)
            diagonal_ = Tensor._wrap(array_module(L._data).eye(L.shape[-1], dtype=bool))
            gaps = where(diagonal_, float("inf"), gaps)
            projected = _mT(V) @ g_vectors
            inner = (projected - _mT(projected)) / 2 / gaps
        if g_values is not None:
            inner = inner + _diag_matrix(g_values)
        return (V @ inner @ _mT(V),)
    return _EIGH(make_multi((values.astype(dtype), vectors.astype(dtype)), "LinalgEighBackward0", (A,), backward,
                            saves=(A,)))


def _diag_matrix(v):
    """Matrices with `v`'s last dim on their diagonals."""
    from .views import diag_embed
    return diag_embed(v)


def eigvalsh(A, UPLO="L"):
    """The eigenvalues (ascending) of each symmetric matrix."""
    values, _ = eigh(A, UPLO)
    return values


# ----- pseudo-inverse and least squares -------------------------------------------------------------------------------
def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse of each matrix, from the SVD with singular values below
    max(atol, rtol * largest) treated as zero (rtol defaults to eps * max(m, n) when atol is not given)."""
    if A.ndim < 2 or not A.dtype.is_floating_point:
        raise RuntimeError(f"linalg.pinv({A.dtype.scalar_name}{{{list(A.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    data = A._data
    xp = array_module(data)
    m, n = data.shape[-2], data.shape[-1]
    if rtol is None:
        rtol = float(np.finfo(data.dtype).eps) * max(m, n) if atol is None or atol == 0 else 0.0
    if data.size:
        u, s, vh = xp.linalg.svd(data, full_matrices=False)
        cut = xp.maximum(0 if atol is None else atol, rtol * s[..., :1])
        inv_s = xp.where(s > cut, 1 / xp.where(s > cut, s, 1), 0)
        out = (_mT_array(vh) * inv_s[..., None, :]) @ _mT_array(u)
    else:
        out = xp.zeros(data.shape[:-2] + (n, m), data.dtype)

    def backward(g):
        P = pinv(A, atol=atol, rtol=rtol)
        return (_pinv_grad(A, P, g),)
    return make(out.astype(data.dtype, copy=False), "LinalgPinvBackward0", (A,), backward)


def _pinv_grad(A, P, g):
    """The gradient of P = pinv(A) for A of constant rank:
    -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A)."""
    m, n = A.shape[-2], A.shape[-1]
    eye_m, eye_n = _eye_like(A, m), _eye_like(A, n)
    return (-_mT(P) @ g @ _mT(P) + (eye_m - A @ P) @ _mT(g) @ P @ _mT(P)
            + _mT(P) @ P @ _mT(g) @ (eye_n - P @ A))


def pinverse(input, rcond=1e-15):
    """torch.pinverse: linalg.pinv with rcond as its rtol."""
    return pinv(input, rtol=rcond)


def lstsq(A, B, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of min ||A X - B|| for each A (m, n), as torch's default cpu
    driver ('gelsy') reports them: the minimum-norm solution, the rank, and empty residuals and singular values."""
    _check_matrix("linalg.lstsq", A)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {_dtype_name(A.dtype)} and other's dtype {_dtype_name(B.dtype)}")
    vector = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    if A.shape[-2] != b.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    xp = array_module(A._data)
    eps = float(np.finfo(A._data.dtype).eps)
    rtol = eps * max(A.shape[-2], A.shape[-1]) if rcond is None else rcond
    P = pinv(A.detach(), rtol=rtol)
    solution = (P @ b.detach())._data
    s = xp.linalg.svd(A._data, compute_uv=False) if A.numel() else xp.zeros(A.shape[:-2] + (0,), A._data.dtype)
    rank = (s > rtol * s[..., :1]).sum(-1).astype(np.int64) if s.shape[-1] else xp.zeros(s.shape[:-1], np.int64)
    if vector:
        solution = solution[..., 0]

    def backward(g_solution, g_residuals):
        Pl = pinv(A, rtol=rtol)
        gx = g_solution.unsqueeze(-1) if vector else g_solution
        gA = _pinv_grad(A, Pl, gx @ _mT(b)) if A._requires_grad else None
        gB = _mT(Pl) @ gx if B._requires_grad else None
        return gA, (gB.squeeze(-1) if vector and gB is not None else gB)
    empty = xp.zeros(0, A._data.dtype)
    solution_t, residuals = make_multi((solution.astype(A._data.dtype), empty), "LinalgLstsqBackward0", (A, B),
                                       backward, saves=(A, B))
    return _LSTSQ((solution_t, residuals, Tensor._wrap(xp.asarray(rank)), Tensor._wrap(empty.copy())))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """The number of singular values above max(atol, rtol * largest) (rtol defaults to eps * max(m, n))."""
    _check_matrix("linalg.matrix_rank", A)
    data = A._data
    xp = array_module(data)
    if tol is not None:
        atol, rtol = tol, 0.0
    if rtol is None:
        rtol = float(np.finfo(data.dtype).eps) * max(data.shape[-2:]) if atol is None or atol == 0 else 0.0
    s = xp.linalg.svd(data, compute_uv=False) if data.size else xp.zeros(data.shape[:-2] + (0,), data.dtype)
    cut = xp.maximum(0 if atol is None else atol, rtol * (s[..., :1] if s.shape[-1] else 0))
    return make((s > cut).sum(-1).astype(np.int64), "matrix_rank", (), None)


# ----- powers and products --------------------------------------------------------------------------------------------
def matrix_power(A, n):
    """A multiplied by itself n times (n < 0: the inverse's power; n = 0: the identity)."""
    _check_square("linalg.matrix_power", A)
    if n == 0:  # identities copied into a clone of A, as torch does (A gets a zero gradient)
        return A.clone().copy_(expand(_eye_like(A, A.shape[-1]), A.shape))
    base = inv(A) if n < 0 else A
    k = -n if n < 0 else n
    if k == 1:
        return base.clone()
    result = None
    power = base
    while k:  # binary powering, as torch does
        if k & 1:
            result = power if result is None else matmul(result, power)
        k >>= 1
        if k:
            power = matmul(power, power)
    return result


def multi_dot(tensors):
    """The product of the matrices in order (the first may be a row vector, the last a column vector), in the
    cheapest order of multiplication."""
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_vector, last_vector = tensors[0].ndim == 1, tensors[-1].ndim == 1
    mats = [tensors[0].unsqueeze(0) if first_vector else tensors[0], *tensors[1:-1],
            tensors[-1].unsqueeze(-1) if last_vector else tensors[-1]]
    for i, t in enumerate(mats):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D" if 0 < i < len(mats) - 1
                               else f"multi_dot(): the {'first' if i == 0 else 'last'} tensor must be 1D or 2D but "
                               f"got {tensors[i].ndim}D")
    for i in range(len(mats) - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                               f"{list(tensors[i + 1].shape)} cannot be multiplied")
    product = _chain(mats, _chain_order([t.shape[0] for t in mats] + [mats[-1].shape[1]]), 0, len(mats) - 1)
    shape = [s for s, keep in ((product.shape[0], not first_vector), (product.shape[1], not last_vector)) if keep]
    return reshape(product, shape)


def _chain_order(dims):
    """The split points of the cheapest parenthesisation of a matrix chain (the textbook dynamic program)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(mats, split, i, j):
    if i == j:
        return mats[i]
    k = split[i][j]
    return mm(_chain(mats, split, i, k), _chain(mats, split, k + 1, j))


def vecdot(x, y, *, dim=-1):
    """The dot product of x and y along `dim` (x conjugated), the other dims broadcasting."""
    return sum(x.conj() * y, dim)


def linalg_vander(x, *, N=None):
    """The Vandermonde matrices of the last dim of x: powers x^0 ... x^(N-1) along a new last dim."""
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    from .scan import cumprod
    from .shape import cat
    base = x if x.dtype._category > 1 else x.to(_dtype.int64)
    powers = cumprod(base.unsqueeze(-1).expand(*x.shape, n - 1), -1)
    return cat([base.unsqueeze(-1) * 0 + 1, powers], -1)


def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """torch.linalg.diagonal: diagonal() with the last two dims as default."""
    return diagonal(A, offset, dim1, dim2)


def slogdet(A):
    """torch.slogdet: linalg.slogdet under torch's older result name."""
    return _TORCH_SLOGDET(linalg_slogdet(A))


_TORCH_SLOGDET = return_type("slogdet", ("sign", "logabsdet"))
cholesky = _deprecated_cholesky
__all__ = ["inverse", "det", "logdet", "slogdet", "cholesky", "cholesky_solve", "cholesky_inverse", "pinverse",
           "matrix_power", "lu_unpack", "lu_solve", "triangular_solve", "lu"]
LINALG = {"inv": inv, "inv_ex": inv_ex, "det": det, "slogdet": linalg_slogdet, "cholesky": linalg_cholesky,
          "cholesky_ex": cholesky_ex, "eigh": eigh, "eigvalsh": eigvalsh, "solve_triangular": solve_triangular,
          "lu_factor": lu_factor, "lu_factor_ex": lu_factor_ex, "lu": linalg_lu, "lu_solve": linalg_lu_solve,
          "pinv": pinv, "lstsq": lstsq, "matrix_rank": matrix_rank, "matrix_power": matrix_power,
          "multi_dot": multi_dot, "vecdot": vecdot, "vander": linalg_vander, "diagonal": linalg_diagonal}
_METHODS = {name: globals()[name] for name in ("inverse", "det", "logdet", "slogdet", "cholesky_solve",
                                                "cholesky_inverse", "pinverse", "matrix_power", "triangular_solve",
                                                "cholesky", "lu", "lu_solve")}
_INPLACE = {}
