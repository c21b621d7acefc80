"""Op dispatch overhead: minitorch against PyTorch, measured in the same run on the same tiny tensors,
where the time is all Python and bookkeeping and none of it arithmetic.

    python benchmarks/bench_dispatch.py [--device cuda] [--number 2000] [--repeat 7]

Prints the median time per call of each case for both libraries and the ratio minitorch / torch,
against the target ratio. Exits 1 when --check is given and a ratio misses its target."""
import argparse
import statistics
import sys
import timeit

import minitorch


def tiny_add(lib, device):
    a = lib.ones(4, device=device)
    b = lib.ones(4, device=device)
    return lambda: a + b


def tiny_mul_sum_backward(lib, device):
    x = lib.ones(4, device=device, requires_grad=True)
    y = lib.ones(4, device=device)

    def step():
        (x * y).sum().backward()
    return step


CASES = [  # (name, setup, target ratio minitorch / torch)
    ("a + b (4 floats)", tiny_add, 3.0),
    ("(x * y).sum().backward() (4 floats)", tiny_mul_sum_backward, 2.0),
]


def median_us(fn, number, repeat):
    """Median over `repeat` runs of the time per call, in microseconds."""
    fn()  # warm up (first-call imports, kernel compilation)
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--number", type=int, default=2000, help="calls per timing")
    parser.add_argument("--repeat", type=int, default=7, help="timings per case (the median is kept)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a ratio misses its target")
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(2)
    print(f"dispatch overhead on {args.device}: median of {args.repeat} x {args.number} calls "
          f"(torch {torch.__version__}, 2 threads)")
    print(f"{'case':40} {'minitorch':>12} {'torch':>10} {'ratio':>7} {'target':>7}")
    missed = 0
    for name, setup, target in CASES:
        ours = median_us(setup(minitorch, args.device), args.number, args.repeat)
        theirs = median_us(setup(torch, args.device), args.number, args.repeat)
        ratio = ours / theirs
        missed += ratio > target
        flag = "" if ratio <= target else "  MISSED"
        print(f"{name:40} {ours:10.2f}us {theirs:8.2f}us {ratio:6.2f}x {target:6.1f}x{flag}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
