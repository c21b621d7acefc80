"""NumPy reports overflow, division by zero and invalid results (log(0), 0/0 ...) as RuntimeWarnings, where
torch quietly returns inf or nan. A warnings filter cannot silence them reliably: the user's own filters come
first (`simplefilter("default")`, pytest's `-W error`), and `catch_warnings` blocks drop filters added inside
them. So every public op and backward pass (the dispatch door and `run_backward` inline `get_state` /
`set_state` / `reset_state`) and every optimizer step runs under NumPy's error state "ignore", set for its
duration only: the user's own NumPy code keeps its settings. NumPy 2 keeps that state in a context variable,
which is cheap to set; NumPy 1 takes np.errstate."""
import functools

import numpy as np

try:
    from numpy._core.umath import _extobj_contextvar, _make_extobj
except ImportError:  # NumPy 1.x
    _extobj_contextvar = None

if _extobj_contextvar is not None:
    QUIET = _make_extobj(all="ignore")
    get_state, set_state, reset_state = _extobj_contextvar.get, _extobj_contextvar.set, _extobj_contextvar.reset
else:
    QUIET = object()

    def get_state():
        """NumPy 1 has no state to compare with: every call sets it."""

    def set_state(_quiet):
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def reset_state(state):
        state.__exit__(None, None, None)


def quiet_fp(fn, module=None):
    """`fn` run with NumPy's floating-point warnings off, as torch never warns about inf or nan results.
    `module` names the module that publishes the wrapper (its __module__)."""
    @functools.wraps(fn)
    def quieted(*args, **kwargs):
        token = None if get_state() is QUIET else set_state(QUIET)
        try:
            return fn(*args, **kwargs)
        finally:
            if token is not None:
                reset_state(token)
    if module is not None:
        quieted.__module__ = module
    return quieted
