"""The public functions of torch.distributed: setting up process groups and running collectives on tensors.

Each function checks its tensors and ranks as torch does, then hands the tensors' own arrays to the group's
backend (MPI for cpu tensors, NCCL for cuda ones). With `async_op=True` a collective returns a `Work`;
otherwise it returns once the data has moved. See https://pytorch.org/docs/stable/distributed.html"""
import io
import os
import sys
import warnings
from datetime import timedelta

import numpy as np

from .. import _dtype
from .._creation import empty, tensor as _tensor_from
from .._tensor import Tensor
from . import _objects
from ._types import Backend, GroupMember, ReduceOp, group as _group_alias
from ._work import fingerprint
from .constants import default_pg_nccl_timeout, default_pg_timeout


class _World:
    """The process-wide state: the default group, every group's rank map, the failure channel."""

    def __init__(self):
        self.group_ranks = {}  # group -> {global rank: group rank}
        self.backends = {}  # group -> Backend
        self.channel = None
        self.previous_excepthook = None


_world = _World()


def is_available():
    """Whether the distributed package can run here: mpi4py (with an MPI library) is installed."""
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available():
    return is_available()


def is_nccl_available():
    """Whether CuPy with NCCL is installed (it says nothing about GPUs being present)."""
    try:
        from cupy.cuda import nccl
    except ImportError:
        return False
    return bool(getattr(nccl, "available", True))


def is_gloo_available():
    """"gloo" is served by the MPI transport here, so it is available wherever MPI is."""
    return is_available()


def is_initialized():
    return GroupMember.WORLD is not None


def _default_group():
    if GroupMember.WORLD is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return GroupMember.WORLD


def _group_or_default(group):
    return _default_group() if group is None or group is GroupMember.WORLD else group


def _set_world(pg):
    GroupMember.WORLD = _group_alias.WORLD = pg


