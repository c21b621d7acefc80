"""Distributed training on 2 ranks (MPI): correctness of DDP, all_reduce throughput, and DDP's overlap.

    python benchmarks/bench_distributed.py [--rounds 3] [--check]

1. DDP equivalence: 2 ranks, each with half of every batch, against one process on the whole batch, after
   20 SGD steps (float64), for the digits MLP and CNN. Target: largest parameter difference <= 1e-6.
2. all_reduce of 100 MB of float32 on 2 ranks, minitorch.distributed against mpi4py's Allreduce on the same
   buffers: each library in its own fresh job, the two alternating (paired rounds), median throughput.
   Target: minitorch >= 0.8x mpi4py.
3. DDP step time (forward, backward, SGD step) of a 4 x 1024-wide MLP: gradients in 4 MB buckets all-reduced
   while backward runs, against one all-reduce of every gradient after backward. Reported, no target.
--check exits 1 when a target is missed."""
import argparse
import json
import statistics
import subprocess
import sys
import time

from minitorch.distributed.run import find_mpiexec

NUMEL = 25_000_000  # 100 MB of float32
REPEAT = 7  # timed repetitions inside one job (its median is kept)


# ----- what the ranks run -------------------------------------------------------------------------------
def _all_reduce_job(library):
    import numpy as np
    from mpi4py import MPI
    import minitorch
    import minitorch.distributed as dist
    comm = MPI.COMM_WORLD
    data = np.ones(NUMEL, dtype=np.float32)
    if library == "mpi4py":
        def once():
            comm.Allreduce(MPI.IN_PLACE, data)
    else:
        dist.init_process_group("mpi")
        tensor = minitorch.from_numpy(data)

        def once():
            dist.all_reduce(tensor)
    times = []
    for _ in range(REPEAT + 1):
        comm.Barrier()
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times[1:])}


def _equivalence_job():
    import minitorch as torch
    import minitorch.distributed as dist
    from minitorch import nn
    from minitorch.examples.train_digits import build_model
    from minitorch.nn.parallel import DistributedDataParallel
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.set_default_dtype(torch.float64)
    errors = {}
    for kind in ("mlp", "cnn"):
        torch.manual_seed(0)
        reference = build_model(kind)
        torch.manual_seed(1 + rank)
        local = build_model(kind)
        if rank == 0:
            local.load_state_dict(reference.state_dict())
        model = DistributedDataParallel(local)  # rank 0's weights reach every rank
        g = torch.Generator().manual_seed(2)
        x, y = torch.randn(20, 64, 1, 8, 8, generator=g), torch.randint(0, 10, (20, 64), generator=g)
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        ref_opt = torch.optim.SGD(reference.parameters(), lr=0.05, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        for step in range(20):
            opt.zero_grad()
            loss_fn(model(x[step].chunk(world)[rank]), y[step].chunk(world)[rank]).backward()
            opt.step()
            ref_opt.zero_grad()
            loss_fn(reference(x[step]), y[step]).backward()
            ref_opt.step()
        errors[kind] = max((p - q).abs().max().item()
                           for p, q in zip(model.module.parameters(), reference.parameters()))
    return errors


def _overlap_job():
    import minitorch as torch
    import minitorch.distributed as dist
    from minitorch import nn
    from minitorch.nn.parallel import DistributedDataParallel
    dist.init_process_group("mpi")
    world = dist.get_world_size()
    torch.manual_seed(0)
    x = torch.randn(64, 1024)

    def make():
        return nn.Sequential(*[layer for _ in range(4) for layer in (nn.Linear(1024, 1024), nn.ReLU())])

    def timed(model, step):
        times = []
        for _ in range(REPEAT + 2):
            dist.barrier()
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        return statistics.median(times[2:]) * 1e3

    bucketed = DistributedDataParallel(make(), bucket_cap_mb=4)
    opt = torch.optim.SGD(bucketed.parameters(), lr=1e-3)

    def ddp_step():
        opt.zero_grad()
        bucketed(x).pow(2).mean().backward()
        opt.step()

    plain = make()
    plain_opt = torch.optim.SGD(plain.parameters(), lr=1e-3)

    def after_backward_step():
        plain_opt.zero_grad()
        plain(x).pow(2).mean().backward()
        grads = [p.grad for p in plain.parameters()]
        flat = torch.cat([g.reshape(-1) for g in grads]) / world
        dist.all_reduce(flat)
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()
        plain_opt.step()

    return {"buckets": len(bucketed.reducer.buckets), "ddp_ms": timed(bucketed, ddp_step),
            "after_backward_ms": timed(plain, after_backward_step)}


JOBS = {"allreduce-mpi4py": lambda: _all_reduce_job("mpi4py"),
        "allreduce-minitorch": lambda: _all_reduce_job("minitorch"),
        "equivalence": _equivalence_job, "overlap": _overlap_job}


# ----- the driver ---------------------------------------------------------------------------------------
def run_job(name):
    """Run one job on 2 fresh ranks; rank 0's JSON result."""
    out = subprocess.run([find_mpiexec(), "-n", "2", sys.executable, __file__, "--job", name],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"job {name} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="paired all_reduce rounds (fresh jobs each)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.job:
        import minitorch.distributed as dist
        result = JOBS[args.job]()
        from mpi4py import MPI
        if MPI.COMM_WORLD.Get_rank() == 0:
            print(json.dumps(result), flush=True)
        if dist.is_initialized():
            dist.destroy_process_group()
        return 0

    missed = 0
    errors = run_job("equivalence")
    print("1. DDP on 2 ranks vs one process on the whole batch, 20 SGD steps, float64 (target <= 1e-6)")
    for kind, error in errors.items():
        missed += error > 1e-6
        print(f"   {kind}: largest parameter difference {error:.2e}{'  MISSED' if error > 1e-6 else ''}")

    ours, theirs = [], []
    for _ in range(args.rounds):
        theirs.append(run_job("allreduce-mpi4py")["seconds"])
        ours.append(run_job("allreduce-minitorch")["seconds"])
    ratios = [t / o for o, t in zip(ours, theirs)]  # throughput ours / theirs
    ratio = statistics.median(ratios)
    missed += ratio < 0.8
    gb = NUMEL * 4 / 1e9
    print(f"2. all_reduce of 100 MB float32 on 2 ranks, {args.rounds} paired rounds of fresh jobs "
          "(target >= 0.8x)")
    for label, seconds in (("mpi4py Allreduce    ", theirs), ("minitorch all_reduce", ours)):
        median = statistics.median(seconds)
        print(f"   {label} {median * 1e3:8.1f} ms  {gb / median:6.2f} GB/s")
    rounds = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"   throughput ratio minitorch / mpi4py: median {ratio:.2f} (rounds {rounds})"
          f"{'  MISSED' if ratio < 0.8 else ''}")

    overlap = run_job("overlap")
    print("3. DDP step, MLP 4 x (1024 -> 1024), batch 64 per rank, 2 ranks (reported)")
    print(f"   {overlap['buckets']} buckets all-reduced during backward: {overlap['ddp_ms']:7.1f} ms/step")
    print(f"   one all-reduce after backward:          {overlap['after_backward_ms']:7.1f} ms/step")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
