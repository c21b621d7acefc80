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
# # 10 · Quantization
#
# A trained network does not need 32-bit floats to give its answers. *Quantization* stores weights, and
# often activations too, as small integers (8 bits here) and computes with integer arithmetic: the model
# becomes about four times smaller, and integer matrix products are cheap on most hardware. The price is
# rounding error, which the tools of this chapter keep small. The modules note lists quantization among
# the advanced features that work with any `nn.Module`; this chapter makes it concrete.
#
# **Learning objectives**
#
# - explain what a scale and a zero point are, quantize and dequantize by hand, and predict the integers;
# - per-tensor and per-channel quantization, and what observers do with calibration data;
# - quantize the digits classifier three ways: dynamic, static (post-training, with fusion and
#   calibration) and quantization-aware training (fake quantization with straight-through gradients);
# - measure size, accuracy and speed, and find the layer that quantization hurts most;
# - save and load a quantized model with its weights stored as int8.
#
# PyTorch 2.13 still ships this "eager mode" quantization (`torch.ao.quantization`) and everything below
# follows it, but marks it deprecated in favour of the separate torchao project. Section 8 shows torchao's
# one-call form, `quantize_(model, config)`, running on the same machinery.

# %%
# %config InlineBackend.figure_formats = ['png']
import copy
import io
import inspect
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

import minitorch as torch
from minitorch import nn
from minitorch.ao import quantization as tq
from minitorch.datasets import load_digits
from minitorch.examples import train_digits
from minitorch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)

# %% [markdown]
# The first quantized tensor of a session triggers torch's deprecation notice (and `prepare` / `convert`
# add their own); we read it once and then silence these warnings for the rest of the chapter.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    torch.quantize_per_tensor(torch.zeros(1), 1.0, 0, torch.quint8)
print(str(caught[0].message)[:118], "...")
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=".*(deprecated|reduce_range).*")

# %% [markdown]
# ## 1. Scale and zero point
#
# An affine quantizer maps a real number x to an integer q with two parameters, the **scale** s (the
# step between neighbouring values) and the **zero point** z (the integer that stands for 0.0):
#
# $$q = \mathrm{clamp}(\mathrm{round}(x / s) + z,\; q_{min},\; q_{max}), \qquad \hat{x} = (q - z) \cdot s$$
#
# With `torch.quint8` the integers run from 0 to 255, with `torch.qint8` from -128 to 127. The zero
# point makes 0.0 exactly representable, which matters for padding and ReLU.

# %%
x = torch.tensor([-1.0, 0.0, 0.25, 0.35, 1.26, 2.0, 30.0])
q = torch.quantize_per_tensor(x, scale=0.1, zero_point=10, dtype=torch.quint8)
print(q)
print("integers:", q.int_repr())
print("back to float:", q.dequantize())
print(q.dtype, q.qscheme(), q.q_scale(), q.q_zero_point())

# %% [markdown]
# Three things to notice: 0.25 and 0.35 lie exactly half-way between two steps and go to the *even*
# integer (12 and 14); 30.0 is far beyond the largest representable value, (255 - 10) * 0.1 = 24.5, so
# it is clamped; and a quantized tensor prints its dequantized values followed by its parameters.
#
# Those integers are really stored: `int_repr()` returns them as a `uint8` tensor, one byte each.
# The picture shows the whole quantizer: dequantize(quantize(x)) is a staircase, and the error is a
# sawtooth between -s/2 and s/2, until clamping makes it grow without bound.

# %%
xs = torch.linspace(-2.0, 3.5, 2001)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
narrow = torch.ao.quantization.MinMaxObserver(quant_min=0, quant_max=15)  # 4-bit, to see the steps
narrow(torch.tensor([-1.0, 2.5]))
scale, zero = narrow.calculate_qparams()
fq = torch.fake_quantize_per_tensor_affine(xs, scale.item(), int(zero), 0, 15)
axes[0].plot(xs.numpy(), xs.numpy(), "k:", lw=1, label="x")
axes[0].plot(xs.numpy(), fq.numpy(), label="dequantize(quantize(x))")
axes[0].set_title(f"4-bit grid: scale {scale.item():.3f}, zero point {int(zero)}")
axes[0].legend()
axes[1].plot(xs.numpy(), (xs - fq).numpy())
axes[1].axhline(scale.item() / 2, color="gray", ls="--", lw=1)
axes[1].axhline(-scale.item() / 2, color="gray", ls="--", lw=1)
axes[1].set_title("error x - dequantize(quantize(x))")
plt.tight_layout()
plt.show()

