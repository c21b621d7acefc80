"""Shared fixtures: `torch` for parity tests (skipped visibly without PyTorch, an error in CI where
MINITORCH_REQUIRE_TORCH=1), and the `cuda` marker that skips where no GPU is present. With
MINITORCH_CUDA_STANDIN=1 the cuda device is the NumPy stand-in of minitorch/backends/cuda/standin
(`make test` runs every cuda test that way too); the report header says which device the cuda tests use."""
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


def pytest_report_header(config):
    if not minitorch.cuda.is_available():
        return "cuda: not available (cuda tests skip)"
    if minitorch.cuda.is_standin():
        return "cuda: the NumPy CuPy stand-in (MINITORCH_CUDA_STANDIN=1), 2 simulated GPUs"
    return f"cuda: {minitorch.cuda.device_count()} x {minitorch.cuda.get_device_name(0)}"


def pytest_collection_modifyitems(config, items):
    if minitorch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="CUDA is not available (no CuPy or no NVIDIA GPU)")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
