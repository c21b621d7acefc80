"""Chapter 06 exercises: module hooks.

Run `python -m grader --chapter 06` from the repository root to check your answers."""
from minitorch import nn  # noqa: F401  (you will need it)


class ActivationStats:
    """ch06.1: record activation statistics with forward hooks.

    __init__(model): register a forward hook on every nn.Linear in `model` (found with
    `model.named_modules()`), keep the handles in `self.handles` (a list) and create `self.stats = {}`.
    Each time such a layer runs, its hook stores `self.stats[name] = (mean, std)` of the layer's output
    as Python floats, `name` being the layer's name from named_modules() (e.g. '0', 'encoder.fc').
    remove(): remove every hook, so that later forward passes no longer update `stats`.

    Hint: a forward hook is `hook(module, args, output)`; make one per name with a small factory
    function (a closure), and use `output.detach()`."""

    def __init__(self, model):
        raise NotImplementedError("ch06.1: register a forward hook on every Linear, store (mean, std)")

    def remove(self):
        raise NotImplementedError("ch06.1: remove every registered hook")


def add_input_clamp(module, min, max):
    """ch06.2: register a forward pre-hook on `module` that clamps its first positional input to
    [min, max] before forward runs (other positional inputs pass unchanged); return the handle.

    Hint: a pre-hook is `hook(module, args)` with `args` a tuple; return the new tuple of args.
    `Tensor.clamp(min, max)`."""
    raise NotImplementedError("ch06.2: register a pre-hook that clamps the input and return its handle")


def record_grad_norms(model, norms):
    """ch06.3: register a full backward hook on every nn.Linear of `model`. During each backward pass
    the hook appends the 2-norm of the gradient w.r.t. the layer's output (`grad_output[0]`), as a
    Python float, to the list `norms[name]` (create the list on first use). Return the list of handles.

    Hint: `register_full_backward_hook(hook)`, hook(module, grad_input, grad_output); bind `name`
    with a default argument or a factory so that each hook knows its layer."""
    raise NotImplementedError("ch06.3: register backward hooks that record grad-output norms per layer")