# %% [markdown]
# (The plot uses a 4-bit range so that the steps are visible; `fake_quantize_per_tensor_affine` is
# quantize-then-dequantize in one call, more of it in section 6.)
#
# ## 2. Per tensor and per channel
#
# One scale for a whole weight matrix is set by its largest entry. When the rows (output channels) have
# very different magnitudes, small rows get few levels. **Per-channel** quantization gives each row its
# own scale, stored with the tensor:

# %%
torch.manual_seed(1)
w = torch.randn(4, 6) * torch.tensor([[0.02], [0.1], [0.5], [2.0]])
per_tensor = torch.quantize_per_tensor(w, (w.abs().max() / 127).item(), 0, torch.qint8)
scales = w.abs().amax(dim=1) / 127
per_channel = torch.quantize_per_channel(w, scales.double(), torch.zeros(4, dtype=torch.long), 0, torch.qint8)
print(per_channel.int_repr())
print(per_channel.q_per_channel_scales())
for name, qw in (("per tensor", per_tensor), ("per channel", per_channel)):
    error = (qw.dequantize() - w).abs().amax(dim=1)
    print(f"{name:12} largest error per row: {[round(e, 5) for e in error.tolist()]}")

# %% [markdown]
# The weights of a trained layer, with the int8 grid that per-tensor quantization puts over them
# (every 8th level drawn): most weights crowd near zero, so only a few dozen of the 256 levels are used
# much. This is why per-channel scales and careful range choices matter.

# %%
torch.manual_seed(0)
mlp, float_accuracy = train_digits.train("mlp", show_progress=False)
weights = mlp[1].weight.detach()
step = (weights.abs().max() / 127).item()
plt.figure(figsize=(8, 3))
plt.hist(weights.numpy().ravel(), bins=200, color="tab:blue")
for level in range(-128, 128, 8):
    plt.axvline(level * step, color="tab:orange", lw=0.4)
plt.title(f"layer 1 weights of the digits MLP, and the qint8 grid (scale {step:.4f})")
plt.xlabel("weight")
plt.show()
print(f"float32 test accuracy: {float_accuracy:.2%}")

# %% [markdown]
# ## 3. Observers choose the parameters
#
# To quantize activations we need their range *before* the model runs on real data. An **observer** is a
# module that watches tensors during calibration and then computes `(scale, zero_point)`:
#
# - `MinMaxObserver`: the smallest and largest value seen. Affine: scale = (max - min) / (qmax - qmin),
#   zero point = qmin - round(min / scale), with the range first widened to contain 0. Symmetric: scale =
#   max(|min|, |max|) / ((qmax - qmin) / 2), zero point in the middle.
# - `HistogramObserver`: a histogram of everything seen; it then moves the ends of the range inwards,
#   bin by bin, for as long as the total squared quantization error keeps dropping: rare outliers are
#   clipped when the finer steps gained for everyone else are worth more than the error on the outliers.

# %%
rng = np.random.default_rng(2)
data = torch.tensor(np.concatenate([rng.standard_normal(20000), rng.uniform(10, 40, 20)]).astype(np.float32))
for observer in (tq.MinMaxObserver(), tq.HistogramObserver()):
    observer(data)
    scale, zero = observer.calculate_qparams()
    error = torch.quantize_per_tensor(data, scale.item(), int(zero), torch.quint8).dequantize() - data
    print(f"{type(observer).__name__:18} scale {scale.item():.4f}  zero point {int(zero):3d}  "
          f"root mean squared error {(error ** 2).mean().sqrt().item():.5f}")

