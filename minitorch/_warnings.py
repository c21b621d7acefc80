"""Warnings attributed to the user's line, however many minitorch frames (the dispatch door, composite ops)
lie between it and the code that warns, as torch's warnings point at the caller's Python line."""
import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message, category=UserWarning):
    """warnings.warn(message, category) with the first frame outside the minitorch package as its source."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
