"""Wrong answers to chapter 05."""
import math

from minitorch import nn

from . import solution

ok = solution(5)


def gain_fixed_slope(nonlinearity, param=None):
    """Always uses the default slope 0.01 for leaky_relu."""
    return ok.calculate_gain(nonlinearity, None if nonlinearity == "leaky_relu" else param)


def gain_tanh_one(nonlinearity, param=None):
    return 1 if nonlinearity == "tanh" else ok.calculate_gain(nonlinearity, param)


def fans_without_kernel(tensor):
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    return tensor.shape[1], tensor.shape[0]


def library_gain(nonlinearity, param=None):
    return nn.init.calculate_gain(nonlinearity, param)


def xavier_fan_in_only(tensor, gain=1.0):
    fan_in, _ = ok.fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan_in)
    return nn.init.uniform_(tensor, -bound, bound)


def kaiming_bound_is_std(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """Uses the std itself as the uniform bound (forgets sqrt(3))."""
    std = ok.calculate_gain(nonlinearity, a) / math.sqrt(ok.fan_in_and_fan_out(tensor)[0 if mode == "fan_in" else 1])
    return nn.init.uniform_(tensor, -std, std)


def kaiming_normal_fan_in_always(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    return ok.kaiming_normal_(tensor, a, "fan_in", nonlinearity)


def library_xavier_uniform(tensor, gain=1.0):
    return nn.init.xavier_uniform_(tensor, gain)


def init_cnn_variant(layers, mode, none_safe):
    """The reference init_cnn with one thing changed: which layers, the Kaiming mode, or the None check."""
    def init_cnn(model):
        def init(m):
            if isinstance(m, layers):
                nn.init.kaiming_normal_(m.weight, mode=mode, nonlinearity="relu")
                if m.bias is not None or not none_safe:
                    nn.init.zeros_(m.bias)
            if isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        return model.apply(init)
    return init_cnn


WRONG = {
    "ch05.1": {
        "leaky_relu ignores its slope": {"calculate_gain": gain_fixed_slope},
        "tanh gain 1": {"calculate_gain": gain_tanh_one},
        "fans without the kernel size": {"fan_in_and_fan_out": fans_without_kernel},
        "calls nn.init.calculate_gain": {"calculate_gain": library_gain},
    },
    "ch05.2": {
        "xavier from fan_in only": {"xavier_uniform_": xavier_fan_in_only},
        "uniform bound = std": {"kaiming_uniform_": kaiming_bound_is_std},
        "mode ignored": {"kaiming_normal_": kaiming_normal_fan_in_always},
        "calls nn.init.xavier_uniform_": {"xavier_uniform_": library_xavier_uniform},
    },
    "ch05.3": {
        "the default keeps the spread": {"predict_output_std": lambda: (1.0, 1.0)},
        "variances, not standard deviations": {"predict_output_std": lambda: (1 / 3, 2.0)},
    },
    "ch05.4": {
        "fan_out kept": {"init_cnn": init_cnn_variant((nn.Conv2d, nn.Linear), "fan_out", True)},
        "Conv2d left out": {"init_cnn": init_cnn_variant(nn.Linear, "fan_in", True)},
        "bias filled even when there is none": {"init_cnn": init_cnn_variant((nn.Conv2d, nn.Linear), "fan_in", False)},
    },
}
