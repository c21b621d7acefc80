# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12 · Distributed training
#
# The modules note opens its list of advanced features with this one: "Various methods for distributed
# training exist within PyTorch, both for scaling up training using multiple GPUs as well as training
# across multiple machines." The idea behind the most common method is plain: run the same training script
# in several processes, give each its own share of every batch, and make them agree on the gradients
# before each optimizer step. This chapter builds that idea from the ground up with `minitorch.distributed`,
# which runs on MPI between CPU processes (and on NCCL between GPUs).
#
# **Learning objectives**
#
# - start a job of several processes, and know what a rank, the world size and a process group are;
# - know what each collective operation moves, and how ring all-reduce sums while each process sends
#   only about twice its data;
# - build data parallelism yourself from tensor hooks, and check it against one process on whole batches;
# - use `DistributedDataParallel`, and see its buckets overlap communication with backward on a timeline;
# - train the digits model on two processes with the launcher;
# - save memory by sharding the optimizer state with `ZeroRedundancyOptimizer`.

# %%
# %config InlineBackend.figure_formats = ['png']
import inspect
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minitorch as torch
from minitorch.distributed.run import find_mpiexec
from minitorch.nn.parallel import _reducer
from minitorch.utils.data import DistributedSampler

torch.manual_seed(0)
JOBS = Path(tempfile.mkdtemp(prefix="ch12-jobs-"))  # the scripts this chapter writes and runs
MPIEXEC, PYTHON = find_mpiexec(), sys.executable  # MPICH's mpiexec, installed beside this Python


def run_job(*command, timeout=180):
    """Run a job's command in JOBS and return what its processes printed. Past `timeout` seconds the
    whole job is stopped: the command leads its own process group, and killing mpiexec ends every rank."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # one BLAS thread per process: they share the cores
    job = subprocess.Popen(list(map(str, command)), cwd=JOBS, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = job.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(job.pid, signal.SIGKILL)
        out, err = job.communicate()
        raise RuntimeError(f"the job did not finish within {timeout} s and was stopped:\n{out}\n{err}")
    if job.returncode != 0:
        raise RuntimeError(f"the job failed with exit status {job.returncode}:\n{out}\n{err}")
    return out


# %% [markdown]
# ## 1. Processes, ranks and process groups
#
# A distributed job is N copies of one program. Each copy is a **rank**, numbered 0 to N - 1; N is the
# **world size**. A rank joins the others by calling `dist.init_process_group(backend)`, which makes the
# default **process group**: the set of ranks that take part in collective operations. `dist.new_group(ranks)`
# makes smaller groups. The backend is the transport: `"mpi"` (or `"gloo"`, torch's name for its CPU
# backend, which runs on MPI here) for CPU tensors, `"nccl"` for tensors on GPUs, one GPU per process.
#
# Something has to start the N processes. MPICH's `mpiexec -n 2 python script.py` does: it starts two
# copies and tells each its rank. The launcher, `python -m minitorch.distributed.run --nproc-per-node 2
# script.py`, works like `torchrun`: it runs the same mpiexec and also gives each rank `RANK`, `WORLD_SIZE`,
# `LOCAL_RANK` and the rest of torchrun's environment variables. The README shows how the same script runs
# across several machines.
#
# A notebook is one process, so the distributed code of this chapter goes into small scripts that a cell
# writes (`%%writefile`) and another cell runs with `run_job(MPIEXEC, "-n", 2, PYTHON, script)`: the
# mpiexec command, run by the `run_job` function above. Section 6 uses the launcher.
#
# ## 2. What each collective moves
#
# A **collective** is an operation that every rank of a group calls together. Each rank passes its own
# tensor, and the collective moves data between them. The picture shows three ranks, before and after;
# a letter is the rank the data came from, a number the piece of that rank's tensor, and Σ a sum over the
# ranks.

# %%
RANK_COLORS = ["tab:blue", "tab:orange", "tab:green"]


def draw_collective(ax, title, before, after):
    """One collective on three ranks: each rank's cells before (left) and after (right) it runs."""
    def cells(x0, rows):
        for rank, row in enumerate(rows):
            for i, label in enumerate(row):
                color = RANK_COLORS["abc".index(label[0])] if label[0] in "abc" else "tab:gray"
                ax.add_patch(plt.Rectangle((x0 + i, -rank), 0.95, 0.8, color=color, alpha=0.8))
                ax.text(x0 + i + 0.47, -rank + 0.4, label, ha="center", va="center", fontsize=9, color="white")
    for rank in range(3):
        ax.text(-0.2, -rank + 0.4, f"rank {rank}", ha="right", va="center", fontsize=8)
    cells(0, before)
    ax.annotate("", xy=(4.6, -0.6), xytext=(3.4, -0.6), arrowprops={"arrowstyle": "->"})
    cells(5, after)
    ax.set_xlim(-1.6, 8.2)
    ax.set_ylim(-2.3, 1.2)
    ax.set_title(title, fontsize=10)
    ax.axis("off")


