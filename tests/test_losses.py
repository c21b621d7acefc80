"""Loss functions and modules against real PyTorch: every reduction, weights, ignore_index, label
smoothing, K-dim inputs, class-probability targets; gradients, gradcheck, stability and errors."""
import warnings

import numpy as np
import pytest

import minitorch
from minitorch.autograd import gradcheck

from ._layer_parity import compare, randn
from ._module_parity import outcome, same

REDUCTIONS = ["none", "mean", "sum"]
DTYPES = [np.float32, np.float64]


def _f(name):
    return lambda lib, *ts, **kw: getattr(lib.nn.functional, name)(*ts, **kw)


@pytest.mark.parametrize("name,kwargs", [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
                                         ("smooth_l1_loss", {"beta": 0.3}), ("smooth_l1_loss", {"beta": 0.0})])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_regression_losses(torch, name, kwargs, reduction, dtype):
    x, t = randn((3, 4), dtype), randn((3, 4), dtype, seed=1)
    compare(torch, _f(name), [x, t], [True, True], dtype, reduction=reduction, **kwargs)


@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 4, 3), (2, 4, 3, 2), (2, 4, 1, 2, 3)])
@pytest.mark.parametrize("options", [{}, {"weight": True}, {"ignore_index": 1}, {"label_smoothing": 0.2},
                                     {"weight": True, "ignore_index": 2, "label_smoothing": 0.1}])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_class_indices(torch, shape, options, reduction, dtype):
    classes = shape[1] if len(shape) > 1 else shape[0]
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    target = np.random.default_rng(5).integers(0, classes, tshape)
    arrays = [randn(shape, dtype) * 3, target]
    kwargs = {k: v for k, v in options.items() if k != "weight"}
    if options.get("weight"):
        arrays.append(np.linspace(0.5, 2.0, classes).astype(dtype))
        kwargs["weight_index"] = 2
    compare(torch, _ce_with_weight, arrays, [True, False, False], dtype, names="label_smoothing" not in kwargs,
            reduction=reduction, **kwargs)


def _ce_with_weight(lib, x, t, w=None, weight_index=None, **kw):
    return lib.nn.functional.cross_entropy(x, t, weight=w, **kw)


@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 4, 3)])
@pytest.mark.parametrize("options", [{}, {"weight": True}, {"label_smoothing": 0.3}])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_probabilities(torch, shape, options, reduction, dtype):
    classes = shape[1] if len(shape) > 1 else shape[0]
    p = np.random.default_rng(3).random(shape).astype(dtype)
    arrays = [randn(shape, dtype), p / p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)]
    kwargs = {k: v for k, v in options.items() if k != "weight"}
    if options.get("weight"):
        arrays.append(np.linspace(0.5, 2.0, classes).astype(dtype))
    compare(torch, _ce_with_weight, arrays, [True, True, False], dtype, names=False, reduction=reduction, **kwargs)


@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 3, 4), (2, 3, 2, 2)])
@pytest.mark.parametrize("options", [{}, {"weight": True}, {"ignore_index": 0}])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(torch, shape, options, reduction):
    classes = shape[1] if len(shape) > 1 else shape[0]
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    arrays = [randn(shape, np.float64), np.random.default_rng(2).integers(0, classes, tshape)]
    if options.get("weight"):
        arrays.append(np.linspace(0.5, 2.0, classes))
    kwargs = {k: v for k, v in options.items() if k != "weight"}

    def fn(lib, x, t, w=None, **kw):
        return lib.nn.functional.nll_loss(x, t, weight=w, **kw)
    compare(torch, fn, arrays, [True, False, False], np.float64, reduction=reduction, **kwargs)


@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy(torch, weight, reduction, dtype):
    x = np.random.default_rng(0).uniform(0.05, 0.95, (4, 3)).astype(dtype)
    arrays = [x, np.random.default_rng(1).random((4, 3)).astype(dtype)]
    if weight:
        arrays.append(np.linspace(0.5, 2.0, 3).astype(dtype))

    def fn(lib, x, t, w=None, **kw):
        return lib.nn.functional.binary_cross_entropy(x, t, weight=w, **kw)
    compare(torch, fn, arrays, [True, True, False], dtype, reduction=reduction)


@pytest.mark.parametrize("options", [(), ("weight",), ("pos_weight",), ("weight", "pos_weight")])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_with_logits(torch, options, reduction, dtype):
    arrays = [randn((4, 3), dtype) * 4, np.random.default_rng(1).random((4, 3)).astype(dtype),
              np.linspace(0.5, 2.0, 3).astype(dtype), np.linspace(3.0, 0.2, 3).astype(dtype)]

    def fn(lib, x, t, w, pw, **kw):
        return lib.nn.functional.binary_cross_entropy_with_logits(
            x, t, weight=w if "weight" in options else None, pos_weight=pw if "pos_weight" in options else None,
            **kw)
    compare(torch, fn, arrays, [True, True, False, False], dtype, reduction=reduction)


GRADCHECK = [
    lambda F, x, t: F.mse_loss(x, t), lambda F, x, t: F.smooth_l1_loss(x, t, beta=0.5, reduction="sum"),
    lambda F, x, t: F.l1_loss(x, t), lambda F, x, t: F.binary_cross_entropy(x.sigmoid(), t.sigmoid()),
    lambda F, x, t: F.binary_cross_entropy_with_logits(x, t.sigmoid(), pos_weight=minitorch.tensor(
        [2.0, 0.5, 1.0], dtype=minitorch.float64), reduction="none"),
    lambda F, x, t: F.cross_entropy(x, t.softmax(1), label_smoothing=0.1),
    lambda F, x, t: F.cross_entropy(x, minitorch.tensor([0, 2, 1, 2]), label_smoothing=0.2, ignore_index=1,
                                    weight=minitorch.tensor([1.0, 2.0, 0.5], dtype=minitorch.float64)),
    lambda F, x, t: F.nll_loss(x, minitorch.tensor([0, 2, 1, 2]), reduction="none"),
]


@pytest.mark.parametrize("index", range(len(GRADCHECK)))
def test_gradcheck(index):
    x = minitorch.tensor(randn((4, 3), np.float64), requires_grad=True)
    t = minitorch.tensor(randn((4, 3), np.float64, seed=1), requires_grad=True)
    assert gradcheck(lambda a, b: GRADCHECK[index](minitorch.nn.functional, a, b), (x, t))


def test_stable_for_huge_logits(torch):
    def scenario(lib):
        F = lib.nn.functional
        x = lib.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], requires_grad=True)
        t = lib.tensor([1, 2])
        loss = F.cross_entropy(x, t)
        loss.backward()
        logits = lib.tensor([1e4, -1e4, 50.0], requires_grad=True)
        bce = F.binary_cross_entropy_with_logits(logits, lib.tensor([0.0, 1.0, 1.0]), reduction="sum")
        bce.backward()
        probs = F.binary_cross_entropy(lib.tensor([0.0, 1.0, 0.5]), lib.tensor([1.0, 0.0, 1.0]),
                                       reduction="none")
        return (round(loss.item(), 3), np.round(x.grad.numpy(), 4).tolist(), round(bce.item(), 3),
                np.round(logits.grad.numpy(), 4).tolist(), np.round(probs.numpy(), 4).tolist())
    same(scenario, torch)


def test_graph_and_all_ignored(torch):
    def scenario(lib):
        F = lib.nn.functional
        x = lib.ones(2, 3, 4, requires_grad=True)
        t = lib.zeros(2, 4, dtype=lib.long)
        names = [F.cross_entropy(x[0].t(), t[0]).grad_fn.name(),
                 F.cross_entropy(x[0].t(), t[0]).grad_fn.next_functions[0][0].name(),
                 F.cross_entropy(x, t).grad_fn.name(), F.cross_entropy(x, t, reduction="none").shape,
                 F.mse_loss(x, x.detach()).grad_fn.name(), F.l1_loss(x, x.detach()).grad_fn.name()]
        nan = F.nll_loss(lib.ones(2, 3), lib.tensor([-100, -100])).isnan().item()
        return names, nan
    same(scenario, torch)


