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
# # 07 · Profiling
#
# A model that trains correctly can still train slowly, or need more memory than the machine has. The
# profiler answers the question that comes next: *where* do the time and the memory go? It records every
# operation a piece of code runs, how long each took and how many bytes it allocated, so that you can find
# the one layer, loop or copy that dominates, instead of guessing.
#
# **Learning objectives**
#
# - record a training step with `torch.profiler.profile` and read its table: self time against total time,
#   forward against backward, counts and memory;
# - label the phases of a training loop with `record_function`;
# - compare a per-module timing built from chapter 06's hooks with the profiler's numbers;
# - draw a recording as a timeline and a memory curve, and export it for Perfetto or TensorBoard;
# - find a real bottleneck in a small model, fix it, and measure the gain with `torch.utils.benchmark`.

# %%
# %config InlineBackend.figure_formats = ['png']
import inspect
import json
import os
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np

import minitorch as torch
from minitorch import nn
from minitorch.datasets import load_digits
from minitorch.examples.train_digits import build_model
from minitorch.profiler import ProfilerActivity, profile, record_function
from minitorch.utils.benchmark import Timer

torch.manual_seed(0)
np.random.seed(0)

# %% [markdown]
# ## 1. A first profile
#
# We profile one training step of the digits MLP from chapter 03 (8×8 images, 64 → 128 → 10) on a batch of
# 64 images. The step runs once before the recording starts: the first step allocates the gradients and
# the optimizer's state, and we want to see a step as it runs every time after that.

# %%
images, labels = load_digits(train=True)
x, y = images[:64], labels[:64]

mlp = build_model("mlp")
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(mlp.parameters(), lr=0.05, momentum=0.9)


def train_step(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


train_step(mlp, optimizer, x, y)
with profile(activities=[ProfilerActivity.CPU]) as prof:
    train_step(mlp, optimizer, x, y)

# %% tags=["nbval-ignore-output"]
print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=12))

# %% [markdown]
# Each row is one *key*, an operation name, summed over all its calls:
#
# | column | meaning |
# |---|---|
# | Self CPU | time spent in the operation itself, not in the operations it called |
# | CPU total | time from its start to its end, everything it called included |
# | CPU time avg | CPU total divided by the number of calls |
# | # of Calls | how many times it ran |
#
# The self times of all rows add up to the footer's total, so the Self CPU % column says where the time
# really went; a large total with a small self time means the row only *contains* expensive work.
# The times above vary from run to run (and machine to machine), the structure of the recording does not.

# %% [markdown]
# ## 2. What was recorded
#
# `prof.events()` holds every recorded call with its place in the nesting (`cpu_parent`, `cpu_children`).
# Printing the names as a tree shows the anatomy of a training step:

# %%
def show_tree(events, max_depth=2):
    """The names of the recorded events, indented by nesting (down to max_depth)."""
    for event in events:
        depth, parent = 0, event.cpu_parent
        while parent is not None:
            depth, parent = depth + 1, parent.cpu_parent
        if depth <= max_depth:
            print("    " * depth + event.name)


show_tree(prof.events())

# %% [markdown]
# - **Forward**: each operation appears under PyTorch's name for it, `aten::...` (ATen is PyTorch's tensor
#   library). `nn.Linear` calls `F.linear`, recorded as `aten::linear`, which transposes the weight
#   (`aten::t`) and runs one fused `aten::addmm` (bias + input @ weight.T). `nn.Flatten` is `aten::flatten`;
#   the loss is `aten::cross_entropy_loss`, made of `aten::log_softmax` and `aten::nll_loss_nd`.
# - **Backward**: `loss.backward()` is not an operation itself. The autograd engine runs one step per
#   graph node, `autograd::engine::evaluate_function: AddmmBackward0`, and inside it the node's own work
#   (`AddmmBackward0`). `torch::autograd::AccumulateGrad` is the node that adds a gradient into a
#   parameter's `.grad`.
# - **Optimizer**: `Optimizer.zero_grad#SGD.zero_grad` and `Optimizer.step#SGD.step` are ranges the
#   optimizer opens around its own work.
#
# PyTorch's profiler records the same events for this step, under the same names, in the same nesting and
# with the same counts and shapes; its recording holds a few more internal operations besides, such as
# `aten::as_strided` inside every view. Inside a backward node each library runs its own formulas.

