"""Modules for quantization-aware training (torch.ao.nn.qat): float layers whose weight passes through a
fake quantizer on every forward, so training adapts to int8 rounding. Their output's fake quantizer is
added by prepare_qat (`activation_post_process`)."""
from .modules import Conv2d, Linear

__all__ = ["Conv2d", "Linear"]
