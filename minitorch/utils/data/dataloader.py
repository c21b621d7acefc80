"""`DataLoader` (torch.utils.data.DataLoader): reads a dataset in batches, in order or shuffled.

With num_workers=0 batches are read in the calling process. With num_workers > 0 that many worker processes
read and collate them, as torch's do: each is seeded from one base seed drawn per iterator (random, NumPy and
minitorch), runs `worker_init_fn(worker_id)`, sees its own `get_worker_info()`, and receives batches of indices
round-robin, `prefetch_factor` per worker ahead of the consumer; batches come back in order (in_order=True). A
worker's exception is raised again in the main process naming the worker; `timeout` bounds each wait;
`persistent_workers` keeps the workers between epochs. Workers stop when the epoch ends, when the iterator is
garbage collected, on KeyboardInterrupt, or when the main process dies. `pin_memory` is accepted (pinned memory
needs an accelerator; without one torch's warning says it is not used)."""
import itertools
import multiprocessing
import os
import queue
import warnings
import weakref

from ... import accelerator
from ...autograd.profiler import _range
from ._worker import (MP_STATUS_CHECK_INTERVAL, ExceptionWrapper, IterableDatasetStopIteration, IterableFetcher,
                      MapFetcher, ResumeIteration, get_worker_info, worker_loop)
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, _draw_seed

__all__ = ["DataLoader", "get_worker_info"]

_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


def _check_iterable_options(shuffle, sampler, batch_sampler):
    """An IterableDataset decides its own order, so order options are errors (torch's messages)."""
    if shuffle not in (None, False):
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                         f"shuffle={shuffle}")
    for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
        if value is not None:
            raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                             f"but got {name}={value}")


class DataLoader:
    """Iterate over `dataset` in batches of `batch_size` samples merged by `collate_fn`.

    shuffle=True draws a new random order each epoch (from `generator` if given, so a seeded generator gives
    reproducible epochs); `sampler` or `batch_sampler` choose the indices yourself; batch_size=None turns
    batching off (each sample is passed through default_convert). An IterableDataset is read in its own
    order and batched as it streams."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers "
                             "> 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if isinstance(dataset, IterableDataset):
            _check_iterable_options(shuffle, sampler, batch_sampler)
        elif sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn or (default_collate if self._auto_collation else default_convert)
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._iterator = None
        self._initialized = True

    def __setattr__(self, name, value):
        if getattr(self, "_initialized", False) and name in _FROZEN:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None or (isinstance(self.dataset, IterableDataset)
                                                  and self.batch_size is not None)

    def _batches(self):
        if isinstance(self.dataset, IterableDataset):
            yield from self._stream_batches()
            return
        getitems = getattr(self.dataset, "__getitems__", None)
        if self.batch_sampler is None:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        for indices in self.batch_sampler:
            samples = getitems(indices) if callable(getitems) else [self.dataset[i] for i in indices]
            yield self.collate_fn(samples)

    def _stream_batches(self):
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        if not self.persistent_workers:
            return _MultiProcessingDataLoaderIter(self)
        if self._iterator is None:
            self._iterator = _MultiProcessingDataLoaderIter(self)
        else:
            self._iterator._reset()
        return self._iterator

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{methods!r}, but got multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            elif not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context object or a string "
                                f"specifying the start method, but got multiprocessing_context={context}")
        self._multiprocessing_context = context

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)


class _SingleProcessDataLoaderIter:
    """One pass over a DataLoader in the calling process; has a length like torch's loader iterators."""

    def __init__(self, loader):
        self._loader = loader
        self._batches = loader._batches()
        self._base_seed = _draw_seed(loader.generator)  # torch draws its worker base seed here
        _warn_pin_memory(loader)

    def __iter__(self):
        return self

    def __next__(self):
        with _range(f"enumerate(DataLoader)#{type(self).__name__}.__next__"):  # the profiler's range for a batch
            return self._next_batch()

    def _next_batch(self):
        return next(self._batches)

    def __len__(self):
        return len(self._loader)


def _warn_pin_memory(loader):
    if loader.pin_memory and not accelerator.is_available():
        warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned memory "
                      "won't be used.", stacklevel=4)


def _constant_none():
    """The indices an IterableDataset's workers are sent: placeholders, as the dataset picks its samples."""
    return itertools.repeat(None)


