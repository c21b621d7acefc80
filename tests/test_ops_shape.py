"""View and shape ops (reshape, transpose, expand, cat, split ...): forward and backward parity with
PyTorch (values, dtypes, shapes, grad_fn names), gradcheck in float64, memory sharing of views, and
torch's error messages."""
import warnings

import pytest

import minitorch

from ._ops_parity import check_grads, compare, cuda_matches_cpu, data, same_error

DTYPES = ("float32", "float64", "int64")

# name -> (fn(lib, *tensors), input shapes)
CASES = {
    "reshape": (lambda lib, x: x.reshape(4, 6), [(2, 3, 4)]),
    "reshape_infer": (lambda lib, x: lib.reshape(x, (-1, 4)), [(2, 3, 4)]),
    "reshape_noncontiguous": (lambda lib, x: x.transpose(0, 1).reshape(-1), [(2, 3, 4)]),
    "reshape_size": (lambda lib, x: x.reshape(lib.Size([6, 4])), [(2, 3, 4)]),
    "reshape_0d": (lambda lib, x: x.reshape(1, 1), [()]),
    "view": (lambda lib, x: x.view(6, -1), [(2, 3, 4)]),
    "view_list": (lambda lib, x: x.view([3, 8]), [(2, 3, 4)]),
    "view_of_transposed_split": (lambda lib, x: x.transpose(1, 2).view(2, 2, 2, 3), [(2, 3, 4)]),
    "view_as": (lambda lib, x, y: x.view_as(y), [(2, 3, 4), (24,)]),
    "reshape_as": (lambda lib, x, y: x.t().reshape_as(y), [(3, 4), (12,)]),
    "flatten": (lambda lib, x: x.flatten(), [(2, 3, 4)]),
    "flatten_range": (lambda lib, x: lib.flatten(x, 1, 2), [(2, 3, 4, 1)]),
    "flatten_0d": (lambda lib, x: x.flatten(), [()]),
    "ravel": (lambda lib, x: lib.ravel(x.t()), [(3, 4)]),
    "unflatten": (lambda lib, x: x.unflatten(1, (2, -1)), [(3, 4)]),
    "squeeze": (lambda lib, x: x.squeeze(), [(1, 3, 1)]),
    "squeeze_dim": (lambda lib, x: x.squeeze(-1), [(1, 3, 1)]),
    "squeeze_dim_not_one": (lambda lib, x: lib.squeeze(x, 1), [(1, 3, 1)]),
    "squeeze_tuple": (lambda lib, x: x.squeeze((0, 1, 2)), [(1, 3, 1)]),
    "unsqueeze": (lambda lib, x: x.unsqueeze(1), [(3, 4)]),
    "unsqueeze_neg": (lambda lib, x: lib.unsqueeze(x, -1), [(3, 4)]),
    "transpose": (lambda lib, x: x.transpose(0, 2), [(2, 3, 4)]),
    "transpose_same": (lambda lib, x: lib.transpose(x, 1, 1), [(2, 3, 4)]),
    "swapaxes": (lambda lib, x: x.swapaxes(0, -1), [(2, 3, 4)]),
    "swapdims": (lambda lib, x: lib.swapdims(x, 0, 1), [(2, 3, 4)]),
    "permute": (lambda lib, x: x.permute(2, 0, 1), [(2, 3, 4)]),
    "permute_tuple": (lambda lib, x: lib.permute(x, (1, -1, 0)), [(2, 3, 4)]),
    "T": (lambda lib, x: x.T, [(3, 4)]),
    "mT": (lambda lib, x: x.mT, [(2, 3, 4)]),
    "mH": (lambda lib, x: x.mH, [(2, 3, 4)]),
    "H": (lambda lib, x: x.H, [(3, 4)]),
    "adjoint": (lambda lib, x: x.adjoint(), [(2, 3, 4)]),
    "t": (lambda lib, x: x.t(), [(3, 4)]),
    "t_1d": (lambda lib, x: lib.t(x), [(4,)]),
    "movedim": (lambda lib, x: x.movedim(0, 2), [(2, 3, 4)]),
    "movedim_lists": (lambda lib, x: lib.movedim(x, [0, 1], [2, 0]), [(2, 3, 4)]),
    "moveaxis": (lambda lib, x: lib.moveaxis(x, -1, 0), [(2, 3, 4)]),
    "flip": (lambda lib, x: x.flip(0), [(3, 4)]),
    "flip_dims": (lambda lib, x: lib.flip(x, [0, 2]), [(2, 3, 4)]),
    "roll": (lambda lib, x: x.roll(1, 0), [(3, 4)]),
    "roll_flat": (lambda lib, x: lib.roll(x, -2), [(3, 4)]),
    "roll_dims": (lambda lib, x: x.roll((1, 2), (0, 1)), [(3, 4)]),
    "expand": (lambda lib, x: x.expand(2, 3, 4), [(3, 1)]),
    "expand_keep": (lambda lib, x: x.expand(2, -1, -1), [(1, 3, 4)]),
    "expand_same": (lambda lib, x: x.expand(3, 4), [(3, 4)]),
    "expand_as": (lambda lib, x, y: x.expand_as(y), [(4,), (3, 4)]),
    "repeat": (lambda lib, x: x.repeat(2, 1), [(3, 4)]),
    "repeat_more_dims": (lambda lib, x: x.repeat(2, 1, 3), [(3, 4)]),
    "tile": (lambda lib, x: x.tile(2), [(3, 4)]),
    "tile_more_dims": (lambda lib, x: lib.tile(x, (2, 1, 1)), [(3, 4)]),
    "select": (lambda lib, x: x.select(1, -1), [(3, 4)]),
    "narrow": (lambda lib, x: x.narrow(1, 1, 2), [(3, 4)]),
    "narrow_negative_start": (lambda lib, x: lib.narrow(x, 0, -2, 2), [(3, 4)]),
    "cat": (lambda lib, x, y: lib.cat([x, y]), [(2, 4), (3, 4)]),
    "cat_dim": (lambda lib, x, y: lib.cat((x, y, x), dim=-1), [(3, 2), (3, 4)]),
    "cat_skips_empty_1d": (lambda lib, x, y: lib.cat([x, y], 1), [(3, 4), (0,)]),
    "concat": (lambda lib, x, y: lib.concat([x, y]), [(2, 4), (3, 4)]),
    "concatenate": (lambda lib, x, y: lib.concatenate([x, y], axis=1), [(3, 2), (3, 4)]),
    "stack": (lambda lib, x, y: lib.stack([x, y]), [(3, 4), (3, 4)]),
    "stack_last": (lambda lib, x, y: lib.stack((x, y), -1), [(3, 4), (3, 4)]),
    "hstack": (lambda lib, x, y: lib.hstack([x, y]), [(3, 2), (3, 4)]),
    "hstack_1d": (lambda lib, x, y: lib.hstack([x, y]), [(2,), (3,)]),
    "vstack": (lambda lib, x, y: lib.vstack([x, y]), [(4,), (4,)]),
    "split": (lambda lib, x: x.split(2), [(5, 3)]),
    "split_dim": (lambda lib, x: lib.split(x, 2, dim=1), [(3, 5)]),
    "split_sizes": (lambda lib, x: x.split([1, 3, 1]), [(5, 3)]),
    "split_with_sizes": (lambda lib, x: x.split_with_sizes([2, 1], -1), [(4, 3)]),
    "chunk": (lambda lib, x: x.chunk(3), [(5, 3)]),
    "chunk_fewer": (lambda lib, x: lib.chunk(x, 5, 0), [(6, 2)]),
    "unbind": (lambda lib, x: x.unbind(), [(3, 4)]),
    "unbind_dim": (lambda lib, x: lib.unbind(x, -1), [(3, 4)]),
}
KEYWORDS = {
    "reshape": lambda lib, x: lib.reshape(x, shape=(3, 8)),
    "reshape_method": lambda lib, x: x.reshape(shape=(4, 6)),
    "view": lambda lib, x: x.view(size=(6, 4)),
    "permute": lambda lib, x: x.permute(dims=(2, 1, 0)),
    "expand": lambda lib, x: x.expand(size=(2, 2, 3, 4)),
    "repeat": lambda lib, x: x.repeat(repeats=(1, 2, 1)),
    "flip": lambda lib, x: x.flip(dims=(1,)),
    "split": lambda lib, x: x.split(split_size=2, dim=2),
    "split_function": lambda lib, x: lib.split(x, split_size_or_sections=[1, 2], dim=1),
    "cat_axis": lambda lib, x: lib.cat([x, x], axis=1),
    "stack_axis": lambda lib, x: lib.stack([x, x], axis=-1),
    "names": lambda lib, x: x.transpose(dim0=0, dim1=2).narrow(dim=0, start=1, length=2).movedim(source=0,
                                                                                                 destination=1),
}
NON_DIFFERENTIABLE_INPUTS = {"cat_skips_empty_1d"}


