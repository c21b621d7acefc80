"""DataLoader programs with worker processes, run in a child process by tests/test_dataloader_workers.py (under a
timeout that kills the whole process group) for minitorch and for torch; each prints a JSON summary.

    python -c "from tests import dataloader_scenarios as s; s.main('minitorch', 'seeding')"
"""
import gc
import json
import os
import random
import signal
import sys
import threading
import time

import numpy as np

lib = None  # minitorch or torch, set by main()
data = None


class Numbers:
    """0 .. n-1 as float tensors, with the worker that read each."""

    def __init__(self, n=20, fail_at=None, error=ValueError, delay=0.0):
        self.n, self.fail_at, self.error, self.delay = n, fail_at, error, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise self.error(f"sample {i} is broken")
        time.sleep(self.delay)
        info = data.get_worker_info()
        return lib.tensor([float(i)]), -1 if info is None else info.id


class Draws:
    """Each sample is what its worker's random sources give, and the worker's identity and seed."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        info = data.get_worker_info()
        return {"worker": info.id, "num_workers": info.num_workers, "seed": info.seed, "python": random.random(),
                "numpy": float(np.random.rand()), "lib": lib.rand(1).item(), "initial_seed": lib.initial_seed(),
                "init_mark": _init_mark, "dataset_is_copy": info.dataset is not _dataset_in_main}


_init_mark = None
_dataset_in_main = None


def mark_worker(worker_id):
    global _init_mark
    _init_mark = f"initialised {worker_id}"


class SplitStream:
    """An IterableDataset (mixed into the library's class in scenario_iterable) that each worker reads its own
    share of, by get_worker_info (torch's docs pattern)."""

    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = data.get_worker_info()
        if info is None:
            return iter(range(self.start, self.end))
        per_worker = -(-(self.end - self.start) // info.num_workers)
        first = self.start + info.id * per_worker
        return iter(range(first, min(first + per_worker, self.end)))


def values(batches):
    return [[b[0].flatten().tolist(), b[1].tolist()] for b in batches]


def scenario_batches():
    out = {}
    for workers in (0, 2, 3):
        loader = data.DataLoader(Numbers(), batch_size=3, shuffle=True, num_workers=workers,
                                 generator=lib.Generator().manual_seed(5))
        out[f"{workers} workers"] = [[b[0].flatten().tolist() for b in loader], len(iter(loader))]
    loader = data.DataLoader(Numbers(10), batch_size=None, num_workers=2)
    out["unbatched"] = [[b[0].tolist(), b[1]] for b in loader]
    loader = data.DataLoader(Numbers(10), batch_size=4, drop_last=True, num_workers=2, prefetch_factor=1)
    out["drop_last, prefetch 1"] = values(loader)
    loader = data.DataLoader(Numbers(8), batch_size=2, num_workers=2, in_order=False)
    out["in_order=False"] = sorted(sum((b[0].flatten().tolist() for b in loader), []))
    return out


def scenario_seeding():
    global _dataset_in_main
    dataset = _dataset_in_main = Draws()
    loader = data.DataLoader(dataset, batch_size=None, num_workers=2, worker_init_fn=mark_worker,
                             generator=lib.Generator().manual_seed(7))
    return {"epoch 1": list(loader), "epoch 2 differs": list(loader) != list(loader),
            "main process info": data.get_worker_info()}


def scenario_iterable():
    Split = type("Split", (SplitStream, data.IterableDataset), {})
    loader = data.DataLoader(Split(3, 10), num_workers=2, batch_size=2)
    return {"batches": [b.tolist() for b in loader],
            "unbatched": [int(x) for x in data.DataLoader(Split(0, 5), num_workers=3, batch_size=None)]}


def scenario_errors():
    out = {}
    for error in (ValueError, KeyError):
        try:
            list(data.DataLoader(Numbers(fail_at=5, error=error), batch_size=2, num_workers=2))
        except Exception as e:  # noqa: BLE001 - reported for comparison
            text = str(e)
            out[error.__name__] = [type(e).__name__, text.split("\n")[0], "Original Traceback" in text,
                                   "sample 5 is broken" in text]
    try:
        list(data.DataLoader(Numbers(4, delay=1.0), batch_size=2, num_workers=1, timeout=0.2))
    except Exception as e:  # noqa: BLE001
        out["timeout"] = [type(e).__name__, str(e)]
    loader = iter(data.DataLoader(Numbers(8, fail_at=2), batch_size=2, num_workers=2))
    caught = []
    for _ in range(4):
        try:
            caught.append(next(loader)[0].flatten().tolist())
        except ValueError:
            caught.append("error")
    out["continue after an error"] = caught
    return out


def scenario_persistent():
    pids = {}
    for persistent in (True, False):
        loader = data.DataLoader(PidDataset(), batch_size=2, num_workers=2, persistent_workers=persistent)
        epochs = [sorted(set(sum((b.tolist() for b in loader), []))) for _ in range(2)]
        for b in loader:  # an early break, then a full epoch
            break
        last = sum((b.tolist() for b in loader), [])
        pids[persistent] = [epochs[0] == epochs[1], len(last)]
    return {"same workers across epochs": pids[True], "new workers each epoch": pids[False]}


class PidDataset:
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return os.getpid()


def alive(pids):
    out = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            out.append(pid)
        except ProcessLookupError:
            pass
    return out


def worker_pids():
    import multiprocessing
    return [p.pid for p in multiprocessing.active_children()]


def scenario_shutdown():
    out = {}
    it = iter(data.DataLoader(Numbers(40, delay=0.01), batch_size=2, num_workers=2))
    next(it)
    pids = worker_pids()
    del it
    gc.collect()
    time.sleep(0.2)
    out["garbage collected"] = [len(pids), alive(pids)]
    gc.disable()  # an iterator that re-raised a worker's exception must be freed without the cycle collector
    pids = []
    try:
        for _ in data.DataLoader(Numbers(10, fail_at=6), batch_size=2, num_workers=2):
            pids = pids or worker_pids()
    except ValueError:
        pass
    time.sleep(0.3)
    gc.enable()
    out["dropped after a worker's exception"] = [len(pids), alive(pids)]
    loader = data.DataLoader(Numbers(400, delay=0.01), batch_size=2, num_workers=2)
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    pids = []
    try:
        for _ in loader:
            pids = pids or worker_pids()
        out["KeyboardInterrupt"] = "not raised"
    except KeyboardInterrupt:
        time.sleep(0.2)
        out["KeyboardInterrupt"] = [len(pids), alive(pids)]
    return out


def scenario_spawn():
    dataset = data.TensorDataset(lib.arange(6.0).reshape(3, 2), lib.tensor([0, 1, 2]))
    loader = data.DataLoader(dataset, batch_size=2, num_workers=1, multiprocessing_context="spawn")
    return {"batches": [[x.tolist(), y.tolist()] for x, y in loader]}


def main(name, *scenarios):
    global lib, data
    lib = __import__(name)
    __import__(f"{name}.utils.data")
    data = lib.utils.data
    if name == "torch":
        lib.set_num_threads(1)
    print(json.dumps({s: globals()[f"scenario_{s}"]() for s in scenarios}))
    sys.stdout.flush()
