"""Chapter 10 exercises: quantization.

Replace each `raise NotImplementedError(...)` with your code, then run `python -m grader --chapter 10`."""
import minitorch as torch
from minitorch import nn  # noqa: F401  (you will need it)


def quantize(x, scale, zero_point, dtype):
    """ch10.1: the integers that `torch.quantize_per_tensor(x, scale, zero_point, dtype).int_repr()` holds,
    computed yourself (do not call quantize_per_tensor or any other quantizing function).

    x is a float32 tensor, scale a positive float, zero_point an int, dtype torch.quint8 (integers 0..255,
    return a torch.uint8 tensor) or torch.qint8 (-128..127, a torch.int8 tensor):
        q = round(x / scale) + zero_point, clamped to the dtype's range.
    Round to the nearest integer with ties to the even one (2.5 -> 2, 3.5 -> 4), as torch.round does.

    Hint: clamp before converting to the small integer type, or the values wrap around.
    """
    raise NotImplementedError("ch10.1: scale, round, shift by the zero point, clamp, convert")


def dequantize(q, scale, zero_point):
    """ch10.1: the float32 values that integers `q` (a uint8 or int8 tensor) stand for:
    (q - zero_point) * scale. Mind the integer type: 3 - 10 is not -7 in uint8."""
    raise NotImplementedError("ch10.1: convert to float first, then undo the shift and the scale")


class MinMaxObserver(nn.Module):
    """ch10.2: an observer built from scratch (not from minitorch.ao's classes): it watches the tensors
    passing through and turns their range into quantization parameters, as
    `torch.ao.quantization.MinMaxObserver(dtype, qscheme)` does.

    - `__init__(dtype=torch.quint8, qscheme=torch.per_tensor_affine)`: dtype is torch.quint8 (integer
      range 0..255) or torch.qint8 (-128..127); qscheme torch.per_tensor_affine or per_tensor_symmetric.
      Buffers `min_val` = +inf and `max_val` = -inf (0-d float32 tensors).
    - `forward(x)`: min_val = min(min_val, x.min()), max_val likewise; return x unchanged.
    - `calculate_qparams()`: (scale, zero_point), each a 1-element tensor (float32, and an integer dtype).
      Widen the range to contain 0: lo = min(min_val, 0), hi = max(max_val, 0). With qmin, qmax the
      integer range and eps = 1.1920928955078125e-07 (float32's epsilon):
        affine:     scale = max((hi - lo) / (qmax - qmin), eps);
                    zero_point = clamp(qmin - round(lo / scale), qmin, qmax)
        symmetric:  scale = max(max(-lo, hi) / ((qmax - qmin) / 2), eps);
                    zero_point = 128 for quint8, 0 for qint8
      An observer that has seen nothing returns scale 1.0 and zero point 0.

    Hint: compute with float32 tensors, as torch does, not with Python floats.
    """

    def __init__(self, dtype=torch.quint8, qscheme=torch.per_tensor_affine):
        super().__init__()
        raise NotImplementedError("ch10.2: store the settings and register min_val and max_val")

    def forward(self, x):
        raise NotImplementedError("ch10.2: update the running min and max")

    def calculate_qparams(self):
        raise NotImplementedError("ch10.2: turn the range into a scale and a zero point")


def predict_quantization():
    """ch10.3 (predict, then check): without running anything, write down

    1. `q.int_repr().tolist()` for
           q = torch.quantize_per_tensor(torch.tensor([-1.0, 0.0, 0.25, 0.35, 2.0, 30.0]), 0.1, 10, torch.quint8)
    2. the zero point that `torch.ao.quantization.MinMaxObserver()` (quint8, affine) gives in
       `calculate_qparams()` after seeing one tensor whose values run from -1.0 to 3.0.

    Return (the list of six integers, the zero point as an int). Then check both in the notebook."""
    raise NotImplementedError("ch10.3: return (your predicted integers, your predicted zero point)")


def layer_errors(float_model, quantized_model, x):
    """ch10.4 (debugging): how much each quantized layer's output differs from the float model's, for the
    input batch x: {name: relative error} with

        error = ||float output - quantized output (dequantized)|| / ||float output||

    for every layer of `quantized_model` that has weights (a quantized Linear or Conv2d: their `weight`
    is a method), compared with the module of the same name in `float_model` (the fused float model, so
    names match). Both models are run once on x; the function leaves no hooks behind.

    The code below runs, but it has three bugs. Delete the `raise` line, then find and fix them.
    """
    raise NotImplementedError("ch10.4: find and fix the three bugs below, then delete this line")
    outputs = {"float": {}, "quantized": {}}
    names = [name for name, m in quantized_model.named_modules() if callable(getattr(m, "weight", None))]

    def recorder(kind, name):
        def hook(module, inputs, output):
            if kind == "float":
                outputs[kind][name] = inputs[0]
            else:
                outputs[kind][name] = output.int_repr().float()
        return hook
    for kind, model in (("float", float_model), ("quantized", quantized_model)):
        modules = dict(model.named_modules())
        for name in names:
            modules[name].register_forward_hook(recorder(kind, name))
    with torch.no_grad():
        float_model(x)
        quantized_model(x)
    return {name: ((outputs["float"][name] - outputs["quantized"][name]).norm()
                   / outputs["float"][name].norm()).item() for name in names}
