"""torch.linalg's decompositions, solves, norms and matrix exponential (minitorch.linalg), plus geqrf, vdot,
norm_except_dim and _weight_norm: values, grad_fn names and input gradients against PyTorch, float64
gradcheck with double backward for each differentiable op, and torch's errors."""
import math

import numpy as np
import pytest

import minitorch

from ._ops_parity import check_grads, compare, cuda_matches_cpu, data, same_error


def _spd_like(shape, seed=0):
    """Well-conditioned square matrices: identity times the size plus noise (so solves are stable)."""
    n = shape[-1]
    return data(shape, seed=seed) + n * np.eye(n)


# ----- values, grad_fn and gradients against torch ------------------------------------------------
PARITY = {
    "matrix_exp": (lambda L, a: L.linalg.matrix_exp(a), [(3, 3)]),
    "matrix_exp batch": (lambda L, a: L.matrix_exp(a * 3), [(2, 4, 4)]),
    "matrix_exp method": (lambda L, a: a.matrix_exp(), [(2, 2)]),
    "qr tall": (lambda L, a: L.linalg.qr(a), [(5, 3)]),
    "qr square batch": (lambda L, a: L.linalg.qr(a), [(2, 3, 3)]),
    "qr wide": (lambda L, a: L.linalg.qr(a), [(3, 5)]),
    "qr complete wide": (lambda L, a: L.linalg.qr(a, mode="complete"), [(2, 4)]),
    "svdvals": (lambda L, a: L.linalg.svdvals(a), [(4, 3)]),
    "svdvals batch": (lambda L, a: L.linalg.svdvals(a), [(2, 3, 5)]),
    "svd reconstruction": (lambda L, a: (lambda u, s, vh: (u * s.unsqueeze(-2)) @ vh)(
        *L.linalg.svd(a, full_matrices=False)), [(4, 3)]),
    "svd projector": (lambda L, a: (lambda u, s, vh: u[:, :2] @ u[:, :2].T + vh[:2].T @ vh[:2])(
        *L.linalg.svd(a, full_matrices=False)), [(4, 4)]),
    "householder_product": (lambda L, a, t: L.linalg.householder_product(a, t), [(5, 3), (3,)]),
    "householder_product fewer": (lambda L, a, t: L.orgqr(a, t), [(2, 4, 3), (2, 2)]),
    "vector_norm 3": (lambda L, a: L.linalg.vector_norm(a, 3, dim=1), [(3, 4)]),
    "vector_norm inf keepdim": (lambda L, a: L.linalg.vector_norm(a, math.inf, (0, 1), True), [(3, 4)]),
    "matrix_norm fro": (lambda L, a: L.linalg.matrix_norm(a), [(2, 3, 4)]),
    "matrix_norm nuc": (lambda L, a: L.linalg.matrix_norm(a, "nuc"), [(2, 3, 4)]),
    "matrix_norm 2 dims": (lambda L, a: L.linalg.matrix_norm(a, 2, dim=(0, 2), keepdim=True), [(3, 2, 4)]),
    "matrix_norm -2": (lambda L, a: L.linalg.matrix_norm(a, -2), [(3, 4)]),
    "matrix_norm 1": (lambda L, a: L.linalg.matrix_norm(a, 1), [(2, 3, 4)]),
    "matrix_norm -1 keepdim": (lambda L, a: L.linalg.matrix_norm(a, -1, keepdim=True), [(3, 4)]),
    "matrix_norm inf dims": (lambda L, a: L.linalg.matrix_norm(a, math.inf, dim=(2, 0)), [(3, 2, 4)]),
    "matrix_norm -inf": (lambda L, a: L.linalg.matrix_norm(a, -math.inf), [(3, 4)]),
    "norm default": (lambda L, a: L.linalg.norm(a), [(2, 3, 4)]),
    "norm ord matrix": (lambda L, a: L.linalg.norm(a, 1), [(3, 4)]),
    "norm ord vector": (lambda L, a: L.linalg.norm(a, 1), [(4,)]),
    "norm dim int": (lambda L, a: L.linalg.norm(a, 3, dim=-1), [(3, 4)]),
    "norm nuc": (lambda L, a: L.linalg.norm(a, "nuc", dim=(1, 2)), [(2, 3, 4)]),
    "vdot": (lambda L, a, b: L.vdot(a, b), [(4,), (4,)]),
    "vdot method": (lambda L, a, b: a.vdot(b), [(3,), (3,)]),
    "norm_except_dim 0": (lambda L, v: L.norm_except_dim(v, 2, 0), [(3, 4, 2)]),
    "norm_except_dim middle": (lambda L, v: L.norm_except_dim(v, 2, 1), [(3, 4, 2)]),
    "norm_except_dim last": (lambda L, v: L.norm_except_dim(v, 3, 2), [(3, 4, 2)]),
    "_weight_norm fused": (lambda L, v, g: L._weight_norm(v, g, 0), [(4, 3), (4, 1)]),
    "_weight_norm fused last": (lambda L, v, g: L._weight_norm(v, g, 1), [(4, 3), (1, 3)]),
    "_weight_norm composite": (lambda L, v, g: L._weight_norm(v, g, 1), [(2, 3, 4), (1, 3, 1)]),
}


