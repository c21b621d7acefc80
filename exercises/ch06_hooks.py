"""Chapter 06 exercises: module hooks.

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 06`."""
from collections import OrderedDict  # noqa: F401  (you may need it)

from minitorch import nn


class RemovableHandle:
    """ch06.1: the handle a hook registration returns (your own; do not use torch.utils.hooks).

    - `RemovableHandle(hooks, *extra)`: `hooks` is the dict the hook was stored in, `extra` are more
      dicts keyed the same way (flags such as "with kwargs"). The handle takes a fresh `self.id` from a
      counter shared by all handles: 0, 1, 2, ... (a class attribute).
    - `remove()` deletes `self.id` from every one of those dicts; removing twice is not an error.
    - `with handle:` removes the hook when the block ends.
    """

    def __init__(self, hooks, *extra):
        raise NotImplementedError("ch06.1: keep the dicts and take the next id")

    def remove(self):
        raise NotImplementedError("ch06.1: delete the id from every dict")

    def __enter__(self):
        raise NotImplementedError("ch06.1: return the handle")

    def __exit__(self, *exc_info):
        raise NotImplementedError("ch06.1: remove the hook")


class HookedModule:
    """ch06.1: nn.Module's forward-hook machinery, from scratch (a plain class: do not use nn.Module).
    Subclasses call `super().__init__()` and define `forward(*args, **kwargs)`.

    - `register_forward_pre_hook(hook, *, prepend=False, with_kwargs=False)` and
      `register_forward_hook(hook, *, prepend=False, with_kwargs=False, always_call=False)` store the
      hook in an ordered dict under a new RemovableHandle's id and return the handle. Hooks run in
      registration order; `prepend=True` puts the new one first.
    - Calling the module, `m(*args, **kwargs)`:
        1. each pre-hook in turn: `hook(m, args)`, whose result, when not None, replaces args (a result
           that is not a tuple becomes a 1-tuple); with_kwargs: `hook(m, args, kwargs)`, whose result,
           when not None, is the pair `(args, kwargs)`;
        2. `result = m.forward(*args, **kwargs)`;
        3. each forward hook in turn: `hook(m, args, result)` (with_kwargs: `hook(m, args, kwargs,
           result)`); a result that is not None replaces `result`. Return `result`.
      Each loop goes over a copy of the hooks as they are when it starts, so a hook that removes
      itself, or registers another, changes only later loops.
    - If a pre-hook, forward or a forward hook raises an Exception, every `always_call` forward hook
      that has not run yet in this call runs (in order, with the result so far, None if forward did
      not finish; an error inside it is ignored), and then the original exception propagates.

    Hint: `OrderedDict.move_to_end(key, last=False)` moves a key to the front.
    """

    def __init__(self):
        raise NotImplementedError("ch06.1: create the ordered hook dicts and the flag dicts")

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        raise NotImplementedError("ch06.1: store the pre-hook under a new handle's id")

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        raise NotImplementedError("ch06.1: store the forward hook under a new handle's id")

    def __call__(self, *args, **kwargs):
        raise NotImplementedError("ch06.1: pre-hooks, forward, forward hooks, always_call hooks on errors")


def predict_hook_order():
    """ch06.2 (predict, then check): `tag(name)` returns a hook (of any kind) that appends `name` to a list
    and returns None. Without running it, write down the list after

        net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        net.register_forward_pre_hook(tag("A"))
        net.register_forward_hook(tag("B"))
        net[0].register_forward_hook(tag("C"))
        net[0].register_forward_pre_hook(tag("D"))
        net[1].register_forward_hook(tag("F"))
        net[1].register_forward_hook(tag("G"), prepend=True)
        net[0].register_full_backward_hook(tag("H"))
        net[1].register_full_backward_pre_hook(tag("I"))
        net(torch.randn(1, 2, requires_grad=True)).sum().backward()

    Return the list of names, e.g. ["A", "B", ...]. Then run it in the notebook to check.
    """
    raise NotImplementedError("ch06.2: return your predicted order of the hooks")


class GradientMonitor:
    """ch06.3 (debugging): records gradient norms with full backward hooks.

    What it should do: for every nn.Linear of `model` (found with `model.named_modules()`), a full
    backward hook appends the 2-norm of the gradient arriving at that layer's output (`grad_output[0]`),
    as a Python float, to `self.norms[name]`, one entry per backward pass, `name` being the layer's name
    from named_modules(). `remove()` detaches every hook, so that later backward passes add nothing.

    The code below runs, but it has three bugs. Delete the `raise` line, then find and fix them.
    """

    def __init__(self, model):
        raise NotImplementedError("ch06.3: find and fix the three bugs below, then delete this line")
        self.norms = {}
        self.handles = []
        for name, module in model.named_modules():
            if isinstance(module, nn.Linear):
                def hook(module, grad_input, grad_output):
                    self.norms.setdefault(name, []).append(grad_output[0].norm())
                module.register_full_backward_hook(hook)

    def remove(self):
        for handle in self.handles:
            handle.remove()
