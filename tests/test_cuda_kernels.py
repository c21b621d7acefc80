"""The CUDA kernels in minitorch/backends/cuda/kernels/.

Every .cu file must compile with NVRTC for the oldest and the H200's architecture, without a GPU: CI
checks this (MINITORCH_REQUIRE_NVRTC=1 turns a missing NVRTC into a failure). On a GPU, each kernel
wrapper of backends.cuda.ops is compared with PyTorch on the CPU."""
import os

import numpy as np
import pytest

from minitorch.backends.cuda import KERNEL_DIR, KERNELS, OPTIONS, name_expressions, source


@pytest.fixture(scope="module")
def nvrtc():
    """CuPy's NVRTC bindings with the NVRTC library loaded (pip install '.[nvrtc]')."""
    try:
        from cupy.cuda import nvrtc
        nvrtc.getVersion()
    except Exception as exc:  # no CuPy, or CuPy without an NVRTC library
        if os.environ.get("MINITORCH_REQUIRE_NVRTC") == "1":
            pytest.fail(f"NVRTC is required here (MINITORCH_REQUIRE_NVRTC=1): {exc!r}; "
                        "pip install '.[nvrtc]'")
        pytest.skip(f"NVRTC is not available ({type(exc).__name__}): kernel compile check skipped "
                    "(pip install '.[nvrtc]')")
    return nvrtc


def test_every_kernel_file_is_listed():
    assert sorted(p.name for p in KERNEL_DIR.glob("*.cu")) == sorted(KERNELS)


CUPY_ADDS = ("-ftz=true", "--device-as-default-execution-space")  # what cupy.RawModule adds to OPTIONS


@pytest.mark.parametrize("arch", ["compute_75", "compute_90"])
@pytest.mark.parametrize("filename", sorted(KERNELS))
def test_kernel_file_compiles(nvrtc, filename, arch):
    prog = nvrtc.createProgram(source(filename), filename, [], [])
    try:
        for expr in name_expressions(filename):
            nvrtc.addNameExpression(prog, expr)
        try:
            nvrtc.compileProgram(prog, [f"--gpu-architecture={arch}", *OPTIONS, *CUPY_ADDS])
        except nvrtc.NVRTCError:
            pytest.fail(f"{filename} does not compile:\n{nvrtc.getProgramLog(prog)}")
        log = nvrtc.getProgramLog(prog)
        assert "warning" not in str(log), log
        ptx = nvrtc.getPTX(prog).decode()
        for expr in name_expressions(filename):
            assert f".entry {nvrtc.getLoweredName(prog, expr)}(" in ptx, expr
    finally:
        nvrtc.destroyProgram(prog)


def test_standin_api_record_matches_installed_cupy(nvrtc):
    """The CuPy stand-in offers only names the installed CuPy has (nvrtc: CuPy is installed)."""
    import cupy
    from minitorch.backends.cuda.standin import _api
    assert _api.CUPY_NAMES <= {n for n in dir(cupy) if not n.startswith("_")}
    assert _api.NDARRAY_NAMES <= set(dir(cupy.ndarray))
    assert _api.LINALG_NAMES <= set(dir(cupy.linalg)) and _api.FFT_NAMES <= set(dir(cupy.fft))
    assert _api.UFUNC_AT == {n for n in _api.CUPY_NAMES if isinstance(getattr(cupy, n), cupy.ufunc)
                             and getattr(cupy, n)._scatter_op}


def test_kernels_reject_other_dtypes():
    from minitorch.backends.cuda import kernel
    with pytest.raises(TypeError, match="'softmax_forward' supports float32 and float64, not float16"):
        kernel("softmax_forward", np.float16)


def test_fused_optimizers_need_contiguous_state():
    from minitorch.backends.cuda import ops
    strided = np.zeros((2, 4))[:, ::2]
    with pytest.raises(ValueError, match="contiguous"):
        ops.sgd_step(strided, strided, None, lr=0.1)
    with pytest.raises(ValueError, match="contiguous"):
        ops.adam_step(np.zeros(2), np.zeros(2), strided, np.zeros(2), None, 1, 0.1, 0.9, 0.999, 1e-8)


