"""Wrong answers to chapter 10."""
import minitorch as torch
from minitorch.ao import quantization as tq

from . import solution

ok = solution(10)
_RANGES = {"quint8": (0, 255, torch.uint8), "qint8": (-128, 127, torch.int8)}


def half_away_from_zero(x, scale, zero_point, dtype):
    """floor(v + 0.5): rounds 2.5 up to 3, where torch goes to the even 2."""
    low, high, storage = _RANGES[dtype.name]
    return (torch.floor(x / scale + 0.5) + zero_point).clamp(low, high).to(storage)


def wraps_around(x, scale, zero_point, dtype):
    """Converts without clamping: 300 becomes 44 in uint8."""
    storage = _RANGES[dtype.name][2]
    return (torch.round(x / scale) + zero_point).to(torch.int64).to(storage)


def zero_point_subtracted(x, scale, zero_point, dtype):
    low, high, storage = _RANGES[dtype.name]
    return (torch.round(x / scale) - zero_point).clamp(low, high).to(storage)


def dequantize_in_integers(q, scale, zero_point):
    """q - zero_point in the integer type first: uint8 wraps below zero."""
    return (q - zero_point).float() * scale


class RangeWithoutZero(ok.MinMaxObserver):
    """Does not widen the range to contain 0: an all-positive input gets no exact zero."""

    def calculate_qparams(self):
        if self.min_val.item() == float("inf"):
            return torch.tensor([1.0]), torch.tensor([0])
        span = self.quant_max - self.quant_min
        if self.qscheme is torch.per_tensor_symmetric:
            return ok.MinMaxObserver.calculate_qparams(self)
        scale = torch.maximum((self.max_val - self.min_val) / span, self.eps)
        zero = (self.quant_min - torch.round(self.min_val / scale)).clamp(self.quant_min, self.quant_max)
        return scale.reshape(1), zero.long().reshape(1)


class SymmetricZeroAlwaysZero(ok.MinMaxObserver):
    """Symmetric quint8 with zero point 0: the negative half of the range is lost."""

    def calculate_qparams(self):
        scale, zero = ok.MinMaxObserver.calculate_qparams(self)
        if self.qscheme is torch.per_tensor_symmetric:
            zero = torch.zeros_like(zero)
        return scale, zero


class LibraryObserver(tq.MinMaxObserver):
    """The library's observer under the exercise's name."""

    def __init__(self, dtype=torch.quint8, qscheme=torch.per_tensor_affine):
        super().__init__(dtype=dtype, qscheme=qscheme)


class ScaleOverFullWidthForSymmetric(ok.MinMaxObserver):
    """Symmetric scale divided by the whole integer range instead of its half."""

    def calculate_qparams(self):
        scale, zero = ok.MinMaxObserver.calculate_qparams(self)
        if self.qscheme is torch.per_tensor_symmetric and self.min_val.item() != float("inf"):
            scale = scale / 2
        return scale, zero


def _probe(float_value, quantized_value, remove=True):
    """layer_errors recording float_value(inputs, output) and quantized_value(output), removing its hooks
    or not."""
    def layer_errors(float_model, quantized_model, x):
        outputs = {"float": {}, "quantized": {}}
        names = [name for name, m in quantized_model.named_modules() if callable(getattr(m, "weight", None))]
        handles = []
        for kind, model in (("float", float_model), ("quantized", quantized_model)):
            modules = dict(model.named_modules())
            for name in names:
                def hook(module, inputs, output, kind=kind, name=name):
                    outputs[kind][name] = (float_value(inputs, output) if kind == "float"
                                           else quantized_value(output))
                handles.append(modules[name].register_forward_hook(hook))
        with torch.no_grad():
            float_model(x), quantized_model(x)
        for handle in handles if remove else ():
            handle.remove()
        return {name: ((outputs["float"][name] - outputs["quantized"][name]).norm()
                       / outputs["float"][name].norm()).item() for name in names}
    return layer_errors


compares_integers = _probe(lambda i, o: o, lambda o: o.int_repr().float())
leaves_hooks = _probe(lambda i, o: o, lambda o: o.dequantize(), remove=False)
float_inputs = _probe(lambda i, o: i[0], lambda o: o.dequantize())


WRONG = {
    "ch10.1": {
        "ties rounded away from zero": {"quantize": half_away_from_zero},
        "no clamping": {"quantize": wraps_around},
        "zero point subtracted": {"quantize": zero_point_subtracted},
        "dequantize in the integer type": {"dequantize": dequantize_in_integers},
    },
    "ch10.2": {
        "range not widened to 0": {"MinMaxObserver": RangeWithoutZero},
        "symmetric quint8 zero point 0": {"MinMaxObserver": SymmetricZeroAlwaysZero},
        "the library's observer subclassed": {"MinMaxObserver": LibraryObserver},
        "symmetric scale over the full width": {"MinMaxObserver": ScaleOverFullWidthForSymmetric},
    },
    "ch10.3": {
        "ties away from zero": {"predict_quantization": lambda: ([0, 10, 13, 14, 30, 255], 64)},
        "no clamping": {"predict_quantization": lambda: ([0, 10, 12, 14, 30, 310], 64)},
        "zero point from the rounded-down minimum": {"predict_quantization": lambda: ([0, 10, 12, 14, 30, 255], 63)},
        "symmetric zero point": {"predict_quantization": lambda: ([0, 10, 12, 14, 30, 255], 128)},
    },
    "ch10.4": {
        "integers compared": {"layer_errors": compares_integers},
        "hooks left behind": {"layer_errors": leaves_hooks},
        "float inputs recorded": {"layer_errors": float_inputs},
    },
}
