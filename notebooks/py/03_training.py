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
# # 03 · Training a network with modules
#
# A network is only useful once its parameters have been fitted to a task. Training repeats one small step
# many times: run the network, measure how wrong it is, ask autograd for the gradients, and let an optimizer
# nudge every parameter.
#
# **You will learn to**
#
# - create an optimizer from `net.parameters()` and write the training loop (forward, loss, zero the
#   gradients, backward, step);
# - check what training did to the parameters and to the optimizer's state;
# - switch between training and evaluation mode with `train()` / `eval()`, and see how `Dropout` and
#   `BatchNorm` change behaviour;
# - train a small classifier on real data (the handwritten digits that ship with minitorch) with a
#   `DataLoader`, and plot its loss and accuracy.

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
# ## The network from chapter 02
#
# We train the two-layer `Net` built from `MyLinear` bricks in the previous chapter.

# %%
class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_features, out_features))
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, input):
        return (input @ self.weight) + self.bias


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


# %% [markdown]
# ## An optimizer and a training loop
#
# The optimizers live in `torch.optim`. An optimizer is handed the parameters it may change, here all of
# them through `net.parameters()`, plus its settings: a learning rate, *weight decay* (a pull of every weight
# towards zero) and *momentum* (a buffer per parameter that keeps adding up past gradients, so that steps
# along a steady direction grow and noisy ones partly cancel). Printing it lists every setting of its single
# parameter group.

# %%
# Create the network (from previous section) and optimizer
net = Net()
optimizer = torch.optim.SGD(net.parameters(), lr=1e-4, weight_decay=1e-2, momentum=0.9)
print(optimizer)
print(net.l1.weight)

# %% [markdown]
# The task is deliberately silly: the network should output **zero** whatever the input. The loss is the
# absolute value of the output, so every non-zero output is penalised. Each iteration
#
# 1. takes an input (random here),
# 2. runs the network,
# 3. computes the loss,
# 4. clears the gradients left over from the previous iteration (each `backward()` *adds* to `.grad`),
# 5. calls `loss.backward()` so that every parameter's `.grad` holds d loss / d parameter,
# 6. calls `optimizer.step()` to update the parameters from those gradients.
#
# We also keep each loss to plot it afterwards.

# %%
# Run a sample training loop that "teaches" the network
# to output the constant zero function
losses = []
for _ in range(10000):
    input = torch.randn(4)
    output = net(input)
    loss = torch.abs(output)
    net.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

# After training, switch the module to eval mode to do inference, compute performance metrics, etc.
# (see discussion below for a description of training and evaluation modes)
net.eval()
print(net.training)

# %% [markdown]
# ## What changed
#
# The parameters are the same objects as before, but their values moved. The weight of the last layer is now
# close to zero, which is exactly what "output zero for every input" asks for:

# %%
print(net.l1.weight)

# %% [markdown]
# That gradients add up is also useful. To train with an effective batch k times larger than fits in
# memory, run backward on k batches in a row, each loss divided by k, so that `.grad` holds the average
# gradient, and only then call `step()` and clear the gradients. This is called *gradient accumulation*.
#
# ## Inside the optimizer
#
# The optimizer keeps state of its own: with momentum, one *momentum buffer* per parameter, in
# `optimizer.state`, a dict keyed by the parameter tensor itself. SGD's update for a parameter `p` with
# gradient `g` is
#
# ```
# g = g + weight_decay * p                              (when weight_decay != 0)
# buf = g  on p's first step,  else  buf = momentum * buf + (1 - dampening) * g
# g = g + momentum * buf  with nesterov=True,  else  g = buf
# p = p - lr * g
# ```
#
# With no dampening the buffer is not an average but an undamped sum, `g₀ + momentum·g₋₁ +
# momentum²·g₋₂ + ...`: for a steady gradient it grows towards `1 / (1 - momentum)` times the gradient,
# ten times with momentum 0.9. Here the random inputs make the gradients point in different directions
# from step to step, and much of the sum cancels; compare the buffer with the last gradient:

# %%
print(optimizer.state[net.l1.weight])
print(net.l1.weight.grad)
print([name for name, _ in net.named_parameters()], len(optimizer.state))

