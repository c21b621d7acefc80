"""Training-step time and memory: minitorch against PyTorch, same models, same data, same run.

    python benchmarks/bench_train.py [--device cuda] [--steps 30] [--repeat 3] [--cases mlp,cnn,...] [--check]

Times one full train step (forward, CrossEntropyLoss, zero_grad, backward, SGD momentum step) of
- mlp: an MLP 784-512-256-10 on a batch of 128;
- cnn: two conv3x3 + relu + maxpool blocks (16 and 32 channels) and a linear layer, batch of 64 1x28x28 images;
- lstm: a word model, Embedding(1000, 256) -> 2-layer LSTM (hidden 256) -> Linear(256, 1000), 35 steps x 20;
- transformer: 2 post-norm encoder layers (d_model 128, 4 heads, feed-forward 512, relu, no dropout) written
  out here from Linear, LayerNorm and softmax attention (the same code for both libraries), mean-pooled into
  Linear(128, 10); a batch of 32 sequences of 64;
and the peak resident memory (ru_maxrss) that training the MLP adds to the process. The MLP step is also
compared with its floor: the same eight matrix products (three forward, five backward) done by NumPy alone, in
fresh processes of their own taking turns with the others. Every measurement runs in a fresh process, the
libraries taking turns: one process never holds both libraries' worker threads, and all see the same machine
load. Prints medians and the ratios minitorch / torch (and minitorch / floor) against their targets; --check
exits 1 on a miss. Both libraries get 2 threads (--threads): torch through set_num_threads, NumPy's BLAS
through OMP_NUM_THREADS / OPENBLAS_NUM_THREADS, set before NumPy is imported. Steps are timed by the wall clock;
--clock cpu times them by the process's CPU time instead (all its threads), which other programs' load on a
shared machine disturbs less: use it with --threads 1, as idle worker threads that spin add CPU time too.
With --device cuda the MLP and the CNN train on the GPU (torch's CUDA eager mode), each step timed to the end
of its GPU work, and the memory and floor rows are left out."""
import argparse
import os
import sys


