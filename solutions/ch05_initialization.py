"""Chapter 05 solutions: initialization."""
import math

from minitorch import nn

LINEAR_GAIN = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
               "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """ch05.1: 1 for linear maps and sigmoid, 5/3 for tanh, sqrt(2) for relu, 3/4 for selu, and
    sqrt(2 / (1 + slope^2)) for leaky_relu."""
    if nonlinearity in LINEAR_GAIN:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def fan_in_and_fan_out(tensor):
    """ch05.1: (in_features, out_features), each times the kernel's receptive field."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _xavier_std(tensor, gain):
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def _kaiming_std(tensor, a, mode, nonlinearity):
    modes = ["fan_in", "fan_out"]
    if mode not in modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {modes}")
    fan = fan_in_and_fan_out(tensor)[modes.index(mode)]
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def xavier_uniform_(tensor, gain=1.0):
    """ch05.2: U(-b, b) with b = sqrt(3) * gain * sqrt(2 / (fan_in + fan_out))."""
    bound = math.sqrt(3.0) * _xavier_std(tensor, gain)
    return nn.init.uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """ch05.2: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    return nn.init.normal_(tensor, 0.0, _xavier_std(tensor, gain))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """ch05.2: U(-b, b) with b = sqrt(3) * gain / sqrt(fan)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return nn.init.uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """ch05.2: N(0, std^2) with std = gain / sqrt(fan)."""
    return nn.init.normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def predict_output_std():
    """ch05.3: Var(y) = fan_in * Var(w) * Var(x) (+ Var(b)). The default weights are U(-1/16, 1/16), of
    variance 1/768, so Var(y) = 256/768 + 1/768 and std ~ 0.58; Kaiming's weights have variance 2/256,
    so Var(y) = 2 and std ~ 1.41."""
    return math.sqrt(257 / 768), math.sqrt(2.0)


def init_cnn(model):
    """ch05.4: Conv2d and Linear layers too, fan_in mode, a None-safe bias fill through nn.init (no autograd)."""

    def init(m):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        if isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    return model.apply(init)
