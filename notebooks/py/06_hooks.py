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
# # 06 · Module hooks
#
# A hook is a function you attach to a module so that it runs every time data (forward) or gradients
# (backward) pass through that module. Hooks let you watch or change a computation without editing
# the module's code, which makes them work just as well on layers you did not write.
#
# **Learning objectives**
#
# - register forward pre-hooks, forward hooks and full backward hooks, and remove them with their handle;
# - change inputs, outputs and gradients from a hook by returning a new value;
# - install global hooks that apply to every module;
# - know the order in which hooks run;
# - build tools from hooks: an activation-statistics recorder and a per-layer gradient-norm monitor.

# %%
# %config InlineBackend.figure_formats = ['png']
import inspect

import matplotlib.pyplot as plt
import numpy as np

import minitorch as torch
from minitorch import nn

torch.manual_seed(0)
np.random.seed(0)

# %% [markdown]
# ## 1. The four kinds of module hook
#
# | registered with | called | signature | may return |
# |---|---|---|---|
# | `register_forward_pre_hook` | before `forward` | `hook(module, args)` | new args |
# | `register_forward_hook` | after `forward` | `hook(module, args, output)` | new output |
# | `register_full_backward_pre_hook` | when the output's gradient arrives | `hook(module, grad_output)` | new grad_output |
# | `register_full_backward_hook` | once the input's gradient is computed | `hook(module, grad_input, grad_output)` | new grad_input |
#
# Positional inputs always reach a hook as a tuple (`args`), even when there is just one; outputs are
# passed as `forward` returned them. Returning `None` leaves things unchanged.
#
# The demo below defines one hook of each kind, each of which *changes* the computation:

# %%
torch.manual_seed(1)


def forward_pre_hook(m, inputs):
    # Allows for examination and modification of the input before the forward pass.
    # Note that inputs are always wrapped in a tuple.
    input = inputs[0]
    return input + 1.


def forward_hook(m, inputs, output):
    # Allows for examination of inputs / outputs and modification of the outputs
    # after the forward pass. Note that inputs are always wrapped in a tuple while outputs
    # are passed as-is.

    # Residual computation a la ResNet.
    return output + inputs[0]


def backward_hook(m, grad_inputs, grad_outputs):
    # Allows for examination of grad_inputs / grad_outputs and modification of
    # grad_inputs used in the rest of the backwards pass. Note that grad_inputs and
    # grad_outputs are always wrapped in tuples.
    new_grad_inputs = [torch.ones_like(gi) * 42. for gi in grad_inputs]
    return new_grad_inputs


# Create sample module & input.
m = nn.Linear(3, 3)
x = torch.randn(2, 3, requires_grad=True)

# %% [markdown]
# ### Forward hooks

# %%
# ==== Demonstrate forward hooks. ====
# Run input through module before and after adding hooks.
print('output with no forward hooks: {}'.format(m(x)))

# %%
# Note that the modified input results in a different output.
forward_pre_hook_handle = m.register_forward_pre_hook(forward_pre_hook)
print('output with forward pre hook: {}'.format(m(x)))

# %%
# Note the modified output.
forward_hook_handle = m.register_forward_hook(forward_hook)
print('output with both forward hooks: {}'.format(m(x)))

# %% [markdown]
# The output's `grad_fn` changed from `AddmmBackward0` to `AddBackward0`: the last operation is now
# the forward hook's addition. Registering returns a *handle*; `handle.remove()` detaches the hook.

# %%
# Remove hooks; note that the output here matches the output before adding hooks.
forward_pre_hook_handle.remove()
forward_hook_handle.remove()
print('output after removing forward hooks: {}'.format(m(x)))

# %% [markdown]
# ### Backward hooks

# %%
# ==== Demonstrate backward hooks. ====
m(x).sum().backward()
print('x.grad with no backwards hook: {}'.format(x.grad))

# %%
# Clear gradients before running backward pass again.
m.zero_grad()
x.grad.zero_()

backward_hook_handle = m.register_full_backward_hook(backward_hook)
m(x).sum().backward()
print('x.grad with backwards hook: {}'.format(x.grad))

