"""`Work` (a collective in flight) and the collective fingerprint: what every rank says it is about to run,
compared across ranks before any data moves, so that mismatched calls fail with a clear error instead of
corrupting memory or hanging."""
import os
import time

import numpy as np

from .. import _dtype
from ._types import DistBackendError

# torch's OpType names for the fingerprint and error messages
OP_TYPES = ("BROADCAST", "ALLREDUCE", "REDUCE", "ALLGATHER", "_ALLGATHER_BASE", "GATHER", "SCATTER",
            "_REDUCE_SCATTER_BASE", "ALLTOALL_BASE", "BARRIER")
_DTYPES = (_dtype.float32, _dtype.float64, _dtype.float16, _dtype.bfloat16, _dtype.int64, _dtype.int32,
           _dtype.int16, _dtype.int8, _dtype.uint8, _dtype.bool)
_MAX_DIMS = 8
FINGERPRINT_SIZE = 5 + _MAX_DIMS  # seq, op, root, dtype, ndim, dims
_POLLS_PER_CHECK = 64  # polls between looks at the clock and at failure notices


def fingerprint(seq, op, dtype=None, shape=(), root=-1):
    """The int64 vector describing one collective call (shapes beyond 8 dims compare by their first 8)."""
    fp = np.full(FINGERPRINT_SIZE, -1, dtype=np.int64)
    fp[:5] = seq, OP_TYPES.index(op), root, -1 if dtype is None else _DTYPES.index(dtype), len(shape)
    dims = list(shape)[:_MAX_DIMS]
    fp[5:5 + len(dims)] = dims
    return fp


def _describe(fp):
    text = f"CollectiveFingerPrint(SequenceNumber={fp[0]}, OpType={OP_TYPES[fp[1]]}"
    if fp[3] >= 0:
        text += (f", TensorShape={[int(d) for d in fp[5:5 + min(fp[4], _MAX_DIMS)]]}, "
                 f"TensorDtypes={_DTYPES[fp[3]].scalar_name}, TensorDeviceTypes=cpu")
    return text + ")"


def _differences(a, b):
    parts = []
    if a[1] != b[1]:
        parts.append(f"Op type: {OP_TYPES[a[1]]}vs {OP_TYPES[b[1]]}")
    if a[2] != b[2]:
        parts.append(f"Root rank: {a[2]}vs {b[2]}")
    if a[4] != b[4] or (a[5:] != b[5:]).any():
        def dims(fp):
            return ", ".join(str(d) for d in fp[5:5 + min(fp[4], _MAX_DIMS)])
        parts.append(f"Tensor Tensor shapes: {dims(a)}vs {dims(b)}")
    if a[3] != b[3]:
        parts.append(f"Tensor Tensor dtypes: {_DTYPES[a[3]].scalar_name}vs {_DTYPES[b[3]].scalar_name}")
    return parts


def check_fingerprints(prints, my_rank):
    """A RuntimeError naming the first rank whose call differs from this rank's, or None when all agree."""
    mine = prints[my_rank]
    for rank, other in enumerate(prints):
        if (other[1:] != mine[1:]).any():
            return RuntimeError(
                f"Detected mismatch between collectives on ranks. Rank {my_rank} is running collective: "
                f"{_describe(mine)}, but Rank {rank} is running collective: {_describe(other)}."
                f"Collectives differ in the following aspects: \t {'  '.join(_differences(mine, other))}")
    return None


class Work:
    """A collective in flight, as returned with `async_op=True`: `wait()` blocks until it has finished (or
    raises what stopped it); `is_completed()` asks without blocking; `result()` lists its output tensors."""

    def __init__(self, group, op, seq, numel=0, outputs=()):
        self._group = group
        self._op = op
        self._seq = seq
        self._numel = numel
        self._outputs = list(outputs)
        self._issued = time.monotonic()
        self._done = False
        self._error = None
        self._source = -1

    def __repr__(self):
        return f"Work{self._group.backend_name().upper()}(SeqNum={self._seq}, OpType={self._op})"

    def is_completed(self):
        """Whether the operation has ended (successfully or not); progresses it without blocking."""
        if not self._done:
            self._group._progress()
        return self._done

    def is_success(self):
        return self._done and self._error is None

    def exception(self):
        return self._error

    def wait(self, timeout=None):
        """Block until the operation has finished; raise its error, or DistBackendError once `timeout` (a
        timedelta; default: the group's) has passed."""
        if not self._done:
            self._group._wait(self, timeout)
        if self._error is not None:
            raise self._error
        return True

    def result(self):
        return self._outputs

    def source_rank(self):
        """For a recv from any source: the group rank the message came from."""
        return self._source

    def _finish(self, error=None):
        self._done = True
        self._error = error

    def _timeout_error(self, rank, timeout_s):
        elapsed = time.monotonic() - self._issued
        return DistBackendError(
            f"[Rank {rank}] Watchdog caught collective operation timeout: "
            f"Work{self._group.backend_name().upper()}(SeqNum={self._seq}, OpType={self._op}, "
            f"NumelIn={self._numel}, Timeout(ms)={int(timeout_s * 1000)}) ran for {int(elapsed * 1000)} "
            "milliseconds before timing out. Another rank may have died, raised an error, or not called the "
            "same collective.")


class ProcessGroup:
    """A set of ranks that run collectives together. Backends (MPI, NCCL) subclass it; `rank()` and `size()`
    are this process's place in the group and the group's size."""

    def __init__(self, rank, size, timeout, backend):
        self._rank = rank
        self._size = size
        self._timeout = timeout
        self._backend = backend
        self._seq = 0

    def rank(self):
        return self._rank

    def size(self):
        return self._size

    def backend_name(self):
        return self._backend

    def __repr__(self):
        return f"<minitorch.distributed.ProcessGroup {self._backend} rank {self._rank} of {self._size}>"

    def _next_seq(self):
        self._seq += 1
        return self._seq - 1

    def _wait(self, work, timeout=None):
        """Poll until `work` is done; give up after the timeout (counted from when it was issued, or from
        now for an explicit `timeout`), or as soon as another rank reports a failure."""
        limit = (timeout or self._timeout).total_seconds()
        deadline = (time.monotonic() if timeout else work._issued) + limit
        polls = 0
        while not work._done:
            self._progress()
            polls += 1
            if polls % _POLLS_PER_CHECK == 0:
                try:
                    self._channel.check()
                except DistBackendError as error:
                    self._break(error)
                    raise
                if time.monotonic() > deadline:
                    error = work._timeout_error(self._rank, limit)
                    self._break(error)
                    raise error
                os.sched_yield()  # let other ranks sharing this core run
