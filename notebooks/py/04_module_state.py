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
# # 04 · Module state: parameters, buffers and the `state_dict`
#
# A trained network is worth exactly as much as the numbers it holds. This chapter is about those
# numbers: where a module keeps them, which of them are saved, and how they come back.
#
# **Learning objectives**
#
# - read a module's `state_dict` and predict its keys and their order;
# - tell parameters (learned) from buffers (not learned), and persistent buffers from non-persistent ones;
# - write a module that keeps a running statistic in a buffer;
# - save and load state with `torch.save` / `torch.load` (a safetensors file in minitorch, never pickle);
# - read the result of `load_state_dict`, in strict and non-strict mode;
# - move or cast the whole state of a model with `.to()`.

# %%
# %config InlineBackend.figure_formats = ['png']
import inspect
import io
import json
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np

import minitorch as torch
from minitorch import nn

torch.manual_seed(0)
np.random.seed(0)
workdir = tempfile.mkdtemp()  # checkpoints written by this chapter go here


def path(name):
    """A file name inside this chapter's scratch directory."""
    return os.path.join(workdir, name)


# %% [markdown]
# ## 1. The `state_dict` of a layer you already know
#
# `state_dict()` returns an ordered dictionary from dotted names to tensors. For a module we write
# ourselves, the entries are simply the parameters it registered, in the order it registered them.

# %%
class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_features, out_features))
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, input):
        return (input @ self.weight) + self.bias


m = MyLinear(4, 3)
print(m.state_dict())

# %% [markdown]
# The tensors in a `state_dict` are *detached*: they share memory with the parameters but carry no
# autograd history, so saving them never drags a graph along.

# %%
sd = m.state_dict()
print(sd['weight'].requires_grad, m.weight.requires_grad)
print('shares memory with the parameter:', sd['weight'].data_ptr() == m.weight.data_ptr())

# %% [markdown]
# ## 2. Saving and loading
#
# The usual recipe saves the `state_dict`, not the module object, and later loads it into a freshly
# built module of the same class. `load_state_dict` answers with a small report; when everything lines
# up it prints as `<All keys matched successfully>`.
#
# **How minitorch stores the file.** PyTorch's `torch.save` uses Python's `pickle`, and unpickling a
# file can execute arbitrary code hidden in it. minitorch writes a
# [safetensors](https://huggingface.co/docs/safetensors) file instead: a JSON header (names, dtypes,
# shapes, byte offsets) followed by the raw bytes of each tensor. Loading only parses JSON and copies
# bytes, so a checkpoint from a stranger cannot run code on your machine.

# %%
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.l0 = nn.Linear(4, 3)
        self.l1 = nn.Linear(3, 1)

    def forward(self, x):
        return self.l1(torch.relu(self.l0(x)))


net = Net()
# Save the module
torch.save(net.state_dict(), path('net.pt'))
# Load the module later on
new_net = Net()
new_net.load_state_dict(torch.load(path('net.pt')))

# %% [markdown]
# The file really is safetensors: its first eight bytes are the (little-endian) length of a JSON header.

# %%
with open(path('net.pt'), 'rb') as f:
    header_len = int.from_bytes(f.read(8), 'little')
    header = json.loads(f.read(header_len))
for name, entry in header.items():
    if name != '__metadata__':
        print(f"{name:10s} dtype={entry['dtype']} shape={entry['shape']} bytes={entry['data_offsets']}")

# %% [markdown]
# ## 3. Buffers: state that is not learned
#
# Some modules need state that affects their output but must not be trained: running averages,
# counters, fixed masks. `register_buffer` records such a tensor. Buffers are saved in the
# `state_dict` (unless marked `persistent=False`), move with `.to()`, and are *not* returned by
# `parameters()`, so no optimizer touches them.
#
# | kind | learned? | in `parameters()` | in `state_dict` |
# |---|---|---|---|
# | parameter | yes | yes | yes |
# | persistent buffer | no | no | yes |
# | non-persistent buffer | no | no | no |
#
# The classic example keeps a running mean of its inputs:

# %%
class RunningMean(nn.Module):
    def __init__(self, num_features, momentum=0.9):
        super().__init__()
        self.momentum = momentum
        self.register_buffer('mean', torch.zeros(num_features))

    def forward(self, x):
        self.mean = self.momentum * self.mean + (1.0 - self.momentum) * x
        return self.mean


# %% [markdown]
# Assigning a tensor to `self.mean` inside `forward` replaces the buffer (the name stays registered as
# a buffer). Feed it ten random vectors and look at its state:

