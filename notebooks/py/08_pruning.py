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
# # 08 · Pruning: smaller models that really are smaller
#
# The modules note's section on memory says it plainly: large deep-learning models are usually
# over-parametrized, which costs memory, and pruning removes part of the parameters while keeping the
# accuracy on the task. PyTorch's pruning tutorial shows the techniques `torch.nn.utils.prune` offers and how to
# define your own. This chapter runs them on the digits classifier of chapter 03, measures what each one
# costs in accuracy, and then goes one step further than PyTorch: the pruned weights are stored as sparse
# matrices, so that the memory and the time really go down.
#
# **Learning objectives**
#
# - prune a tensor of a module and explain what changes: `weight_orig`, `weight_mask`, the forward pre-hook;
# - compare the methods (random or by magnitude, single entries or whole rows and channels) by accuracy
#   against sparsity;
# - prune globally across layers, and iteratively with fine-tuning in between;
# - make pruning permanent with `prune.remove`, then store the weights in the CSR sparse format and measure
#   memory, file size and speed.

# %%
# %config InlineBackend.figure_formats = ['png']
import copy
import inspect
import io
import timeit

import matplotlib.pyplot as plt

import minitorch as torch
from minitorch import nn
from minitorch.datasets import load_digits
from minitorch.examples.train_digits import train
from minitorch.nn.utils import prune
from minitorch.utils.data import DataLoader, TensorDataset

_ = torch.manual_seed(0)

# %% [markdown]
# ## A trained model to prune
#
# `train("mlp")` from `minitorch.examples.train_digits` trains the 64-128-10 perceptron of chapter 03 on
# the bundled digits (seeded, so the same weights every run). `accuracy` measures a model on the 355 test
# images.

# %%
test_images, test_labels = load_digits(train=False)
train_images, train_labels = load_digits(train=True)


def accuracy(model):
    model.eval()
    with torch.no_grad():
        return (model(test_images).argmax(dim=1) == test_labels).float().mean().item()


mlp, _ = train("mlp", show_progress=False)
print(mlp)
print(f"test accuracy {accuracy(mlp):.4f}")

# %% [markdown]
# ## What pruning a tensor does
#
# Prune half of the first layer's weights, the entries of smallest magnitude (`l1_unstructured`):

# %%
model = copy.deepcopy(mlp)
layer = model[1]
prune.l1_unstructured(layer, "weight", amount=0.5)
print("parameters:", [name for name, _ in layer.named_parameters()])
print("buffers:   ", [name for name, _ in layer.named_buffers()])
print("state_dict:", list(layer.state_dict()))
print("weight is a Parameter?", isinstance(layer.weight, nn.Parameter))
print(f"zeros in weight: {(layer.weight == 0).float().mean().item():.2f}")

# %% [markdown]
# Three things changed. The trained Parameter moved to `weight_orig`, untouched: the optimizer still sees
# all of it. A buffer `weight_mask` holds 1 where an entry is kept and 0 where it is pruned (a buffer, so it is
# saved with the model). And `weight` is now a plain attribute, `weight_orig * weight_mask`. Who keeps it up
# to date? A forward pre-hook, as in chapter 06: the pruning method object itself.

# %%
print(layer._forward_pre_hooks)
hook = next(iter(layer._forward_pre_hooks.values()))
print(type(hook).__name__, "prunes", repr(hook._tensor_name), "amount", hook.amount)
print(inspect.getsource(prune.BasePruningMethod.__call__))

# %% [markdown]
# Before every forward the hook recomputes `weight` from `weight_orig` and the mask. So if training changes
# `weight_orig`, the pruned entries still count as zero in the next forward, and their gradient is zero too
# (the mask multiplies it):

# %%
with torch.no_grad():
    layer.weight_orig.add_(1.0)  # as if an optimizer step moved every entry
print("before the forward: zeros", (layer.weight == 0).sum().item())
_ = model(test_images[:1])
print("after the forward:  zeros", (layer.weight == 0).sum().item())
model(test_images[:8]).sum().backward()
print("gradient entries that reach weight_orig at pruned places:",
      (layer.weight_orig.grad[layer.weight_mask == 0] != 0).sum().item())

# %% [markdown]
# ## The methods, side by side
#
# Unstructured methods choose single entries; structured ones whole slices along a dimension (`dim=0`:
# rows of the weight, which are output neurons). Random methods ignore the values, `l1_unstructured` and
# `ln_structured` (with the Ln norm of each slice) drop what is smallest. Here are the masks of the first
# layer (128 x 64) at 60% for each:

# %%
METHODS = {
    "random_unstructured": lambda m, a: prune.random_unstructured(m, "weight", amount=a),
    "l1_unstructured": lambda m, a: prune.l1_unstructured(m, "weight", amount=a),
    "random_structured": lambda m, a: prune.random_structured(m, "weight", amount=a, dim=0),
    "ln_structured (L2)": lambda m, a: prune.ln_structured(m, "weight", amount=a, n=2, dim=0),
}
fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
for ax, (name, method) in zip(axes, METHODS.items()):
    torch.manual_seed(0)
    layer = copy.deepcopy(mlp[1])
    method(layer, 0.6)
    ax.imshow(layer.weight_mask.numpy(), cmap="gray", aspect="auto")
    ax.set_title(name, fontsize=10)
    ax.set_xlabel("input")
axes[0].set_ylabel("output neuron")
plt.tight_layout()
plt.show()

# %% [markdown]
# How much accuracy does each cost? Prune both linear layers of the trained MLP by the same amount and
# measure, from 0 to 95%:

# %%
AMOUNTS = [0.0, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 0.95]


def prune_copy(base, method, amount):
    model = copy.deepcopy(base)
    for layer in (model[1], model[3]):
        method(layer, amount)
    return model


curves = {}
for name, method in METHODS.items():
    torch.manual_seed(0)
    curves[name] = [accuracy(prune_copy(mlp, method, a)) for a in AMOUNTS]
    print(f"{name:20}", " ".join(f"{acc:.2f}" for acc in curves[name]))

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
for name, accs in curves.items():
    ax.plot(AMOUNTS, accs, marker="o", label=name)
ax.set_xlabel("fraction of weights pruned (each layer)")
ax.set_ylabel("test accuracy")
ax.set_title("MLP on digits: accuracy against sparsity, no retraining")
ax.legend()
plt.show()

# %% [markdown]
# Magnitude pruning keeps the accuracy far longer than random pruning: small weights contribute little.
# Structured pruning removes whole neurons at once, which costs more accuracy at the same sparsity, but it
# leaves a smaller *dense* layer, which any hardware runs faster.
#
# ## Global against layer-wise
#
# Pruning 80% of each layer treats the layers alike, though they are not: the first layer has 8192 weights,
# the second 1280, and it feeds the answer directly. `global_unstructured` ranks all the given tensors
# together and removes the smallest entries wherever they are:

# %%
def global_copy(base, amount):
    model = copy.deepcopy(base)
    prune.global_unstructured([(model[1], "weight"), (model[3], "weight")],
                              pruning_method=prune.L1Unstructured, amount=amount)
    return model


g = global_copy(mlp, 0.8)
for name in ("1", "3"):
    mask = getattr(g, name).weight_mask
    print(f"layer {name}: {mask.numel():5d} weights, {1 - mask.mean().item():.1%} pruned")
global_accs = [accuracy(global_copy(mlp, a)) for a in AMOUNTS]
print("global    ", " ".join(f"{acc:.2f}" for acc in global_accs))
print("layer-wise", " ".join(f"{acc:.2f}" for acc in curves["l1_unstructured"]))

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(AMOUNTS, curves["l1_unstructured"], marker="o", label="layer-wise L1")
ax.plot(AMOUNTS, global_accs, marker="s", label="global L1")
ax.set_xlabel("fraction of all weights pruned")
ax.set_ylabel("test accuracy")
ax.legend()
plt.show()

# %% [markdown]
# ## Iterative pruning with fine-tuning
#
# Pruning a lot at once removes weights the network relied on. Pruning a little, retraining briefly, and
# repeating lets the remaining weights take over. Each call prunes a fraction of the entries *still
# unpruned*: the method becomes part of a `PruningContainer`, which computes the new mask only over them.

# %%
def fine_tune(model, epochs=1, seed=0):
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=32, shuffle=True,
                        generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()


def sparsity(model):
    masks = [model[1].weight_mask, model[3].weight_mask]
    return 1 - sum(m.sum().item() for m in masks) / sum(m.numel() for m in masks)


iterative = copy.deepcopy(mlp)
history = [(0.0, accuracy(iterative))]
for step in range(6):
    prune.global_unstructured([(iterative[1], "weight"), (iterative[3], "weight")],
                              pruning_method=prune.L1Unstructured, amount=0.3)
    fine_tune(iterative, seed=step)
    history.append((sparsity(iterative), accuracy(iterative)))
    print(f"round {step + 1}: sparsity {history[-1][0]:.3f}, accuracy after fine-tuning {history[-1][1]:.4f}")
print(iterative[1]._forward_pre_hooks)
container = next(iter(iterative[1]._forward_pre_hooks.values()))
print(type(container).__name__, "of", len(container._pruning_methods), "methods")

# %%
one_shot = [accuracy(global_copy(mlp, s)) for s, _ in history]
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot([s for s, _ in history], [a for _, a in history], marker="o", label="iterative, fine-tuned")
ax.plot([s for s, _ in history], one_shot, marker="s", label="one shot, no fine-tuning")
ax.set_xlabel("fraction of weights pruned")
ax.set_ylabel("test accuracy")
ax.legend()
plt.show()

# %% [markdown]
# ## Channels of a CNN
#
# On a convolution, `ln_structured(..., dim=0)` removes whole output channels (filters). A short training run
# of the chapter-03 CNN, then its first convolution's 16 filters pruned by their L2 norm:

# %%
cnn, cnn_acc = train("cnn", epochs=4, show_progress=False)
print(f"CNN test accuracy {cnn_acc:.4f}")
for channels in (0, 4, 8, 12):
    pruned = copy.deepcopy(cnn)
    if channels:
        prune.ln_structured(pruned[0], "weight", amount=channels, n=2, dim=0)
    kept = int((pruned[0].weight.abs().sum(dim=(1, 2, 3)) != 0).sum().item())
    print(f"{channels:2d} filters pruned: {kept:2d} left, accuracy {accuracy(pruned):.4f}")

# %% [markdown]
# ## Making it permanent, and what it costs
#
# `prune.remove` ends the re-parametrization: `weight` becomes a Parameter again, holding the pruned values,
# and the mask and the hook go away.

# %%
final = copy.deepcopy(iterative)
for layer in (final[1], final[3]):
    prune.remove(layer, "weight")
print("pruned?", prune.is_pruned(final), "| state_dict:", list(final.state_dict()))
print(f"accuracy {accuracy(final):.4f}, zeros {(final[1].weight == 0).float().mean().item():.1%}")

# %% [markdown]
# Has anything become smaller? No: PyTorch's pruning stores the zeros. While pruning was active, each pruned
# tensor was even stored twice (the original and the mask).

# %%
def saved_bytes(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getbuffer().nbytes


print("trained:        ", saved_bytes(mlp.state_dict()), "bytes")
print("while pruning:  ", saved_bytes(iterative.state_dict()), "bytes")
print("after remove(): ", saved_bytes(final.state_dict()), "bytes")

# %% [markdown]
# ## Sparse storage: the part PyTorch leaves out
#
# A sparse matrix stores only the nonzero entries. The CSR (compressed sparse row) layout keeps three arrays:
# the values, the column of each value, and for each row where its values start (`crow_indices`).

# %%
w = torch.tensor([[0.0, 1.5, 0.0, 0.0], [2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
csr = w.to_sparse_csr()
print(csr)
print(csr.layout, "| back to dense equals w:", torch.equal(csr.to_dense(), w))

# %% [markdown]
# Row *i* has its values at positions `crow_indices[i]` to `crow_indices[i + 1]`: row 0 at 0..1 (one value,
# column 1), row 1 at 1..3, row 2 none. `minitorch.sparse.sparsify(model)` finishes any pruning (`prune.remove`)
# and stores every `nn.Linear` weight this way, with int32 indices (PyTorch's default int64 indices would make
# the index arrays twice as large). `F.linear` then multiplies only the stored entries, with SciPy's sparse
# kernels on the cpu and cuSPARSE on a GPU.

# %%
small = torch.sparse.sparsify(copy.deepcopy(final))
print(small[1].weight.layout, small[1].weight.col_indices().dtype, "nnz", small[1].weight._nnz())
with torch.no_grad():
    print("same outputs:", torch.allclose(small(test_images), final(test_images), atol=1e-6))
print(f"accuracy {accuracy(small):.4f}")
print("saved bytes: dense", saved_bytes(final.state_dict()), "| sparse", saved_bytes(small.state_dict()))

# %% [markdown]
# The saved file shrank with the weights: `minitorch.save` writes the three arrays, and `minitorch.load`
# checks them (a column index outside the matrix is an error, not a crash later).
#
# ## When does sparse win?
#
# A sparse product does less arithmetic but reads its values in an irregular order. On a Linear(2048, 2048)
# at batch 1, the time of the dense and of the CSR layer for increasing sparsity (timings vary by machine):

# %%
big = nn.Linear(2048, 2048)
x = torch.randn(1, 2048)
SPARSITIES = [0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99]
dense_ms, sparse_ms = [], []
with torch.no_grad():
    for s in SPARSITIES:
        layer = copy.deepcopy(big)
        if s:
            prune.l1_unstructured(layer, "weight", amount=s)
            prune.remove(layer, "weight")
        dense_ms.append(min(timeit.repeat(lambda: layer(x), number=10, repeat=5)) / 10 * 1e3)
        torch.sparse.sparsify(layer)
        sparse_ms.append(min(timeit.repeat(lambda: layer(x), number=10, repeat=5)) / 10 * 1e3)

# %% tags=["nbval-ignore-output"]
for s, d, c in zip(SPARSITIES, dense_ms, sparse_ms):
    print(f"sparsity {s:4.0%}: dense {d:6.3f} ms, CSR {c:6.3f} ms, speed-up {d / c:5.1f}x")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(SPARSITIES, dense_ms, marker="o", label="dense Linear")
ax.plot(SPARSITIES, sparse_ms, marker="s", label="CSR weight")
ax.set_xlabel("fraction of weights pruned")
ax.set_ylabel("forward time, ms (batch 1)")
ax.set_yscale("log")
ax.legend()
plt.show()

# %% [markdown]
# The dense layer's time does not depend on the zeros. The sparse one falls with the number of stored
# entries, and passes below the dense one somewhere in the middle: there, pruning starts to pay in time as
# well as in memory. `benchmarks/bench_sparse.py` measures a Linear(4096, 4096) at 90% and 95% sparsity,
# with PyTorch's own CSR tensors beside minitorch's. On a busy 2-core machine it gave (medians of 3 rounds;
# the times are rough, the sizes exact):
#
# | Linear(4096, 4096) | minitorch CSR / dense | PyTorch CSR / dense |
# | --- | --- | --- |
# | 90%: weight memory | 0.20x (12.8 of 64 MiB) | 0.30x (int64 indices) |
# | 90%: saved file | 0.20x | 0.50x |
# | 95%: batch-1 forward | 27x faster | 0.6x (slower than dense) |
# | 95%: batch-8 forward | 17x faster | 2.2x faster |
#
# In this run PyTorch's CSR layer beat its dense one only with several rows in the batch; minitorch's, on
# SciPy's sparse product, already at batch 1.
#
# ## Under the hood
#
# `minitorch/nn/utils/prune.py` holds the pruning methods and the container. Sparse tensors are ordinary
# `Tensor`s whose data is not an array but an object with the index and value arrays
# (`minitorch/backends/sparse.py`); its `dispatch_key` sends every op on such a tensor to the sparse kernels
# of `minitorch/sparse/_kernels.py`, and an op that has none raises PyTorch's "Could not run" error. Here is
# the CSR kernel of `F.linear`:

# %%
from minitorch.sparse import _kernels

print(inspect.getsource(_kernels.linear))

# %% tags=["raises-exception"]
csr.exp()

# %% [markdown]
# ## Exercises
#
# The exercises for this chapter are in `exercises/ch08_pruning.py`:
#
# 1. **ch08.1** `ThresholdPruning`: a pruning method of your own, a subclass of `prune.BasePruningMethod`
#    that prunes every entry whose magnitude is below a threshold, and its function
#    `threshold_unstructured(module, name, threshold)`.
# 2. **ch08.2** *predict, then check*: the state_dict keys, the zeros and the hooks of a Linear pruned three
#    times.
# 3. **ch08.3** `prune_to_sparsity(parameters, target)`: prune a set of tensors globally by magnitude until a
#    given fraction of all their entries is pruned, whatever pruning they already had.
#
# Check your work from the repository root with
#
# ```
# python -m grader --chapter 8
# ```

# %% [markdown]
# ## Recap
#
# - Pruning `weight` moves the Parameter to `weight_orig`, adds the buffer `weight_mask`, and recomputes
#   `weight` in a forward pre-hook (the method object itself).
# - Magnitude beats random; unstructured keeps accuracy longer, structured leaves smaller dense layers.
# - Global pruning lets layers lose different fractions; iterative pruning with fine-tuning reaches higher
#   sparsity at the same accuracy. Each new amount applies to the entries still unpruned.
# - `prune.remove` makes pruning permanent, but the zeros are still stored. `minitorch.sparse.sparsify` stores
#   the weights as CSR matrices: less memory, smaller files, and faster layers once sparse enough.