@pytest.mark.parametrize("dtype", ("float32", "float64"))
@pytest.mark.parametrize("case", PARITY, ids=str)
def test_linalg_parity(torch, case, dtype):
    fn, shapes = PARITY[case]
    compare(torch, fn, *(data(s, dtype, seed=i + 1) for i, s in enumerate(shapes)))


SOLVES = {
    "matrix": ((3, 3), (3, 2), {}),
    "vector": ((3, 3), (3,), {}),
    "batch of vectors": ((2, 3, 3), (2, 3), {}),
    "broadcast batch": ((3, 3), (4, 3, 2), {}),
    "broadcast A": ((2, 1, 3, 3), (5, 3, 1), {}),
    "left=False": ((3, 3), (4, 3), {"left": False}),
}


@pytest.mark.parametrize("dtype", ("float32", "float64"))
@pytest.mark.parametrize("case", SOLVES, ids=str)
def test_solve_parity(torch, case, dtype):
    a_shape, b_shape, kwargs = SOLVES[case]
    a, b = _spd_like(a_shape, seed=1).astype(dtype), data(b_shape, dtype, seed=2)
    compare(torch, lambda L, x, y: L.linalg.solve(x, y, **kwargs), a, b)


def test_decompositions_reconstruct_their_input():
    a = minitorch.tensor(data((2, 5, 3), seed=4))
    q, r = minitorch.linalg.qr(a)
    assert minitorch.allclose(q @ r, a) and minitorch.allclose(q.mT @ q, minitorch.eye(3, dtype=a.dtype))
    assert minitorch.allclose(r, r.triu())
    h, tau = minitorch.geqrf(a)
    assert minitorch.allclose(minitorch.linalg.householder_product(h, tau), q)
    u, s, vh = minitorch.linalg.svd(a)
    assert u.shape == (2, 5, 5) and vh.shape == (2, 3, 3)
    assert minitorch.allclose((u[..., :3] * s.unsqueeze(-2)) @ vh, a)
    x = minitorch.tensor(data((3, 3), seed=5)) * 0.5
    assert minitorch.allclose(minitorch.linalg.matrix_exp(x) @ minitorch.linalg.matrix_exp(-x),
                              minitorch.eye(3, dtype=x.dtype))
    assert minitorch.allclose(minitorch.linalg.matrix_exp(x * 40), minitorch.linalg.matrix_exp(x * 20)
                              @ minitorch.linalg.matrix_exp(x * 20), rtol=1e-9)


