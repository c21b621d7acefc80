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
# # 01 · A simple custom module
#
# In PyTorch a neural network is a **module**: an object that owns some state (its learnable
# parameters) and knows how to compute an output from an input. Libraries of ready-made modules are
# convenient, but nothing about them is magic — in this chapter we write one from scratch and look at
# exactly what the base class `nn.Module` does for us.
#
# **Learning objectives** — after this chapter you can
#
# 1. write a module: subclass `nn.Module`, call `super().__init__()`, create `nn.Parameter`s, define `forward`;
# 2. construct and call it, and list its parameters with `parameters()` / `named_parameters()`;
# 3. run a backward pass through it and read the gradients of its parameters;
# 4. explain what *registering* a parameter means, and why you call `m(x)` rather than `m.forward(x)`;
# 5. tell stateful from stateless modules, and accept `device=` / `dtype=` like the built-in layers.

# %%
# %config InlineBackend.figure_formats = ['png']
import matplotlib.pyplot as plt
import numpy as np

import minitorch as torch
from minitorch import nn

torch.manual_seed(0)
np.random.seed(0)

# %% [markdown]
# ## 1. MyLinear: state plus computation
#
# Our first module applies an affine map y = x·W + b to its input. Three things make it a module:
#
# - it **subclasses `nn.Module`**, so it can be combined with every other module;
# - it creates its **state** in `__init__`: the tensors `weight` and `bias`, wrapped in `nn.Parameter`
#   so the module knows they are learnable (they start random here);
# - it defines **`forward`**, the computation: multiply the input by `weight` with `@` and add `bias`.

# %%
class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_features, out_features))
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, input):
        return (input @ self.weight) + self.bias


# %% [markdown]
# An instance is built like any Python object and then **called like a function**. The output carries
# a `grad_fn`: autograd recorded the computation, because the parameters require grad.

# %%
m = MyLinear(4, 3)
sample_input = torch.randn(4)
m(sample_input)

# %% [markdown]
# The same module handles a whole batch: with input of shape (batch, 4), `@` multiplies every row by
# `weight` and `bias` broadcasts over the rows.

# %%
m(torch.randn(2, 4)).shape

# %% [markdown]
# ## 2. The parameters it registered
#
# `parameters()` yields every learnable tensor of the module; `named_parameters()` yields
# `(name, parameter)` pairs. The names are the attribute names we used in `__init__`, in the order we
# assigned them.

# %%
for parameter in m.named_parameters():
    print(parameter)

# %%
print([tuple(p.shape) for p in m.parameters()])

# %% [markdown]
# ### What registration does
#
# `self.weight = nn.Parameter(...)` looks like an ordinary attribute assignment, but `nn.Module`
# intercepts it (in `__setattr__`): because the value is a `Parameter`, it is stored in the module's
# parameter table `_parameters` instead of the instance `__dict__`. Everything that later needs "the
# learnable tensors" — `parameters()`, optimizers, `state_dict()`, `.to(...)`, `zero_grad()` — reads that
# table. A `Parameter` is just a tensor subclass with `requires_grad=True` by default.
#
# A **plain tensor** attribute is *not* registered, even if it requires grad: it is invisible to
# `parameters()` and would never be trained or saved.

# %%
print("registered:", list(m._parameters))
print("is a Tensor:", isinstance(m.weight, torch.Tensor), "| requires_grad:", m.weight.requires_grad)


class Forgetful(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.randn(2, 2, requires_grad=True)  # a plain tensor: not registered

    def forward(self, input):
        return input @ self.weight


print("Forgetful parameters:", list(Forgetful().parameters()))

# %% [markdown]
# ### The tables, rule by rule
#
# Three more rules of `__setattr__` decide what `named_parameters()` reports:
#
# - a new value for a name that is already registered takes the **old place** in the table (the order
#   is the order of first assignment);
# - assigning `None` to a registered name keeps the slot, empty; `named_parameters()` skips it;
# - any other value for a registered parameter name is refused, since only a `Parameter` (or `None`)
#   may live there.
#
# Reading works the other way round. Python looks for `d.b` in the instance `__dict__` first and calls
# the class's `__getattr__` only when that lookup fails; since registered parameters are *not* in
# `__dict__`, `nn.Module.__getattr__` is what finds them, in `_parameters`.

# %%
class Demo(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = nn.Parameter(torch.zeros(2))
        self.a = nn.Parameter(torch.zeros(3))


d = Demo()
print("table:", list(d._parameters), "| 'b' in __dict__:", "b" in vars(d))
d.b = nn.Parameter(torch.ones(5))  # a new value keeps b's place
print([(name, tuple(p.shape)) for name, p in d.named_parameters()])
d.a = None  # the slot stays, empty
print("table:", list(d._parameters), "| named_parameters:", [name for name, _ in d.named_parameters()])

# %% tags=["raises-exception"]
d.b = torch.zeros(2)

# %% [markdown]
# A module assigned to an attribute is registered the same way, in a second table, `_modules`
# (chapter 02 builds whole networks like this). `named_parameters()` then walks the tree: a module's
# own parameters first, in table order, then each child's, named with the child's name and a dot in
# front. A `Parameter` reachable under two names is listed **once**, under the first name met; here
# that is `shared`, an own parameter of `Outer`, which comes before the child's `inner.weight`:

# %%
class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))
        self.inner = MyLinear(2, 2)
        self.shared = self.inner.weight  # the same Parameter under a second name


