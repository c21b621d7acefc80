"""The CUDA kernels of minitorch/backends/cuda against PyTorch's own CUDA kernels, same run, same
data (GPU only).

    python benchmarks/bench_kernels.py [--repeat 20]

Prints the median time per call for each kernel and the ratio minitorch / torch."""
import argparse
import statistics
import sys
import time


def gpu_median_ms(fn, sync, repeat):
    """Median wall time of one call in milliseconds, synchronising the GPU around each call."""
    fn()
    sync()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def cases(cp, torch, ops):
    """(name, minitorch call, torch call) triples on the same float32 data."""
    F = torch.nn.functional

    def pair(shape):
        t = torch.randn(*shape, device="cuda")
        return cp.asarray(t), t  # CuPy shares the tensor's memory (CUDA array interface)

    logits, t_logits = pair((8192, 1000))
    target = torch.randint(0, 1000, (8192,), device="cuda")
    c_target = cp.asarray(target)
    images, t_images = pair((32, 64, 56, 56))
    pool_in, t_pool_in = pair((32, 64, 112, 112))
    p, t_p = pair((10_000_000,))
    g, t_g = pair((10_000_000,))
    m, v = cp.zeros_like(p), cp.zeros_like(p)
    t_p.grad = t_g
    adam = torch.optim.Adam([t_p], lr=1e-3, fused=True)
    one = (1, 1)
    return [
        ("softmax 8192x1000", lambda: ops.softmax(logits), lambda: t_logits.softmax(-1)),
        ("log_softmax 8192x1000", lambda: ops.softmax(logits, log=True), lambda: t_logits.log_softmax(-1)),
        ("cross_entropy 8192x1000 (per row)", lambda: ops.cross_entropy(logits, c_target),
         lambda: F.cross_entropy(t_logits, target, reduction="none")),
        ("im2col 32x64x56x56 k3 p1", lambda: ops.im2col(images, (3, 3), one, one, one),
         lambda: F.unfold(t_images, 3, padding=1)),
        ("max_pool2d 32x64x112x112 k2 s2", lambda: ops.max_pool2d(pool_in, (2, 2), (2, 2), (0, 0), one, (56, 56)),
         lambda: F.max_pool2d(t_pool_in, 2, 2, return_indices=True)),
        ("adam step 10M params", lambda: ops.adam_step(p, g, m, v, None, 1, 1e-3, 0.9, 0.999, 1e-8),
         adam.step),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    import cupy as cp
    import torch

    import minitorch
    from minitorch.backends.cuda import ops
    if not minitorch.cuda.is_available():
        print("no GPU: nothing to benchmark")
        return 0
    sync = cp.cuda.runtime.deviceSynchronize
    print(f"CUDA kernels on {minitorch.cuda.get_device_name()}: median of {args.repeat} calls "
          f"(CuPy {cp.__version__}, torch {torch.__version__})")
    print(f"{'kernel':36} {'minitorch':>11} {'torch':>9} {'ratio':>7}")
    for name, ours, theirs in cases(cp, torch, ops):
        a = gpu_median_ms(ours, sync, args.repeat)
        b = gpu_median_ms(theirs, sync, args.repeat)
        print(f"{name:36} {a:9.3f}ms {b:7.3f}ms {a / b:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
