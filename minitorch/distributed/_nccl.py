"""The NCCL process group: collectives on CuPy arrays through `cupy.cuda.nccl`, one GPU per process.

The processes find each other through MPI: rank 0 makes NCCL's unique id and MPI broadcasts it. Each
collective first swaps its fingerprint over MPI (the same check as the MPI group, so a mismatch or a failed
peer gives a clear error), then is enqueued on the current CUDA stream, in place, without copies. Its Work
completes when a CUDA event recorded after it has fired; a wait past the timeout aborts the communicator."""
import numpy as np

from ._types import DistBackendError, ReduceOp
from ._work import ProcessGroup, Work
from . import _mpi

# ncclDataType_t and ncclRedOp_t values (nccl.h)
_NCCL_TYPES = {"int8": 0, "uint8": 1, "bool": 1, "int32": 2, "uint32": 3, "int64": 4, "uint64": 5,
               "float16": 6, "float32": 7, "float64": 8, "bfloat16": 9}
_SUM, _PROD, _MAX, _MIN, _AVG = 0, 1, 2, 3, 4


def _nccl():
    try:
        from cupy.cuda import nccl
    except ImportError as exc:
        raise RuntimeError(f"the nccl backend needs CuPy: pip install 'minitorch-workbook[cuda13]' ({exc})")
    if not getattr(nccl, "available", True):
        raise RuntimeError("Distributed package doesn't have NCCL built in: install CuPy with NCCL "
                           "(pip install 'nvidia-nccl-cu13')")
    return nccl


def _nccl_op(op, dtype):
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR):
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with NCCL")
    if dtype == np.bool_:  # bools travel as bytes: sum and max are "or", product and min are "and"
        return {ReduceOp.SUM: _MAX, ReduceOp.AVG: _MAX, ReduceOp.MAX: _MAX, ReduceOp.PRODUCT: _MIN,
                ReduceOp.MIN: _MIN}[op]
    return {ReduceOp.SUM: _SUM, ReduceOp.AVG: _AVG, ReduceOp.PRODUCT: _PROD, ReduceOp.MIN: _MIN,
            ReduceOp.MAX: _MAX}[op]


def _ptr(array, offset=0):
    return array.data.ptr + offset * array.itemsize


def _type(array):
    return _NCCL_TYPES[array.dtype.name]