# %% [markdown]
# The settings live in `optimizer.param_groups`, a list of dicts: each holds its parameters under
# `'params'` and its own copy of every setting. Passing dicts instead of parameters gives each group its
# own settings (a missing one comes from the keyword arguments), and changing a group's value between
# steps takes effect at the next step; learning-rate schedulers work exactly like that.

# %%
grouped = torch.optim.SGD([{'params': net.l0.parameters()},
                           {'params': net.l1.parameters(), 'lr': 1e-3, 'nesterov': True}],
                          lr=1e-4, momentum=0.9)
for group in grouped.param_groups:
    print(len(group['params']), {k: v for k, v in group.items() if k in ('lr', 'momentum', 'nesterov')})
grouped.param_groups[0]['lr'] *= 0.5
print(grouped.param_groups[0]['lr'])

# %% [markdown]
# `state_dict()` packs both for saving: the parameters become numbers, 0, 1, 2, ... across the groups in
# order, and the state is keyed by those numbers. `load_state_dict` matches them back to the parameters of
# an optimizer built the same way.

# %%
saved = optimizer.state_dict()
print(saved['param_groups'][0]['params'], list(saved['state']))
print(saved['state'][3])
restored = torch.optim.SGD(net.parameters(), lr=1.0)
restored.load_state_dict(saved)
print(restored.param_groups[0]['lr'], torch.equal(restored.state[net.l1.bias]['momentum_buffer'],
                                                   optimizer.state[net.l1.bias]['momentum_buffer']))

# %% [markdown]
# The loss of single random inputs is noisy, so we plot a moving average over 200 iterations:

# %%
window = 200
smooth = np.convolve(losses, np.ones(window) / window, mode='valid')
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(np.arange(window - 1, len(losses)), smooth)
ax.set_xlabel('iteration')
ax.set_ylabel('|output| (moving average)')
ax.set_title('Teaching Net to output zero')
fig.tight_layout()
plt.show()


# %% [markdown]
# ## Training mode and evaluation mode
#
# Every module has a `training` flag: `True` when it is created, set for the whole tree by `train()` and
# cleared by `eval()` (which is `train(False)`). A module's `forward` may read it and behave differently.
# Train in training mode; switch to evaluation mode to run inference or compute metrics.
#
# A custom module that adds a constant only while training:

# %%
class ModalModule(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        if self.training:
            # Add a constant only in training mode.
            return x + 1.
        else:
            return x


m = ModalModule()
x = torch.randn(4)
print('training mode output: {}'.format(m(x)))

# %%
m.eval()
print('evaluation mode output: {}'.format(m(x)))

# %% [markdown]
# `train()` and `eval()` return the module itself and reach every submodule:

# %%
seq = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.BatchNorm1d(2))
print([mod.training for mod in seq.eval().modules()])
print([mod.training for mod in seq.train().modules()])

# %% [markdown]
# Two built-in layers depend on the mode:
#
# - **`nn.Dropout(p)`** in training mode zeroes each element with probability `p` and scales the survivors by
#   `1 / (1 - p)`, so the expected value is unchanged; in evaluation mode it passes its input through.
# - **`nn.BatchNorm1d`** in training mode normalises with the statistics of the current batch and updates
#   its running estimates (buffers `running_mean`, `running_var`); in evaluation mode it uses those running
#   estimates instead, so one sample's output does not depend on the rest of the batch.

# %%
dropout = nn.Dropout(p=0.5)
ones = torch.ones(8)
print('train:', dropout(ones))
dropout.eval()
print('eval: ', dropout(ones))

# %%
bn = nn.BatchNorm1d(1)
batch = torch.randn(256, 1) * 2 + 3  # mean 3, standard deviation 2
print(bn.running_mean, bn.running_var)
train_out = bn(batch)
print(bn.running_mean, bn.running_var, bn.num_batches_tracked)
bn.eval()
eval_out_early = bn(batch)  # running estimates after only one batch

bn.train()
for _ in range(50):
    _ = bn(torch.randn(256, 1) * 2 + 3)
bn.eval()
eval_out_late = bn(batch)
print(bn.running_mean, bn.running_var, bn.num_batches_tracked)

