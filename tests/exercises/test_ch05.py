"""Graded tests for chapter 05 (initialization). Shapes, gains and seeds are drawn afresh on every run;
distributions are checked by their statistics on large tensors, with margins of many standard errors."""
import math
import random

import pytest

import minitorch as torch
from grader.checks import calls_forbidden, check, check_close, check_equal, check_raises
from minitorch import nn

INIT_FUNCTIONS = ("calculate_gain", "_calculate_fan_in_and_fan_out", "_calculate_correct_fan", "xavier_uniform_",
                  "xavier_normal_", "kaiming_uniform_", "kaiming_normal_")
NONLINEARITIES = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                  "sigmoid", "tanh", "relu", "leaky_relu", "selu")
BIG_SHAPES = ((256, 256), (512, 128), (96, 64, 3, 3), (32, 48, 5, 5), (128, 16, 3, 3, 3))


def _own(ch05, name, *args, **kwargs):
    """Call the learner's function with nn.init's own versions switched off."""
    with calls_forbidden(nn.init, INIT_FUNCTIONS, f"{name} works"):
        return getattr(ch05, name)(*args, **kwargs)


# ----- ch05.1 calculate_gain, fan_in_and_fan_out ---------------------------------------------------------
@pytest.mark.exercise("ch05.1", points=2)
def test_calculate_gain(ch05):
    """gains for every nonlinearity, leaky slopes included"""
    for name in NONLINEARITIES:
        check_close(_own(ch05, "calculate_gain", name), nn.init.calculate_gain(name), f"calculate_gain({name!r})")
    rng = random.Random()
    for slope in (0, 1, 0.2, rng.uniform(0, 3), rng.randint(2, 5)):
        check_close(_own(ch05, "calculate_gain", "leaky_relu", slope), nn.init.calculate_gain("leaky_relu", slope),
                    f"calculate_gain('leaky_relu', {slope})")
    for param in (True, "0.1"):
        with check_raises(ValueError, f"calculate_gain('leaky_relu', {param!r})", match=f"negative_slope {param} not"):
            _own(ch05, "calculate_gain", "leaky_relu", param)
    with check_raises(ValueError, "calculate_gain('swish')", match="Unsupported nonlinearity swish"):
        _own(ch05, "calculate_gain", "swish")


@pytest.mark.exercise("ch05.1", points=1)
def test_fan_in_and_fan_out(ch05):
    """fans of linear and convolution weights"""
    rng = random.Random()
    for _ in range(8):
        shape = tuple(rng.randint(1, 7) for _ in range(rng.randint(2, 5)))
        check_equal(tuple(_own(ch05, "fan_in_and_fan_out", torch.empty(shape))),
                    nn.init._calculate_fan_in_and_fan_out(torch.empty(shape)), f"fan_in_and_fan_out of shape {shape}")
    with check_raises(ValueError, "fan_in_and_fan_out of a 1-d tensor", match="fewer than 2 dimensions"):
        _own(ch05, "fan_in_and_fan_out", torch.empty(5))


# ----- ch05.2 xavier_* and kaiming_* ----------------------------------------------------------------------
def _fill(ch05, name, shape, **kwargs):
    """Fill a fresh Parameter of `shape` with the learner's initializer; check it fills in place without history."""
    weight = nn.Parameter(torch.zeros(*shape))
    result = _own(ch05, name, weight, **kwargs)
    check(result is weight, f"{name} returns the tensor it filled", got=type(result).__name__)
    check(weight.grad_fn is None and weight.is_leaf, f"{name} records no autograd history")
    return weight.detach()


def _check_distribution(values, std, uniform, label):
    n = values.numel()
    check_close(values.std().item(), std, f"{label}: std", rtol=0.04 if n > 30000 else 0.1)
    check(abs(values.mean().item()) < 6 * std / math.sqrt(n), f"{label}: mean close to 0",
          expected=f"|mean| < {6 * std / math.sqrt(n):.2g}", got=values.mean().item())
    largest = values.abs().max().item()
    if uniform:
        bound = math.sqrt(3) * std
        check(0.98 * bound < largest <= bound * (1 + 1e-6), f"{label}: largest |value| (uniform in +-{bound:.4g})",
              expected=f"just below {bound:.4g}", got=largest)
    else:
        check(largest > 3 * std, f"{label}: values beyond 3 std exist (a normal, not a uniform)",
              expected=f"max |value| > {3 * std:.4g}", got=largest)


