"""What runs inside a DataLoader worker process: seeding as torch seeds its workers, `get_worker_info`, reading
samples and collating them into batches, and sending each batch (or the exception that stopped it) back.

Tensors cross between processes through multiprocessing's pickler, which minitorch teaches to carry a tensor as
its NumPy array (the registration below). That pickler only ever reads what our own workers wrote; files are never
unpickled (see minitorch.serialization)."""
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler

import numpy as np

from ... import _random, cuda
from ..._tensor import Tensor
from ...nn.parameter import Parameter

MP_STATUS_CHECK_INTERVAL = 5.0  # seconds between the main process's checks that its workers are alive
WORKER_POLL_INTERVAL = 1.0  # seconds between a waiting worker's checks for shutdown and for its parent


@dataclass(frozen=True)
class WorkerInfo:
    """Information about the current DataLoader worker process (torch.utils.data.get_worker_info)."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


_worker_info = None


def get_worker_info():
    """The WorkerInfo of the worker process this runs in, or None in the main process. An IterableDataset uses
    it to split its stream between workers (each worker iterates its own copy of the dataset)."""
    return _worker_info


# ----- tensors between processes ------------------------------------------------------------------------------
def _rebuild_tensor(cls, array, requires_grad, device):
    t = Tensor._wrap(array)
    if device != "cpu":
        t = t.to(device)
    if cls is Parameter:
        return Parameter(t, requires_grad)
    return t.requires_grad_(requires_grad) if requires_grad else t


def _reduce_tensor(t):
    return _rebuild_tensor, (type(t), t._data if t.is_cpu else t._data.get(), t.requires_grad, str(t.device))


for _cls in (Tensor, Parameter):
    ForkingPickler.register(_cls, _reduce_tensor)


# ----- seeding --------------------------------------------------------------------------------------------------
def numpy_seed(base_seed, worker_id):
    """The NumPy seed torch gives worker `worker_id`: four 32-bit words hashed from the worker id and the 64-bit
    base seed (NumPy's SeedSequence mixing, which torch's _generate_state reproduces)."""
    return np.random.SeedSequence([worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]).generate_state(4)


def _seed_worker(base_seed, worker_id):
    """Seed random, NumPy and minitorch as torch seeds a worker. GPU generators are seeded only where the main
    process had looked for a GPU already (looking imports CuPy, which would cost every worker half a second)."""
    seed = base_seed + worker_id
    random.seed(seed)
    _random.default_generator.manual_seed(seed)
    if cuda._state["checked"]:
        _random._seed_cuda(seed)
    np.random.seed(numpy_seed(base_seed, worker_id))
    return seed


# ----- messages -------------------------------------------------------------------------------------------------
class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback as text."""

    def __init__(self, where):
        exc_type, exc, _ = sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__))
        self.where = where

    def reraise(self):
        """Raise the worker's exception in this process, with the worker's traceback in its message."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:  # KeyError quotes its message; show the traceback as lines instead
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # an exception type that takes other arguments
            raise RuntimeError(msg) from None
        try:
            raise exception
        finally:  # no cycle through this frame: the iterator that called us must not wait for the collector
            del exception


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


@dataclass(frozen=True)
class IterableDatasetStopIteration:
    """A worker's IterableDataset copy is exhausted: the main process sends it no more work."""

    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    """A new epoch for persistent workers: they acknowledge it and restart their dataset iterator."""


# ----- reading batches ------------------------------------------------------------------------------------------
class MapFetcher:
    """Samples of a map-style dataset by index, collated into a batch (or one converted sample)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        getitems = getattr(self.dataset, "__getitems__", None)
        return self.collate_fn(getitems(index) if callable(getitems) else [self.dataset[i] for i in index])


class IterableFetcher:
    """The next samples of an IterableDataset's stream; StopIteration when it has none left."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.iterator = iter(dataset)
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        batch = []
        for _ in index:
            try:
                batch.append(next(self.iterator))
            except StopIteration:
                break
        if not batch or self.drop_last and len(batch) < len(index):
            raise StopIteration
        return self.collate_fn(batch)


def worker_loop(fetcher_type, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn, drop_last,
                base_seed, init_fn, worker_id, num_workers):
    """A worker's life: seed, run worker_init_fn, then answer (task id, indices) messages with (task id, batch)
    until told to stop (None), or until the main process is gone."""
    global _worker_info
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        failure = fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = fetcher_type(dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            failure = ExceptionWrapper(where)
        parent, iteration_end = os.getppid(), False
        while os.getppid() == parent:  # a worker outliving the main process stops
            try:
                message = index_queue.get(timeout=WORKER_POLL_INTERVAL)
            except queue.Empty:
                if done_event.is_set():  # shut down, whether or not the final None gets through
                    break
                continue
            if isinstance(message, ResumeIteration):
                data_queue.put((message, None))
                iteration_end = False
                fetcher = fetcher_type(dataset, auto_collation, collate_fn, drop_last)
                continue
            if message is None:
                break
            if done_event.is_set() or iteration_end:
                continue  # shutting down: wait for the final None
            task, index = message
            if failure is not None:
                data, failure = failure, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if fetcher_type is not IterableFetcher:
                        data = ExceptionWrapper(where)
                    else:
                        data, iteration_end = IterableDatasetStopIteration(worker_id), True
                except Exception:
                    data = ExceptionWrapper(where)
            data_queue.put((task, data))
            del data, index, message
    except KeyboardInterrupt:  # the main process receives it too and shuts the workers down
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