one_each = [["a"], ["b"], ["c"]]
three_each = [["a0", "a1", "a2"], ["b0", "b1", "b2"], ["c0", "c1", "c2"]]
collectives = [
    ("broadcast(src=0)", one_each, [["a"], ["a"], ["a"]]),
    ("reduce(dst=0)", one_each, [["Σ"], ["b"], ["c"]]),
    ("all_reduce", one_each, [["Σ"], ["Σ"], ["Σ"]]),
    ("all_gather", one_each, [["a", "b", "c"]] * 3),
    ("scatter(src=0)", [["a0", "a1", "a2"], [], []], [["a0"], ["a1"], ["a2"]]),
    ("gather(dst=0)", one_each, [["a", "b", "c"], [], []]),
    ("reduce_scatter", three_each, [["Σ0"], ["Σ1"], ["Σ2"]]),
    ("all_to_all", three_each, [["a0", "b0", "c0"], ["a1", "b1", "c1"], ["a2", "b2", "c2"]]),
]
fig, axes = plt.subplots(4, 2, figsize=(11, 8))
for ax, (title, before, after) in zip(axes.flat, collectives):
    draw_collective(ax, title, before, after)
plt.tight_layout()
plt.show()

# %% [markdown]
# Two things to read off the picture. `all_reduce` is `reduce_scatter` followed by `all_gather` (every rank
# sums one piece, then the pieces are shared out), which is exactly how the ring algorithm below works. And
# `reduce` and `gather` deliver to one rank only; the other ranks' tensors hold nothing new.
#
# Here they are on two real processes. Each rank starts from its own small tensor, and `show` collects every
# rank's tensor on rank 0 to print them; collecting them is itself a collective (`all_gather_object`).

# %%
# %%writefile {JOBS}/collectives.py
import minitorch as torch
import minitorch.distributed as dist

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()


def show(what, tensor):
    """Rank 0 prints every rank's tensor, in rank order."""
    everyone = [None] * world
    dist.all_gather_object(everyone, tensor.tolist())
    if rank == 0:
        print(f"{what:<24}" + "   ".join(f"rank {r}: {values}" for r, values in enumerate(everyone)))


x = torch.tensor([1.0, 2.0]) + 10 * rank  # rank 0 holds [1, 2], rank 1 holds [11, 12]
show("start", x)

t = x.clone()
dist.all_reduce(t)  # op=dist.ReduceOp.SUM
show("all_reduce", t)

t = x.clone()
dist.all_reduce(t, op=dist.ReduceOp.MAX)
show("all_reduce MAX", t)

t = x.clone()
dist.broadcast(t, src=1)
show("broadcast from rank 1", t)

t = x.clone()
dist.reduce(t, dst=0)  # the sum arrives on rank 0 only
show("reduce to rank 0", t)

out = torch.empty(2 * world)
dist.all_gather_into_tensor(out, x)
show("all_gather_into_tensor", out)

