"""The NCCL backend on cuda tensors (one rank per GPU), against NumPy references, and DDP on the GPU."""
from datetime import timedelta

import numpy as np
from _harness import data, expect, report

import minitorch as torch
import minitorch.distributed as dist
from minitorch import nn
from minitorch.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("nccl", timeout=timedelta(seconds=60))
rank, world = dist.get_rank(), dist.get_world_size()
ranks = range(world)


def cuda(array):
    return torch.tensor(array, device="cuda")


def close(got, want, what):
    expect(np.allclose(got.cpu().numpy(), want, rtol=1e-5, atol=1e-5), f"{what}: got {got}, want {want}")


def reductions():
    for case, (op, reference) in enumerate([(dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.AVG, np.mean),
                                            (dist.ReduceOp.MAX, np.max)]):
        x = cuda(data(rank, case, (5, 3)))
        work = dist.all_reduce(x, op=op, async_op=True)
        expect(work.wait(), "wait")
        close(x, reference([data(r, case, (5, 3)) for r in ranks], axis=0), op)
    out = torch.empty(2, device="cuda")
    dist.reduce_scatter_tensor(out, cuda(data(rank, 5, (2 * world,))))
    close(out, np.sum([data(r, 5, (2 * world,)) for r in ranks], axis=0)[2 * rank:2 * rank + 2], "reduce_scatter")


def movement():
    x = cuda(data(rank, 10, (4,)))
    dist.broadcast(x, src=world - 1)
    close(x, data(world - 1, 10, (4,)), "broadcast")
    out = torch.empty(world, 3, device="cuda")
    dist.all_gather_into_tensor(out, cuda(data(rank, 11, (3,))))
    close(out, np.stack([data(r, 11, (3,)) for r in ranks]), "all_gather_into_tensor")
    listed = [torch.empty(3, device="cuda") for _ in ranks]
    dist.all_gather(listed, cuda(data(rank, 12, (3,))))
    for r in ranks:
        close(listed[r], data(r, 12, (3,)), f"all_gather[{r}]")
    out = torch.empty(world, 2, device="cuda")
    dist.all_to_all_single(out, cuda(data(rank, 13, (world, 2))))
    close(out, np.stack([data(r, 13, (world, 2))[rank] for r in ranks]), "all_to_all_single")
    dist.barrier()


def objects_and_mismatch():
    everyone = [None] * world
    dist.all_gather_object(everyone, {"rank": rank})
    expect(everyone == [{"rank": r} for r in ranks], everyone)
    try:
        dist.all_reduce(torch.ones(2 + rank, device="cuda"), op=dist.ReduceOp.SUM) if world > 1 else \
            dist.all_reduce(torch.ones(2))
    except RuntimeError as exc:
        expect("Detected mismatch" in str(exc) or "No backend type associated with device type cpu" in str(exc),
               str(exc))
    else:
        raise AssertionError("no error")


def ddp_on_gpu():
    torch.manual_seed(0)
    reference = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2)).cuda()
    local = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2)).cuda()
    local.load_state_dict(reference.state_dict())
    model = DDP(local, device_ids=[torch.cuda.current_device()])
    x = torch.randn(3, 2 * world, 6, generator=torch.Generator().manual_seed(1)).cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    for step in range(3):
        opt.zero_grad()
        model(x[step].chunk(world)[rank]).pow(2).mean().backward()
        opt.step()
        ref_opt.zero_grad()
        reference(x[step]).pow(2).mean().backward()
        ref_opt.step()
    error = max((p - q).abs().max().item() for p, q in zip(local.parameters(), reference.parameters()))
    expect(error < 1e-5, f"DDP on cuda differs by {error}")


report([(f.__name__, f) for f in (reductions, movement, objects_and_mismatch, ddp_on_gpu)])
