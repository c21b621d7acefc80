"""minitorch.utils.data against torch.utils.data: datasets, samplers, random_split, default_collate /
default_convert and DataLoader batches (values, dtypes, structure, lengths), torch's error messages, and
reproducible shuffling from a seeded generator."""
import collections
import warnings

import numpy as np
import pytest

import minitorch
import minitorch.utils.data as mdata

Pair = collections.namedtuple("Pair", "x y")


def to_py(obj):
    """A comparable picture of a (nested) batch from either library: tensors become (dtype, shape, values)."""
    if type(obj).__name__ == "Tensor":
        return ("tensor", str(obj.dtype).split(".")[-1], tuple(obj.shape), obj.tolist())
    if isinstance(obj, dict):
        return {k: to_py(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return ("namedtuple", type(obj).__name__, [to_py(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [to_py(v) for v in obj])
    return obj


def both(torch, build):
    """`build(lib, data_module)` run with minitorch and with torch."""
    import torch.utils.data
    return build(minitorch, mdata), build(torch, torch.utils.data)


def error_of(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


def stream_class(data):
    """An IterableDataset subclass of `data` streaming 0 .. n-1, with a length."""
    return type("Stream", (data.IterableDataset,), {"__init__": lambda self, n: setattr(self, "n", n),
                                                   "__iter__": lambda self: iter(range(self.n)),
                                                   "__len__": lambda self: self.n})


# ----- collate ----------------------------------------------------------------------------------------------
COLLATE = {
    "floats": lambda lib: [1.5, 2.0, -3.0],
    "ints": lambda lib: [1, 2, 3],
    "bools": lambda lib: [True, False],
    "strings": lambda lib: ["a", "b"],
    "tensors": lambda lib: [lib.arange(6).reshape(2, 3), lib.ones(2, 3, dtype=lib.int64)],
    "float_tensors": lambda lib: [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])],
    "scalar_tensors": lambda lib: [lib.tensor(1.0), lib.tensor(2.0)],
    "numpy_arrays": lambda lib: [np.arange(4, dtype=np.float32), np.ones(4, dtype=np.float32)],
    "numpy_scalars": lambda lib: [np.float64(1.5), np.float64(2.5)],
    "numpy_int32": lambda lib: [np.int32(1), np.int32(2)],
    "tuples": lambda lib: [(lib.tensor([1.0]), 0), (lib.tensor([2.0]), 1)],
    "lists": lambda lib: [[1, 2.5], [3, 4.5]],
    "dicts": lambda lib: [{"img": np.zeros(2), "label": 3, "name": "a"},
                          {"img": np.ones(2), "label": 4, "name": "b"}],
    "nested": lambda lib: [{"pair": (1, [2.0, 3.0])}, {"pair": (4, [5.0, 6.0])}],
    "namedtuples": lambda lib: [Pair(1, 2.0), Pair(3, 4.0)],
}


@pytest.mark.parametrize("case", COLLATE)
def test_default_collate_matches_torch(torch, case):
    mine, theirs = both(torch, lambda lib, data: data.default_collate(COLLATE[case](lib)))
    assert to_py(mine) == to_py(theirs)


CONVERT = {
    "numpy_array": lambda lib: np.arange(3, dtype=np.int16),
    "numpy_scalar": lambda lib: np.float32(2.5),
    "tuple": lambda lib: (np.zeros(2), 1, "s"),
    "list": lambda lib: [np.ones(1), 2.0],
    "dict": lambda lib: {"a": np.arange(2), "b": 1},
    "namedtuple": lambda lib: Pair(np.arange(2), 3),
    "tensor": lambda lib: lib.arange(3),
    "number": lambda lib: 7,
    "string_array": lambda lib: np.array(["x"]),
}


@pytest.mark.parametrize("case", CONVERT)
def test_default_convert_matches_torch(torch, case):
    mine, theirs = both(torch, lambda lib, data: data.default_convert(CONVERT[case](lib)))
    if case == "string_array":
        assert mine.tolist() == theirs.tolist() == ["x"]
    else:
        assert to_py(mine) == to_py(theirs)


COLLATE_ERRORS = {
    "ragged_lists": lambda lib: [[1, 2], [3]],
    "objects": lambda lib: [object(), object()],
    "string_arrays": lambda lib: [np.array(["a"]), np.array(["b"])],
    "ragged_tensors": lambda lib: [lib.zeros(2), lib.zeros(3)],
}


@pytest.mark.parametrize("case", COLLATE_ERRORS)
def test_default_collate_errors_match_torch(torch, case):
    mine, theirs = both(torch, lambda lib, data: error_of(lambda: data.default_collate(COLLATE_ERRORS[case](lib))))
    assert mine == theirs


# ----- datasets ---------------------------------------------------------------------------------------------
def test_tensor_dataset_matches_torch(torch):
    def build(lib, data):
        ds = data.TensorDataset(lib.arange(10).reshape(5, 2), lib.arange(5.0))
        return len(ds), ds[3], ds[1:3]
    mine, theirs = both(torch, build)
    assert to_py(mine) == to_py(theirs)


def test_dataset_wrappers_match_torch(torch):
    def build(lib, data):
        concat = data.ConcatDataset([range(3), range(10, 14)])
        subset = data.Subset(np.arange(100, 110), [7, 2, 5])
        stack = data.StackDataset(range(3), "abc")
        named = data.StackDataset(a=range(3), b="abc")
        chain = data.ChainDataset([stream_class(data)(2), stream_class(data)(3)])
        added = data.Subset(range(5), [0, 1]) + data.Subset(range(5), [4])
        return (len(concat), [concat[i] for i in range(-7, 7)], concat.cumulative_sizes, len(subset),
                [int(subset[i]) for i in range(3)], subset[[2, 0]].tolist(), stack[1], named[2], list(chain),
                len(chain), type(added).__name__, list(added))
    mine, theirs = both(torch, build)
    assert to_py(mine) == to_py(theirs)


DATASET_ERRORS = {
    "tensor_size_mismatch": lambda lib, data: data.TensorDataset(lib.zeros(3), lib.zeros(4)),
    "getitem_not_implemented": lambda lib, data: data.Dataset()[0],
    "concat_empty": lambda lib, data: data.ConcatDataset([]),
    "concat_iterable": lambda lib, data: data.ConcatDataset([stream_class(data)(2)]),
    "concat_index": lambda lib, data: data.ConcatDataset([range(3), range(4)])[-8],
    "stack_mismatch": lambda lib, data: data.StackDataset(range(3), range(4)),
    "stack_mixed": lambda lib, data: data.StackDataset(range(3), b=range(3)),
    "stack_empty": lambda lib, data: data.StackDataset(),
    "split_sum": lambda lib, data: data.random_split(range(10), [3, 3]),
    "split_fraction_sum": lambda lib, data: data.random_split(range(10), [0.5, 0.6]),
}


@pytest.mark.parametrize("case", DATASET_ERRORS)
def test_dataset_errors_match_torch(torch, case):
    mine, theirs = both(torch, lambda lib, data: error_of(lambda: DATASET_ERRORS[case](lib, data)))
    assert mine == theirs


@pytest.mark.parametrize("n,fractions", [(10, [0.33, 0.33, 0.34]), (11, [0.5, 0.5]), (7, [0.1, 0.1, 0.8]),
                                         (100, [0.8, 0.2]), (5, [1.0])])
def test_random_split_fraction_lengths_match_torch(torch, n, fractions):
    def build(lib, data):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parts = data.random_split(range(n), fractions, generator=lib.Generator().manual_seed(0))
        return [len(p) for p in parts], [str(w.message) for w in caught]
    mine, theirs = both(torch, build)
    assert mine == theirs


def test_random_split_is_a_seeded_partition():
    parts = mdata.random_split(range(20), [5, 15], generator=minitorch.Generator().manual_seed(3))
    again = mdata.random_split(range(20), [5, 15], generator=minitorch.Generator().manual_seed(3))
    other = mdata.random_split(range(20), [5, 15], generator=minitorch.Generator().manual_seed(4))
    values = [list(p) for p in parts]
    assert sorted(values[0] + values[1]) == list(range(20))
    assert values == [list(p) for p in again]
    assert values != [list(p) for p in other]
    assert values[0] != list(range(5))
    minitorch.manual_seed(9)
    first = [list(p) for p in mdata.random_split(range(20), [10, 10])]
    minitorch.manual_seed(9)
    assert first == [list(p) for p in mdata.random_split(range(20), [10, 10])]


# ----- samplers ---------------------------------------------------------------------------------------------
def test_sequential_and_batch_samplers_match_torch(torch):
    def build(lib, data):
        seq = data.SequentialSampler(range(7))
        return (list(seq), len(seq), list(data.BatchSampler(seq, 3, False)), len(data.BatchSampler(seq, 3, False)),
                list(data.BatchSampler(seq, 3, True)), len(data.BatchSampler(range(7), 3, True)),
                list(data.BatchSampler(range(4), 4, True)))
    mine, theirs = both(torch, build)
    assert mine == theirs


SAMPLER_ERRORS = {
    "replacement_not_bool": lambda data: data.RandomSampler(range(3), replacement=1),
    "num_samples_zero": lambda data: data.RandomSampler(range(3), num_samples=0),
    "num_samples_float": lambda data: data.RandomSampler(range(3), num_samples=1.5),
    "empty_dataset": lambda data: data.RandomSampler([]),
    "batch_size_zero": lambda data: data.BatchSampler(range(3), 0, False),
    "batch_size_bool": lambda data: data.BatchSampler(range(3), True, False),
    "drop_last_not_bool": lambda data: data.BatchSampler(range(3), 2, drop_last=1),
    "weighted_num_samples": lambda data: data.WeightedRandomSampler([1.0, 2.0], 0),
    "weighted_2d": lambda data: data.WeightedRandomSampler([[1.0, 2.0]], 1),
    "base_iter": lambda data: iter(data.Sampler()),
}


@pytest.mark.parametrize("case", SAMPLER_ERRORS)
def test_sampler_errors_match_torch(torch, case):
    mine, theirs = both(torch, lambda lib, data: error_of(lambda: SAMPLER_ERRORS[case](data)))
    assert mine == theirs


def test_random_sampler_permutations_and_lengths():
    g = minitorch.Generator().manual_seed(0)
    once = list(mdata.RandomSampler(range(10), generator=g))
    assert sorted(once) == list(range(10)) and once != list(range(10))
    long = list(mdata.RandomSampler(range(10), num_samples=25, generator=g))
    assert len(long) == 25 and sorted(long[:10]) == sorted(long[10:20]) == list(range(10))
    assert len(set(long[20:])) == 5
    drawn = mdata.RandomSampler(range(4), replacement=True, num_samples=70, generator=g)
    values = list(drawn)
    assert len(drawn) == len(values) == 70 and set(values) == {0, 1, 2, 3}
    a = list(mdata.RandomSampler(range(30), generator=minitorch.Generator().manual_seed(5)))
    assert a == list(mdata.RandomSampler(range(30), generator=minitorch.Generator().manual_seed(5)))


def test_subset_and_weighted_samplers():
    g = minitorch.Generator().manual_seed(1)
    picked = list(mdata.SubsetRandomSampler([10, 20, 30, 40], generator=g))
    assert sorted(picked) == [10, 20, 30, 40] and len(mdata.SubsetRandomSampler([1, 2])) == 2
    weighted = mdata.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200, generator=g)
    counts = collections.Counter(weighted)
    assert len(weighted) == 200 and set(counts) == {1, 3} and counts[3] > counts[1]
    no_repeat = list(mdata.WeightedRandomSampler([1.0] * 5, 5, replacement=False, generator=g))
    assert sorted(no_repeat) == list(range(5))


# ----- DataLoader -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (5, True), (7, False),
                                                  (None, False)])
