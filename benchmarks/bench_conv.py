"""Conv2d forward + backward on cpu: minitorch against PyTorch in the same run, same data, both on
2 threads (torch.set_num_threads(2); NumPy's BLAS pinned through the *_NUM_THREADS variables).

    python benchmarks/bench_conv.py [--repeat 10]

Prints the median time of one forward+backward step per size, the ratio minitorch / torch, and where
minitorch's time goes: im2col, the GEMMs (output, grad_input columns, grad_weight) and col2im."""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

# (batch, in_channels, size, out_channels, kernel, stride, padding)
SIZES = [(32, 3, 32, 16, 3, 1, 1), (32, 32, 16, 64, 3, 1, 1), (16, 64, 28, 128, 3, 1, 1)]


def median_ms(fn, repeat):
    return paired_ms([fn], repeat)[0]


def paired_ms(fns, repeat):
    """Median milliseconds of each function, calling them in turn each round so that background load
    affects all of them alike."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, ts in zip(fns, times):
            start = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - start)
    return [statistics.median(ts) * 1e3 for ts in times]


def step(layer, x):
    """One forward + backward through `layer`, as in training."""
    def run():
        layer.zero_grad()
        x.grad = None
        layer(x).sum().backward()
    return run


def phases(x, w, stride, padding, repeat):
    """Median milliseconds of each array-level phase of minitorch's conv2d forward + backward."""
    from minitorch.nn._conv import _col2im, _im2col, _out_size
    n, c, h, _ = x.shape
    o, _, k, _ = w.shape
    pads, s, d = ((padding, padding),) * 2, (stride, stride), (1, 1)
    out = _out_size(h, k, stride, padding, padding, 1)
    cols = _im2col(x, (k, k), s, pads, d, (out, out), channel_major=True)
    wm = w.reshape(o, -1)
    rows = np.ones((o, n * out * out), dtype=x.dtype)
    gcols = wm.T @ rows
    return {
        "im2col": median_ms(lambda: _im2col(x, (k, k), s, pads, d, (out, out), channel_major=True), repeat),
        "gemm out": median_ms(lambda: wm @ cols, repeat),
        "gemm gin": median_ms(lambda: wm.T @ rows, repeat),
        "gemm gw": median_ms(lambda: (cols @ rows.T).T, repeat),
        "col2im": median_ms(lambda: _col2im(gcols, (h, h), (k, k), s, pads, d, (out, out), n), repeat),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    import torch

    import minitorch
    torch.set_num_threads(2)
    print(f"Conv2d forward+backward, float32, median of {args.repeat} (torch {torch.__version__}, 2 threads)")
    print(f"{'shape':34} {'minitorch':>10} {'torch':>9} {'ratio':>6}   minitorch phases (ms)")
    for n, c, size, o, k, s, p in SIZES:
        x = np.random.default_rng(0).standard_normal((n, c, size, size)).astype(np.float32)
        ours, ref = minitorch.nn.Conv2d(c, o, k, s, p), torch.nn.Conv2d(c, o, k, s, p)
        a, b = paired_ms([step(ours, minitorch.tensor(x, requires_grad=True)),
                          step(ref, torch.tensor(x, requires_grad=True))], args.repeat)
        split = phases(x, ours.weight.detach().numpy(), s, p, args.repeat)
        name = f"{n}x{c}x{size}x{size} -> {o}, k{k} s{s} p{p}"
        print(f"{name:34} {a:8.2f}ms {b:7.2f}ms {a / b:5.2f}x   "
              + "  ".join(f"{key} {v:.2f}" for key, v in split.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
