"""DataLoader worker processes: one epoch over a dataset whose __getitem__ costs 1 ms, read by the main process
(num_workers=0) and by 2 worker processes, for minitorch and for PyTorch.

    python benchmarks/bench_dataloader.py [--rounds 5] [--samples 1000] [--work sleep|spin] [--check]

Each epoch runs in a fresh process (worker start-up included, as a non-persistent loader pays it every epoch);
the rounds alternate the four configurations. `--work sleep` makes the 1 ms a wait (reading a file, decoding on
another device); `--work spin` makes it CPU work, which only scales where the machine has a free core per worker.
Prints the median epoch time of each configuration and the speed-up of 2 workers; the target is >= 1.7x for
minitorch. `--check` exits 1 when it is missed."""
import argparse
import json
import os
import statistics
import subprocess
import sys

EPOCH = """
import json, sys, time
import numpy as np
lib = __import__(sys.argv[1])
from {data} import DataLoader, Dataset

class OneMillisecond(Dataset):
    def __init__(self, n, work):
        self.n, self.work = n, work
    def __len__(self):
        return self.n
    def __getitem__(self, i):
        if self.work == "sleep":
            time.sleep(0.001)
        else:
            end = time.perf_counter() + 0.001
            while time.perf_counter() < end:
                pass
        return lib.full((16,), float(i)), i % 10

if __name__ == "__main__":
    if sys.argv[1] == "torch":
        lib.set_num_threads(1)
    loader = DataLoader(OneMillisecond(int(sys.argv[2]), sys.argv[3]), batch_size=16, shuffle=True,
                        num_workers=int(sys.argv[4]))
    start = time.perf_counter()
    seen = sum(len(y) for _, y in loader)
    print(json.dumps({{"seconds": time.perf_counter() - start, "seen": seen}}))
"""


def epoch(library, samples, work, workers):
    code = EPOCH.format(data=f"{library}.utils.data")
    done = subprocess.run([sys.executable, "-c", code, library, str(samples), work, str(workers)],
                          capture_output=True, text=True, timeout=600, cwd=os.path.dirname(os.path.abspath(__file__)))
    if done.returncode:
        raise RuntimeError(done.stderr)
    result = json.loads(done.stdout)
    assert result["seen"] == samples
    return result["seconds"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--work", choices=("sleep", "spin"), default="sleep")
    parser.add_argument("--check", action="store_true", help="exit 1 if minitorch's speed-up misses 1.7x")
    args = parser.parse_args(argv)
    configs = [(lib, workers) for lib in ("minitorch", "torch") for workers in (0, 2)]
    times = {c: [] for c in configs}
    for _ in range(args.rounds):
        for lib, workers in configs:
            times[lib, workers].append(epoch(lib, args.samples, args.work, workers))
    print(f"one epoch of {args.samples} samples at 1 ms each ({args.work}), batch 16, shuffled: median of "
          f"{args.rounds} fresh processes")
    print(f"{'library':10} {'0 workers':>10} {'2 workers':>10} {'speed-up':>9}")
    speedups = {}
    for lib in ("minitorch", "torch"):
        serial, parallel = (statistics.median(times[lib, w]) for w in (0, 2))
        speedups[lib] = serial / parallel
        print(f"{lib:10} {serial:9.3f}s {parallel:9.3f}s {speedups[lib]:8.2f}x")
    missed = speedups["minitorch"] < 1.7
    print(f"target: minitorch >= 1.7x{'  MISSED' if missed else ''}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