# %% [markdown]
# ## 3. Self time, total time, forward and backward
#
# Sorting by self time shows the operations that do the work. `top_level_events_only=True` keeps only
# the outermost events: the step's phases side by side.

# %% tags=["nbval-ignore-output"]
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=8))
print(prof.events().table(top_level_events_only=True, row_limit=-1, max_name_column_width=60))

# %% [markdown]
# Each outermost event belongs to a phase of the step; `minitorch.profiler.phase_of` tells which, and
# summing the outermost events' totals per phase splits the step:

# %% tags=["nbval-ignore-output"]
from minitorch.profiler._plots import phase_of  # noqa: E402

split = {}
for event in prof.events():
    if event.cpu_parent is None:
        split[phase_of(event)] = split.get(phase_of(event), 0.0) + event.cpu_time_total
step_time = sum(split.values())
for phase, took in split.items():
    print(f"{phase:10s} {took:9.1f} us  {100 * took / step_time:5.1f} %")

# %% [markdown]
# Backward usually costs about as much as the forward pass or more: for every matrix product of the
# forward pass it computes two (the gradients with respect to both operands).

# %% [markdown]
# ## 4. Labelling the loop with `record_function`
#
# `record_function(name)` adds your own named range to the recording, as a `with` block or as a function
# decorator. Everything that runs inside is nested under it. Here a whole epoch of the CNN (chapter 03's
# second model) is labelled by phase. The DataLoader labels its own batches:
# `enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__`.

# %%
torch.manual_seed(0)
cnn = build_model("cnn")
cnn_optimizer = torch.optim.SGD(cnn.parameters(), lr=0.05, momentum=0.9)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images[:256], labels[:256]), batch_size=64)

with profile() as epoch_prof:
    for batch, target in loader:
        with record_function("forward"):
            loss = loss_fn(cnn(batch), target)
        with record_function("backward"):
            cnn_optimizer.zero_grad()
            loss.backward()
        with record_function("optimizer"):
            cnn_optimizer.step()

labelled = ["enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__", "forward", "backward", "optimizer"]
for row in epoch_prof.key_averages():
    if row.key in labelled:
        print(f"{row.key:60s} calls: {row.count}")

# %% tags=["nbval-ignore-output"]
print(epoch_prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))

# %% [markdown]
# The DataLoader range is called 5 times for 4 batches: the fifth call finds the data exhausted and ends
# the loop.

# %% [markdown]
# ## 5. Per-module time with hooks, and what the profiler adds
#
# Chapter 06's hooks can time modules by themselves: a forward pre-hook notes the time, a forward hook
# reads the clock again. Here is a minimal version that keeps every call's duration per `nn.Linear`:

# %%
class HookTimer:
    """Wall-clock time of each call of the model's Linear layers, from a pair of forward hooks."""

    def __init__(self, model):
        self.durations, self.started, self.handles = {}, {}, []
        for name, module in model.named_modules():
            if isinstance(module, nn.Linear):
                self.handles.append(module.register_forward_pre_hook(
                    lambda m, args, name=name: self.started.__setitem__(name, time.perf_counter())))
                self.handles.append(module.register_forward_hook(
                    lambda m, args, out, name=name: self.durations.setdefault(name, []).append(
                        time.perf_counter() - self.started[name])))

    def close(self):
        for handle in self.handles:
            handle.remove()


big_x = torch.randn(512, 64)
timer = HookTimer(mlp)
for _ in range(20):
    mlp(big_x)
timer.close()
with profile() as linear_prof:
    for _ in range(20):
        mlp(big_x)

# %% tags=["nbval-ignore-output"]
hooks_us = {name: 1e6 * np.median(times) for name, times in timer.durations.items()}
calls = [e for e in linear_prof.events() if e.name == "aten::linear"]
profiler_us = [np.median([e.cpu_time_total for e in calls[i::2]]) for i in (0, 1)]
for (name, took), measured in zip(hooks_us.items(), profiler_us):
    print(f"Linear {name}: hooks {took:7.1f} us per call, profiler's aten::linear {measured:7.1f} us")