# %% [markdown]
# The picture: left, which elements Dropout kept for ten inputs of ones (training mode) compared with
# evaluation mode; right, what BatchNorm makes of the same batch in training mode, and in evaluation mode after
# one and after 51 batches of running statistics.

# %%
dropout.train()
with torch.no_grad():
    masks = torch.stack([dropout(torch.ones(16)) for _ in range(10)])
dropout.eval()
with torch.no_grad():
    masks_eval = torch.stack([dropout(torch.ones(16)) for _ in range(3)])

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={'width_ratios': [1, 1.3]})
image = ax0.imshow(torch.cat([masks, torch.full((1, 16), float('nan')), masks_eval]).numpy(), cmap='viridis',
                   vmin=0, vmax=2)
fig.colorbar(image, ax=ax0, label='output value', ticks=[0, 1, 2])
ax0.set_yticks([4.5, 12])
ax0.set_yticklabels(['train()', 'eval()'])
ax0.set_xlabel('element')
ax0.set_title('Dropout(p=0.5) on ones: 0 / 2 vs 1')
bins = np.linspace(-4, 6, 41)
for out, label in [(train_out, 'train(): batch statistics'),
                   (eval_out_early, 'eval() after 1 batch'),
                   (eval_out_late, 'eval() after 51 batches')]:
    ax1.hist(out.detach().numpy().ravel(), bins=bins, alpha=0.55, label=label)
ax1.set_xlabel('BatchNorm1d output')
ax1.set_title('BatchNorm1d on one batch (mean 3, std 2)')
ax1.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# After one batch the running estimates have moved only 10% of the way (momentum 0.1) from their start values
# (mean 0, variance 1), so evaluation mode barely normalises; after many batches they match the data and
# evaluation-mode outputs look like the training-mode ones.
#
# ## Going further: classifying handwritten digits
#
# Now a real task. minitorch ships the UCI handwritten digits: 8×8 grayscale images of the digits 0–9, split
# into 1,442 training and 355 test images. `load_digits(train=...)` returns them as tensors, and a
# `DataLoader` over a `TensorDataset` serves shuffled mini-batches.

# %%
from minitorch.datasets import load_digits
from minitorch.utils.data import DataLoader, TensorDataset

train_images, train_labels = load_digits(train=True)
test_images, test_labels = load_digits(train=False)
print(train_images.shape, train_images.dtype, train_labels.shape, train_labels.dtype)
print(test_images.shape)

generator = torch.Generator().manual_seed(0)
train_loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=32, shuffle=True,
                          generator=generator)
test_loader = DataLoader(TensorDataset(test_images, test_labels), batch_size=256)
images, labels = next(iter(train_loader))
print(images.shape, labels[:10])

# %%
fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
for ax, image, label in zip(axes, images, labels):
    ax.imshow(image[0].numpy(), cmap='gray_r')
    ax.set_title(int(label))
    ax.axis('off')
plt.show()

# %% [markdown]
# The model is a small multi-layer perceptron: flatten the 1×8×8 image to 64 numbers, one hidden layer of 128
# units with Dropout, and 10 outputs, one score (logit) per digit. `nn.CrossEntropyLoss` turns the scores
# into a classification loss. We use SGD with momentum again, now with a larger learning rate.

# %%
torch.manual_seed(0)
model = nn.Sequential(
    nn.Flatten(),
    nn.Linear(64, 128),
    nn.ReLU(),
    nn.Dropout(0.2),
    nn.Linear(128, 10),
)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
print(model)
print(sum(p.numel() for p in model.parameters()), 'parameters')


# %% [markdown]
# One epoch of training runs the loop of the first section over every mini-batch, in training mode. The
# evaluation runs in evaluation mode (Dropout off) and under `torch.no_grad()`, since no gradients are
# needed.