# ----- on a GPU: each wrapper against PyTorch on the CPU ---------------------------------------------
@pytest.fixture
def cp():
    """CuPy (or its stand-in, under MINITORCH_CUDA_STANDIN=1)."""
    import minitorch
    return minitorch.cuda._cupy()


DTYPES = [np.float32, np.float64]


def _tol(dtype):
    """float32 kernels accumulate in float32 (as torch's CUDA kernels do), torch's CPU in double."""
    return {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


def _rand(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


CONV_CASES = [  # (N, C, H, W), kernel, stride, padding, dilation
    ((2, 3, 7, 6), (3, 3), (1, 1), (0, 0), (1, 1)),
    ((1, 2, 9, 8), (3, 2), (2, 3), (1, 2), (2, 1)),
    ((3, 1, 5, 5), (5, 5), (1, 1), (2, 2), (1, 1)),
]


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,k,s,p,d", CONV_CASES)
def test_im2col_col2im_match_unfold_fold(torch, cp, dtype, shape, k, s, p, d):
    from minitorch.backends.cuda import ops
    x = _rand(shape, dtype)
    cols = ops.im2col(cp.asarray(x), k, s, p, d)
    expected = torch.nn.functional.unfold(torch.from_numpy(x), k, d, p, s).numpy()
    np.testing.assert_array_equal(cp.asnumpy(cols), expected)
    c = _rand(expected.shape, dtype, seed=1)
    back = ops.col2im(cp.asarray(c), shape[2:], k, s, p, d)
    folded = torch.nn.functional.fold(torch.from_numpy(c), shape[2:], k, d, p, s).numpy()
    np.testing.assert_allclose(cp.asnumpy(back), folded, **_tol(dtype))


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k,s,p,d", [((2, 2), (2, 2), (0, 0), (1, 1)), ((3, 3), (1, 2), (1, 1), (1, 1)),
                                     ((3, 2), (2, 1), (1, 0), (2, 1))])
def test_max_pool2d_matches_torch(torch, cp, dtype, k, s, p, d):
    from minitorch.backends.cuda import ops
    x = _rand((2, 3, 9, 8), dtype)
    x[0, 0, 1, 1] = np.nan
    x[1, 2, :3, :3] = 0.5  # ties: the first maximum wins
    tx = torch.from_numpy(x).requires_grad_()
    ty, tidx = torch.nn.functional.max_pool2d(tx, k, s, p, d, return_indices=True)
    y, idx = ops.max_pool2d(cp.asarray(x), k, s, p, d, tuple(ty.shape[2:]))
    np.testing.assert_array_equal(cp.asnumpy(y), ty.detach().numpy())
    np.testing.assert_array_equal(cp.asnumpy(idx), tidx.numpy())
    g = _rand(ty.shape, dtype, seed=2)
    ty.backward(torch.from_numpy(g))
    gx = ops.max_pool2d_backward(cp.asarray(g), idx, x.shape)
    np.testing.assert_allclose(cp.asnumpy(gx), tx.grad.numpy(), **_tol(dtype))


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape", [(5, 10), (3, 1000), (2, 3, 7), (4, 1)])
def test_softmax_forward_backward(torch, cp, dtype, log, shape):
    from minitorch.backends.cuda import ops
    x = _rand(shape, dtype) * 30  # large logits: the max-subtraction keeps exp finite
    tx = torch.from_numpy(x).requires_grad_()
    ty = (torch.log_softmax if log else torch.softmax)(tx, -1)
    y = ops.softmax(cp.asarray(x), log=log)
    np.testing.assert_allclose(cp.asnumpy(y), ty.detach().numpy(), **_tol(dtype))
    g = _rand(shape, dtype, seed=3)
    ty.backward(torch.from_numpy(g))
    gx = ops.softmax_backward(y, cp.asarray(g), log=log)
    np.testing.assert_allclose(cp.asnumpy(gx), tx.grad.numpy(), **_tol(dtype))


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_matches_torch(torch, cp, dtype, weighted, smoothing):
    from minitorch.backends.cuda import ops
    x = _rand((6, 300), dtype) * 10
    target = np.array([0, 5, -100, 299, 7, 5])
    weight = np.abs(_rand(300, dtype, seed=4)) if weighted else None
    tx = torch.from_numpy(x).requires_grad_()
    tw = torch.from_numpy(weight) if weighted else None
    expected = torch.nn.functional.cross_entropy(tx, torch.from_numpy(target), weight=tw,
                                                 label_smoothing=smoothing)
    expected.backward()
    cw = cp.asarray(weight) if weighted else None
    loss, lse, row_weight = ops.cross_entropy(cp.asarray(x), cp.asarray(target), cw, -100, smoothing)
    total = row_weight.sum()
    np.testing.assert_allclose(float(loss.sum() / total), expected.item(), **_tol(dtype))
    gx = ops.cross_entropy_backward(1 / total, cp.asarray(x), cp.asarray(target), lse, cw, -100, smoothing)
    np.testing.assert_allclose(cp.asnumpy(gx), tx.grad.numpy(), **_tol(dtype))


