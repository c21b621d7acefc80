"""Matrix products (matmul and `@`, mm, bmm, mv, dot, outer): forward and backward parity with PyTorch,
including the grad_fn name torch gives each matmul case, gradcheck in float64 with double backward, and
torch's shape and dtype errors."""
import numpy as np
import pytest

import minitorch

from ._ops_parity import check_grads, compare, data, same_error

MATMUL_SHAPES = [
    ((3,), (3,)),              # dot
    ((2, 3), (3, 4)),          # mm
    ((2, 3), (3,)),            # mv
    ((3,), (3, 4)),            # vector @ matrix
    ((4, 2, 3), (4, 3, 5)),    # bmm
    ((4, 2, 3), (3, 5)),       # batch @ matrix (folded into one mm)
    ((4, 2, 3), (3,)),         # batch @ vector (folded into one mv)
    ((2, 3), (4, 3, 5)),       # matrix @ batch
    ((3,), (4, 3, 5)),         # vector @ batch
    ((2, 1, 2, 3), (4, 3, 5)),  # broadcast batch dims
    ((1, 2, 3), (4, 3, 5)),    # batch of one on the left
    ((4, 2, 3), (1, 3, 5)),    # batch of one on the right
    ((3, 1, 2, 3), (1, 4, 3, 1)),
    ((0, 2, 3), (3, 4)),       # empty batch
    ((2, 0), (0, 3)),          # empty inner dim
]


def _case_id(shapes):
    return "@".join("x".join(map(str, s)) or "scalar" for s in shapes)


@pytest.mark.parametrize("dtype", ("float32", "float64"))
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=_case_id)
def test_matmul_parity(torch, shapes, dtype):
    a, b = data(shapes[0], dtype, seed=1), data(shapes[1], dtype, seed=2)
    compare(torch, lambda lib, x, y: lib.matmul(x, y), a, b)
    compare(torch, lambda lib, x, y: x @ y, a, b)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=_case_id)
def test_matmul_grad_fn_when_one_operand_requires_grad(torch, shapes):
    """torch picks its algorithm (and so the result's grad_fn) by which operand requires grad."""
    a, b = data(shapes[0], seed=1), data(shapes[1], seed=2)
    for left in (True, False):
        names = []
        for lib in (minitorch, torch):
            x, y = lib.tensor(a, requires_grad=left), lib.tensor(b, requires_grad=not left)
            out = x @ y
            names.append(out.grad_fn.name())
            grad = lib.autograd.grad(out, x if left else y, lib.ones_like(out))[0]
            names.append(np.round(grad.numpy(), 8).tolist())
        assert names[:2] == names[2:]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES[:13], ids=_case_id)
def test_matmul_gradcheck(shapes):
    check_grads(lambda lib, x, y: x @ y, data(shapes[0], seed=1), data(shapes[1], seed=2))


@pytest.mark.parametrize("dtype", ("int64", "int32", "uint8", "float16"))
@pytest.mark.parametrize("shapes", MATMUL_SHAPES[:9], ids=_case_id)
def test_matmul_other_dtypes(torch, shapes, dtype):
    compare(torch, lambda lib, x, y: x @ y, data(shapes[0], dtype, seed=1), data(shapes[1], dtype, seed=2))


PRODUCTS = {
    "mm": (lambda lib, x, y: lib.mm(x, y), (2, 3), (3, 4)),
    "mm_method": (lambda lib, x, y: x.mm(y), (1, 3), (3, 1)),
    "bmm": (lambda lib, x, y: lib.bmm(x, y), (4, 2, 3), (4, 3, 5)),
    "bmm_method": (lambda lib, x, y: x.bmm(y), (1, 2, 3), (1, 3, 2)),
    "mv": (lambda lib, x, y: lib.mv(x, y), (2, 3), (3,)),
    "mv_method": (lambda lib, x, y: x.mv(y), (4, 3), (3,)),
    "dot": (lambda lib, x, y: lib.dot(x, y), (3,), (3,)),
    "dot_method": (lambda lib, x, y: x.dot(y), (5,), (5,)),
    "outer": (lambda lib, x, y: lib.outer(x, y), (2,), (3,)),
    "ger": (lambda lib, x, y: x.ger(y), (3,), (2,)),
    "rmatmul": (lambda lib, x, y: y.__rmatmul__(x), (2, 3), (3, 4)),
    "matmul_method": (lambda lib, x, y: x.matmul(y), (4, 2, 3), (3,)),
}


@pytest.mark.parametrize("dtype", ("float32", "float64", "int64"))
@pytest.mark.parametrize("case", sorted(PRODUCTS))
def test_products_parity(torch, case, dtype):
    fn, sa, sb = PRODUCTS[case]
    compare(torch, fn, data(sa, dtype, seed=1), data(sb, dtype, seed=2))


