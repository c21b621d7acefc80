"""The code of PyTorch's "Modules" note (docs/source/notes/modules.rst), sections "A Simple Custom Module"
through "Module Hooks", run with `import minitorch as torch`. Each example is written once, taking the
library as its argument, and its printed text is compared with PyTorch running the same code on the same
numbers (weights and inputs are copied across; the random streams of the two libraries differ)."""
import numpy as np
import pytest

import minitorch

from ._module_parity import copy_state, same, values


def _numbers(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _my_linear(torch):
    nn = torch.nn

    class MyLinear(nn.Module):
        def __init__(self, in_features, out_features):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(in_features, out_features))
            self.bias = nn.Parameter(torch.randn(out_features))

        def forward(self, input):
            return (input @ self.weight) + self.bias
    return MyLinear


def _nets(torch):
    """Net and BigNet of "Modules as Building Blocks"."""
    nn, F = torch.nn, torch.nn.functional
    MyLinear = _my_linear(torch)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.l0 = MyLinear(4, 3)
            self.l1 = MyLinear(3, 1)

        def forward(self, x):
            x = self.l0(x)
            x = F.relu(x)
            x = self.l1(x)
            return x

    class BigNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = MyLinear(5, 4)
            self.net = Net()

        def forward(self, x):
            return self.net(self.l1(x))
    return Net, BigNet


def _dynamic_net(torch):
    nn = torch.nn
    MyLinear = _my_linear(torch)

    class DynamicNet(nn.Module):
        def __init__(self, num_layers):
            super().__init__()
            self.linears = nn.ModuleList([MyLinear(4, 4) for _ in range(num_layers)])
            self.activations = nn.ModuleDict({
                'relu': nn.ReLU(),
                'lrelu': nn.LeakyReLU()
            })
            self.final = MyLinear(4, 1)

        def forward(self, x, act):
            for linear in self.linears:
                x = linear(x)
            x = self.activations[act](x)
            x = self.final(x)
            return x
    return DynamicNet


def _pair(torch, build):
    """The same module in both libraries, minitorch's holding torch's numbers."""
    ref, ours = build(torch), build(minitorch)
    copy_state(ref, ours)
    return ours, ref


# ----- A Simple Custom Module ---------------------------------------------------------------------------
def test_simple_custom_module(torch):
    ours, ref = _pair(torch, lambda lib: _my_linear(lib)(4, 3))
    x = _numbers(4, 0)

    def run(torch, m):
        sample_input = torch.tensor(x)
        return [str(m(sample_input))] + [str(parameter) for parameter in m.named_parameters()]
    lines = run(minitorch, ours)
    assert lines == run(torch, ref)
    assert lines[0].endswith("grad_fn=<AddBackward0>)")
    assert lines[1].startswith("('weight', Parameter containing:\ntensor([[")


# ----- Modules as Building Blocks -----------------------------------------------------------------------
def test_sequential_of_custom_modules(torch):
    def build(torch):
        MyLinear = _my_linear(torch)
        return torch.nn.Sequential(MyLinear(4, 3), torch.nn.ReLU(), MyLinear(3, 1))
    net, ref = _pair(torch, build)
    x = _numbers(4, 1)
    assert str(net(minitorch.tensor(x))) == str(ref(torch.tensor(x)))


def test_named_children_and_named_modules(torch):
    def scenario(torch):
        Net, BigNet = _nets(torch)
        net = Net()
        big_net = BigNet()
        return [str(child) for child in net.named_children()], [str(module) for module in big_net.named_modules()]
    children, modules = same(scenario, torch)
    assert children == ["('l0', MyLinear())", "('l1', MyLinear())"]
    assert modules[0] == ("('', BigNet(\n  (l1): MyLinear()\n  (net): Net(\n    (l0): MyLinear()\n"
                          "    (l1): MyLinear()\n  )\n))")