# %% [markdown]
# With 256 levels the histogram trims only a little here (clipping an outlier far out costs a lot
# of squared error); with a long, populated tail, or fewer levels, the difference grows.
#
# The qconfig (`QConfig(activation=..., weight=...)`) bundles the observer factories for a model.
# `get_default_qconfig("x86")` observes activations with a histogram over 7 bits (`reduce_range`, which
# keeps x86's 16-bit intermediate sums from saturating) and weights per channel, symmetric:

# %%
print(tq.get_default_qconfig("x86"))

# %% [markdown]
# ## 4. Dynamic quantization
#
# The quickest way in: `quantize_dynamic` replaces each `nn.Linear` by a version whose weights are int8
# and which quantizes its *input* on every call, from that input's own min and max. No calibration is
# needed, outputs stay float, and only the weights shrink on disk.

# %%
train_set, test_set = TensorDataset(*load_digits(train=True)), TensorDataset(*load_digits(train=False))
test_loader = DataLoader(test_set, batch_size=256)
dynamic = tq.quantize_dynamic(mlp, {nn.Linear}, dtype=torch.qint8)
print(dynamic)
print(f"dynamic int8 accuracy: {train_digits.evaluate(dynamic, test_loader):.2%}")

# %% [markdown]
# ## 5. Static (post-training) quantization
#
# Static quantization keeps tensors quantized *between* layers: int8 goes in, int8 comes out, and each
# layer needs its output's scale and zero point in advance. The recipe:
#
# 1. **mark** where quantization starts and ends: `QuantStub` and `DeQuantStub` (here `QuantWrapper`
#    puts them around the model);
# 2. **fuse** layers that will run as one: a Linear (or Conv2d) and the ReLU after it become one
#    quantized layer whose requantization clamps at the zero point; a BatchNorm folds into the conv before it;
# 3. **prepare**: the qconfig's observers are attached after every quantizable layer;
# 4. **calibrate**: run representative data through;
# 5. **convert**: each observed layer is swapped for its quantized twin.

# %%
fused = tq.fuse_modules(copy.deepcopy(mlp).eval(), [["1", "2"]])
model = tq.QuantWrapper(fused)
model.qconfig = tq.get_default_qconfig("x86")
prepared = tq.prepare(model)
print(prepared)

# %%
calibration = DataLoader(train_set, batch_size=64)
with torch.no_grad():
    for i, (images, _) in enumerate(calibration):
        prepared(images)
        if i == 7:
            break
static = tq.convert(prepared)
print(static)
print(f"static int8 accuracy: {train_digits.evaluate(static, test_loader):.2%}")

# %% [markdown]
# Inside, the tensors between the stubs really are quantized, and the ops that make sense on integers
# work on them directly (ReLU, max pooling, flattening and reshaping). Arithmetic that the quantized
# kind has no kernel for is refused, as in PyTorch:

# %%
images, labels = next(iter(test_loader))
inner = static.quant(images[:2])
print(inner.dtype, inner.shape, inner.q_scale(), inner.q_zero_point())
hidden = static.module[1](static.module[0](inner))
print(hidden.dtype, hidden.q_scale(), hidden.q_zero_point(), "min integer:", hidden.int_repr().min().item())

# %% tags=["raises-exception"]
hidden + hidden

# %% [markdown]
# ### Fusing a batch norm
#
# In eval mode a BatchNorm is an affine map per channel, so it folds into the convolution before it:
# w' = w · γ/√(var + ε) and b' = (b - mean) · γ/√(var + ε) + β. One layer, one rounding.

# %%
torch.manual_seed(3)
block = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU())
block[1].running_mean.copy_(torch.tensor([0.5, -0.2]))
block[1].running_var.copy_(torch.tensor([2.0, 0.5]))
block.eval()
folded = tq.fuse_modules(block, [["0", "1", "2"]])
print(folded)
gamma, var, eps = block[1].weight, block[1].running_var, block[1].eps
print("w' = w * gamma / sqrt(var + eps):",
      torch.allclose(folded[0][0].weight, block[0].weight * (gamma / (var + eps).sqrt()).reshape(-1, 1, 1, 1)))
