"""Hook plumbing (torch.utils.hooks): `RemovableHandle`, and `BackwardHook`, which implements nn.Module's
full backward hooks by routing the module's tensor inputs and outputs through identity graph nodes."""
import warnings

from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.function import Function
from ..autograd.graph import RemovableHandle

__all__ = ["RemovableHandle", "BackwardHook"]
RemovableHandle.__module__ = __name__  # its public home, as torch.utils.hooks.RemovableHandle


class BackwardHookFunction(Function):
    """Identity on its tensor arguments. Its graph node, BackwardHookFunctionBackward, is where a module's
    backward hooks see (and may replace) the gradients of the module's outputs and inputs."""

    @staticmethod
    def forward(ctx, *args):
        ctx.mark_non_differentiable(*[a for a in args if not a.requires_grad])
        return args

    @staticmethod
    def backward(ctx, *grads):
        return grads


def _pack(indices, values, size):
    """A tuple of `size` entries: `values` at `indices`, None elsewhere (the non-tensor arguments)."""
    out = [None] * size
    for i, v in zip(indices, values):
        out[i] = v
    return tuple(out)


class BackwardHook:
    """Runs a module's full backward pre-hooks and hooks for one call.

    The outputs' identity node fires first in backward: it records grad_output and runs the pre-hooks
    (which may replace it). The inputs' identity node fires once the input gradients are known: it runs the
    hooks with (grad_input, grad_output); a hook's non-None result replaces grad_input."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_tensors_index = self.output_tensors_index = None

    def _wrap_tensors(self, args, attach):
        """`args` with each tensor replaced by its view through a BackwardHookFunction node, on which
        `attach(node)` registers the hook; unchanged (and index None) when no gradient flows."""
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in index]
        if not (grad_mode.is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return args, None
        new = BackwardHookFunction.apply(*tensors)
        attach(next(t.grad_fn for t in new if t.grad_fn is not None))
        out = list(args)
        for i, t in zip(index, new):
            out[i] = t
        return (tuple(out) if type(args) is tuple else type(args)(*out)), index

    def setup_input_hook(self, args):
        args_out, self.input_tensors_index = self._wrap_tensors(args, self._attach_input_hook)
        self.n_inputs = len(args)
        return args_out

    def setup_output_hook(self, result):
        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        args_out, self.output_tensors_index = self._wrap_tensors(args, self._attach_output_hook)
        self.n_outputs = len(args)
        return args_out if is_tuple else args_out[0]

    def _attach_input_hook(self, node):
        def hook(grad_inputs, _):
            if self.grad_outputs is None:  # the outputs' node did not run: no gradient reached the module
                return None
            res = _pack(self.input_tensors_index, grad_inputs, self.n_inputs)
            for user_hook in self.user_hooks:
                out = user_hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got "
                                       f"{len(out)}, but expected {len(res)}")
                for new, old in zip(out, res):
                    if new is not None and old is not None and new.shape != old.shape:
                        raise RuntimeError("hook 'hook' has changed the size of value")
                res = out
            self.grad_outputs = None
            return tuple(res[i] for i in self.input_tensors_index)
        node.register_hook(hook)

    def _attach_output_hook(self, node):
        def hook(_, grad_outputs):
            self.grad_outputs = _pack(self.output_tensors_index, grad_outputs, self.n_outputs)
            for pre_hook in self.user_pre_hooks:
                new = pre_hook(self.module, self.grad_outputs)
                if new is None:
                    continue
                if len(new) != len(self.grad_outputs):
                    raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got "
                                       f"{len(new)}, but expected {len(self.grad_outputs)}")
                self.grad_outputs = new
            local_grad_outputs = self.grad_outputs
            if self.input_tensors_index is None:
                self._fire_without_input_grads()
            return tuple(local_grad_outputs[i] for i in self.output_tensors_index)
        node.register_hook(hook)

    def _fire_without_input_grads(self):
        """No input requires grad: the hooks run now, with grad_input all None, and may not replace it."""
        warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                      "outputs since no inputs require gradients. See "
                      "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                      "#torch.nn.Module.register_full_backward_hook for more details.", stacklevel=5)
        grad_inputs = (None,) * self.n_inputs
        for user_hook in self.user_hooks:
            res = user_hook(self.module, grad_inputs, self.grad_outputs)
            if res is not None and not (isinstance(res, tuple) and all(r is None for r in res)):
                raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                   "return None or None for all gradients.")
        self.grad_outputs = None