out = torch.empty(2 // world)
dist.reduce_scatter_tensor(out, x)  # element i of the sum goes to rank i
show("reduce_scatter_tensor", out)

out = torch.empty(2)
dist.all_to_all_single(out, x)  # element i of every rank goes to rank i
show("all_to_all_single", out)

t = x.clone()
if rank == 0:
    dist.send(t, dst=1)
else:
    dist.recv(t, src=0)
show("send 0, recv 1", t)

dist.destroy_process_group()

# %%
print(run_job(MPIEXEC, "-n", 2, PYTHON, "collectives.py"))

# %% [markdown]
# Every call is made by every rank, with tensors of matching shapes and dtypes. When they do not match,
# or when one rank calls a different collective, every rank stops with torch's "Detected mismatch between
# collectives" error instead of hanging or mixing up data; a rank that raises makes the others stop with
# its error, and a collective that never completes ends with a timeout error.
#
# ## 3. Ring all-reduce, step by step
#
# All-reduce is the collective that data-parallel training calls for every gradient, so its cost matters.
# The simplest way, every rank sending its whole tensor to every other rank, makes each rank send N - 1
# tensors. The **ring** algorithm sends far less. Arrange the ranks in a ring, cut each tensor into N
# chunks, and let every rank send only to its right-hand neighbour:
#
# 1. **reduce-scatter**, N - 1 steps: each rank sends one chunk and adds the chunk arriving from its left
#    into its own copy; after N - 1 steps each rank holds one chunk summed over all ranks;
# 2. **all-gather**, N - 1 steps: the finished chunks travel around the ring, replacing the partial ones.
#
# The simulation below follows four ranks. Each cell is one chunk on one rank, labelled with the ranks whose
# contributions it holds; the darker, the more contributions.

# %%
def ring_steps(n):
    """Ring all-reduce on n ranks, simulated: after each step, which ranks' data every rank holds in each
    chunk (held[rank][chunk] is a set of ranks)."""
    held = [[{rank} for _ in range(n)] for rank in range(n)]
    states = [("start", [[set(c) for c in row] for row in held])]
    for step in range(n - 1):  # rank r adds chunk r - step - 1 arriving from its left
        arriving = [(r, (r - step - 1) % n, held[(r - 1) % n][(r - step - 1) % n]) for r in range(n)]
        for rank, chunk, data in arriving:
            held[rank][chunk] = held[rank][chunk] | data
        states.append((f"reduce-scatter {step + 1}", [[set(c) for c in row] for row in held]))
    for step in range(n - 1):  # rank r replaces chunk r - step with the finished one from its left
        arriving = [(r, (r - step) % n, held[(r - 1) % n][(r - step) % n]) for r in range(n)]
        for rank, chunk, data in arriving:
            held[rank][chunk] = set(data)
        states.append((f"all-gather {step + 1}", [[set(c) for c in row] for row in held]))
    return states


def draw_ring(states, n):
    fig, axes = plt.subplots(1, len(states), figsize=(2.2 * len(states), 2.6))
    for ax, (title, held) in zip(axes, states):
        counts = np.array([[len(chunk) for chunk in row] for row in held])
        ax.imshow(counts, cmap="Blues", vmin=0, vmax=n + 1)
        for rank in range(n):
            for chunk in range(n):
                label = "Σ" if len(held[rank][chunk]) == n else "+".join(map(str, sorted(held[rank][chunk])))
                ax.text(chunk, rank, label, ha="center", va="center", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.set_xticks(range(n), [f"c{c}" for c in range(n)], fontsize=7)
        ax.set_yticks(range(n), [f"rank {r}" for r in range(n)], fontsize=7)
    plt.tight_layout()
    plt.show()


states = ring_steps(4)
draw_ring(states, 4)
print("every rank holds every chunk summed over all ranks:",
      all(chunk == {0, 1, 2, 3} for row in states[-1][1] for chunk in row))

# %% [markdown]
# Each rank sends 2 (N - 1) chunks of 1/N of the tensor: 2 (N - 1) / N tensors in all, less than twice the
# tensor whatever the number of ranks, where the simple way sends N - 1 tensors. Every link of the ring is
# busy at every step, and every rank ends with exactly the same bits (each chunk is summed on one rank and
# copied to the others). For 100 MB of gradients:

# %%
print(f"{'ranks':>6} {'each sends to everyone':>24} {'ring':>8}")
for n in (2, 4, 8, 64):
    print(f"{n:>6} {(n - 1) * 100:>21} MB {2 * (n - 1) / n * 100:>5.0f} MB")

# %% [markdown]
# `dist.all_reduce` hands the work to the transport. MPI libraries choose an algorithm by message size
# (for large messages, a reduce-scatter followed by an all-gather, as above), and NCCL runs rings and trees
# over the GPUs' links. Exercise 12.1 asks you to build the ring yourself from `dist.isend` and `dist.recv`.
#
# ## 4. Data parallelism by hand, with hooks
#
# Data parallelism keeps a full replica of the model on every rank. At each step every rank runs forward
# and backward on its own share of the batch. When the loss is a mean and the shares are equal, the
# gradient of the whole batch is the average of the ranks' gradients, so averaging the gradients across
# ranks before `optimizer.step()` gives every replica the update one process would make on the whole batch,
# and the replicas stay identical.
#
# Chapter 06 hooked modules; tensors take hooks too. `param.register_hook(hook)` calls `hook(grad)` as soon
# as backward has computed the parameter's gradient, and what the hook returns is what goes into
# `param.grad`. So one hook per parameter that all-reduces the gradient and divides by the world size is
# data parallelism. The script trains a small model that way and, on the side, the same model in one process
# on the whole batches:

# %%
# %%writefile {JOBS}/by_hand.py
import copy

import minitorch as torch
import minitorch.distributed as dist
from minitorch import nn
from minitorch.nn import functional as F

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()

torch.manual_seed(0)  # the same seed on every rank: the replicas start equal
model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3)).double()
alone = copy.deepcopy(model)  # what one process would do with the whole batch


