"""Acceptance-audit regressions for the Module system's hooks: torch's errors when a hook changes a
gradient's size or dtype, and RemovableHandle's public home (torch.utils.hooks)."""
import pytest

import minitorch


def _error(lib, run):
    with pytest.raises(RuntimeError) as info:
        run(lib)
    return str(info.value)


def test_module_backward_hook_changing_grad_size_raises_torchs_error(torch):
    def run(lib):
        layer = lib.nn.Linear(2, 2)
        layer.register_full_backward_hook(lambda m, gi, go: (lib.ones(5),))
        layer(lib.ones(3, 2, requires_grad=True)).sum().backward()
    assert _error(minitorch, run) == _error(torch, run)


@pytest.mark.parametrize("replacement", ["size", "dtype"])
def test_tensor_hook_changing_grad_size_or_dtype_raises_torchs_error(torch, replacement):
    def run(lib):
        def myhook(g):
            return lib.ones(5) if replacement == "size" else g.double()
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        y.register_hook(myhook)
        y.sum().backward()
    assert _error(minitorch, run) == _error(torch, run)


def test_removable_handle_lives_in_utils_hooks(torch):
    handle = minitorch.nn.Linear(1, 1).register_forward_hook(lambda *a: None)
    expected = type(torch.nn.Linear(1, 1).register_forward_hook(lambda *a: None))
    assert type(handle) is minitorch.utils.hooks.RemovableHandle
    assert type(handle).__module__.replace("minitorch", "torch") == expected.__module__
    assert repr(handle).startswith("<minitorch.utils.hooks.RemovableHandle object at ")