sample = torch.randn(4, 1, 5, 5)
print("same outputs:", torch.allclose(folded(sample), block(sample), atol=1e-6))

# %% [markdown]
# ### What a quantized Linear computes
#
# With input integers a (zero point z_a), int8 weights W (symmetric, zero point 0) and the scales s_a,
# s_w, the layer computes the exact integer sums acc = Σ (a - z_a)·W in int32, then *requantizes*:
# y_q = round((acc + b / (s_a s_w)) · s_a s_w / s_y) + z_y. The integer part is exact: minitorch runs it
# on BLAS in float32 blocks small enough that no partial sum can round, and checks it against int64:

# %%
from minitorch._quantized.gemm import int_matmul

rng = np.random.default_rng(0)
a = rng.integers(0, 256, (64, 1024)).astype(np.uint8)
wq = rng.integers(-128, 128, (1024, 1024)).astype(np.int8)
exact = (a.astype(np.int64) - 128) @ wq.astype(np.int64).T
print("int_matmul == int64 reference:", np.array_equal(int_matmul(a, 128, wq, 0), exact))
print("largest |sum|:", np.abs(exact).max(), " float32 integers are exact up to", 2 ** 24)

# %% [markdown]
# ## 6. Quantization-aware training
#
# Post-training quantization rounds a model that never saw rounding. Quantization-aware training (QAT)
# lets training see it: `prepare_qat` swaps in layers whose weights pass through a **fake quantizer**
# (quantize and immediately dequantize, in float) and adds one after each layer's output. Rounding has
# a zero gradient almost everywhere, so the backward pass uses the **straight-through estimator**: the
# gradient passes unchanged where the value was inside the range and is zero where it was clamped.

# %%
xs = torch.linspace(-1.5, 1.5, 601, requires_grad=True)
out = torch.fake_quantize_per_tensor_affine(xs, 0.125, 0, -8, 7)
out.sum().backward()
fig, axes = plt.subplots(1, 2, figsize=(10, 3))
axes[0].plot(xs.detach().numpy(), out.detach().numpy())
axes[0].set_title("fake_quantize (scale 0.125, integers -8..7)")
axes[1].plot(xs.detach().numpy(), xs.grad.numpy())
axes[1].set_title("its gradient: 1 inside the range, 0 outside")
plt.tight_layout()
plt.show()

