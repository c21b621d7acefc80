"""Device-specific kernels, for the few hot paths where NumPy-style array code is not enough.

`backends.cuda` builds CUDA kernels from the `.cu` files in `backends/cuda/kernels/` on first use.
Nothing here is imported by `import minitorch`; ops import a backend when they run on its device."""
