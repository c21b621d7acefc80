"""Factory functions compared with PyTorch: tensor() dtype inference and errors, memory sharing with NumPy,
filled tensors, ranges, the legacy constructor, and random draws (which reproduce torch's cpu stream)."""
import warnings

import numpy as np
import pytest

import minitorch
from tests._core_parity import raises_same, same


# ----- tensor() -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [
    [1, 2], [1, 2.5], [True, False], [True, 2], 3.5, 7, True, [[1, 2], [3, 4]], [], [[], []], (1, 2), range(3),
    [np.float64(1.5), 2], [np.int32(3)], [np.float32(1), 1.5], [np.float16(1), 1.5], [1, 2.5, True], [2 ** 62],
    [-2 ** 63], [1e300], [[1], [2.5]], np.float64(2.5), np.float32(2.5), np.int32(3), np.bool_(True),
])
def test_tensor_dtype_inference(torch, data):
    same(torch, lambda L: L.tensor(data))


@pytest.mark.parametrize("array", [np.ones(2, np.float32), np.ones((2, 2)), np.arange(3), np.arange(3, dtype=np.int8),
                                   np.array([True]), np.array(5), np.ones(2, np.float16), np.ones(2, np.uint8)])
def test_tensor_from_numpy_keeps_dtype(torch, array):
    same(torch, lambda L: L.tensor(array))
    same(torch, lambda L: [L.tensor(array, dtype=L.float64), L.tensor(array, dtype=L.int32)])


