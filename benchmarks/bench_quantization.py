"""Quantization: size, accuracy, speed and agreement with PyTorch, with the issue's targets.

    python benchmarks/bench_quantization.py [--part all|quality|speed] [--rounds 5] [--check]

quality (the digits MLP 64-512-512-10 and CNN of minitorch/examples/quantize_digits.py, trained here):
- size: state_dict bytes (integers plus per-channel scales and zero points as held in memory) and the
  minitorch.save file, int8 / float32; target <= 0.27x for the static and QAT models (dynamic quantization
  leaves convolutions in float32, so only the MLP's dynamic model is held to it);
- accuracy on the 355 test digits: dynamic and static int8 within 0.5 point of float32, QAT within 0.3;
- agreement with torch: the same float weights and calibration batches through torch.ao (x86 / fbgemm) and
  minitorch.ao: outputs within one output quantization step for >= 99% of elements, and the same predicted
  digit for >= 99.5% of the test images.
speed: quantized Linear(1024, 1024) forward on a quint8 batch of 64 (quantized by the calibrated QuantStub of
x86's default qconfig) against minitorch's float Linear (target <= 1.5x), torch's quantized Linear (fbgemm)
and float Linear beside it. Each library and variant runs in its
own fresh process, the four taking turns for --rounds rounds; medians of the per-process medians. Two
threads everywhere (OMP / OpenBLAS variables set before NumPy loads, torch.set_num_threads(2)).
--check exits 1 when a target is missed."""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "2"

import argparse  # noqa: E402  (the thread settings above must come before NumPy's import)
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

SIZE_TARGET, STATIC_POINTS, QAT_POINTS, SPEED_TARGET = 0.27, 0.5, 0.3, 1.5
STEP_SHARE, PREDICTION_SHARE = 0.99, 0.995
SPEED_CASES = ("minitorch float32", "minitorch int8", "torch float32", "torch int8 (fbgemm)")


# ----- quality ------------------------------------------------------------------------------------------------
def _torch_twin(torch, model, kind):
    """The same architecture in torch with the float model's weights."""
    from minitorch.examples import quantize_digits as qd
    twin = qd.MODELS[kind](torch).eval()
    twin.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in model.state_dict().items()})
    return twin


def agreement(torch, model, kind, calibration, test_images):
    """Static int8 in both libraries from the same float weights and calibration batches: (share of
    outputs within one output step, share of equal predictions)."""
    import minitorch
    from minitorch.examples import quantize_digits as qd
    mine = qd.quantize_static(model, kind, calibration)
    twin = _torch_twin(torch, model, kind)
    wrapped = torch.ao.quantization.QuantWrapper(torch.ao.quantization.fuse_modules(twin, qd.FUSE[kind]))
    wrapped.qconfig = torch.ao.quantization.get_default_qconfig("x86")
    prepared = torch.ao.quantization.prepare(wrapped)
    with torch.no_grad():
        for images in calibration:
            prepared(torch.from_numpy(images.numpy()))
    theirs = torch.ao.quantization.convert(prepared)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(test_images.numpy())).numpy()
    with minitorch.no_grad():
        got = mine(test_images).numpy()
    step = theirs.module[len(twin) - 1].scale
    return float(np.mean(np.abs(got - expected) <= step * 1.0001)), float(np.mean(got.argmax(1) == expected.argmax(1)))


def quality(torch):
    """Rows (name, value, target text, passed) for size, accuracy and agreement."""
    from minitorch.datasets import load_digits
    from minitorch.examples import quantize_digits as qd
    rows = []
    test_images, _ = load_digits(train=False)
    for kind in ("mlp", "cnn"):
        start = time.perf_counter()
        results = qd.compare(kind)
        base_model, base_accuracy = results["float32"]
        base_sd = base_model.state_dict()
        sizes = (qd.state_dict_bytes(base_sd), qd.file_bytes(base_sd))
        print(f"digits {kind}: trained and quantized in {time.perf_counter() - start:.0f} s", flush=True)
        for name, (model, accuracy) in results.items():
            if name == "float32":
                rows.append((f"{kind} float32 accuracy", f"{accuracy:.2%}", "", True))
                continue
            sd = model.state_dict()
            held = kind == "mlp" or name != "dynamic int8"
            for label, value in (("state_dict", qd.state_dict_bytes(sd) / sizes[0]),
                                 ("file", qd.file_bytes(sd) / sizes[1])):
                rows.append((f"{kind} {name} {label} size", f"{value:.3f}x", f"<= {SIZE_TARGET}x" if held else
                             "(convs stay float)", value <= SIZE_TARGET or not held))
            drop = (base_accuracy - accuracy) * 100
            limit = QAT_POINTS if name.startswith("QAT") else STATIC_POINTS
            rows.append((f"{kind} {name} accuracy", f"{accuracy:.2%} ({-drop:+.2f} pt)", f"drop <= {limit} pt",
                         drop <= limit + 1e-9))
        train_loader, _ = qd.loaders(0)
        steps, predictions = agreement(torch, base_model, kind, qd.calibration_batches(train_loader), test_images)
        rows.append((f"{kind} static vs torch: outputs within 1 step", f"{steps:.2%}", f">= {STEP_SHARE:.0%}",
                     steps >= STEP_SHARE))
        rows.append((f"{kind} static vs torch: same prediction", f"{predictions:.2%}",
                     f">= {PREDICTION_SHARE:.1%}", predictions >= PREDICTION_SHARE))
    return rows