outer = Outer()
print("_parameters:", list(outer._parameters), "| _modules:", list(outer._modules))
print([name for name, _ in outer.named_parameters()])
print("elements:", [p.numel() for p in outer.parameters()])
print("modules:", [(name, type(module).__name__) for name, module in outer.named_modules()])

# %% [markdown]
# (`p.numel()` is the number of elements of a tensor.) `named_modules()` walks the same tree and yields
# each module once, the module itself first under the name `""`; `named_children()` yields only the
# direct children. Chapter 02 builds and walks bigger trees.
#
# The tables are created by `nn.Module.__init__`, which is why `super().__init__()` must come first.
# Forget it and the very first parameter assignment fails:

# %% tags=["raises-exception"]
class NoSuperInit(nn.Module):
    def __init__(self):
        self.weight = nn.Parameter(torch.randn(2))


NoSuperInit()

# %% [markdown]
# ## 3. Forward and backward
#
# Calling the module runs the **forward pass**. The **backward pass** — the gradients of an output with
# respect to the module's parameters (and inputs) — comes for free from autograd: we never write a
# `backward` method. Reduce the output to a scalar and call `backward()`; every parameter's `.grad` is
# filled in.

# %%
out = m(sample_input)
out.sum().backward()
print("weight.grad:\n", m.weight.grad)
print("bias.grad:", m.bias.grad)

# %% [markdown]
# Check by hand: `sum(out) = Σ_j (Σ_i x_i W_ij + b_j)`, so the derivative with respect to `W_ij` is
# `x_i` (the same in every column j) and with respect to `b_j` it is 1.

# %%
print(torch.allclose(m.weight.grad, sample_input.reshape(4, 1).expand(4, 3)))
print(torch.equal(m.bias.grad, torch.ones(3)))
m.zero_grad()
print("after zero_grad:", m.weight.grad)

# %% [markdown]
# ### `m(x)`, not `m.forward(x)`
#
# `nn.Module.__call__` does more than forward: it runs the module's **hooks** before and after it
# (chapter 06). Calling `forward` directly skips them. Here a forward hook that prints is skipped by
# the direct call:

# %%
handle = m.register_forward_hook(lambda module, args, output: print("hook saw output of shape", output.shape))
y1 = m(sample_input)
y2 = m.forward(sample_input)
print("same values:", torch.equal(y1, y2))
handle.remove()

# %% [markdown]
# ## 4. State and statelessness
#
# A module does not need state. One that only computes — an activation, a reshape — has no
# parameters at all, yet it is still worth wrapping as a module so it can sit inside containers like
# `nn.Sequential` (chapter 02). The built-in `nn.ReLU` is such a module.

# %%
class Square(nn.Module):
    def forward(self, input):
        return input * input


sq = Square()
print(sq(torch.tensor([-2.0, 3.0])), list(sq.parameters()))
print("nn.ReLU parameters:", list(nn.ReLU().parameters()))

# %% [markdown]
# ### A printable module
#
# `repr(module)` prints the class name and, inside the parentheses, whatever `extra_repr()` returns
# (empty by default) followed by the child modules. Built-in layers use it to show their configuration:

# %%
print(m)
print(nn.Linear(4, 3))

# %% [markdown]
# ### How `nn.Linear` lays out its state
#
# The library's `nn.Linear` differs from our `MyLinear` in two ways. Its weight has the shape
# `(out_features, in_features)`, and `forward` computes `input @ weight.T + bias`
# (`nn.functional.linear`). And it does not start from `randn`: it creates empty tensors with
# `torch.empty` and fills them in place with values drawn uniformly from
# $[-1/\sqrt{\text{in\_features}},\ 1/\sqrt{\text{in\_features}}]$ (chapter 05 explains why).
# `nn.init.uniform_(tensor, a, b)` does such a fill and returns the tensor. Without a bias, the name
# is still registered, with `register_parameter("bias", None)`:

# %%
layer = nn.Linear(4, 3, bias=False)
print(layer.weight.shape, layer.bias, [name for name, _ in layer.named_parameters()])
x = torch.randn(2, 4)
print(torch.allclose(layer(x), x @ layer.weight.T))
print(nn.init.uniform_(torch.empty(2, 3), -0.5, 0.5))

# %% [markdown]
# ## 5. Device and dtype: the factory keyword arguments
#
# Every built-in layer accepts `device=` and `dtype=` and creates its parameters directly there, so
# a model can be built on the GPU, or in float64, without a copy afterwards. Our module can follow the
# same convention by passing them on to the tensor factories:

# %%
class MyLinear(nn.Module):
    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.randn(in_features, out_features, **factory_kwargs))
        self.bias = nn.Parameter(torch.randn(out_features, **factory_kwargs))

    def forward(self, input):
        return (input @ self.weight) + self.bias