class _MultiProcessingDataLoaderIter(_SingleProcessDataLoaderIter):
    """One pass (or, with persistent workers, every pass) over a DataLoader read by worker processes.

    Task t (a batch of indices) goes to the next worker still working; the results are put back in task order
    (in_order=True) or taken as they come."""

    def __init__(self, loader):
        # a persistent iterator belongs to its loader (loader._iterator): a strong reference back would make a
        # cycle that only the garbage collector breaks, keeping the workers alive until it runs
        self._loader = weakref.proxy(loader) if loader.persistent_workers else loader
        self._base_seed = _draw_seed(loader.generator)
        _warn_pin_memory(loader)
        iterable = isinstance(loader.dataset, IterableDataset)
        context = loader.multiprocessing_context or multiprocessing
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor * self._num_workers
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        self._data_queue = context.Queue()
        self._done_event = context.Event()
        self._index_queues, self._workers = [], []
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()
            worker = context.Process(target=worker_loop, args=(
                IterableFetcher if iterable else MapFetcher, loader.dataset, index_queue, self._data_queue,
                self._done_event, loader._auto_collation, loader.collate_fn, loader.drop_last, self._base_seed,
                loader.worker_init_fn, worker_id, self._num_workers), daemon=True)
            worker.start()
            self._index_queues.append(index_queue)
            self._workers.append(worker)
        self._owner = os.getpid()  # a forked worker inherits this object, but must never shut the workers down
        self._shutdown = False
        self._reset(first=True)

    def _index_stream(self):
        loader = self._loader
        if not isinstance(loader.dataset, IterableDataset):
            return iter(loader.batch_sampler if loader.batch_sampler is not None else loader.sampler)
        if loader.batch_size is None:
            return _constant_none()
        return iter(BatchSampler(_constant_none(), loader.batch_size, loader.drop_last))

    def _reset(self, first=False):
        """Start a pass: a fresh index stream, every worker active, `prefetch_factor` tasks per worker sent."""
        self._indices = self._index_stream()
        self._sent = self._received = 0
        self._tasks = {}  # task id -> [worker id] while pending, [worker id, data] once back before its turn
        self._active = [True] * self._num_workers
        self._next_worker = itertools.cycle(range(self._num_workers))
        if not first:  # persistent workers: restart their dataset iterators, dropping what an early break left
            for q in self._index_queues:
                q.put(ResumeIteration())
            for _ in range(self._num_workers):
                while not isinstance(self._get()[0], ResumeIteration):
                    pass
        for _ in range(self._prefetch):
            self._send_task()

    def _send_task(self):
        if sum(len(info) == 1 for info in self._tasks.values()) >= self._prefetch or not any(self._active):
            return
        worker_id = next(self._next_worker)
        while not self._active[worker_id]:
            worker_id = next(self._next_worker)
        try:
            index = next(self._indices)
        except StopIteration:
            return
        self._index_queues[worker_id].put((self._sent, index))
        self._tasks[self._sent] = [worker_id]
        self._sent += 1

    def _get(self):
        """The next (task id, data) from any worker, within `timeout` (and noticing workers that died)."""
        while True:
            try:
                return self._data_queue.get(timeout=self._timeout if self._timeout > 0 else MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if self._timeout > 0:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
                failed = [w for w in self._workers if not w.is_alive()]
                if failed:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(str(w.pid) for w in failed)}) exited "
                                       "unexpectedly") from None

    def _next_batch(self):
        try:
            return self._next()
        except StopIteration:
            if not self._persistent:
                self._shutdown_workers()
            raise
        except (KeyboardInterrupt, SystemExit):
            self._shutdown_workers()
            raise

    def _next(self):
        while True:
            for task, info in list(self._tasks.items()):  # sent to a worker whose stream ended first: lost
                if len(info) == 1 and not self._active[info[0]]:
                    del self._tasks[task]
            if not self._tasks:
                raise StopIteration
            while self._received not in self._tasks:
                self._received += 1
            if len(self._tasks[self._received]) == 2:
                return self._take(self._received)
            task, data = self._get()
            if isinstance(data, IterableDatasetStopIteration):
                self._active[data.worker_id] = False
                del self._tasks[task]
                continue
            self._tasks[task].append(data)
            if task == self._received or not self._in_order:
                return self._take(task)

    def _take(self, task):
        data = self._tasks.pop(task)[1]
        self._send_task()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _shutdown_workers(self):
        """Stop the workers: tell each to finish, wait a little, then terminate those still running."""
        if self._shutdown or os.getpid() != self._owner:
            return
        self._shutdown = True
        self._done_event.set()
        for q in self._index_queues:
            q.put(None)
        for w in self._workers:
            w.join(timeout=MP_STATUS_CHECK_INTERVAL)
        for q in self._index_queues:
            q.cancel_join_thread()
            q.close()
        self._data_queue.cancel_join_thread()
        self._data_queue.close()
        for w in self._workers:
            if w.is_alive():
                w.terminate()
                w.join()

    def __del__(self):
        if getattr(self, "_workers", None) and not getattr(self, "_shutdown", True):
            self._shutdown_workers()
