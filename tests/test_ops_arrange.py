"""Arranging and viewing ops against PyTorch: atleast_nd, broadcasting, meshgrid, cartesian_prod, combinations,
block_diag, column / row / depth stacking, tensor_split and h / v / d splits, unsafe splits, fliplr / flipud,
rot90, vander, take_along_dim, tril / triu_indices, unravel_index, as_strided (and its scatter and in-place
forms), unfold, the *_scatter ops, diag_embed, diagflat, the in-place view ops, sum_to_size, narrow_copy and
the *_copy variants: values, dtypes, grad_fn names, gradients, views sharing memory, errors; float64
gradcheck with double backward."""
import numpy as np
import pytest

import minitorch
from tests._core_parity import raises_same, same
from tests._ops_parity import check_grads, compare, cuda_matches_cpu, data

M = data((3, 4))
V = data((3,), seed=1)
C = data((2, 3, 4), seed=2)

CASES = {
    "atleast": (lambda L, m, v, c: (L.atleast_1d(v), L.atleast_2d(v), *L.atleast_3d(m, v), L.atleast_1d(v.sum()),
                                    *L.atleast_2d([v.sum(), m]), L.atleast_3d(c))),
    "broadcast": (lambda L, m, v, c: (L.broadcast_to(v, (2, 3)), *L.broadcast_tensors(v, m[:, :1]),
                                      v.broadcast_to((4, 3)))),
    "meshgrid": (lambda L, m, v, c: (*L.meshgrid(v, m[0], indexing="ij"), *L.meshgrid(v, m[0], v, indexing="xy"),
                                     *L.meshgrid([v.sum(), m[1]], indexing="xy"))),
    "cartesian_prod": (lambda L, m, v, c: (L.cartesian_prod(v, m[0]), L.cartesian_prod(v, v, v[:2]),
                                           L.cartesian_prod(v))),
    "combinations": (lambda L, m, v, c: (L.combinations(m[0]), L.combinations(m[0], 3),
                                         L.combinations(v, with_replacement=True), L.combinations(v, 4))),
    "block_diag": (lambda L, m, v, c: (L.block_diag(m, v, v.sum(), m[:1, :2]), L.block_diag(v))),
    "stacks": (lambda L, m, v, c: (L.column_stack([v, m[:, 0], m]), L.row_stack([m[0], m[1]]),
                                   L.dstack([m, m]), L.dstack([v, v]), L.column_stack((v.sum(), v[0])))),
    "tensor_split": (lambda L, m, v, c: (*L.tensor_split(m, 3, dim=1), *L.tensor_split(m, [1, 3], 1),
                                         *m.tensor_split([2, 1, 4]), *L.tensor_split(v, L.tensor([1, 2])),
                                         *L.tensor_split(c, L.tensor(2), dim=-1))),
    "hvd_split": (lambda L, m, v, c: (*L.hsplit(m, 2), *L.hsplit(v, [1]), *L.vsplit(m, [1, 2]), *m.vsplit(3),
                                      *L.dsplit(c, 2), *c.dsplit([1, 3]))),
    "unsafe": (lambda L, m, v, c: (*L.unsafe_split(m, 2), *L.unsafe_chunk(m, 2, 1), *m.unsafe_split_with_sizes([1, 2]),
                                   *m.unsafe_chunk(3))),
    "flips": (lambda L, m, v, c: (L.fliplr(m), L.flipud(m), L.flipud(v), c.fliplr())),
    "rot90": (lambda L, m, v, c: (L.rot90(m), L.rot90(m, 2), L.rot90(m, -1), L.rot90(m, 0), L.rot90(c, 1, [2, 0]),
                                  m.rot90(3, (1, 0)), L.rot90(m, 7))),
    "vander": (lambda L, m, v, c: (L.vander(v), L.vander(v, 4, increasing=True), L.vander(v, 0), L.vander(v, 1))),
    "take_along_dim": (lambda L, m, v, c: (L.take_along_dim(m, L.tensor([[0], [3], [2]]), 1),
                                           L.take_along_dim(m, L.tensor([0, 5, 11])),
                                           m.take_along_dim(L.tensor([[2, 0, 1, 1]]), 0),
                                           L.take_along_dim(c, L.tensor([[[1], [0], [2]]]), 2))),
    "as_strided": (lambda L, m, v, c: (L.as_strided(m, (2, 2), (1, 2)), L.as_strided(m, (3, 3), (1, 1), 2),
                                       m.as_strided((2,), (5,)), L.as_strided(m[1:], (4,), (2,)),
                                       L.as_strided(m, (2, 2), (0, 1)))),
    "as_strided_scatter": (lambda L, m, v, c: (L.as_strided_scatter(m, L.ones(2, 2, dtype=m.dtype) * v.sum(),
                                                                    (2, 2), (1, 2)),
                                               m.as_strided_scatter(v[:2], (2,), (3,), 1))),
    "unfold": (lambda L, m, v, c: (m.unfold(1, 2, 1), m.unfold(1, 2, 2), m.unfold(0, 3, 1), c.unfold(-1, 3, 1),
                                   v.unfold(0, 1, 2))),
    "scatters": (lambda L, m, v, c: (L.diagonal_scatter(m, v), L.diagonal_scatter(m, v[:2], 2),
                                     L.select_scatter(m, m[0] * 2, 0, 1), m.select_scatter(v, 1, -1),
                                     L.slice_scatter(m, m[:, :2] * 3, 1, 0, 2), L.slice_scatter(m, m[::2], step=2),
                                     c.diagonal_scatter(m[:2, :3], 0, 1, 2))),
    "diag_embed": (lambda L, m, v, c: (L.diag_embed(m), L.diag_embed(m, 1), L.diag_embed(m, -1, 0, 2), L.diagflat(v),
                                       L.diagflat(m, -2), v.diagflat(1), m.diag_embed(dim1=1, dim2=0))),
    "copies": (lambda L, m, v, c: (L.permute_copy(m, (1, 0)), L.t_copy(m), L.expand_copy(v, (2, 3)),
                                   L.view_copy(m, (12,)), L.alias_copy(m), L.diagonal_copy(m), L.select_copy(m, 0, 1),
                                   L.slice_copy(m, 1, 0, 2), L.squeeze_copy(m[None]), L.unsqueeze_copy(m, 0),
                                   L.transpose_copy(m, 0, 1), L.unfold_copy(m, 1, 2, 1), *L.split_copy(m, 2),
                                   *L.split_with_sizes_copy(m, [1, 2]), *L.unbind_copy(m),
                                   L.as_strided_copy(m, (2,), (1,)),
                                   L.narrow_copy(m, 1, 1, 2))),
    "sum_to_size": (lambda L, m, v, c: (c.sum_to_size(1, 4), c.sum_to_size((3, 1)), m.sum_to_size(3, 4))),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(torch, name):
    # torch 2.13's own gradients of vander (it fails) and of as_strided_scatter (it fails its gradcheck) are
    # left out: values only there; ours are gradchecked below
    compare(torch, CASES[name], M, V, C, grad=name not in ("vander", "as_strided_scatter"))


@pytest.mark.parametrize("name", [n for n in CASES if n not in ("combinations", "vander")])
def test_gradcheck(name):
    check_grads(lambda *args: tuple(o for o in CASES[name](*args) if o.numel()), M, V, C)


def test_narrow_copy_with_a_negative_start(torch):
    """(torch's gradient for a negative start fails, so values here and our gradient by gradcheck)"""
    compare(torch, lambda L, m: (m.narrow_copy(0, -2, 2), L.narrow_copy(m, 1, -1, 1)), M, grad=False)
    check_grads(lambda L, m: (m.narrow_copy(0, -2, 2), L.narrow_copy(m, 1, -1, 1)), M)


def test_vander_and_combinations_gradcheck():
    check_grads(lambda L, v: (L.vander(v, 3), L.vander(v, increasing=True)), V)
    check_grads(lambda L, v: (L.combinations(v), L.combinations(v, 2, True)), V)


def test_integer_inputs_and_index_factories(torch):
    same(torch, lambda L: [L.vander(L.tensor([1, 2, 3])), L.vander(L.tensor([True, False]), 3),
                           L.tril_indices(3, 3), L.triu_indices(3, 4, 1), L.tril_indices(4, 3, -1, dtype=L.int32),
                           L.triu_indices(2, 5, -1), *L.unravel_index(L.tensor([4, 7, -1, 12, -13]), (3, 4)),
                           *L.unravel_index(L.tensor(5), L.Size([2, 3])),
                           L.block_diag(L.tensor([[1, 2]]), L.tensor(3.0)),
                           L.combinations(L.tensor([1, 2, 3]), 0), L.broadcast_shapes((2, 1), (3,), 1, (1, 1, 3)),
                           *L.meshgrid(L.tensor([1, 2]), L.tensor([3, 4, 5]), indexing="ij"), L.block_diag()])


def test_meshgrid_without_indexing_warns(torch):
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        grids = minitorch.meshgrid(minitorch.arange(2), minitorch.arange(3))
    assert [g.tolist() for g in grids] == [g.tolist() for g in torch.meshgrid(torch.arange(2), torch.arange(3),
                                                                           indexing="ij")]


def test_views_share_memory_and_in_place_views(torch):
    x = minitorch.arange(12.0).reshape(3, 4)
    minitorch.as_strided(x, (2,), (5,))[1] = -1.0
    x.unfold(1, 2, 2)[0, 1, 0] = -2.0
    minitorch.tensor_split(x, 2, 1)[1][2, 0] = -3.0
    assert x.tolist() == [[0.0, 1.0, -2.0, 3.0], [4.0, -1.0, 6.0, 7.0], [8.0, 9.0, -3.0, 11.0]]
    assert minitorch.permute_copy(x, (1, 0))._data.base is None

    def in_place(L):
        leaf = L.tensor(np.arange(6.0).reshape(1, 2, 3), requires_grad=True)
        y = leaf * 2
        steps = [y.squeeze_(0), y.t_(), y.unsqueeze_(1), y.transpose_(0, 2), y.swapaxes_(0, 1), y.swapdims_(1, 2),
                 y.squeeze_(), y.unsqueeze_(-1), y.squeeze_((1,)), y.as_strided_((2, 2), (1, 2))]
        shapes = [tuple(s.shape) for s in steps]
        (y * L.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        return shapes, y, leaf.grad, [s is y for s in steps]
    same(torch, in_place)


@pytest.mark.parametrize("call", [
    lambda L: L.atleast_1d(3),
    lambda L: L.broadcast_shapes((2,), (3,)),
    lambda L: L.meshgrid(L.ones(2), indexing="yx"),
    lambda L: L.combinations(L.ones(2, 2)),
    lambda L: L.block_diag(L.ones(1, 1, 1)),
    lambda L: L.hsplit(L.tensor(1.0), 1),
    lambda L: L.hsplit(L.ones(2, 4), 3),
    lambda L: L.vsplit(L.ones(4), 2),
    lambda L: L.dsplit(L.ones(2, 2), 2),
    lambda L: L.tensor_split(L.ones(4), 0),
    lambda L: L.tensor_split(L.ones(4), L.tensor([1.0])),
    lambda L: L.fliplr(L.ones(3)),
    lambda L: L.rot90(L.ones(2, 2), 1, [0, 0]),
    lambda L: L.rot90(L.ones(2), 1),
    lambda L: L.rot90(L.ones(2, 2), 1, [0]),
    lambda L: L.vander(L.ones(2, 2)),
    lambda L: L.take_along_dim(L.ones(2, 2), L.tensor([[0]], dtype=L.int32), 1),
    lambda L: L.take_along_dim(L.ones(2, 2), L.tensor([0]), 1),
    lambda L: L.unravel_index(L.tensor([1.0]), (3, 4)),
    lambda L: L.as_strided(L.ones(4), (3,), (2,)),
    lambda L: L.as_strided(L.ones(4), (2, 2), (1,)),
    lambda L: L.ones(4).unfold(0, 5, 1),
    lambda L: L.ones(4).unfold(0, 2, 0),
    lambda L: L.select_scatter(L.ones(2, 2), L.ones(3), 0, 0),
    lambda L: L.diag_embed(L.ones(2), 0, 0, 0),
    lambda L: L.ones(2, 3).sum_to_size(2),
    lambda L: L.ones(2, requires_grad=True).t_(),
    lambda L: L.detach_copy(L.ones(2, requires_grad=True) * 1).sum().backward(),
])
def test_errors_match_torch(torch, call):
    raises_same(torch, call)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    cuda_matches_cpu(lambda L, m: (L.rot90(m), L.as_strided(m, (2, 2), (1, 2)), m.unfold(1, 2, 1),
                                   L.diag_embed(m), L.slice_scatter(m, m[:, :2] * 3, 1, 0, 2), L.vander(m[0]),
                                   L.take_along_dim(m, L.tensor([[0], [3], [2]], device=m.device), 1),
                                   L.block_diag(m, m[0])), M.astype("float32"))
