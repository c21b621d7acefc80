"""Quantized tensors: integer storage with scale and zero point (`storage.py`), the ops they support
through the dispatch door (`kernels.py`), and exact integer matrix products for the quantized layers
(`gemm.py`). The public functions are minitorch.quantize_per_tensor ... (ops/quantized.py) and the
minitorch.ao packages."""
