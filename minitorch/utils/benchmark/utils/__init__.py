"""The modules of minitorch.utils.benchmark, where torch keeps them."""
