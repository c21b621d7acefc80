"""Matrix decompositions, linear solves and the matrix exponential of torch.linalg: qr, geqrf,
householder_product, svd, svdvals, solve, matrix_exp. They act on the last two dims (the ones before are
batch dims). Forwards run LAPACK through the array module (numpy.linalg or cupy.linalg); each backward is
written with tensor ops, so that `create_graph=True` differentiates it again.

Real dtypes only (minitorch has no complex tensors), float32 and float64 as torch's cpu kernels."""
import numpy as np

from .._device import array_module
from ..backends.meta import has_data
from .._tensor import Tensor
from ._core import broadcast_shapes, make, make_multi, sum_to
from .linalg import _mT, matmul
from .pointwise import _detached_or_live, _dtype_name, _zeros_like
from .reduce import return_type
from .shape import cat, stack

_QR, _GEQRF, _SVD = return_type("linalg_qr", ("Q", "R")), return_type("geqrf", ("a", "tau")), \
    return_type("linalg_svd", ("U", "S", "Vh"))


class LinAlgError(RuntimeError):
    """A linear algebra routine failed on its input (a singular matrix ...): torch.linalg.LinAlgError."""


# named as torch names it in tracebacks (torch._C._LinAlgError)
LinAlgError.__module__, LinAlgError.__name__, LinAlgError.__qualname__ = "torch._C", "_LinAlgError", "_LinAlgError"


# ----- input checks ----------------------------------------------------------------------------------
def _check_matrix(op, A, kernel=None):
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    _check_floating(op, A, kernel)


def _check_floating(op, A, kernel=None):
    """A real floating dtype; LAPACK has no half precision (`kernel` names torch's cpu kernel for the
    error), matrix_exp computes it in float64 (kernel None)."""
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {_dtype_name(A.dtype)}")
    if kernel and A.dtype.itemsize < 4:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype_name(A.dtype)}'")


def _check_square(op, A, kernel=None):
    _check_matrix(op, A, kernel)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


def _eye_like(A, n, m=None):
    """The n x m identity (m defaults to n), as a constant tensor of A's dtype and device."""
    return Tensor._wrap(array_module(A._data).eye(n, m, dtype=A._data.dtype))


# ----- matrix_exp --------------------------------------------------------------------------------------
# Higham's scaling and squaring with the degree-13 Pade approximant (SIAM J. Matrix Anal. Appl. 26, 2005):
# exp(A) = r(A / 2^s)^(2^s), with s the smallest power that brings the 1-norm under THETA_13.
_PADE_13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
            129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0,
            960960.0, 16380.0, 182.0, 1.0)
_THETA_13 = 5.371920351148152


def _expm(a):
    """exp of each matrix in the batch `a`, computed in float64."""
    xp = array_module(a)
    work = a.astype(np.float64)
    if not work.size or not has_data(a):  # meta: the shape is all there is
        return work.astype(a.dtype)
    norm = float(xp.abs(work).sum(axis=-2).max())
    squarings = int(np.ceil(np.log2(norm / _THETA_13))) if np.isfinite(norm) and norm > _THETA_13 else 0
    work = work / 2.0 ** squarings
    b = _PADE_13
    ident = xp.broadcast_to(xp.eye(a.shape[-1]), work.shape)
    a2 = work @ work
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = work @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * ident
    result = xp.linalg.solve(v - u, v + u)
    for _ in range(squarings):
        result = result @ result
    return result.astype(a.dtype)


def matrix_exp(A):
    """The matrix exponential sum_k A^k / k! of each square matrix."""
    _check_square("linalg.matrix_exp", A)

    def backward(g):
        # the gradient is the top-right block of exp([[A^T, g], [0, A^T]]) (the Frechet derivative)
        n = A.shape[-1]
        at = _mT(A)
        block = cat([cat([at, g], -1), cat([_zeros_like(g), at], -1)], -2)
        return (matrix_exp(block)[..., :n, n:],)
    return make(_expm(A._data), "LinalgMatrixExpBackward0", (A,), backward)


# ----- solve -----------------------------------------------------------------------------------------
def solve(A, B, *, left=True):
    """X with A X = B (X A = B with left=False) for square A; B is a batch of vectors (..., n) when it is
    1-D or has A's batch shape, else a batch of matrices (..., n, k). Batch dims broadcast."""
    _check_square("linalg.solve", A, "lu_cpu")
    _check_floating("linalg.solve", B, "lu_cpu")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_dtype_name(A.dtype)} and B of type {_dtype_name(B.dtype)} instead")
    vector = B.ndim == 1 or B.ndim == A.ndim - 1 and B.shape == A.shape[:-1]
    a, b = A._data, B._data[..., None] if vector else B._data
    n = a.shape[-1]
    if b.shape[-2 if left else -1] != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation {equation} "
                           f"({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")
    xp = array_module(a)
    if not left:
        a, b = a.swapaxes(-1, -2), b.swapaxes(-1, -2)
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])  # same ranks: NumPy 1 takes a lower-rank b for vectors
    a, b = xp.broadcast_to(a, batch + a.shape[-2:]), xp.broadcast_to(b, batch + b.shape[-2:])
    try:
        x = xp.linalg.solve(a, b) if left else xp.linalg.solve(a, b).swapaxes(-1, -2)
    except np.linalg.LinAlgError:
        raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") from None
    out = make(x[..., 0] if vector else x, "LinalgSolveExBackward0", (A, B), None)
    if out._grad_fn is not None:
        def backward(g):
            # gB solves the transposed system; gA = -gB X^T (-X^T gB with left=False); batch dims broadcast
            x = _detached_or_live(out)
            g_b = solve(_mT(A), g, left=left)
            gm, xm = (g_b.unsqueeze(-1), x.unsqueeze(-1)) if vector else (g_b, x)
            g_a = -matmul(gm, _mT(xm)) if left else -matmul(_mT(xm), gm)
            return (sum_to(g_a, A.shape) if A._requires_grad else None,
                    sum_to(g_b, B.shape) if B._requires_grad else None)
        out._grad_fn._backward_fn = backward
    return out


