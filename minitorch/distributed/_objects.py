"""Object collectives carry JSON, never pickle: what a peer sends is data, and reading it runs no code."""
import json

_LEAVES = (type(None), bool, int, float, str)


def _check(obj, what):
    """Raise TypeError naming the first value in `obj` that JSON cannot carry faithfully."""
    stack = [(obj, "obj")]
    while stack:
        value, path = stack.pop()
        if type(value) in _LEAVES:
            continue
        if type(value) is list:
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(value))
        elif type(value) is dict:
            for key, v in value.items():
                if type(key) is not str:
                    raise TypeError(f"{what} sends JSON data only: dict keys must be str, got "
                                    f"{type(key).__name__} key {key!r} in {path}")
                stack.append((v, f"{path}[{key!r}]"))
        else:
            raise TypeError(f"{what} sends JSON data only (dict with str keys, list, str, int, float, bool, "
                            f"None), got {type(value).__name__} at {path}")


def encode(obj, what):
    """`obj` as UTF-8 JSON bytes, after checking that it is plain JSON data."""
    _check(obj, what)
    return json.dumps(obj).encode()


def decode(data):
    return json.loads(bytes(data).decode())