def _expected_place(init_method, world_size, rank):
    """(world_size, rank) the caller asked for: explicit arguments, else RANK / WORLD_SIZE for env://."""
    if init_method in (None, "env://"):
        if world_size == -1 and "WORLD_SIZE" in os.environ:
            world_size = int(os.environ["WORLD_SIZE"])
        if rank == -1 and "RANK" in os.environ:
            rank = int(os.environ["RANK"])
    return world_size, rank


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the default process group. Processes are started by MPI (`mpiexec -n N python script.py` or
    `python -m minitorch.distributed.run --nproc-per-node N script.py`), which gives each its rank.

    backend: "mpi" (cpu tensors), "nccl" (cuda tensors, one GPU per process; the NCCL id is exchanged over
    MPI), or "gloo" (torch's cpu default, run here on MPI). With "nccl" or "gloo", a world_size / rank given
    as arguments or as WORLD_SIZE / RANK (env://) must agree with what MPI started."""
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None and init_method is not None:
        raise AssertionError("Cannot specify both init_method and store.")
    if store is not None:
        raise ValueError("minitorch process groups meet through MPI: pass no store (start the processes with "
                         "mpiexec or python -m minitorch.distributed.run)")
    if backend is None:
        device = device_id if device_id is None or not isinstance(device_id, int) else f"cuda:{device_id}"
        backend = Backend.NCCL if device is not None and str(device).startswith("cuda") else Backend.MPI
    backend = Backend(backend)
    if timeout is None:
        timeout = default_pg_nccl_timeout if backend == Backend.NCCL else default_pg_timeout
    if not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {timeout}")
    if not is_available():
        raise RuntimeError("Distributed package doesn't have MPI built in: pip install "
                           "'minitorch-workbook[distributed]' (mpi4py and mpich)")
    if backend == Backend.MPI and (world_size != -1 or rank != -1):
        warnings.warn(f"For MPI backend, world_size ({world_size}) and rank ({rank}) are ignored since they are "
                      "assigned by the MPI runtime.", stacklevel=2)
    from . import _mpi
    if backend == Backend.NCCL:
        from . import _nccl
        pg, _world.channel = _nccl.init_world(timeout, device_id)
    else:
        pg, _world.channel = _mpi.init_world(timeout, backend)
    if backend != Backend.MPI:
        expected_size, expected_rank = _expected_place(init_method, world_size, rank)
        if expected_size not in (-1, pg.size()) or expected_rank not in (-1, pg.rank()):
            pg.shutdown()
            raise RuntimeError(
                f"init_process_group: asked for rank {expected_rank} of world_size {expected_size}, but MPI "
                f"started this process as rank {pg.rank()} of {pg.size()}. Start the job with "
                f"`python -m minitorch.distributed.run --nproc-per-node {max(expected_size, 1)} script.py` or "
                f"`mpiexec -n {max(expected_size, 1)} python script.py`.")
    _world.group_ranks[pg] = {r: r for r in range(pg.size())}
    _world.backends[pg] = backend
    _set_world(pg)
    _world.previous_excepthook = sys.excepthook
    sys.excepthook = _excepthook


def _excepthook(exc_type, exc, tb):
    """torch's rank prefix on every traceback line; then tell the other ranks why this one stops, so they
    fail at once with that reason. If some rank does not answer in time (it may be stuck), end the job."""
    buffer = io.StringIO()
    previous = _world.previous_excepthook or sys.__excepthook__
    stderr, sys.stderr = sys.stderr, buffer
    try:
        previous(exc_type, exc, tb)
    finally:
        sys.stderr = stderr
    prefix = f"[rank{GroupMember.WORLD.rank() if GroupMember.WORLD is not None else '?'}]: "
    sys.stderr.write("\n".join(prefix + line if line else "" for line in buffer.getvalue().split("\n")))
    sys.stderr.flush()
    channel = _world.channel
    if channel is None or getattr(exc, "_from_peer", False) or channel.size == 1:
        return
    patience = min(_default_group()._timeout.total_seconds(), 10.0)
    if not channel.announce(exc, patience):
        from ._mpi import mpi
        mpi().COMM_WORLD.Abort(1)


def destroy_process_group(group=None):
    """Leave `group` (default: every group, after which init_process_group may run again)."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return
    pg = GroupMember.WORLD if group is None else group
    if pg is None or pg not in _world.group_ranks:
        raise ValueError("Invalid process group specified")
    if group is None or group is GroupMember.WORLD:
        for each in list(_world.group_ranks):
            each.shutdown()
        _world.group_ranks.clear()
        _world.backends.clear()
        _set_world(None)
        if sys.excepthook is _excepthook:
            sys.excepthook = _world.previous_excepthook
        _world.channel.close()
        _world.channel = None
    else:
        pg.shutdown()
        del _world.group_ranks[pg]
        del _world.backends[pg]


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of some world ranks (all ranks by default). Every rank of the world must call it, in the same
    order; ranks outside the group get GroupMember.NON_GROUP_MEMBER."""
    world = _default_group()
    ranks = sorted(range(world.size()) if ranks is None else ranks)
    for r in ranks:
        if not 0 <= r < world.size():
            raise ValueError(f"Invalid rank {r}, rank should be in the interval [0, {world.size() - 1}]")
    backend = Backend(backend) if backend else _world.backends[world]
    timeout = timeout or world._timeout
    if backend == Backend.NCCL:
        from . import _nccl
        pg = _nccl.split(world, ranks, timeout)
    else:
        from . import _mpi
        pg = _mpi.split(world, ranks, timeout, backend)
    if pg is None:
        return GroupMember.NON_GROUP_MEMBER
    _world.group_ranks[pg] = {g: i for i, g in enumerate(ranks)}
    _world.backends[pg] = backend
    return pg


def get_rank(group=None):
    """This process's rank in `group` (default: the world); -1 if it is not a member."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return _group_or_default(group).rank()


def get_world_size(group=None):
    """The number of processes in `group` (default: the world); -1 if this process is not a member."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return _group_or_default(group).size()


def get_backend(group=None):
    pg = _group_or_default(group)
    if pg is GroupMember.NON_GROUP_MEMBER or pg not in _world.backends:
        raise ValueError("Invalid process group specified")
    return _world.backends[pg]


def get_process_group_ranks(group):
    """The world ranks of `group`, in group-rank order."""
    return list(_world.group_ranks[_group_or_default(group)])


def get_group_rank(group, global_rank):
    if group is GroupMember.WORLD:
        return global_rank
    if group not in _world.group_ranks:
        raise ValueError(f"Group {group} is not registered, please create group with "
                         "torch.distributed.new_group API")
    ranks = _world.group_ranks[group]
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return ranks[global_rank]


def get_global_rank(group, group_rank):
    if group is GroupMember.WORLD:
        return group_rank
    if group not in _world.group_ranks:
        raise ValueError(f"Group {group} is not registered, please create group with "
                         "torch.distributed.new_group API")
    for global_rank, rank in _world.group_ranks[group].items():
        if rank == group_rank:
            return global_rank
    raise ValueError(f"Group rank {group_rank} is not part of group {group}")


def _group_rank(group, global_rank, group_rank, default=None):
    """torch's _canonicalize_group_rank: a rank given either as a world rank or as a group rank."""
    if group_rank is not None:
        if global_rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        return group_rank
    if global_rank is None:
        if default is None:
            raise ValueError("Must specify global_rank or group_rank")
        return default
    return get_group_rank(group, global_rank)


def _not_member(group, op_name):
    if group is not GroupMember.NON_GROUP_MEMBER:
        return False
    rank = -1 if GroupMember.WORLD is None else GroupMember.WORLD.rank()
    warnings.warn(f"Running {op_name} on global rank {rank} which does not belong to the given group.",
                  stacklevel=3)
    return True


# ----- tensor checks ------------------------------------------------------------------------------------
def _check_single_tensor(param, name):
    if not isinstance(param, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor\n"
                        f"             but got {type(param)} instead.")


def _check_tensor_list(param, name):
    if not isinstance(param, list):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor]\n             but got {type(param)} instead.")
    if not all(isinstance(p, Tensor) for p in param):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor]\n             but got {type(param)} with elements of type "
                        f"{[type(p) for p in param]}.")