def test_loader_batches_match_torch(torch, batch_size, drop_last):
    def build(lib, data):
        ds = data.TensorDataset(lib.arange(10.0).reshape(5, 2), lib.arange(5))
        loader = data.DataLoader(ds, batch_size=batch_size, drop_last=drop_last)
        return len(loader), list(loader), len(iter(loader))
    mine, theirs = both(torch, build)
    assert to_py(mine) == to_py(theirs)


def test_loader_structures_match_torch(torch):
    def build(lib, data):
        samples = [{"x": np.full(3, i, dtype=np.float32), "y": i, "w": i / 2} for i in range(5)]
        return (list(data.DataLoader(samples, batch_size=2)),
                list(data.DataLoader(list(range(5)), batch_size=None)),
                list(data.DataLoader(stream_class(data)(5), batch_size=2)),
                list(data.DataLoader(stream_class(data)(5), batch_size=2, drop_last=True)),
                len(data.DataLoader(stream_class(data)(5), batch_size=2)),
                list(data.DataLoader(stream_class(data)(3), batch_size=None)),
                list(data.DataLoader(range(6), batch_sampler=[[0, 5], [2]])),
                list(data.DataLoader(range(6), sampler=[4, 1, 3], batch_size=2)),
                list(data.DataLoader(range(5), batch_size=2, collate_fn=lambda b: b)),
                list(data.DataLoader(data.Subset(range(10), [9, 0, 3]), batch_size=2)))
    mine, theirs = both(torch, build)
    assert to_py(mine) == to_py(theirs)


