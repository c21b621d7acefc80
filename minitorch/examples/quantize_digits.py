"""Quantize a digits MLP and CNN to int8 three ways and compare size and accuracy with float32.

    python -m minitorch.examples.quantize_digits [--model mlp|cnn|both] [--seed S]

- dynamic: quantize_dynamic swaps each Linear for one with int8 weights that quantizes its input on the
  fly (no calibration);
- static (post-training): fuse conv/linear with their relu, observe activations on calibration batches
  (QuantStub ... DeQuantStub via QuantWrapper), convert: int8 in, int8 out, integer products;
- QAT: fine-tune the float model with fake quantization for a few epochs, then convert.

The models are wider than train_digits' (64-512-512-10, and 32/64-channel convolutions before a 256-512-10
head) so that their weights, not the per-layer bookkeeping, dominate the file: quantization pays off on
large layers. Everything is plain PyTorch code (swap the import for torch's and it runs)."""
import argparse
import copy
import os
import tempfile
import time

import minitorch as torch
from minitorch import nn
from minitorch.ao import quantization as tq
from minitorch.datasets import load_digits
from minitorch.utils.data import DataLoader, TensorDataset

EPOCHS = {"mlp": 8, "cnn": 8}
QAT_EPOCHS = 2
FUSE = {"mlp": [["1", "2"], ["3", "4"]], "cnn": [["0", "1"], ["3", "4"], ["7", "8"]]}
"""The (Conv2d | Linear, ReLU) pairs of each model, by their index in the Sequential."""


def digits_mlp(lib=torch):
    nn_ = lib.nn
    return nn_.Sequential(nn_.Flatten(), nn_.Linear(64, 512), nn_.ReLU(), nn_.Linear(512, 512), nn_.ReLU(),
                          nn_.Linear(512, 10))


def digits_cnn(lib=torch):
    nn_ = lib.nn
    return nn_.Sequential(nn_.Conv2d(1, 32, 3, padding=1), nn_.ReLU(), nn_.MaxPool2d(2),   # 32x4x4
                          nn_.Conv2d(32, 64, 3, padding=1), nn_.ReLU(), nn_.MaxPool2d(2),  # 64x2x2
                          nn_.Flatten(), nn_.Linear(256, 512), nn_.ReLU(), nn_.Linear(512, 10))


MODELS = {"mlp": digits_mlp, "cnn": digits_cnn}


def loaders(seed=0, batch_size=32):
    """(train loader, test loader) over the bundled digits, the shuffling seeded."""
    generator = torch.Generator().manual_seed(seed)
    train = DataLoader(TensorDataset(*load_digits(train=True)), batch_size=batch_size, shuffle=True,
                       generator=generator)
    return train, DataLoader(TensorDataset(*load_digits(train=False)), batch_size=256)


def train(model, loader, epochs, lr=1e-3):
    """Adam with a cosine learning-rate schedule; returns the model (trained in place)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        for images, labels in loader:
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
    return model.eval()


def evaluate(model, loader):
    """Fraction of the loader's images classified correctly."""
    model.eval()
    correct = count = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            count += len(labels)
    return correct / count


def calibration_batches(loader, count=8):
    """The first `count` batches of `loader`: what static quantization observes."""
    batches = []
    for images, _ in loader:
        batches.append(images)
        if len(batches) == count:
            break
    return batches


def quantize_dynamic(model):
    return tq.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)


def prepare_static(model, kind, backend="x86"):
    """The fused model inside QuantWrapper, with observers: run calibration data through it, then convert."""
    wrapped = tq.QuantWrapper(tq.fuse_modules(copy.deepcopy(model).eval(), FUSE[kind]))
    wrapped.qconfig = tq.get_default_qconfig(backend)
    return tq.prepare(wrapped)


def quantize_static(model, kind, calibration, backend="x86"):
    prepared = prepare_static(model, kind, backend)
    with torch.no_grad():
        for images in calibration:
            prepared(images)
    return tq.convert(prepared)


def quantize_aware_training(model, kind, loader, epochs=QAT_EPOCHS, lr=1e-4, backend="x86"):
    """Fine-tune a copy of the float model with fake quantization, then convert it to int8."""
    wrapped = tq.QuantWrapper(tq.fuse_modules_qat(copy.deepcopy(model).train(), FUSE[kind]))
    wrapped.qconfig = tq.get_default_qat_qconfig(backend)
    prepared = tq.prepare_qat(wrapped)
    train(prepared, loader, epochs, lr)
    return tq.convert(prepared.eval())


def _tensors(value):
    return value if isinstance(value, tuple) else (value,)


def state_dict_bytes(state_dict):
    """Bytes of every tensor in a state_dict as held in memory: a quantized tensor counts its integers and
    its per-channel scales (float64) and zero points (int64)."""
    total = 0
    for value in state_dict.values():
        for t in _tensors(value):
            if isinstance(t, torch.Tensor):
                total += t.nbytes
                if t.is_quantized and t.qscheme() is torch.per_channel_affine:
                    total += t.q_per_channel_scales().nbytes + t.q_per_channel_zero_points().nbytes
    return total


def file_bytes(state_dict):
    """The size of the file minitorch.save writes for `state_dict`."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.safetensors")
        torch.save(state_dict, path)
        return os.path.getsize(path)


def compare(kind, seed=0):
    """Train the float model, quantize it three ways; returns {variant: (model, accuracy)}."""
    torch.manual_seed(seed)
    train_loader, test_loader = loaders(seed)
    model = train(MODELS[kind](), train_loader, EPOCHS[kind])
    variants = {"float32": model, "dynamic int8": quantize_dynamic(model),
                "static int8": quantize_static(model, kind, calibration_batches(train_loader)),
                "QAT int8": quantize_aware_training(model, kind, train_loader)}
    return {name: (m, evaluate(m, test_loader)) for name, m in variants.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["mlp", "cnn", "both"], default="both")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for kind in (["mlp", "cnn"] if args.model == "both" else [args.model]):
        start = time.perf_counter()
        results = compare(kind, args.seed)
        base_sd = results["float32"][0].state_dict()
        print(f"digits {kind} ({time.perf_counter() - start:.0f} s)")
        print(f"  {'variant':14} {'accuracy':>9} {'state_dict':>11} {'file':>11}")
        for name, (model, accuracy) in results.items():
            sd = model.state_dict()
            print(f"  {name:14} {accuracy:9.2%} {state_dict_bytes(sd) / state_dict_bytes(base_sd):10.3f}x "
                  f"{file_bytes(sd) / file_bytes(base_sd):10.3f}x")


if __name__ == "__main__":
    main()
