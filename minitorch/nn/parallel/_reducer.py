"""The gradient reducer behind DistributedDataParallel.

Parameters are grouped into buckets in reverse registration order (roughly the order backward produces
their gradients). A post-accumulate-grad hook on each parameter copies its gradient into its bucket; when a
bucket is full it is divided by the world size and all-reduced asynchronously while backward goes on with
the earlier layers. Buckets start in index order on every rank, so all ranks issue the same collectives in
the same order. Once the last bucket has started, a callback queued on the autograd engine waits for them
all at the end of backward and writes the averaged gradients back into `.grad`."""
import numpy as np

from ..._device import array_module
from ..._tensor import Tensor
from ...autograd.graph import AccumulateGrad, engine

FIRST_BUCKET_BYTES = 1024 * 1024  # torch's dist._DEFAULT_FIRST_BUCKET_BYTES: start communicating early

_UNUSED_HINT = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This error "
    "indicates that your module has parameters that were not used in producing loss. ")
_ENABLE_HINT = (
    "You can enable unused parameter detection by passing the keyword argument `find_unused_parameters=True` "
    "to `torch.nn.parallel.DistributedDataParallel`, and by \n")
_FOUND_HINT = (
    "Since `find_unused_parameters=True` is enabled, this likely  means that not all `forward` outputs "
    "participate in computing loss. You can fix this by ")
_OUTPUTS_HINT = (
    "making sure all `forward` function outputs participate in calculating loss. \nIf you already have done "
    "the above, then the distributed data parallel module wasn't able to locate the output tensors in the "
    "return value of your module's `forward` function. Please include the loss function and the structure of "
    "the return value of `forward` of your module when reporting this issue (e.g. list, dict, iterable).")


class _Bucket:
    """Parameters whose gradients travel together in one flat buffer."""

    def __init__(self, indices, params):
        self.indices = indices
        first = params[indices[0]]._data
        xp = array_module(first)
        sizes = [params[i]._data.size for i in indices]
        self.buffer = xp.zeros(sum(sizes), dtype=first.dtype)
        offsets = np.cumsum([0] + sizes)
        self.views = [self.buffer[lo:hi].reshape(params[i]._data.shape)
                      for i, lo, hi in zip(indices, offsets[:-1], offsets[1:])]
        self.pending = len(indices)
        self.work = None


def assign_buckets(params, bucket_bytes, first_bucket_bytes):
    """Lists of parameter indices, one per bucket: reverse order, one dtype and device per bucket, the first
    bucket capped at `first_bucket_bytes` and the others at `bucket_bytes`."""
    buckets, open_buckets = [], {}
    for i in reversed(range(len(params))):
        data = params[i]._data
        key = (data.dtype, type(data))
        indices, size = open_buckets.get(key, ([], 0))
        indices.append(i)
        size += data.nbytes
        limit = first_bucket_bytes if not buckets else bucket_bytes
        if size >= limit:
            buckets.append(indices)
            open_buckets.pop(key, None)
        else:
            open_buckets[key] = (indices, size)
    buckets.extend(indices for indices, _ in open_buckets.values())
    return buckets


def _tensors_in(value):
    """Every tensor inside a forward output (nested lists, tuples and dicts)."""
    stack, found = [value], []
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            found.append(item)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


def _reachable_leaves(outputs):
    """ids of the leaf tensors that backward from `outputs` would reach."""
    seen, leaves = set(), set()
    stack = [t.grad_fn for t in _tensors_in(outputs) if t.grad_fn is not None]
    stack += [t for t in _tensors_in(outputs) if t.grad_fn is None and t.requires_grad]
    while stack:
        node = stack.pop()
        if isinstance(node, Tensor):
            leaves.add(id(node))
            continue
        if node in seen:
            continue
        seen.add(node)
        if type(node) is AccumulateGrad:
            leaves.add(id(node.variable))
        stack.extend(child for child, _ in node.next_functions if child is not None)
    return leaves


