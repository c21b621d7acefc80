"""NumPy reports overflow, division by zero and invalid results (log(0), 0/0 ...) as RuntimeWarnings, where torch
quietly returns inf or nan. A warnings filter cannot silence them reliably: the user's own filters come first
(`simplefilter("default")`, pytest's `-W error`), and `catch_warnings` blocks drop filters added inside them.
So every public op, backward pass and optimizer step runs under NumPy's error state "ignore", set for its duration
only: the user's own NumPy code keeps its settings. NumPy 2 keeps that state in a context variable, which costs
~0.1 us to set (np.errstate ~1.3 us); NumPy 1 takes the public np.errstate."""
import functools

import numpy as np

try:
    from numpy._core.umath import _extobj_contextvar, _make_extobj
    _QUIET = _make_extobj(all="ignore")
except ImportError:  # NumPy 1.x
    _extobj_contextvar = None


def quiet_fp(fn, module=None):
    """`fn` run with NumPy's floating-point warnings off, as torch never warns about inf or nan results.
    `module` names the module that publishes the wrapper (its __module__), so that looking it up by name (as
    minitorch.save does for functions) finds the wrapper itself."""
    if _extobj_contextvar is None:
        @functools.wraps(fn)
        def quiet(*args, **kwargs):
            with np.errstate(all="ignore"):
                return fn(*args, **kwargs)
    else:
        @functools.wraps(fn)
        def quiet(*args, **kwargs):
            token = _extobj_contextvar.set(_QUIET)
            try:
                return fn(*args, **kwargs)
            finally:
                _extobj_contextvar.reset(token)
    if module is not None:
        quiet.__module__ = module
    return quiet
