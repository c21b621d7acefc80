"""Acceptance parity for the training stack (issue 5): DataLoader shuffling and samplers draw torch's
random numbers in torch's order, so a seeded script sees the same batches (and the same later draws)."""
import pytest

import minitorch


def _run(lib, fn):
    return fn(lib, __import__(lib.__name__ + ".utils.data", fromlist=["DataLoader"]))


def _shuffled_with_generator(lib, data):
    loader = data.DataLoader(data.TensorDataset(lib.arange(10)), batch_size=4, shuffle=True,
                             generator=lib.Generator().manual_seed(3))
    return [[b[0].tolist() for b in loader] for _ in range(2)]


def _shuffled_global(lib, data):
    lib.manual_seed(1)
    it = iter(data.DataLoader(data.TensorDataset(lib.arange(10)), batch_size=4, shuffle=True))
    between = lib.rand(2).tolist()  # the iterator already took its base seed from the default generator
    return between, [b[0].tolist() for b in it]


def _draws_after_plain_epoch(lib, data):
    lib.manual_seed(0)
    for _ in data.DataLoader(data.TensorDataset(lib.arange(10)), batch_size=4):
        pass
    return lib.randn(3).tolist()


def _weighted(lib, data):
    sampler = data.WeightedRandomSampler([1, 0, 3, 2, 0.5], 20, generator=lib.Generator().manual_seed(5))
    return list(sampler)


def _random_sampler_with_replacement(lib, data):
    return list(data.RandomSampler(range(5), replacement=True, num_samples=40,
                                   generator=lib.Generator().manual_seed(2)))


@pytest.mark.parametrize("fn", [_shuffled_with_generator, _shuffled_global, _draws_after_plain_epoch, _weighted,
                                _random_sampler_with_replacement])
def test_loader_randomness_matches_torch(torch, fn):
    assert _run(minitorch, fn) == _run(torch, fn)