def average_across_ranks(grad):
    """A tensor hook: called with the gradient backward has just computed; its result goes into .grad."""
    grad = grad.clone()
    dist.all_reduce(grad)
    return grad / world


for param in model.parameters():
    param.register_hook(average_across_ranks)

optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
optimizer_alone = torch.optim.SGD(alone.parameters(), lr=0.5)
data = torch.Generator().manual_seed(1)  # every rank draws the same batches ...
for step in range(5):
    inputs = torch.randn(12, 8, generator=data, dtype=torch.float64)
    targets = torch.randint(0, 3, (12,), generator=data)
    mine = slice(rank * 12 // world, (rank + 1) * 12 // world)  # ... and keeps its own share
    loss = F.cross_entropy(model(inputs[mine]), targets[mine])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

    loss_alone = F.cross_entropy(alone(inputs), targets)
    optimizer_alone.zero_grad()
    loss_alone.backward()
    optimizer_alone.step()

    losses = [None] * world
    dist.all_gather_object(losses, round(loss.item(), 4))
    if rank == 0:
        print(f"step {step}: loss on each rank's share {losses}, on the whole batch {loss_alone.item():.4f}")

gap = max((p - q).abs().max().item() for p, q in zip(model.parameters(), alone.parameters()))
gaps = [None] * world
dist.all_gather_object(gaps, gap)
if rank == 0:
    print(f"every replica equals one process trained on whole batches (to 1e-12): {max(gaps) < 1e-12}")
dist.destroy_process_group()

# %%
print(run_job(MPIEXEC, "-n", 2, PYTHON, "by_hand.py"))

# %% [markdown]
# The loss of the whole batch is the mean of the two shares' losses, and after five steps both replicas
# hold the parameters of the single process. Three things are missing for real use, and
# `DistributedDataParallel` provides them:
#
# - the replicas must start equal: here the same seed did it, DDP broadcasts rank 0's parameters;
# - one small all-reduce per parameter costs a message each: DDP packs gradients into **buckets**;
# - this hook averages each gradient as it arrives, before it is added into `.grad`. With gradient
#   accumulation (several backward passes before a step, the first ones without communication) that is not
#   enough: what was accumulated earlier is never averaged. DDP averages after accumulation, from a
#   post-accumulate-grad hook, and offers `no_sync()`. Exercise 12.2 builds such an averager.
#
# ## 5. `DistributedDataParallel`: buckets and overlap
#
# `DistributedDataParallel(model)` wraps a model: at construction every rank receives rank 0's parameters
# and buffers; during backward, a hook on each parameter copies its gradient into a bucket, and as soon as a
# bucket is full its all-reduce starts, without waiting, while backward carries on with earlier layers.
# Buckets follow the parameters in reverse order of registration, roughly the order in which backward
# produces their gradients. At the end of backward DDP waits for every bucket and writes the averaged
# gradients into `.grad`.
#
# The script checks that DDP trains like one process, starting from replicas that are deliberately
# different; then it records, for one backward of a deeper model with 1 MB buckets, when each gradient is
# ready and when each bucket's all-reduce starts and is seen finished (by replacing `dist.all_reduce`, which
# DDP calls, with a version that notes the times). Last, it times a training step with DDP against a step
# that runs backward first and one all-reduce of every gradient afterwards.

# %%
# %%writefile {JOBS}/ddp.py
import json
import statistics
import sys
import time

import minitorch as torch
import minitorch.distributed as dist
from minitorch import nn
from minitorch.nn import functional as F
from minitorch.nn.parallel import DistributedDataParallel

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
clock = time.perf_counter

# ----- DDP trains like one process on whole batches -----------------------------------------------------
torch.manual_seed(rank)  # different replicas on purpose: DDP starts them all from rank 0's parameters
model = DistributedDataParallel(nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3)).double())
torch.manual_seed(0)
alone = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3)).double()  # rank 0's replica
optimizers = [torch.optim.SGD(m.parameters(), lr=0.5) for m in (model, alone)]
data = torch.Generator().manual_seed(1)
for step in range(5):
    inputs = torch.randn(12, 8, generator=data, dtype=torch.float64)
    targets = torch.randint(0, 3, (12,), generator=data)
    mine = slice(rank * 12 // world, (rank + 1) * 12 // world)
    for net, batch, optimizer in ((model, mine, optimizers[0]), (alone, slice(None), optimizers[1])):
        optimizer.zero_grad()
        F.cross_entropy(net(inputs[batch]), targets[batch]).backward()
        optimizer.step()
gap = max((p - q).abs().max().item() for p, q in zip(model.module.parameters(), alone.parameters()))
gaps = [None] * world
dist.all_gather_object(gaps, gap)
if rank == 0:
    print(f"DDP replicas equal one process trained on whole batches (to 1e-12): {max(gaps) < 1e-12}")

# ----- one backward on a timeline ------------------------------------------------------------------------
torch.manual_seed(0)
net = nn.Sequential(*[nn.Sequential(nn.Linear(512, 512), nn.ReLU()) for _ in range(6)], nn.Linear(512, 10))
ddp = DistributedDataParallel(net, bucket_cap_mb=1)
names = [name for name, _ in net.named_parameters()]
buckets = [[names[i] for i in bucket.indices] for bucket in ddp.reducer.buckets]

events = {"ready": [], "buckets": []}  # when each gradient is ready; [start, seen finished] per bucket
for name, param in net.named_parameters():  # registered after DDP's own hooks, so they run right after them
    param.register_post_accumulate_grad_hook(lambda p, name=name: events["ready"].append([name, clock()]))


class Noted:
    """A Work (a collective in flight) that notes when it is first seen finished."""

    def __init__(self, work, note):
        self.work, self.note = work, note

    def is_completed(self):
        done = self.work.is_completed()
        if done and len(self.note) == 1:
            self.note.append(clock())
        return done

    def wait(self):
        self.work.wait()
        if len(self.note) == 1:
            self.note.append(clock())


all_reduce = dist.all_reduce


def noted_all_reduce(tensor, *args, **kwargs):
    note = [clock()]
    events["buckets"].append(note)
    return Noted(all_reduce(tensor, *args, **kwargs), note)


inputs, targets = torch.randn(32, 512), torch.randint(0, 10, (32,))
optimizer = torch.optim.SGD(net.parameters(), lr=0.01)


def ddp_step(record=False):
    optimizer.zero_grad()
    loss = F.cross_entropy(ddp(inputs), targets)
    events["ready"].clear()
    events["buckets"].clear()
    dist.all_reduce = noted_all_reduce if record else all_reduce
    start = clock()
    loss.backward()
    end = clock()
    dist.all_reduce = all_reduce
    optimizer.step()
    return start, end


for _ in range(3):
    ddp_step()  # warm up
start, end = ddp_step(record=True)
timeline = {"backward": [0.0, end - start], "ready": [[n, t - start] for n, t in events["ready"]],
            "buckets": [[a - start, b - start] for a, b in events["buckets"]]}


def after_backward_step():
    """Without DDP: backward first, then one all-reduce of all the gradients."""
    optimizer.zero_grad()
    F.cross_entropy(net(inputs), targets).backward()
    flat = torch.cat([p.grad.reshape(-1) for p in net.parameters()]) / world
    dist.all_reduce(flat)
    offset = 0
    for p in net.parameters():
        p.grad.copy_(flat[offset:offset + p.numel()].view_as(p))
        offset += p.numel()
    optimizer.step()


steps = {"DDP, buckets during backward": ddp_step, "one all-reduce after backward": after_backward_step}
times = {label: [] for label in steps}
for _ in range(5):
    for label, step in steps.items():
        dist.barrier()
        begin = clock()
        step()
        times[label].append(clock() - begin)

everyone = [None] * world
dist.all_gather_object(everyone, timeline)
if rank == 0:
    with open(sys.argv[1], "w") as f:
        json.dump({"buckets": buckets, "timelines": everyone,
                   "step_ms": {k: 1000 * statistics.median(v) for k, v in times.items()}}, f)
dist.destroy_process_group()

# %%
print(run_job(MPIEXEC, "-n", 2, PYTHON, "ddp.py", "ddp.json"))
recorded = json.loads((JOBS / "ddp.json").read_text())
for i, bucket in enumerate(recorded["buckets"]):
    print(f"bucket {i}: {', '.join(bucket)}")

# %% [markdown]
# The buckets start with the last layer (`6`), whose gradients backward computes first. On the timeline,
# each tick is a gradient becoming ready, each coloured bar a bucket's all-reduce, from its start to the
# moment DDP next looked and found it finished. The buckets start while backward is still computing the
# gradients of earlier layers; after the last gradient, backward only waits for the buckets still moving:

# %%
def draw_timeline(ax, timeline, title):
    last_ready = max(t for _, t in timeline["ready"]) * 1000
    end = timeline["backward"][1] * 1000
    ax.barh(0, last_ready, color="lightgray")
    ax.barh(0, end - last_ready, left=last_ready, color="white", edgecolor="gray", hatch="//")
    ax.text(last_ready / 2, -0.25, "computing gradients", ha="center", va="bottom", fontsize=8)
    ax.text((last_ready + end) / 2, -0.25, "waiting", ha="center", va="bottom", fontsize=8)
    for name, t in timeline["ready"]:
        ax.plot(t * 1000, 0.2, "k|", markersize=8)
    for i, (first, last) in enumerate(timeline["buckets"]):
        ax.barh(i + 1, (last - first) * 1000, left=first * 1000, color=f"C{i % 10}")
    ax.set_yticks(range(len(timeline["buckets"]) + 1),
                  ["backward"] + [f"bucket {i}" for i in range(len(timeline["buckets"]))], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("ms since backward started")
    ax.set_title(title, fontsize=10)


fig, axes = plt.subplots(1, 2, figsize=(13, 3.5), sharex=True)
for rank, (ax, timeline) in enumerate(zip(axes, recorded["timelines"])):
    draw_timeline(ax, timeline, f"rank {rank}")
plt.tight_layout()
plt.show()

# %% [markdown]
# How long a step takes with each approach (medians of 5 steps; these numbers depend on the machine):

# %% tags=["nbval-ignore-output"]
for label, ms in recorded["step_ms"].items():
    print(f"{label:<32} {ms:7.1f} ms")

# %% [markdown]
# Do not expect overlap to pay here. Both processes share the same few CPU cores and "communicate" through
# shared memory, so moving a bucket costs about as much as computing; and with MPI on CPUs, a transfer
# moves on only when the process asks about it (DDP asks each time a gradient is ready). Overlap pays when
# each rank has its own GPU and the buckets cross a network or NVLink while the GPU computes: NCCL moves the
# data on its own, and the last bucket, the only one not hidden behind computation, is small.
#
# ## 6. Training the digits model on two processes
#
# The chapter 03 digits classifier, trained with DDP: `minitorch.examples.train_digits_ddp` wraps the model
# in `DistributedDataParallel`, reads each rank's share of every epoch through a `DistributedSampler`, and
# splits each batch of 32 images between the ranks. The cell runs it exactly as you would from a terminal,
# with the launcher, and asks it to log the losses:

# %% tags=["nbval-ignore-output"]
print(run_job(PYTHON, "-m", "minitorch.distributed.run", "--nproc-per-node", 2,
              "-m", "minitorch.examples.train_digits_ddp", "--model", "mlp", "--epochs", 3, "--loss-log", "digits.json",
              timeout=300))

# %% [markdown]
# Each rank trained on different images but with the same, averaged gradients, so the two replicas stayed
# equal; their losses differ because each rank's loss is measured on its own images:

# %%
log = json.loads((JOBS / "digits.json").read_text())
fig, ax = plt.subplots(figsize=(8, 3.5))
for rank, losses in enumerate(log["step_losses"]):
    ax.plot(losses, color=f"C{rank}", alpha=0.25)
    running = np.convolve(losses, np.ones(10) / 10, mode="valid")  # the mean of the last 10 steps
    ax.plot(np.arange(9, len(losses)), running, color=f"C{rank}", label=f"rank {rank} (mean of 10 steps)")
ax.set_xlabel("step")
ax.set_ylabel("cross-entropy on the rank's share")
ax.set_yscale("log")
ax.legend()
plt.show()
print("steps per rank:", [len(losses) for losses in log["step_losses"]])
print("epoch losses fall on every rank:", all(np.all(np.diff(losses) < 0) for losses in log["losses"]))

# %% [markdown]
# Each rank reads its share through a `DistributedSampler`: one shuffled order for the epoch, the same on
# every rank (seeded with `seed + epoch`, hence `sampler.set_epoch(epoch)` at the start of each epoch), dealt
# out one index per rank in turn. When the dataset does not divide evenly, the order is padded with its own
# first indices so that every rank takes as many steps; with `drop_last=True` the tail is dropped instead.
# Without shuffling it is easy to follow:

# %%
for rank in range(3):
    print(f"rank {rank}:", list(DistributedSampler(range(8), num_replicas=3, rank=rank, shuffle=False)))

# %% [markdown]
# ## 7. ZeRO: sharding the optimizer state
#
# Data parallelism keeps everything on every rank: the parameters, the gradients and the optimizer state.
# Adam's state alone (two moments per parameter) is twice the size of the parameters. ZeRO (stage 1, as
# `ZeroRedundancyOptimizer`) gives each rank the state of only its share of the parameters: each rank
# updates those parameters, then broadcasts them to the others, so the replicas stay equal while each
# rank keeps about 1/N of the state. The script trains the same model three steps with plain Adam and with
# ZeRO, and measures what each rank keeps:

# %%
# %%writefile {JOBS}/zero.py
import json
import sys

import minitorch as torch
import minitorch.distributed as dist
from minitorch import nn
from minitorch.distributed.optim import ZeroRedundancyOptimizer
from minitorch.nn import functional as F

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()


def kilobytes(tensors):
    return sum(t.numel() * t.element_size() for t in tensors) / 1024


data = torch.Generator().manual_seed(0)
images, labels = torch.randn(32, 64, generator=data), torch.randint(0, 10, (32,), generator=data)
memory, trained = {}, {}
for kind in ("Adam", "ZeRO"):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 256),
                          nn.ReLU(), nn.Linear(256, 10))
    if kind == "Adam":
        optimizer = local = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:
        optimizer = ZeroRedundancyOptimizer(model.parameters(), torch.optim.Adam, lr=1e-3)
        local = optimizer.optim  # the Adam that updates this rank's share
    for _ in range(3):
        optimizer.zero_grad()
        F.cross_entropy(model(images), labels).backward()  # the same batch everywhere: no DDP needed here
        optimizer.step()
    state = [t for s in local.state.values() for t in s.values() if isinstance(t, torch.Tensor)]
    memory[kind] = {"parameters": kilobytes(model.parameters()),
                    "gradients": kilobytes(p.grad for p in model.parameters()), "optimizer state": kilobytes(state)}
    trained[kind] = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

