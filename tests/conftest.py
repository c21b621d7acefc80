"""Shared fixtures: `torch` for parity tests (skipped visibly without PyTorch, an error in CI where
MINITORCH_REQUIRE_TORCH=1), and the `cuda` marker that skips where no GPU is present."""
import os

import pytest

import minitorch


def _import_torch():
    try:
        import torch
    except ImportError:
        if os.environ.get("MINITORCH_REQUIRE_TORCH") == "1":
            pytest.fail("PyTorch is required here (MINITORCH_REQUIRE_TORCH=1): pip install torch==2.13.0")
        pytest.skip("PyTorch is not installed: parity test skipped (pip install '.[parity]')")
    return torch


@pytest.fixture(scope="session")
def torch():
    """The real PyTorch, to compare against."""
    return _import_torch()


def pytest_collection_modifyitems(config, items):
    if minitorch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="CUDA is not available (no CuPy or no NVIDIA GPU)")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
