"""Pruning that saves memory and time: a pruned Linear(4096, 4096) stored as a CSR matrix, minitorch against
PyTorch, same weights, same run.

    python benchmarks/bench_sparse.py [--rounds 3] [--repeat 15] [--check]

For 90% and 95% sparsity (L1 unstructured pruning, made permanent), each library runs the layer dense and
sparse: minitorch's `sparse.sparsify` (CSR, int32 indices) and torch's own `to_sparse_csr()` (its default int64
indices) set as the weight. Measured: the forward time at batch 1 and batch 8 (inference, no_grad), the memory
of the weight (its index and value arrays) and the size of the saved state_dict. Every measurement runs in a
fresh process, the four (library, layout) pairs taking turns in each round; the ratios dense / sparse are
taken per round, then their median over the rounds. Both libraries get 2 threads.

Targets (minitorch): at 90%, weight memory and file size <= 0.25x dense; at 95%, batch-1 forward >= 5x and
batch-8 forward >= 3x faster than the dense minitorch Linear. torch's figures are reported beside them;
--check exits 1 when a target is missed."""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "2"

import argparse  # noqa: E402  (the thread settings above must come before NumPy's import)
import importlib  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

SIZE = 4096
BATCHES = (1, 8)
TARGETS = {  # (sparsity, measure): (bound, "max" for dense fractions / "min" for speed-ups)
    (0.9, "memory"): (0.25, "max"), (0.9, "file"): (0.25, "max"),
    (0.95, "batch 1"): (5.0, "min"), (0.95, "batch 8"): (3.0, "min"),
}


def build(lib, sparsity, layout):
    """Linear(4096, 4096) with seeded weights, L1-pruned to `sparsity`, then dense or CSR."""
    rng = np.random.default_rng(0)
    layer = lib.nn.Linear(SIZE, SIZE)
    with lib.no_grad():
        layer.weight.copy_(lib.from_numpy(rng.standard_normal((SIZE, SIZE), dtype=np.float32)))
    prune = importlib.import_module(f"{lib.__name__}.nn.utils.prune")
    prune.l1_unstructured(layer, "weight", amount=sparsity)
    if layout == "dense":
        prune.remove(layer, "weight")
    elif lib.__name__ == "minitorch":
        lib.sparse.sparsify(layer)
    else:
        prune.remove(layer, "weight")
        layer.weight = lib.nn.Parameter(layer.weight.detach().to_sparse_csr())
    return layer


def weight_bytes(weight):
    if weight.layout.__repr__() == "torch.strided":
        return weight.numel() * weight.element_size()
    parts = (weight.crow_indices(), weight.col_indices(), weight.values())
    return sum(p.numel() * p.element_size() for p in parts)


def child(name, sparsity, layout, repeat):
    """Subprocess body: print a JSON line of the forward times (ms), the weight bytes and the file bytes."""
    lib = __import__(name)
    if name == "torch":
        import warnings
        warnings.simplefilter("ignore")  # torch's "sparse CSR support is in beta" notice
        lib.set_num_threads(2)
    layer = build(lib, sparsity, layout)
    result = {"memory": weight_bytes(layer.weight)}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "layer.pt")
        lib.save(layer.state_dict(), path)
        result["file"] = os.path.getsize(path)
    rng = np.random.default_rng(1)
    with lib.no_grad():
        for batch in BATCHES:
            x = lib.from_numpy(rng.standard_normal((batch, SIZE), dtype=np.float32))
            for _ in range(3):
                layer(x)
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                layer(x)
                times.append(time.perf_counter() - start)
            result[f"batch {batch}"] = statistics.median(times) * 1e3
    print(json.dumps(result))


def run_child(name, sparsity, layout, repeat):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, __file__, "--child", name, str(sparsity), layout, "--repeat", str(repeat)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per (library, layout) and sparsity")
    parser.add_argument("--repeat", type=int, default=15, help="timed forwards per process (their median is kept)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], float(args.child[1]), args.child[2], args.repeat)
        return 0
    print(f"Linear({SIZE}, {SIZE}) pruned and stored as CSR: median over {args.rounds} rounds of fresh processes "
          f"(torch {importlib.metadata.version('torch')}, 2 threads; numpy {np.__version__})")
    measures = ("memory", "file") + tuple(f"batch {b}" for b in BATCHES)
    missed = 0
    for sparsity in (0.9, 0.95):
        runs = {(lib, layout): [] for lib in ("minitorch", "torch") for layout in ("dense", "csr")}
        for _ in range(args.rounds):
            for key in runs:
                runs[key].append(run_child(*key[:1], sparsity, key[1], args.repeat))
        print(f"\nsparsity {sparsity:.0%}")
        print(f"{'measure':10} {'mt dense':>10} {'mt csr':>10} {'mt ratio':>9} {'torch dense':>12} {'torch csr':>10} "
              f"{'torch ratio':>12} {'target':>8}")
        for measure in measures:
            speed = measure.startswith("batch")
            row = [f"{measure:10}"]
            for lib in ("minitorch", "torch"):
                dense, csr = runs[(lib, "dense")], runs[(lib, "csr")]
                # per-round ratios: speed-up dense / sparse for times, sparse / dense fraction for sizes
                ratios = [(d[measure] / c[measure]) if speed else (c[measure] / d[measure]) for d, c in zip(dense, csr)]
                ratio = statistics.median(ratios)
                unit = (lambda v: f"{v:.2f}ms") if speed else (lambda v: f"{v / 2**20:.1f}MiB")
                width = 10 if lib == "minitorch" else 12
                row += [f"{unit(statistics.median(d[measure] for d in dense)):>{width}}",
                        f"{unit(statistics.median(c[measure] for c in csr)):>10}",
                        f"{ratio:>{9 if lib == 'minitorch' else 12}.2f}{'x' if speed else ''}"]
                if lib == "minitorch":
                    ours = ratio
            target = TARGETS.get((sparsity, measure))
            flag = ""
            if target is not None:
                bound, kind = target
                miss = ours > bound if kind == "max" else ours < bound
                missed += miss
                flag = f"{'<=' if kind == 'max' else '>='}{bound:g}{'  MISSED' if miss else ''}"
            print(" ".join(row) + f" {flag:>8}")
    print("\n(memory: the weight's index and value arrays; file: the saved state_dict; ratio for sizes: csr / dense, "
          "for times: dense / csr, i.e. the speed-up)")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
