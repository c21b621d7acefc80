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
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Modules as building blocks
#
# A module can hold other modules. That one rule is how every large network is put together: small pieces
# (a linear map, an activation) are combined into bigger ones, and the bigger ones are combined again.
#
# **You will learn to**
#
# - chain modules in order with `nn.Sequential`;
# - write a custom module whose `forward` uses *submodules* freely;
# - walk a module tree with `children()`, `named_children()`, `modules()` and `named_modules()`;
# - build layers dynamically with `nn.ModuleList` and `nn.ModuleDict`;
# - see that `parameters()` reaches into every submodule, and count parameters;
# - move or cast a whole network with `.to()` and visit every submodule with `.apply()`.
#
# Everything below is plain PyTorch code: only the import line says `minitorch`.

# %%
# %config InlineBackend.figure_formats = ['png']
import random

import matplotlib.pyplot as plt
import numpy as np

import minitorch as torch
from minitorch import nn
import minitorch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
random.seed(0)


# %% [markdown]
# ## The piece we build with
#
# Chapter 01 wrote `MyLinear`, an affine map with a learnable `weight` and `bias`. We reuse it as our brick.

# %%
class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_features, out_features))
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, input):
        return (input @ self.weight) + self.bias


# %% [markdown]
# ## Chaining in order: `nn.Sequential`
#
# `nn.Sequential` takes modules and calls them one after another, passing each output to the next module as
# its input. Here: 4 features → 3 → ReLU → 1.

# %%
net = nn.Sequential(
    MyLinear(4, 3),
    nn.ReLU(),
    MyLinear(3, 1)
)

sample_input = torch.randn(4)
net(sample_input)

# %% [markdown]
# Printing a container shows its children, numbered in the order they run. A module without an
# `extra_repr` (like our `MyLinear`) prints just its class name with empty parentheses.

# %%
print(net)

# %% [markdown]
# A `Sequential` also behaves like a list: it has a length, it can be indexed, and a slice is again a
# `Sequential` (sharing the same layers).

# %%
print(len(net))
print(net[1])
print(net[:2])

# %% [markdown]
# It can also change after it is built. `append(m)` adds a module at the end, `insert(i, m)` puts one at
# position `i` (a negative `i` counts from the end) and `del seq[i]` removes one. After an insert or a
# delete the names are `"0"`, `"1"`, ... in order again, while a slice keeps the names its modules had.
# Given an `OrderedDict` instead of modules, `Sequential` uses its keys as the names.

# %%
from collections import OrderedDict

seq = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
print("seq[1:] names:", list(seq[1:]._modules))
seq.insert(1, nn.Tanh())
print([(name, type(m).__name__) for name, m in seq.named_children()])
del seq[0]
seq.append(nn.Sigmoid())
print([(name, type(m).__name__) for name, m in seq.named_children()])
named = nn.Sequential(OrderedDict([("encode", nn.Linear(4, 2)), ("act", nn.ReLU())]))
print(named)

# %% [markdown]
# The limits of `Sequential` are built into its idea: one input, one output, strictly in order. For anything
# else (skip connections, several inputs, a layer used twice, control flow) write your own module.
#
# ## A custom module with submodules
#
# Assigning a module to an attribute inside `__init__` registers it as a *child*. The `forward` method then
# decides freely how the children are used; here the activation comes from the functional API `F.relu`
# instead of a module.

# %%
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.l0 = MyLinear(4, 3)
        self.l1 = MyLinear(3, 1)

    def forward(self, x):
        x = self.l0(x)
        x = F.relu(x)
        x = self.l1(x)
        return x


net = Net()
print(net)

# %% [markdown]
# The *direct* children are listed by `named_children()` (name and module) and `children()` (modules only),
# in the order they were assigned.

# %%
for child in net.named_children():
    print(child)

# %%
list(net.children())


# %% [markdown]
# ## Walking the whole tree
#
# Children can have children. `named_modules()` walks the tree depth first and yields every module once,
# starting with the module itself (whose name is the empty string); names of deeper modules are joined with
# dots.

# %%
class BigNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = MyLinear(5, 4)
        self.net = Net()

    def forward(self, x):
        return self.net(self.l1(x))


big_net = BigNet()
for module in big_net.named_modules():
    print(module)

# %% [markdown]
# Each module object is yielded once: a module used in two places appears only under the first name
# that reaches it.

# %%
shared_act = nn.Tanh()
twice = nn.Sequential(nn.Linear(2, 2), shared_act, nn.Linear(2, 2), shared_act)
print([name for name, _ in twice.named_modules()])

