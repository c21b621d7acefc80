"""Elementwise `a + b` on the GPU: the memory bandwidth minitorch reaches, against the GPU's peak and
against torch's CUDA eager `a + b` in the same run (GPU only).

    python benchmarks/bench_bandwidth.py [--mib 1024] [--repeat 20] [--peak-tbs 4.3] [--check]

Each call reads a and b and writes the result: 3 x size bytes. Prints the median time per call and the
bandwidth of each library, and minitorch's share of the peak (the H200's 4.3 TB/s by default) against
the target of 70%; --check exits 1 when it is missed."""
import argparse
import statistics
import time

TARGET = 0.70


def bandwidth_tbs(lib, n, repeat):
    """(median ms per call, TB/s) of `a + b` on two float32 vectors of n elements."""
    a = lib.ones(n, device="cuda")
    b = lib.ones(n, device="cuda")
    sync = lib.cuda.synchronize
    c = a + b  # warm up: kernel compilation, memory pool
    sync()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        c = a + b
        sync()
        times.append(time.perf_counter() - start)
        del c
    median = statistics.median(times)
    return median * 1e3, 3 * 4 * n / median / 1e12


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="size of each operand in MiB")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--peak-tbs", type=float, default=4.3, help="the GPU's peak memory bandwidth in TB/s")
    parser.add_argument("--check", action="store_true", help="exit 1 if minitorch reaches less than 70%% of peak")
    args = parser.parse_args(argv)
    import torch
    import minitorch
    n = args.mib * (1 << 20) // 4
    print(f"a + b on {n} float32 ({args.mib} MiB per operand), median of {args.repeat} calls "
          f"(torch {torch.__version__})")
    print(f"{'library':10} {'ms':>8} {'TB/s':>7} {'of peak':>8}")
    shares = {}
    for name, lib in (("minitorch", minitorch), ("torch", torch)):
        ms, tbs = bandwidth_tbs(lib, n, args.repeat)
        shares[name] = tbs / args.peak_tbs
        print(f"{name:10} {ms:8.3f} {tbs:7.2f} {shares[name]:8.0%}")
    missed = shares["minitorch"] < TARGET
    print(f"target: minitorch >= {TARGET:.0%} of {args.peak_tbs} TB/s{'  MISSED' if missed else ''}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
