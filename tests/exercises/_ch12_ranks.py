"""What every rank runs for the chapter-12 checks (grader.multirank calls `job(args, **learner_objects)` in a
fresh process group), and the inputs both the ranks and the checks in test_ch12.py rebuild from seeds."""
import numpy as np

import minitorch as torch
import minitorch.distributed as dist
from grader.checks import calls_forbidden
from minitorch import nn
from minitorch.distributed._mpi import ProcessGroupMPI
from minitorch.utils.data import TensorDataset

COLLECTIVES = ["all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter_tensor",
               "gather", "scatter", "all_to_all_single"]


# ----- inputs ------------------------------------------------------------------------------------------------
def ring_input(case, rank):
    """The tensor rank `rank` contributes to ring case `case` ({"shape", "dtype", "seed"})."""
    rng = np.random.default_rng([case["seed"], rank])
    if case["dtype"] == "int64":
        return torch.tensor(rng.integers(-50, 50, case["shape"]), dtype=torch.int64)
    return torch.tensor(rng.standard_normal(case["shape"]), dtype=getattr(torch, case["dtype"]))


class Scale(nn.Module):
    """Multiplies by a buffer (so that a replica also has a buffer to agree on)."""

    def __init__(self, n):
        super().__init__()
        self.register_buffer("gain", 1 + torch.rand(n, dtype=torch.float64))

    def forward(self, x):
        return x * self.gain


def averaged_model(seed):
    """The model of the GradientAverager checks (float64, with a buffer and a frozen bias)."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), Scale(6), nn.Linear(6, 3)).double()
    model[0].bias.requires_grad_(False)
    return model


def mlp(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()


def batch(seed, step, rows):
    """A batch of `rows` examples (float64 inputs, 3 classes), the same on every rank."""
    rng = np.random.default_rng([seed, step])
    return (torch.tensor(rng.standard_normal((rows, 4))), torch.tensor(rng.integers(0, 3, rows)))


def share(tensors, rank, world):
    """Rank `rank`'s equal share of a batch."""
    rows = tensors[0].shape[0] // world
    return tuple(t[rank * rows:(rank + 1) * rows] for t in tensors)


def dataset(seed, items):
    inputs, targets = batch(seed, 1000, items)
    return TensorDataset(inputs, targets)


def state(module):
    """Parameters and buffers as {name: nested lists}."""
    return {name: t.tolist() for name, t in list(module.named_parameters()) + list(module.named_buffers())}


def grads(module):
    return {name: None if p.grad is None else p.grad.tolist() for name, p in module.named_parameters()}


# ----- jobs --------------------------------------------------------------------------------------------------
def ring_job(cases, ring_all_reduce):
    """Each case's tensor after ring_all_reduce and the messages this rank sent ([destination, elements]);
    collectives are refused."""
    rank = dist.get_rank()
    sent = []
    original = ProcessGroupMPI.send

    def counted(group, array, dst, tag):
        sent.append([int(dst), int(array.size)])
        return original(group, array, dst, tag)

    results = []
    ProcessGroupMPI.send = counted
    try:
        with calls_forbidden(dist, COLLECTIVES, "ring_all_reduce"):
            for case in cases:
                tensor = ring_input(case, rank)
                sent.clear()
                ring_all_reduce(tensor)
                results.append({"values": tensor.tolist(), "sent": list(sent)})
    finally:
        ProcessGroupMPI.send = original
    return results


def ring_large_job(case, ring_all_reduce):
    """A tensor too large for MPI to buffer: the largest error against the true sum."""
    world = dist.get_world_size()
    tensor = ring_input(case, dist.get_rank())
    ring_all_reduce(tensor)
    expected = sum(ring_input(case, r).numpy() for r in range(world))
    return float(np.abs(tensor.numpy() - expected).max())


def averager_job(args, GradientAverager):
    """Replicas made with different seeds; GradientAverager; then SGD steps, each rank on its share of the
    batch: the state after construction, the gradients of each step, the state after training."""
    rank, world = dist.get_rank(), dist.get_world_size()
    model = averaged_model(args["seed"] + rank)
    GradientAverager(model)
    out = {"initial": state(model), "grads": []}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=args["lr"])
    loss_fn = nn.CrossEntropyLoss()
    for step in range(args["steps"]):
        inputs, targets = share(batch(args["seed"], step, args["rows"]), rank, world)
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        out["grads"].append(grads(model))
        optimizer.step()
    out["trained"] = state(model)
    return out


def no_sync_job(args, GradientAverager):
    """Two backward passes, the first inside no_sync(); then, after remove(), one more: the gradients after
    each part, and the state they were computed at."""
    rank, world = dist.get_rank(), dist.get_world_size()
    model = averaged_model(args["seed"])
    averager = GradientAverager(model)
    loss_fn = nn.CrossEntropyLoss()

    def backward(step):
        inputs, targets = share(batch(args["seed"], step, args["rows"]), rank, world)
        loss_fn(model(inputs), targets).backward()

    with averager.no_sync():
        backward(0)
    out = {"state": state(model), "inside": grads(model)}
    backward(1)
    out["accumulated"] = grads(model)
    averager.remove()
    model.zero_grad()
    backward(2)
    out["removed"] = grads(model)
    return out


def train_job(args, train_ddp):
    """The parameters after train_ddp, and the losses it returned."""
    model = mlp(args["model_seed"])
    losses = train_ddp(model, dataset(args["data_seed"], args["items"]), args["epochs"], args["global_batch"],
                       args["lr"], args["seed"])
    return {"state": state(model), "losses": len(losses) if isinstance(losses, list) else None}
