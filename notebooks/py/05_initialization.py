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
# # 05 · Module initialization
#
# Before the first step of training, every weight already has a value. Those starting values decide
# whether a signal survives its trip through many layers, so they are worth choosing on purpose.
#
# **Learning objectives**
#
# - know what values `nn.Linear` starts with, and why;
# - create a module directly with a chosen `device` and `dtype`;
# - re-initialize parameters with `nn.init` (`orthogonal_`, `constant_`, `xavier_*`, `kaiming_*` ...);
# - initialize a whole network at once with `Module.apply`;
# - skip the default initialization with `nn.utils.skip_init` when it would be thrown away;
# - see, in pictures, how the choice of scheme shapes weights and activations.

# %%
# %config InlineBackend.figure_formats = ['png']
import inspect
import math

import matplotlib.pyplot as plt
import numpy as np

import minitorch as torch
from minitorch import nn

torch.manual_seed(0)
np.random.seed(0)

# %% [markdown]
# ## 1. The default: what `nn.Linear` starts with
#
# A module's constructor allocates its parameters and immediately fills them (in `reset_parameters`).
# By default parameters are float32 on the CPU. For `nn.Linear(in_features, out_features)` both the
# weight and the bias are drawn uniformly from $(-1/\sqrt{\text{in\_features}},\ 1/\sqrt{\text{in\_features}})$:
# the bound shrinks as the layer gets wider, so that the sum of many inputs does not blow up.

# %%
m = nn.Linear(5, 3)
print(m.weight)
print(m.bias)
print('bound 1/sqrt(5) =', round(1 / math.sqrt(5), 4))
print('largest |w|     =', round(m.weight.abs().max().item(), 4))

# %% [markdown]
# ## 2. Choosing device and dtype at construction
#
# Every built-in module takes `device` and `dtype` keyword arguments and creates its parameters (and
# floating-point buffers) that way from the start, instead of creating them on the CPU in float32 and
# converting afterwards.

# %% tags=["nbval-ignore-output"]
# Initialize module directly onto GPU.
if torch.cuda.is_available():
    m = nn.Linear(5, 3, device='cuda')
    print(m.weight.device)
else:
    print("No CUDA device here: nn.Linear(5, 3, device='cuda') would create its parameters on the GPU.")

# %% [markdown]
# Asking for a device that is not there is a clear error, not a silent fallback (the exact wording
# depends on whether CuPy is installed):

# %% tags=["raises-exception", "nbval-ignore-output"]
if not torch.cuda.is_available():
    nn.Linear(5, 3, device='cuda')

# %%
# Initialize module with 16-bit floating point parameters.
m = nn.Linear(5, 3, dtype=torch.half)
print(m.weight.dtype, m.bias.dtype)

# %% [markdown]
# The same options reach a module's floating-point *buffers*. BatchNorm's running mean is created in
# half precision here:

# %%
m = nn.BatchNorm2d(3, dtype=torch.half)
print(m.running_mean)

# %% [markdown]
# When you write your own module, follow the same convention: accept `device=None, dtype=None` in the
# constructor, pass them to every tensor you create there, and fill parameters only with `nn.init`
# functions (they work under `no_grad`, which matters for the next sections).

