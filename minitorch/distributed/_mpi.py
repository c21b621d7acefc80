"""The MPI process group: collectives on NumPy arrays through mpi4py (with MPICH from its PyPI wheel).

Every operation is started nonblocking (Iallreduce, Ibcast, ...) and completed by polling, so that a wait can
give up once the group's timeout has passed and can notice that another rank has failed. Before any data
moves, the ranks swap a fingerprint of the call (op, dtype, shape, root) on a separate communicator; a
mismatch fails the call on every rank, and the data communicator never sees it. Collectives reach the data
communicator one at a time, in the order they were issued, which is the same on every rank."""
import collections
import json
import os
import sys
import time

import numpy as np

from ._types import DistBackendError, ReduceOp
from ._work import FINGERPRINT_SIZE, ProcessGroup, Work, check_fingerprints

_NOTICE, _ACK = 1, 2  # tags on the failure channel


def mpi():
    """mpi4py's MPI module (importing it initialises MPI; only process groups do that)."""
    import mpi4py
    if "mpi4py.MPI" not in sys.modules:
        mpi4py.rc.thread_level = "funneled"  # collectives come from the main thread only
    from mpi4py import MPI
    return MPI


def buffer(array):
    """`array` as a buffer mpi4py accepts, without a copy (bfloat16 travels as its 16-bit pattern)."""
    if array.dtype.name == "bfloat16":
        return array.view(np.uint16)
    return array


def mpi_op(op, dtype):
    """The MPI reduction for a ReduceOp on `dtype` (AVG sums; the caller divides)."""
    MPI = mpi()
    if dtype == np.bool_:  # torch treats bool sums and products as or / and
        table = {ReduceOp.SUM: MPI.LOR, ReduceOp.AVG: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.BOR: MPI.LOR,
                 ReduceOp.PRODUCT: MPI.LAND, ReduceOp.MIN: MPI.LAND, ReduceOp.BAND: MPI.LAND,
                 ReduceOp.BXOR: MPI.LXOR}
        return table[op]
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dtype.kind not in "iu":
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN,
            ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND, ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}[op]


