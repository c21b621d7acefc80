"""Training-step time and memory: minitorch against PyTorch, same models, same data, same run.

    python benchmarks/bench_train.py [--device cuda] [--steps 30] [--repeat 3] [--check]

Times one full train step (forward, CrossEntropyLoss, zero_grad, backward, SGD momentum step) of an MLP
784-512-256-10 on a batch of 128 and of a small CNN on a batch of 64 1x28x28 images, and the peak resident
memory (ru_maxrss) that training the MLP adds to the process. Every measurement runs in a fresh process, the two
libraries taking turns: one process never holds both libraries' worker threads, and both see the same machine
load. Prints medians and the ratio minitorch / torch against its target; --check exits 1 on a miss.
Both libraries get 2 threads: torch through set_num_threads, NumPy's BLAS through OMP_NUM_THREADS /
OPENBLAS_NUM_THREADS, set before NumPy is imported. With --device cuda both train on the GPU (torch's CUDA eager
mode), each step timed to the end of its GPU work, and the memory rows are left out."""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "2"

import argparse  # noqa: E402  (the thread settings above must come before NumPy's import)
import importlib.metadata  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

TARGETS = {"cpu": {"MLP train step": 1.3, "CNN train step": 2.0, "MLP peak RSS": 1.5},
           "cuda": {"MLP train step": 1.5, "CNN train step": 1.5}}


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),  # 28 -> 26 -> 13
                         nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),  # 13 -> 11 -> 5
                         nn.Flatten(), nn.Linear(32 * 5 * 5, 10))


def batch(shape, seed=0):
    """Fixed random inputs of `shape` and labels 0..9, as NumPy arrays."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape, dtype=np.float32), rng.integers(0, 10, shape[0])


def make_step(lib, build, shape, device="cpu"):
    """A closure running one full train step of `build(lib)` on a fixed batch on `device`."""
    lib.manual_seed(0)
    model = build(lib).to(device)
    x, y = batch(shape)
    x, y = lib.tensor(x, device=device), lib.tensor(y, device=device)
    loss_fn = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


CASES = {"mlp": (mlp, (128, 784)), "cnn": (cnn, (64, 1, 28, 28))}


def child(name, case, steps, device):
    """Subprocess body: train `case` with library `name` and print the median step time (ms) over `steps`
    timed steps, the peak RSS (MiB) after the imports and the peak RSS at the end."""
    lib = __import__(name)
    if name == "torch":
        lib.set_num_threads(2)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    step = make_step(lib, *CASES[case], device)
    sync = lib.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(3):  # the first steps allocate gradients and momentum buffers (and compile kernels)
        step()
    sync()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(statistics.median(times) * 1e3, baseline / 1024, peak / 1024)  # ru_maxrss is in KiB on Linux


def run_child(name, case, steps, device):
    """(median step ms, baseline MiB, peak MiB) from a fresh process."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, __file__, "--child", name, case, "--steps", str(steps), "--device", device],
                         env=env, check=True, capture_output=True, text=True).stdout
    return tuple(map(float, out.split()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per process (their median is kept)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per library and case (median)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a ratio misses its target")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child, args.steps, args.device)
        return 0

    # This process imports neither library: a child's ru_maxrss starts from its parent's (it is forked from
    # the parent before it execs), so a parent holding torch would hide the children's numbers.
    print(f"train steps on the {args.device}: median of {args.steps} steps, then of {args.repeat} fresh processes per "
          f"library (torch {importlib.metadata.version('torch')}, 2 threads; numpy {np.__version__}, BLAS "
          f"threads 2)")
    results = {}
    for case in CASES:
        runs = {"minitorch": [], "torch": []}
        for _ in range(args.repeat):  # alternate, so that both libraries see the same machine load
            for name in runs:
                runs[name].append(run_child(name, case, args.steps, args.device))
        results[case] = {name: [statistics.median(r[i] for r in rs) for i in range(3)]
                         for name, rs in runs.items()}
        results[case + " growth"] = {name: statistics.median(r[2] - r[1] for r in rs) for name, rs in runs.items()}
    mlp_, cnn_, growth = results["mlp"], results["cnn"], results["mlp growth"]
    rows = [("MLP train step", "ms", mlp_["minitorch"][0], mlp_["torch"][0]),
            ("CNN train step", "ms", cnn_["minitorch"][0], cnn_["torch"][0]),
            ("MLP peak RSS", "MiB", growth["minitorch"], growth["torch"]),
            ("MLP peak RSS absolute", "MiB", mlp_["minitorch"][2], mlp_["torch"][2])]
    if args.device == "cuda":
        rows = rows[:2]  # host memory says little about a GPU run

    print(f"{'case':24} {'unit':>4} {'minitorch':>10} {'torch':>10} {'ratio':>7} {'target':>7}")
    missed = 0
    for label, unit, ours, theirs in rows:
        ratio = ours / theirs
        target = TARGETS[args.device].get(label)
        miss = target is not None and ratio > target
        missed += miss
        print(f"{label:24} {unit:>4} {ours:10.2f} {theirs:10.2f} {ratio:7.2f} "
              f"{'' if target is None else f'{target:.1f}':>7}{'  MISSED' if miss else ''}")
    if args.device == "cpu":
        print(f"(peak RSS: ru_maxrss after {3 + args.steps} MLP steps minus ru_maxrss after the imports; absolute: the "
              f"whole process)")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
