"""Device-specific code: `backends.meta` (the arrays of the meta device, imported with minitorch) and
`backends.cuda`, which builds CUDA kernels from the `.cu` files in `backends/cuda/kernels/` on first use
(imported only when an op runs on a GPU)."""