same = torch.allclose(trained["Adam"], trained["ZeRO"], rtol=1e-6, atol=1e-7)
everyone = [None] * world
dist.all_gather_object(everyone, memory)
if rank == 0:
    print(f"after 3 steps ZeRO's parameters equal plain Adam's: {same}")
    with open(sys.argv[1], "w") as f:
        json.dump(everyone, f)
dist.destroy_process_group()

# %%
print(run_job(MPIEXEC, "-n", 2, PYTHON, "zero.py", "zero.json"))
memory = json.loads((JOBS / "zero.json").read_text())
parts = ["parameters", "gradients", "optimizer state"]
fig, ax = plt.subplots(figsize=(8, 3))
for row, (rank, kind) in enumerate([(r, k) for r in range(len(memory)) for k in ("Adam", "ZeRO")]):
    left = 0
    for part, color in zip(parts, ["tab:blue", "tab:orange", "tab:green"]):
        size = memory[rank][kind][part]
        ax.barh(row, size, left=left, color=color, label=part if row == 0 else None)
        left += size
    print(f"rank {rank}, {kind:<5}: " + ", ".join(f"{part} {memory[rank][kind][part]:6.1f} KB" for part in parts))
ax.set_yticks(range(2 * len(memory)), [f"rank {r}, {k}" for r in range(len(memory)) for k in ("Adam", "ZeRO")])
ax.invert_yaxis()
ax.set_xlabel("KB kept by each rank")
ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
plt.tight_layout()
plt.show()