# %%
m = RunningMean(4)
for _ in range(10):
    input = torch.randn(4)
    m(input)

print(m.state_dict())
print('parameters:', list(m.parameters()))

# %% [markdown]
# The running mean survives a save / load round trip:

# %%
# Serialized form will contain the 'mean' tensor
torch.save(m.state_dict(), path('mean.pt'))
m_loaded = RunningMean(4)
print(m_loaded.load_state_dict(torch.load(path('mean.pt'))))
assert(torch.all(m.mean == m_loaded.mean))

# %% [markdown]
# ### Picture: how fast does a running mean find the truth?
#
# An exponential moving average with momentum $\mu$ forgets old inputs at rate $\mu$ per step, and
# starts from zero, so it needs roughly $1/(1-\mu)$ steps to reach the data's mean. Its noise also
# depends on $\mu$: a higher momentum averages over more samples.

# %%
true_mean = torch.tensor([2.0, -1.0])
steps = 150
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
for ax, momentum in zip(axes, (0.9, 0.99)):
    rm = RunningMean(2, momentum=momentum)
    history = []
    for _ in range(steps):
        history.append(rm(true_mean + torch.randn(2)).tolist())
    history = np.array(history)
    for k, colour in enumerate(('tab:blue', 'tab:orange')):
        ax.plot(history[:, k], color=colour, label=f'feature {k} running mean')
        ax.axhline(true_mean[k].item(), color=colour, linestyle='--', linewidth=1)
    ax.set_title(f'momentum = {momentum}')
    ax.set_xlabel('step')
axes[0].set_ylabel('value')
axes[0].legend(loc='lower right')
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Non-persistent buffers
#
# A buffer registered with `persistent=False` still belongs to the module (it moves with `.to()` and
# shows up in `named_buffers()`) but is left out of the `state_dict`. Use it for values that can be
# recomputed, such as a cached mask or a table of constants.

