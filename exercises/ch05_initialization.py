"""Chapter 05 exercises: initialization.

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 05`."""
import math  # noqa: F401  (you will need it)

import minitorch as torch  # noqa: F401  (you may need it)
from minitorch import nn


def calculate_gain(nonlinearity, param=None):
    """ch05.1: your own `nn.init.calculate_gain`: the factor that keeps the spread of a signal through
    a layer followed by `nonlinearity`.

    - "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
      "conv_transpose3d" and "sigmoid": 1;  "tanh": 5/3;  "relu": sqrt(2);  "selu": 3/4;
    - "leaky_relu": sqrt(2 / (1 + slope**2)), the slope being `param` (0.01 when None); a `param`
      that is not an int or a float (a bool, a string) raises ValueError "negative_slope <param> not a
      valid number";
    - anything else raises ValueError "Unsupported nonlinearity <name>".
    """
    raise NotImplementedError("ch05.1: return the gain for the nonlinearity")


def fan_in_and_fan_out(tensor):
    """ch05.1: `(fan_in, fan_out)` of a weight shaped (out_features, in_features, *kernel):
    fan_in = in_features * (product of the kernel sizes), fan_out = out_features * (the same product).

    A tensor with fewer than 2 dimensions raises ValueError "Fan in and fan out can not be computed for
    tensor with fewer than 2 dimensions".
    """
    raise NotImplementedError("ch05.1: compute fan_in and fan_out, kernel sizes included")


def xavier_uniform_(tensor, gain=1.0):
    """ch05.2: fill `tensor` in place from U(-b, b), b = sqrt(3) * std, std = gain * sqrt(2 / (fan_in +
    fan_out)), and return it. Record no autograd history (it must work on a Parameter).

    Use your own calculate_gain and fan_in_and_fan_out (nn.init's xavier / kaiming functions and its
    private helpers are off limits; `nn.init.uniform_` and `nn.init.normal_` are fine).
    """
    raise NotImplementedError("ch05.2: compute the bound and fill uniformly")


def xavier_normal_(tensor, gain=1.0):
    """ch05.2: like xavier_uniform_, but from N(0, std**2)."""
    raise NotImplementedError("ch05.2: compute std and fill from a normal distribution")


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """ch05.2: fill `tensor` in place from U(-b, b), b = sqrt(3) * std, std = gain / sqrt(fan), where
    gain = calculate_gain(nonlinearity, a) and fan is fan_in or fan_out as `mode` says; return it.
    Another mode raises ValueError "Mode <mode> not supported, please use one of ['fan_in', 'fan_out']".
    """
    raise NotImplementedError("ch05.2: compute the bound from the gain and the chosen fan, fill uniformly")


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """ch05.2: like kaiming_uniform_, but from N(0, std**2)."""
    raise NotImplementedError("ch05.2: compute std from the gain and the chosen fan, fill from a normal")


def predict_output_std():
    """ch05.3 (predict, then check): x is a batch of 4096 vectors of 256 standard-normal numbers. Without
    running it, predict the standard deviation of the outputs y = layer(x) (over the whole batch and all
    256 outputs) for

    1. `layer = nn.Linear(256, 256)` as constructed (its default initialization), and
    2. the same layer after `nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")` and
       `nn.init.zeros_(layer.bias)`.

    Return `(std_1, std_2)` as floats (two decimals are enough). Then run it in the notebook to check.
    """
    raise NotImplementedError("ch05.3: return your two predicted standard deviations")


def init_cnn(model):
    """ch05.4 (debugging): initialize a convolutional network for ReLU activations, through
    `Module.apply`, and return the model.

    What it should do: every nn.Conv2d and nn.Linear gets a weight from
    `kaiming_normal_(mode="fan_in", nonlinearity="relu")` and, when it has a bias, a zero bias; every
    nn.BatchNorm2d gets weight ones and bias zeros; nothing is recorded by autograd.

    The code below has three bugs. Delete the `raise` line, then find and fix them.
    """
    raise NotImplementedError("ch05.4: find and fix the three bugs below, then delete this line")

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            m.bias.zero_()
        if isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    return model.apply(init)
