"""An op composed of other differentiable ops, presented as one graph node with torch's node name (as
torch's C++ composite kernels are): the forward runs the composition without recording it, the backward
differentiates it."""
from .. import autograd
from ..autograd import grad_mode
from ..ops._core import make


def composite_node(name, build, inputs):
    """build(*inputs) as the single node `name`. Entries of `inputs` may be None (an absent bias)."""
    with grad_mode.no_grad():
        out = build(*inputs)
    return make(out._data, name, inputs, lambda g: _vjp(build, inputs, g))


def _vjp(build, inputs, grad):
    """The gradients of build(*inputs) for the output gradient `grad` (zeros for an input the composition
    does not differentiate through, as torch's node returns). With grad on (create_graph) the composition is
    rebuilt on the inputs themselves, so the gradients can be differentiated again."""
    create = grad_mode._state["enabled"]
    with grad_mode.enable_grad():
        xs = inputs if create else tuple(None if t is None else t.detach().requires_grad_(t._requires_grad)
                                         for t in inputs)
        out = build(*xs)
    wanted = [x for x in xs if x is not None and x._requires_grad]
    got = iter(autograd.grad(out, wanted, grad, create_graph=create, allow_unused=True, materialize_grads=True))
    return tuple(next(got) if x is not None and x._requires_grad else None for x in xs)