# %%
class Scale(nn.Module):
    """Multiplies its input by a learned per-feature factor, initialised to one."""

    def __init__(self, num_features, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_features, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.ones_(self.weight)

    def forward(self, x):
        return x * self.weight


print(Scale(3, dtype=torch.float64).weight)

# %% [markdown]
# ## 3. Custom initialization with `nn.init`
#
# Each `nn.init` function fills a tensor **in place** (hence the trailing underscore), records no
# autograd history, and returns the tensor. A few of them:

# %%
w = torch.empty(3, 5)
print(nn.init.constant_(w, 0.3))
print(nn.init.zeros_(torch.empty(2)))
print(nn.init.eye_(torch.empty(3, 3)))

# %% [markdown]
# `orthogonal_` fills a matrix whose rows are orthonormal: $W W^\top = I$. An orthogonal layer keeps
# the length of every vector it maps, a property that helps very deep and recurrent networks.

# %%
w = nn.init.orthogonal_(torch.empty(3, 5))
print('W W^T == I (to 1e-5):', torch.allclose(w @ w.T, torch.eye(3), atol=1e-5))

# %% [markdown]
# ### Why the spread of a weight matters, in one line
#
# An output of a linear layer is a sum over its inputs, $y = \sum_i w_i x_i$. With independent,
# zero-mean weights and inputs, the variances add up:
#
# $$\operatorname{Var}(y) = \text{fan\_in} \cdot \operatorname{Var}(w) \cdot \operatorname{E}[x^2]$$
#
# (plus the bias's variance, if there is a bias). To keep the signal's size from layer to layer, the
# weights' variance must shrink like $1/\text{fan\_in}$. The *fan-based* schemes do exactly that. For a
# weight of shape `(out_features, in_features, *kernel)`, fan_in = in_features × (product of the kernel
# sizes) and fan_out = out_features × (the same product), and
#
# - **Xavier (Glorot)**: std = gain · sqrt(2 / (fan_in + fan_out)), a compromise between the forward pass
#   (fan_in) and the backward pass (fan_out);
# - **Kaiming (He)**: std = gain / sqrt(fan), where `mode='fan_in'` (the default) keeps the forward
#   signal's spread and `mode='fan_out'` the gradients' spread in backward; the gain comes from
#   `calculate_gain(nonlinearity, a)`, `a` being the negative slope of a leaky ReLU.
#
# The `_uniform_` versions draw from U(-b, b) with b = sqrt(3) · std, since U(-b, b) has standard
# deviation b / sqrt(3); the `_normal_` versions draw from N(0, std²).
#
# The *gain* compensates for the non-linearity that follows: a ReLU zeroes half of its inputs and so
# halves $\operatorname{E}[x^2]$, which a gain of $\sqrt{2}$ makes up for.

# %%
for name in ('linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'):
    print(f'{name:10s} gain = {nn.init.calculate_gain(name):.4f}')

# %%
w = torch.empty(256, 128)  # fan_in = 128, fan_out = 256
schemes = {
    'xavier_uniform_': lambda t: nn.init.xavier_uniform_(t),
    'xavier_normal_': lambda t: nn.init.xavier_normal_(t),
    'kaiming_uniform_ (relu)': lambda t: nn.init.kaiming_uniform_(t, nonlinearity='relu'),
    'kaiming_normal_ (relu)': lambda t: nn.init.kaiming_normal_(t, nonlinearity='relu'),
}
expected = {
    'xavier_uniform_': math.sqrt(2 / (128 + 256)),
    'xavier_normal_': math.sqrt(2 / (128 + 256)),
    'kaiming_uniform_ (relu)': math.sqrt(2 / 128),
    'kaiming_normal_ (relu)': math.sqrt(2 / 128),
}
for name, fill in schemes.items():
    fill(w)
    print(f'{name:24s} std = {w.std().item():.4f}   (theory {expected[name]:.4f})')

# %% [markdown]
# ### Picture: what the schemes look like
#
# Histograms of a 128 × 128 weight filled by each scheme. The uniform ones have hard edges; the normal
# ones have tails (cut off at ±2 in `trunc_normal_`); `sparse_` puts a large share of exact zeros.

# %%
fills = [
    ('uniform_(-0.1, 0.1)', lambda t: nn.init.uniform_(t, -0.1, 0.1)),
    ('normal_(std=0.05)', lambda t: nn.init.normal_(t, std=0.05)),
    ('trunc_normal_(std=0.05, ±0.1)', lambda t: nn.init.trunc_normal_(t, std=0.05, a=-0.1, b=0.1)),
    ('xavier_uniform_', nn.init.xavier_uniform_),
    ('kaiming_normal_', nn.init.kaiming_normal_),
    ('kaiming_uniform_(a=√5) (Linear default)', lambda t: nn.init.kaiming_uniform_(t, a=math.sqrt(5))),
    ('orthogonal_', nn.init.orthogonal_),
    ('sparse_(0.5, std=0.05)', lambda t: nn.init.sparse_(t, 0.5, std=0.05)),
]
fig, axes = plt.subplots(2, 4, figsize=(14, 5.5), sharex=True)
for ax, (title, fill) in zip(axes.flat, fills):
    values = fill(torch.empty(128, 128)).numpy().ravel()
    ax.hist(values, bins=80, range=(-0.35, 0.35), color='tab:blue')
    ax.set_title(title, fontsize=9)
    ax.set_yticks([])
fig.suptitle('Weight values of a 128 x 128 matrix under each nn.init scheme')
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Initializing a whole network with `apply`
#
# `Module.apply(fn)` calls `fn` on every submodule (children first) and then on the module itself. A
# function that looks at the module type can therefore initialize all the layers of one kind at once.
# The decorator `@torch.no_grad()` makes sure nothing done inside is recorded by autograd: filling a
# parameter that requires grad in place is refused otherwise.

# %%
dynamic_net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))


# Define a function to initialize Linear weights.
# Note that no_grad() is used here to avoid tracking this computation in the autograd graph.
@torch.no_grad()
def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_normal_(m.weight)
        m.bias.fill_(0.0)


# Apply the function recursively on the module and its submodules.
_ = dynamic_net.apply(init_weights)
for i in (0, 2, 4):
    layer = dynamic_net[i]
    print(f'layer {i}: weight std={layer.weight.std().item():.3f}   bias all zero: {bool((layer.bias == 0).all())}')

# %% [markdown]
# Without `no_grad`, the in-place fill of a leaf that requires grad is an error:

# %% tags=["raises-exception"]
dynamic_net[0].bias.fill_(0.0)

# %% [markdown]
# `apply` visits children before parents. Printing the visit order makes that visible:

# %%
_ = dynamic_net.apply(lambda m: print(type(m).__name__))

# %% [markdown]
# ## 5. Skipping the default initialization
#
# If you are going to overwrite the weights anyway, running the default initialization first is wasted
# work (noticeable for huge layers). `nn.utils.skip_init` builds the module with uninitialized storage;
# you then fill it yourself. The module class must accept a `device` argument.

# %%
# Skip default parameter initialization and perform custom (e.g. orthogonal) initialization.
m = torch.nn.utils.skip_init(nn.Linear, 5, 3)
nn.init.orthogonal_(m.weight)
nn.init.zeros_(m.bias)
print(m)
print('W W^T == I (to 1e-5):', torch.allclose(m.weight @ m.weight.T, torch.eye(3), atol=1e-5))

# %% [markdown]
# ## 6. Why it matters: activations through a deep network
#
# Push a batch of standard-normal inputs through 20 layers of width 128 and watch the spread (standard
# deviation) of the activations after each layer.
#
# - With **tanh**, weights that are too small shrink the signal towards zero layer after layer;
#   weights that are too large saturate tanh at ±1. Xavier initialization with tanh's gain keeps the
#   spread roughly constant.
# - With **ReLU**, half of each layer's output is zeroed, so the weights must be $\sqrt{2}$ larger to
#   compensate: that is Kaiming (He) initialization. Xavier weights with gain 1 lose a factor of about
#   $\sqrt{2}$ per layer (about $2^{10} \approx 1000$ over 20 layers), while Xavier with tanh's larger
#   gain 5/3 overshoots and grows by about $5/(3\sqrt{2}) \approx 1.18$ per layer.

# %%
def activation_stds(nonlinearity, init_fn, depth=20, width=128, batch=256):
    """Std of the activations after each layer of a deep MLP initialised by init_fn(weight)."""
    act = nn.Tanh() if nonlinearity == 'tanh' else nn.ReLU()
    layers = [nn.Linear(width, width, bias=False) for _ in range(depth)]
    for layer in layers:
        init_fn(layer.weight)
    x = torch.randn(batch, width)
    stds = []
    with torch.no_grad():
        for layer in layers:
            x = act(layer(x))
            stds.append(x.std().item())
    return stds


