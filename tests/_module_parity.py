"""Helpers for the nn.Module parity tests: run one scenario (written against `torch`) with minitorch and
with PyTorch, and compare what a learner would observe."""
import itertools

import numpy as np

import minitorch


def outcome(fn, *args, **kwargs):
    """fn(*args, **kwargs), or ('raised', exception type name, message) when it raises. Class paths in
    messages name the library itself (<class 'minitorch.nn...'>), so they are compared as 'torch.'."""
    try:
        return fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the exception is the observation
        return ("raised", type(e).__name__, str(e).replace("minitorch.", "torch."))


def same(scenario, torch):
    """scenario(lib) for both libraries; assert the results are equal and return minitorch's."""
    ours, theirs = scenario(minitorch), scenario(torch)
    assert ours == theirs, _first_difference(ours, theirs)
    return ours


def _first_difference(ours, theirs, path="result"):
    """Where two observations first differ, for a readable failure message."""
    if isinstance(ours, (list, tuple)) and isinstance(theirs, (list, tuple)) and len(ours) == len(theirs):
        for i, (a, b) in enumerate(zip(ours, theirs)):
            if a != b:
                return _first_difference(a, b, f"{path}[{i}]")
    return f"{path}:\n minitorch: {ours!r}\n torch:     {theirs!r}"


def lib_of(module):
    """The library (minitorch or torch) that `module` belongs to."""
    if isinstance(module, minitorch.nn.Module):
        return minitorch
    import torch
    return torch


def copy_state(src, dst):
    """Copy the parameters and buffers of module `src` into module `dst` of the other library, by name."""
    lib = lib_of(dst)
    targets = dict(itertools.chain(dst.named_parameters(), dst.named_buffers()))
    for name, t in itertools.chain(src.named_parameters(), src.named_buffers()):
        with lib.no_grad():
            targets[name].copy_(lib.tensor(np.array(t.detach().cpu().numpy())))


def values(tensors):
    """Nested lists of the values (comparable across libraries)."""
    return [np.round(np.asarray(t.detach().cpu().numpy(), dtype=np.float64), 5).tolist() for t in tensors]
