"""Choosing a scale and zero point from a range [min, max], the way torch's C++ kernels do it for dynamic
quantization (the input of a dynamic Linear) and for the fused moving-average fake quantizer of QAT
(fbgemm's ChooseQuantizationParams). The observers' own `calculate_qparams` is a different rule, written
in Python in ao/quantization/observer.py."""
import math

import numpy as np

_f32 = np.float32
SMALL_SCALE = _f32(6.1e-5)
"""Scales below this are raised to it (and the range stretched to match)."""


def choose_qparams(min_val, max_val, qmin, qmax, preserve_sparsity=False, reduce_range=False):
    """(scale as a float32 value, integer zero point) that map [min_val, max_val] (widened to contain 0)
    onto [qmin, qmax]. preserve_sparsity: symmetric around 0 (zero point in the middle); reduce_range:
    half the integer range (7-bit), which keeps fbgemm's 16-bit intermediate sums from saturating."""
    lo, hi = _f32(min_val), _f32(max_val)
    if not lo <= hi:
        raise RuntimeError("In ChooseQuantizationParams, min should be less than or equal to max")
    if reduce_range:
        qmin, qmax = qmin // 2, qmax // 2
    if lo < 0 < hi and preserve_sparsity:
        sym_min, sym_max = -((qmax - qmin) // 2 + 1), (qmax - qmin) // 2
        widest = float(max(abs(lo / _f32(sym_min)), abs(hi / _f32(sym_max))))  # float32 arithmetic
        lo, hi = _f32(widest * sym_min), _f32(widest * sym_max)
    lo, hi = min(lo, _f32(0)), max(hi, _f32(0))
    if qmin >= qmax:
        raise RuntimeError("In ChooseQuantizationParams, qmin should be less than qmax")
    scale = (float(hi) - float(lo)) / (qmax - qmin)  # in double, then used as float32
    if _f32(scale) == 0 or math.isinf(_f32(1) / _f32(scale)):
        scale = 0.1
    if scale < SMALL_SCALE:
        stretch = SMALL_SCALE / _f32(scale)
        if lo == 0:
            hi = SMALL_SCALE * (qmax - qmin)
        elif hi == 0:
            lo = -SMALL_SCALE * (qmax - qmin)
        else:
            lo, hi = _f32(lo * stretch), _f32(hi * stretch)
        scale = float(SMALL_SCALE)
    # the zero point comes from the double-precision scale; the result's scale is its float32 rounding
    from_min, from_max = qmin - float(lo) / scale, qmax - float(hi) / scale
    error_min, error_max = abs(qmin) - abs(float(lo) / scale), abs(qmax) - abs(float(hi) / scale)
    zero_point = from_min if error_min < error_max else from_max
    if lo < 0 < hi and preserve_sparsity:
        zero_point = (qmin + qmax) / 2
    return float(_f32(scale)), int(min(max(np.rint(zero_point), qmin), qmax))
