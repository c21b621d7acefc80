"""`Optimizer`, the base of every torch.optim optimizer: parameter groups with their hyper-parameters,
per-parameter state, zero_grad, step hooks and state_dict / load_state_dict in torch's format.

Subclasses implement `step`. They update `p._data` in place with NumPy/CuPy ufuncs (`out=`), walking large
parameters in cache-sized slices (`foreach_slice`) so that the temporaries stay in cache."""
from __future__ import annotations

import functools
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import numpy as np

from .._dtype import float64, get_default_dtype
from .._device import array_module
from .._quiet import quiet_fp
from .._tensor import Tensor
from ..autograd import enable_grad
from ..autograd.graph import RemovableHandle, add_hook
from ..autograd.profiler import _range
from ..cuda import _on_device_of
from ..nn.modules.module import _typename, reset_grads

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a hyper-parameter that every parameter group must give (it has no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_SLICE = 1 << 15  # elements per slice: a few float32 slices of this size fit in L2 cache together
_SLICE_ABOVE = 1 << 20  # arrays up to this size stay in the last-level cache: whole-array ufuncs cost less


def foreach_slice(kernel, arrays, n_scratch):
    """Call `kernel(*arrays, *scratch)` with `n_scratch` scratch arrays, over matching slices of the
    same-shape arrays (entries may be None). Large contiguous NumPy arrays (those that would stream from
    main memory) go slice by slice, so each ufunc in the kernel reads and writes cache rather than main
    memory; others go in one call, which saves the Python work of the slices."""
    first = arrays[0]
    xp = array_module(first)
    if xp is np and first.size > _SLICE_ABOVE and all(a is None or a.flags.c_contiguous for a in arrays):
        flat = [None if a is None else a.reshape(-1) for a in arrays]
        scratch = [np.empty(_SLICE, first.dtype) for _ in range(n_scratch)]
        for lo in range(0, first.size, _SLICE):
            hi = min(lo + _SLICE, first.size)
            kernel(*(None if a is None else a[lo:hi] for a in flat), *(s[:hi - lo] for s in scratch))
    else:
        kernel(*arrays, *(xp.empty_like(first) for _ in range(n_scratch)))


def effective_grad(xp, p, g, weight_decay, maximize, out):
    """The gradient an update uses: -g when maximizing, plus weight_decay * p (L2 penalty); `g` itself when
    neither applies, else written into `out`."""
    if not weight_decay:
        return xp.negative(g, out=out) if maximize else g
    xp.multiply(p, weight_decay, out=out)
    if maximize:
        xp.subtract(out, g, out=out)
    else:
        xp.add(out, g, out=out)
    return out


def lerp_(xp, start, end, weight, scratch):
    """start += weight * (end - start), in place, computed as torch's lerp does (from the nearer end)."""
    xp.subtract(end, start, out=scratch)
    if weight < 0.5:
        scratch *= weight
        start += scratch
    else:
        scratch *= 1 - weight
        xp.subtract(end, scratch, out=start)


def check_lr(lr):
    """torch's checks of a learning rate: a number >= 0, or a 1-element tensor."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_nonnegative(**values):
    """torch's `Invalid <name> value: <value>` for the first hyper-parameter below zero."""
    for name, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {name} value: {value}")


def check_betas(betas):
    """Each beta in [0, 1), with torch's message naming the first one that is not."""
    for i, beta in enumerate(betas[:2]):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def zeros_state(p):
    """A state tensor of zeros shaped like the parameter `p`, on its device."""
    return Tensor._wrap(array_module(p._data).zeros_like(p._data))


def scalar_dtype():
    """The dtype of the `step` counters in optimizer state: float32, or float64 under that default."""
    return np.float64 if get_default_dtype() is float64 else np.float32


def step_counter(value=0.0):
    """A fresh 0-d cpu `step` tensor."""
    return Tensor._wrap(np.array(value, dtype=scalar_dtype()))


def _with_step_hooks(step):
    """Wrap a subclass's `step` so that the optimizer's step pre- and post-hooks run around it (and NumPy's
    floating-point warnings stay off, see minitorch/_quiet.py)."""
    step = quiet_fp(step)

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self._in_step:  # a subclass's step calling super().step(): the hooks already ran
            return step(self, *args, **kwargs)
        with _range(f"Optimizer.step#{type(self).__name__}.step"):  # the profiler's name for it, as torch's
            for hook in list((self._optimizer_step_pre_hooks or {}).values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"{hook} must return None or a tuple of (new_args, new_kwargs), but "
                                           f"got {result}.")
                    args, kwargs = result
            self._in_step = True
            try:
                out = step(self, *args, **kwargs)
            finally:
                self._in_step = False
            self._opt_called = True
            for hook in list((self._optimizer_step_post_hooks or {}).values()):
                hook(self, args, kwargs)
            return out
    return wrapper


class Optimizer:
    """Base class of all optimizers (torch.optim.Optimizer).

    `params` is an iterable of tensors, of (name, tensor) pairs, or of dicts each holding a group's
    "params" and its own hyper-parameters; `defaults` fills the hyper-parameters a group leaves out."""

    _in_step = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _with_step_hooks(cls.__dict__["step"])

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks = None
        self._optimizer_step_post_hooks = None
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", None)
        self.__dict__.setdefault("_optimizer_step_post_hooks", None)

    def __repr__(self):
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with "params" and optional hyper-parameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        param_group["params"] = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = {id(p) for p in param_group["params"]}
        if len(ids) != len(param_group["params"]):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError(f"all optimizer param groups should be with/without names. cannot add param group "
                                 f"{kind} to the optimizer")
        if any(id(p) in ids for group in self.param_groups for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (the default), or to zeros in place."""
        with _range(f"Optimizer.zero_grad#{type(self).__name__}.zero_grad"):
            reset_grads(chain.from_iterable(group["params"] for group in self.param_groups), set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step (a subclass's job)."""
        raise NotImplementedError

    @staticmethod
    def _evaluate(closure):
        """The loss from `closure` (which re-runs the forward and backward), or None."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    @staticmethod
    def _grads(group):
        """(param, gradient array) for each parameter of `group` that has a gradient; the arrays are made
        contiguous so that updates can walk them in slices. The caller's loop body runs with the
        parameter's GPU current."""
        for p in group["params"]:
            if p.grad is not None:
                with _on_device_of(p._data):
                    g = p.grad._data
                    if not g.flags.c_contiguous:
                        g = array_module(g).ascontiguousarray(g)
                    yield p, g

    def register_step_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """hook(optimizer, args, kwargs) runs before each step; it may return new (args, kwargs)."""
        return add_hook(self, "_optimizer_step_pre_hooks", hook)

    def register_step_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """hook(optimizer, args, kwargs) runs after each step."""
        return add_hook(self, "_optimizer_step_post_hooks", hook)

    def state_dict(self) -> dict[str, Any]:
        """{'state': {index: per-parameter state}, 'param_groups': [{hyper-parameters, 'params': [indices]}]},
        parameters numbered in group order. The state tensors are the optimizer's own (not copies)."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load hyper-parameters and state saved by `state_dict`; state tensors move to each parameter's
        device (and floating dtype), except the `step` counters."""
        import copy
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(self.param_groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in self.param_groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = _cast(id_map[k], v)
            else:
                state[k] = v
        for group, new in zip(self.param_groups, saved_groups):
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})


def _cast(param, value, key=None):
    """`value` with its tensors on `param`'s device (and dtype, when floating); `step` counters stay."""
    if isinstance(value, Tensor):
        if key == "step":
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v) for v in value)
    return value
