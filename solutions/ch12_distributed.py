"""Chapter 12 reference solutions: distributed training."""
import contextlib

import minitorch as torch
import minitorch.distributed as dist
from minitorch import nn
from minitorch.nn.parallel import DistributedDataParallel
from minitorch.utils.data import DataLoader, DistributedSampler


def ring_all_reduce(tensor):
    rank, world = dist.get_rank(), dist.get_world_size()
    if world == 1:
        return
    flat = tensor.view(-1)
    base, extra = divmod(flat.numel(), world)
    chunks = flat.split([base + (i < extra) for i in range(world)])  # views: writing them writes `tensor`
    right, left = (rank + 1) % world, (rank - 1) % world

    def pass_along(send_index, receive_index):
        """Send one chunk to the right while receiving one from the left (isend first: no deadlock)."""
        incoming = torch.empty_like(chunks[receive_index])
        sending = dist.isend(chunks[send_index], right)
        dist.recv(incoming, left)
        sending.wait()
        return incoming

    for step in range(world - 1):  # reduce-scatter: after it, rank r holds the sum of chunk r + 1
        receive = (rank - step - 1) % world
        chunks[receive].add_(pass_along((rank - step) % world, receive))
    for step in range(world - 1):  # all-gather: pass the finished chunks around the ring
        receive = (rank - step) % world
        chunks[receive].copy_(pass_along((rank + 1 - step) % world, receive))


class GradientAverager:
    """Averages gradients across ranks from post-accumulate-grad hooks."""

    def __init__(self, module):
        self.module = module
        self.world = dist.get_world_size()
        self.syncing = True
        with torch.no_grad():
            for tensor in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(tensor, src=0)
        self.handles = [p.register_post_accumulate_grad_hook(self._average)
                        for p in module.parameters() if p.requires_grad]

    def _average(self, param):
        # after accumulation: what no_sync gathered locally is averaged together with this backward's part
        if self.syncing:
            dist.all_reduce(param.grad)
            param.grad.div_(self.world)

    @contextlib.contextmanager
    def no_sync(self):
        self.syncing = False
        try:
            yield
        finally:
            self.syncing = True

    def remove(self):
        for handle in self.handles:
            handle.remove()
        self.handles = []


def predict_shards():
    # 10 items pad to 12 by repeating the first two; drop_last keeps 9; 2 items pad to 4 for 4 ranks
    return {
        "10 items, 3 ranks": [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]],
        "10 items, 3 ranks, drop_last": [[0, 3, 6], [1, 4, 7], [2, 5, 8]],
        "2 items, 4 ranks": [[0], [1], [0], [1]],
    }


def train_ddp(model, dataset, epochs, global_batch_size, lr, seed=0):
    world = dist.get_world_size()
    ddp = DistributedDataParallel(model)
    sampler = DistributedSampler(dataset, seed=seed)
    loader = DataLoader(dataset, batch_size=global_batch_size // world, sampler=sampler)  # bug 1: split the batch
    optimizer = torch.optim.SGD(ddp.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)  # bug 2: a new order every epoch
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_fn(ddp(inputs), targets)  # bug 3: DDP averages already; no division by world
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses
