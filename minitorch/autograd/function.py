"""Custom differentiable operations: subclass `Function`, write `forward(ctx, ...)` and
`backward(ctx, *grads)`, call `MyFunction.apply(...)`."""
from . import grad_mode
from .graph import Node, gradient_edge


class FunctionCtx:
    """The `ctx` handed to forward and backward: a place to save what backward needs."""

    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self._dirty = ()
        self._non_differentiable = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = value


class Function:
    """Base class for operations with a hand-written gradient (torch.autograd.Function)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    def __init__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use "
                           "new-style autograd function with static forward method.")

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        separate_setup = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            output = cls.forward(*args, **kwargs) if separate_setup else cls.forward(ctx, *args, **kwargs)
        if separate_setup:
            cls.setup_context(ctx, args, output)
        outputs = output if isinstance(output, tuple) else (output,)
        tensor_inputs = [(i, a) for i, a in enumerate(args) if isinstance(a, Tensor)]
        record = grad_mode.is_grad_enabled() and any(a._requires_grad for _, a in tensor_inputs)
        if not record:
            return output
        n_args = len(args)
        out_shapes = [o for o in outputs]

        def backward(*grads):
            if ctx.materialize_grads:
                grads = tuple(g if g is not None or not isinstance(o, Tensor) else _zeros_like(o)
                              for g, o in zip(grads, out_shapes))
            result = cls.backward(ctx, *grads)
            if not isinstance(result, tuple):
                result = (result,)
            if len(result) != n_args:
                if len(result) > n_args and all(r is None for r in result[n_args:]):
                    result = result[:n_args]
                else:
                    raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of "
                                       f"gradients (expected {n_args}, got {len(result)})")
            return tuple(result[i] for i, _ in tensor_inputs)

        node = Node(f"{cls.__name__}Backward", backward,
                    tuple(gradient_edge(a) for _, a in tensor_inputs), saves=True,
                    num_outputs=len(outputs))
        wrapped = []
        for nr, o in enumerate(outputs):
            if isinstance(o, Tensor) and not any(o is n for n in ctx._non_differentiable) \
                    and o.is_floating_point():
                if any(o is d for d in ctx._dirty):
                    t = o
                elif any(o is a for _, a in tensor_inputs):
                    t = Tensor._wrap(o._data)  # an input returned as is becomes a new view of it
                else:
                    t = o
                t._grad_fn, t._output_nr, t._requires_grad = node, nr, True
                wrapped.append(t)
            else:
                wrapped.append(o)
        return tuple(wrapped) if isinstance(output, tuple) else wrapped[0]


def _zeros_like(t):
    from .._creation import zeros_like
    return zeros_like(t)