def test_dynamic_net(torch):
    dynamic_net, ref = _pair(torch, lambda lib: _dynamic_net(lib)(3))
    x = _numbers(4, 2)
    for act in ("relu", "lrelu"):
        output = dynamic_net(minitorch.tensor(x), act)
        assert str(output) == str(ref(torch.tensor(x), act))
    names = [name for name, _ in dynamic_net.named_parameters()]
    assert names == [name for name, _ in ref.named_parameters()] == [
        "linears.0.weight", "linears.0.bias", "linears.1.weight", "linears.1.bias", "linears.2.weight",
        "linears.2.bias", "final.weight", "final.bias"]
    assert [str(p) for p in dynamic_net.named_parameters()] == [str(p) for p in ref.named_parameters()]


def test_change_precision_and_apply(torch):
    dynamic_net, ref = _pair(torch, lambda lib: _dynamic_net(lib)(3))
    x = _numbers(5, 3)[:4]
    dynamic_net.to(dtype=minitorch.float64)
    ref.to(dtype=torch.float64)
    out = dynamic_net(minitorch.tensor(x, dtype=minitorch.float64), "relu")
    assert str(out) == str(ref(torch.tensor(x, dtype=torch.float64), "relu"))
    assert "dtype=torch.float64" in str(out)

    def init_weights_for(torch):
        @torch.no_grad()
        def init_weights(m):
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.xavier_normal_(m.weight)
                m.bias.fill_(0.0)
        return init_weights

    before = values(dynamic_net.parameters())
    assert dynamic_net.apply(init_weights_for(minitorch)) is dynamic_net
    assert values(dynamic_net.parameters()) == before  # MyLinear is not an nn.Linear: nothing to do
    lin = minitorch.nn.Sequential(minitorch.nn.Linear(40, 30), minitorch.nn.ReLU())
    lin.apply(init_weights_for(minitorch))
    w = lin[0].weight.detach().numpy()
    assert lin[0].bias.detach().numpy().tolist() == [0.0] * 30
    assert abs(w.std() - np.sqrt(2.0 / 70)) < 0.03 and lin[0].weight.grad_fn is None


@pytest.mark.cuda
def test_move_dynamic_net_to_cuda():
    dynamic_net = _dynamic_net(minitorch)(3)
    dynamic_net.to(device='cuda')
    dynamic_net.to(dtype=minitorch.float64)
    out = dynamic_net(minitorch.randn(4, device='cuda', dtype=minitorch.float64), "relu")
    assert "device='cuda:0', dtype=torch.float64, grad_fn=<AddBackward0>" in " ".join(str(out).split())


# ----- Neural Network Training with Modules -------------------------------------------------------------
def test_training_loop_with_sgd(torch):
    if not hasattr(minitorch, "optim"):
        pytest.skip("minitorch.optim is not written yet: the note's training loop needs torch.optim.SGD")
    net, ref = _pair(torch, lambda lib: _nets(lib)[0]())
    inputs = _numbers((200, 4), 4)

    def train(torch, net):
        optimizer = torch.optim.SGD(net.parameters(), lr=1e-2, weight_decay=1e-2, momentum=0.9)
        for row in inputs:
            input = torch.tensor(row)
            output = net(input)
            loss = torch.abs(output)
            net.zero_grad()
            loss.backward()
            optimizer.step()
        net.eval()
        return values(net.parameters())
    for ours, theirs in zip(train(minitorch, net), train(torch, ref)):  # one array per parameter
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    assert not net.training


def test_training_and_evaluation_modes(torch):
    x = _numbers(4, 5)

    def scenario(torch):
        class ModalModule(torch.nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, x):
                if self.training:
                    # Add a constant only in training mode.
                    return x + 1.
                else:
                    return x

        m = ModalModule()
        t = torch.tensor(x)
        lines = ['training mode output: {}'.format(m(t))]
        m.eval()
        lines.append('evaluation mode output: {}'.format(m(t)))
        return lines
    same(scenario, torch)


# ----- Module State -------------------------------------------------------------------------------------
def _need_serialization():
    if not hasattr(minitorch, "save") or not hasattr(minitorch, "load"):
        pytest.skip("minitorch.save / minitorch.load are not written yet (the note saves state_dicts)")