print(MyLinear(4, 3, dtype=torch.float64).weight.dtype)
print(nn.Linear(4, 3, dtype=torch.float64).weight.dtype)

# %% [markdown]
# The alternative is to build first and convert afterwards: `Module.to(...)` moves and casts every
# registered parameter (another thing registration buys us). On a GPU machine this cell builds the
# layer there directly; elsewhere it says so.

# %%
print(MyLinear(4, 3).to(torch.float64).bias.dtype)
if torch.cuda.is_available():
    gpu_layer = MyLinear(4, 3, device="cuda")
    print("built on", gpu_layer.weight.device, "| output on", gpu_layer(torch.randn(4, device="cuda")).device)
else:
    print("No CUDA device here: MyLinear(4, 3, device='cuda') would create its parameters on the GPU.")

# %% [markdown]
# ## 6. Picture: teaching MyLinear an affine map
#
# Parameters are meant to be learned. Pick a "true" affine map, generate inputs and targets from it,
# and let gradient descent move `weight` and `bias` towards it. The update loop uses only what we have
# seen: forward, a mean-squared-error loss, `backward()`, and a step against each parameter's gradient
# under `no_grad` (chapter 03 hands this loop to an optimizer).

# %%
torch.manual_seed(0)
true_weight = torch.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0], [-1.0, 0.5, 2.0], [2.0, 0.0, -1.5]])
true_bias = torch.tensor([0.5, -1.0, 2.0])
inputs = torch.randn(64, 4)
targets = inputs @ true_weight + true_bias

model = MyLinear(4, 3)
lr = 0.1
losses = []
for step in range(150):
    loss = ((model(inputs) - targets) ** 2).mean()
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    losses.append(loss.item())

print(f"loss: {losses[0]:.3f} -> {losses[-1]:.6f}")
print("learned bias:", model.bias.detach())

fig, ax = plt.subplots(figsize=(5.5, 3.2))
ax.semilogy(losses)
ax.set_xlabel("step")
ax.set_ylabel("MSE loss (log scale)")
ax.set_title("MyLinear fitting an affine map")
plt.show()

# %% [markdown]
# ## Under the hood
#
# Registration lives in `minitorch/nn/modules/module.py`. `register_parameter` checks the name and the
# value, then stores it in `_parameters` (None is allowed: it reserves the name for an absent parameter,
# as `nn.Linear(..., bias=False)` does):

# %%
import inspect

print(inspect.getsource(nn.Module.register_parameter))

# %% [markdown]
# And this is the start of `Module.__setattr__`, the branch that turns `self.weight = nn.Parameter(...)`
# into a call of `register_parameter`:

# %%
setattr_lines = inspect.getsource(nn.Module.__setattr__).splitlines()
start = next(i for i, line in enumerate(setattr_lines) if "params = " in line)
print("\n".join(setattr_lines[start:start + 7]))

# %% [markdown]
# Reading an attribute that is not in the instance `__dict__` ends in `Module.__getattr__`, which looks
# through the tables:

# %%
print(inspect.getsource(nn.Module.__getattr__))

# %% [markdown]
# The tables themselves are made in `Module.__init__` with `object.__setattr__` (reached there as
# `super().__setattr__`), which stores a plain attribute without going through `Module.__setattr__`:
# that method needs the very tables it would be creating.
#
# `parameters()` then simply walks `_parameters` of the module and of its children
# (`Module.named_parameters` → `Module._named_members`), skipping None entries and repeated tensors.
#
# ## Exercises
#
# The exercises are in `exercises/ch01_custom_modules.py`; each stub raises `NotImplementedError` until
# you fill it in. The grader gives a point for each check that passes and tells you, in words, what a
# failing check expected and what it got.
#
# - **ch01.1** `count_parameters(module, trainable_only=False)`: count the scalar parameters of a model,
#   shared ones once.
# - **ch01.2** `Affine`: `nn.Linear`'s layout, start and `repr`, written on `nn.Module` yourself.
# - **ch01.3** *predict, then check*: write down what `named_parameters()` lists for a small puzzle
#   module, then run it here to see whether you were right.
# - **ch01.4** `TinyModule`: build the machinery of this chapter from scratch, a base class whose
#   `__setattr__` registers parameters and children and whose `named_parameters` walks the tree with
#   dotted names, each parameter once. The grader compares it with `nn.Module` on random trees.
# - **ch01.5** *debugging*: `GatedLinear` runs, but three things in it are wrong. Find and fix them.
#
# Check your work from the repository root:
#
# ```
# python -m grader --chapter 01
# ```
#
# ## Recap
#
# - A module = state (`nn.Parameter`s created in `__init__`, after `super().__init__()`) + `forward`.
# - Assigning a `Parameter` to an attribute registers it; plain tensors are not registered.
# - `parameters()` / `named_parameters()` list the registered state; optimizers, `state_dict` and `.to`
#   all rely on it.
# - Call the module (`m(x)`), not `forward`: `__call__` also runs hooks. Backward comes from autograd.
# - Modules can be stateless; good modules accept `device=` and `dtype=` like the built-in layers.
