"""Chapter 06 solutions: module hooks."""
import itertools
from collections import OrderedDict

from minitorch import nn


class RemovableHandle:
    """ch06.1: removes its id from the dicts it was given; ids come from one counter shared by all handles."""

    _ids = itertools.count()

    def __init__(self, hooks, *extra):
        self.dicts = (hooks, *extra)
        self.id = next(RemovableHandle._ids)

    def remove(self):
        for hooks in self.dicts:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


class HookedModule:
    """ch06.1: forward pre-hooks and forward hooks (prepend, with_kwargs, always_call) around forward."""

    def __init__(self):
        self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs = OrderedDict(), {}
        self._forward_hooks, self._forward_hooks_with_kwargs, self._forward_hooks_always_called = OrderedDict(), {}, {}

    @staticmethod
    def _add(hooks, hook, prepend, flags):
        """Store `hook` in `hooks` under a new handle and mark it in each flag dict whose flag is on (`flags`:
        (dict, on) pairs); return the handle."""
        handle = RemovableHandle(hooks, *(flag for flag, _ in flags))
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        for flag, on in flags:
            if on:
                flag[handle.id] = True
        return handle

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        return self._add(self._forward_pre_hooks, hook, prepend, [(self._forward_pre_hooks_with_kwargs, with_kwargs)])

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        return self._add(self._forward_hooks, hook, prepend, [(self._forward_hooks_with_kwargs, with_kwargs),
                                                              (self._forward_hooks_always_called, always_call)])

    def _run_forward_hook(self, hook_id, hook, args, kwargs, result):
        if hook_id in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, result)
        return hook(self, args, result)

    def __call__(self, *args, **kwargs):
        result, called = None, set()
        try:
            for hook_id, hook in list(self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    out = hook(self, args, kwargs)
                    if out is not None:
                        args, kwargs = out
                else:
                    out = hook(self, args)
                    if out is not None:
                        args = out if isinstance(out, tuple) else (out,)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
                    called.add(hook_id)
                out = self._run_forward_hook(hook_id, hook, args, kwargs, result)
                if out is not None:
                    result = out
            return result
        except Exception:
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called and hook_id not in called:
                    try:
                        out = self._run_forward_hook(hook_id, hook, args, kwargs, result)
                    except Exception:
                        continue
                    if out is not None:
                        result = out
            raise


def predict_hook_order():
    """ch06.2: a container's pre-hook runs before its children, its forward hook after them; G was prepended;
    backward visits the ReLU (whose output gradient arrives first) before the Linear."""
    return ["A", "D", "C", "G", "F", "B", "I", "H"]


class GradientMonitor:
    """ch06.3: one hook per layer with the name bound when the hook is made, a float per backward pass, and
    the handles kept so that remove() can detach them."""

    def __init__(self, model):
        self.norms = {}
        self.handles = [module.register_full_backward_hook(self._hook(name))
                        for name, module in model.named_modules() if isinstance(module, nn.Linear)]

    def _hook(self, name):
        def hook(module, grad_input, grad_output):
            self.norms.setdefault(name, []).append(grad_output[0].norm().item())
        return hook

    def remove(self):
        for handle in self.handles:
            handle.remove()
        self.handles = []