@pytest.mark.parametrize("case", sorted(PRODUCTS))
def test_products_gradcheck(case):
    fn, sa, sb = PRODUCTS[case]
    check_grads(fn, data(sa, seed=1), data(sb, seed=2))


def test_outer_promotes_like_mul(torch):
    compare(torch, PRODUCTS["outer"][0], data((2,), "int64"), data((3,)))


def test_matmul_output_feeds_on(torch):
    """A product inside a larger expression: gradients flow through both operands."""
    def fn(lib, x, w, v):
        return ((x @ w).softmax(-1) @ v).sum(0)
    compare(torch, fn, data((3, 2, 4), seed=1), data((4, 5), seed=2), data((5,), seed=3))
    check_grads(fn, data((2, 2, 3), seed=1), data((3, 2), seed=2), data((2,), seed=3))


ERRORS = {
    "dot_sizes": (lambda lib, x, y: lib.dot(x, y), (3,), (4,), "float32", "float32"),
    "dot_rank": (lambda lib, x, y: lib.dot(x, y), (2, 3), (3,), "float32", "float32"),
    "dot_dtype": (lambda lib, x, y: lib.dot(x, y), (3,), (4,), "float64", "float32"),
    "dot_bool": (lambda lib, x, y: lib.dot(x, y), (3,), (3,), "bool", "bool"),
    "mv_sizes": (lambda lib, x, y: lib.mv(x, y), (2, 3), (4,), "float32", "float32"),
    "mv_rank": (lambda lib, x, y: lib.mv(x, y), (3,), (3,), "float32", "float32"),
    "mv_dtype": (lambda lib, x, y: lib.mv(x, y), (2, 3), (3,), "int64", "float64"),
    "mv_bool": (lambda lib, x, y: lib.mv(x, y), (2, 3), (3,), "bool", "bool"),
    "mm_shapes": (lambda lib, x, y: lib.mm(x, y), (2, 3), (4, 5), "float32", "float32"),
    "mm_self_rank": (lambda lib, x, y: lib.mm(x, y), (3,), (3, 4), "float32", "float32"),
    "mm_mat2_rank": (lambda lib, x, y: lib.mm(x, y), (2, 3), (3,), "float32", "float32"),
    "mm_dtype": (lambda lib, x, y: lib.mm(x, y), (2, 3), (3, 4), "float32", "float64"),
    "mm_bool": (lambda lib, x, y: lib.mm(x, y), (2, 3), (3, 4), "bool", "bool"),
    "bmm_rank1": (lambda lib, x, y: lib.bmm(x, y), (2, 3), (2, 3, 4), "float32", "float32"),
    "bmm_rank2": (lambda lib, x, y: lib.bmm(x, y), (2, 2, 3), (3, 4), "float32", "float32"),
    "bmm_batch": (lambda lib, x, y: lib.bmm(x, y), (2, 2, 3), (3, 3, 4), "float32", "float32"),
    "bmm_inner": (lambda lib, x, y: lib.bmm(x, y), (2, 2, 3), (2, 4, 4), "float32", "float32"),
    "bmm_dtype": (lambda lib, x, y: lib.bmm(x, y), (2, 2, 3), (2, 3, 4), "float64", "float32"),
    "bmm_bool": (lambda lib, x, y: lib.bmm(x, y), (2, 2, 3), (2, 3, 4), "bool", "bool"),
    "outer_rank": (lambda lib, x, y: lib.outer(x, y), (2, 2), (3,), "float32", "float32"),
    "outer_rank2": (lambda lib, x, y: lib.outer(x, y), (2,), (3, 1), "float32", "float32"),
    "matmul_0d": (lambda lib, x, y: x @ y, (), (3,), "float32", "float32"),
    "matmul_0d_right": (lambda lib, x, y: lib.matmul(x, y), (3,), (), "float32", "float32"),
    "matmul_1d_1d": (lambda lib, x, y: x @ y, (3,), (4,), "float32", "float32"),
    "matmul_2d_2d": (lambda lib, x, y: x @ y, (2, 3), (4, 5), "float32", "float32"),
    "matmul_2d_1d": (lambda lib, x, y: x @ y, (2, 3), (4,), "float32", "float32"),
    "matmul_1d_2d": (lambda lib, x, y: x @ y, (4,), (3, 5), "float32", "float32"),
    "matmul_3d_3d": (lambda lib, x, y: x @ y, (5, 2, 3), (5, 4, 3), "float32", "float32"),
    "matmul_batch": (lambda lib, x, y: x @ y, (5, 2, 3), (4, 3, 4), "float32", "float32"),
    "matmul_batch_4d": (lambda lib, x, y: x @ y, (6, 5, 2, 3), (5, 4, 3), "float32", "float32"),
    "matmul_batch_last_mismatch": (lambda lib, x, y: x @ y, (3, 2, 2, 2), (2, 3, 2, 2), "float32", "float32"),
    "matmul_3d_1d": (lambda lib, x, y: x @ y, (5, 2, 3), (4,), "float32", "float32"),
    "matmul_1d_3d": (lambda lib, x, y: x @ y, (4,), (5, 2, 3), "float32", "float32"),
    "matmul_2d_3d": (lambda lib, x, y: x @ y, (2, 4), (5, 2, 3), "float32", "float32"),
    "matmul_3d_2d": (lambda lib, x, y: x @ y, (5, 2, 3), (4, 6), "float32", "float32"),
    "matmul_dtype_2d": (lambda lib, x, y: x @ y, (2, 3), (3, 4), "float64", "float32"),
    "matmul_dtype_1d": (lambda lib, x, y: x @ y, (3,), (3,), "float64", "float32"),
    "matmul_dtype_mv": (lambda lib, x, y: x @ y, (2, 3), (3,), "float64", "float32"),
    "matmul_dtype_vm": (lambda lib, x, y: x @ y, (3,), (3, 2), "float64", "float32"),
    "matmul_dtype_bmm": (lambda lib, x, y: x @ y, (2, 2, 3), (2, 3, 4), "float64", "float32"),
    "matmul_dtype_fold": (lambda lib, x, y: x @ y, (2, 2, 3), (3, 4), "int64", "float32"),
    "matmul_bool": (lambda lib, x, y: x @ y, (2, 3), (3, 2), "bool", "bool"),
    "matmul_bool_batch": (lambda lib, x, y: x @ y, (2, 2, 3), (2, 3, 2), "bool", "bool"),
    "matmul_int_float": (lambda lib, x, y: x @ y, (2, 3), (3, 2), "int64", "float32"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors(torch, case):
    fn, sa, sb, da, db = ERRORS[case]
    same_error(torch, fn, data(sa, da, seed=1), data(sb, db, seed=2))


@pytest.mark.parametrize("fn", [lambda lib, x: x @ 3, lambda lib, x: 3 @ x, lambda lib, x: lib.matmul(x, 2.0),
                                lambda lib, x: lib.mm(x, [[1.0]]), lambda lib, x: lib.dot(x, 1)])
def test_non_tensor_operand_errors(torch, fn):
    same_error(torch, fn, data((2, 2)))


def test_matmul_error_paths_depend_on_requires_grad(torch):
    """1-D @ 3-D is folded into an mv only when the vector requires grad; the two raise different errors."""
    for grad in (True, False):
        seen = []
        for lib in (minitorch, torch):
            x, y = lib.ones(4, requires_grad=grad), lib.ones(5, 2, 3)
            with pytest.raises(RuntimeError) as info:
                x @ y
            seen.append(str(info.value))
        assert seen[0] == seen[1]


def test_second_backward_without_retain_graph(torch):
    for shapes in ((3,), (3,)), ((2, 3), (3, 4)), ((2, 2, 3), (2, 3, 4)):
        outcomes = []
        for lib in (minitorch, torch):
            x = lib.ones(*shapes[0], requires_grad=True)
            out = (x @ lib.ones(*shapes[1])).sum()
            out.backward()
            with pytest.raises(RuntimeError) as info:
                out.backward()
            outcomes.append(str(info.value))
        assert outcomes[0] == outcomes[1]


def test_linalg_functions_and_methods_are_bound():
    for name in ("matmul", "mm", "bmm", "dot", "mv", "outer", "ger"):
        assert callable(getattr(minitorch, name)) and callable(getattr(minitorch.Tensor, name))
    x = minitorch.ones(2, 2)
    assert (x @ x).tolist() == [[2.0, 2.0], [2.0, 2.0]]


@pytest.mark.cuda
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=_case_id)
def test_cuda_matches_cpu(shapes):
    a, b = data(shapes[0], seed=1), data(shapes[1], seed=2)
    results = []
    for device in ("cpu", "cuda"):
        x = minitorch.tensor(a, device=device, requires_grad=True)
        y = minitorch.tensor(b, device=device, requires_grad=True)
        out = x @ y
        assert out.device.type == device
        grads = minitorch.autograd.grad(out, (x, y), minitorch.ones_like(out))
        results.append([out.grad_fn.name()] + [t.detach().cpu().numpy() for t in (out,) + grads])
    assert results[0][0] == results[1][0]
    for c, g in zip(results[0][1:], results[1][1:]):
        np.testing.assert_allclose(c, g, rtol=1e-9, atol=1e-9)