# ----- QR --------------------------------------------------------------------------------------------
def qr(A, mode="reduced"):
    """A = Q R with Q's columns orthonormal and R upper triangular (LAPACK's signs: R's diagonal may be
    negative). mode: 'reduced' (Q is m x k, k = min(m, n)), 'complete' (Q is m x m) or 'r' (R only, Q
    empty)."""
    _check_matrix("linalg.qr", A, "geqrf_cpu")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           f"'r', or 'complete'")
    a = A._data
    xp = array_module(a)
    if mode == "r":
        q, r = xp.empty((0,), a.dtype), xp.linalg.qr(a, mode="r")
    else:
        q, r = xp.linalg.qr(a, mode=mode)
    m, n = a.shape[-2:]

    def backward(g_q, g_r):
        if mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                               "through linalg.qr.")
        if mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > "
                               "ncols.")
        Q, R = (_detached_or_live(out) for out in outs)
        g_q = g_q if g_q is not None else _zeros_like(Q)
        g_r = g_r if g_r is not None else _zeros_like(R)
        if m >= n:
            return (_qr_grad(Q, R, g_q, g_r),)
        # A = [X | Y] with X square: X = Q U, Y = Q V, so Y's gradient is Q gV and X sees gQ + Y gV^T
        Y = A[..., :, m:]
        g_u, g_v = g_r[..., :, :m], g_r[..., :, m:]
        g_x = _qr_grad(Q, R[..., :, :m], g_q + matmul(Y, _mT(g_v)), g_u)
        return (cat([g_x, matmul(Q, g_v)], -1),)
    outs = make_multi((q, r), "LinalgQrBackward0", (A,), backward)
    return _QR(outs)


def _qr_grad(Q, R, g_q, g_r):
    """The gradient of A = Q R (m >= n, R square): (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q, where
    copyltu mirrors the lower triangle onto the upper one."""
    M = matmul(R, _mT(g_r)) - matmul(_mT(g_q), Q)
    lower = M.tril(-1)
    b = g_q + matmul(Q, M.tril() + _mT(lower))
    return _mT(solve(R, _mT(b)))  # b R^-T, through R X^T = b^T


def geqrf(input):
    """LAPACK's compact QR: `a` holds R on and above the diagonal and the Householder vectors below it
    (their leading 1 implicit), `tau` their scales; linalg.householder_product(a, tau) rebuilds Q.
    Not differentiable (as in torch)."""
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    _check_floating("geqrf", input, "geqrf_cpu")
    a = input._data
    xp = array_module(a)
    h, tau = xp.linalg.qr(a, mode="raw")  # h is the transpose of LAPACK's array
    h = xp.ascontiguousarray(h.swapaxes(-1, -2)).astype(a.dtype, copy=False)

    def backward(*grads):
        raise NotImplementedError("the derivative for 'geqrf' is not implemented.")
    return _GEQRF(make_multi((h, tau.astype(a.dtype, copy=False)), "GeqrfBackward0", (input,), backward))


# ----- householder_product -------------------------------------------------------------------------
def householder_product(A, tau):
    """The first n columns of H_1 H_2 ... H_k, with H_i = I - tau_i v_i v_i^T and v_i the i-th column of A
    below the diagonal, with a 1 on it (A is m x n, m >= n >= k = len(tau)): Q from geqrf's output."""
    op = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if n < tau.shape[-1] if tau.ndim else False:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{tau.ndim} and input.ndim is equal to {A.ndim}")
    if tau.shape[:-1] != A.shape[:-2]:
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"{list(tau.shape[:-1])}")
    if tau.dtype is not A.dtype:
        raise RuntimeError(f"{op}: tau dtype {_dtype_name(tau.dtype)} does not match input dtype "
                           f"{_dtype_name(A.dtype)}")
    _check_floating(op, A, "orgqr_cpu")
    a, t = A._data, tau._data
    xp = array_module(a)
    reflectors = xp.tril(a, -1) + xp.eye(m, n, dtype=a.dtype)
    q = xp.broadcast_to(xp.eye(m, n, dtype=a.dtype), a.shape).copy()
    for i in reversed(range(t.shape[-1])):
        v = reflectors[..., :, i:i + 1]
        q -= t[..., i, None, None] * v * (v.swapaxes(-1, -2) @ q)

    def backward(g):
        return _householder_grads(A, tau, g)
    return make(q, "LinalgHouseholderProductBackward0", (A, tau), backward)


