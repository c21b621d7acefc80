"""Train an MLP or a small CNN on the handwritten digits bundled with minitorch (8x8 images, 10 classes).

    python -m minitorch.examples.train_digits --model mlp|cnn [--epochs N] [--seed S]
        [--checkpoint FILE] [--stop-after K] [--resume FILE]

The training code is plain PyTorch code: swap the minitorch imports for torch ones and it runs. It shows the
whole loop a student meets in every training script: data loaders, a model, a loss, an optimizer, the train step
(forward, loss, zero_grad, backward, step), evaluation under no_grad, and a checkpoint that saves the model and
the optimizer together so that training can stop and later resume exactly where it left off."""
import argparse
import sys
import time

import minitorch as torch
from minitorch import nn
from minitorch.datasets import load_digits
from minitorch.utils.data import DataLoader, TensorDataset

try:
    from tqdm import tqdm  # a nicer progress bar when installed; never required
except ImportError:
    tqdm = None

EPOCHS = {"mlp": 10, "cnn": 10}  # enough for >= 97% test accuracy with the settings below
BATCH_SIZE = 32
LEARNING_RATE = 1e-2  # the starting rate; it decays to 0 along a cosine over the run


def build_model(kind):
    """The network for `kind`: "mlp" (a 64-128-10 perceptron) or "cnn" (two conv + pool blocks)."""
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 1x8x8  -> 16x4x4
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 16x4x4 -> 32x2x2
            nn.Flatten(), nn.Linear(32 * 2 * 2, 10))
    raise ValueError(f"unknown model {kind!r}: expected 'mlp' or 'cnn'")


def _stderr_is_terminal():
    return sys.stderr.isatty()


class Progress:
    """A progress bar over `iterable` on stderr: tqdm when installed, else one line rewritten in place.
    Shown only when stderr is a terminal: in a log file or a pipe the rewritten lines would be fragments."""

    def __init__(self, iterable, desc, enabled=True):
        self.iterable, self.desc = iterable, desc
        self.enabled = enabled and _stderr_is_terminal()
        self.bar = tqdm(iterable, desc=desc, leave=False) if self.enabled and tqdm else None
        self.postfix = ""

    def __iter__(self):
        if self.bar is not None:
            yield from self.bar
            return
        total = len(self.iterable)
        for i, item in enumerate(self.iterable, 1):
            yield item
            if self.enabled:
                print(f"\r{self.desc} {i}/{total} {self.postfix}", end="", file=sys.stderr, flush=True)

    def set_postfix(self, text):
        """Show `text` (e.g. the latest loss) next to the bar."""
        self.postfix = text
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            print("\r\033[K", end="", file=sys.stderr, flush=True)  # clear the line


def train_epoch(model, loader, loss_fn, optimizer, desc, show_progress):
    """One pass over `loader`, one optimizer step per batch; returns the mean loss."""
    model.train()
    total, count = 0.0, 0
    bar = Progress(loader, desc, show_progress)
    for images, labels in bar:
        loss = loss_fn(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        value = loss.item()
        total += value * len(labels)
        count += len(labels)
        bar.set_postfix(f"loss {value:.4f}")
    bar.close()
    return total / count


def evaluate(model, loader):
    """The fraction of images in `loader` that `model` classifies correctly."""
    model.eval()
    correct, count = 0, 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            count += len(labels)
    return correct / count


def save_checkpoint(path, model, optimizer, scheduler, generator, epoch):
    """Everything needed to resume, in one file: weights, optimizer state (Adam's moments), the learning-rate
    schedule, the shuffling generator's state and the number of finished epochs."""
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "generator": generator.get_state(), "epoch": epoch}, path)


def load_checkpoint(path, model, optimizer, scheduler, generator):
    """Restore what save_checkpoint wrote into fresh objects; returns the number of finished epochs."""
    checkpoint = torch.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    generator.set_state(checkpoint["generator"])
    return checkpoint["epoch"]


def train(kind="mlp", epochs=None, seed=0, checkpoint=None, resume=None, stop_after=None, show_progress=True):
    """Train a fresh `kind` model for `epochs` epochs (default EPOCHS[kind]) and return (model, test accuracy).

    checkpoint: a file written after every epoch. stop_after: end after this many epochs, as if interrupted.
    resume: a checkpoint to continue from (pass the same `epochs` and `seed`); the result is then the same, bit
    for bit, as one uninterrupted run."""
    torch.manual_seed(seed)  # the same initial weights every run
    generator = torch.Generator().manual_seed(seed)  # the same shuffling every run
    train_loader = DataLoader(TensorDataset(*load_digits(train=True)), batch_size=BATCH_SIZE, shuffle=True,
                              generator=generator)
    test_loader = DataLoader(TensorDataset(*load_digits(train=False)), batch_size=256)

    model = build_model(kind)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    epochs = EPOCHS[kind] if epochs is None else epochs
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    start = load_checkpoint(resume, model, optimizer, scheduler, generator) if resume else 0

    for epoch in range(start, epochs if stop_after is None else stop_after):
        loss = train_epoch(model, train_loader, loss_fn, optimizer, f"epoch {epoch + 1}/{epochs}", show_progress)
        scheduler.step()
        if checkpoint:
            save_checkpoint(checkpoint, model, optimizer, scheduler, generator, epoch + 1)
        if show_progress:
            print(f"epoch {epoch + 1}/{epochs}: train loss {loss:.4f}")
    return model, evaluate(model, test_loader)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--epochs", type=int, default=None, help="default: 10")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", help="save a checkpoint to this file after every epoch")
    parser.add_argument("--stop-after", type=int, help="stop after this many epochs, as if interrupted")
    parser.add_argument("--resume", help="continue training from this checkpoint (give the same --epochs)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    _, accuracy = train(args.model, args.epochs, args.seed, args.checkpoint, args.resume, args.stop_after)
    print(f"{args.model}: test accuracy {accuracy:.2%} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
