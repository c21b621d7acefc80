"""Grad modes: whether operations record a graph. Each works as a context manager and as a decorator
(`@no_grad()` and bare `@no_grad`), also on generator functions."""
import functools
import inspect

_state = {"enabled": True, "inference": False}


def is_grad_enabled():
    return _state["enabled"]


def is_inference_mode_enabled():
    return _state["inference"]


class _GradMode:
    """Base for the modes below: set the mode on enter, restore the previous one on exit."""

    _args = ()

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and cls._bare_decorator:
            return cls()(args[0])
        return super().__new__(cls)

    _bare_decorator = True  # `@no_grad` without parentheses decorates the function it is given

    def __call__(self, fn):
        """Decorate `fn` so that it runs in this mode (every step of it, for a generator function)."""
        mode = self.clone
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def generator(*args, **kwargs):
                gen = fn(*args, **kwargs)
                value = None
                while True:
                    try:
                        with mode():
                            value = gen.send(value)
                    except StopIteration as stop:
                        return stop.value
                    value = yield value
            return generator

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with mode():
                return fn(*args, **kwargs)
        return wrapper

    def __enter__(self):
        self._prev = dict(_state)
        self._apply()

    def __exit__(self, *exc):
        _state.update(self._prev)
        return False

    def clone(self):
        return self.__class__(*self._args)


class no_grad(_GradMode):
    """Operations inside do not record a graph: results have requires_grad=False."""

    def _apply(self):
        _state["enabled"] = False


class enable_grad(_GradMode):
    """Turn recording back on inside a no_grad block."""

    def _apply(self):
        _state["enabled"] = True


class set_grad_enabled(_GradMode):
    """Set recording on or off; takes effect at once even when not used with `with`, as in torch."""

    _bare_decorator = False

    def __init__(self, mode):
        self._args = (mode,)
        self._prev_at_init = dict(_state)
        _state["enabled"] = bool(mode)

    def __enter__(self):
        self._prev = self._prev_at_init

    def __call__(self, fn):
        _state.update(self._prev_at_init)
        return super().__call__(fn)


class inference_mode(_GradMode):
    """Like no_grad (minitorch keeps no separate inference tensors, so it is only the stricter name)."""

    def __init__(self, mode=True):
        self._args = (mode,)

    def _apply(self):
        if self._args[0]:
            _state["enabled"] = False
            _state["inference"] = True