def divide(array, n):
    """array /= n in place; integers truncate toward zero, as NCCL's average does."""
    if array.dtype.kind in "iu":
        array[...] = np.sign(array) * (np.abs(array) // n)
    else:
        array /= n


class FailureChannel:
    """A communicator over the whole world on which a failing rank tells the others why it failed, so
    that they stop with that reason instead of waiting for their timeout. Only JSON text travels here."""

    def __init__(self, world):
        self.comm = world.Dup()
        self.rank = world.Get_rank()
        self.size = world.Get_size()
        self._sent = []  # acknowledgements and notices in flight (kept alive until they complete)

    def check(self):
        """Raise DistBackendError (acknowledging the notice) if another rank has reported a failure."""
        MPI = mpi()
        status = MPI.Status()
        if not self.comm.Iprobe(MPI.ANY_SOURCE, _NOTICE, status):
            return
        source = status.Get_source()
        data = bytearray(status.Get_count(MPI.BYTE))
        self.comm.Recv([data, MPI.BYTE], source, _NOTICE)
        self._sent.append(self.comm.Isend([b"", MPI.BYTE], source, _ACK))
        info = json.loads(data)
        error = DistBackendError(f"[Rank {self.rank}] rank {source} failed with {info['type']}: "
                                 f"{info['message']}")
        error._from_peer = True
        raise error

    def close(self):
        self.comm.Free()

    def announce(self, exc, patience):
        """Tell every other rank that this one failed with `exc`; wait up to `patience` seconds for their
        acknowledgements. Returns whether every rank acknowledged."""
        MPI = mpi()
        payload = json.dumps({"type": type(exc).__name__, "message": str(exc)[:4000]}).encode()
        others = [r for r in range(self.size) if r != self.rank]
        self._sent += [self.comm.Isend([payload, MPI.BYTE], r, _NOTICE) for r in others]
        acked = set()
        deadline = time.monotonic() + patience
        status = MPI.Status()
        while len(acked) < len(others) and time.monotonic() < deadline:
            if self.comm.Iprobe(MPI.ANY_SOURCE, _ACK, status):
                self.comm.Recv([bytearray(0), MPI.BYTE], status.Get_source(), _ACK)
                acked.add(status.Get_source())
                continue
            try:
                self.check()  # a rank failing at the same time: acknowledge it too
            except DistBackendError:
                pass
            os.sched_yield()
        return len(acked) == len(others)


class _Pending:
    """A collective waiting for its fingerprint exchange, then for its data to move."""

    __slots__ = ("work", "meta", "prints", "check", "start", "finish", "requests")

    def __init__(self, work, meta, prints, check, start, finish):
        self.work, self.meta, self.prints, self.check = work, meta, prints, check
        self.start, self.finish = start, finish
        self.requests = None


class ProcessGroupMPI(ProcessGroup):
    """A process group over an MPI communicator. Methods take NumPy arrays (the tensors' own memory) and
    return a Work; the public functions in distributed_c10d check the tensors and call these."""

    def __init__(self, comm, timeout, backend, channel):
        super().__init__(comm.Get_rank(), comm.Get_size(), timeout, backend)
        self._meta = comm.Dup()  # fingerprints and sizes
        self._data = comm.Dup()  # the collectives themselves
        self._p2p = comm.Dup()  # send / recv
        self._channel = channel
        self._queue = collections.deque()
        self._p2p_pending = []
        self._broken = None

    # ----- the engine ---------------------------------------------------------------------------------
    def _collective(self, op, fp, start, finish=None, numel=0, outputs=(), exchange=None):
        """Issue a collective: swap fingerprints (plus `exchange(meta_comm)` -> (requests, check) for calls
        that need more agreement), then `start()` -> MPI requests, then `finish()` once they complete."""
        self._raise_if_broken()
        work = Work(self, op, int(fp[0]), numel, outputs)
        prints = np.empty((self._size, FINGERPRINT_SIZE), dtype=np.int64)
        meta = [self._meta.Iallgather(fp, prints)]
        check = None
        if exchange is not None:
            requests, check = exchange(self._meta)
            meta += requests
        self._queue.append(_Pending(work, meta, prints, check, start, finish))
        self._progress()
        return work

    def _progress(self):
        """Move the queue along without blocking: start the head collective once its fingerprints agree,
        retire it once its data has moved; also complete finished sends and receives."""
        MPI = mpi()
        queue = self._queue
        try:
            while queue:
                head = queue[0]
                if head.requests is None:
                    if not MPI.Request.Testall(head.meta):
                        break
                    error = check_fingerprints(head.prints, self._rank) or (head.check and head.check())
                    if error is not None:
                        queue.popleft()
                        head.work._finish(error)
                        continue
                    head.requests = head.start()
                if not MPI.Request.Testall(head.requests):
                    break
                queue.popleft()
                if head.finish is not None:
                    head.finish()
                head.work._finish()
            for entry in list(self._p2p_pending):
                work, request, finish = entry
                status = MPI.Status()
                if request.Test(status):
                    self._p2p_pending.remove(entry)
                    work._finish(finish(status) if finish else None)
        except MPI.Exception as exc:
            self._break(DistBackendError(f"[Rank {self._rank}] MPI error: {exc.Get_error_string()}"))

    def _break(self, error):
        """After a timeout or a peer's failure the ranks no longer agree on what runs next: fail everything
        pending and refuse new calls."""
        self._broken = error
        for pending in self._queue:
            pending.work._finish(error)
        for work, _, _ in self._p2p_pending:
            work._finish(error)
        self._queue.clear()
        self._p2p_pending.clear()

    def _raise_if_broken(self):
        if self._broken is not None:
            raise DistBackendError(f"[Rank {self._rank}] the process group can no longer be used after an "
                                   f"earlier failure: {self._broken}")

    # ----- collectives --------------------------------------------------------------------------------
    def allreduce(self, fp, array, op):
        MPI = mpi()
        work_array = array.astype(np.float32) if array.dtype.name == "bfloat16" else array
        mop = mpi_op(op, work_array.dtype)

        def finish():
            if op == ReduceOp.AVG:
                divide(work_array, self._size)
            if work_array is not array:
                array[...] = work_array

        return self._collective("ALLREDUCE", fp, lambda: [self._data.Iallreduce(MPI.IN_PLACE, work_array, mop)],
                                finish, array.size)

    def reduce(self, fp, array, root, op):
        MPI = mpi()
        work_array = array.astype(np.float32) if array.dtype.name == "bfloat16" else array
        mop = mpi_op(op, work_array.dtype)
        mine = self._rank == root

        def start():
            send = MPI.IN_PLACE if mine else work_array
            return [self._data.Ireduce(send, work_array if mine else None, mop, root)]

        def finish():
            if mine and op == ReduceOp.AVG:
                divide(work_array, self._size)
            if mine and work_array is not array:
                array[...] = work_array

        return self._collective("REDUCE", fp, start, finish, array.size)

    def broadcast(self, fp, array, root):
        return self._collective("BROADCAST", fp, lambda: [self._data.Ibcast(buffer(array), root)],
                                numel=array.size)

    def allgather(self, fp, out, array, op="_ALLGATHER_BASE", finish=None):
        """Gather `array` from every rank into the contiguous `out` (size * array.size elements)."""
        return self._collective(op, fp, lambda: [self._data.Iallgather(buffer(array), buffer(out))], finish,
                                array.size)

    def gather(self, fp, out, array, root, finish=None):
        """`out` (size * array.size elements) receives on `root`; it is None elsewhere."""
        def start():
            return [self._data.Igather(buffer(array), None if out is None else buffer(out), root)]
        return self._collective("GATHER", fp, start, finish, array.size)

    def scatter(self, fp, out, source, root):
        """`source` (size * out.size elements, on `root` only) is split into each rank's `out`."""
        def start():
            return [self._data.Iscatter(None if source is None else buffer(source), buffer(out), root)]
        return self._collective("SCATTER", fp, start, numel=out.size)

    def reduce_scatter(self, fp, out, array, op):
        work_in, work_out = array, out
        if array.dtype.name == "bfloat16":
            work_in, work_out = array.astype(np.float32), out.astype(np.float32)
        mop = mpi_op(op, work_in.dtype)

        def finish():
            if op == ReduceOp.AVG:
                divide(work_out, self._size)
            if work_out is not out:
                out[...] = work_out

        return self._collective("_REDUCE_SCATTER_BASE", fp,
                                lambda: [self._data.Ireduce_scatter_block(work_in, work_out, mop)],
                                finish, array.size)

    def alltoall(self, fp, out, array, out_counts, in_counts):
        """Rank i's block j (in_counts[j] elements) lands in rank j's block i (out_counts[i] elements)."""
        in_counts = np.asarray(in_counts, dtype=np.int64)
        out_counts = np.asarray(out_counts, dtype=np.int64)
        exchange = count_exchange(self._rank, self._size, in_counts, out_counts)

        def start():
            displ_in = np.concatenate([[0], np.cumsum(in_counts)[:-1]])
            displ_out = np.concatenate([[0], np.cumsum(out_counts)[:-1]])
            return [self._data.Ialltoallv([buffer(array), (in_counts, displ_in)],
                                          [buffer(out), (out_counts, displ_out)])]

        return self._collective("ALLTOALL_BASE", fp, start, numel=array.size, exchange=exchange)

    def barrier(self, fp):
        return self._collective("BARRIER", fp, lambda: [self._data.Ibarrier()])

    # ----- point to point -----------------------------------------------------------------------------
    def send(self, array, dst, tag):
        self._raise_if_broken()
        work = Work(self, "SEND", -1, array.size)
        self._p2p_pending.append((work, self._p2p.Isend(buffer(array), dst, tag), None))
        return work

    def recv(self, array, src, tag):
        """Receive into `array` from group rank `src` (None: any rank); the message must fill it exactly."""
        MPI = mpi()
        self._raise_if_broken()
        work = Work(self, "RECV", -1, array.size)
        view = buffer(array)

        def finish(status):
            work._source = status.Get_source()
            got = status.Get_count(MPI.BYTE) // view.itemsize
            if got != array.size:
                return RuntimeError(f"recv: the message from rank {work._source} has {got} elements but the "
                                    f"tensor has {array.size}")
            return None

        source = MPI.ANY_SOURCE if src is None else src
        self._p2p_pending.append((work, self._p2p.Irecv(view, source, tag), finish))
        return work

    def shutdown(self):
        for comm in (self._meta, self._data, self._p2p):
            comm.Free()


def count_exchange(rank, size, in_counts, out_counts):
    """For all_to_all: an `exchange` that tells every rank how much each peer sends it, and a check that
    this matches what it expects to receive."""
    told = np.empty(size, dtype=np.int64)

    def exchange(meta):
        def check():
            if (told != out_counts).any():
                return RuntimeError(f"all_to_all_single: rank {rank} expects {out_counts.tolist()} elements from "
                                    f"ranks 0..{size - 1} but they send {told.tolist()}")
            return None
        return [meta.Ialltoall(np.ascontiguousarray(in_counts, dtype=np.int64), told)], check

    return exchange


def init_world(timeout, backend):
    """The default group over MPI's COMM_WORLD, and the world's failure channel."""
    MPI = mpi()
    world = MPI.COMM_WORLD
    channel = FailureChannel(world)
    return ProcessGroupMPI(world, timeout, backend, channel), channel


def split(parent, world_ranks, timeout, backend):
    """A group of the given world ranks (every world rank must call this); None on ranks not in it."""
    MPI = mpi()
    world = MPI.COMM_WORLD
    comm = world.Create(world.Get_group().Incl(list(world_ranks)))
    if comm == MPI.COMM_NULL:
        return None
    return ProcessGroupMPI(comm, timeout, backend, parent._channel)
