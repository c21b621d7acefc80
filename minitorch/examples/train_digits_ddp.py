"""Train the digits MLP or CNN with DistributedDataParallel on several processes:

    python -m minitorch.distributed.run --nproc-per-node 2 -m minitorch.examples.train_digits_ddp --model mlp

Each rank reads its own share of every epoch through a DistributedSampler and runs the same model on it;
DDP averages the gradients during backward, so all replicas take the same optimizer step (with a global
batch of BATCH_SIZE images, split between the ranks). Every rank prints its own loss per epoch; rank 0
evaluates and prints the test accuracy. --zero shards Adam's state with ZeroRedundancyOptimizer, and
--loss-log FILE writes every rank's losses as JSON (rank 0 writes it): per epoch ("losses") and per step
("step_losses"), one list per rank."""
import argparse
import json
import time

import minitorch as torch
import minitorch.distributed as dist
from minitorch import nn
from minitorch.datasets import load_digits
from minitorch.distributed.optim import ZeroRedundancyOptimizer
from minitorch.examples.train_digits import BATCH_SIZE, EPOCHS, LEARNING_RATE, build_model, evaluate
from minitorch.nn.parallel import DistributedDataParallel
from minitorch.utils.data import DataLoader, DistributedSampler, TensorDataset


def train(kind="mlp", epochs=None, seed=0, zero=False):
    """Train on this rank's share; returns (the DDP model, this rank's mean loss per epoch, its loss per
    step)."""
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(seed)
    dataset = TensorDataset(*load_digits(train=True))
    sampler = DistributedSampler(dataset, seed=seed)
    loader = DataLoader(dataset, batch_size=max(BATCH_SIZE // world, 1), sampler=sampler)
    model = DistributedDataParallel(build_model(kind))
    if zero:
        optimizer = ZeroRedundancyOptimizer(model.parameters(), torch.optim.Adam, lr=LEARNING_RATE)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    epochs = EPOCHS[kind] if epochs is None else epochs
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    losses, step_losses = [], []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        model.train()
        total, count = 0.0, 0
        for images, labels in loader:
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step_losses.append(loss.item())
            total += step_losses[-1] * len(labels)
            count += len(labels)
        scheduler.step()
        losses.append(total / count)
        print(f"rank {rank}: epoch {epoch + 1}/{epochs} train loss {losses[-1]:.4f}", flush=True)
    return model, losses, step_losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--epochs", type=int, default=None, help="default: 10")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--zero", action="store_true", help="shard the optimizer state (ZeRO)")
    parser.add_argument("--loss-log", help="write every rank's losses (per epoch and per step) to this JSON file")
    args = parser.parse_args(argv)
    dist.init_process_group("gloo")
    start = time.perf_counter()
    model, losses, step_losses = train(args.model, args.epochs, args.seed, args.zero)
    everyone = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, [losses, step_losses])
    if dist.get_rank() == 0:
        accuracy = evaluate(model.module, DataLoader(TensorDataset(*load_digits(train=False)), batch_size=256))
        print(f"{args.model} on {dist.get_world_size()} ranks: test accuracy {accuracy:.2%} in "
              f"{time.perf_counter() - start:.1f} s")
        if args.loss_log:
            with open(args.loss_log, "w") as f:
                json.dump({"model": args.model, "losses": [mine[0] for mine in everyone],
                           "step_losses": [mine[1] for mine in everyone]}, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
