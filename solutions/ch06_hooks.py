"""Chapter 06 solutions: module hooks."""
from minitorch import nn


class ActivationStats:
    """Forward hooks on every nn.Linear of `model`; `stats[name] = (mean, std)` of its latest output."""

    def __init__(self, model):
        self.stats = {}
        self.handles = [module.register_forward_hook(self._make_hook(name))
                        for name, module in model.named_modules() if isinstance(module, nn.Linear)]

    def _make_hook(self, name):
        def hook(module, args, output):
            out = output.detach()
            self.stats[name] = (out.mean().item(), out.std().item())
        return hook

    def remove(self):
        for handle in self.handles:
            handle.remove()
        self.handles = []


def add_input_clamp(module, min, max):
    """Register a forward pre-hook clamping the first input of `module` to [min, max]; return the handle."""
    def hook(mod, args):
        return (args[0].clamp(min, max),) + tuple(args[1:])
    return module.register_forward_pre_hook(hook)


def record_grad_norms(model, norms):
    """Full backward hooks on every nn.Linear: append ||grad_output[0]|| to norms[name]; return the handles."""
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            def hook(mod, grad_input, grad_output, name=name):
                norms.setdefault(name, []).append(grad_output[0].norm().item())
            handles.append(module.register_full_backward_hook(hook))
    return handles