# %% [markdown]
# The hook replaced the gradient flowing *out of* the module towards its input, so `x.grad` is all 42s.
# The module's own parameter gradients are computed before the hook runs and are not affected. Remove
# the hook when you are done, as with forward hooks:

# %%
backward_hook_handle.remove()
x.grad.zero_()
m(x).sum().backward()
print('x.grad after removing the backward hook: {}'.format(x.grad))

# %% [markdown]
# A handle also works as a context manager, which guarantees the hook is removed even if the code
# inside raises:

# %%
with m.register_forward_hook(lambda mod, args, out: out * 0):
    print('inside :', m(x).sum().item())
print('outside:', m(x).sum().item() != 0)

# %% [markdown]
# ## 2. Global hooks
#
# `nn.modules.module.register_module_forward_pre_hook`, `register_module_forward_hook` and
# `register_module_full_backward_hook` install a hook on *every* module, including ones created later.
# They are meant for debugging and profiling tools; remove them when done, since they affect all code in
# the process.

# %%
seen = []
handle = nn.modules.module.register_module_forward_hook(
    lambda mod, args, out: seen.append(f'{type(mod).__name__} -> {tuple(out.shape)}'))
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
net(torch.randn(5, 4))
handle.remove()
print('\n'.join(seen))

# %% [markdown]
# Note the order: children finish their forward before their parent, so the `Sequential` is last.

# %% [markdown]
# ## 3. Hook execution order, shown explicitly
#
# Attach a hook of every kind, local and global, to a two-layer network, and let each one write its
# name into a log during one forward and one backward pass.

# %%
log = []


def tracer(label):
    """A hook (of any kind) that logs `label` with the module's class name and returns None."""
    def hook(module, *args):
        log.append(f'{label:24s} {type(module).__name__}')
    return hook


net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
handles = [
    nn.modules.module.register_module_forward_pre_hook(tracer('global forward pre-hook')),
    nn.modules.module.register_module_forward_hook(tracer('global forward hook')),
    nn.modules.module.register_module_full_backward_hook(tracer('global backward hook')),
    net[0].register_forward_pre_hook(tracer('forward pre-hook')),
    net[0].register_forward_hook(tracer('forward hook')),
    net[0].register_full_backward_pre_hook(tracer('backward pre-hook')),
    net[0].register_full_backward_hook(tracer('backward hook')),
]
out = net(torch.randn(3, 2, requires_grad=True))
log.append('--- backward ---')
out.sum().backward()
for h in handles:
    h.remove()
print('\n'.join(log))

# %% [markdown]
# The rules this shows:
#
# - global hooks run before a module's own hooks of the same kind;
# - forward: pre-hooks, then `forward`, then forward hooks; a container's pre-hooks run before its
#   children's, its forward hooks after theirs;
# - backward runs in reverse: the last module used is the first to see its gradients; for one module,
#   the backward pre-hook (output gradient known) comes before the backward hook (input gradient known).
#
# Within one kind, hooks run in registration order; `prepend=True` puts a new hook first:

# %%
log.clear()
lin = nn.Linear(2, 2)
lin.register_forward_hook(tracer('registered first'))
lin.register_forward_hook(tracer('registered second'))
lin.register_forward_hook(tracer('prepended'), prepend=True)
lin(torch.zeros(1, 2))
print('\n'.join(log))

# %% [markdown]
# ### The registry behind the handles
#
# Each module keeps its hooks in ordered dicts, `_forward_pre_hooks` and `_forward_hooks` (and two more
# for backward), keyed by the `id` of the handle that registration returned. Handles take their ids from
# one counter, so every id is new; `handle.remove()` deletes that id from the dicts it belongs to
# (removing twice does nothing). Two options are kept as flags in dicts keyed the same way:
#
# - `with_kwargs=True`: the hook also receives the keyword arguments, `hook(module, args, kwargs)` for a
#   pre-hook (which may return a new `(args, kwargs)` pair) and `hook(module, args, kwargs, output)` for a
#   forward hook;
# - `always_call=True` (forward hooks only): the hook runs even when a pre-hook, `forward` or an earlier
#   forward hook raises, with the output so far (`None` if `forward` did not finish); then the error
#   goes on.
#
# A call goes over a copy of each dict as it is when its loop starts, so a hook that removes itself, or
# registers another, changes only the later calls.