# %% [markdown]
# `modules()` yields the same modules without names. Counting modules by class is a typical use:

# %%
from collections import Counter

Counter(type(m).__name__ for m in big_net.modules())

# %%
big_net(torch.randn(5))


# %% [markdown]
# ## Layers decided at run time: `nn.ModuleList` and `nn.ModuleDict`
#
# Sometimes the number of layers is a constructor argument. A plain Python list of modules would **not**
# register them (the module would not see their parameters); `nn.ModuleList` and `nn.ModuleDict` do. They
# behave like a list and a dict, and their entries become children named `0, 1, 2, ...` or by their keys.
# Build the list with a comprehension, one new layer per entry: `[MyLinear(4, 4)] * 3` would be a list
# holding the *same* layer three times.
#
# In PyTorch's note the chosen activation is applied once, after the loop over the linear layers, and
# this chapter follows it.

# %%
class DynamicNet(nn.Module):
    def __init__(self, num_layers):
        super().__init__()
        self.linears = nn.ModuleList(
            [MyLinear(4, 4) for _ in range(num_layers)])
        self.activations = nn.ModuleDict({
            'relu': nn.ReLU(),
            'lrelu': nn.LeakyReLU()
        })
        self.final = MyLinear(4, 1)

    def forward(self, x, act):
        for linear in self.linears:
            x = linear(x)
        x = self.activations[act](x)
        x = self.final(x)
        return x


dynamic_net = DynamicNet(3)
sample_input = torch.randn(4)
output = dynamic_net(sample_input, 'relu')
output

# %% [markdown]
# The activation is picked by name when the module is called, so the same weights can run with either one:

# %%
dynamic_net(sample_input, 'lrelu')

# %% [markdown]
# The printed form shows the whole tree, containers included:

# %%
print(dynamic_net)

# %% [markdown]
# ## Parameters of nested modules
#
# A module's parameters are its own parameters **plus** those of all its submodules, so `parameters()` and
# `named_parameters()` recurse. That is why an optimizer only ever needs `net.parameters()`.

# %%
for parameter in dynamic_net.named_parameters():
    print(parameter)

# %%
for name, p in dynamic_net.named_parameters():
    print(f"{name:18} {str(tuple(p.shape)):8} {p.numel():3d}")
print("total:", sum(p.numel() for p in dynamic_net.parameters()))

# %% [markdown]
# `parameters(recurse=False)` keeps only a module's *own* parameters. `DynamicNet` itself owns none: all of
# them live in its children.

# %%
print(len(list(dynamic_net.parameters(recurse=False))), len(list(dynamic_net.final.parameters(recurse=False))))

# %% [markdown]
# ## Moving and casting a whole network: `.to()`
#
# `.to()` visits every submodule and moves (or casts) each parameter and buffer in place: the parameters stay
# the same `Parameter` objects, only their data changes. The note moves the net to a GPU; this cell does that
# where CUDA is available and otherwise runs the same code on the CPU.

# %% tags=["nbval-ignore-output"]
device = 'cuda' if torch.cuda.is_available() else 'cpu'
if device == 'cpu':
    print("No CUDA device here: the same code runs on the CPU.")

# Move all parameters to a CUDA device (or stay on the CPU)
dynamic_net.to(device=device)

# Change precision of all parameters
dynamic_net.to(dtype=torch.float64)
dynamic_net(torch.randn(4, device=device, dtype=torch.float64), 'relu')

# %% [markdown]
# Every parameter followed, however deep it sits:

# %%
print({(p.dtype, p.device.type == device) for p in dynamic_net.parameters()})
dynamic_net.to(device='cpu', dtype=torch.float32)
print({(p.dtype, p.device.type) for p in dynamic_net.parameters()})


# %% [markdown]
# ## Visiting every submodule: `.apply()`
#
# `.apply(fn)` calls `fn` on every submodule (children first) and then on the module itself. A classic use is
# custom initialization. The function runs under `torch.no_grad()` so that the in-place writes are not
# recorded by autograd.

# %%
# Define a function to initialize Linear weights.
@torch.no_grad()
def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_normal_(m.weight)
        m.bias.fill_(0.0)


# Apply the function recursively on the module and its submodules.
before = dynamic_net.final.bias.clone()
dynamic_net.apply(init_weights)
print(torch.equal(before, dynamic_net.final.bias))

# %% [markdown]
# Nothing changed! `init_weights` only touches `nn.Linear` modules and `DynamicNet` is built from our own
# `MyLinear`. With the library's `nn.Linear` layers in the `ModuleList` the same call does its job:

