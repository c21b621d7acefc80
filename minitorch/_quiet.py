"""NumPy reports overflow, division by zero and invalid results (log(0), 0/0 ...) as RuntimeWarnings, where
torch quietly returns inf or nan. A warnings filter cannot silence them reliably: the user's own filters come
first (`simplefilter("default")`, pytest's `-W error`), and `catch_warnings` blocks drop filters added inside
them. So every public op (the dispatch door calls `quiet()` / `restore()` around it), backward pass and optimizer
step runs under NumPy's error state "ignore", set for its duration only: the user's own NumPy code keeps its
settings. NumPy 2 keeps that state in a context variable, which is cheap to set; NumPy 1 takes np.errstate."""
import functools

import numpy as np

try:
    from numpy._core.umath import _extobj_contextvar, _make_extobj
except ImportError:  # NumPy 1.x
    _extobj_contextvar = None

if _extobj_contextvar is not None:
    _QUIET = _make_extobj(all="ignore")
    _get, _set, _reset = _extobj_contextvar.get, _extobj_contextvar.set, _extobj_contextvar.reset

    def quiet():
        """Switch NumPy's floating-point warnings off; returns what restore() needs (None if already off)."""
        return None if _get() is _QUIET else _set(_QUIET)

    def restore(token):
        if token is not None:
            _reset(token)
else:
    def quiet():
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def restore(state):
        state.__exit__(None, None, None)


def quiet_fp(fn, module=None):
    """`fn` run with NumPy's floating-point warnings off, as torch never warns about inf or nan results.
    `module` names the module that publishes the wrapper (its __module__)."""
    @functools.wraps(fn)
    def quieted(*args, **kwargs):
        token = quiet()
        try:
            return fn(*args, **kwargs)
        finally:
            restore(token)
    if module is not None:
        quieted.__module__ = module
    return quieted