# %%
class Scale(nn.Module):
    def forward(self, x, factor=1.0):
        if factor < 0:
            raise ValueError('factor must not be negative')
        return x * factor


scale = Scale()
plain = scale.register_forward_hook(lambda mod, args, out: print('  plain forward hook'))
always = scale.register_forward_hook(lambda mod, args, out: print('  always_call hook, output', out),
                                     always_call=True)
scale.register_forward_pre_hook(lambda mod, args, kwargs: print('  pre-hook sees', kwargs), with_kwargs=True)
print(list(scale._forward_hooks) == [plain.id, always.id], list(scale._forward_hooks_always_called) == [always.id])
print('a call that works:')
print('  result', scale(torch.ones(1), factor=2.0))
print('a call that fails:')

# %% tags=["raises-exception"]
scale(torch.ones(1), factor=-1.0)

# %% [markdown]
# ## 4. Tool: an activation-statistics recorder
#
# Forward hooks are the standard way to look *inside* a network while it runs. This recorder attaches
# a hook to every `Linear` and keeps the mean and standard deviation of each layer's output, plus a
# sample of values for histograms. We use it on a deep tanh MLP with two initializations from
# chapter 05.

# %%
class ActivationRecorder:
    """Forward hooks on every nn.Linear of a model, storing statistics of each layer's output."""

    def __init__(self, model):
        self.stats = {}
        self.values = {}
        self.handles = [module.register_forward_hook(self._hook(name))
                        for name, module in model.named_modules() if isinstance(module, nn.Linear)]

    def _hook(self, name):
        def hook(module, args, output):
            out = output.detach()
            self.stats[name] = (out.mean().item(), out.std().item())
            self.values[name] = torch.tanh(out).numpy().ravel()  # what the next tanh will produce
        return hook

    def remove(self):
        for handle in self.handles:
            handle.remove()


def deep_tanh_mlp(init_fn, depth=6, width=128):
    layers = []
    for _ in range(depth):
        linear = nn.Linear(width, width)
        init_fn(linear.weight)
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.Tanh()]
    return nn.Sequential(*layers)


inits = {
    'normal_(std=0.5)': lambda w: nn.init.normal_(w, std=0.5),
    'xavier_normal_(gain=5/3)': lambda w: nn.init.xavier_normal_(w, gain=nn.init.calculate_gain('tanh')),
}
x = torch.randn(256, 128)
recorded = {}
for name, init_fn in inits.items():
    model = deep_tanh_mlp(init_fn)
    recorder = ActivationRecorder(model)
    with torch.no_grad():
        model(x)
    recorder.remove()
    recorded[name] = recorder

for name, rec in recorded.items():
    print(name)
    for layer, (mean, std) in rec.stats.items():
        print(f'   layer {layer:3s} mean={mean:+.3f} std={std:.3f}')

# %%
fig, axes = plt.subplots(len(recorded), 6, figsize=(15, 5), sharex=True)
for row, (name, rec) in enumerate(recorded.items()):
    for col, (layer, values) in enumerate(rec.values.items()):
        ax = axes[row, col]
        ax.hist(values, bins=50, range=(-1, 1), color='tab:purple')
        ax.set_yticks([])
        ax.set_title(f'layer {layer}', fontsize=9)
    axes[row, 0].set_ylabel(name, fontsize=9)
fig.suptitle('tanh activations after each Linear, recorded by forward hooks')
plt.tight_layout()
plt.show()

# %% [markdown]
# With large weights the activations pile up at ±1 (saturated tanh units, whose gradient is almost
# zero); with Xavier's tanh gain they keep a spread all the way down.

