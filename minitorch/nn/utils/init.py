"""`skip_init` (torch.nn.utils.init): build a module without running its parameter initialisation."""
import contextlib
import inspect

from .. import init
from ..modules.module import Module

__all__ = ["skip_init"]


@contextlib.contextmanager
def _init_disabled():
    """Replace every filling function of nn.init by one that returns its tensor untouched. Modules call
    them as `init.<name>(...)`, so their reset_parameters leaves the `empty` storage as it is. Not
    thread-safe: other threads constructing modules meanwhile also skip their initialisation."""
    names = [name for name in init.__all__ if name.endswith("_")]
    saved = {name: getattr(init, name) for name in names}
    for name in names:
        setattr(init, name, lambda tensor, *args, **kwargs: tensor)
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(init, name, fn)


def skip_init(module_cls, *args, **kwargs):
    """module_cls(*args, **kwargs) with parameters left uninitialised (as made by `empty`), for when a
    custom initialisation follows. torch builds the module on the 'meta' device and then allocates empty
    storage; here the nn.init functions are disabled during construction instead. Like torch, the class
    must accept a `device` argument; buffers a constructor fills directly (e.g. with zeros) keep those
    values."""
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    with _init_disabled():
        return module_cls(*args, **kwargs)