def test_save_and_load_state_dict(torch, tmp_path):
    _need_serialization()
    Net = _nets(minitorch)[0]
    net = Net()
    minitorch.save(net.state_dict(), tmp_path / "net.pt")
    new_net = Net()
    result = new_net.load_state_dict(minitorch.load(tmp_path / "net.pt"))
    assert repr(result) == "<All keys matched successfully>"
    assert values(new_net.parameters()) == values(net.parameters())


def _running_mean(torch):
    class RunningMean(torch.nn.Module):
        def __init__(self, num_features, momentum=0.9):
            super().__init__()
            self.momentum = momentum
            self.register_buffer('mean', torch.zeros(num_features))

        def forward(self, x):
            self.mean = self.momentum * self.mean + (1.0 - self.momentum) * x
            return self.mean
    return RunningMean


def test_running_mean_buffer(torch, tmp_path):
    inputs = _numbers((10, 4), 6)

    def scenario(torch):
        m = _running_mean(torch)(4)
        for row in inputs:
            m(torch.tensor(row))
        return str(m.state_dict()), [str(buffer) for buffer in m.named_buffers()], \
            [type(b).__name__ for b in m.buffers()]
    printed, buffers, _ = same(scenario, torch)
    assert printed.startswith("OrderedDict([('mean', tensor([")
    assert buffers[0].startswith("('mean', tensor(")

    _need_serialization()
    m = _running_mean(minitorch)(4)
    for row in inputs:
        m(minitorch.tensor(row))
    minitorch.save(m.state_dict(), tmp_path / "mean.pt")
    m_loaded = _running_mean(minitorch)(4)
    m_loaded.load_state_dict(minitorch.load(tmp_path / "mean.pt"))
    assert(minitorch.all(m.mean == m_loaded.mean))


def test_stateful_module(torch, tmp_path):
    _need_serialization()
    from .test_state_dict import _stateful
    m = _stateful(minitorch)
    minitorch.save(m.state_dict(), tmp_path / "state.pt")
    m_loaded = _stateful(minitorch)
    m_loaded.load_state_dict(minitorch.load(tmp_path / "state.pt"))
    sd = m_loaded.state_dict()
    assert list(sd) == ["param1", "param2", "buffer1", "param_list.0", "param_list.1", "param_list.2",
                        "param_dict.bar", "param_dict.foo", "linear.weight", "linear.bias"]
    assert values(sd.values()) == values(m.state_dict().values())
    ref = _stateful(torch)
    ref.load_state_dict({k: torch.tensor(v.numpy()) for k, v in sd.items()})
    assert str(ref.state_dict()) == str(sd)


# ----- Module Initialization ----------------------------------------------------------------------------
def test_initialization_dtype():
    m = minitorch.nn.Linear(5, 3, dtype=minitorch.half)
    assert m.weight.dtype is minitorch.float16 and m.bias.dtype is minitorch.float16
    bound = 1 / np.sqrt(5)
    assert np.abs(m.weight.detach().numpy().astype(np.float32)).max() <= bound + 1e-3


def test_skip_init_and_orthogonal():
    utils = getattr(minitorch.nn, "utils", None)
    if utils is None or not hasattr(utils, "skip_init"):
        pytest.skip("minitorch.nn.utils.skip_init is not written yet")
    if not hasattr(minitorch.nn.init, "orthogonal_"):
        pytest.skip("minitorch.nn.init.orthogonal_ is not written yet")
    m = utils.skip_init(minitorch.nn.Linear, 5, 3)
    minitorch.nn.init.orthogonal_(m.weight)
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-5)


def test_batchnorm_buffers_take_dtype():
    if not hasattr(minitorch.nn, "BatchNorm2d"):
        pytest.skip("layer BatchNorm2d is not written yet")
    m = minitorch.nn.BatchNorm2d(3, dtype=minitorch.half)
    assert str(m.running_mean) == "tensor([0., 0., 0.], dtype=torch.float16)"


@pytest.mark.cuda
def test_initialize_directly_on_gpu():
    m = minitorch.nn.Linear(5, 3, device='cuda')
    assert m.weight.is_cuda and m.bias.is_cuda