# %%
class LinearDynamicNet(nn.Module):
    def __init__(self, num_layers):
        super().__init__()
        self.linears = nn.ModuleList([nn.Linear(4, 4) for _ in range(num_layers)])
        self.activations = nn.ModuleDict({'relu': nn.ReLU(), 'lrelu': nn.LeakyReLU()})
        self.final = nn.Linear(4, 1)

    def forward(self, x, act):
        for linear in self.linears:
            x = linear(x)
        return self.final(self.activations[act](x))


linear_net = LinearDynamicNet(3)
print(linear_net)
linear_net.apply(init_weights)
print(linear_net.final.bias)
print(linear_net.linears[0].weight)

# %% [markdown]
# ## A picture of the module tree
#
# The tree that `named_modules()` walks can be drawn: each row is a module, indented by its depth, with its
# own parameter count; the bar chart on the right counts the parameters of each leaf module.

# %%
def draw_module_tree(model, ax):
    """Draw `model`'s named_modules() as an indented tree on `ax`."""
    rows = list(model.named_modules())
    ypos = {}
    for i, (name, module) in enumerate(rows):
        depth = 0 if name == '' else name.count('.') + 1
        y = -i
        ypos[name] = (depth, y)
        if name:
            parent = name.rpartition('.')[0]
            px, py = ypos[parent]
            ax.plot([px + 0.1, px + 0.1, depth], [py - 0.3, y, y], color='0.6', lw=1)
        own = sum(p.numel() for p in module.parameters(recurse=False))
        label = f"{name.rpartition('.')[2] or '(root)'}: {type(module).__name__}"
        if own:
            label += f"  [{own}]"
        ax.text(depth, y, label, va='center', fontsize=9, family='monospace',
                bbox=dict(boxstyle='round', fc='#e8f0fe', ec='#4a6fa5'))
    ax.set_xlim(-0.2, 4.5)
    ax.set_ylim(-len(rows) + 0.3, 0.7)
    ax.axis('off')


leaves = [(n, m) for n, m in linear_net.named_modules() if not list(m.children())]
fig, (ax_tree, ax_bar) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={'width_ratios': [1.3, 1]})
draw_module_tree(linear_net, ax_tree)
ax_tree.set_title('linear_net.named_modules()')
ax_bar.barh([n for n, _ in leaves], [sum(p.numel() for p in m.parameters()) for _, m in leaves],
            color='#4a6fa5')
ax_bar.invert_yaxis()
ax_bar.set_xlabel('parameters')
ax_bar.set_title('parameters per leaf module')
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Under the hood
#
# Containers are ordinary modules. `Sequential.forward` is a loop over its children, and `named_modules` is a
# short recursive generator over each module's `_modules` dictionary (where `__setattr__` put every child).

# %%
import inspect
import os

print(os.path.relpath(inspect.getsourcefile(nn.Sequential), os.path.dirname(torch.__file__)))
print(inspect.getsource(nn.Sequential.forward))
print(os.path.relpath(inspect.getsourcefile(nn.Module), os.path.dirname(torch.__file__)))
print(inspect.getsource(nn.Module.named_modules))

# %% [markdown]
# ## Exercises
#
# Open `exercises/ch02_building_blocks.py` and replace each `raise NotImplementedError(...)`:
#
# - **ch02.1** `MySequential`: build `Sequential` yourself on `nn.Module`: registration under `"0"`,
#   `"1"`, ..., indexing and slicing, `append`, `insert`, `del` and `pop` with the names renumbered as
#   above. The grader replays random edits on it and on `nn.Sequential` side by side.
# - **ch02.2** *predict, then check*: write down the names `named_modules()` yields for a small network
#   with a shared module, then run it here.
# - **ch02.3** `ResidualBlock`: a block computing `x + fc2(relu(fc1(x)))`, with its two layers registered
#   as children named `fc1` and `fc2`.
# - **ch02.4** *debugging*: `DeepMLP` runs but has three bugs. Find and fix them.
#
# Check your work from the repository root:
#
# ```
# python -m grader --chapter 02
# ```
#
# ## Recap
#
# - Modules nest: attributes that are modules become children; `print(model)` shows the tree.
# - `nn.Sequential` chains modules in order; write a custom `forward` for anything more.
# - `children()` / `named_children()` list direct children; `modules()` / `named_modules()` walk the whole
#   tree, root first.
# - `nn.ModuleList` / `nn.ModuleDict` register a variable number of submodules (a plain list would not).
# - `parameters()` recurses into submodules, so one call hands an optimizer every weight.
# - `.to(device / dtype)` and `.apply(fn)` act on the whole tree at once.