class Reducer:
    """Averages the gradients of `params` across `group` during backward (see the module docstring)."""

    def __init__(self, params, group, bucket_bytes, first_bucket_bytes, find_unused_parameters,
                 gradient_as_bucket_view):
        from ... import distributed
        self._dist = distributed
        self.params = params
        self.group = group
        self.world = distributed.get_world_size(group)
        self.find_unused = find_unused_parameters
        self.as_view = gradient_as_bucket_view
        assignment = assign_buckets(params, bucket_bytes, first_bucket_bytes)
        self.buckets = [_Bucket(indices, params) for indices in assignment]
        self.place = {}  # parameter index -> (bucket, position in it)
        for bucket in self.buckets:
            for pos, i in enumerate(bucket.indices):
                self.place[i] = (bucket, pos)
        self.handles = [p.register_post_accumulate_grad_hook(self._hook_for(i)) for i, p in enumerate(params)]
        self.expect_backward = False  # set by prepare_for_backward, cleared once the reduction finished
        self.ready = np.zeros(len(params), dtype=bool)
        self.used = np.zeros(len(params), dtype=np.int32)
        self.next_bucket = 0

    def _hook_for(self, index):
        return lambda param: self._mark_ready(index, param)

    # ----- one iteration ------------------------------------------------------------------------------
    def ensure_prior_reduction_finished(self, rank):
        """torch's error when the previous backward did not reduce every bucket (some parameter got no
        gradient), raised by the next forward."""
        if not self.expect_backward:
            return
        missing = " ".join(str(i) for i in np.flatnonzero(~self.ready))
        hint = _FOUND_HINT if self.find_unused else _ENABLE_HINT
        raise RuntimeError(
            _UNUSED_HINT + hint + _OUTPUTS_HINT + f"\nParameter indices which did not receive grad for rank "
            f"{rank}: {missing}\n In addition, you can set the environment variable TORCH_DISTRIBUTED_DEBUG to "
            "either INFO or DETAIL to print out information about which particular parameters did not receive "
            "gradient on this rank as part of this error")

    def prepare_for_backward(self, outputs):
        """Arm the hooks for the backward of `outputs`; with find_unused_parameters, parameters that backward
        cannot reach count as ready (with a zero gradient) right away."""
        self.expect_backward = True
        self.ready[:] = False
        self.used[:] = 0
        self.next_bucket = 0
        for bucket in self.buckets:
            bucket.pending = len(bucket.indices)
            bucket.work = None
        if self.find_unused:
            reached = _reachable_leaves(outputs)
            for i, param in enumerate(self.params):
                if id(param) not in reached:
                    bucket, pos = self.place[i]
                    bucket.views[pos][...] = 0
                    self._ready(i)

    def _mark_ready(self, index, param):
        if not self.expect_backward or self.ready[index]:
            return
        bucket, pos = self.place[index]
        view = bucket.views[pos]
        if param.grad._data is not view:
            view[...] = param.grad._data
        self.used[index] = 1
        self._ready(index)

    def _ready(self, index):
        self.ready[index] = True
        bucket, _ = self.place[index]
        bucket.pending -= 1
        for started in self.buckets[:self.next_bucket]:
            started.work.is_completed()  # moves the transfers in flight along while backward runs
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            self._launch(self.buckets[self.next_bucket])
            self.next_bucket += 1
            if self.next_bucket == len(self.buckets):
                engine.queue_callback(self._finalize)

    def _launch(self, bucket):
        bucket.buffer /= self.world  # average: divide first, then sum (torch's default comm hook)
        bucket.work = self._dist.all_reduce(Tensor._wrap(bucket.buffer), group=self.group, async_op=True)

    def _finalize(self):
        """At the end of backward: wait for every bucket and hand the averaged gradients to `.grad`."""
        for bucket in self.buckets:
            bucket.work.wait()
        globally_used = None
        if self.find_unused:
            used = Tensor._wrap(self.used.copy())
            self._dist.all_reduce(used, group=self.group)
            globally_used = used._data
        for bucket in self.buckets:
            for i, view in zip(bucket.indices, bucket.views):
                if globally_used is not None and not globally_used[i]:
                    continue  # no rank used it: its .grad stays as it was
                param = self.params[i]
                if self.as_view:
                    if param._grad is None or param._grad._data is not view:
                        param._grad = Tensor._wrap(view)
                elif param._grad is None:
                    param._grad = Tensor._wrap(view.copy())
                else:
                    param._grad._data[...] = view
        self.expect_backward = False