def test_errors(torch):
    def scenario(lib):
        F = lib.nn.functional
        x = lib.ones(4, 3)
        long = lib.zeros(4, dtype=lib.long)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [outcome(F.cross_entropy, x, lib.zeros(4, 3, dtype=lib.long)),
                    outcome(F.cross_entropy, x, lib.zeros(4)),
                    outcome(F.cross_entropy, x, lib.zeros(5, dtype=lib.long)),
                    outcome(F.cross_entropy, x, lib.tensor([0, 1, 5, 0])),
                    outcome(F.nll_loss, x, long, weight=lib.ones(2)),
                    outcome(F.cross_entropy, x, lib.zeros(4, 2)),
                    outcome(F.nll_loss, lib.ones(2, 3, 4), lib.zeros(2, 5, dtype=lib.long)),
                    outcome(F.cross_entropy, lib.ones(2, 3, 4), lib.zeros(2, 3, 4, dtype=lib.int32)),
                    outcome(F.binary_cross_entropy, lib.ones(4) / 2, lib.zeros(3)),
                    outcome(F.binary_cross_entropy, lib.ones(4) * 2, lib.zeros(4)),
                    outcome(F.binary_cross_entropy_with_logits, lib.ones(4), lib.zeros(3)),
                    outcome(F.mse_loss, x, x, reduction="foo"),
                    outcome(F.smooth_l1_loss, x, x, beta=-1.0),
                    outcome(F.mse_loss, x, lib.zeros(4, 2))[:2]]
    same(scenario, torch)


def test_broadcast_warning(torch):
    for lib in (minitorch, torch):
        with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3\]\)\) that is different"):
            out = lib.nn.functional.mse_loss(lib.ones(2, 3), lib.zeros(3))
        assert out.item() == 1.0


def test_modules(torch):
    def scenario(lib):
        nn = lib.nn
        w = lib.tensor([1.0, 2.0, 0.5])
        mods = [nn.L1Loss(), nn.MSELoss(reduction="sum"), nn.SmoothL1Loss(beta=0.5), nn.NLLLoss(w, ignore_index=1),
                nn.CrossEntropyLoss(w, label_smoothing=0.1, reduction="none"), nn.BCELoss(),
                nn.BCEWithLogitsLoss(pos_weight=w)]
        x = lib.tensor([[0.2, 0.7, 0.4], [0.9, 0.1, 0.5]])
        t_cls = lib.tensor([2, 1])
        t = lib.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
        outs = [m(x, t_cls if isinstance(m, (nn.NLLLoss, nn.CrossEntropyLoss)) else t) for m in mods]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            legacy = nn.MSELoss(size_average=False).reduction, nn.L1Loss(reduce=False).reduction
        return ([repr(m) for m in mods], [np.round(o.numpy(), 5).tolist() for o in outs],
                [m.reduction for m in mods], mods[4].ignore_index, mods[4].label_smoothing, mods[2].beta,
                [n for n, _ in mods[4].named_buffers()], [n for n, _ in mods[6].named_buffers()],
                list(mods[3].state_dict()), nn.CrossEntropyLoss.__constants__, legacy)
    same(scenario, torch)


@pytest.mark.cuda
def test_cuda_cross_entropy_matches_cpu():
    x = randn((6, 5), np.float32) * 3
    t = np.array([0, 4, 2, 1, 3, 2])
    outs = []
    for device in ("cpu", "cuda"):
        xt = minitorch.tensor(x, device=device, requires_grad=True)
        loss = minitorch.nn.functional.cross_entropy(xt, minitorch.tensor(t, device=device), label_smoothing=0.1)
        loss.backward()
        outs.append((loss.item(), xt.grad.cpu().numpy()))
    assert abs(outs[0][0] - outs[1][0]) < 1e-5
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-5, atol=1e-6)
