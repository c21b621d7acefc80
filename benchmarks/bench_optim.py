"""Optimizer step time: minitorch against PyTorch on the cpu, on the same 10M-parameter tensor and gradient.

    python benchmarks/bench_optim.py [--numel 10000000] [--repeat 9] [--check]

Prints the median time of one `optimizer.step()` for Adam and SGD with momentum in both libraries (torch
pinned to 2 threads) and the ratio minitorch / torch against its target; --check exits 1 on a miss."""
import argparse
import statistics
import sys
import time

import numpy as np

import minitorch

CASES = [  # (name, optimizer class name, keyword arguments, target ratio minitorch / torch)
    ("Adam", "Adam", {"lr": 1e-3}, 1.5),
    ("SGD momentum=0.9", "SGD", {"lr": 1e-3, "momentum": 0.9}, 1.5),
]


def median_ms(step, repeat):
    step()  # warm up: the first step allocates the optimizer state
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def make_step(lib, name, kwargs, param, grad):
    p = lib.nn.Parameter(lib.tensor(param))
    p.grad = lib.tensor(grad)
    return getattr(lib.optim, name)([p], **kwargs).step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numel", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=9, help="timed steps per case (the median is kept)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a ratio misses its target")
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    param = rng.standard_normal(args.numel, dtype=np.float32)
    grad = rng.standard_normal(args.numel, dtype=np.float32)
    print(f"optimizer step on {args.numel:,} float32 parameters (cpu): median of {args.repeat} steps "
          f"(torch {torch.__version__}, 2 threads)")
    print(f"{'case':20} {'minitorch ms':>13} {'torch ms':>10} {'ratio':>7} {'target':>7}")
    missed = 0
    for label, name, kwargs, target in CASES:
        ours = median_ms(make_step(minitorch, name, kwargs, param, grad), args.repeat)
        theirs = median_ms(make_step(torch, name, kwargs, param, grad), args.repeat)
        ratio = ours / theirs
        missed += ratio > target
        flag = "  MISSED" if ratio > target else ""
        print(f"{label:20} {ours:13.2f} {theirs:10.2f} {ratio:7.2f} {target:7.1f}{flag}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
