"""Where a model's quantized region starts and ends. QuantStub is an identity (with an observer after
prepare) that convert() turns into `nnq.Quantize`, which quantizes the float input; DeQuantStub becomes
`nnq.DeQuantize`. QuantWrapper puts a module between the two."""
from ...nn import Module

__all__ = ["QuantStub", "DeQuantStub", "QuantWrapper"]


class _Stub(Module):
    """An identity until convert swaps it; it may carry its own qconfig."""

    def __init__(self, qconfig=None):
        super().__init__()
        if qconfig:
            self.qconfig = qconfig

    def forward(self, x):
        return x


class QuantStub(_Stub):
    """Marks where float tensors become quantized ones (identity until convert)."""


class DeQuantStub(_Stub):
    """Marks where quantized tensors become float again (identity until convert)."""


class QuantWrapper(Module):
    """quant -> module -> dequant around `module` (its qconfig goes to both stubs)."""

    def __init__(self, module):
        super().__init__()
        qconfig = getattr(module, "qconfig", None)
        self.add_module("quant", QuantStub(qconfig))
        self.add_module("dequant", DeQuantStub(qconfig))
        self.add_module("module", module)
        self.train(module.training)

    def forward(self, X):
        return self.dequant(self.module(self.quant(X)))