def _threads():
    """The --threads value, read before NumPy's import: its BLAS takes the thread count once, when loaded."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--threads", type=int, default=2)
    return early.parse_known_args(sys.argv[1:])[0].threads


THREADS = _threads()
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = str(THREADS)

import importlib.metadata  # noqa: E402  (the thread settings above must come before NumPy's import)
import math  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

TARGETS = {"cpu": {"MLP train step": 1.0, "MLP / GEMM floor": 1.3, "CNN train step": 1.3, "LSTM train step": 1.5,
                   "Transformer train step": 1.5, "MLP peak RSS": 1.5},
           "cuda": {"MLP train step": 1.5, "CNN train step": 1.5}}


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),  # 28 -> 26 -> 13
                         nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),  # 13 -> 11 -> 5
                         nn.Flatten(), nn.Linear(32 * 5 * 5, 10))


VOCAB, EMBED = 1000, 256


def lstm(lib):
    nn = lib.nn

    class WordModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, EMBED)
            self.lstm = nn.LSTM(EMBED, 256, num_layers=2)
            self.out = nn.Linear(256, VOCAB)

        def forward(self, tokens):  # (seq, batch) -> logits (seq * batch, VOCAB)
            hidden, _ = self.lstm(self.embed(tokens))
            return self.out(hidden.reshape(-1, 256))
    return WordModel()


D_MODEL, HEADS = 128, 4


def transformer(lib):
    nn = lib.nn

    class EncoderLayer(nn.Module):  # torch's TransformerEncoderLayer (post-norm, relu), without dropout
        def __init__(self):
            super().__init__()
            self.qkv, self.proj = nn.Linear(D_MODEL, 3 * D_MODEL), nn.Linear(D_MODEL, D_MODEL)
            self.ff1, self.ff2 = nn.Linear(D_MODEL, 4 * D_MODEL), nn.Linear(4 * D_MODEL, D_MODEL)
            self.norm1, self.norm2 = nn.LayerNorm(D_MODEL), nn.LayerNorm(D_MODEL)

        def forward(self, x):
            b, s, _ = x.shape
            q, k, v = self.qkv(x).reshape(b, s, 3, HEADS, D_MODEL // HEADS).permute(2, 0, 3, 1, 4).unbind(0)
            weights = (q @ k.transpose(-2, -1) * (1 / math.sqrt(D_MODEL // HEADS))).softmax(-1)
            x = self.norm1(x + self.proj((weights @ v).transpose(1, 2).reshape(b, s, D_MODEL)))
            return self.norm2(x + self.ff2(self.ff1(x).relu()))

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(EncoderLayer(), EncoderLayer())
            self.head = nn.Linear(D_MODEL, 10)

        def forward(self, x):
            return self.head(self.layers(x).mean(1))
    return Encoder()


def batch(case, seed=0):
    """Fixed random inputs and class labels of `case`, as NumPy arrays."""
    rng = np.random.default_rng(seed)
    if case == "lstm":
        tokens = rng.integers(0, VOCAB, (35, 20))
        return tokens, rng.integers(0, VOCAB, tokens.size)
    shape = {"mlp": (128, 784), "cnn": (64, 1, 28, 28), "transformer": (32, 64, D_MODEL)}[case]
    return rng.standard_normal(shape, dtype=np.float32), rng.integers(0, 10, shape[0])


CASES = {"mlp": mlp, "cnn": cnn, "lstm": lstm, "transformer": transformer}
LABELS = {"mlp": "MLP", "cnn": "CNN", "lstm": "LSTM", "transformer": "Transformer"}


def make_step(lib, case, device="cpu"):
    """A closure running one full train step of model `case` built with `lib` on a fixed batch on `device`."""
    lib.manual_seed(0)
    model = CASES[case](lib).to(device)
    x, y = batch(case)
    x, y = lib.tensor(x, device=device), lib.tensor(y, device=device)
    loss_fn = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def mlp_floor():
    """The MLP step's matrix products with NumPy alone, on operands laid out as in a framework's step (the
    weights (out, in) used transposed): x W1^T, h1 W2^T, h2 W3^T forward; dW3, dh2, dW2, dh1, dW1 backward."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784), dtype=np.float32)
    w1, w2, w3 = (rng.standard_normal(shape, dtype=np.float32) for shape in ((512, 784), (256, 512), (10, 256)))

    def step():
        h1 = x @ w1.T
        h2 = h1 @ w2.T
        g3 = h2 @ w3.T
        g3.T @ h2
        g2 = g3 @ w3
        g2.T @ h1
        g1 = g2 @ w2
        g1.T @ x
    return step


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def child(name, case, steps, device, clock="wall"):
    """Subprocess body: train `case` with library `name` ('numpy': the MLP's floor) and print the median step
    time (ms) over `steps` timed steps, the peak RSS (MiB) after the imports and the peak RSS at the end."""
    lib = __import__(name)
    if name == "torch":
        lib.set_num_threads(THREADS)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    step = mlp_floor() if name == "numpy" else make_step(lib, case, device)
    sync = lib.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(3):  # the first steps allocate gradients and momentum buffers (and compile kernels)
        step()
    sync()
    now, times = CLOCKS[clock], []
    for _ in range(steps):
        start = now()
        step()
        sync()
        times.append(now() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(statistics.median(times) * 1e3, baseline / 1024, peak / 1024)  # ru_maxrss is in KiB on Linux


def run_child(name, case, steps, device, clock="wall"):
    """(median step ms, baseline MiB, peak MiB) from a fresh process."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, __file__, "--child", name, case, "--steps", str(steps), "--device", device,
                          "--threads", str(THREADS), "--clock", clock],
                         env=env, check=True, capture_output=True, text=True).stdout
    return tuple(map(float, out.split()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per process (their median is kept)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per library and case (median)")
    parser.add_argument("--cases", default=None, help="comma-separated subset of " + ",".join(CASES))
    parser.add_argument("--check", action="store_true", help="exit 1 if a ratio misses its target")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=2, help="threads of each library (read before the imports)")
    parser.add_argument("--clock", default="wall", choices=tuple(CLOCKS),
                        help="wall: elapsed time; cpu: the process's CPU time, steadier on a loaded machine")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child, args.steps, args.device, args.clock)
        return 0

    cases = args.cases.split(",") if args.cases else list(CASES) if args.device == "cpu" else ["mlp", "cnn"]
    # This process imports neither library: a child's ru_maxrss starts from its parent's (it is forked from
    # the parent before it execs), so a parent holding torch would hide the children's numbers.
    print(f"train steps on the {args.device}: median of {args.steps} steps ({args.clock} clock), then of {args.repeat} "
          f"fresh processes per library (torch {importlib.metadata.version('torch')}, {THREADS} threads; numpy "
          f"{np.__version__}, BLAS threads {THREADS})")
    results, rows = {}, []
    for case in cases:
        runs = {"minitorch": [], "torch": []}
        if case == "mlp" and args.device == "cpu":
            runs["numpy"] = []
        for _ in range(args.repeat):  # alternate, so that all see the same machine load
            for name in runs:
                runs[name].append(run_child(name, case, args.steps, args.device, args.clock))
        results[case] = {name: [statistics.median(r[i] for r in rs) for i in range(3)] for name, rs in runs.items()}
        ours, theirs = results[case]["minitorch"][0], results[case]["torch"][0]
        rows.append((f"{LABELS[case]} train step", "ms", ours, theirs))
        if "numpy" in runs:
            rows.append(("MLP / GEMM floor", "ms", ours, results[case]["numpy"][0]))
            growth = {name: statistics.median(r[2] - r[1] for r in rs) for name, rs in runs.items()}
            memory = [("MLP peak RSS", "MiB", growth["minitorch"], growth["torch"]),
                      ("MLP peak RSS absolute", "MiB", results[case]["minitorch"][2], results[case]["torch"][2])]
    if args.device == "cpu" and "mlp" in cases:
        rows += memory

    print(f"{'case':24} {'unit':>4} {'minitorch':>10} {'torch':>10} {'ratio':>7} {'target':>7}")
    missed = 0
    for label, unit, ours, theirs in rows:
        ratio = ours / theirs
        target = TARGETS[args.device].get(label)
        miss = target is not None and ratio > target
        missed += miss
        print(f"{label:24} {unit:>4} {ours:10.2f} {theirs:10.2f} {ratio:7.2f} "
              f"{'' if target is None else f'{target:.1f}':>7}{'  MISSED' if miss else ''}")
    if args.device == "cpu" and "mlp" in cases:
        print(f"(MLP / GEMM floor: the torch column holds the floor, NumPy's products alone; peak RSS: ru_maxrss after "
              f"{3 + args.steps} MLP steps minus ru_maxrss after the imports; absolute: the whole process)")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