def _same_dtype(*tensors):
    dtypes = {t.dtype for group in tensors for t in (group if isinstance(group, list) else [group])}
    if len(dtypes) > 1:
        first, other = list(dtypes)[:2]
        raise ValueError(f"Invalid usage of tensors with different dtypesFound {first} and  {other}")


def _array(pg, tensor):
    """The tensor's own array, after checking that the group's backend can move it in place."""
    wants_cuda = _world.backends.get(pg) == Backend.NCCL
    if tensor.is_cuda != wants_cuda:
        raise RuntimeError(f"No backend type associated with device type {tensor.device.type}: the "
                           f"{_world.backends.get(pg)} process group moves "
                           f"{'cuda' if wants_cuda else 'cpu'} tensors")
    if not tensor.is_contiguous():
        raise RuntimeError("Tensors must be contiguous")
    return tensor._data


def _run(work, async_op):
    if async_op:
        return work
    work.wait()
    return None


def _fp(pg, op, tensor=None, root=-1, shape=None):
    if tensor is None:
        return fingerprint(pg._next_seq(), op, root=root)
    return fingerprint(pg._next_seq(), op, tensor.dtype, tensor.shape if shape is None else shape, root)


# ----- collectives ----------------------------------------------------------------------------------------
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `tensor` across the group with `op`; every rank ends with the result, in place."""
    _check_single_tensor(tensor, "tensor")
    if _not_member(group, "all_reduce"):
        return None
    pg = _group_or_default(group)
    return _run(pg.allreduce(_fp(pg, "ALLREDUCE", tensor), _array(pg, tensor), op), async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy `tensor` from rank `src` into the same tensor on every other rank."""
    pg = _group_or_default(group)
    group_src = _group_rank(pg, src, group_src)
    _check_single_tensor(tensor, "tensor")
    if _not_member(group, "broadcast"):
        return None
    return _run(pg.broadcast(_fp(pg, "BROADCAST", tensor, group_src), _array(pg, tensor), group_src), async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce `tensor` across the group into rank `dst` (the others keep theirs)."""
    pg = _group_or_default(group)
    group_dst = _group_rank(pg, dst, group_dst)
    _check_single_tensor(tensor, "tensor")
    if _not_member(group, "reduce"):
        return None
    return _run(pg.reduce(_fp(pg, "REDUCE", tensor, group_dst), _array(pg, tensor), group_dst, op), async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[i] = `tensor` of rank i, on every rank."""
    _check_tensor_list(tensor_list, "tensor_list")
    _check_single_tensor(tensor, "tensor")
    _same_dtype(tensor_list, tensor)
    if _not_member(group, "all_gather"):
        return None
    pg = _group_or_default(group)
    _check_list(tensor_list, tensor, pg.size(), "all_gather", "tensor_list")
    array = _array(pg, tensor)
    out = _xp(array).empty((pg.size(),) + array.shape, dtype=array.dtype)

    def finish():
        for target, block in zip(tensor_list, out):
            target._data[...] = block

    return _run(pg.allgather(_fp(pg, "ALLGATHER", tensor), out, array, "ALLGATHER", finish), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's `input_tensor`, concatenated in rank order (or stacked) into `output_tensor`."""
    _check_single_tensor(output_tensor, "output_tensor")
    _check_single_tensor(input_tensor, "input_tensor")
    _same_dtype(output_tensor, input_tensor)
    if _not_member(group, "all_gather_into_tensor"):
        return None
    pg = _group_or_default(group)
    if output_tensor.numel() != pg.size() * input_tensor.numel():
        raise ValueError(f"all_gather_into_tensor: output tensor size must be equal to world_size times input "
                         f"tensor size: {output_tensor.numel()} != {pg.size()} * {input_tensor.numel()}")
    return _run(pg.allgather(_fp(pg, "_ALLGATHER_BASE", input_tensor), _array(pg, output_tensor),
                             _array(pg, input_tensor)), async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `input` across the group, then give rank i the i-th equal block of the result."""
    _check_single_tensor(output, "output")
    _check_single_tensor(input, "input")
    _same_dtype(output, input)
    if _not_member(group, "reduce_scatter_tensor"):
        return None
    pg = _group_or_default(group)
    if input.numel() != pg.size() * output.numel():
        raise ValueError(f"reduce_scatter_tensor: input tensor size must be equal to world_size times output "
                         f"tensor size: {input.numel()} != {pg.size()} * {output.numel()}")
    return _run(pg.reduce_scatter(_fp(pg, "_REDUCE_SCATTER_BASE", input), _array(pg, output),
                                  _array(pg, input), op), async_op)


def _check_list(tensors, tensor, size, op_name, list_name):
    if len(tensors) != size:
        raise ValueError(f"{op_name}: `{list_name}` has {len(tensors)} tensors but the group has {size} ranks")
    for i, t in enumerate(tensors):
        if t.shape != tensor.shape:
            raise ValueError(f"{op_name}: `{list_name}`[{i}] has shape {list(t.shape)} but the tensor has "
                             f"shape {list(tensor.shape)}")


def _xp(array):
    from .._device import array_module
    return array_module(array)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """gather_list[i] = `tensor` of rank i, on rank `dst` only (default 0)."""
    _check_single_tensor(tensor, "tensor")
    if gather_list:
        _check_tensor_list(gather_list, "gather_list")
    else:
        gather_list = []
    _same_dtype(tensor, gather_list)
    pg = _group_or_default(group)
    if _not_member(group, "gather"):
        return None
    group_dst = _group_rank(pg, dst, group_dst, default=0)
    mine = pg.rank() == group_dst
    if mine and not gather_list:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    if not mine and gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    array = _array(pg, tensor)
    out = None
    if mine:
        _check_list(gather_list, tensor, pg.size(), "gather", "gather_list")
        out = _xp(array).empty((pg.size(),) + array.shape, dtype=array.dtype)

    def finish():
        for target, block in zip(gather_list, out):
            target._data[...] = block

    return _run(pg.gather(_fp(pg, "GATHER", tensor, group_dst), out, array, group_dst,
                          finish if mine else None), async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """`tensor` on rank i = scatter_list[i] of rank `src` (default 0)."""
    _check_single_tensor(tensor, "tensor")
    if scatter_list:
        _check_tensor_list(scatter_list, "scatter_list")
    else:
        scatter_list = []
    _same_dtype(tensor, scatter_list)
    pg = _group_or_default(group)
    group_src = _group_rank(pg, src, group_src, default=0)
    if _not_member(group, "scatter"):
        return None
    array = _array(pg, tensor)
    source = None
    if pg.rank() == group_src:
        if not scatter_list:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_list(scatter_list, tensor, pg.size(), "scatter", "scatter_list")
        source = _xp(array).stack([_array(pg, t) for t in scatter_list])
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    return _run(pg.scatter(_fp(pg, "SCATTER", tensor, group_src), array, source, group_src), async_op)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op=False):
    """Split `input` along dim 0 (equally, or by input_split_sizes) and send block j to rank j; rank i's
    blocks arrive in `output` in rank order (sized by output_split_sizes)."""
    if _not_member(group, "all_to_all_single"):
        return None
    _check_single_tensor(output, "output")
    _check_single_tensor(input, "input")
    _same_dtype(output, input)
    pg = _group_or_default(group)
    size = pg.size()
    row_in = int(np.prod(input.shape[1:], dtype=np.int64))
    row_out = int(np.prod(output.shape[1:], dtype=np.int64))
    in_splits = _splits(input_split_sizes, input, size, "input")
    out_splits = _splits(output_split_sizes, output, size, "output")
    fp = _fp(pg, "ALLTOALL_BASE", input, shape=tuple(input.shape[1:]))
    return _run(pg.alltoall(fp, _array(pg, output), _array(pg, input), [s * row_out for s in out_splits],
                            [s * row_in for s in in_splits]), async_op)


def _splits(sizes, tensor, n, which):
    rows = tensor.shape[0] if tensor.dim() else 1
    if not sizes:
        if rows % n:
            raise ValueError(f"all_to_all_single: the {which} tensor's first dimension ({rows}) must divide "
                             f"equally among {n} ranks when no {which}_split_sizes are given")
        return [rows // n] * n
    if len(sizes) != n or sum(sizes) != rows:
        raise ValueError(f"all_to_all_single: {which}_split_sizes {list(sizes)} must have {n} entries adding "
                         f"up to the {which} tensor's first dimension ({rows})")
    return list(sizes)


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank of the group has reached this call."""
    pg = _group_or_default(group)
    if _not_member(group, "barrier"):
        return None
    work = pg.barrier(_fp(pg, "BARRIER"))
    if async_op:
        return work
    work.wait(timeout)
    return None


# ----- point to point -------------------------------------------------------------------------------------
def _peer(pg, rank, group_rank, what):
    peer = _group_rank(pg, rank, group_rank)
    if not 0 <= peer < pg.size():
        raise ValueError(f"Invalid {what} rank {peer}: the group has {pg.size()} ranks")
    return peer


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Start sending `tensor` to rank `dst`; returns a Work."""
    pg = _group_or_default(group)
    group_dst = _peer(pg, dst, group_dst, "destination")
    _check_single_tensor(tensor, "tensor")
    if _not_member(group, "isend"):
        return None
    return pg.send(_array(pg, tensor), group_dst, tag)


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Start receiving into `tensor` from rank `src` (None: from any rank); returns a Work."""
    _check_single_tensor(tensor, "tensor")
    if _not_member(group, "irecv"):
        return None
    pg = _group_or_default(group)
    peer = None if src is None and group_src is None else _peer(pg, src, group_src, "source")
    return pg.recv(_array(pg, tensor), peer, tag)


def _not_self(pg, rank, kind):
    if pg.rank() == rank:
        raise ValueError(f"Invalid {kind} rank: {kind} rank should not be the same as the rank of the current "
                         "process.")


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send `tensor` to rank `dst` and wait until it has left."""
    pg = _group_or_default(group)
    group_dst = _peer(pg, dst, group_dst, "destination")
    _not_self(pg, group_dst, "destination")
    work = isend(tensor, group=group, tag=tag, group_dst=group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into `tensor` from rank `src` (None: any rank); returns the sender's world rank."""
    work = irecv(tensor, src=src, group=group, tag=tag, group_src=group_src)
    if work is None:
        return -1
    work.wait()
    pg = _group_or_default(group)
    source = work.source_rank()
    _not_self(pg, source, "source")
    return get_global_rank(group if group is not None else GroupMember.WORLD, source)


# ----- object collectives (JSON) --------------------------------------------------------------------------
def _object_device(pg):
    return "cuda" if _world.backends.get(pg) == Backend.NCCL else "cpu"


def _bytes_tensor(data, device):
    return _tensor_from(np.frombuffer(data, dtype=np.uint8).copy(), device=device)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """object_list on every rank = object_list of rank `src`. JSON data only (see all_gather_object)."""
    pg = _group_or_default(group)
    group_src = _group_rank(pg, src, group_src)
    if _not_member(group, "broadcast_object_list"):
        return
    device = device or _object_device(pg)
    mine = pg.rank() == group_src
    data = _objects.encode(list(object_list), "broadcast_object_list") if mine else b""
    size = _tensor_from([len(data)], dtype=_dtype.int64, device=device)
    broadcast(size, group=group, group_src=group_src)
    payload = _bytes_tensor(data, device) if mine else empty(int(size.item()), dtype=_dtype.uint8, device=device)
    broadcast(payload, group=group, group_src=group_src)
    if not mine:
        values = _objects.decode(payload.cpu().numpy())
        if len(values) != len(object_list):
            raise ValueError(f"broadcast_object_list: rank {group_src} sent {len(values)} objects but "
                             f"object_list has {len(object_list)} slots")
        object_list[:] = values


def _gather_payloads(obj, pg, group, what, device):
    """Every rank's JSON bytes for `obj`, padded to the longest: (uint8 tensor [size, longest], lengths)."""
    data = _objects.encode(obj, what)
    length = _tensor_from([len(data)], dtype=_dtype.int64, device=device)
    lengths = empty(pg.size(), dtype=_dtype.int64, device=device)
    all_gather_into_tensor(lengths, length, group=group)
    lengths = lengths.cpu().numpy().tolist()
    padded = np.zeros(max(lengths), dtype=np.uint8)
    padded[:len(data)] = np.frombuffer(data, dtype=np.uint8)
    out = empty((pg.size(), max(lengths)), dtype=_dtype.uint8, device=device)
    all_gather_into_tensor(out, _tensor_from(padded, device=device), group=group)
    return out.cpu().numpy(), lengths


def all_gather_object(object_list, obj, group=None):
    """object_list[i] = `obj` of rank i, on every rank. Objects travel as JSON, never pickled: dicts with
    str keys, lists, str, int, float, bool and None only (a peer's data can never run code here)."""
    if _not_member(group, "all_gather_object"):
        return
    pg = _group_or_default(group)
    rows, lengths = _gather_payloads(obj, pg, group, "all_gather_object", _object_device(pg))
    for i, (row, n) in enumerate(zip(rows, lengths)):
        object_list[i] = _objects.decode(row[:n])


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """object_gather_list[i] = `obj` of rank i, on rank `dst` only (default 0). JSON data only."""
    if _not_member(group, "gather_object"):
        return
    pg = _group_or_default(group)
    group_dst = _group_rank(pg, dst, group_dst, default=0)
    if pg.rank() == group_dst and object_gather_list is None:
        raise AssertionError("Must provide object_gather_list on dst rank")
    rows, lengths = _gather_payloads(obj, pg, group, "gather_object", _object_device(pg))
    if pg.rank() == group_dst:
        for i, (row, n) in enumerate(zip(rows, lengths)):
            object_gather_list[i] = _objects.decode(row[:n])