@pytest.mark.parametrize("case", KEYWORDS)
def test_keyword_arguments(torch, case):
    compare(torch, KEYWORDS[case], data((2, 3, 4)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_parity(torch, case, dtype):
    fn, shapes = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(torch, fn, *[data(s, dtype, seed=i) for i, s in enumerate(shapes)])


@pytest.mark.parametrize("case", [c for c in CASES if c not in NON_DIFFERENTIABLE_INPUTS])
def test_gradcheck(case):
    fn, shapes = CASES[case]
    check_grads(fn, *[data(s, seed=i) for i, s in enumerate(shapes)])


def test_split_outputs_used_partly(torch):
    """Outputs of split/unbind that get no gradient count as zeros."""
    compare(torch, lambda lib, x: x.split(2)[1] * 3, data((5, 3)))
    compare(torch, lambda lib, x: x.unbind(1)[0] + x.unbind(1)[2], data((2, 3)))
    check_grads(lambda lib, x: x.chunk(3)[2], data((5, 3)))


def test_cat_promotes_dtypes(torch):
    compare(torch, lambda lib, x, y: lib.cat([x, y]), data((2,), "int64"), data((3,), "float32"))
    compare(torch, lambda lib, x, y: lib.stack([x, y]), data((3,), "float32"), data((3,), "float64"))
    compare(torch, lambda lib, x, y: lib.cat([x, y]), data((2,), "bool"), data((3,), "uint8"))


def test_iteration_unbinds(torch):
    compare(torch, lambda lib, x: tuple(x), data((3, 2)))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(minitorch.tensor(1.0))


def test_T_warns_below_two_dims(torch):
    for shape in [(3,), ()]:
        with pytest.warns(UserWarning) as ours:
            minitorch.zeros(shape).T
        with pytest.warns(UserWarning) as theirs:
            torch.zeros(shape).T
        assert str(ours[0].message) == str(theirs[0].message).split(" (Triggered")[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minitorch.zeros(2, 3).T


# ----- views share memory ---------------------------------------------------------------------------------
VIEWS = {
    "view": lambda lib, x: x.view(12),
    "reshape_contiguous": lambda lib, x: x.reshape(4, 3),
    "transpose": lambda lib, x: x.transpose(0, 1),
    "permute": lambda lib, x: x.permute(1, 0),
    "T": lambda lib, x: x.T,
    "t": lambda lib, x: x.t(),
    "unsqueeze": lambda lib, x: x.unsqueeze(0),
    "squeeze": lambda lib, x: x.unsqueeze(1).squeeze(1),
    "flatten": lambda lib, x: x.flatten(),
    "unflatten": lambda lib, x: x.unflatten(1, (2, 2)),
    "select": lambda lib, x: x.select(0, 1),
    "narrow": lambda lib, x: x.narrow(1, 1, 2),
    "movedim": lambda lib, x: x.movedim(0, 1),
    "split": lambda lib, x: x.split(2)[1],
    "chunk": lambda lib, x: x.chunk(2, 1)[0],
    "unbind": lambda lib, x: x.unbind(1)[2],
    "view_of_view": lambda lib, x: x.t().unsqueeze(0)[0],
}
COPIES = {
    "reshape_noncontiguous": lambda lib, x: x.t().reshape(12),
    "flip": lambda lib, x: x.flip(0),
    "repeat": lambda lib, x: x.repeat(1, 1),
    "cat": lambda lib, x: lib.cat([x]),
    "stack": lambda lib, x: lib.stack([x]),
}


@pytest.mark.parametrize("case", list(VIEWS) + list(COPIES))
def test_views_share_memory(torch, case):
    """Writing through a view changes its base (and the other way round) exactly where torch's do."""
    fn = VIEWS.get(case) or COPIES[case]
    seen = []
    for lib in (minitorch, torch):
        base = lib.arange(12.0).reshape(3, 4)
        v = fn(lib, base)
        v.mul_(2)
        base.add_(1)
        seen.append((base.tolist(), v.tolist(), v._is_view(), v._base is base))
    assert seen[0] == seen[1]


INPLACE_ON_VIEWS = {
    "split_output": lambda lib, x: (x * 1).split(2)[1].mul_(2),
    "chunk_output": lambda lib, x: (x * 1).chunk(2)[0].zero_(),
    "split_sizes_output": lambda lib, x: (x * 1).split([1, 2])[0].add_(1),
    "unbind_output": lambda lib, x: (x * 1).unbind(1)[2].zero_(),
    "iterated_row": lambda lib, x: next(iter(x * 1)).add_(1),
    "unbind_output_of_leaf": lambda lib, x: x.unbind()[0].zero_(),
    "view_of_leaf": lambda lib, x: x.t().mul_(2),
    "view_of_view_of_leaf": lambda lib, x: x.unsqueeze(0).select(2, 1).add_(1),
}


@pytest.mark.parametrize("case", INPLACE_ON_VIEWS)
def test_inplace_on_views_errors(torch, case):
    """torch's errors for in-place changes to views of leaves that require grad and to outputs of split and
    unbind (whose gradients could not be tracked)."""
    seen = []
    for lib in (minitorch, torch):
        x = lib.ones(3, 4, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            INPLACE_ON_VIEWS[case](lib, x)
        seen.append(str(info.value))
        with lib.no_grad():
            INPLACE_ON_VIEWS[case](lib, x)
        INPLACE_ON_VIEWS[case](lib, x.detach())
    assert seen[0] == seen[1]


def _inplace_through_views(lib, x, w):
    y = x * 2
    y[0].mul_(w[0])
    y.t()[2].add_(w[1:3] * w[0])
    y.view(-1)[1:3].zero_()
    z = x.exp() * 1
    z[1].copy_(w[:3])
    z.unsqueeze(0)[0, 0].fill_(2.0)
    return y, z


def test_inplace_on_views_updates_the_base(torch):
    """An in-place op on a view of a non-leaf moves into the base's history (CopySlices), as in torch."""
    arrays = [data((2, 3)), data((3,), seed=1)]
    compare(torch, _inplace_through_views, *arrays)
    check_grads(_inplace_through_views, *arrays)


def test_expand_is_a_view(torch):
    base = minitorch.zeros(3, 1)
    e = base.expand(3, 4)
    base[1, 0] = 5.0
    assert e.tolist() == [[0.0] * 4, [5.0] * 4, [0.0] * 4]
    assert e._base is base and e.stride() == torch.zeros(3, 1).expand(3, 4).stride()


def test_reshape_view_or_copy_matches_torch(torch):
    """A view wherever torch makes one (also through size-1 dims), a copy otherwise."""
    cases = [((2, 3, 4), lambda x: x.transpose(1, 2), (2, 12)), ((2, 3, 4), lambda x: x.transpose(1, 2), (4, 6)),
             ((2, 3, 4), lambda x: x.permute(1, 0, 2), (3, 8)), ((2, 1, 4), lambda x: x.transpose(0, 1), (8,)),
             ((4, 6), lambda x: x[:, ::2], (12,)), ((4, 6), lambda x: x[:, ::2], (4, 3)),
             ((3, 4), lambda x: x.unsqueeze(1).expand(3, 2, 4), (6, 4)), ((3, 4), lambda x: x.t(), (2, 2, 3))]
    for shape, prep, new in cases:
        seen = []
        for lib in (minitorch, torch):
            src = prep(lib.zeros(shape))
            seen.append(src.reshape(new)._is_view())
            try:
                src.view(new)
                seen.append("view")
            except RuntimeError as e:
                seen.append(str(e))
        assert seen[:2] == seen[2:], (shape, new)


def test_grad_through_view_chain(torch):
    compare(torch, lambda lib, x: x.t().unsqueeze(0).expand(2, 4, 3).reshape(2, 12).split(5, 1), data((3, 4)))


def test_second_backward_is_allowed():
    """View ops save no tensors, so backward may run twice through them, as in torch."""
    x = minitorch.randn(3, 4, requires_grad=True)
    y = minitorch.cat([x.t().reshape(-1), x.unbind()[0], x.expand(2, 3, 4).flatten()]).sum()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [[8.0] * 4, [6.0] * 4, [6.0] * 4]


# ----- errors -------------------------------------------------------------------------------------------------
ERRORS = {
    "reshape_invalid": lambda lib, x: x.reshape(4, 4),
    "reshape_invalid_infer": lambda lib, x: x.reshape(5, -1),
    "reshape_two_infer": lambda lib, x: x.reshape(-1, -1),
    "reshape_negative": lambda lib, x: x.reshape(-2, 12),
    "reshape_float": lambda lib, x: x.reshape((2.0, 12)),
    "reshape_empty_ambiguous": lambda lib, x: lib.zeros(0, 3).reshape(-1, 0),
    "view_noncontiguous": lambda lib, x: x.transpose(0, 1).view(-1),
    "view_invalid": lambda lib, x: x.view(7),
    "flatten_order": lambda lib, x: x.flatten(2, 1),
    "unflatten_sizes": lambda lib, x: x.unflatten(2, (3, 2)),
    "unflatten_infer": lambda lib, x: x.unflatten(2, (-1, 3)),
    "unflatten_empty": lambda lib, x: x.unflatten(2, ()),
    "transpose_dim": lambda lib, x: x.transpose(0, 3),
    "permute_count": lambda lib, x: x.permute(1, 0),
    "permute_duplicate": lambda lib, x: x.permute(0, 0, 1),
    "permute_range": lambda lib, x: x.permute(0, 1, 5),
    "t_3d": lambda lib, x: x.t(),
    "mT_1d": lambda lib, x: x[0, 0].mT,
    "mH_1d": lambda lib, x: x[0, 0].mH,
    "H_3d": lambda lib, x: x.H,
    "H_1d": lambda lib, x: x[0, 0].H,
    "squeeze_dim": lambda lib, x: x.squeeze(3),
    "squeeze_duplicate": lambda lib, x: x.squeeze((0, 0)),
    "unsqueeze_dim": lambda lib, x: x.unsqueeze(4),
    "unsqueeze_negative_dim": lambda lib, x: x.unsqueeze(-5),
    "expand_mismatch": lambda lib, x: x.expand(2, 3, 5),
    "expand_fewer": lambda lib, x: x.expand(4),
    "expand_new_infer": lambda lib, x: x.expand(-1, 2, 3, 4),
    "repeat_fewer": lambda lib, x: x.repeat(2),
    "repeat_negative": lambda lib, x: x[0, 0].repeat(-1),
    "cat_sizes": lambda lib, x: lib.cat([x, lib.zeros(3, 2, 4)], 1),
    "cat_sizes_dim0": lambda lib, x: lib.cat([x, lib.zeros(1, 3, 5)]),
    "cat_empty": lambda lib, x: lib.cat([]),
    "cat_0d": lambda lib, x: lib.cat([x[0, 0, 0], x[0, 0, 0]]),
    "cat_ndim": lambda lib, x: lib.cat([x, x[0]]),
    "cat_dim": lambda lib, x: lib.cat([x, x], 3),
    "cat_not_tensor": lambda lib, x: lib.cat([x, 1]),
    "cat_tensor": lambda lib, x: lib.cat(x),
    "stack_sizes": lambda lib, x: lib.stack([x, x[:1]]),
    "stack_empty": lambda lib, x: lib.stack([]),
    "stack_dim": lambda lib, x: lib.stack([x, x], 4),
    "split_negative": lambda lib, x: x.split(-1),
    "split_zero": lambda lib, x: x.split(0),
    "split_sizes_sum": lambda lib, x: x.split([1, 2]),
    "split_sizes_negative": lambda lib, x: x.split([3, -1]),
    "chunk_zero": lambda lib, x: x.chunk(0),
    "unbind_0d": lambda lib, x: x[0, 0, 0].unbind(),
    "narrow_length": lambda lib, x: x.narrow(2, 3, 2),
    "narrow_start": lambda lib, x: x.narrow(2, 5, 0),
    "narrow_negative_length": lambda lib, x: x.narrow(2, 0, -1),
    "narrow_0d": lambda lib, x: x[0, 0, 0].narrow(0, 0, 1),
    "select_range": lambda lib, x: x.select(1, -4),
    "movedim_repeated": lambda lib, x: x.movedim([0, 0], [1, 2]),
    "movedim_lengths": lambda lib, x: x.movedim([0, 1], [1]),
    "flip_duplicate": lambda lib, x: x.flip(0, 0),
    "roll_mismatch": lambda lib, x: x.roll((1, 2), (0,)),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors(torch, case):
    same_error(torch, ERRORS[case], data((2, 3, 4)))


# ----- cuda ----------------------------------------------------------------------------------------------------
@pytest.mark.cuda
@pytest.mark.parametrize("case", ["reshape_noncontiguous", "view", "permute", "T", "squeeze_tuple", "unsqueeze",
                                  "expand", "repeat", "flip", "roll_dims", "narrow", "select", "cat_dim",
                                  "cat_skips_empty_1d", "stack_last", "vstack", "split_sizes", "chunk", "unbind"])
def test_cuda_matches_cpu(case):
    fn, shapes = CASES[case]
    cuda_matches_cpu(fn, *[data(s, seed=i) for i, s in enumerate(shapes)])


@pytest.mark.parametrize("dims", [(0, -1), (-1, 0), (1, -1), (0, 1)])
def test_flatten_zero_dim_checks_dims(torch, dims):
    """A 0-d tensor flattens to one element, but only for dims 0 / -1 (what nn.Flatten passes errors)."""
    def run(lib):
        try:
            return ("ok", tuple(lib.tensor(1.5).flatten(*dims).shape))
        except Exception as e:
            return (type(e).__name__, str(e))
    assert run(minitorch) == run(torch)
