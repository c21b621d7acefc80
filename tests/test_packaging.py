"""What editors and type checkers see: the package is marked typed (py.typed, PEP 561), Tensor's methods (bound
at import from minitorch/ops) are declared in a generated stub that matches the runtime class, and the main
public signatures (factories, nn.Module, optimizers) carry annotations that resolve."""
import ast
import inspect
import os
import subprocess
import sys
import typing

import pytest

import minitorch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.dirname(minitorch.__file__)


def test_the_package_is_marked_typed_and_ships_its_stubs():
    assert os.path.isfile(os.path.join(PACKAGE, "py.typed"))
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        package_data = next(line for line in f if line.startswith("minitorch = ["))
    assert '"py.typed"' in package_data and '"*.pyi"' in package_data


def test_the_tensor_stub_is_up_to_date():
    done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_tensor_stub.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def stub_methods():
    with open(os.path.join(PACKAGE, "_tensor.pyi")) as f:
        tree = ast.parse(f.read())
    cls = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Tensor")
    return {node.name: node for node in cls.body if isinstance(node, ast.FunctionDef)}


def test_the_stub_declares_every_public_tensor_method_with_its_parameters():
    stub = stub_methods()
    public = [n for n in dir(minitorch.Tensor) if not n.startswith("_")]
    assert not [n for n in public if n not in stub]
    for name in ("add", "sum", "view", "to", "backward", "__getitem__", "__add__", "__matmul__"):
        runtime = [p.name for p in inspect.signature(getattr(minitorch.Tensor, name)).parameters.values()]
        declared = stub[name].args
        names = [a.arg for a in declared.posonlyargs + declared.args + declared.kwonlyargs]
        names += [a.arg for a in (declared.vararg, declared.kwarg) if a is not None]
        assert sorted(names[1:]) == sorted(runtime[1:]) or names == ["self"] + runtime[1:], name
        assert stub[name].returns is not None


ANNOTATED = [minitorch.tensor, minitorch.as_tensor, minitorch.from_numpy, minitorch.zeros, minitorch.ones,
             minitorch.empty, minitorch.full, minitorch.zeros_like, minitorch.ones_like, minitorch.eye,
             minitorch.arange, minitorch.linspace, minitorch.rand, minitorch.randn, minitorch.randint,
             minitorch.randperm, minitorch.normal, minitorch.nn.Module.parameters, minitorch.nn.Module.named_parameters,
             minitorch.nn.Module.eval,
             minitorch.nn.Module.state_dict, minitorch.nn.Module.zero_grad, minitorch.nn.Module.children,
             minitorch.nn.Module.modules, minitorch.nn.Module.apply, minitorch.nn.Module.register_forward_hook,
             minitorch.optim.Optimizer.step, minitorch.optim.Optimizer.zero_grad, minitorch.optim.Optimizer.state_dict,
             minitorch.optim.Optimizer.add_param_group, minitorch.optim.SGD.__init__, minitorch.optim.Adam.__init__,
             minitorch.optim.AdamW.__init__]


@pytest.mark.parametrize("fn", ANNOTATED, ids=lambda f: f.__qualname__)
def test_public_signatures_are_annotated(fn):
    hints = typing.get_type_hints(fn, localns={"T": minitorch.nn.Module})
    assert "return" in hints
    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    for name in ("dtype", "device", "requires_grad", "recurse", "lr", "params", "set_to_none", "closure"):
        if any(p.name == name for p in params):
            assert name in hints, (fn.__qualname__, name)