@pytest.mark.exercise("ch05.2", points=2)
def test_xavier(ch05):
    """xavier_uniform_ and xavier_normal_ by their statistics"""
    rng = random.Random()
    torch.manual_seed(rng.randrange(2**31))
    for shape in rng.sample(BIG_SHAPES, 3):
        gain = rng.choice([1.0, 5 / 3, rng.uniform(0.5, 2)])
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        std = gain * math.sqrt(2 / (fan_in + fan_out))
        for name, uniform in (("xavier_uniform_", True), ("xavier_normal_", False)):
            _check_distribution(_fill(ch05, name, shape, gain=gain), std, uniform,
                                f"{name} on {shape}, gain={gain:.3g}")


@pytest.mark.exercise("ch05.2", points=2)
def test_kaiming(ch05):
    """kaiming_uniform_ and kaiming_normal_ by their statistics, for both modes and leaky slopes"""
    rng = random.Random()
    torch.manual_seed(rng.randrange(2**31))
    for shape in rng.sample(BIG_SHAPES, 3):
        for mode in ("fan_in", "fan_out"):
            a, nonlinearity = rng.choice([(0, "relu"), (rng.uniform(0, 1), "leaky_relu"), (0, "tanh")])
            fan = nn.init._calculate_correct_fan(torch.empty(shape), mode)
            std = nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
            for name, uniform in (("kaiming_uniform_", True), ("kaiming_normal_", False)):
                _check_distribution(_fill(ch05, name, shape, a=a, mode=mode, nonlinearity=nonlinearity), std, uniform,
                                    f"{name} on {shape}, a={a:.3g}, mode={mode}, {nonlinearity}")
    with check_raises(ValueError, "kaiming_normal_ with mode='fan_avg'", match="Mode fan_avg not supported"):
        _own(ch05, "kaiming_normal_", torch.empty(4, 4), mode="fan_avg")


# ----- ch05.3 predict_output_std -------------------------------------------------------------------------
def output_stds():
    """The std of nn.Linear(256, 256)'s outputs on standard-normal inputs: default, then Kaiming (relu)."""
    x = torch.randn(4096, 256)
    layer = nn.Linear(256, 256)
    default_std = layer(x).std().item()
    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    nn.init.zeros_(layer.bias)
    return default_std, layer(x).std().item()


@pytest.mark.exercise("ch05.3", points=1)
def test_predicted_output_std(ch05):
    """your prediction of the output spread of a default and a Kaiming Linear layer"""
    torch.manual_seed(random.randrange(2**31))
    default_std, kaiming_std = output_stds()
    predicted = ch05.predict_output_std()
    check_close(predicted[0], default_std, "std of the default Linear's outputs", atol=0.03)
    check_close(predicted[1], kaiming_std, "std of the Kaiming-initialized Linear's outputs", atol=0.05)


# ----- ch05.4 init_cnn (debugging) ------------------------------------------------------------------------
def _cnn(c1, c2):
    return nn.Sequential(nn.Conv2d(3, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU(),
                         nn.Conv2d(c1, c2, 3, bias=False), nn.ReLU(), nn.Flatten(), nn.Linear(c2 * 4, 10))


@pytest.mark.exercise("ch05.4", points=2)
def test_init_cnn_weights(ch05):
    """Conv2d and Linear weights follow Kaiming's fan_in rule for ReLU; biases are zero"""
    rng = random.Random()
    torch.manual_seed(rng.randrange(2**31))
    c1, c2 = rng.choice([48, 64]), rng.choice([64, 96])
    model = _cnn(c1, c2)
    check(ch05.init_cnn(model) is model, "init_cnn returns the model")
    for index in (0, 3, 6):
        layer = model[index]
        fan_in = nn.init._calculate_correct_fan(layer.weight, "fan_in")
        n = layer.weight.numel()
        check_close(layer.weight.std().item(), math.sqrt(2 / fan_in), f"std of the weight of {layer}",
                    rtol=0.05 if n > 30000 else 0.12)
        if layer.bias is not None:
            check_equal(layer.bias.detach(), torch.zeros_like(layer.bias), f"bias of {layer}")
        check(layer.weight.is_leaf and layer.weight.requires_grad, f"the weight of {layer} is still a trainable leaf")


@pytest.mark.exercise("ch05.4", points=1)
def test_init_cnn_batchnorm(ch05):
    """BatchNorm2d gets weight ones and bias zeros"""
    model = _cnn(8, 8)
    with torch.no_grad():
        model[1].weight.uniform_(2, 3)
        model[1].bias.uniform_(2, 3)
    ch05.init_cnn(model)
    check_equal(model[1].weight.detach(), torch.ones(8), "BatchNorm2d weight")
    check_equal(model[1].bias.detach(), torch.zeros(8), "BatchNorm2d bias")
