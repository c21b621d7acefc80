"""Chapter 11 exercises: transforming modules with minitorch.fx.

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 11`."""
import math  # noqa: F401  (you may need it)

import minitorch as torch  # noqa: F401
from minitorch import fx, nn  # noqa: F401
from minitorch.fx.passes.shape_prop import ShapeProp  # noqa: F401
from minitorch.nn import functional as F  # noqa: F401


class ReluToGelu(fx.Transformer):
    """ch11.1: a Transformer pass that replaces every ReLU of a traced module by GELU, however the ReLU was
    written in forward:

    - `F.relu(x)` or `torch.relu(x)`: a call_function node -> `F.gelu(x)`;
    - `x.relu()`: a call_method node -> `F.gelu(x)`;
    - `self.act(x)` with `self.act = nn.ReLU()`: a call_module node -> `F.gelu(x)`.

    Everything else stays as it was. `ReluToGelu(gm).transform()` returns the new GraphModule, which computes
    what the original computes with every ReLU replaced by the exact (erf) GELU.

    Hint: override `call_function`, `call_method` and `call_module`; `self.fetch_attr(target)` gives the
    module a call_module target names, and `super().call_function(F.gelu, args, {})` records a gelu.
    """

    def call_function(self, target, args, kwargs):
        raise NotImplementedError("ch11.1: record F.gelu where the target is a relu function")

    def call_method(self, target, args, kwargs):
        raise NotImplementedError("ch11.1: record F.gelu where the method is relu")

    def call_module(self, target, args, kwargs):
        raise NotImplementedError("ch11.1: record F.gelu where the module is an nn.ReLU")


class Puzzle(nn.Module):
    """The module of exercise ch11.2 (do not change it)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.scale = nn.Parameter(torch.ones(4))

    def forward(self, x):
        y = F.relu(self.fc(x)) * self.scale
        return torch.cat([y, x.t().t()], dim=-1).sum(-1) + x.shape[0]


def predict_graph():
    """ch11.2 (predict, then check): the nodes of `fx.symbolic_trace(Puzzle()).graph`, in order, as
    (opcode, target) pairs, each target written as the graph's printout writes it: 'x' for a placeholder,
    'fc' for a submodule, 'torch.cat' or 'operator.add' or 'builtins.getattr' for a function, 'sum' for a
    method, 'output' for the output. Work it out on paper first; then check with the notebook's code."""
    raise NotImplementedError("ch11.2: return the list of (opcode, target) pairs")


def count_flops(gm, *inputs):
    """ch11.3 (debugging): the floating-point operations of each computing node of `gm` when it runs on
    `inputs`, as {node name: count}, from the output shapes ShapeProp records:

    - an nn.Linear: 2 * in_features * out_features per output row (rows = output numel / out_features),
      plus one addition per output element when it has a bias;
    - an nn.Conv2d: 2 * (in_channels / groups) * kernel height * kernel width per output element, plus one
      per output element when it has a bias;
    - any other call_module, call_function or call_method node: one per element of its tensor output
      (0 if the output is not a tensor).

    Placeholders, get_attr nodes and the output node do not compute: they are not in the dict.
    The code below runs but miscounts: delete the `raise` line and fix it."""
    raise NotImplementedError("ch11.3: delete this line, then find the bugs below")
    ShapeProp(gm).propagate(*inputs)
    modules = dict(gm.named_modules())
    flops = {}
    for node in gm.graph.nodes:
        meta = node.meta.get("tensor_meta")
        numel = math.prod(meta.shape) if isinstance(meta, tuple) and hasattr(meta, "shape") else 0
        module = modules.get(node.target) if node.op == "call_module" else None
        if isinstance(module, nn.Linear):
            flops[node.name] = 2 * module.in_features * module.out_features
        elif isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            flops[node.name] = 2 * module.in_channels * kh * kw * numel
        else:
            flops[node.name] = numel
    return flops