# ----- speed ---------------------------------------------------------------------------------------------------
def child(case, repeat):
    """One process: median ms of `repeat` forwards of one case (printed as JSON)."""
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1024)).astype(np.float32)
    w = (rng.standard_normal((1024, 1024)) * 0.03).astype(np.float32)
    b = rng.standard_normal(1024).astype(np.float32)
    if case.startswith("torch"):
        import torch as lib
        lib.set_num_threads(2)
        make = lib.from_numpy
    else:
        import minitorch as lib
        make = lib.tensor
    layer = lib.nn.Linear(1024, 1024)
    with lib.no_grad():
        layer.weight.copy_(make(w))
        layer.bias.copy_(make(b))
    inputs = make(x)
    if case.endswith("float32"):
        run = layer
    else:
        layer = lib.ao.quantization.QuantWrapper(layer)
        layer.qconfig = lib.ao.quantization.get_default_qconfig("x86")
        prepared = lib.ao.quantization.prepare(layer)
        prepared(inputs)
        converted = lib.ao.quantization.convert(prepared)
        run = converted.module  # the quantized Linear itself, on input quantized as its QuantStub would
        inputs = converted.quant(inputs)
    with lib.no_grad():
        run(inputs)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            run(inputs)
            times.append(time.perf_counter() - start)
    print(json.dumps({"ms": statistics.median(times) * 1e3}))


def speed(rounds, repeat):
    """Per case, each fresh process's median ms, round by round (the four cases take turns)."""
    results = {case: [] for case in SPEED_CASES}
    for _ in range(rounds):
        for case in SPEED_CASES:
            out = subprocess.run([sys.executable, __file__, "--child", case, "--repeat", str(repeat)],
                                 capture_output=True, text=True, check=True)
            results[case].append(json.loads(out.stdout.strip().splitlines()[-1])["ms"])
    return results


def paired_ratio(results, numerator, denominator):
    """The median over rounds of numerator / denominator measured in the same round."""
    return statistics.median(a / b for a, b in zip(results[numerator], results[denominator]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["all", "quality", "speed"], default="all")
    parser.add_argument("--rounds", type=int, default=5, help="speed: fresh processes per case")
    parser.add_argument("--repeat", type=int, default=30, help="speed: timed forwards per process")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.repeat)
    warnings.simplefilter("ignore")
    import torch
    torch.set_num_threads(2)
    missed = 0
    if args.part in ("all", "quality"):
        print(f"{'quality':52} {'value':>20} {'target':>18}")
        for name, value, target, passed in quality(torch):
            missed += not passed
            print(f"{name:52} {value:>20} {target:>18}{'' if passed else '  MISSED'}")
    if args.part in ("all", "speed"):
        results = speed(args.rounds, args.repeat)
        print(f"\nLinear(1024, 1024) forward, batch 64 (2 threads, {args.rounds} fresh processes per case): median ms")
        for case, values in results.items():
            print(f"  {case:24} {statistics.median(values):8.3f} ms")
        ratio = paired_ratio(results, "minitorch int8", "minitorch float32")
        missed += ratio > SPEED_TARGET
        print(f"  paired ratios: minitorch int8 / float32 {ratio:.2f}x (target <= {SPEED_TARGET}x)"
              f"{'' if ratio <= SPEED_TARGET else '  MISSED'}; torch int8 / float32 "
              f"{paired_ratio(results, 'torch int8 (fbgemm)', 'torch float32'):.2f}x; minitorch int8 / torch int8 "
              f"{paired_ratio(results, 'minitorch int8', 'torch int8 (fbgemm)'):.2f}x")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
