"""DataLoader with worker processes, against torch. The programs (tests/dataloader_scenarios.py) run in child
processes under a timeout that kills their whole process group, so a hang fails a test instead of the suite."""
import json

import numpy as np
import pytest

from tests import _processes

COMPARED = ("batches", "seeding", "iterable", "errors")  # run with torch too
OWN = ("persistent", "shutdown", "spawn")  # checked against torch's documented behaviour, to keep this file quick


@pytest.fixture(scope="module")
def results(torch):
    """Every scenario's summary per library; the two libraries run at the same time, each in its own process."""
    runs = {"minitorch": COMPARED + OWN, "torch": COMPARED}
    codes = {lib: f"from tests import dataloader_scenarios as s; s.main({lib!r}, {', '.join(map(repr, names))})"
             for lib, names in runs.items()}
    outputs = _processes.run_together(codes, timeout=180)
    for lib, (returncode, out, err) in outputs.items():
        assert returncode == 0, f"{lib}: {err}"
    return {lib: json.loads(out) for lib, (_, out, _) in outputs.items()}


def test_batches_are_those_of_the_main_process(results):
    mine = results["minitorch"]["batches"]
    assert mine == results["torch"]["batches"]
    for workers in ("2 workers", "3 workers"):
        assert mine[workers] == mine["0 workers"]
    assert len(mine["unbatched"]) == 10 and {w for _, w in mine["unbatched"]} == {0, 1}
    assert mine["in_order=False"] == list(map(float, range(8)))


def test_workers_are_seeded_as_torch_seeds_them(results):
    mine, theirs = results["minitorch"]["seeding"], results["torch"]["seeding"]
    assert mine == theirs
    draws = mine["epoch 1"]
    assert [d["worker"] for d in draws] == [0, 1, 0, 1, 0, 1]  # tasks go round-robin
    assert draws[0]["seed"] + 1 == draws[1]["seed"] and draws[0]["initial_seed"] == draws[0]["seed"]
    assert draws[0]["init_mark"] == "initialised 0" and draws[1]["init_mark"] == "initialised 1"
    assert mine["epoch 2 differs"] and mine["main process info"] is None


def test_numpy_seed_matches_torchs_generate_state(torch):
    from torch.utils.data._utils.worker import _generate_state
    from minitorch.utils.data._worker import numpy_seed
    for base, worker in ((0, 0), (123456789012345, 3), (2 ** 63 - 1, 7), (2 ** 32, 1)):
        assert numpy_seed(base, worker).tolist() == _generate_state(base, worker)


def test_iterable_dataset_split_by_worker_info(results):
    assert results["minitorch"]["iterable"] == results["torch"]["iterable"]


def test_a_workers_exception_is_raised_in_the_main_process(results):
    mine, theirs = results["minitorch"]["errors"], results["torch"]["errors"]
    assert mine == theirs
    assert mine["ValueError"] == ["ValueError", "Caught ValueError in DataLoader worker process 0.", True, True]
    assert mine["timeout"] == ["RuntimeError", "DataLoader timed out after 0.2 seconds"]


def test_persistent_workers_live_across_epochs(results):
    persistent = results["minitorch"]["persistent"]
    assert persistent == {"same workers across epochs": [True, 8], "new workers each epoch": [False, 8]}


def test_workers_stop_on_garbage_collection_and_keyboard_interrupt(results):
    shutdown = results["minitorch"]["shutdown"]
    assert shutdown["garbage collected"] == [2, []]
    assert shutdown["dropped after a worker's exception"] == [2, []]
    assert shutdown["KeyboardInterrupt"] == [2, []]  # (torch leaves its workers running a while longer)


def test_pin_memory_is_accepted_with_torchs_warning(torch):
    import warnings
    import torch.utils.data
    import minitorch.utils.data as mdata
    seen = []
    for data in (mdata, torch.utils.data):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            batches = [b.tolist() for b in data.DataLoader([1, 2, 3], batch_size=2, pin_memory=True)]
        seen.append((batches, [str(w.message) for w in caught]))
    assert seen[0] == seen[1] and seen[0][0] == [[1, 2], [3]]


def test_spawned_workers_receive_tensors(results):
    assert results["minitorch"]["spawn"] == {"batches": [[[[0.0, 1.0], [2.0, 3.0]], [0, 1]], [[[4.0, 5.0]], [2]]]}


def test_option_errors_match_torch(torch):
    import torch.utils.data
    import minitorch.utils.data as mdata
    cases = [dict(num_workers=0, prefetch_factor=2), dict(num_workers=2, prefetch_factor=-1),
             dict(num_workers=0, persistent_workers=True), dict(num_workers=-1), dict(num_workers=0, timeout=-1),
             dict(num_workers=0, multiprocessing_context="spawn"), dict(num_workers=1, multiprocessing_context="nope"),
             dict(num_workers=1, multiprocessing_context=3)]
    for kwargs in cases:
        errors = []
        for data in (mdata, torch.utils.data):
            with pytest.raises(Exception) as info:
                data.DataLoader(list(range(4)), **kwargs)
            errors.append((type(info.value), str(info.value)))
        assert errors[0] == errors[1], kwargs


def test_tensors_cross_processes_through_the_forking_pickler():
    from multiprocessing.reduction import ForkingPickler
    import minitorch
    p = minitorch.nn.Parameter(minitorch.arange(4.0))
    t = minitorch.ones(2, 2, dtype=minitorch.int16)
    back = [ForkingPickler.loads(ForkingPickler.dumps(x)) for x in (p, t)]
    assert type(back[0]) is minitorch.nn.Parameter and back[0].requires_grad
    assert np.array_equal(back[0].detach().numpy(), p.detach().numpy()) and back[1].dtype is minitorch.int16
