"""`DistributedDataParallel`: data parallelism across processes. Every rank holds a full replica of the
module and runs it on its own share of each batch; during backward the gradients are averaged across ranks
(see _reducer.py), so after `optimizer.step()` every replica holds the same parameters, as if one process had
trained on the whole batch.
See https://pytorch.org/docs/stable/generated/torch.nn.parallel.DistributedDataParallel.html"""
import contextlib

from ..._tensor import Tensor
from ...autograd import is_grad_enabled
from ..modules.module import Module
from ._reducer import FIRST_BUCKET_BYTES, Reducer


def _broadcast_coalesced(tensors, group, src):
    """Broadcast `tensors` from rank `src`, one flat buffer per dtype (few messages, not one per tensor)."""
    from ... import distributed as dist
    by_kind = {}
    for t in tensors:
        by_kind.setdefault((t._data.dtype, type(t._data)), []).append(t)
    for same in by_kind.values():
        xp_flat = Tensor._wrap(_concatenate([t._data.reshape(-1) for t in same]))
        dist.broadcast(xp_flat, src=src, group=group)
        offset = 0
        for t in same:
            t._data[...] = xp_flat._data[offset:offset + t._data.size].reshape(t._data.shape)
            offset += t._data.size


def _concatenate(arrays):
    from ..._device import array_module
    return array_module(arrays[0]).concatenate(arrays)


class DistributedDataParallel(Module):
    """Wrap `module` so that backward averages its gradients across the ranks of `process_group` (default:
    the world). At construction every rank receives rank 0's parameters and buffers.

    bucket_cap_mb: the size of the gradient buckets that are all-reduced while backward is still running
    (default 25). broadcast_buffers: send rank 0's buffers (e.g. BatchNorm statistics) before each forward.
    find_unused_parameters: allow parameters that the loss does not depend on. gradient_as_bucket_view: make
    each `.grad` a view into its bucket, saving one copy of the gradients."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        from ... import distributed as dist
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        devices = {p.device for p in module.parameters()}
        if device_ids is not None and all(d.type == "cpu" for d in devices):
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with single-device/"
                f"multiple-device GPU modules or CPU modules, but got device_ids {device_ids}, output_device "
                f"{output_device}, and module parameters {devices}.")
        self.module = module
        self.process_group = process_group if process_group is not None else dist.GroupMember.WORLD
        if self.process_group is None:
            dist.get_rank()  # raises torch's "Default process group has not been initialized" error
        self.device_ids = device_ids
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self._verify_same_model(params)
        if init_sync:
            _broadcast_coalesced(list(module.parameters()) + list(module.buffers()), self.process_group, 0)
        first_bucket = FIRST_BUCKET_BYTES if bucket_cap_mb is None else self.bucket_bytes_cap
        self.reducer = Reducer(params, self.process_group, self.bucket_bytes_cap, first_bucket,
                               find_unused_parameters, gradient_as_bucket_view)

    def _verify_same_model(self, params):
        """torch's check that every rank wraps the same model: the same number of parameters, same shapes."""
        from ... import distributed as dist
        rank = dist.get_rank(self.process_group)
        mine = [[list(p.shape), str(p.dtype)] for p in params]
        everyone = [None] * dist.get_world_size(self.process_group)
        dist.all_gather_object(everyone, mine, group=self.process_group)
        for other, theirs in enumerate(everyone):
            if len(theirs) != len(mine):
                raise RuntimeError(f"DDP expects same model across all ranks, but Rank {rank} has {len(mine)} "
                                   f"params, while rank {other} has inconsistent {len(theirs)} params.")
        for other, theirs in enumerate(everyone):  # every rank checks every rank, so all raise together
            for i, ((shape, _), (first, _)) in enumerate(zip(theirs, everyone[0])):
                if shape != first:
                    raise RuntimeError(f"DDP expects same model across all ranks: params[{i}] in process {other} "
                                       f"with sizes {shape} appears not to match sizes of the same param in "
                                       f"process 0 ({first}).")

    def forward(self, *inputs, **kwargs):
        from ... import distributed as dist
        syncing = is_grad_enabled() and self.require_backward_grad_sync
        if is_grad_enabled():
            self.reducer.ensure_prior_reduction_finished(dist.get_rank(self.process_group))
        buffers = list(self.module.buffers())
        if syncing and self.broadcast_buffers and buffers and dist.get_world_size(self.process_group) > 1:
            _broadcast_coalesced(buffers, self.process_group, 0)
        output = self.module(*inputs, **kwargs)
        if syncing:
            self.reducer.prepare_for_backward(output)
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Backward inside this context only accumulates local gradients; the first backward after it
        averages everything accumulated (gradient accumulation without extra communication)."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

__all__ = ["DistributedDataParallel"]
