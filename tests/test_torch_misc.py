"""Top-level torch utilities against PyTorch: finfo / iinfo, can_cast, typename, is_tensor, the legacy tensor types
and set_default_tensor_type, the window functions, scalar_tensor, range, asarray, frombuffer, empty_strided, fill,
is_nonzero / is_same_size / is_signed, vmap, cond, while_loop and compile."""
import itertools
import warnings

import numpy as np
import pytest

import minitorch
from tests._core_parity import raises_same, same

FLOATS = ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"]
INTEGERS = ["uint8", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_matches_torch(torch, name):
    ours, theirs = minitorch.finfo(getattr(minitorch, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", INTEGERS)
def test_iinfo_matches_torch(torch, name):
    ours, theirs = minitorch.iinfo(getattr(minitorch, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.max, ours.min, ours.dtype, repr(ours)) == \
        (theirs.bits, theirs.max, theirs.min, theirs.dtype, repr(theirs))


def test_info_defaults_and_errors(torch):
    assert repr(minitorch.finfo()) == repr(torch.finfo())
    raises_same(torch, lambda L: L.finfo(L.int32))
    raises_same(torch, lambda L: L.iinfo(L.float32))


@pytest.mark.parametrize("a,b", list(itertools.product(["bool", "uint8", "int64", "float16", "float64", "complex64"],
                                                       repeat=2)))
def test_can_cast_matches_torch(torch, a, b):
    assert minitorch.can_cast(getattr(minitorch, a), getattr(minitorch, b)) == \
        torch.can_cast(getattr(torch, a), getattr(torch, b))


def test_typename_is_tensor_and_predicates(torch):
    same(torch, lambda L: [L.typename(L.ones(2)), L.typename(L.ones(2, dtype=L.int64)), L.typename(3),
                           L.typename(L.tensor([True])), L.is_tensor(L.ones(1)), L.is_tensor(np.ones(1)),
                           L.is_nonzero(L.tensor([1.0])), L.is_nonzero(L.tensor(0)),
                           L.is_same_size(L.ones(2), L.ones(2, 1)),
                           L.ones(2).is_same_size(L.zeros(2)), L.is_signed(L.ones(1, dtype=L.uint8)),
                           L.tensor([1.0]).is_signed(), L.tensor([1]).is_nonzero()])
    raises_same(torch, lambda L: L.is_nonzero(L.ones(2)))
    raises_same(torch, lambda L: L.is_nonzero(L.ones(0)))


def test_legacy_tensor_types(torch):
    same(torch, lambda L: [L.FloatTensor([1, 2]), L.LongTensor([1.7, 2]), L.DoubleTensor(2, 3).shape,
                           L.BoolTensor([1, 0]), L.ByteTensor([3]), L.IntTensor([[1]]), L.ShortTensor([1]),
                           L.CharTensor([-1]), L.HalfTensor([0.5]), L.FloatTensor().shape,
                           isinstance(L.ones(2), L.FloatTensor), isinstance(L.ones(2), L.LongTensor),
                           isinstance(L.ones(2, dtype=L.int64), L.LongTensor), isinstance(3, L.FloatTensor),
                           L.ones(2).type(L.LongTensor), L.tensor([1, 2]).type(L.DoubleTensor),
                           L.FloatTensor.dtype, L.LongTensor.is_cuda, repr(L.FloatTensor), L.DoubleTensor.__name__])
    with pytest.warns(UserWarning, match="set_default_tensor_type\\(\\) is deprecated"):
        minitorch.set_default_tensor_type(minitorch.DoubleTensor)
    try:
        assert minitorch.ones(1).dtype is minitorch.float64
        minitorch.set_default_tensor_type("torch.FloatTensor")
        assert minitorch.ones(1).dtype is minitorch.float32
    finally:
        minitorch.set_default_dtype(minitorch.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_same(torch, lambda L: L.set_default_tensor_type(L.LongTensor))


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
                                  "kaiser_window"])
def test_windows_match_torch(torch, name):
    same(torch, lambda L: [getattr(L, name)(n, periodic) for n in (0, 1, 2, 7, 16) for periodic in (True, False)]
         + [getattr(L, name)(8, dtype=L.float64), getattr(L, name)(5, requires_grad=True)])
    raises_same(torch, lambda L: getattr(L, name)(4, dtype=L.int64))


def test_hamming_and_kaiser_parameters(torch):
    same(torch, lambda L: [L.hamming_window(9, True, 0.6, 0.4), L.kaiser_window(9, False, 5.0)])


def test_scalar_range_asarray_frombuffer_empty_strided(torch):
    buffer = bytearray(np.arange(6, dtype=np.int32).tobytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(torch, lambda L: [L.scalar_tensor(3), L.scalar_tensor(3, dtype=L.int64), L.scalar_tensor(True),
                               L.range(1, 4), L.range(0, 1, 0.25), L.range(5), L.range(1, 3, dtype=L.int64),
                               L.asarray([1, 2]), L.asarray([[1.5]], dtype=L.float64), L.asarray(np.ones(2)),
                               L.asarray(L.ones(2), dtype=L.float64), L.frombuffer(buffer, dtype=L.int32),
                               L.frombuffer(buffer, dtype=L.int32, count=2, offset=4),
                               L.empty_strided((2, 3), (1, 2)).stride(), L.empty_strided((2, 3), (1, 2)).shape,
                               L.fill(L.ones(2), 3), L.fill(L.ones(2, requires_grad=True), 3),
                               L.fill(L.ones(2), L.tensor(2.0, requires_grad=True))])
    shared = np.ones(3)
    assert minitorch.asarray(shared)._data is shared
    data = bytearray(b"\x00" * 8)
    minitorch.frombuffer(data, dtype=minitorch.int32)[1] = 7
    assert data[4] == 7
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        minitorch.range(0, 2)
    raises_same(torch, lambda L: L.frombuffer(bytearray(5), dtype=L.int32))


def test_vmap_matches_torch(torch):
    """Values and gradients (the graph differs: torch batches each op, minitorch stacks per-sample results)."""
    x, y = np.random.default_rng(0).standard_normal((2, 3, 4))
    seen = []
    for L in (minitorch, torch):
        a, b = L.tensor(x, requires_grad=True), L.tensor(y, requires_grad=True)
        outs = (L.vmap(L.dot)(a, b), L.vmap(lambda r: r * 2, out_dims=1)(a),
                L.vmap(L.outer, in_dims=(0, None))(a, b[0]),
                *L.vmap(lambda r, s: (r.sum(), r @ s), in_dims=(1, 1))(a, b), L.vmap(L.vmap(lambda v: v.exp()))(a))
        sum((o * o).sum() for o in outs).backward()
        seen.append(([o.detach().numpy() for o in outs], a.grad.numpy(), b.grad.numpy()))
    for ours, theirs in zip(seen[0][0] + list(seen[0][1:]), seen[1][0] + list(seen[1][1:])):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    raises_same(torch, lambda L: L.vmap(L.dot)(L.ones(2, 3), L.ones(3, 3)))


def test_cond_while_loop_compile(torch):
    same(torch, lambda L: [L.cond(L.tensor(True), lambda a: a + 1, lambda a: a - 1, (L.ones(2),)),
                           L.cond(False, lambda a, b: a + b, lambda a, b: a * b, [L.ones(2) * 2, L.ones(2) * 3]),
                           *L.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s * 2),
                                         (L.tensor(0), L.ones(2)))])
    model = minitorch.nn.Linear(2, 2)
    assert minitorch.compile(model) is model
    assert minitorch.compile(mode="max-autotune")(len) is len
    raises_same(torch, lambda L: L.compile(L.nn.Linear(1, 1), mode="fastest"))
    raises_same(torch, lambda L: L.compile(L.nn.Linear(1, 1), mode="default", options={}))
