"""DistributedDataParallel and ZeroRedundancyOptimizer on real ranks, each compared with one process that
trains on the whole batch (float64, so the only difference is the order of additions)."""
from _harness import expect, report, start

import minitorch as torch
import minitorch.distributed as dist
from minitorch import nn
from minitorch.distributed.optim import ZeroRedundancyOptimizer
from minitorch.examples.train_digits import build_model
from minitorch.nn.parallel import DistributedDataParallel as DDP
from minitorch.utils.data import DistributedSampler

rank, world = start()
torch.set_default_dtype(torch.float64)
STEPS = 5


def replicas(make):
    """(a replica to wrap in DDP, the single-process reference) from `make`: the replicas start from different
    weights on every rank but rank 0, whose weights DDP must broadcast."""
    torch.manual_seed(0)
    reference = make()
    torch.manual_seed(100 + rank)
    local = make()
    if rank == 0:
        local.load_state_dict(reference.state_dict())
    return local, reference


def max_difference(a, b):
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))


def batches(shape, classes):
    g = torch.Generator().manual_seed(1)
    inputs = torch.randn(STEPS, 4 * world, *shape, generator=g)
    return inputs, torch.randint(0, classes, (STEPS, 4 * world), generator=g)


def train_equivalence(kind, as_view):
    local, reference = replicas(lambda: build_model(kind))
    model = DDP(local, bucket_cap_mb=0.005, gradient_as_bucket_view=as_view)
    expect(max_difference(local, reference) == 0, "construction did not broadcast rank 0's weights")
    expect(len(model.reducer.buckets) > 1, "expected several buckets")
    x, y = batches((1, 8, 8), 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for step in range(STEPS):
        opt.zero_grad(set_to_none=step % 2 == 0)
        loss_fn(model(x[step].chunk(world)[rank]), y[step].chunk(world)[rank]).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_fn(reference(x[step]), y[step]).backward()
        ref_opt.step()
    error = max_difference(local, reference)
    expect(error < 1e-10, f"{kind} (gradient_as_bucket_view={as_view}) differs by {error}")


def buckets_follow_reverse_order():
    model = DDP(nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4)), bucket_cap_mb=0.0001)
    expect([b.indices for b in model.reducer.buckets] == [[3, 2], [1, 0]], [b.indices for b in model.reducer.buckets])


def no_sync_accumulates_then_averages():
    local, reference = replicas(lambda: nn.Linear(3, 2))
    model = DDP(local)
    x = torch.randn(3, 2 * world, 3, generator=torch.Generator().manual_seed(2))
    with model.no_sync():
        for micro in range(2):
            model(x[micro].chunk(world)[rank]).sum().backward()
    local_only = local.weight.grad.clone()
    model(x[2].chunk(world)[rank]).sum().backward()
    for micro in range(3):
        reference(x[micro]).sum().backward()
    expect(torch.allclose(local.weight.grad * world, reference.weight.grad), "accumulated grads not averaged")
    expect(not torch.allclose(local_only * world, reference.weight.grad), "no_sync still communicated")


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.Linear(3, 1)
        self.unused = nn.Linear(3, 1)

    def forward(self, x):
        return self.used(x)


def unused_parameters_error():
    model = DDP(TwoHeads())
    model(torch.randn(2, 3)).sum().backward()
    try:
        model(torch.randn(2, 3))
    except RuntimeError as exc:
        text = str(exc)
        expect(text.startswith("Expected to have finished reduction in the prior iteration") and
               f"Parameter indices which did not receive grad for rank {rank}: 2 3" in text, text)
    else:
        raise AssertionError("a second forward after an incomplete reduction did not raise")


def find_unused_parameters():
    model = DDP(TwoHeads(), find_unused_parameters=True)
    for _ in range(2):
        model.zero_grad()
        model(torch.full((2, 3), float(rank + 1))).sum().backward()
    expect(model.module.unused.weight.grad is None, "a parameter no rank used got a gradient")
    want = torch.full((1, 3), 2.0 * sum(r + 1 for r in range(world)) / world)
    expect(torch.allclose(model.module.used.weight.grad, want), model.module.used.weight.grad)


def buffers_and_state_dict():
    torch.manual_seed(rank)
    model = DDP(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
    seen = []
    model.module[1].register_forward_pre_hook(lambda m, args: seen.append(m.running_mean.tolist()))
    for _ in range(2):
        model(torch.randn(4, 2) + rank).sum().backward()
    stats = [None] * world
    dist.all_gather_object(stats, seen)
    expect(all(s == stats[0] for s in stats), f"forward did not start from rank 0's buffers: {stats}")
    expect(stats[0][0] != stats[0][1], "the buffers did not change")
    expect(list(model.state_dict())[:2] == ["module.0.weight", "module.0.bias"], list(model.state_dict()))


def different_models_are_rejected():
    try:
        DDP(nn.Linear(2, 2 + rank))
    except RuntimeError as exc:
        expect("DDP expects same model across all ranks: params[0] in process 1 with sizes [3, 2]" in str(exc),
               str(exc))
    else:
        raise AssertionError("different models were accepted")


def zero_matches_adam_and_shards_state():
    local, reference = replicas(lambda: nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)))
    model = DDP(local)
    opt = ZeroRedundancyOptimizer(model.parameters(), torch.optim.Adam, lr=0.01)
    ref_opt = torch.optim.Adam(reference.parameters(), lr=0.01)
    x = torch.randn(STEPS, 2 * world, 6, generator=torch.Generator().manual_seed(3))
    for step in range(STEPS):
        opt.zero_grad()
        model(x[step].chunk(world)[rank]).pow(2).mean().backward()
        opt.step()
        ref_opt.zero_grad()
        reference(x[step]).pow(2).mean().backward()
        ref_opt.step()
    expect(max_difference(local, reference) < 1e-10, "ZeRO differs from Adam")
    held = [None] * world
    dist.all_gather_object(held, len(opt.optim.state))
    expect(sum(held) == 4 and max(held) < 4, f"state per rank {held}")
    opt.consolidate_state_dict(to=0)
    if rank == 0:
        merged, want = opt.state_dict(), ref_opt.state_dict()
        for index, state in want["state"].items():
            expect(torch.allclose(merged["state"][index]["exp_avg_sq"], state["exp_avg_sq"]), f"state {index}")


def sampler_from_process_group():
    sampler = DistributedSampler(list(range(11)))
    expect(sampler.num_replicas == world and sampler.rank == rank, "defaults")
    shares = [None] * world
    dist.all_gather_object(shares, list(sampler))
    expect(sorted(i for share in shares for i in share)[:11] == list(range(11)), shares)


report([(f"train_{kind}_view_{as_view}", lambda kind=kind, as_view=as_view: train_equivalence(kind, as_view))
        for kind in ("mlp", "cnn") for as_view in (False, True)] +
       [(f.__name__, f) for f in (buckets_follow_reverse_order, no_sync_accumulates_then_averages,
                                  unused_parameters_error, find_unused_parameters, buffers_and_state_dict,
                                  different_models_are_rejected, zero_matches_adam_and_shards_state,
                                  sampler_from_process_group)])