def test_norm_except_dim_minus_one_is_the_whole_norm():
    v = minitorch.tensor(data((3, 4), seed=3))
    assert minitorch.allclose(minitorch.norm_except_dim(v, 2, -1), (v * v).sum().sqrt())


def test_geqrf_and_qr_r_parity(torch):
    a = data((4, 3), seed=6)
    ours, theirs = minitorch.geqrf(minitorch.tensor(a)), torch.geqrf(torch.tensor(a))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), atol=1e-12)
    assert repr(ours).split("(")[0] == "torch.return_types.geqrf"
    assert ours._fields == ("a", "tau") and ours.a is ours[0]
    q, r = minitorch.linalg.qr(minitorch.tensor(a), mode="r")
    assert q.shape == (0,) and minitorch.allclose(r, minitorch.linalg.qr(minitorch.tensor(a)).R)
    assert repr(minitorch.linalg.qr(minitorch.tensor(a))).startswith("torch.return_types.linalg_qr(\nQ=tensor(")


# ----- gradcheck in float64, with double backward ------------------------------------------------
def _shifted(L, a):
    """a + 3I: well conditioned for a solve."""
    return a + 3 * L.eye(a.shape[-1], dtype=a.dtype, device=a.device)


GRADCHECKS = {
    "matrix_exp": (lambda L, a: L.linalg.matrix_exp(a * 2), [(3, 3)]),
    "solve": (lambda L, a, b: L.linalg.solve(_shifted(L, a), b), [(3, 3), (2, 3, 2)]),
    "solve vector left=False": (lambda L, a, b: L.linalg.solve(_shifted(L, a), b, left=False), [(3, 3), (2, 3)]),
    "qr tall": (lambda L, a: L.linalg.qr(a), [(4, 3)]),
    "qr wide": (lambda L, a: L.linalg.qr(a), [(2, 4)]),
    "householder_product": (lambda L, a, t: L.linalg.householder_product(a, t), [(4, 3), (2,)]),
    "svdvals": (lambda L, a: L.linalg.svdvals(a), [(3, 4)]),
    "svd": (lambda L, a: (lambda u, s, vh: (u[:, :1] @ u[:, :1].T, s, vh[:1].T @ vh[:1]))(
        *L.linalg.svd(a, full_matrices=False)), [(4, 3)]),
    "matrix_norm nuc": (lambda L, a: L.linalg.matrix_norm(a, "nuc"), [(3, 4)]),
    "matrix_norm 2": (lambda L, a: L.linalg.matrix_norm(a, 2), [(3, 4)]),
    "matrix_norm inf": (lambda L, a: L.linalg.matrix_norm(a, math.inf), [(3, 4)]),
    "vector_norm": (lambda L, a: L.linalg.vector_norm(a, 3, -1), [(3, 4)]),
    "vdot": (lambda L, a, b: L.vdot(a, b), [(3,), (3,)]),
    "_weight_norm": (lambda L, v, g: L._weight_norm(v, g, 0), [(3, 4), (3, 1)]),
    "norm_except_dim": (lambda L, v: L.norm_except_dim(v, 2, 1), [(3, 4, 2)]),
}


@pytest.mark.parametrize("case", GRADCHECKS, ids=str)
def test_linalg_gradcheck(case):
    fn, shapes = GRADCHECKS[case]
    check_grads(fn, *(data(s, seed=i + 11) for i, s in enumerate(shapes)))


