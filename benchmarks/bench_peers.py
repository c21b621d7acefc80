"""The MLP train step of bench_train.py in Python frameworks a learner might pick, on the same machine.

    python benchmarks/bench_peers.py [--steps 30] [--repeat 3] [--markdown]

One step: MLP 784-512-256-10 on a fixed batch of 128, forward, softmax cross-entropy, backward, SGD with
momentum 0.9. Each framework runs in fresh processes of its own, the frameworks taking turns (--repeat rounds),
2 threads where it has a setting for them; the table gives the median step time and the ratio to torch and to
the GEMM floor (NumPy alone doing the step's eight matrix products). Frameworks that are not installed are
listed as such: mygrad (NumPy autograd, `pip install mygrad`) and tinygrad (its CPU device compiles kernels
with clang and runs the step under TinyJit, `pip install tinygrad`) are optional, not dependencies."""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "2"

import argparse  # noqa: E402  (the thread settings above must come before NumPy's import)
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_train  # noqa: E402

SIZES = (784, 512, 256, 10)


def _weights():
    """The layers' (weight (out, in), bias) as NumPy arrays, and the batch."""
    rng = np.random.default_rng(0)
    layers = [((rng.standard_normal((o, i)) / np.sqrt(i)).astype(np.float32), np.zeros(o, np.float32))
              for i, o in zip(SIZES[:-1], SIZES[1:])]
    return layers, bench_train.batch("mlp")


def mygrad_step():
    import mygrad as mg
    from mygrad.nnet.activations import relu
    from mygrad.nnet.losses import softmax_crossentropy
    layers, (x, y) = _weights()
    params = [mg.tensor(a.T.copy() if a.ndim == 2 else a) for layer in layers for a in layer]  # w as (in, out)
    velocity = [np.zeros_like(p.data) for p in params]

    def step():
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = relu(h)
        softmax_crossentropy(h, y).backward()
        for p, v in zip(params, velocity):
            v *= 0.9
            v += p.grad
            p.data -= 0.01 * v
    return step


def tinygrad_step():
    from tinygrad import Context, Tensor, TinyJit, nn
    layers, (x, y) = _weights()
    model = [nn.Linear(i, o) for i, o in zip(SIZES[:-1], SIZES[1:])]
    for linear, (w, b) in zip(model, layers):
        linear.weight, linear.bias = Tensor(w), Tensor(b)
    params = nn.state.get_parameters(model)
    optimizer = nn.optim.SGD(params, lr=0.01, momentum=0.9)
    xs, ys = Tensor(x), Tensor(y.astype(np.int32))

    @TinyJit
    def jitted():
        with Context(TRAINING=1):
            h = xs
            for i, linear in enumerate(model):
                h = linear(h)
                if i < len(model) - 1:
                    h = h.relu()
            loss = h.sparse_categorical_crossentropy(ys)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss.realize()

    def step():
        jitted().item()  # waits for the step's kernels
    return step


def framework_step(name):
    if name in ("minitorch", "torch"):
        lib = __import__(name)
        if name == "torch":
            lib.set_num_threads(2)
        return bench_train.make_step(lib, "mlp")
    if name == "numpy":
        return bench_train.mlp_floor()
    return {"mygrad": mygrad_step, "tinygrad": tinygrad_step}[name]()


FRAMEWORKS = ["minitorch", "torch", "numpy", "mygrad", "tinygrad"]
LABELS = {"numpy": "GEMM floor (NumPy, products only)"}


def child(name, steps):
    step = framework_step(name)
    for _ in range(3):  # buffers, momentum state, kernel compilation (tinygrad's JIT captures on step 2)
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    print(statistics.median(times) * 1e3)


def run_child(name, steps):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, __file__, "--child", name, "--steps", str(steps)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out)


def version(name):
    if name == "numpy":
        return np.__version__
    return importlib.metadata.version("minitorch-workbook" if name == "minitorch" else name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per process (their median is kept)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per framework (median)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.steps)
        return 0
    present = [n for n in FRAMEWORKS if n == "minitorch" or importlib.util.find_spec(n) is not None]
    runs = {name: [] for name in present}
    for _ in range(args.repeat):
        for name in present:
            runs[name].append(run_child(name, args.steps))
    medians = {name: statistics.median(r) for name, r in runs.items()}
    torch_ms, floor_ms = medians.get("torch"), medians.get("numpy")
    rows = [(f"{LABELS.get(n, n)} {version(n)}", f"{m:.2f}", f"{m / torch_ms:.2f}" if torch_ms else "-",
             f"{m / floor_ms:.2f}" if floor_ms else "-") for n, m in medians.items()]
    rows += [(f"{n} (not installed)", "-", "-", "-") for n in FRAMEWORKS if n not in present]
    head = ("framework", "MLP step ms", "/ torch", "/ floor")
    print(f"MLP 784-512-256-10 train step, batch 128, SGD momentum: median of {args.steps} steps, then of "
          f"{args.repeat} fresh processes per framework, taking turns; 2 threads")
    if args.markdown:
        print("| " + " | ".join(head) + " |\n| " + " | ".join(["---"] + ["---:"] * 3) + " |")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        print(f"{head[0]:40} {head[1]:>12} {head[2]:>8} {head[3]:>8}")
        for row in rows:
            print(f"{row[0]:40} {row[1]:>12} {row[2]:>8} {row[3]:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
