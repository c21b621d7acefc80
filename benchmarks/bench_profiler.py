"""What the profiler costs: nothing while it is not recording, and at most twice the step while it records.

    python benchmarks/bench_profiler.py [--rounds 5] [--steps 20] [--baseline DIR] [--clock cpu] [--check]

Cases: a tiny op (`a + b` on 4 floats, the door's fast path), a tiny backward (`(x * y).sum().backward()`, the
autograd engine's loop) and the MLP train step of bench_train.py (784-512-256-10, batch 128, CrossEntropyLoss,
SGD with momentum). Modes: `never` (no profiler has run in the process),
`after` (a profile ran and stopped before the timing: whatever it leaves behind is paid here) and `on` (the
timed steps run inside one recording, `profile(activities=[CPU])`). With --baseline DIR, `base` times the same
cases with the minitorch package found in DIR (e.g. an export of the commit before the profiler) on PYTHONPATH.
Each (library, case, mode) runs in a fresh process, the processes taking turns in --rounds rounds so that all
see the same machine load; medians over the rounds. torch runs the same cases with 2 threads (NumPy's BLAS
too), so its own profiler ratio is printed beside ours. --clock cpu times the CPU the process uses
(time.process_time, all its threads) instead of wall time: on a machine shared with other work it is the
steadier of the two.

Targets: after / never <= 1.03 for every case (and never / base <= 1.03 where --baseline is given: the hooks
the profiler needs cost nothing measurable while it does not record); MLP step on / never <= 2.0."""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "2"

import argparse  # noqa: E402  (the thread settings above must come before NumPy's import)
import importlib  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

INACTIVE_TARGET = 1.03
ACTIVE_TARGET = 2.0


def tiny_op(lib):
    a, b = lib.ones(4), lib.ones(4)

    def run():
        for _ in range(200):
            a + b
    return run, 200


def tiny_backward(lib):
    x, y = lib.ones(4, requires_grad=True), lib.ones(4)

    def run():
        for _ in range(50):
            (x * y).sum().backward()
    return run, 50


def mlp_step(lib):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x, y = lib.randn(128, 784), lib.randint(0, 10, (128,))

    def run():
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return run, 1


CASES = {"tiny": tiny_op, "backward": tiny_backward, "mlp": mlp_step}


def child(name, case, mode, steps, clock):
    """Subprocess body: print the median time per call (microseconds) of `case` in `mode`."""
    lib = importlib.import_module(name)
    if name == "torch":
        lib.set_num_threads(2)
    run, calls = CASES[case](lib)
    for _ in range(3):
        run()
    if mode == "after":
        with lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU]):
            run()
    recording = lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU]) if mode == "on" else None
    if recording is not None:
        recording.__enter__()
    now = time.process_time if clock == "cpu" else time.perf_counter
    times = []
    for _ in range(steps):
        start = now()
        run()
        times.append((now() - start) / calls)
    if recording is not None:
        recording.__exit__(None, None, None)
    print(statistics.median(times) * 1e6)


def run_child(name, case, mode, steps, baseline, clock):
    path = [baseline] if mode == "base" else [os.getcwd()]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path + [os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, __file__, "--child", name, case, "never" if mode == "base" else mode,
                          "--steps", str(steps), "--clock", clock], env=env, check=True, capture_output=True,
                         text=True).stdout
    return float(out.split()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per library, case and mode")
    parser.add_argument("--steps", type=int, default=20, help="timed calls per process (their median is kept)")
    parser.add_argument("--baseline", help="a directory holding another minitorch package to time as 'base'")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="wall time, or the process's CPU time")
    parser.add_argument("--check", action="store_true", help="exit 1 if a ratio misses its target")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child, args.steps, args.clock)
        return 0
    modes = {"minitorch": ["never", "after", "on"] + (["base"] if args.baseline else []),
             "torch": ["never", "on"]}
    runs = {(lib, case, mode): [] for case in CASES for lib, ms in modes.items() for mode in ms}
    for _ in range(args.rounds):
        for key in runs:
            runs[key].append(run_child(*key, args.steps, args.baseline, args.clock))
    median = {key: statistics.median(times) for key, times in runs.items()}
    print(f"profiler cost ({args.clock} time): median of {args.steps} calls per process, then of {args.rounds} rounds "
          f"of fresh processes (2 threads)")
    print(f"{'case':8} {'library':10} " + " ".join(f"{m:>10}" for m in ("never", "after", "on", "base")) +
          f" {'after/never':>12} {'on/never':>9} {'never/base':>11}")
    missed = 0
    for case in CASES:
        for lib in modes:
            t = {m: median.get((lib, case, m)) for m in ("never", "after", "on", "base")}
            after = t["after"] / t["never"] if t["after"] else None
            on = t["on"] / t["never"]
            base = t["never"] / t["base"] if t["base"] else None
            if lib == "minitorch":
                missed += after > INACTIVE_TARGET or (case == "mlp" and on > ACTIVE_TARGET)
                missed += base is not None and base > INACTIVE_TARGET
            cells = " ".join(f"{v:10.2f}" if v else f"{'':>10}" for v in t.values())
            ratios = " ".join(f"{r:{w}.3f}" if r else f"{'':>{w}}" for r, w in ((after, 12), (on, 9), (base, 11)))
            print(f"{case:8} {lib:10} {cells} {ratios}")
    print(f"(times in microseconds per call; targets: after/never and never/base <= {INACTIVE_TARGET}, MLP on/never "
          f"<= {ACTIVE_TARGET})")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
