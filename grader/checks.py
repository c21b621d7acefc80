"""Checks for graded tests: each names what it checks in plain words and, when it fails, says what was
expected and what was got, e.g. "momentum buffer after step 2: expected tensor([1.9]), got tensor([1.])".

    from grader.checks import check, check_equal, check_close, check_raises, check_own_class

A failed check raises `CheckFailed` (an AssertionError); the grader prints its message as the reason."""
from contextlib import contextmanager

import numpy as np

_MISSING = object()
_WIDTH = 300  # values longer than this are shortened in messages


class CheckFailed(AssertionError):
    """A graded check that did not hold; the message names the check, and the expected and got values."""


def describe(value):
    """A short, readable text for `value` (tensors by their repr, long texts shortened)."""
    text = repr(value)
    text = " ".join(line.strip() for line in text.splitlines())
    return text if len(text) <= _WIDTH else text[:_WIDTH - 5] + " ...]"


def fail(what, expected=_MISSING, got=_MISSING):
    """Raise CheckFailed for check `what`, with the expected and got values when given."""
    parts = [p for p in (None if expected is _MISSING else f"expected {describe(expected)}",
                         None if got is _MISSING else f"got {describe(got)}") if p]
    raise CheckFailed(f"{what}: {', '.join(parts)}" if parts else what)


def check(condition, what, *, expected=_MISSING, got=_MISSING):
    """Pass when `condition` is true; otherwise fail with `what` (and the values, when given)."""
    if not condition:
        fail(what, expected, got)


def _is_tensor(value):
    return (not isinstance(value, type) and hasattr(value, "detach") and hasattr(value, "numpy")
            and hasattr(value, "shape"))


def _array(value):
    return np.asarray(value.detach().cpu().numpy()) if _is_tensor(value) else np.asarray(value)


def _same(got, expected):
    if _is_tensor(got) or _is_tensor(expected):
        if not (_is_tensor(got) and _is_tensor(expected)):
            return False
        a, b = _array(got), _array(expected)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(got, np.ndarray) or isinstance(expected, np.ndarray):
        return (isinstance(got, np.ndarray) and isinstance(expected, np.ndarray) and got.shape == expected.shape
                and np.array_equal(got, expected))
    if isinstance(got, (list, tuple)) and isinstance(expected, (list, tuple)):
        return (type(got) is type(expected) and len(got) == len(expected)
                and all(_same(g, e) for g, e in zip(got, expected)))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(_same(got[k], expected[k]) for k in expected)
    numbers = (int, float)
    if isinstance(got, numbers) and isinstance(expected, numbers) and not isinstance(got, bool):
        return not isinstance(expected, bool) and got == expected
    return type(got) is type(expected) and got == expected


def check_equal(got, expected, what):
    """Pass when `got` equals `expected` exactly: tensors by shape, dtype and values; lists, tuples and
    dicts element by element (dicts in any key order: compare `list(d)` to check an order)."""
    if not _same(got, expected):
        fail(what, expected, got)


def check_close(got, expected, what, *, rtol=1e-5, atol=1e-6):
    """Pass when `got` and `expected` (tensors, arrays or numbers) have the same shape and agree within
    atol + rtol * |expected|."""
    if _is_tensor(expected) and not _is_tensor(got):
        fail(what, expected, got)
    try:
        a, b = _array(got).astype(np.float64), _array(expected).astype(np.float64)
    except (TypeError, ValueError):
        fail(what, expected, got)
    if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
        fail(what, expected, got)


@contextmanager
def check_raises(exc_type, what, *, match=None):
    """The block must raise `exc_type` (and, with `match`, a message containing that text)."""
    name = exc_type.__name__
    try:
        yield
    except exc_type as exc:
        if match is not None and match not in str(exc):
            fail(what, f"{name} with a message containing {match!r}", f"{name}: {exc}")
    except NotImplementedError:  # an exercise stub: the grader counts it as todo
        raise
    except Exception as exc:  # a different error: say which
        fail(what, f"{name}", f"{type(exc).__name__}: {exc}")
    else:
        fail(what, name, "no error")


def check_own_class(cls, library_classes, what):
    """The learner's `cls` must be their own class: not one of `library_classes`, nor a subclass of one."""
    check(isinstance(cls, type), f"{what} is a class", expected="a class", got=cls)
    for library in library_classes:
        label = f"{library.__module__}.{library.__qualname__}"
        check(cls is not library, f"{what} is your own class, not {label} itself",
              expected="a new class", got=label)
        check(not issubclass(cls, library), f"{what} is built from scratch, not a subclass of {label}",
              expected=f"no {label} in its bases", got=[c.__qualname__ for c in cls.__mro__])


@contextmanager
def calls_forbidden(owner, names, what):
    """While the block runs, calling `owner.<name>` for any of `names` fails the check `what` (for
    exercises that must build something themselves rather than call the library's version)."""
    saved = {name: getattr(owner, name) for name in names}

    def forbidden(name):
        def call(*args, **kwargs):
            fail(f"{what} without calling {owner.__name__}.{name}", expected="no such call", got=f"a call of {name}")
        return call

    for name in names:
        setattr(owner, name, forbidden(name))
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(owner, name, value)
