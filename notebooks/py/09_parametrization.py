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
# # 09 · Parametrizations: weights with constraints
#
# The modules note's paragraph on parametrizations: in some applications it helps to constrain the space of
# parameters while training, for example keeping the learned weights orthogonal can improve the convergence of
# RNNs, and PyTorch has a mechanism to apply such parametrizations and to define your own constraints. The
# idea: instead of training a weight directly, train an unconstrained tensor and compute the weight from it
# with a function whose outputs always satisfy the constraint.
#
# **Learning objectives**
#
# - register a parametrization on a module's tensor, and read what changes (the class, `parametrizations`,
#   `original`, the state_dict);
# - write a parametrization, with a `right_inverse` so that the weight can be assigned;
# - use PyTorch's built-in ones: `orthogonal`, `weight_norm`, `spectral_norm`, and see what they do to the
#   singular values and to training;
# - cache parametrized weights that are read many times, and remove parametrizations.

# %%
# %config InlineBackend.figure_formats = ['png']
import inspect

import matplotlib.pyplot as plt

import minitorch as torch
from minitorch import nn
from minitorch.datasets import load_digits
from minitorch.nn.utils import parametrizations, parametrize
from minitorch.utils.data import DataLoader, TensorDataset

_ = torch.manual_seed(0)

# %% [markdown]
# ## A symmetric weight
#
# The note's first example: a square weight that must stay symmetric. The parametrization is a module whose
# `forward` maps any square matrix to a symmetric one, the upper triangle mirrored onto the lower one:

# %%
class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


layer = nn.Linear(3, 3)
parametrize.register_parametrization(layer, "weight", Symmetric())
print(layer)
W = layer.weight
print(W)
print("symmetric:", torch.allclose(W, W.T))

# %% [markdown]
# The layer's class is now `ParametrizedLinear`, a subclass made for it, with `weight` as a property. The
# trainable tensor is `layer.parametrizations.weight.original`; every read of `layer.weight` runs the
# parametrization on it.

# %%
print(type(layer).__name__, "| class before:", parametrize.type_before_parametrizations(layer).__name__)
print("parameters:", [name for name, _ in layer.named_parameters()])
print("state_dict:", list(layer.state_dict()))
print("original:\n", layer.parametrizations.weight.original)

# %% [markdown]
# The gradient flows through the parametrization to `original`. Only the upper triangle of `original` is
# used, so the lower triangle gets no gradient, and an optimizer step keeps the weight symmetric:

# %%
optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
layer(torch.randn(4, 3)).pow(2).sum().backward()
print(layer.parametrizations.weight.original.grad)
optimizer.step()
print("still symmetric:", torch.allclose(layer.weight, layer.weight.T))

# %% [markdown]
# ## Assigning the weight: `right_inverse`
#
# What should `layer.weight = A` do? The parametrization must find an `original` that it maps to `A`. That
# is `right_inverse`: any function with `forward(right_inverse(A)) == A` for every `A` that satisfies the
# constraint. For Symmetric, the upper triangle of `A` will do. Without it, assignment is an error. When
# registering, `right_inverse` is also applied to the current weight to make the first `original`.

# %%
class SymmetricWithInverse(Symmetric):
    def right_inverse(self, A):
        return A.triu()


layer = nn.Linear(3, 3)
parametrize.register_parametrization(layer, "weight", SymmetricWithInverse())
A = torch.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]])
layer.weight = A
print("weight == A:", torch.equal(layer.weight, A))
print(layer.parametrizations.weight.original)

# %% [markdown]
# ## Several parametrizations on one tensor
#
# Registering a second parametrization on the same tensor appends it: the weight is then
# `second(first(original))`. Here a symmetric matrix with zeros on the diagonal:

# %%
class NoDiagonal(nn.Module):
    def forward(self, X):
        return X - torch.diag(torch.diagonal(X))


parametrize.register_parametrization(layer, "weight", NoDiagonal())
print(layer.parametrizations.weight)
print(layer.weight)

# %% [markdown]
# ## Orthogonal weights
#
# `parametrizations.orthogonal` keeps `W.T @ W = I`, the constraint the note mentions for RNNs: an orthogonal
# matrix preserves lengths, so repeated multiplication neither explodes nor vanishes. It maps an unconstrained
# matrix to an orthogonal one with the matrix exponential of its skew-symmetric part, the Cayley map, or
# Householder reflections (`orthogonal_map=`).

# %%
for kind in ("matrix_exp", "cayley", "householder"):
    q = parametrizations.orthogonal(nn.Linear(5, 5), orthogonal_map=kind)
    Q = q.weight
    print(f"{kind:12} |W^T W - I| = {(Q.T @ Q - torch.eye(5)).abs().max().item():.1e}")

# %% [markdown]
# Multiplying a vector 50 times by a random matrix against an orthogonal one:

# %%
torch.manual_seed(1)
plain = nn.Linear(16, 16, bias=False)
orth = parametrizations.orthogonal(nn.Linear(16, 16, bias=False))
v_plain = v_orth = torch.randn(16)
norms = {"plain": [], "orthogonal": []}
with torch.no_grad():
    for _ in range(50):
        v_plain, v_orth = plain(v_plain), orth(v_orth)
        norms["plain"].append(v_plain.norm().item())
        norms["orthogonal"].append(v_orth.norm().item())
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, values in norms.items():
    ax.plot(range(1, 51), values, label=name)
ax.set_yscale("log")
ax.set_xlabel("multiplications")
ax.set_ylabel("norm of the vector")
ax.legend()
plt.show()

# %% [markdown]
# ## Weight norm
#
# `weight_norm` writes each row of the weight as a length `g` times a direction `v / |v|` (Salimans and
# Kingma, 2016): the length and the direction are trained separately. Its `right_inverse` returns two tensors,
# so the originals are `original0` (g) and `original1` (v):

# %%
wn = parametrizations.weight_norm(nn.Linear(4, 3))
print([(name, tuple(p.shape)) for name, p in wn.named_parameters()])
g, v = wn.parametrizations.weight.original0, wn.parametrizations.weight.original1
print("weight == g * v / |v|:", torch.allclose(wn.weight, g * v / v.norm(dim=1, keepdim=True)))

# %% [markdown]
# ## Spectral norm
#
# `spectral_norm` divides the weight by its largest singular value, so that the layer never stretches a
# vector by more than 1 (a 1-Lipschitz layer, as GAN discriminators use). The largest singular value is
# estimated by power iteration: the buffers `_u` and `_v` hold the current singular vectors, and each forward
# in training mode refines them by one step.

# %%
torch.manual_seed(0)
dense = nn.Linear(20, 20)
before = torch.linalg.svdvals(dense.weight.detach())
sn = parametrizations.spectral_norm(nn.Linear(20, 20))
sn.load_state_dict({"bias": dense.bias, "parametrizations.weight.original": dense.weight.detach()},
                   strict=False)
print("buffers:", [name for name, _ in sn.named_buffers()])
x = torch.randn(8, 20)
for _ in range(15):  # each training-mode forward is one power-iteration step
    sn(x)
sn.eval()
after = torch.linalg.svdvals(sn.weight.detach())
print(f"largest singular value: before {before[0].item():.3f}, after {after[0].item():.3f}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.bar(range(20), before.numpy(), alpha=0.6, label="Linear(20, 20)")
ax.bar(range(20), after.numpy(), alpha=0.8, label="with spectral_norm")
ax.set_xlabel("singular value index")
ax.set_ylabel("singular value")
ax.legend()
plt.show()

# %% [markdown]
# All singular values shrink by the same factor: the shape of the spectrum stays, its top is pinned at 1.
#
# ## Training with and without
#
# The same MLP on the digits, trained three times for a few epochs: plain, with weight norm and with spectral
# norm on both linear layers.

# %%
train_images, train_labels = load_digits(train=True)
test_images, test_labels = load_digits(train=False)


def build(kind):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    for i in (1, 3):
        if kind == "weight_norm":
            parametrizations.weight_norm(model[i])
        elif kind == "spectral_norm":
            parametrizations.spectral_norm(model[i])
    return model


def fit(model, epochs=6):
    loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(epochs):
        model.train()
        total = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
        losses.append(total / len(train_labels))
    model.eval()
    with torch.no_grad():
        acc = (model(test_images).argmax(1) == test_labels).float().mean().item()
    return losses, acc


runs = {kind: fit(build(kind)) for kind in ("plain", "weight_norm", "spectral_norm")}
for kind, (losses, acc) in runs.items():
    print(f"{kind:14} final train loss {losses[-1]:.4f}, test accuracy {acc:.4f}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
for kind, (losses, _) in runs.items():
    ax.plot(range(1, len(losses) + 1), losses, marker="o", label=kind)
ax.set_xlabel("epoch")
ax.set_ylabel("mean training loss")
ax.set_yscale("log")
ax.legend()
plt.show()

# %% [markdown]
# Spectral norm limits how large the logits can grow, so the loss falls more slowly: a constraint has a
# price, paid for stability where that matters (GANs, robustness). Weight norm changes only how the weight
# is expressed, and so how the optimizer's steps act on it.
#
# ## Caching
#
# Every read of a parametrized weight runs the parametrization. A layer that reads its weight several times
# per forward (an RNN reads it once per time step) repeats the work. Inside `parametrize.cached()` each
# parametrized tensor is computed once, at its first read, and reused until the block ends:

# %%
class Counted(nn.Module):
    calls = 0

    def forward(self, X):
        Counted.calls += 1
        return X.triu() + X.triu(1).T


cell = nn.Linear(8, 8)
parametrize.register_parametrization(cell, "weight", Counted())


def unroll(steps):
    h = torch.zeros(1, 8)
    for _ in range(steps):
        h = torch.tanh(cell(h) + 1)
    return h


Counted.calls = 0
unroll(20)
print("without caching:", Counted.calls, "calls")
Counted.calls = 0
with parametrize.cached():
    unroll(20)
print("with caching:   ", Counted.calls, "call")

# %% [markdown]
# ## Removing a parametrization
#
# `remove_parametrizations(module, name)` turns the tensor back into a plain Parameter: by default holding the
# parametrized value (`leave_parametrized=True`), or the original's (`False`, only possible when the original
# has the weight's shape). The class goes back to `Linear` when the last parametrization is removed.

# %%
layer = nn.Linear(3, 3)
parametrize.register_parametrization(layer, "weight", SymmetricWithInverse())
symmetric = layer.weight.detach().clone()
parametrize.remove_parametrizations(layer, "weight")
print(type(layer).__name__, "| weight is a Parameter:", isinstance(layer.weight, nn.Parameter))
print("kept the symmetric value:", torch.equal(layer.weight, symmetric))

layer = nn.Linear(3, 3)
parametrize.register_parametrization(layer, "weight", Symmetric())
original = layer.parametrizations.weight.original.detach().clone()
parametrize.remove_parametrizations(layer, "weight", leave_parametrized=False)
print("back to the original:", torch.equal(layer.weight, original))

# %% [markdown]
# ## Under the hood
#
# `minitorch/nn/utils/parametrize.py` does the work: registering swaps the module's class for a subclass
# with a property per parametrized tensor; the property's getter runs the `ParametrizationList`
# (`parametrizations.weight`), and its setter calls `right_inverse`. The getter:

# %%
print(inspect.getsource(parametrize._inject_property))

# %% [markdown]
# `minitorch/nn/utils/parametrizations.py` holds `orthogonal`, `weight_norm` and `spectral_norm`, built on
# the linear algebra of `minitorch.linalg` (`matrix_exp`, `qr`, `householder_product`, `solve`, `vector_norm`).
# Assigning to a weight whose parametrization has no `right_inverse` raises PyTorch's error:

# %% tags=["raises-exception"]
layer = nn.Linear(3, 3)
parametrize.register_parametrization(layer, "weight", Symmetric())
layer.weight = torch.eye(3)

# %% [markdown]
# ## Exercises
#
# The exercises for this chapter are in `exercises/ch09_parametrization.py`:
#
# 1. **ch09.1** `RowStochastic`: a parametrization whose weights have positive rows summing to 1, with the
#    `right_inverse` that lets you assign such a weight.
# 2. **ch09.2** *predict, then check*: the state_dict of a Linear with spectral norm and weight norm stacked
#    on its weight, in order, with shapes.
# 3. **ch09.3** *debugging*: `bake_parametrizations(model)` should leave every parametrized tensor of a model
#    as a plain Parameter holding its parametrized value; it has three bugs.
#
# Check your work from the repository root with
#
# ```
# python -m grader --chapter 9
# ```

# %% [markdown]
# ## Recap
#
# - `register_parametrization(module, name, p)` makes `module.name` a property computing
#   `p(module.parametrizations.name.original)`; the class becomes `Parametrized<Class>`.
# - `right_inverse` makes assignment and registration possible; returning a tuple gives `original0`,
#   `original1` ...; a second registration on the same tensor chains.
# - `orthogonal`, `weight_norm` and `spectral_norm` are ready-made parametrizations; spectral norm pins the
#   largest singular value to 1 by power iteration in training mode.
# - `parametrize.cached()` computes each parametrized tensor once per block; `remove_parametrizations` bakes
#   the value in (or restores the original).