def test_tensor_from_tensors(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        same(torch, lambda L: [L.tensor([L.tensor(1.0), L.tensor(2.0)]), L.tensor([L.tensor(1), L.tensor(2.5)]),
                               L.tensor([L.tensor([1.0])]), L.tensor([np.array([1, 2]), np.array([3, 4])]),
                               L.tensor([np.array([1, 2]), [3, 4]])])
        same(torch, lambda L: (lambda t: [L.tensor(t), L.tensor(t).requires_grad, L.tensor(t, dtype=L.int32)])(
            L.tensor([1.5, 2.5], requires_grad=True)))
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        minitorch.tensor(minitorch.ones(2))


def test_tensor_copies(torch):
    same(torch, lambda L: (lambda a: (L.tensor(a).zero_(), a.tolist())[1])(np.ones(2)))


def test_tensor_options(torch):
    same(torch, lambda L: [L.tensor([1.7, -1.7], dtype=L.int64), L.tensor([0.5, 0], dtype=L.bool),
                           L.tensor([1.0], requires_grad=True), L.tensor([[1, 2]], dtype=L.float16),
                           L.tensor(3, dtype=L.bool), L.tensor([1, 2], device="cpu").device])


@pytest.mark.parametrize("data", [[[1, 2], [3]], [[1.0, 2], [3.0]], [[1, 2], 3], [1, [2]], [1.5, [2]], [True, [2]],
                                  [[1], []], "a", ["a"], None, [1, None], object(), [object()], [2 ** 63], 2 ** 64])
def test_tensor_errors(torch, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_same(torch, lambda L: L.tensor(data))
    raises_same(torch, lambda L: L.tensor([L.tensor([1.0, 2.0])]))


def test_as_tensor_and_from_numpy_share_memory(torch):
    def scenario(L):
        a = np.zeros(3)
        t = L.as_tensor(a)
        u = L.from_numpy(a)
        a[0] = 5
        u.numpy()[2] = 9
        v = L.ones(2)
        return [t, u, a.tolist(), L.as_tensor(v) is v, L.as_tensor(a, dtype=L.float32), L.as_tensor([1, 2]),
                np.shares_memory(L.as_tensor(a).numpy(), a),
                np.shares_memory(L.as_tensor(a, dtype=L.float32).numpy(), a)]
    same(torch, scenario)
    raises_same(torch, lambda L: L.from_numpy([1, 2]))
    raises_same(torch, lambda L: L.from_numpy(np.array(["a"])))


def test_from_numpy_of_a_type_torch_has_but_minitorch_lacks_is_a_clear_error():
    with pytest.raises(TypeError, match="minitorch has no uint16 dtype"):
        minitorch.from_numpy(np.ones(2, np.uint16))


def test_dlpack_round_trips(torch):
    t = minitorch.tensor([1.0, 2.0])
    a = np.from_dlpack(t)  # a view of t's memory (read-only on NumPy 1.x, so t is written)
    t[0] = 7
    assert a.tolist() == [7.0, 2.0]
    back = minitorch.from_dlpack(np.arange(3))
    assert back.dtype is minitorch.int64 and back.tolist() == [0, 1, 2]
    theirs = torch.from_dlpack(t)  # zero-copy into torch, and back
    theirs[1] = 5
    assert t.tolist() == [7.0, 5.0]
    ours = minitorch.from_dlpack(torch.tensor([1, 2], dtype=torch.int32))
    assert ours.dtype is minitorch.int32 and ours.tolist() == [1, 2]
    raises = same(torch, lambda L: np.from_dlpack(L.ones(2, requires_grad=True)))
    assert raises[0] == "raised"


# ----- filled tensors -----------------------------------------------------------------------------------
def test_filled(torch):
    same(torch, lambda L: [L.zeros(2, 3), L.zeros((2, 3)), L.zeros([2]), L.zeros(L.Size([2, 1])), L.zeros(()),
                           L.ones(2, dtype=L.int8), L.ones(2, requires_grad=True), L.zeros(np.int64(2)),
                           L.full((2,), 3), L.full((2,), 3.0), L.full((2,), True), L.full((2,), 3, dtype=L.float64),
                           L.full((2,), L.tensor(2.5)), L.empty(2, 3).shape, L.empty(0).shape, L.eye(3), L.eye(2, 3),
                           L.eye(2, dtype=L.int64), L.eye(2, dtype=L.bool)])


def test_like_factories(torch):
    same(torch, lambda L: [L.zeros_like(L.ones(2, 3, dtype=L.float64)), L.ones_like(L.ones(2), dtype=L.int64),
                           L.full_like(L.ones(2, dtype=L.int64), 2.7), L.full_like(L.ones(2), 7),
                           L.zeros_like(L.ones(2, requires_grad=True)), L.empty_like(L.ones(2, dtype=L.int32)).dtype,
                           L.ones(1, dtype=L.float64).new_tensor([1, 2]), L.ones(1, dtype=L.float64).new_zeros(2, 3),
                           L.ones(1, dtype=L.int32).new_ones((2,)), L.ones(1).new_full((2,), 3),
                           L.ones(1).new_empty(2).shape])


@pytest.mark.parametrize("call", ["zeros(-1)", "zeros(2, -3)", "ones(2, -1)", "empty(-1)", "full((2, -1), 1)",
                                  "zeros(2.5)", "zeros()", "zeros(True)", "full(2, 1.0)", "ones(int64 grad)",
                                  "eye(-1)", "eye(2, -1)"])
def test_filled_errors(torch, call):
    raises_same(torch, {
        "zeros(-1)": lambda L: L.zeros(-1), "zeros(2, -3)": lambda L: L.zeros(2, -3),
        "ones(2, -1)": lambda L: L.ones(2, -1),
        "empty(-1)": lambda L: L.empty(-1), "full((2, -1), 1)": lambda L: L.full((2, -1), 1),
        "zeros(2.5)": lambda L: L.zeros(2.5), "zeros()": lambda L: L.zeros(), "zeros(True)": lambda L: L.zeros(True),
        "full(2, 1.0)": lambda L: L.full(2, 1.0),
        "ones(int64 grad)": lambda L: L.ones(2, dtype=L.int64, requires_grad=True),
        "eye(-1)": lambda L: L.eye(-1), "eye(2, -1)": lambda L: L.eye(2, -1),
    }[call])


# ----- ranges ---------------------------------------------------------------------------------------------
def test_arange(torch):
    same(torch, lambda L: [L.arange(5), L.arange(0, 1, 0.25), L.arange(5, 0, -1), L.arange(1, 0, -0.3),
                           L.arange(3, dtype=L.float32), L.arange(0), L.arange(2.5), L.arange(L.tensor(3)),
                           L.arange(1.0, 3), L.arange(3, 3), L.arange(0.5, 5, 1.5, dtype=L.int64),
                           L.arange(-0.5, 5, 2, dtype=L.int64), L.arange(10, dtype=L.uint8), L.arange(0, 1, 0.1),
                           L.arange(1, 2.0000001, 0.1), L.arange(-3, 3, 2.5, dtype=L.float64)])


@pytest.mark.parametrize("args", [(0, 5, -1), (0, 5, 0), (0.0, 5.0, 0.0), (0, float("inf")), (float("nan"),)])
def test_arange_errors(torch, args):
    raises_same(torch, lambda L: L.arange(*args))
    raises_same(torch, lambda L: L.arange(0, 2.5, 0.5, dtype=L.int64))


def test_linspace_logspace(torch):
    same(torch, lambda L: [L.linspace(0, 1, 5), L.linspace(0, 1, 1), L.linspace(0, 1, 0), L.linspace(1, 0, 3),
                           L.linspace(0, 10, 5, dtype=L.int64), L.linspace(0, 1, 5, dtype=L.int64),
                           L.linspace(-3.7, 12.1, 11), L.linspace(0, 1, 7, dtype=L.float64), L.linspace(0, 1, 100),
                           L.linspace(L.tensor(0.0), L.tensor(1.0), 3), L.logspace(0, 2, 3),
                           L.logspace(0, 2, 3, base=2), L.logspace(-1, 1, 5, dtype=L.float64)])
    raises_same(torch, lambda L: L.linspace(0, 1, -1))
    raises_same(torch, lambda L: L.logspace(0, 1, -1))


# ----- the legacy constructor ---------------------------------------------------------------------------
def test_legacy_constructor(torch):
    same(torch, lambda L: [L.Tensor(2, 3).shape, L.Tensor([1, 2]), L.Tensor().shape, L.Tensor([True]),
                           L.Tensor(np.arange(2)), isinstance(L.ones(1), L.Tensor)])
    raises_same(torch, lambda L: L.Tensor(2.5))
    raises_same(torch, lambda L: L.Tensor("a"))


# ----- random -------------------------------------------------------------------------------------------
def test_random_draws_reproduce_torch(torch):
    """Seeded cpu draws give torch's numbers: uniform, normal (small and blocked), integers, permutations."""
    def scenario(L):
        L.manual_seed(0)
        out = [L.randn(3), L.rand(2), L.randint(0, 10, (5,)), L.randperm(6), L.normal(2.0, 3.0, (2,)), L.randn(3)]
        L.manual_seed(2 ** 40 + 7)
        out += [L.randn(17), L.randn(40, dtype=L.float64), L.rand(3, dtype=L.float64), L.randint(-5, 2 ** 40, (4,)),
                L.randint(3, (2, 2)), L.randperm(100), L.normal(L.zeros(2, 3), 1.0), L.normal(L.ones(3), L.ones(3)),
                L.rand_like(L.ones(2, dtype=L.float64)), L.randn_like(L.ones(20)), L.randint_like(L.ones(3), 5),
                L.randint_like(L.ones(3, dtype=L.int32), 2, 5)]
        return out
    same(torch, scenario)


def test_generators(torch):
    def scenario(L):
        g = L.Generator().manual_seed(7)
        a = L.randn(3, generator=g)
        state = g.get_state()
        b = L.randn(5, generator=g)
        g.set_state(state)
        again = L.randn(5, generator=g)
        L.manual_seed(3)
        x = L.rand(4)
        L.manual_seed(3)
        y = L.rand(4)
        return [a, b, again, x, y, g.initial_seed(), L.initial_seed(), state.dtype, state.dim(),
                type(L.manual_seed(1)).__name__, str(L.Generator().device), L.Generator().initial_seed(),
                L.Generator().manual_seed(-1).initial_seed(), L.Generator().manual_seed(2 ** 64 - 1).initial_seed()]
    same(torch, scenario)


def test_rng_state_round_trip():
    minitorch.manual_seed(11)
    state = minitorch.get_rng_state()
    first = minitorch.randn(5).tolist()
    minitorch.set_rng_state(state)
    assert minitorch.randn(5).tolist() == first


def test_random_shapes_and_options(torch):
    same(torch, lambda L: [L.rand(2, 3).shape, L.randn((2,)).dtype, L.rand(2, requires_grad=True).requires_grad,
                           L.randint(3, 5, (10,)).dtype, L.randint(0, 5, (2,), dtype=L.float32).dtype,
                           L.randperm(3, dtype=L.float32).dtype, L.randperm(0), L.normal(2, 3, size=(2,)).dtype])


@pytest.mark.parametrize("call", ["rand int", "randn int", "rand_like int", "randint bad range", "randint no size",
                                  "randperm -1", "normal -std", "normal tensor -std", "seed float", "seed big",
                                  "seed str", "set_state float"])
def test_random_errors(torch, call):
    raises_same(torch, {
        "rand int": lambda L: L.rand(2, dtype=L.int64), "randn int": lambda L: L.randn(2, dtype=L.int64),
        "rand_like int": lambda L: L.rand_like(L.ones(2, dtype=L.int64)),
        "randint bad range": lambda L: L.randint(5, 3, (2,)), "randint no size": lambda L: L.randint(0, 5),
        "randperm -1": lambda L: L.randperm(-1), "normal -std": lambda L: L.normal(0.0, -1.0, (2,)),
        "normal tensor -std": lambda L: L.normal(L.zeros(2), L.tensor([1.0, -2.5])),
        "seed float": lambda L: L.Generator().manual_seed(1.5),
        "seed big": lambda L: L.Generator().manual_seed(2 ** 64),
        "seed str": lambda L: L.Generator().manual_seed("a"),
        "set_state float": lambda L: L.Generator().set_state(L.zeros(3)),
    }[call])


@pytest.mark.cuda
def test_random_on_cuda_is_reproducible():
    minitorch.manual_seed(5)
    a = minitorch.randn(4, 3, device="cuda")
    b = minitorch.randint(0, 10, (6,), device="cuda")
    minitorch.manual_seed(5)
    assert minitorch.randn(4, 3, device="cuda").tolist() == a.tolist()
    assert minitorch.randint(0, 10, (6,), device="cuda").tolist() == b.tolist()
    assert a.device == minitorch.device("cuda", 0)
    assert sorted(minitorch.randperm(5, device="cuda").tolist()) == [0, 1, 2, 3, 4]