inits = {
    'N(0, 0.01²)': lambda w: nn.init.normal_(w, std=0.01),
    'N(0, 1)': lambda w: nn.init.normal_(w, std=1.0),
    'Linear default': lambda w: nn.init.kaiming_uniform_(w, a=math.sqrt(5)),
    'xavier_normal_ (gain 1)': lambda w: nn.init.xavier_normal_(w),
    'xavier_normal_ (tanh gain)': lambda w: nn.init.xavier_normal_(w, gain=nn.init.calculate_gain('tanh')),
    'kaiming_normal_ (relu)': lambda w: nn.init.kaiming_normal_(w, nonlinearity='relu'),
}
torch.manual_seed(0)
results = {act: {name: activation_stds(act, fn) for name, fn in inits.items()} for act in ('tanh', 'relu')}

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for ax, act in zip(axes, ('tanh', 'relu')):
    for name, stds in results[act].items():
        ax.semilogy(range(1, len(stds) + 1), stds, marker='o', markersize=3, label=name)
    ax.set_title(f'{act} MLP, width 128')
    ax.set_xlabel('layer')
    ax.set_ylabel('std of activations')
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# The final-layer spreads, as numbers:

# %%
for act in ('tanh', 'relu'):
    print(act)
    for name, stds in results[act].items():
        print(f'   {name:28s} layer 20 std = {stds[-1]:.3g}')

# %% [markdown]
# Another way to see it: histograms of the tanh activations at a few depths. Small weights collapse
# everything into a spike at zero, large weights pile everything at ±1, and Xavier keeps a spread.

# %%
def tanh_activations(init_fn, depth=10, width=128, batch=256):
    layers = [nn.Linear(width, width, bias=False) for _ in range(depth)]
    for layer in layers:
        init_fn(layer.weight)
    x = torch.randn(batch, width)
    seen = []
    with torch.no_grad():
        for layer in layers:
            x = torch.tanh(layer(x))
            seen.append(x.numpy().ravel())
    return seen


chosen = ['N(0, 0.01²)', 'N(0, 1)', 'xavier_normal_ (tanh gain)']
fig, axes = plt.subplots(len(chosen), 3, figsize=(11, 7), sharex=True)
for row, name in enumerate(chosen):
    seen = tanh_activations(inits[name])
    for col, depth in enumerate((1, 5, 10)):
        ax = axes[row, col]
        ax.hist(seen[depth - 1], bins=60, range=(-1, 1), color='tab:green')
        ax.set_yticks([])
        ax.set_title(f'{name}: layer {depth}', fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Under the hood
#
# `nn.Linear` fills its parameters in `reset_parameters`, using `nn.init` like any user would:

# %%
print(inspect.getsource(nn.Linear.reset_parameters))

# %% [markdown]
# The fan-based schemes all start from the same helper in `minitorch/nn/init.py`; note the
# receptive field that makes it work for convolution weights too:

# %%
print(inspect.getsource(nn.init._calculate_fan_in_and_fan_out))

# %% [markdown]
# `skip_init` is in `minitorch/nn/utils/init.py`. PyTorch builds the module on its "meta" device and
# then allocates empty storage; minitorch instead switches the `nn.init` fill functions off while the
# constructor runs:

# %%
print(inspect.getsource(nn.utils.skip_init))

# %% [markdown]
# ## Exercises
#
# The exercises for this chapter are in `exercises/ch05_initialization.py`:
#
# 1. **ch05.1** `calculate_gain` and `fan_in_and_fan_out`, written yourself.
# 2. **ch05.2** `xavier_uniform_`, `xavier_normal_`, `kaiming_uniform_` and `kaiming_normal_` from the
#    formulas above, on top of your ch05.1 functions. The grader checks them by their statistics on large
#    random weights.
# 3. **ch05.3** *predict, then check*: the spread of a `Linear` layer's outputs, with its default start
#    and with Kaiming's, from the variance rule above.
# 4. **ch05.4** *debugging*: `init_cnn`, an initializer for a convolutional network, has three bugs. Find
#    and fix them.
#
# Check your work from the repository root with
#
# ```
# python -m grader --chapter 05
# ```

# %% [markdown]
# ## Recap
#
# - Modules initialize their parameters in the constructor; `nn.Linear` uses a uniform distribution
#   bounded by $1/\sqrt{\text{in\_features}}$.
# - `device=` and `dtype=` create parameters and floating buffers where and how you want them.
# - `nn.init` functions fill in place, outside autograd; combine them with `Module.apply` to initialize
#   a whole network.
# - `nn.utils.skip_init` avoids a default initialization you would overwrite anyway.
# - The scale of the weights decides whether activations vanish, explode or keep their spread: use
#   Xavier for tanh-like layers and Kaiming for ReLU layers.