# ----- errors ----------------------------------------------------------------------------------
ERRORS = [
    (lambda L, a: L.linalg.matrix_exp(a), [(3, 4)]),
    (lambda L, a: L.linalg.matrix_exp(a), [(3,)]),
    (lambda L, a: L.linalg.matrix_exp(a.long()), [(3, 3)]),
    (lambda L, a: L.linalg.qr(a), [(3,)]),
    (lambda L, a: L.linalg.qr(a, mode="x"), [(3, 3)]),
    (lambda L, a: L.linalg.qr(a.half()), [(3, 3)]),
    (lambda L, a, t: L.linalg.householder_product(a, t), [(3,), (1,)]),
    (lambda L, a, t: L.linalg.householder_product(a, t), [(3, 4), (1,)]),
    (lambda L, a, t: L.linalg.householder_product(a, t), [(4, 3), (4,)]),
    (lambda L, a, t: L.linalg.householder_product(a, t), [(4, 3), (2, 1)]),
    (lambda L, a, t: L.linalg.householder_product(a, t.double()), [(4, 3), (3,)]),
    (lambda L, a, t: L.linalg.householder_product(a, t), [(2, 4, 3), (3, 3)]),
    (lambda L, a, b: L.linalg.solve(a, b), [(3, 4), (3,)]),
    (lambda L, a, b: L.linalg.solve(a, b), [(3, 3), (4,)]),
    (lambda L, a, b: L.linalg.solve(a, b), [(3, 3), (4, 2)]),
    (lambda L, a, b: L.linalg.solve(a, b, left=False), [(3, 3), (3,)]),
    (lambda L, a, b: L.linalg.solve(a, b.double()), [(3, 3), (3,)]),
    (lambda L, a, b: L.linalg.solve(a * 0, b), [(3, 3), (3,)]),
    (lambda L, a: L.linalg.svdvals(a), [(3,)]),
    (lambda L, a: L.linalg.svdvals(a.long()), [(3, 3)]),
    (lambda L, a: L.linalg.matrix_norm(a), [(3,)]),
    (lambda L, a: L.linalg.matrix_norm(a, "abc"), [(3, 3)]),
    (lambda L, a: L.linalg.matrix_norm(a, 3), [(3, 3)]),
    (lambda L, a: L.linalg.matrix_norm(a, dim=(0, 0)), [(3, 3)]),
    (lambda L, a: L.linalg.matrix_norm(a.long()), [(3, 3)]),
    (lambda L, a: L.linalg.norm(a, 2), [(2, 2, 2)]),
    (lambda L, a: L.linalg.norm(a, "fro", dim=0), [(3, 3)]),
    (lambda L, a: L.linalg.norm(a, "fro"), [(3,)]),
    (lambda L, a: L.linalg.vector_norm(a, "fro"), [(3, 3)]),
    (lambda L, a, b: L.vdot(a, b.double()), [(3,), (3,)]),
    (lambda L, a, b: L.vdot(a, b), [(3, 1), (3, 1)]),
    (lambda L, a: L.geqrf(a), [(3,)]),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_linalg_errors_match_torch(torch, case):
    fn, shapes = ERRORS[case]
    same_error(torch, fn, *(data(s, "float32", seed=i) for i, s in enumerate(shapes)))


def test_singular_solve_is_a_linalg_error():
    with pytest.raises(minitorch.linalg.LinAlgError, match="input matrix is singular"):
        minitorch.linalg.solve(minitorch.zeros(2, 2), minitorch.ones(2))
    assert issubclass(minitorch.linalg.LinAlgError, RuntimeError)


def test_backward_errors_match_torch(torch):
    for lib in (minitorch, torch):
        a = lib.tensor(data((4, 3)), requires_grad=True)
        with pytest.raises(RuntimeError, match="depends on Q, which is not computed when mode='r'"):
            lib.linalg.qr(a, mode="r")[1].sum().backward()
        with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
            lib.linalg.qr(a, mode="complete")[1].sum().backward()
        with pytest.raises(NotImplementedError, match="the derivative for 'geqrf' is not implemented."):
            lib.geqrf(a)[0].sum().backward()


@pytest.mark.cuda
@pytest.mark.parametrize("case", GRADCHECKS, ids=str)
def test_linalg_cuda_matches_cpu(case):
    fn, shapes = GRADCHECKS[case]
    cuda_matches_cpu(fn, *(data(s, seed=i + 11) for i, s in enumerate(shapes)))