# %% [markdown]
# The two agree to within the cost of calling a module (the hooks' clock readings include `Module.__call__`
# and the hooks themselves). But the profiler also says what happened *inside* each layer (transpose,
# addmm), sees the backward pass and the optimizer, which module hooks cannot, and counts memory.
# Exercise ch07.1 turns the hook timer into a real per-module profiler with self times.

# %% [markdown]
# ## 6. Pictures: the timeline and the memory curve
#
# `minitorch.profiler.plot_timeline` draws a recording as a flame chart: time runs left to right, nested
# events sit below their parents, colours mark the phase. (PyTorch shows the same picture in Perfetto or
# TensorBoard; these two plots are minitorch's own, to see it inline.)

# %%
from minitorch.profiler import plot_memory, plot_timeline  # noqa: E402

train_step(cnn, cnn_optimizer, batch, target)
with profile(profile_memory=True) as cnn_prof:
    with record_function("train_step"):
        train_step(cnn, cnn_optimizer, batch, target)

fig, ax = plt.subplots(figsize=(12, 3.5))
plot_timeline(cnn_prof, ax=ax, max_depth=3)
plt.tight_layout()
plt.show()

# %% [markdown]
# With `profile_memory=True` each op also records the bytes of the arrays it makes and when they are freed.
# The memory curve shows what a step holds over time: the activations the forward pass makes and keeps for
# backward, then the gradients backward makes; arrays go when nothing needs them any more (a node releases
# what it saved once it has run, and the whole graph goes when the step is over):

# %%
fig, ax = plt.subplots(figsize=(12, 3))
plot_memory(cnn_prof, ax=ax)
plt.tight_layout()
plt.show()

# %% [markdown]
# The memory columns of the table give the same numbers per op. `CPU Mem` is what an op allocated minus
# what was freed while it ran (its children included), `Self CPU Mem` leaves the children out. The
# forward ops of the CNN allocate, for a batch of 64:

# %%
for row in cnn_prof.key_averages():
    if row.key in ("aten::conv2d", "aten::relu", "aten::max_pool2d", "aten::addmm"):
        print(f"{row.key:18s} calls: {row.count}   allocated: {row.cpu_memory_usage / 1024:7.1f} KiB")

# %% tags=["nbval-ignore-output"]
print(cnn_prof.key_averages().table(sort_by="self_cpu_memory_usage", row_limit=8))

# %% [markdown]
# The first convolution's output holds 64 × 16 × 8 × 8 floats (256 KiB), the second 64 × 32 × 4 × 4
# (128 KiB): 384 KiB for two calls. Each convolution also unfolds its input into columns for one matrix
# product (im2col); that buffer lives and dies inside the op, so it shows in the op's time, not in the
# bytes it hands on.

# %% [markdown]
# ## 7. Shapes and FLOPs
#
# `record_shapes=True` keeps the shapes of each op's inputs, and `key_averages(group_by_input_shape=True)`
# splits a key by them: the two Linear layers of the MLP become separate rows. `with_flops=True` counts
# the floating point operations of matrix products and 2-d convolutions (it implies `record_shapes`).

# %%
with profile(with_flops=True) as flops_prof:
    mlp(big_x)
for row in flops_prof.key_averages(group_by_input_shape=True):
    if row.flops:
        print(f"{row.key:12s} {str([s for s in row.input_shapes if s]):28s} {row.flops:>12,} FLOPs")

# %% [markdown]
# A product of an (M × K) and a (K × N) matrix takes M·K·N multiplications and as many additions:
# 2 · 512 · 64 · 128 = 8,388,608 FLOPs for the first layer. Dividing by the time gives the arithmetic rate
# the op reached:

# %% tags=["nbval-ignore-output"]
for row in flops_prof.key_averages(group_by_input_shape=True):
    if row.flops:
        print(f"{row.key} {[s for s in row.input_shapes if s]}: {row.flops / row.self_cpu_time_total / 1e3:.2f} "
              "GFLOP/s")