LOADER_ERRORS = {
    "batch_size_zero": lambda data: data.DataLoader([1, 2], batch_size=0),
    "empty_shuffle": lambda data: data.DataLoader([], shuffle=True),
    "sampler_and_shuffle": lambda data: data.DataLoader([1, 2], sampler=[0], shuffle=True),
    "batch_sampler_and_batch_size": lambda data: data.DataLoader([1, 2], batch_sampler=[[0]], batch_size=2),
    "batch_sampler_and_drop_last": lambda data: data.DataLoader([1, 2], batch_sampler=[[0]], drop_last=True),
    "no_batching_drop_last": lambda data: data.DataLoader([1, 2], batch_size=None, drop_last=True),
    "negative_workers": lambda data: data.DataLoader([1, 2], num_workers=-1),
    "negative_timeout": lambda data: data.DataLoader([1, 2], timeout=-1),
    "prefetch_without_workers": lambda data: data.DataLoader([1, 2], prefetch_factor=2),
    "persistent_without_workers": lambda data: data.DataLoader([1, 2], persistent_workers=True),
    "iterable_shuffle": lambda data: data.DataLoader(stream_class(data)(3), shuffle=True),
    "iterable_sampler": lambda data: data.DataLoader(stream_class(data)(3), sampler=[0]),
    "iterable_batch_sampler": lambda data: data.DataLoader(stream_class(data)(3), batch_sampler=[[0]]),
    "iterable_no_len": lambda data: len(data.DataLoader(type("S", (data.IterableDataset,),
                                                             {"__iter__": lambda self: iter([])})())),
    "iterable_no_iter": lambda data: type("S", (data.IterableDataset,), {})(),
    "set_batch_size": lambda data: setattr(data.DataLoader([1, 2]), "batch_size", 2),
    "set_dataset": lambda data: setattr(data.DataLoader([1, 2]), "dataset", [3]),
}