class ProcessGroupNCCL(ProcessGroup):
    """A process group of GPU processes. `host` is the MPI group over the same ranks, which carries the
    unique id, the fingerprints and the failure notices."""

    def __init__(self, host, timeout):
        super().__init__(host.rank(), host.size(), timeout, "nccl")
        import cupy
        nccl = _nccl()
        self._cupy = cupy
        self._host = host
        self._channel = host._channel
        uid = np.zeros(128, dtype=np.int8)
        if self._rank == 0:
            uid[:] = nccl.get_unique_id()
        host.broadcast(_id_fingerprint(host), uid, 0).wait()
        self._comm = nccl.NcclCommunicator(self._size, tuple(int(b) for b in uid), self._rank)
        self._pending = []
        self._broken = None

    def _collective(self, op, fp, launch, numel=0, exchange=None):
        """Agree on the call over MPI, then `launch(stream_ptr)` the NCCL kernels on the current stream."""
        if self._broken is not None:
            raise DistBackendError(f"[Rank {self._rank}] the process group can no longer be used after an "
                                   f"earlier failure: {self._broken}")
        agreed = self._host._collective(op, fp, lambda: [], numel=numel, exchange=exchange)  # moves no data
        agreed.wait(self._timeout)
        stream = self._cupy.cuda.get_current_stream()
        nccl = _nccl()
        nccl.groupStart()
        try:
            launch(stream.ptr)
        finally:
            nccl.groupEnd()
        work = Work(self, op, int(fp[0]), numel)
        work._event = stream.record()
        self._pending.append(work)
        return work

    def _progress(self):
        for work in list(self._pending):
            if work._event.done:
                self._pending.remove(work)
                work._finish()

    def _break(self, error):
        self._broken = error
        self._comm.abort()
        for work in self._pending:
            work._finish(error)
        self._pending.clear()

    # ----- collectives (the same signatures as ProcessGroupMPI's) -----------------------------------------
    def allreduce(self, fp, array, op):
        code = _nccl_op(op, array.dtype)
        return self._collective("ALLREDUCE", fp, lambda s: self._comm.allReduce(
            _ptr(array), _ptr(array), array.size, _type(array), code, s), array.size)

    def reduce(self, fp, array, root, op):
        code = _nccl_op(op, array.dtype)
        return self._collective("REDUCE", fp, lambda s: self._comm.reduce(
            _ptr(array), _ptr(array), array.size, _type(array), code, root, s), array.size)

    def broadcast(self, fp, array, root):
        return self._collective("BROADCAST", fp, lambda s: self._comm.broadcast(
            _ptr(array), _ptr(array), array.size, _type(array), root, s), array.size)

    def allgather(self, fp, out, array, op="_ALLGATHER_BASE", finish=None):
        def launch(s):
            self._comm.allGather(_ptr(array), _ptr(out), array.size, _type(array), s)
        work = self._collective(op, fp, launch, array.size)
        if finish is not None:
            finish()  # copies enqueued on the same stream run after the gather
        return work

    def gather(self, fp, out, array, root, finish=None):
        def launch(s):
            if self._rank != root:
                self._comm.send(_ptr(array), array.size, _type(array), root, s)
                return
            for r in range(self._size):
                if r != root:
                    self._comm.recv(_ptr(out, r * array.size), array.size, _type(array), r, s)
            out.reshape(self._size, -1)[root] = array.reshape(-1)
        work = self._collective("GATHER", fp, launch, array.size)
        if finish is not None:
            finish()
        return work

    def scatter(self, fp, out, source, root):
        def launch(s):
            if self._rank != root:
                self._comm.recv(_ptr(out), out.size, _type(out), root, s)
                return
            for r in range(self._size):
                if r != root:
                    self._comm.send(_ptr(source, r * out.size), out.size, _type(out), r, s)
            out.reshape(-1)[...] = source.reshape(self._size, -1)[root]
        return self._collective("SCATTER", fp, launch, out.size)

    def reduce_scatter(self, fp, out, array, op):
        code = _nccl_op(op, array.dtype)
        return self._collective("_REDUCE_SCATTER_BASE", fp, lambda s: self._comm.reduceScatter(
            _ptr(array), _ptr(out), out.size, _type(array), code, s), array.size)

    def alltoall(self, fp, out, array, out_counts, in_counts):
        in_counts = np.asarray(in_counts, dtype=np.int64)
        out_counts = np.asarray(out_counts, dtype=np.int64)
        displ_in = np.concatenate([[0], np.cumsum(in_counts)[:-1]])
        displ_out = np.concatenate([[0], np.cumsum(out_counts)[:-1]])

        def launch(s):
            for r in range(self._size):
                self._comm.send(_ptr(array, displ_in[r]), int(in_counts[r]), _type(array), r, s)
                self._comm.recv(_ptr(out, displ_out[r]), int(out_counts[r]), _type(out), r, s)

        exchange = _mpi.count_exchange(self._rank, self._size, in_counts, out_counts)
        return self._collective("ALLTOALL_BASE", fp, launch, array.size, exchange)

    def barrier(self, fp):
        token = self._cupy.zeros(1, dtype=np.float32)
        return self._collective("BARRIER", fp, lambda s: self._comm.allReduce(
            _ptr(token), _ptr(token), 1, _type(token), _SUM, s))

    def send(self, array, dst, tag):
        return self._p2p("SEND", lambda s: self._comm.send(_ptr(array), array.size, _type(array), dst, s),
                         array.size)

    def recv(self, array, src, tag):
        if src is None:
            raise RuntimeError("NCCL cannot receive from any source: give recv a src rank")
        work = self._p2p("RECV", lambda s: self._comm.recv(_ptr(array), array.size, _type(array), src, s),
                         array.size)
        work._source = src
        return work

    def _p2p(self, op, launch, numel):
        stream = self._cupy.cuda.get_current_stream()
        launch(stream.ptr)
        work = Work(self, op, -1, numel)
        work._event = stream.record()
        self._pending.append(work)
        return work

    def shutdown(self):
        self._comm.destroy()
        self._host.shutdown()


def _id_fingerprint(host):
    from ._work import fingerprint
    from .. import _dtype
    return fingerprint(host._next_seq(), "BROADCAST", _dtype.int8, (128,), 0)


def _pick_device(device_id, host):
    """The GPU of this process: device_id if given, else LOCAL_RANK, else the MPI local rank."""
    import os
    from .. import cuda
    if device_id is not None:
        index = device_id if isinstance(device_id, int) else device_id.index
    else:
        local = os.environ.get("LOCAL_RANK", os.environ.get("MPI_LOCALRANKID", host.rank()))
        index = int(local) % max(cuda.device_count(), 1)
    cuda.set_device(index)


def init_world(timeout, device_id):
    """The default NCCL group over every MPI rank, and the world's failure channel."""
    host, channel = _mpi.init_world(timeout, "nccl")
    _pick_device(device_id, host)
    return ProcessGroupNCCL(host, timeout), channel


def split(parent, world_ranks, timeout):
    host = _mpi.split(parent._host, world_ranks, timeout, "nccl")
    return None if host is None else ProcessGroupNCCL(host, timeout)
