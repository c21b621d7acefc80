"""Chapter 12 exercises: distributed training.

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 12`.
The grader runs your code on three processes at once (`mpiexec -n 3`), each calling it as its own rank."""
import contextlib  # noqa: F401  (you may need it)

import minitorch as torch
import minitorch.distributed as dist
from minitorch import nn
from minitorch.nn.parallel import DistributedDataParallel
from minitorch.utils.data import DataLoader, DistributedSampler


def ring_all_reduce(tensor):
    """ch12.1: sum `tensor` over every rank of the default process group, in place, with the ring algorithm,
    using only point-to-point messages (`dist.isend`, `dist.irecv`, `dist.send`, `dist.recv`; no collective).

    With N ranks, view the tensor flat and split it into N chunks whose sizes differ by at most one, the
    larger ones first (`flat.split(sizes)` gives views: writing a chunk writes the tensor). Rank r only ever
    sends to rank (r + 1) % N and receives from rank (r - 1) % N:

    1. reduce-scatter, N - 1 steps: each step, send one chunk to the right and add the chunk that arrives
       from the left into your copy of that chunk. Start by sending your own chunk r; then always send the
       chunk you have just added to. Afterwards rank r holds the complete sum of chunk (r + 1) % N.
    2. all-gather, N - 1 steps: pass the complete chunks around the ring the same way, overwriting instead
       of adding, until every rank holds every complete chunk.

    Every rank sends 2 (N - 1) messages of about 1/N of the tensor, whatever N is, and every rank ends with
    exactly the same values. Tensors may have fewer elements than there are ranks (some chunks are empty).

    Hint: `dist.send` waits until the receiver takes the message; if every rank sends first, large messages
    wait forever. Start the send with `dist.isend`, receive with `dist.recv`, then wait for the send.
    """
    raise NotImplementedError("ch12.1: reduce-scatter, then all-gather, around the ring")


class GradientAverager:
    """ch12.2: data parallelism by hand: what DistributedDataParallel does, without its buckets (do not use
    DistributedDataParallel). Every rank makes `GradientAverager(module)` with its own replica of the model.

    - At construction every parameter and buffer takes rank 0's values (`dist.broadcast`), so the replicas
      start equal.
    - From then on each backward averages the gradients across the ranks, while it runs: register a
      `param.register_post_accumulate_grad_hook(hook)` on every parameter that requires grad (`hook(param)`
      runs right after backward has added into `param.grad`) that all-reduces `param.grad` and divides it
      by the world size. When `backward()` returns, every rank holds the same averaged gradients.
    - `with averager.no_sync():` backward passes inside the block only accumulate local gradients; the first
      backward after the block averages everything accumulated (the sum of the local gradients of both).
    - `remove()` removes the hooks: later backward passes leave local gradients.
    """

    def __init__(self, module):
        raise NotImplementedError("ch12.2: broadcast from rank 0, then register the hooks")

    @contextlib.contextmanager
    def no_sync(self):
        raise NotImplementedError("ch12.2: turn the averaging off inside the block")

    def remove(self):
        raise NotImplementedError("ch12.2: remove every hook")


def predict_shards():
    """ch12.3 (predict, then check): the indices each rank reads with
    `DistributedSampler(dataset, num_replicas, rank, shuffle=False, drop_last=...)`, one list per rank:

    - "10 items, 3 ranks": a dataset of 10 items, num_replicas=3;
    - "10 items, 3 ranks, drop_last": the same with drop_last=True;
    - "2 items, 4 ranks": a dataset of 2 items, num_replicas=4.

    Return {case: [indices of rank 0, indices of rank 1, ...]}. Work it out first; then check with the
    chapter's sampler cell."""
    raise NotImplementedError("ch12.3: return the indices of every rank for each case")


def train_ddp(model, dataset, epochs, global_batch_size, lr, seed=0):
    """ch12.4 (debugging): train `model` (the same model on every rank) with DistributedDataParallel and SGD
    (learning rate `lr`), for `epochs` epochs, on mean cross-entropy. Each rank reads its share of
    `dataset` through a DistributedSampler shuffled with `seed` and a new order every epoch; each optimizer
    step takes `global_batch_size` examples in all (it divides evenly between the ranks). Afterwards every
    rank's `model` holds the parameters one process would reach by training on the union of the ranks'
    batches, step by step. Returns this rank's losses.

    The code below runs but reaches other parameters: delete the `raise` line and fix it (three bugs)."""
    raise NotImplementedError("ch12.4: delete this line, then find the bugs below")
    world = dist.get_world_size()
    ddp = DistributedDataParallel(model)
    sampler = DistributedSampler(dataset, seed=seed)
    loader = DataLoader(dataset, batch_size=global_batch_size, sampler=sampler)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_fn(ddp(inputs), targets) / world
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses
