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
# # 00 · Tensors, autograd and devices — a short primer
#
# Every later chapter builds modules out of three ingredients: **tensors** (the numbers), **autograd**
# (the derivatives, for free) and **devices** (where the numbers live). This chapter is a quick tour of
# each, written so that the code reads exactly like PyTorch: we `import minitorch as torch`.
#
# **Learning objectives** — after this chapter you can
#
# 1. create tensors, read their `dtype` and `shape`, and predict the result dtype of mixed arithmetic;
# 2. explain broadcasting and tell a *view* (shared memory) from a copy;
# 3. mark a tensor with `requires_grad`, read the graph through `grad_fn`, call `backward()` and read `.grad`;
# 4. switch gradient tracking off with `no_grad`, and take a few gradient-descent steps by hand;
# 5. name a `device`, move tensors with `.to`, and write device code that still runs on a laptop.

# %%
# %config InlineBackend.figure_formats = ['png']
import matplotlib.pyplot as plt
import numpy as np

import minitorch as torch

torch.manual_seed(0)
np.random.seed(0)

# %% [markdown]
# ## 1. Tensors
#
# A tensor is an n-dimensional array of one element type. The usual factories build one from Python
# data, from a fill value, or from a random generator. Seeding the generator (as we did above) makes
# every random number in this notebook repeatable.

# %%
print(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
print(torch.zeros(2, 3))
print(torch.arange(6))
print(torch.linspace(0, 1, 5))
print(torch.randn(2, 3))

# %% [markdown]
# ### dtypes and type promotion
#
# Python floats become `float32` (the *default dtype*) and Python ints become `int64`. When two tensors
# of different dtypes meet, the result takes the "wider" type. A plain **Python number** is treated
# more gently: it may lift an integer tensor to floating point, but it never widens a float tensor.
# That is why `half_tensor * 3.0` stays `float16` — handy, because a stray constant does not silently
# double your memory.

# %%
ints = torch.tensor([1, 2, 3])
halves = torch.tensor([1.0, 2.0], dtype=torch.float16)
print("ints:              ", ints.dtype)
print("ints + 1:          ", (ints + 1).dtype)
print("ints * 2.5:        ", (ints * 2.5).dtype, "(int tensor, float scalar -> default float)")
print("halves * 3.0:      ", (halves * 3.0).dtype, "(a Python scalar does not widen a float tensor)")
print("halves + float32 t:", (halves + torch.tensor([1.0, 2.0])).dtype, "(two tensors: the wider wins)")
print("explicit cast:     ", ints.to(torch.float64))

# %% [markdown]
# ### Shapes and broadcasting
#
# `shape` (or `size()`) lists the length of every dimension. Element-wise operations *broadcast*:
# align shapes from the right; a dimension of size 1 (or a missing one) is stretched to match the other
# operand. No data is copied to do this. Shapes that cannot be aligned this way, such as (2, 3) and
# (2,), are an error: broadcasting never guesses.

# %%
x = torch.arange(6.0).reshape(2, 3)
print(x.shape, x.ndim, x.numel())
row = torch.tensor([10.0, 20.0, 30.0])      # shape (3,)   -> stretched over the 2 rows
col = torch.tensor([[100.0], [200.0]])      # shape (2, 1) -> stretched over the 3 columns
print(x + row)
print(x + col)

# %% [markdown]
# ### Views share memory
#
# `view`, `reshape` (when possible), `t()`, slicing and `transpose` return *views*: new shape
# information over the same storage. Writing through a view changes the original.

# %%
v = x.view(3, 2)
v[0, 0] = -1.0
print(x)
print("same storage:", v.data_ptr() == x.data_ptr())
print("x.t() is contiguous:", x.t().is_contiguous())
c = x.clone()          # a real copy
c[0, 0] = 99.0
print("x[0, 0] after editing the clone:", x[0, 0].item())

# %% [markdown]
# A view can only reinterpret memory that is laid out the right way. The transpose of `x` walks memory
# column by column, so flattening it with `view` is refused; `reshape` would copy instead.

# %% tags=["raises-exception"]
x.t().view(6)

# %% [markdown]
# ## 2. Autograd
#
# Set `requires_grad=True` on a tensor and every operation that uses it is recorded. Each result
# remembers the operation that produced it in `grad_fn`; these nodes form a graph that leads back to
# the *leaf* tensors you created. `backward()` walks that graph from the output and stores
# d(output)/d(leaf) in each leaf's `.grad`.

# %%
w = torch.tensor(2.0, requires_grad=True)
y = w * w + 3 * w                       # y = w^2 + 3w
print(y)
print("grad_fn:", y.grad_fn.name())
print("inputs of that node:", [fn.name() for fn, _ in y.grad_fn.next_functions])
print("w is a leaf:", w.is_leaf, "| y is a leaf:", y.is_leaf)

# %%
y.backward()
print("dy/dw at w=2:", w.grad, "(by hand: 2w + 3 = 7)")

# %% [markdown]
# Gradients **accumulate**: a second backward pass adds to `.grad` instead of replacing it. Training
# loops therefore reset gradients before each step (`w.grad = None`, or `optimizer.zero_grad()` later).

# %%
(w * w + 3 * w).backward()
print("after a second backward:", w.grad)
w.grad = None

# %% [markdown]
# Only floating-point (and complex) tensors can carry gradients: a derivative with respect to an integer
# makes no sense.

# %% tags=["raises-exception"]
torch.tensor([1, 2, 3], requires_grad=True)

# %% [markdown]
# Inside `torch.no_grad()` nothing is recorded: results do not require grad and have no `grad_fn`.
# Use it for evaluation and for updating parameters by hand.

# %%
with torch.no_grad():
    z = w * 2
print(z.requires_grad, z.grad_fn)

# %% [markdown]
# ### Picture: a function and its derivative
#
# Autograd works element by element too. For f(x) = x·sin(x) on a grid, one `backward()` on the sum
# gives f'(x) = sin(x) + x·cos(x) at every grid point at once.

# %%
xs = torch.linspace(-6, 6, 200, requires_grad=True)
fs = xs * torch.sin(xs)
fs.sum().backward()
by_hand = torch.sin(xs) + xs * torch.cos(xs)
print("autograd agrees with the formula:", torch.allclose(xs.grad, by_hand.detach(), atol=1e-5))

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(xs.detach().numpy(), fs.detach().numpy(), label="f(x) = x sin x")
ax.plot(xs.detach().numpy(), xs.grad.numpy(), "--", label="f'(x) from autograd")
ax.axhline(0, color="grey", lw=0.5)
ax.set_xlabel("x")
ax.legend()
plt.show()

# %% [markdown]
# ### A tiny gradient descent
#
# Gradients tell us which way is downhill. Minimise (w − 3)² starting from w = 0: read the gradient,
# step against it under `no_grad`, clear it, repeat. This loop is, in miniature, what every optimizer does.

# %%
w = torch.tensor(0.0, requires_grad=True)
lr = 0.1
history = []
for step in range(30):
    loss = (w - 3) ** 2
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
    w.grad = None
    history.append(loss.item())
print(f"w after 30 steps: {w.item():.4f}  (the minimum is at 3)")

fig, ax = plt.subplots(figsize=(5, 3))
ax.semilogy(history)
ax.set_xlabel("step")
ax.set_ylabel("loss (log scale)")
plt.show()

# %% [markdown]
# ## 3. Devices
#
# Every tensor lives on a `device`: `cpu` (minitorch stores a NumPy array) or `cuda` (a CuPy array on an
# NVIDIA GPU). `.to(device)` moves a tensor, `.to(dtype)` casts it, and both return the tensor itself
# when nothing needs to change. Operations need all their operands on one device.

# %%
print(torch.device("cpu"), torch.device("cuda:0"), torch.device("cuda", 1))
t = torch.ones(2, 2)
print(t.device)
print(t.to("cpu") is t, t.to(torch.float64).dtype)

# %% [markdown]
# Write device code once and pick the device at run time. This cell runs on a GPU machine and prints a
# note elsewhere:

# %%
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
if device.type == "cuda":
    g = torch.randn(3, 3, device=device)
    print("on the GPU:", g.device, "| sum moved back to the cpu:", (g @ g).sum().cpu().device)
else:
    print("No CUDA device here: the same code runs on the cpu.")

# %% [markdown]
# ## Under the hood
#
# A minitorch tensor is a thin wrapper around one array: `_data` holds the NumPy (or CuPy) array, and the
# device decides which of the two array modules does the maths. Here is how minitorch picks it:

# %%
import inspect

import minitorch._device

print(inspect.getsource(minitorch._device.array_module))

# %% [markdown]
# Every differentiable operation (in `minitorch/ops/`) computes its result with that array module and,
# right beside it, defines the backward closure that autograd calls; `minitorch/autograd/graph.py` holds
# the graph nodes and the engine that walks them.
#
# ## Recap
#
# - Tensors have a `dtype`, a `shape` and a `device`; Python scalars never widen a float tensor.
# - Broadcasting aligns shapes from the right; views share storage, `clone()` copies.
# - `requires_grad=True` records a graph (`grad_fn`); `backward()` fills `.grad`, which accumulates.
# - `no_grad()` turns recording off — for evaluation and manual updates.
# - Choose the device once (`cuda` if available, else `cpu`) and move data with `.to(device)`.
#
# Chapter 00 has no graded exercises; chapter 01 starts them.