@pytest.mark.parametrize("case", LOADER_ERRORS)
def test_loader_errors_match_torch(torch, case):
    mine, theirs = both(torch, lambda lib, data: error_of(lambda: LOADER_ERRORS[case](data)))
    assert mine == theirs


def shuffled_epochs(loader, epochs=3):
    return [[int(v) for batch in loader for v in batch] for _ in range(epochs)]


def test_loader_shuffle_is_seeded_and_new_each_epoch():
    def loader(seed):
        return mdata.DataLoader(range(40), batch_size=8, shuffle=True,
                                generator=minitorch.Generator().manual_seed(seed))
    epochs = shuffled_epochs(loader(0))
    assert all(sorted(e) == list(range(40)) for e in epochs)
    assert epochs[0] != list(range(40)) and epochs[0] != epochs[1] != epochs[2]
    assert epochs == shuffled_epochs(loader(0))
    assert epochs != shuffled_epochs(loader(1))
    minitorch.manual_seed(2)
    default = shuffled_epochs(mdata.DataLoader(range(40), batch_size=8, shuffle=True))
    minitorch.manual_seed(2)
    assert default == shuffled_epochs(mdata.DataLoader(range(40), batch_size=8, shuffle=True))


def test_loader_workers_run_in_process_with_the_same_batches():
    ds = mdata.TensorDataset(minitorch.arange(12.0).reshape(6, 2))
    plain = [b[0].tolist() for b in mdata.DataLoader(ds, batch_size=4)]
    workers = mdata.DataLoader(ds, batch_size=4, num_workers=3, pin_memory=True, persistent_workers=True,
                               prefetch_factor=2)
    assert [b[0].tolist() for b in workers] == plain and mdata.get_worker_info() is None


def test_loader_attributes_match_torch(torch):
    def build(lib, data):
        loader = data.DataLoader(range(5), batch_size=2, shuffle=True)
        plain = data.DataLoader(range(5), batch_size=None)
        return (type(loader.sampler).__name__, type(loader.batch_sampler).__name__, loader.batch_size,
                loader.drop_last, loader.num_workers, loader.collate_fn.__name__, plain.batch_sampler,
                type(plain.sampler).__name__, plain.collate_fn.__name__,
                data.DataLoader(range(5), batch_sampler=[[0]]).batch_size)
    mine, theirs = both(torch, build)
    assert mine == theirs


def test_torch_style_import_path():
    import minitorch as torch_alias
    assert torch_alias.utils.data.DataLoader is mdata.DataLoader
    assert mdata.Dataset[int] is not None