# %%
class WithCache(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('mean', torch.zeros(3))
        self.register_buffer('unserialized_thing', torch.randn(5), persistent=False)


c = WithCache()
print('buffers:   ', [name for name, _ in c.named_buffers()])
print('state_dict:', list(c.state_dict().keys()))

# %% [markdown]
# Behind the scenes, buffers live in a third table, `_buffers`, next to `_parameters` and `_modules`;
# the names of the non-persistent ones are kept in the set `_non_persistent_buffers_set`:

# %%
print(list(c._buffers), c._non_persistent_buffers_set)

# %% [markdown]
# Both kinds of buffer follow model-wide device and dtype changes. The note moves a module to the GPU
# and to float64 at once; here we cast to float64 (and move to CUDA only when a GPU is present):

# %%
# Moves all module parameters and buffers to the specified device / dtype
m.to(dtype=torch.float64)
for buffer in m.named_buffers():
    print(buffer)

# %% tags=["nbval-ignore-output"]
if torch.cuda.is_available():
    m.to(device='cuda', dtype=torch.float64)
    print(m.mean.device, m.mean.dtype)
else:
    print("No CUDA device here: m.to(device='cuda', dtype=torch.float64) would move 'mean' to the GPU.")

# %% [markdown]
# ## 4. Every way to register state
#
# This module uses each registration mechanism once. Read the comments, then predict the keys of its
# `state_dict` before running the next cell.

# %%
class StatefulModule(nn.Module):
    def __init__(self):
        super().__init__()
        # Setting a nn.Parameter as an attribute of the module automatically registers the tensor
        # as a parameter of the module.
        self.param1 = nn.Parameter(torch.randn(2))

        # Alternative string-based way to register a parameter.
        self.register_parameter('param2', nn.Parameter(torch.randn(3)))

        # Reserves the "param3" attribute as a parameter, preventing it from being set to anything
        # except a parameter. "None" entries like this will not be present in the module's state_dict.
        self.register_parameter('param3', None)

        # Registers a list of parameters.
        self.param_list = nn.ParameterList([nn.Parameter(torch.randn(2)) for i in range(3)])

        # Registers a dictionary of parameters.
        self.param_dict = nn.ParameterDict({
            'foo': nn.Parameter(torch.randn(3)),
            'bar': nn.Parameter(torch.randn(4))
        })

        # Registers a persistent buffer (one that appears in the module's state_dict).
        self.register_buffer('buffer1', torch.randn(4), persistent=True)

        # Registers a non-persistent buffer (one that does not appear in the module's state_dict).
        self.register_buffer('buffer2', torch.randn(5), persistent=False)

        # Reserves the "buffer3" attribute as a buffer, preventing it from being set to anything
        # except a buffer. "None" entries like this will not be present in the module's state_dict.
        self.register_buffer('buffer3', None)

        # Adding a submodule registers its parameters as parameters of the module.
        self.linear = nn.Linear(2, 3)


m = StatefulModule()

# Save and load state_dict.
torch.save(m.state_dict(), path('state.pt'))
m_loaded = StatefulModule()
m_loaded.load_state_dict(torch.load(path('state.pt')))

# Note that non-persistent buffer "buffer2" and reserved attributes "param3" and "buffer3" do
# not appear in the state_dict.
print(m_loaded.state_dict())

# %% [markdown]
# Three things to notice in the order of the keys:
#
# 1. A module's *own* entries come first: its parameters (`param1`, `param2`), then its persistent
#    buffers (`buffer1`); only then come the children, in registration order (`param_list`,
#    `param_dict`, `linear`).
# 2. `ParameterList` entries are named by position: `param_list.0`, `param_list.1`, ...
# 3. `ParameterDict` keeps insertion order, so `param_dict.foo` might be expected first.
#    It is not: `param_dict.bar` comes before `param_dict.foo` here, because in this version a
#    `ParameterDict` built from a plain `dict` sorts the keys (only an `OrderedDict` or a list of
#    pairs keeps the order you gave). The `repr` shows the same order:

# %%
print(m.param_dict)
print(list(nn.ParameterDict([('foo', nn.Parameter(torch.zeros(1))),
                             ('bar', nn.Parameter(torch.zeros(1)))]).keys()))

# %% [markdown]
# The reserved `None` slots still guard their names: assigning a plain tensor to `param3` is refused,
# because only a `Parameter` (or `None`) may live there.

# %% tags=["raises-exception"]
m.param3 = torch.zeros(2)

# %% [markdown]
# One more difference from `named_parameters()`: a module registered under two names (tied layers) is
# listed once by `named_parameters()`, but the `state_dict` walks every name and holds its tensors under
# both, so that a checkpoint loads into either name.

# %%
class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(2, 2)
        self.decoder = self.encoder


tied = Tied()
print('named_parameters:', [name for name, _ in tied.named_parameters()])
print('state_dict:      ', list(tied.state_dict()))

# %% [markdown]
# ## Extra state: Python values in the `state_dict`
#
# Not all state is a tensor: a module may need to remember a list of class names, a version number or a
# counter. A module class that defines `get_extra_state()` (returning any value that `torch.save` can
# write: numbers, strings, lists, dicts, tensors) and `set_extra_state(state)` gets one more entry,
# `"_extra_state"`, placed after its own parameters and buffers and before its children's entries.
# `load_state_dict` hands the saved value back to `set_extra_state`.

# %%
class LabelledHead(nn.Module):
    """A linear classifier that remembers the names of its classes."""

    def __init__(self, in_features, classes):
        super().__init__()
        self.classes = list(classes)
        self.linear = nn.Linear(in_features, len(self.classes))

    def get_extra_state(self):
        return {'classes': self.classes}

    def set_extra_state(self, state):
        self.classes = list(state['classes'])


head = LabelledHead(3, ['cat', 'dog'])
print(list(head.state_dict()))
torch.save(head.state_dict(), path('head.pt'))
other = LabelledHead(3, ['?', '?'])
print(other.load_state_dict(torch.load(path('head.pt'))), other.classes)

# %% [markdown]
# ## 5. Buffers in a built-in layer: BatchNorm
#
# `BatchNorm1d` learns a scale and shift (`weight`, `bias`) and *tracks* the mean and variance of the
# batches it sees in three buffers. In training mode each batch updates them; in eval mode they are
# used instead of the batch statistics.

# %%
bn = nn.BatchNorm1d(3)
print(list(bn.state_dict().keys()))
print('parameters:', [name for name, _ in bn.named_parameters()])
print('buffers:   ', [name for name, _ in bn.named_buffers()])

# %%
data = torch.randn(64, 3) * torch.tensor([1.0, 2.0, 0.5]) + torch.tensor([5.0, -3.0, 1.0])
bn.train()
for _ in range(50):
    bn(data)
print('running_mean', bn.running_mean)
print('running_var ', bn.running_var)
print('batches seen', bn.num_batches_tracked)
print('true mean   ', data.mean(0))

# %% [markdown]
# `num_batches_tracked` is an integer buffer. That matters for the next section: casting a model with
# `.to(dtype)` converts floating-point tensors only.

# %% [markdown]
# ## 6. `load_state_dict`: strict and non-strict
#
# By default loading is *strict*: the checkpoint's keys must match the module's exactly. A missing or
# an unexpected key is an error that lists every mismatch at once:

# %%
partial = new_net.state_dict()
partial.pop('l1.bias')
partial['l2.weight'] = torch.zeros(1, 3)

# %% tags=["raises-exception"]
new_net.load_state_dict(partial)

# %% [markdown]
# The message lists the missing keys first, then the unexpected ones, then any size mismatch, one per line.
# With `strict=False` the matching keys are loaded and the mismatches are *returned*, as an
# `_IncompatibleKeys` named tuple (from `torch.nn.modules.module`) with `missing_keys` and
# `unexpected_keys`:

# %%
result = new_net.load_state_dict(partial, strict=False)
print(result)
print('missing:   ', result.missing_keys)
print('unexpected:', result.unexpected_keys)

# %% [markdown]
# A shape mismatch is an error even when loading is not strict: there is no sensible way to copy a
# (2, 4) tensor into a (3, 4) parameter. Loading copies each value *into* the module's existing tensor
# (`param.copy_(value)` under `no_grad`), so the parameters stay the same objects, and an optimizer
# built earlier keeps updating the right tensors.

# %% tags=["raises-exception"]
new_net.load_state_dict({'l0.weight': torch.zeros(2, 4)}, strict=False)

# %% [markdown]
# ## 7. Moving the whole state: `.to(dtype)` and devices
#
# `Module.to` converts every parameter and buffer in place. A dtype applies only to floating-point
# tensors, so BatchNorm's integer counter stays `int64`:

# %%
bn.to(torch.float64)
for name, t in bn.state_dict().items():
    print(f'{name:20s} {t.dtype}')

# %% [markdown]
# Parameters keep their identity when converted (their data is swapped), so an optimizer built before
# the call still updates the right tensors.

# %%
w_before = bn.weight
bn.half()
print(bn.weight is w_before, bn.weight.dtype)

# %% [markdown]
# A saved `state_dict` can be reloaded onto another device with `map_location`. Without a GPU we map
# to the CPU; with one, `map_location='cuda'` would create the tensors there directly.

# %%
loaded = torch.load(path('state.pt'), map_location='cpu')
print({k: str(v.device) for k, v in list(loaded.items())[:3]})

# %% [markdown]
# `save` and `load` also accept file objects, which is handy for keeping a copy in memory:

# %%
buffer = io.BytesIO()
torch.save(new_net.state_dict(), buffer)
buffer.seek(0)
print(Net().load_state_dict(torch.load(buffer)))

# %% [markdown]
# ## Under the hood
#
# `state_dict` asks each module for its own entries, then recurses into the children with a longer
# prefix. The per-module step is short:

# %%
print(inspect.getsource(nn.Module._save_to_state_dict))

# %% [markdown]
# Registration is where the rules live: the name checks and the persistence flag.

# %%
print(inspect.getsource(nn.Module.register_buffer))

# %% [markdown]
# The file format is described at the top of `minitorch/serialization.py`:

# %%
print(torch.serialization.__doc__)

# %% [markdown]
# ## Exercises
#
# The exercises for this chapter are in `exercises/ch04_module_state.py`:
#
# 1. **ch04.1** `state_dict_of` and `load_state_into`: `state_dict()` and `load_state_dict()` built by
#    hand from the tables of this chapter, with strict and non-strict loading and torch's error message.
#    The grader compares them with the real methods on random models.
# 2. **ch04.2** *predict, then check*: write down the keys of a puzzle module's `state_dict`, then run it
#    here.
# 3. **ch04.3** *debugging*: `Standardizer`, a module with running statistics, runs but has three bugs.
#    Find and fix them.
#
# Check your work from the repository root with
#
# ```
# python -m grader --chapter 04
# ```

# %% [markdown]
# ## Recap
#
# - `state_dict()` maps dotted names to detached tensors: own parameters, own persistent buffers, then
#   each child's entries.
# - Buffers hold state that is not learned; `persistent=False` keeps a buffer out of the `state_dict`.
# - `get_extra_state` / `set_extra_state` put a Python value in the `state_dict` as `_extra_state`.
# - Save the `state_dict`, rebuild the module, `load_state_dict`. minitorch writes safetensors: no
#   pickle, no code execution on load.
# - Strict loading raises on any mismatch; `strict=False` returns the mismatches as `_IncompatibleKeys`.
# - `.to()` moves and casts parameters and buffers together; dtype casts touch floating tensors only.
