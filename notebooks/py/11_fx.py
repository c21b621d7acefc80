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
# # 11 · Transforming modules with FX
#
# The modules note ends its tour with FX: "PyTorch's FX component provides a flexible way to transform
# modules by operating directly on module computation graphs. This can be used to programmatically generate
# or manipulate modules for various use cases." This chapter makes that concrete. We capture a module's
# `forward` as a graph, read it three ways (a list of nodes, a table, Python code), change it with passes,
# and run the result as an ordinary module.
#
# **Learning objectives**
#
# - trace a module with `fx.symbolic_trace` and read its `graph`, `print_tabular()` and `code`;
# - know the six kinds of node and which Python operations produce which;
# - write passes: edit the graph directly, rewrite it with a `Transformer`, match and replace patterns;
# - fold batch norms into convolutions and check the outputs and the speed-up;
# - annotate nodes with shapes (`ShapeProp`), count FLOPs and time each node;
# - know what tracing cannot capture, and why.

# %%
# %config InlineBackend.figure_formats = ['png']
import inspect
import io
import timeit

import matplotlib.pyplot as plt

import minitorch as torch
from minitorch import fx, nn
from minitorch.examples.train_digits import build_model
from minitorch.fx.drawing import draw_graph
from minitorch.fx.experimental.optimization import fuse
from minitorch.fx.passes.shape_prop import ShapeProp
from minitorch.fx.profiling import NodeProfiler
from minitorch.nn import functional as F

_ = torch.manual_seed(0)

# %% [markdown]
# ## Tracing a module
#
# `symbolic_trace` runs `forward` once, not on tensors but on *proxies*: stand-in values that record every
# operation done with them. The result is a `GraphModule`, an `nn.Module` whose `forward` was written from
# the recorded graph. Here is a building block in the style of chapter 02:

# %%
class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.linear = nn.Linear(n, n)
        self.gain = nn.Parameter(torch.ones(n))

    def forward(self, x):
        return F.relu(self.linear(x)) * self.gain + x


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(Block(4), Block(4))
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.blocks(x)).softmax(dim=-1)


mlp = MLP()
gm = fx.symbolic_trace(mlp)
print(gm.graph)

# %% [markdown]
# Each line is a **node**. Its opcode says what kind of operation it is:
#
# | opcode | made by | target |
# | --- | --- | --- |
# | `placeholder` | an argument of `forward` | the argument's name |
# | `get_attr` | reading a parameter or buffer (`self.gain`) | its dotted path |
# | `call_module` | calling a *leaf* submodule (minitorch's own layers) | the submodule's path |
# | `call_function` | a function: `F.relu(x)`, `torch.cat(...)`, an operator such as `+` | the function |
# | `call_method` | a tensor method: `x.softmax(dim=-1)` | the method's name |
# | `output` | the `return` | `output` |
#
# `Block` is not a leaf: it is our own module, so the tracer went *into* its `forward`, and so the graph
# has no `Block` in it, only what `Block` does. The same graph as a table:

# %%
gm.graph.print_tabular()

# %% [markdown]
# And as Python, the code that now *is* `gm.forward`. Note how each value is set to `None` after its last
# use, so that memory is freed as early as in hand-written code:

# %%
print(gm.code)

# %% [markdown]
# The traced module computes exactly what the original does:

# %%
x = torch.randn(3, 4)
print(torch.equal(gm(x), mlp(x)))

# %% [markdown]
# ### The digits CNN
#
# The convolutional network of chapter 03 is an `nn.Sequential`, and its layers are all leaves, so its
# graph is a chain of `call_module` nodes. `minitorch.fx.drawing.draw_graph` draws a graph with matplotlib
# (one box per node, coloured by opcode, an arrow from each value to its users):

# %%
cnn = build_model("cnn")
cnn_gm = fx.symbolic_trace(cnn)
cnn_gm.graph.print_tabular()

# %%
ax = draw_graph(fx.symbolic_trace(mlp))
ax.set_title("MLP: the traced graph")
plt.show()

# %% [markdown]
# ## How tracing sees your code
#
# Three mechanisms record operations, and between them they see everything `forward` does to a proxy:
#
# 1. **Operators** (`a + b`, `x[0]`, `-x`) are the proxy's own dunder methods; they record
#    `operator.add`, `operator.getitem`, ...
# 2. **Attributes and methods** (`x.shape`, `x.view(-1)`) go through the proxy's `__getattr__`.
# 3. **minitorch functions** (`torch.add`, `F.relu`) pass the dispatch door that every public op passes
#    (chapter 00), and the door hands a call with a proxy to `Proxy.__torch_function__`, with the function
#    and the arguments exactly as PyTorch hands them (note `inplace=False`, which `F.relu` passes on):

# %%
def f(x):
    return torch.add(F.relu(x), 1), x.shape[0] * 2


print(fx.symbolic_trace(f).code)

# %% [markdown]
# Submodule calls and parameter reads are caught too: while a trace runs, `Module.__call__` and
# `Module.__getattr__` are swapped for the tracer's own versions. None of this is installed outside a trace,
# so ordinary code pays nothing for it.
#
# A graph can also be built by hand, node by node:

# %%
graph = fx.Graph()
a = graph.placeholder("a")
b = graph.call_function(torch.mul, (a, 3))
c = graph.call_method("exp", (b,))
graph.output(c)
made = fx.GraphModule(nn.Module(), graph)
print(made.code)
print(made(torch.zeros(2)))

# %% [markdown]
# ## Writing passes
#
# A *pass* is a function that walks a graph and changes it. After changing `gm.graph`, call
# `gm.recompile()` to write the code again.
#
# ### Swap an activation by editing the graph
#
# Setting `node.target` replaces the function a node calls. This pass swaps `F.relu` calls (function
# calls only: a ReLU written as a method or as an `nn.ReLU` module stays):

# %%
def relu_calls_to_gelu(gm):
    for node in gm.graph.nodes:
        if node.op == "call_function" and node.target is F.relu:
            node.target = F.gelu
            node.kwargs = {}  # F.gelu takes no `inplace`
    gm.recompile()
    return gm


swapped = relu_calls_to_gelu(fx.symbolic_trace(mlp))
print(swapped.code)

# %% [markdown]
# ### Insert a node
#
# `graph.inserting_after(node)` makes new nodes go right after `node`. Here each linear layer's output is
# clamped to [-1, 1]; `replace_all_uses_with` reroutes the users, and the `delete_user_cb` keeps the new
# clamp itself reading the original value:

# %%
clamped = fx.symbolic_trace(mlp)
for node in list(clamped.graph.nodes):
    if node.op == "call_module" and isinstance(clamped.get_submodule(node.target), nn.Linear):
        with clamped.graph.inserting_after(node):
            clamp = clamped.graph.call_method("clamp", (node,), {"min": -1.0, "max": 1.0})
        node.replace_all_uses_with(clamp, delete_user_cb=lambda user: user is not clamp)
clamped.graph.lint()
clamped.recompile()
print(clamped.code)

# %% [markdown]
# ### A `Transformer`
#
# An `Interpreter` runs a graph node by node, one method per opcode; a `Transformer` does the same with
# proxies and so builds a new graph. Override one opcode method to rewrite that kind of node. This one
# turns every `x.softmax(...)` into a `log_softmax`:

# %%
class SoftmaxToLogSoftmax(fx.Transformer):
    def call_method(self, target, args, kwargs):
        if target == "softmax":
            target = "log_softmax"
        return super().call_method(target, args, kwargs)


logged = SoftmaxToLogSoftmax(fx.symbolic_trace(mlp)).transform()
print(logged.code)
print(torch.allclose(logged(x), mlp(x).log(), atol=1e-6))

# %% [markdown]
# ### Replace a pattern
#
# `fx.replace_pattern(gm, pattern, replacement)` traces two small functions and replaces every copy of the
# first in `gm` by the second. `x * sigmoid(x)` is SiLU, which has one fused function:

# %%
class Swish(nn.Module):
    def forward(self, x):
        y = x * torch.sigmoid(x)
        return y * torch.sigmoid(y) + 1


def pattern(x):
    return x * torch.sigmoid(x)


def replacement(x):
    return F.silu(x)


swish = fx.symbolic_trace(Swish())
matches = fx.replace_pattern(swish, pattern, replacement)
print(len(matches), "matches")
print(swish.code)
print(torch.allclose(swish(x), Swish()(x), atol=1e-6))

# %% [markdown]
# ## Folding batch norms into convolutions
#
# In eval mode a batch norm is a fixed affine map per channel, so it can be merged into the weights and
# bias of the convolution before it: one layer instead of two, the same outputs. `fuse` finds each
# `Conv2d -> BatchNorm2d` pair in the graph (the convolution's output used only by the batch norm),
# computes the merged layer and drops the batch-norm node:

# %%
def conv_bn_net():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 4 * 4, 10))


net = conv_bn_net()
net.train()
for _ in range(3):  # a few training-mode passes give the batch norms non-trivial running statistics
    net(torch.randn(64, 1, 8, 8) * 2 + 0.5)
net.eval()
fused = fuse(net)
print(fused.code)

# %%
images = torch.randn(256, 1, 8, 8)
with torch.no_grad():
    print("same outputs:", torch.allclose(fused(images), net(images), atol=1e-5))

# %% tags=["nbval-ignore-output"]
with torch.no_grad():
    before = min(timeit.repeat(lambda: net(images), number=5, repeat=5)) / 5
    after = min(timeit.repeat(lambda: fused(images), number=5, repeat=5)) / 5
print(f"unfused {before * 1e3:.2f} ms, fused {after * 1e3:.2f} ms, speed-up {before / after:.2f}x")

# %% [markdown]
# ## Shapes, FLOPs and time per node
#
# `ShapeProp` is an `Interpreter` that runs the graph on example inputs and stores each result's shape and
# dtype in `node.meta["tensor_meta"]`. From the shapes, cost models follow; here the multiply-adds of the
# linear layers:

# %%
cnn_gm = fx.symbolic_trace(cnn)
ShapeProp(cnn_gm).propagate(torch.randn(16, 1, 8, 8))
for node in cnn_gm.graph.nodes:
    meta = node.meta.get("tensor_meta")
    print(f"{node.name:8} {node.op:12} {tuple(meta.shape)}")


# %%
def linear_macs(gm):
    """Multiply-adds of the Linear layers, from the shapes ShapeProp recorded."""
    macs = {}
    for node in gm.graph.nodes:
        if node.op == "call_module" and isinstance(gm.get_submodule(node.target), nn.Linear):
            layer = gm.get_submodule(node.target)
            rows = node.meta["tensor_meta"].shape[0]
            macs[node.name] = rows * layer.in_features * layer.out_features
    return macs


print(linear_macs(cnn_gm))

# %% [markdown]
# Chapter 07 profiled ops by their `aten::` names. `NodeProfiler` (an `Interpreter` that times each node)
# shows the cost against the graph instead, so you see which line of `forward` it comes from:

# %% tags=["nbval-ignore-output"]
profiler = NodeProfiler(cnn_gm)
with torch.no_grad():
    profiler.profile(torch.randn(256, 1, 8, 8), runs=5)
print(profiler.table())
totals = profiler.totals()
_, ax = plt.subplots(figsize=(7, 3))
ax.barh(list(totals), [t * 1e3 for t in totals.values()])
ax.invert_yaxis()
ax.set_xlabel("ms per run")
ax.set_title("digits CNN: time per node (batch 256)")
plt.show()

# %% [markdown]
# ## What tracing cannot capture
#
# A proxy has no value, so nothing that needs one can be traced. Branching on a tensor's contents is the
# classic case:

# %%
class Gate(nn.Module):
    def forward(self, x, use_relu=True):
        if x.sum() > 0:
            return x.relu()
        return -x


# %% tags=["raises-exception"]
fx.symbolic_trace(Gate())

# %% [markdown]
# Iterating a proxy (its length is unknown) and `len` fail for the same reason:

# %% tags=["raises-exception"]
fx.symbolic_trace(lambda x: [row * 2 for row in x])

# %% [markdown]
# Control flow on a plain *argument* is fine once the argument is fixed: `concrete_args` traces one
# specialization, guarded by an assert that the caller passes that very value:

# %%
class Choice(nn.Module):
    def forward(self, x, use_relu=True):
        return x.relu() if use_relu else x.tanh()


special = fx.symbolic_trace(Choice(), concrete_args={"use_relu": False})
print(special.code)

# %% [markdown]
# Functions with data-dependent code can be kept whole: `fx.wrap("name")` at module level (or the tracer's
# `autowrap_functions`) records their calls as single nodes, and a custom `Tracer.is_leaf_module` keeps
# your own modules as `call_module` nodes.
#
# ## Saving a GraphModule
#
# `minitorch.save` stores a GraphModule without pickle: the graph as JSON, the layers by their
# `minitorch.nn` class, the weights as tensors. `minitorch.load` rebuilds it and writes the code again
# from the graph (nothing in the file is executed):

# %%
buffer = io.BytesIO()
torch.save(fused, buffer)
buffer.seek(0)
restored = torch.load(buffer)
with torch.no_grad():
    print(type(restored).__name__, torch.equal(restored(images), fused(images)))

# %% [markdown]
# ## Under the hood
#
# The tracer is `minitorch/fx/_symbolic_trace.py`, the graph and its code generator are `graph.py` and
# `_codegen.py`. The hand-over from the dispatch door is short: the proxy's `__torch_function__` records a
# `call_method` node for a Tensor method and a `call_function` node for anything else:

# %%
print(inspect.getsource(fx.Proxy.__torch_function__.__func__))

# %% [markdown]
# ## Exercises
#
# The exercises for this chapter are in `exercises/ch11_fx.py`:
#
# 1. **ch11.1** `ReluToGelu`: a `Transformer` pass that replaces every ReLU, however it is written
#    (`F.relu`, `torch.relu`, `x.relu()`, an `nn.ReLU` submodule), by GELU. The grader checks the new
#    graph and its outputs on random models.
# 2. **ch11.2** *predict, then check*: the nodes of a traced puzzle module, in order.
# 3. **ch11.3** *debugging*: `count_flops` counts the FLOPs of each node from ShapeProp's shapes, but it
#    has three bugs. Find and fix them.
#
# Check your work from the repository root with
#
# ```
# python -m grader --chapter 11
# ```

# %% [markdown]
# ## Recap
#
# - `fx.symbolic_trace` records `forward` as a graph of nodes; a `GraphModule` runs code written from it.
# - Six opcodes: placeholder, get_attr, call_module, call_function, call_method, output.
# - Passes edit `gm.graph` (then `gm.recompile()`), or rebuild it with a `Transformer`, or rewrite
#   patterns with `replace_pattern`.
# - Folding batch norms into convolutions removes layers without changing outputs.
# - `ShapeProp` gives shapes for cost models; `NodeProfiler` times each node.
# - Data-dependent control flow cannot be traced: fix arguments with `concrete_args`, or wrap functions.