# %% [markdown]
# Each rank keeps about half of Adam's state. The shares are whole parameters (the largest go first, each to
# the rank holding the fewest elements so far), so they are only as even as the parameter sizes allow.
# ZeRO's later stages shard the gradients (stage 2) and the parameters themselves (stage 3, as in
# PyTorch's FSDP), at the price of more communication.
#
# ## Under the hood
#
# - `minitorch/distributed/distributed_c10d.py`: the public functions (`init_process_group`, the
#   collectives, `send` / `recv`, the object collectives), which check their arguments and hand arrays to a
#   process group;
# - `minitorch/distributed/_mpi.py`: the MPI process group on mpi4py. Every collective starts nonblocking and
#   is completed by polling, after the ranks have compared a fingerprint of the call (op, shape, dtype),
#   which is how mismatches, failures and timeouts become errors instead of hangs;
# - `minitorch/distributed/_nccl.py`: the same for CUDA tensors, on NCCL through CuPy;
# - `minitorch/nn/parallel/_reducer.py`: DDP's buckets and hooks. A bucket is launched like this, averaged
#   first and then all-reduced without waiting:

# %%
print(inspect.getsource(_reducer.Reducer._launch))

# %% [markdown]
# - `minitorch/distributed/optim/zero_redundancy_optimizer.py`, `minitorch/utils/data/distributed.py` and
#   `minitorch/distributed/run.py`: ZeRO, the sampler and the launcher.
#
# ## Exercises
#
# The exercises for this chapter are in `exercises/ch12_distributed.py`. The grader runs your code on three
# processes at once, each calling it as its own rank:
#
# 1. **ch12.1** `ring_all_reduce`: the ring algorithm of section 3, from `dist.isend` and `dist.recv`, for
#    tensors of any size (even smaller than the number of ranks). The grader checks the sums, that every
#    rank ends with the same bits, the messages each rank sends, and a tensor too large for MPI to buffer.
# 2. **ch12.2** `GradientAverager`: data parallelism by hand as DDP does it: rank 0's parameters broadcast
#    at construction, gradients averaged after accumulation from post-accumulate-grad hooks, `no_sync()`
#    and `remove()`.
# 3. **ch12.3** *predict, then check*: the indices each rank reads from a `DistributedSampler`, with padding
#    and with `drop_last`.
# 4. **ch12.4** *debugging*: a DDP training function that runs but does not train like one process on
#    whole batches. It has three bugs.
#
# Check your work from the repository root with
#
# ```
# python -m grader --chapter 12
# ```

# %% [markdown]
# ## Recap
#
# - A job is N processes (ranks) that join a process group; the launcher (or `mpiexec`) starts them.
# - Collectives move data between all ranks of a group; `all_reduce` is `reduce_scatter` then
#   `all_gather`, and the ring does it sending 2 (N - 1) / N of the data per rank.
# - Data parallelism = the same model on every rank, different data, gradients averaged before each step;
#   a hook per parameter is enough to build it.
# - `DistributedDataParallel` adds the broadcast at construction, buckets all-reduced while backward runs,
#   and `no_sync()` for gradient accumulation.
# - `DistributedSampler` deals each epoch's shuffled order to the ranks; call `set_epoch` every epoch.
# - `ZeroRedundancyOptimizer` keeps only 1/N of the optimizer state on each rank.