# %%
torch.manual_seed(4)
qat_model = tq.QuantWrapper(tq.fuse_modules_qat(copy.deepcopy(mlp).train(), [["1", "2"]]))
qat_model.qconfig = tq.get_default_qat_qconfig("x86")
qat_prepared = tq.prepare_qat(qat_model)
print(qat_prepared.module[1])
optimizer = torch.optim.SGD(qat_prepared.parameters(), lr=1e-3, momentum=0.9)
loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(4))
for epoch in range(2):
    for images, labels in loader:
        loss = nn.functional.cross_entropy(qat_prepared(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
qat = tq.convert(qat_prepared.eval())
print(f"QAT int8 accuracy: {train_digits.evaluate(qat, test_loader):.2%}")

# %% [markdown]
# ## 7. Size, accuracy, speed
#
# `state_dict` bytes count what the model holds (a quantized tensor: its integers, plus per-channel scales
# and zero points); the file is what `minitorch.save` writes. Both helpers come with the example
# `minitorch/examples/quantize_digits.py`:

# %%
from minitorch.examples.quantize_digits import file_bytes, state_dict_bytes

print(inspect.getsource(state_dict_bytes))
base_bytes, base_file = state_dict_bytes(mlp.state_dict()), file_bytes(mlp.state_dict())
print(f"{'digits MLP 64-128-10':22} {'accuracy':>9} {'state_dict':>11} {'file':>8}")
for name, m in (("float32", mlp), ("dynamic int8", dynamic), ("static int8", static), ("QAT int8", qat)):
    sd = m.state_dict()
    print(f"{name:22} {train_digits.evaluate(m, test_loader):9.2%} {state_dict_bytes(sd) / base_bytes:10.3f}x "
          f"{file_bytes(sd) / base_file:7.3f}x")

# %% [markdown]
# Not quite the 4x one might expect: this MLP is tiny (38 KB), and each layer keeps a float32 bias, a
# scale and zero point per output channel, and its entries in the file's header. The bookkeeping is per
# *channel*, the savings per *weight*, so wide layers come close to 0.25x. The digits models of
# `python -m minitorch.examples.quantize_digits` (an MLP 64-512-512-10 and a CNN with 32 and 64 channels)
# measure, in `benchmarks/bench_quantization.py`: state_dict and file 0.25-0.27x for the static and QAT
# models, accuracy within one test image of float32, and the same predictions as PyTorch's quantized
# models on every test digit. Their sizes do not depend on training, so we can check them here:

# %%
from minitorch.examples import quantize_digits

for kind in ("mlp", "cnn"):
    wide = quantize_digits.MODELS[kind]().eval()
    quantized = quantize_digits.quantize_static(wide, kind, [torch.randn(16, 1, 8, 8)])
    ratio = state_dict_bytes(quantized.state_dict()) / state_dict_bytes(wide.state_dict())
    print(f"wide digits {kind}: {state_dict_bytes(wide.state_dict()):8d} bytes float32, state_dict ratio "
          f"{ratio:.3f}x, file ratio {file_bytes(quantized.state_dict()) / file_bytes(wide.state_dict()):.3f}x")

# %% [markdown]
# Speed: a quantized Linear(1024, 1024) on a batch of 64 against the float one (your numbers will differ;
# `benchmarks/bench_quantization.py` measures this carefully, in fresh processes):

# %% tags=["nbval-ignore-output"]
layer = nn.Linear(1024, 1024).eval()
wrapped = tq.QuantWrapper(copy.deepcopy(layer))
wrapped.qconfig = tq.get_default_qconfig("x86")
observed = tq.prepare(wrapped)
inputs = torch.randn(64, 1024)
observed(inputs)
converted = tq.convert(observed)
qlayer, qinputs = converted.module, converted.quant(inputs)


def median_ms(fn, repeat=30):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


with torch.no_grad():
    float_ms, int8_ms = median_ms(lambda: layer(inputs)), median_ms(lambda: qlayer(qinputs))
print(f"float32 {float_ms:.2f} ms, int8 {int8_ms:.2f} ms, ratio {int8_ms / float_ms:.2f}")

# %% [markdown]
# **Which layer suffers most?** Forward hooks (chapter 06) can record each layer's output in the float and
# the quantized model; comparing them layer by layer shows where the error comes from (exercise ch10.4
# builds this as a function):

# %%
recorded = {}
handles = []
for kind, m in (("float", tq.QuantWrapper(fused)), ("int8", static)):
    for name, layer_ in m.named_modules():
        if name in ("module.1", "module.3"):
            handles.append(layer_.register_forward_hook(
                lambda mod, args, out, key=(kind, name): recorded.__setitem__(
                    key, out.dequantize() if out.is_quantized else out)))
with torch.no_grad():
    tq.QuantWrapper(fused).eval()(images)
    static(images)
for handle in handles:
    handle.remove()
errors = {name: ((recorded["float", name] - recorded["int8", name]).norm() / recorded["float", name].norm()).item()
          for name in ("module.1", "module.3")}
plt.figure(figsize=(5, 2.5))
plt.bar(["Linear+ReLU (64->128)", "Linear (128->10)"], list(errors.values()))
plt.ylabel("relative error")
plt.title("output error per layer, static int8")
plt.show()
print({name: round(value, 4) for name, value in errors.items()})

# %% [markdown]
# ## 8. The torchao-style one-call form
#
# torchao replaces prepare / convert by one in-place call per recipe. minitorch offers the two int8
# recipes on the same quantized tensors: dynamic activations with int8 weights (integer products), and
# int8 weights only (the product stays in float: smaller, not faster).

# %%
for config in (tq.Int8DynamicActivationInt8WeightConfig(), tq.Int8WeightOnlyConfig()):
    m = copy.deepcopy(mlp)
    tq.quantize_(m, config)
    print(type(config).__name__, "->", [type(layer_).__name__ for layer_ in m],
          f"accuracy {train_digits.evaluate(m, test_loader):.2%}")

# %% [markdown]
# ## 9. Saving a quantized model
#
# `minitorch.save` stores a quantized tensor as its integers (int8 on disk) plus its scale and zero point;
# the keys are PyTorch's (`_packed_params._packed_params` holds a Linear's weight and bias). Loading into
# a model of the same structure restores it exactly:

# %%
buffer = io.BytesIO()
torch.save(static.state_dict(), buffer)
buffer.seek(0)
restored_state = torch.load(buffer)
for key, value in list(restored_state.items())[:6]:
    print(f"{key:40} {value[0].dtype if isinstance(value, tuple) else getattr(value, 'dtype', value)}")
twin = tq.QuantWrapper(tq.fuse_modules(copy.deepcopy(mlp).eval(), [["1", "2"]]))
twin.qconfig = tq.get_default_qconfig("x86")
twin = tq.prepare(twin)
twin(images)  # any calibration: load_state_dict replaces the parameters
twin = tq.convert(twin)
twin.load_state_dict(restored_state)
print("same outputs after loading:", torch.equal(twin(images), static(images)))

# %% [markdown]
# ## Under the hood
#
# - `minitorch/_quantized/storage.py`: what a quantized tensor holds (`QuantizedData`: the integer array,
#   scale and zero point, or per-channel arrays and the axis), and quantize / dequantize with torch's
#   exact rounding.
# - `minitorch/_quantized/kernels.py`: the ops a quantized tensor supports, registered with the dispatch
#   door under the `QuantizedCPU` / `QuantizedCUDA` keys; every other op gets PyTorch's "Could not run" error.
# - `minitorch/_quantized/gemm.py` and `functional.py`: the exact integer product and the requantization of
#   Linear and Conv2d; on a GPU, `backends/cuda/kernels/qgemm.cu`.
# - `minitorch/ao/quantization/`: observers, fake quantizers, qconfigs, fusion, prepare / convert;
#   `minitorch/ao/nn/`: the quantized, dynamic, fused and QAT modules.
#
# The quantized Linear's forward is short:

# %%
print(inspect.getsource(type(static.module[3]).forward))

# %% [markdown]
# ## Exercises
#
# The exercises for this chapter are in `exercises/ch10_quantization.py`:
#
# 1. **ch10.1** `quantize` and `dequantize` from scratch: round, shift by the zero point, clamp, and back.
#    The grader compares them with `quantize_per_tensor` on random inputs, ties included.
# 2. **ch10.2** a `MinMaxObserver` of your own: running range, then torch's affine and symmetric rules
#    for the scale and zero point.
# 3. **ch10.3** *predict, then check*: the integers of section 1's vector, and the zero point an observer
#    picks for values from -1 to 3.
# 4. **ch10.4** *debugging*: `layer_errors` should measure each quantized layer's error, as in section 7,
#    but has three bugs. Find and fix them.
#
# Check your work from the repository root with
#
# ```
# python -m grader --chapter 10
# ```

# %% [markdown]
# ## Recap
#
# - q = clamp(round(x / s) + z): the scale is the step, the zero point the integer of 0.0; ties round to
#   even and values outside the range are clamped.
# - Per-channel scales follow each output channel's own range; observers pick scales and zero points from
#   calibration data (min/max, or a histogram that ignores outliers).
# - Dynamic quantization needs no calibration; static quantization keeps int8 between layers after fusing
#   and calibrating; QAT trains through fake quantization with straight-through gradients.
# - int8 weights are about 4x smaller; the integer products are exact; a quantized model saves and loads
#   with its integers intact.
