"""Chapter 10 reference solutions: quantization."""
import minitorch as torch
from minitorch import nn

_RANGES = {"quint8": (0, 255, torch.uint8), "qint8": (-128, 127, torch.int8)}


def quantize(x, scale, zero_point, dtype):
    """ch10.1: round(x / scale) + zero_point, clamped to the dtype's range, as uint8 / int8."""
    low, high, storage = _RANGES[dtype.name]
    return (torch.round(x / scale) + zero_point).clamp(low, high).to(storage)


def dequantize(q, scale, zero_point):
    """ch10.1: (q - zero_point) * scale in float32."""
    return (q.float() - zero_point) * scale


class MinMaxObserver(nn.Module):
    """ch10.2: running min / max, then scale and zero point by torch's rules."""

    def __init__(self, dtype=torch.quint8, qscheme=torch.per_tensor_affine):
        super().__init__()
        self.dtype, self.qscheme = dtype, qscheme
        self.quant_min, self.quant_max = _RANGES[dtype.name][:2]
        self.register_buffer("min_val", torch.tensor(float("inf")))
        self.register_buffer("max_val", torch.tensor(float("-inf")))
        self.eps = torch.tensor(1.1920928955078125e-07)  # float32's machine epsilon

    def forward(self, x):
        x = x.detach()
        self.min_val = torch.minimum(self.min_val, x.min())
        self.max_val = torch.maximum(self.max_val, x.max())
        return x

    def calculate_qparams(self):
        if self.min_val.item() == float("inf"):
            return torch.tensor([1.0]), torch.tensor([0])
        low = torch.minimum(self.min_val, torch.tensor(0.0))
        high = torch.maximum(self.max_val, torch.tensor(0.0))
        span = self.quant_max - self.quant_min
        if self.qscheme is torch.per_tensor_symmetric:
            scale = torch.maximum(torch.maximum(-low, high) / (span / 2), self.eps)
            zero_point = torch.tensor(128 if self.dtype is torch.quint8 else 0)
        else:
            scale = torch.maximum((high - low) / span, self.eps)
            zero_point = (self.quant_min - torch.round(low / scale)).clamp(self.quant_min, self.quant_max)
        return scale.reshape(1), zero_point.long().reshape(1)


def predict_quantization():
    """ch10.3: 0.25 / 0.1 = 2.5 and 0.35 / 0.1 = 3.5 are ties and go to the even 2 and 4; 30.0 clamps to
    255. The observer's scale is 4 / 255 and -1 / scale = -63.75 rounds to -64, so the zero point is 64."""
    return [0, 10, 12, 14, 30, 255], 64


def layer_errors(float_model, quantized_model, x):
    """ch10.4: relative output error of each quantized layer against the float layer of the same name."""
    outputs = {"float": {}, "quantized": {}}
    handles = []
    names = [name for name, m in quantized_model.named_modules() if callable(getattr(m, "weight", None))]

    def recorder(kind, name):
        def hook(module, inputs, output):
            outputs[kind][name] = output.dequantize() if output.is_quantized else output
        return hook
    for kind, model in (("float", float_model), ("quantized", quantized_model)):
        modules = dict(model.named_modules())
        handles += [modules[name].register_forward_hook(recorder(kind, name)) for name in names]
    try:
        with torch.no_grad():
            float_model(x)
            quantized_model(x)
    finally:
        for handle in handles:
            handle.remove()
    return {name: ((outputs["float"][name] - outputs["quantized"][name]).norm()
                   / outputs["float"][name].norm()).item() for name in names}