# %%
def train_epoch(model, loader, loss_fn, optimizer):
    model.train()
    total, count = 0.0, 0
    for images, labels in loader:
        loss = loss_fn(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        count += len(labels)
    return total / count


def evaluate(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
    return correct / len(loader.dataset)


print(f'test accuracy before training: {evaluate(model, test_loader):.1%}')

# %% [markdown]
# The loop shows a progress bar while it runs (`tqdm`, removed when done with `leave=False`); the results
# are printed by the next cell.

# %% tags=["nbval-ignore-output"]
from tqdm import tqdm

history = {'loss': [], 'train_acc': [], 'test_acc': []}
for epoch in tqdm(range(15), desc='epochs', leave=False):
    history['loss'].append(train_epoch(model, train_loader, loss_fn, optimizer))
    history['train_acc'].append(evaluate(model, train_loader))
    history['test_acc'].append(evaluate(model, test_loader))

# %%
for epoch in range(0, 15, 3):
    print(f"epoch {epoch + 1:2d}: loss {history['loss'][epoch]:.3f}  "
          f"train {history['train_acc'][epoch]:.1%}  test {history['test_acc'][epoch]:.1%}")
print(f"final test accuracy: {history['test_acc'][-1]:.1%}")

# %%
epochs = np.arange(1, 16)
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.4))
ax0.plot(epochs, history['loss'], marker='o')
ax0.set_xlabel('epoch')
ax0.set_ylabel('mean training loss')
ax0.set_title('Cross-entropy loss')
ax1.plot(epochs, history['train_acc'], marker='o', label='train')
ax1.plot(epochs, history['test_acc'], marker='o', label='test')
ax1.set_xlabel('epoch')
ax1.set_ylabel('accuracy')
ax1.set_title('Accuracy')
ax1.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The test images the model gets wrong, each with its true label and the model's guess:

# %%
model.eval()
with torch.no_grad():
    predictions = model(test_images).argmax(dim=1)
wrong = np.flatnonzero((predictions != test_labels).numpy())
print(f'{len(wrong)} of {len(test_labels)} test images misclassified')
shown = wrong[:10]
fig, axes = plt.subplots(1, len(shown), figsize=(1.1 * len(shown), 1.7), squeeze=False)
for ax, i in zip(axes[0], shown):
    ax.imshow(test_images[i][0].numpy(), cmap='gray_r')
    ax.set_title(f'true {int(test_labels[i])}\nguess {int(predictions[i])}', fontsize=9, color='tab:red')
    ax.axis('off')
plt.show()

# %% [markdown]
# ## Under the hood
#
# `train()` sets the flag on the module and recurses into the children; `eval()` is `train(False)`. The SGD
# update itself is described in the class docstring of `minitorch/optim/sgd.py`; its `step()` updates each
# parameter's array in place (with a fused CUDA kernel on the GPU).

# %%
import inspect
import os

print(os.path.relpath(inspect.getsourcefile(nn.Module), os.path.dirname(torch.__file__)))
print(inspect.getsource(nn.Module.train))
print(os.path.relpath(inspect.getsourcefile(torch.optim.SGD), os.path.dirname(torch.__file__)))
print(torch.optim.SGD.__doc__)

# %% [markdown]
# ## Exercises
#
# Open `exercises/ch03_training.py` and replace each `raise NotImplementedError(...)`:
#
# - **ch03.1** `MySGD`: an optimizer from scratch with everything this chapter showed: parameter groups
#   with their own settings, per-parameter state keyed by the parameter, `state_dict` /
#   `load_state_dict`, and SGD's update with momentum, dampening, Nesterov and weight decay, step for step
#   the same as `torch.optim.SGD`.
# - **ch03.2** *predict, then check*: the momentum buffer of a parameter whose gradient is always 1.
# - **ch03.3** *debugging*: `train_accumulating`, a training loop with gradient accumulation, runs but is
#   wrong in four places. Find and fix them.
#
# Check your work from the repository root:
#
# ```
# python -m grader --chapter 03
# ```
#
# ## Recap
#
# - An optimizer is created from `model.parameters()`; the loop is forward → loss → `zero_grad()` →
#   `backward()` → `step()`.
# - Training changes parameter values in place; optimizers keep per-parameter state (momentum buffers, an
#   undamped sum of past gradients) keyed by the parameter, and their settings per parameter group.
# - `backward()` adds to `.grad`: clear it every step, or use that on purpose to accumulate gradients.
# - `train()` / `eval()` flip the `training` flag of the whole tree. Dropout drops only in training mode;
#   BatchNorm uses batch statistics (and updates running ones) in training mode and the running ones in
#   evaluation mode.
# - Evaluate in `eval()` mode under `torch.no_grad()`; go back to `train()` before training again.