# %% [markdown]
# ## 8. Traces for Perfetto and TensorBoard
#
# `prof.export_chrome_trace(path)` writes the recording in the Chrome trace-event format: a JSON file
# with one complete event (`"ph": "X"`) per op, its start `ts` and duration `dur` in microseconds, its
# process and thread, and its input shapes in `args`. To look at it, open https://ui.perfetto.dev and
# drag the file in (or use chrome://tracing in Chrome, "Load"): the timeline above, zoomable, with every
# event's details on a click.

# %%
trace_dir = tempfile.mkdtemp()
path = os.path.join(trace_dir, "cnn_step.json")
cnn_prof.export_chrome_trace(path)
with open(path) as f:
    trace = json.load(f)
kinds = {}
for event in trace["traceEvents"]:
    kinds[event["ph"]] = kinds.get(event["ph"], 0) + 1
print("events by kind:", dict(sorted(kinds.items())))
first_op = next(e for e in trace["traceEvents"] if e.get("cat") == "cpu_op")
print("an op:", sorted(first_op), first_op["name"])

# %% [markdown]
# `"M"` events name the process and threads, `"i"` are the memory events, `"s"` and `"f"` draw arrows from
# each forward op to the backward step of the node it created.
#
# In a long training run you do not want to record every step. A *schedule* says, step by step, whether to
# wait, warm up, or record; `prof.step()` marks the end of each step, and `on_trace_ready` receives each
# finished recording. `tensorboard_trace_handler(dir)` writes each one to a file that TensorBoard's
# profiler plugin reads (`tensorboard --logdir dir`):

# %%
plan = torch.profiler.schedule(wait=1, warmup=1, active=2, repeat=1)
print([plan(step).name for step in range(6)])

log_dir = os.path.join(trace_dir, "logs")
with profile(schedule=plan, on_trace_ready=torch.profiler.tensorboard_trace_handler(log_dir)) as scheduled:
    for step in range(6):
        train_step(mlp, optimizer, x, y)
        scheduled.step()
print(len(os.listdir(log_dir)), "trace file, steps recorded:",
      sorted(e.trace_name for e in scheduled.events() if e.name == "ProfilerStep*"))

# %% [markdown]
# ## 9. Find and fix a bottleneck
#
# The model below feeds the digits through a layer of radial basis functions: for each of 32 learned
# centres `c`, the feature `exp(-‖x - c‖²)`. It is correct, but it trains slowly. The profile says why.

# %%
class SlowRBF(nn.Module):
    """exp(-|x - c|^2) for each centre c, computed one centre at a time."""

    def __init__(self, in_features, centres):
        super().__init__()
        self.centres = nn.Parameter(torch.randn(centres, in_features) * 0.5)

    def forward(self, x):
        columns = []
        for centre in self.centres:
            columns.append(((x - centre) ** 2).sum(1, keepdim=True))
        return torch.exp(-torch.cat(columns, 1))


torch.manual_seed(0)
rbf_model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), SlowRBF(16, 32), nn.Linear(32, 10))
rbf_optimizer = torch.optim.SGD(rbf_model.parameters(), lr=0.05)
train_step(rbf_model, rbf_optimizer, x, y)
with profile() as slow_prof:
    train_step(rbf_model, rbf_optimizer, x, y)
print("events recorded:", len(slow_prof.events()))
for row in slow_prof.key_averages():
    if row.count >= 32:
        print(f"{row.key:50s} calls: {row.count}")

# %% tags=["nbval-ignore-output"]
print(slow_prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=8))

# %% [markdown]
# The table is dominated by operations called 32 times or more per step: the loop over the centres turns
# one layer into hundreds of tiny operations, forward and backward, each paying a fixed cost of
# dispatch and bookkeeping that dwarfs its arithmetic on a 64 × 16 matrix. The fix is to compute all
# distances in one go, with broadcasting: `x[:, None, :] - centres[None]` has shape (batch, centres,
# features).

# %%
class FastRBF(SlowRBF):
    """The same features, all centres at once."""

    def forward(self, x):
        return torch.exp(-((x[:, None, :] - self.centres[None]) ** 2).sum(2))


fast_layer = FastRBF(16, 32)
fast_layer.load_state_dict(rbf_model[2].state_dict())
hidden = torch.randn(64, 16)
print("same features:", torch.allclose(fast_layer(hidden), rbf_model[2](hidden), atol=1e-6))