# %% [markdown]
# ## 5. Tool: gradient norms per layer with backward hooks
#
# A full backward hook sees `grad_output`, the gradient of the loss with respect to a module's output.
# Its norm at each layer tells whether gradients vanish or explode on their way back to the first
# layer. We compare a deep sigmoid network (gradients shrink by at least 4x per sigmoid) with a ReLU
# network initialized with Kaiming's scheme.
#
# Note the default argument `name=name` in the hook below: it binds each hook to its own layer's name
# when the hook is made. A hook that used the loop variable `name` directly would look it up only when it
# runs, after the loop has finished, and every hook would see the last layer's name.

# %%
def grad_norms(model, x):
    """Norm of the gradient arriving at each Linear's output, from input to output layer."""
    norms = {}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            def hook(module, grad_input, grad_output, name=name):
                norms[name] = grad_output[0].norm().item()
            handles.append(module.register_full_backward_hook(hook))
    model(x).pow(2).mean().backward()
    for h in handles:
        h.remove()
    return [norms[name] for name in sorted(norms, key=int)]


def deep_net(act, depth=10, width=64):
    layers = []
    for _ in range(depth):
        linear = nn.Linear(width, width)
        if act is nn.ReLU:
            nn.init.kaiming_normal_(linear.weight, nonlinearity='relu')
        layers += [linear, act()]
    return nn.Sequential(*layers[:-1])


torch.manual_seed(0)
x = torch.randn(128, 64, requires_grad=True)  # so the first layer also gets a grad_input
curves = {'sigmoid, default init': grad_norms(deep_net(nn.Sigmoid), x),
          'relu, kaiming_normal_': grad_norms(deep_net(nn.ReLU), x)}

fig, ax = plt.subplots(figsize=(7, 4))
for label, norms in curves.items():
    ax.semilogy(range(1, len(norms) + 1), norms, marker='o', label=label)
ax.set_xlabel('Linear layer (1 = closest to the input)')
ax.set_ylabel('‖dL/d output‖')
ax.set_title('Gradient norm per layer, measured with full backward hooks')
ax.legend()
plt.tight_layout()
plt.show()

# %%
for label, norms in curves.items():
    print(f'{label:22s} first layer / last layer = {norms[0] / norms[-1]:.2g}')

# %% [markdown]
# ## 6. When a hook's return value is checked
#
# A backward hook must return one gradient per input (or `None`). Returning the wrong number is an
# error raised during `backward`:

# %% tags=["raises-exception"]
bad = nn.Linear(3, 3)
bad.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
bad(torch.randn(2, 3, requires_grad=True)).sum().backward()

# %% [markdown]
# ## Under the hood
#
# Every call of a module goes through `Module._call_impl` in `minitorch/nn/modules/module.py`.
# When no hook is registered anywhere it simply calls `forward`; otherwise it runs the pre-hooks, wraps
# inputs and outputs for the backward hooks, calls `forward` and then the forward hooks:

# %%
print(inspect.getsource(nn.Module._call_impl))

# %% [markdown]
# The pre-hook runner shows how a returned value replaces the arguments (a non-tuple is wrapped):

# %%
print(inspect.getsource(nn.Module._run_forward_pre_hooks))

# %% [markdown]
# ## Exercises
#
# The exercises for this chapter are in `exercises/ch06_hooks.py`:
#
# 1. **ch06.1** `RemovableHandle` and `HookedModule`: the forward-hook machinery of this chapter built
#    from scratch, with registration order, `prepend`, `with_kwargs`, `always_call` and handles that
#    remove. The grader replays random registrations, removals and calls on it and on `nn.Module`.
# 2. **ch06.2** *predict, then check*: the order in which the hooks of a small network run, forward and
#    backward.
# 3. **ch06.3** *debugging*: `GradientMonitor` records gradient norms with backward hooks, but has three
#    bugs. Find and fix them.
#
# Check your work from the repository root with
#
# ```
# python -m grader --chapter 06
# ```

# %% [markdown]
# ## Recap
#
# - Forward pre-hooks see (and may replace) the inputs; forward hooks see the inputs and the output
#   (and may replace the output); full backward hooks see the gradients and may replace `grad_input`.
# - Every registration returns a handle: `handle.remove()`, or use it in a `with` block.
# - Global hooks apply to all modules; they run before a module's own hooks.
# - Forward hooks make activation monitors; backward hooks make gradient monitors, without touching
#   the model's code.
