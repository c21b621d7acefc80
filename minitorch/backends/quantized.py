"""`minitorch.backends.quantized` (torch.backends.quantized): the quantized engine setting that scripts
choose with `torch.backends.quantized.engine = "qnnpack"`. minitorch has one integer implementation,
whose results are fbgemm's (x86): the engine is recorded and checked, and every engine computes alike."""
import sys
import types

SUPPORTED = ["qnnpack", "onednn", "x86", "fbgemm"]


class _QuantizedBackend(types.ModuleType):
    """This module, with `engine` as a checked property (as torch's module has)."""

    supported_engines = SUPPORTED

    @property
    def engine(self):
        return self._engine

    @engine.setter
    def engine(self, value):
        if value not in SUPPORTED:
            raise RuntimeError(f"{value} is not a valid value for quantized engine")
        self._engine = value


_engine = "x86"
sys.modules[__name__].__class__ = _QuantizedBackend