@pytest.mark.cuda
def test_cross_entropy_rejects_out_of_range_target(cp):
    from minitorch.backends.cuda import ops
    with pytest.raises(IndexError, match="Target 4 is out of bounds."):
        ops.cross_entropy(cp.zeros((2, 4)), cp.asarray([1, 4]))


def _torch_steps(torch, optimizer, x, grads, **options):
    p = torch.from_numpy(x.copy()).requires_grad_()
    opt = optimizer([p], **options)
    for g in grads:
        p.grad = torch.from_numpy(g)
        opt.step()
    return p.detach().numpy()


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", [
    {"lr": 0.1}, {"lr": 0.1, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3,
                                               "weight_decay": 0.01},
    {"lr": 0.1, "momentum": 0.8, "nesterov": True, "maximize": True}])
def test_sgd_step_matches_torch(torch, cp, dtype, options):
    from minitorch.backends.cuda import ops
    x = _rand(1000, dtype)
    grads = [_rand(1000, dtype, seed=s) for s in range(1, 4)]
    p = cp.array(x)  # a copy: x is still needed for the reference
    buf = cp.zeros_like(p) if options.get("momentum") else None
    for i, g in enumerate(grads):
        ops.sgd_step(p, cp.asarray(g), buf, first_step=i == 0, **options)
    np.testing.assert_allclose(cp.asnumpy(p), _torch_steps(torch, torch.optim.SGD, x, grads, **options),
                               **_tol(dtype))


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", [
    {}, {"weight_decay": 0.1}, {"weight_decay": 0.1, "decoupled_weight_decay": True},
    {"amsgrad": True, "maximize": True, "betas": (0.3, 0.5)}])
def test_adam_step_matches_torch(torch, cp, dtype, options):
    from minitorch.backends.cuda import ops
    x = _rand(1000, dtype)
    grads = [_rand(1000, dtype, seed=s) for s in range(1, 4)]
    p = cp.array(x)  # a copy: x is still needed for the reference
    m, v = cp.zeros_like(p), cp.zeros_like(p)
    vmax = cp.zeros_like(p) if options.get("amsgrad") else None
    beta1, beta2 = options.get("betas", (0.9, 0.999))
    for step, g in enumerate(grads, 1):
        ops.adam_step(p, cp.asarray(g), m, v, vmax, step, lr=0.01, beta1=beta1, beta2=beta2, eps=1e-8,
                      weight_decay=options.get("weight_decay", 0.0),
                      decoupled_weight_decay=options.get("decoupled_weight_decay", False),
                      maximize=options.get("maximize", False))
    optimizer = torch.optim.AdamW if options.pop("decoupled_weight_decay", False) else torch.optim.Adam
    expected = _torch_steps(torch, optimizer, x, grads, lr=0.01, **options)
    np.testing.assert_allclose(cp.asnumpy(p), expected, **_tol(dtype))