rbf_fast = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), fast_layer, nn.Linear(32, 10))
rbf_fast.load_state_dict(rbf_model.state_dict())
fast_optimizer = torch.optim.SGD(rbf_fast.parameters(), lr=0.05)
train_step(rbf_fast, fast_optimizer, x, y)
with profile() as fast_prof:
    train_step(rbf_fast, fast_optimizer, x, y)
print("events recorded:", len(fast_prof.events()))

# %% [markdown]
# Measure before and after with `torch.utils.benchmark.Timer`, which warms up, picks a number of runs
# per measurement so that reading the clock costs nothing next to them, and reports the median:

# %% tags=["nbval-ignore-output"]
slow = Timer("train_step(model, opt, x, y)", globals=dict(globals(), model=rbf_model, opt=rbf_optimizer),
             label="RBF train step", description="loop over centres").blocked_autorange(min_run_time=0.2)
fast = Timer("train_step(model, opt, x, y)", globals=dict(globals(), model=rbf_fast, opt=fast_optimizer),
             label="RBF train step", description="broadcast").blocked_autorange(min_run_time=0.2)
print(slow)
print(fast)
print(f"speed-up: {slow.median / fast.median:.1f}x")

# %% [markdown]
# ## Under the hood
#
# Every public op enters minitorch through one door (`minitorch/_dispatch.py`), which knows the op's
# PyTorch name. While a profile records, it is an *observer* of that door's lower layer: the door calls
# its `enter` before and `leave` after every op, nested ones included. When nothing records, no observer
# is installed and an op costs one flag check more than a plain function call.

# %%
from minitorch.autograd.profiler import _Recorder  # noqa: E402

print(inspect.getsource(_Recorder.enter))
print(inspect.getsource(_Recorder.leave))

# %% [markdown]
# The backward steps come from a hook in the autograd engine (`minitorch/autograd/graph.py`): while a
# recording runs, each node is executed through `_execute_observed`, which wraps the whole step and the
# node's own work in two records. The optimizer and the DataLoader open their ranges with
# `record_function` (`minitorch/optim/optimizer.py`, `minitorch/utils/data/dataloader.py`).

# %%
from minitorch.autograd import graph  # noqa: E402

print(inspect.getsource(graph._execute_observed))

# %% [markdown]
# ## Exercises
#
# The exercises for this chapter are in `exercises/ch07_profiling.py`:
#
# 1. **ch07.1** `ModuleTimer`: a per-module profiler from forward hooks, with call counts, total and self
#    time for every module (nested and shared modules, and calls that raise, included).
# 2. **ch07.2** `key_averages`: the profiler's table computed from raw `(name, thread, start, end)` events:
#    rebuild the nesting on each thread, then the counts, totals and self times.
# 3. **ch07.3** *predict, then check*: which op of a small CNN counts the most FLOPs, and how many.
#    After predicting, check with the cell below.
# 4. **ch07.4** *debugging*: `phase_breakdown` splits a recorded training loop into data, forward,
#    backward and optimizer time, but has three bugs. Find and fix them.
#
# Check your work from the repository root with
#
# ```
# python -m grader --chapter 07
# ```

# %%
puzzle = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                       nn.Flatten(), nn.Linear(8 * 16 * 16, 10))
with profile(with_flops=True) as puzzle_prof:
    puzzle(torch.randn(4, 3, 32, 32))
print(sorted(((row.key, row.flops) for row in puzzle_prof.key_averages() if row.flops), key=lambda kv: -kv[1]))

# %% [markdown]
# ## Recap
#
# - `with profile() as prof:` records every op under PyTorch's name, the autograd engine's steps, the
#   optimizer's and DataLoader's ranges and your `record_function` labels, all nested.
# - `prof.key_averages().table(sort_by=...)`: self time finds the work, total time the expensive
#   containers; `record_shapes`, `with_flops` and `profile_memory` add columns.
# - `prof.events()` is the raw recording; `export_chrome_trace` writes it for Perfetto, and a schedule with
#   `tensorboard_trace_handler` records selected steps of a long run.
# - Many tiny ops are a typical bottleneck in Python-driven frameworks: one vectorized op instead of a
#   loop of small ones often gives a large speed-up. Measure the change with `utils.benchmark.Timer`.
