"""`minitorch.distributed` (torch.distributed): process groups and collectives over MPI (cpu tensors, through
mpi4py and MPICH) and NCCL (cuda tensors, through CuPy). Start N processes with
`python -m minitorch.distributed.run --nproc-per-node N script.py` (or `mpiexec -n N python script.py`), call
`init_process_group()` in each, then use collectives, DistributedDataParallel or ZeroRedundancyOptimizer.
See https://pytorch.org/docs/stable/distributed.html"""
from ._types import (Backend, DistBackendError, DistError, DistNetworkError, DistStoreError, GroupMember, ReduceOp,
                     group)
from ._work import ProcessGroup, Work
from .distributed_c10d import (all_gather, all_gather_into_tensor, all_gather_object, all_reduce, all_to_all_single,
                               barrier, broadcast, broadcast_object_list, destroy_process_group, gather,
                               gather_object, get_backend, get_global_rank, get_group_rank,
                               get_process_group_ranks, get_rank, get_world_size, init_process_group, irecv,
                               is_available, is_gloo_available, is_initialized, is_mpi_available,
                               is_nccl_available, isend, new_group, recv, reduce, reduce_scatter_tensor, scatter,
                               send)
from . import optim
