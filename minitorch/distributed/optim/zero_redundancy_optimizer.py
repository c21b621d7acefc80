"""`ZeroRedundancyOptimizer`: ZeRO stage 1. Each rank keeps optimizer state (Adam's moments, momentum
buffers) only for its own share of the parameters and updates only those; after the step every parameter is
broadcast from the rank that owns it. With N ranks, each holds about 1/N of the optimizer state.
See https://pytorch.org/docs/stable/distributed.optim.html"""
from ..._tensor import Tensor
from ...optim.optimizer import Optimizer
from .. import distributed_c10d as dist

_NOT_CONSOLIDATED = ("Optimizer state has not been consolidated on this rank. Please call "
                     "`consolidate_state_dict(to)` on all ranks beforehand if you meant to save the global state.")


class ZeroRedundancyOptimizer(Optimizer):
    """Wrap `optimizer_class(params, **defaults)` so that its state is sharded across the ranks of
    `process_group` (default: the world). Parameters go to ranks largest first, each to the rank with the
    fewest elements so far (torch's partition), so the shards stay balanced."""

    def __init__(self, params, optimizer_class, process_group=None, parameters_as_bucket_view=False,
                 overlap_with_ddp=False, **defaults):
        if overlap_with_ddp:
            raise NotImplementedError("ZeroRedundancyOptimizer(overlap_with_ddp=True) is not supported here")
        super().__init__(params, defaults)
        self.process_group = process_group if process_group is not None else dist.GroupMember.WORLD
        self.world_size = dist.get_world_size(self.process_group)
        self.rank = dist.get_rank(self.process_group)
        self._partition = self._partition_parameters()
        self._owner = {id(p): r for r, groups in enumerate(self._partition) for g in groups for p in g["params"]}
        self.optim = optimizer_class(self._partition[self.rank], **defaults)
        self._consolidated_to = None

    def _partition_parameters(self):
        """For each rank, its copy of every param group holding only the parameters it owns."""
        partition = [[] for _ in range(self.world_size)]
        sizes = [0] * self.world_size
        for group in self.param_groups:
            owned = [[] for _ in range(self.world_size)]
            for param in sorted(group["params"], key=lambda t: t.numel(), reverse=True):
                rank = sizes.index(min(sizes))
                owned[rank].append(param)
                sizes[rank] += param.numel()
            for rank, params in enumerate(owned):
                partition[rank].append({**group, "params": params})
        return partition

    def _sync_param_groups(self, source, target):
        """Copy hyper-parameters (an lr changed by a scheduler, say) group by group; params stay."""
        for src, dst in zip(source, target):
            dst.update({k: v for k, v in src.items() if k != "params"})

    def step(self, closure=None):
        """Update this rank's parameters with the local optimizer, then broadcast every parameter from its
        owner so that all ranks hold the same values."""
        self._sync_param_groups(self.param_groups, self.optim.param_groups)
        loss = self.optim.step(closure) if closure is not None else self.optim.step()
        self._sync_param_groups(self.optim.param_groups, self.param_groups)
        for rank, groups in enumerate(self._partition):
            source = dist.get_global_rank(self.process_group, rank)
            for group in groups:
                for param in group["params"]:
                    dist.broadcast(Tensor._wrap(param._data), src=source, group=self.process_group)
        return loss

    def consolidate_state_dict(self, to=0):
        """Collect every rank's optimizer state on rank `to` (all ranks must call it), so that
        `state_dict()` there returns the whole state. Tensors travel as tensors, their layout as JSON."""
        self._sync_param_groups(self.param_groups, self.optim.param_groups)
        for rank, groups in enumerate(self._partition):
            source = dist.get_global_rank(self.process_group, rank)
            params = [p for g in groups for p in g["params"]]
            layout = [_layout(self.optim.state.get(p, {})) if rank == self.rank else None for p in params]
            dist.broadcast_object_list(layout, src=source, group=self.process_group)
            for param, entries in zip(params, layout):
                state = {}
                for key, entry in entries.items():
                    value = entry
                    if isinstance(entry, dict):  # a tensor: its shape and dtype went ahead as JSON
                        value = self.optim.state[param][key] if rank == self.rank else _empty_like(entry)
                        dist.broadcast(value, src=source, group=self.process_group)
                    state[key] = value
                if self.rank == to:
                    self.state[param] = state
        self._consolidated_to = to

    def state_dict(self):
        """The whole optimizer state in torch's format (on the rank given to consolidate_state_dict)."""
        if self._consolidated_to != self.rank:
            raise RuntimeError(_NOT_CONSOLIDATED)
        return super().state_dict()

    def load_state_dict(self, state_dict):
        """Load a whole state (from state_dict()); each rank keeps the part for the parameters it owns."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            for param in group["params"]:
                if self._owner[id(param)] == self.rank and param in self.state:
                    self.optim.state[param] = self.state[param]
        self._sync_param_groups(self.param_groups, self.optim.param_groups)


def _layout(state):
    """A parameter's state as JSON: numbers as they are, tensors as {"shape", "dtype"} placeholders."""
    return {key: {"shape": list(v.shape), "dtype": str(v.dtype).split(".")[-1]} if isinstance(v, Tensor) else v
            for key, v in state.items()}


def _empty_like(entry):
    from ... import _dtype
    from ..._creation import empty
    return empty(entry["shape"], dtype=getattr(_dtype, entry["dtype"]))