# ----- Module Hooks -------------------------------------------------------------------------------------
NOTE_HOOK_OUTPUTS = [
    "output with no forward hooks: tensor([[-0.5059, -0.8158,  0.2390],\n        [-0.0043,  0.4724, -0.1714]], "
    "grad_fn=<AddmmBackward0>)",
    "output with forward pre hook: tensor([[-0.5752, -0.7421,  0.4942],\n        [-0.0736,  0.5461,  0.0838]], "
    "grad_fn=<AddmmBackward0>)",
    "output with both forward hooks: tensor([[-1.0980,  0.6396,  0.4666],\n        [ 0.3634,  0.6538,  1.0256]], "
    "grad_fn=<AddBackward0>)",
    "output after removing forward hooks: tensor([[-0.5059, -0.8158,  0.2390],\n        [-0.0043,  0.4724, "
    "-0.1714]], grad_fn=<AddmmBackward0>)",
    "x.grad with no backwards hook: tensor([[ 0.4497, -0.5046,  0.3146],\n        [ 0.4497, -0.5046,  0.3146]])",
    "x.grad with backwards hook: tensor([[42., 42., 42.],\n        [42., 42., 42.]])",
]


def _hooks_demo(torch, m, x):
    """The note's hook example, after `m = nn.Linear(3, 3)` and `x = torch.randn(2, 3, requires_grad=True)`;
    returns what it prints."""
    printed = []
    print = printed.append  # noqa: A001 - collect the note's prints

    def forward_pre_hook(m, inputs):
        # Allows for examination and modification of the input before the forward pass.
        # Note that inputs are always wrapped in a tuple.
        input = inputs[0]
        return input + 1.

    def forward_hook(m, inputs, output):
        # Allows for examination of inputs / outputs and modification of the outputs
        # after the forward pass. Note that inputs are always wrapped in a tuple while outputs
        # are passed as-is.

        # Residual computation a la ResNet.
        return output + inputs[0]

    def backward_hook(m, grad_inputs, grad_outputs):
        # Allows for examination of grad_inputs / grad_outputs and modification of
        # grad_inputs used in the rest of the backwards pass. Note that grad_inputs and
        # grad_outputs are always wrapped in tuples.
        new_grad_inputs = [torch.ones_like(gi) * 42. for gi in grad_inputs]
        return new_grad_inputs

    # ==== Demonstrate forward hooks. ====
    # Run input through module before and after adding hooks.
    print('output with no forward hooks: {}'.format(m(x)))

    # Note that the modified input results in a different output.
    forward_pre_hook_handle = m.register_forward_pre_hook(forward_pre_hook)
    print('output with forward pre hook: {}'.format(m(x)))

    # Note the modified output.
    forward_hook_handle = m.register_forward_hook(forward_hook)
    print('output with both forward hooks: {}'.format(m(x)))

    # Remove hooks; note that the output here matches the output before adding hooks.
    forward_pre_hook_handle.remove()
    forward_hook_handle.remove()
    print('output after removing forward hooks: {}'.format(m(x)))

    # ==== Demonstrate backward hooks. ====
    m(x).sum().backward()
    print('x.grad with no backwards hook: {}'.format(x.grad))

    # Clear gradients before running backward pass again.
    m.zero_grad()
    x.grad.zero_()

    m.register_full_backward_hook(backward_hook)
    m(x).sum().backward()
    print('x.grad with backwards hook: {}'.format(x.grad))
    return printed


def test_hooks_demo_reproduces_the_note(torch):
    torch.manual_seed(1)
    m_ref = torch.nn.Linear(3, 3)
    x_ref = torch.randn(2, 3, requires_grad=True)
    m = minitorch.nn.Linear(3, 3)
    copy_state(m_ref, m)
    x = minitorch.tensor(x_ref.detach().numpy(), requires_grad=True)
    printed = _hooks_demo(minitorch, m, x)
    assert printed == _hooks_demo(torch, m_ref, x_ref)
    assert printed == NOTE_HOOK_OUTPUTS