def _householder_grads(A, tau, g):
    """With Q = P_i H_i S_i (P_i the reflectors before the i-th, S_i those after, applied to the first n
    columns of I): gH_i = P_i^T g S_i^T, so g tau_i = -(P_i v)^T g (S_i^T v) and
    g v = -tau_i (P_i^T g S_i^T v + S_i g^T P_i v), kept below the diagonal."""
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    V = A.tril(-1) + _eye_like(A, m, n)
    columns = [V[..., :, i:i + 1] for i in range(k)]
    suffixes = [None] * k
    s = _eye_like(A, m, n)
    for i in reversed(range(k)):
        suffixes[i] = s
        s = s - tau[..., i, None, None] * columns[i] * matmul(_mT(columns[i]), s)
    prefix = _eye_like(A, m)
    g_tau, g_v = [], []
    for i in range(k):
        v, t_i = columns[i], tau[..., i, None, None]
        pv = matmul(prefix, v)
        sv = matmul(_mT(suffixes[i]), v)
        g_tau.append(-matmul(_mT(pv), matmul(g, sv))[..., 0, 0])
        g_v.append(-t_i * (matmul(_mT(prefix), matmul(g, sv)) + matmul(suffixes[i], matmul(_mT(g), pv))))
        prefix = prefix - t_i * matmul(pv, _mT(v))
    below = Tensor._wrap(array_module(A._data).tri(m, n, -1, dtype=A._data.dtype))
    g_a = cat(g_v + [_zeros_like(A[..., :, k:])], -1) * below
    return (g_a if A._requires_grad else None,
            (stack(g_tau, -1) if k else _zeros_like(tau)) if tau._requires_grad else None)


# ----- SVD -------------------------------------------------------------------------------------------
def svd(A, full_matrices=True):
    """A = U diag(S) Vh with S descending. With full_matrices, U is m x m and Vh n x n; gradients use only
    their first min(m, n) columns (rows of Vh), as torch's."""
    _check_matrix("linalg.svd", A, "linalg_svd_cpu")
    a = A._data
    u, s, vh = array_module(a).linalg.svd(a, full_matrices=full_matrices)
    k = min(a.shape[-2:])

    def backward(g_u, g_s, g_vh):
        U, S, Vh = (_detached_or_live(o) for o in outs)
        U, Vh = U[..., :, :k], Vh[..., :k, :]
        g_u = None if g_u is None else g_u[..., :, :k]
        g_vh = None if g_vh is None else g_vh[..., :k, :]
        return (_svd_grad(A, U, S, Vh, g_u, g_s, g_vh),)
    outs = make_multi((u, s, vh), "LinalgSvdBackward0", (A,), backward)
    return _SVD(outs)


def _svd_grad(A, U, S, Vh, g_u, g_s, g_vh):
    """gA = U [(J(U^T gU) / E) S + S (J(V^T gV) / E) + diag(gS)] V^T + (I - U U^T) gU S^-1 V^T
    + U S^-1 gV^T (I - V V^T), with J(X) = X - X^T and E_jk = S_k^2 - S_j^2 (1 on the diagonal, where J is
    0). The projections vanish when U (or V) is square."""
    k = S.shape[-1]
    row, col = S.unsqueeze(-1), S.unsqueeze(-2)
    gap = col * col - row * row + _eye_like(A, k)
    inner = _eye_like(A, k) * (g_s.unsqueeze(-2) if g_s is not None else 0)
    if g_u is not None:
        ug = matmul(_mT(U), g_u)
        inner = inner + (ug - _mT(ug)) / gap * col
    if g_vh is not None:
        vg = matmul(Vh, _mT(g_vh))
        inner = inner + row * ((vg - _mT(vg)) / gap)
    grad = matmul(matmul(U, inner), Vh)
    if g_u is not None and A.shape[-2] > k:
        grad = grad + matmul((g_u - matmul(U, matmul(_mT(U), g_u))) / col, Vh)
    if g_vh is not None and A.shape[-1] > k:
        grad = grad + matmul(U / col, g_vh - matmul(matmul(g_vh, _mT(Vh)), Vh))
    return grad


def svdvals(A):
    """The singular values of each matrix, in descending order."""
    _check_matrix("linalg.svd", A, "linalg_svd_cpu")
    a = A._data
    s = array_module(a).linalg.svd(a, compute_uv=False)

    def backward(g):
        U, _, Vh = svd(A, full_matrices=False)  # differentiable when building a double-backward graph
        return (matmul(U * g.unsqueeze(-2), Vh),)
    return make(s, "LinalgSvdBackward0", (A,), backward)


__all__ = ["matrix_exp", "geqrf", "orgqr"]
orgqr = householder_product
_METHODS = {"matrix_exp": matrix_exp, "geqrf": geqrf, "orgqr": orgqr}
_INPLACE = {}
