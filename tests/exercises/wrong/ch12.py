"""Wrong answers to chapter 12."""
import contextlib

import minitorch as torch
import minitorch.distributed as dist
from minitorch import nn
from minitorch.nn.parallel import DistributedDataParallel
from minitorch.utils.data import DataLoader, DistributedSampler

from . import solution

ok = solution(12)


def ring_everyone_sends_everything(tensor):
    """Each rank sends its whole tensor to every other rank and adds what arrives: right sums, but 2x the
    traffic of a ring on 3 ranks, messages to every rank, and sums added up in a different order per rank."""
    rank, world = dist.get_rank(), dist.get_world_size()
    mine = tensor.clone()
    sends = [dist.isend(mine, other) for other in range(world) if other != rank]
    for other in range(world):
        if other != rank:
            incoming = torch.empty_like(tensor)
            dist.recv(incoming, other)
            tensor.add_(incoming)
    for work in sends:
        work.wait()


def _ring(chunks, blocking=False, gather_shift=0):
    """The ring over `chunks`, with plain blocking sends, or with the all-gather's chunks shifted."""
    rank, world = dist.get_rank(), dist.get_world_size()
    right, left = (rank + 1) % world, (rank - 1) % world

    def pass_along(send_index, receive_index):
        incoming = torch.empty_like(chunks[receive_index])
        if blocking:
            dist.send(chunks[send_index], right)
            dist.recv(incoming, left)
        else:
            sending = dist.isend(chunks[send_index], right)
            dist.recv(incoming, left)
            sending.wait()
        return incoming

    for step in range(world - 1):
        receive = (rank - step - 1) % world
        chunks[receive].add_(pass_along((rank - step) % world, receive))
    for step in range(world - 1):
        receive = (rank - step - gather_shift) % world
        chunks[receive].copy_(pass_along((rank + 1 - step - gather_shift) % world, receive))


def _even_chunks(tensor):
    world = dist.get_world_size()
    base, extra = divmod(tensor.numel(), world)
    return tensor.view(-1).split([base + (i < extra) for i in range(world)])


def ring_blocking_sends(tensor):
    """The ring with plain dist.send before dist.recv: fine while MPI buffers the messages, a deadlock once
    they are large."""
    _ring(_even_chunks(tensor), blocking=True)


def ring_off_by_one(tensor):
    """The all-gather starts from the chunk rank r reduced last but one: chunks end half-summed."""
    _ring(_even_chunks(tensor), gather_shift=1)


def ring_with_chunk(tensor):
    """Splits with tensor.chunk(N), which makes fewer than N chunks when the tensor is small."""
    _ring(tensor.view(-1).chunk(dist.get_world_size()))


class AveragerOfIncomingGradients(ok.GradientAverager):
    """Averages each gradient as it arrives (Tensor.register_hook), before it is added to .grad: what no_sync
    accumulated locally is never averaged."""

    def __init__(self, module):
        super().__init__(module)  # the broadcast, and hooks that this answer replaces
        self.remove()
        self.handles = [p.register_hook(self._average_incoming) for p in module.parameters() if p.requires_grad]

    def _average_incoming(self, grad):
        if not self.syncing:
            return grad
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad / self.world


class AveragerWithoutBroadcast(ok.GradientAverager):
    """Never makes the replicas equal: each rank keeps its own starting parameters."""

    def __init__(self, module):
        self.module = module
        self.world = dist.get_world_size()
        self.syncing = True
        self.handles = [p.register_post_accumulate_grad_hook(self._average)
                        for p in module.parameters() if p.requires_grad]


class AveragerThatSums(ok.GradientAverager):
    """All-reduces the gradients but forgets to divide by the world size."""

    def _average(self, param):
        if self.syncing:
            dist.all_reduce(param.grad)


class AveragerForgettingNoSync(ok.GradientAverager):
    """no_sync() removes the hooks and never puts them back."""

    def no_sync(self):
        self.remove()
        return contextlib.nullcontext()


def shards_in_blocks():
    """Contiguous blocks per rank instead of every N-th index."""
    return {"10 items, 3 ranks": [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]],
            "10 items, 3 ranks, drop_last": [[0, 1, 2], [3, 4, 5], [6, 7, 8]],
            "2 items, 4 ranks": [[0], [1], [0], [1]]}


def shards_without_padding():
    """Forgets the padding that gives every rank as many indices."""
    return {"10 items, 3 ranks": [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]],
            "10 items, 3 ranks, drop_last": [[0, 3, 6], [1, 4, 7], [2, 5, 8]],
            "2 items, 4 ranks": [[0], [1], [], []]}


def _train(model, dataset, epochs, global_batch_size, lr, seed, split_batch, set_epoch, divide_loss):
    world = dist.get_world_size()
    ddp = DistributedDataParallel(model)
    sampler = DistributedSampler(dataset, seed=seed)
    loader = DataLoader(dataset, batch_size=global_batch_size // world if split_batch else global_batch_size,
                        sampler=sampler)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        if set_epoch:
            sampler.set_epoch(epoch)
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_fn(ddp(inputs), targets) / (world if divide_loss else 1)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def train_unchanged(model, dataset, epochs, global_batch_size, lr, seed=0):
    """The code of the stub, run as it is."""
    return _train(model, dataset, epochs, global_batch_size, lr, seed, False, False, True)


def train_without_set_epoch(model, dataset, epochs, global_batch_size, lr, seed=0):
    """Two bugs fixed; every epoch still reads the same order."""
    return _train(model, dataset, epochs, global_batch_size, lr, seed, True, False, False)


def train_dividing_the_loss(model, dataset, epochs, global_batch_size, lr, seed=0):
    """Two bugs fixed; the loss is still divided by the world size, on top of DDP's averaging."""
    return _train(model, dataset, epochs, global_batch_size, lr, seed, True, True, True)


def train_with_whole_batches(model, dataset, epochs, global_batch_size, lr, seed=0):
    """Two bugs fixed; every rank still takes global_batch_size examples per step."""
    return _train(model, dataset, epochs, global_batch_size, lr, seed, False, True, False)


WRONG = {
    "ch12.1": {
        "every rank sends its whole tensor to every rank": {"ring_all_reduce": ring_everyone_sends_everything},
        "blocking sends deadlock on a large tensor": {"ring_all_reduce": ring_blocking_sends},
        "all-gather passes the wrong chunks": {"ring_all_reduce": ring_off_by_one},
        "tensor.chunk makes too few chunks": {"ring_all_reduce": ring_with_chunk},
    },
    "ch12.2": {
        "incoming gradients averaged (register_hook)": {"GradientAverager": AveragerOfIncomingGradients},
        "no broadcast at construction": {"GradientAverager": AveragerWithoutBroadcast},
        "sums without dividing": {"GradientAverager": AveragerThatSums},
        "no_sync removes the hooks for good": {"GradientAverager": AveragerForgettingNoSync},
        "DistributedDataParallel renamed": {"GradientAverager": DistributedDataParallel},
    },
    "ch12.3": {
        "contiguous blocks": {"predict_shards": shards_in_blocks},
        "no padding": {"predict_shards": shards_without_padding},
    },
    "ch12.4": {
        "the stub's code unchanged": {"train_ddp": train_unchanged},
        "no set_epoch": {"train_ddp": train_without_set_epoch},
        "loss divided by the world size": {"train_ddp": train_dividing_the_loss},
        "batch not split between the ranks": {"train_ddp": train_with_whole_batches},
    },
}
