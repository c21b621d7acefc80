"""Wrong answers to chapter 06."""
from minitorch import nn

from . import solution

ok = solution(6)


class HookedIgnoringPrepend(ok.HookedModule):
    """Always appends: prepend=True is ignored."""

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        return super().register_forward_pre_hook(hook, with_kwargs=with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        return super().register_forward_hook(hook, with_kwargs=with_kwargs, always_call=always_call)


class ListHandle:
    """Removes by position in a list: after an earlier removal, it removes the wrong hook."""

    def __init__(self, hooks, position):
        self.hooks, self.position, self.id = hooks, position, position

    def remove(self):
        if self.position < len(self.hooks):
            del self.hooks[self.position]

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


class HookedWithLists(ok.HookedModule):
    """Keeps hooks in lists of (hook, with_kwargs, always_call)."""

    def __init__(self):
        super().__init__()
        self.pre, self.post = [], []

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        self.pre.insert(0 if prepend else len(self.pre), (hook, with_kwargs, False))
        return ListHandle(self.pre, 0 if prepend else len(self.pre) - 1)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        self.post.insert(0 if prepend else len(self.post), (hook, with_kwargs, always_call))
        return ListHandle(self.post, 0 if prepend else len(self.post) - 1)

    def __call__(self, *args, **kwargs):
        self._forward_pre_hooks.clear()
        self._forward_hooks.clear()
        for flags in (self._forward_pre_hooks_with_kwargs, self._forward_hooks_with_kwargs,
                      self._forward_hooks_always_called):
            flags.clear()
        for i, (hook, with_kwargs, _) in enumerate(self.pre):
            self._forward_pre_hooks[i] = hook
            if with_kwargs:
                self._forward_pre_hooks_with_kwargs[i] = True
        for i, (hook, with_kwargs, always_call) in enumerate(self.post):
            self._forward_hooks[i] = hook
            if with_kwargs:
                self._forward_hooks_with_kwargs[i] = True
            if always_call:
                self._forward_hooks_always_called[i] = True
        return super().__call__(*args, **kwargs)


class HookedNoAlwaysCall(ok.HookedModule):
    """Lets the exception through without running the always_call hooks."""

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        return super().register_forward_hook(hook, prepend=prepend, with_kwargs=with_kwargs)


class HookedUnwrappedPreResult(ok.HookedModule):
    """Uses a pre-hook's non-tuple result as the args themselves."""

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        def unwrapped(module, *rest):
            out = hook(module, *rest)
            return out if with_kwargs or out is None or isinstance(out, tuple) else list([out])
        return super().register_forward_pre_hook(unwrapped, prepend=prepend, with_kwargs=with_kwargs)


class LateBinding(ok.GradientMonitor):
    """The hook looks `name` up when it runs: every layer records under the last name."""

    def __init__(self, model):
        self.norms, self.handles = {}, []
        for name, module in model.named_modules():
            if isinstance(module, nn.Linear):
                def hook(module, grad_input, grad_output):
                    self.norms.setdefault(name, []).append(grad_output[0].norm().item())
                self.handles.append(module.register_full_backward_hook(hook))


class DroppedHandles(ok.GradientMonitor):
    def __init__(self, model):
        super().__init__(model)
        self.handles = []


class TensorNorms(ok.GradientMonitor):
    def _hook(self, name):
        def hook(module, grad_input, grad_output):
            self.norms.setdefault(name, []).append(grad_output[0].norm())
        return hook


WRONG = {
    "ch06.1": {
        "subclasses nn.Module": {"HookedModule": type("HookedModule", (nn.Module,), {})},
        "prepend ignored": {"HookedModule": HookedIgnoringPrepend},
        "lists and removal by position": {"HookedModule": HookedWithLists},
        "always_call ignored": {"HookedModule": HookedNoAlwaysCall},
        "a pre-hook's single result not wrapped in a tuple": {"HookedModule": HookedUnwrappedPreResult},
    },
    "ch06.2": {
        "prepend ignored": {"predict_hook_order": lambda: ["A", "D", "C", "F", "G", "B", "I", "H"]},
        "the container's hooks around nothing": {
            "predict_hook_order": lambda: ["D", "C", "G", "F", "A", "B", "I", "H"]},
        "backward in forward order": {"predict_hook_order": lambda: ["A", "D", "C", "G", "F", "B", "H", "I"]},
    },
    "ch06.3": {
        "late-binding name": {"GradientMonitor": LateBinding},
        "handles not kept": {"GradientMonitor": DroppedHandles},
        "tensors instead of floats": {"GradientMonitor": TensorNorms},
    },
}
