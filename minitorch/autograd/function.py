"""Custom differentiable operations: subclass `Function`, write `forward(ctx, ...)` and
`backward(ctx, *grads)`, call `MyFunction.apply(...)`.

As in torch, the `ctx` that forward and backward receive is the graph node itself (`y.grad_fn`), an
instance of `<Name>Backward`, so what forward saves on it is visible there too."""
import functools
import warnings

from . import grad_mode
from .graph import _FREED_MESSAGE, Node, gradient_edge


class FunctionCtx:
    """What forward can tell backward: saved tensors, and which outputs are special."""

    def save_for_backward(self, *tensors):
        """Keep tensors for backward; backward fails if one is changed in place in between."""
        self._to_save = tensors

    @property
    def saved_tensors(self):
        if self._released:
            raise RuntimeError(_FREED_MESSAGE)
        return self._to_save

    def mark_dirty(self, *tensors):
        """Declare the inputs that forward modified in place (and returns)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that get no gradient (integer masks, indices ...)."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """The node (and ctx) of one call of a custom Function; `_function` is the Function class."""

    _function = None

    def __init__(self):
        super().__init__(None, (), saves=True)
        self._to_save = ()
        self._dirty = self._non_differentiable = ()
        self._released = False
        self.materialize_grads = True
        self.needs_input_grad = ()

    def __repr__(self):
        return f"<torch.autograd.function.{type(self).__name__} object at {hex(id(self))}>"

    def _release(self):
        super()._release()
        self._released = True
        self._to_save = ()


class _FunctionMeta(type):
    """Gives every Function subclass its node class, `<Name>Backward`."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        node_name = name + "Backward"
        cls._backward_cls = type(node_name, (BackwardCFunction,), {"_name": node_name, "_function": cls,
                                                                   "__module__": cls.__module__})


class Function(metaclass=_FunctionMeta):
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
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions are all static, "
                      "so you should invoke them on the class itself. Instantiating an autograd function will "
                      "raise an error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use "
                           "new-style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward without recording, then put one `<Name>Backward` node in front of its outputs."""
        from .._tensor import Tensor
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        separate_setup = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            output = cls.forward(*args, **kwargs) if separate_setup else cls.forward(ctx, *args, **kwargs)
        if separate_setup:
            cls.setup_context(ctx, args, output)
        tensor_inputs = [a for a in args if isinstance(a, Tensor)]
        if not (grad_mode.is_grad_enabled() and any(a._requires_grad for a in tensor_inputs)):
            return output
        outputs = output if isinstance(output, tuple) else (output,)
        ctx.next_functions = tuple(gradient_edge(a) for a in tensor_inputs)
        ctx._num_outputs = len(outputs)
        ctx._saved = [(t, t._version) for t in ctx._to_save if isinstance(t, Tensor)]
        ctx._backward_fn = _backward_fn(cls, ctx, args, outputs)
        wrapped = tuple(_attach(ctx, nr, o, tensor_inputs) for nr, o in enumerate(outputs))
        return wrapped if isinstance(output, tuple) else wrapped[0]


def _attach(ctx, nr, out, tensor_inputs):
    """Output `nr` of a custom Function, made a result of node `ctx` when it is differentiable."""
    from .._tensor import Tensor
    if not isinstance(out, Tensor):
        return out
    dirty = any(out is d for d in ctx._dirty)
    if dirty:
        if out._requires_grad and out._grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        out._bump_version()
    if any(out is n for n in ctx._non_differentiable) or not out.is_floating_point():
        return out
    if not dirty and any(out is a for a in tensor_inputs):
        out = out._share_version(Tensor._wrap(out._data))  # an input returned as is becomes a new alias
    out._grad_fn, out._output_nr, out._requires_grad = ctx, nr, True
    return out


def _backward_fn(cls, ctx, args, outputs):
    """The node's backward: user backward, then torch's checks on the number, shape and dtype of grads."""
    from .._creation import zeros
    from .._tensor import Tensor
    from ..ops._core import sum_to
    out_meta = [(o.shape, o.dtype, o.device) if isinstance(o, Tensor) else None for o in outputs]
    in_meta = [(i, a.shape, a.dtype) for i, a in enumerate(args) if isinstance(a, Tensor)]
    name = cls._backward_cls._name

    def backward(*grads):
        if ctx.materialize_grads:
            grads = tuple(zeros(m[0], dtype=m[1], device=m[2]) if g is None and m is not None else g
                          for g, m in zip(grads, out_meta))
        result = cls.backward(ctx, *grads)
        result = result if isinstance(result, tuple) else (result,)
        if len(result) > len(args) and all(r is None for r in result[len(args):]):
            result = result[:len(args)]
        if len(result) != len(args):
            raise RuntimeError(f"function {name} returned an incorrect number of gradients (expected "
                               f"{len(args)}, got {len(result)})")
        for i, r in enumerate(result):
            if r is not None and not isinstance(args[i], Tensor):
                raise RuntimeError(f"function {name} returned a gradient different than None at position "
                                   f"{i + 1}, but the corresponding forward input was not a Variable")
        grads_in = []
        for k, (i, shape, dtype) in enumerate(in_meta):
            g = result[i]
            if g is not None and g.shape != shape:
                if not _expandable(shape, g.shape):
                    raise RuntimeError(f"Function {name} returned an invalid gradient at index {k} - got "
                                       f"{list(g.shape)} but expected shape compatible with {list(shape)}")
                g = sum_to(g, shape)
            if g is not None and g.dtype is not dtype:
                g = g.to(dtype)
            grads_in.append(g)
        return tuple(grads_in)
    return backward


def _expandable(shape, target):
    """Whether `shape` broadcasts to `target` (a gradient of that shape can be summed back to it)."""
    return len(shape) <= len(target) and all(s in (1, t) for s, t in zip(reversed(shape), reversed(target)))


def once_differentiable(backward):
    """Decorate a Function's backward that is not itself differentiable: it runs without recording."""
    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            return backward(ctx, *grads)
    return wrapper
