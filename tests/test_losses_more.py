"""The losses beyond the basic ones (huber, KL divergence, Poisson and Gaussian NLL, soft margin, the
multi-label and multi-class margins, ranking, hinge and cosine embedding, triplet losses, CTC, linear
cross-entropy and the adaptive softmax) against PyTorch: values, gradients, grad_fn names, float64
gradcheck, reductions, layers and errors."""
import warnings

import numpy as np
import pytest

import minitorch

from minitorch.autograd import gradcheck

from ._module_parity import copy_state, outcome, same
from ._ops_parity import check_grads, compare, data

_SIGNS = np.sign(data((4, 5), seed=11))
_PROBS = np.abs(data((4, 5), seed=12))
_LABELS = (data((4, 5), seed=13) > 0).astype(np.float64)
_MULTILABEL = np.array([[3, 0, -1, 1, 2], [0, 1, 2, 3, 4], [1, -1, 0, 0, 0], [4, 4, -1, 0, 0]])


def _f(name, *extra, **kwargs):
    """fn(lib, *tensors) calling F.name with the tensors, then `extra` constants made by lib (floating ones in
    the first tensor's dtype), then kwargs."""
    def fn(lib, *tensors):
        consts = [lib.tensor(c, dtype=tensors[0].dtype if c.dtype.kind == "f" else None) for c in map(np.asarray,
                                                                                                 extra)]
        return getattr(lib.nn.functional, name)(*tensors, *consts, **kwargs)
    return fn


# (id, fn, arrays): every array is an input that requires grad (when floating)
CASES = [
    ("huber_loss", _f("huber_loss"), [data((4, 5)) * 2, data((4, 5), seed=1)]),
    ("huber_loss_delta", _f("huber_loss", delta=0.5, reduction="none"), [data((4, 5)) * 2, data((4, 5), seed=1)]),
    ("huber_loss_sum", _f("huber_loss", reduction="sum"), [data((4, 5)) * 2, data((4, 5), seed=1)]),
    ("kl_div_batchmean", _f("kl_div", reduction="batchmean"), [data((4, 5)), _PROBS]),
    ("kl_div_log_target", _f("kl_div", reduction="sum", log_target=True), [data((4, 5)), data((4, 5), seed=2)]),
    ("kl_div_none", _f("kl_div", reduction="none"), [data((4, 5)), _PROBS]),
    ("poisson_nll_loss", _f("poisson_nll_loss"), [data((4, 5)), _PROBS * 3]),
    ("poisson_nll_loss_full", _f("poisson_nll_loss", full=True, reduction="sum"), [data((4, 5)), _PROBS * 3]),
    ("poisson_nll_loss_rate", _f("poisson_nll_loss", log_input=False, reduction="none"), [_PROBS + 0.1,
                                                                                         _PROBS * 3]),
    ("gaussian_nll_loss", _f("gaussian_nll_loss"), [data((4, 5)), data((4, 5), seed=1), _PROBS + 0.1]),
    ("gaussian_nll_loss_full", _f("gaussian_nll_loss", full=True, reduction="none"),
     [data((4, 5)), data((4, 5), seed=1), _PROBS[:, :1] + 0.1]),
    ("gaussian_nll_loss_last_dim", _f("gaussian_nll_loss", reduction="sum"),
     [data((4, 5)), data((4, 5), seed=1), _PROBS[:, 0] + 0.1]),
    ("soft_margin_loss", _f("soft_margin_loss", _SIGNS), [data((4, 5))]),
    ("soft_margin_loss_none", _f("soft_margin_loss", _SIGNS, reduction="none"), [data((4, 5))]),
    ("multilabel_soft_margin_loss", _f("multilabel_soft_margin_loss", _LABELS), [data((4, 5))]),
    ("multilabel_soft_margin_loss_w", _f("multilabel_soft_margin_loss", _LABELS, np.arange(1.0, 6.0),
                                         reduction="none"), [data((4, 5))]),
    ("multilabel_margin_loss", _f("multilabel_margin_loss", _MULTILABEL), [data((4, 5))]),
    ("multilabel_margin_loss_none", _f("multilabel_margin_loss", _MULTILABEL, reduction="none"), [data((4, 5))]),
    ("multilabel_margin_loss_1d", _f("multilabel_margin_loss", _MULTILABEL[0], reduction="none"), [data((5,))]),
    ("multi_margin_loss", _f("multi_margin_loss", np.array([1, 0, 4, 2])), [data((4, 5))]),
    ("multi_margin_loss_p2", _f("multi_margin_loss", np.array([1, 0, 4, 2]), p=2, margin=0.7, reduction="sum"),
     [data((4, 5))]),
    ("multi_margin_loss_weight", lambda L, x: L.nn.functional.multi_margin_loss(
        x, L.tensor([1, 0, 4, 2]), p=2, weight=L.arange(1.0, 6.0, dtype=x.dtype), reduction="none"),
     [data((4, 5))]),
    ("margin_ranking_loss", _f("margin_ranking_loss", _SIGNS[:, 0], margin=0.3),
     [data((4,)), data((4,), seed=1)]),
    ("hinge_embedding_loss", _f("hinge_embedding_loss", _SIGNS, margin=0.5), [data((4, 5))]),
    ("cosine_embedding_loss", _f("cosine_embedding_loss", _SIGNS[:, 0], margin=0.2),
     [data((4, 5)), data((4, 5), seed=1)]),
    ("cosine_embedding_loss_1d", _f("cosine_embedding_loss", _SIGNS[0, 0], reduction="none"),
     [data((5,)), data((5,), seed=1)]),
    ("triplet_margin_loss", _f("triplet_margin_loss"), [data((4, 5)), data((4, 5), seed=1), data((4, 5), seed=2)]),
    ("triplet_margin_loss_swap", _f("triplet_margin_loss", p=1.0, swap=True, margin=2.0, reduction="none"),
     [data((4, 5)), data((4, 5), seed=1), data((4, 5), seed=2)]),
    ("triplet_margin_with_distance_loss", _f("triplet_margin_with_distance_loss", swap=True),
     [data((4, 5)), data((4, 5), seed=1), data((4, 5), seed=2)]),
    ("linear_cross_entropy", lambda L, x, w, b: L.nn.functional.linear_cross_entropy(
        x, w, L.tensor([1, 0, 3, 2]), linear_bias=b), [data((4, 5)), data((4, 5), seed=1), data((4,), seed=2)]),
    ("linear_cross_entropy_k", lambda L, x, w: L.nn.functional.linear_cross_entropy(
        x, w, L.tensor([[1, 0], [3, 2], [0, 0], [2, 1]]), reduction="none", ignore_index=0, label_smoothing=0.1),
     [data((4, 5)), data((4, 2, 5), seed=1)]),
]


@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(torch, name, fn, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's note on 'mean'
        compare(torch, fn, *arrays)
        compare(torch, fn, *[a.astype(np.float32) if a.dtype == np.float64 else a for a in arrays])


@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(name, fn, arrays):
    check_grads(fn, *arrays)


# ----- CTC ----------------------------------------------------------------------------------------------------
_LOGITS = data((7, 3, 5), seed=4)
_CTC_TARGETS = [
    ("padded", np.array([[1, 2, 2], [3, 1, 0], [4, 4, 4]]), [7, 5, 6], [3, 2, 3]),
    ("concatenated", np.array([1, 2, 2, 3, 1, 4]), [7, 5, 6], [3, 2, 1]),
    ("empty_target", np.array([[1, 2], [3, 1], [4, 4]]), [7, 5, 6], [0, 2, 1]),
    ("impossible", np.array([[1, 1, 1, 1], [3, 1, 0, 0], [2, 2, 2, 2]]), [7, 3, 6], [4, 2, 4]),
]


@pytest.mark.parametrize("case", _CTC_TARGETS, ids=[c[0] for c in _CTC_TARGETS])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_matches_torch(torch, case, reduction, zero_infinity):
    _, targets, ins, outs = case

    def fn(lib, logits):
        return lib.nn.functional.ctc_loss(logits.log_softmax(2), lib.tensor(targets), lib.tensor(ins),
                                          lib.tensor(outs), reduction=reduction, zero_infinity=zero_infinity)
    with np.errstate(invalid="ignore"):
        compare(torch, fn, _LOGITS)


def test_ctc_loss_forms(torch):
    """Length tuples, a blank other than 0, an unbatched input, and the CTCLoss layer."""
    def scenario(lib):
        lp = lib.tensor(data((6, 2, 4), seed=8)).log_softmax(2)
        targets = lib.tensor([[1, 2, 1], [2, 0, 0]])
        results = [lib.nn.functional.ctc_loss(lp, targets, (6, 5), (3, 1), reduction="none"),
                   lib.nn.functional.ctc_loss(lp, targets + 1, (6, 5), (3, 1), blank=0, reduction="sum"),
                   lib.nn.functional.ctc_loss(lp, lib.tensor([[0, 2, 0], [2, 1, 1]]), (6, 6), (3, 2), blank=3),
                   lib.nn.functional.ctc_loss(lp[:, 0], targets[0], lib.tensor(6), lib.tensor(3), reduction="none"),
                   lib.nn.CTCLoss(blank=3, zero_infinity=True)(lp, lib.tensor([[0, 2, 0], [2, 1, 1]]),
                                                                 lib.tensor([6, 6]), lib.tensor([3, 2]))]
        return [np.round(r.numpy(), 6).tolist() for r in results], [r.grad_fn is None for r in results], \
            repr(lib.nn.CTCLoss())
    same(scenario, torch)


def test_ctc_loss_gradcheck():
    """torch's CTC gradient is the gradient with respect to the logits of a log_softmax: checked through it."""
    targets, ins, outs = minitorch.tensor([[1, 2, 2], [3, 1, 0]]), (7, 5), (3, 2)
    logits = minitorch.tensor(_LOGITS[:, :2], requires_grad=True)
    assert gradcheck(lambda x: minitorch.nn.functional.ctc_loss(x.log_softmax(2), targets, ins, outs), (logits,))


def test_ctc_errors(torch):
    def scenario(lib):
        F = lib.nn.functional
        lp = lib.tensor(data((6, 2, 4), "float32", seed=8)).log_softmax(2)
        t = lib.tensor([[1, 2, 2], [3, 1, 0]])
        return [outcome(F.ctc_loss, lp, t, lib.tensor([6, 7]), lib.tensor([3, 2])),
                outcome(F.ctc_loss, lp, t, lib.tensor([6, 5]), lib.tensor([4, 2])),
                outcome(F.ctc_loss, lp, lib.tensor([1, 2, 2, 3]), lib.tensor([6, 5]), lib.tensor([3, 2])),
                outcome(F.ctc_loss, lp, t, lib.tensor([6, 5]), lib.tensor([3, 2]), 5)]
    same(scenario, torch)


# ----- layers --------------------------------------------------------------------------------------------------
def test_loss_layers_match_torch(torch):
    def scenario(lib):
        nn = lib.nn
        x, y, z = (lib.tensor(data((4, 5), seed=s)) for s in (0, 1, 2))
        signs, probs = lib.tensor(_SIGNS), lib.tensor(_PROBS)
        layers = [(nn.HuberLoss(delta=0.5), (x, y)), (nn.KLDivLoss(reduction="batchmean"), (x, probs)),
                  (nn.KLDivLoss(reduction="sum", log_target=True), (x, y)),
                  (nn.PoissonNLLLoss(full=True), (x, probs)), (nn.GaussianNLLLoss(full=True), (x, y, probs + 0.1)),
                  (nn.SoftMarginLoss(), (x, signs)), (nn.MultiLabelMarginLoss(), (x, lib.tensor(_MULTILABEL))),
                  (nn.MultiLabelSoftMarginLoss(weight=lib.ones(5) * 2), (x, lib.tensor(_LABELS))),
                  (nn.MultiMarginLoss(p=2, margin=0.5), (x, lib.tensor([1, 0, 4, 2]))),
                  (nn.MarginRankingLoss(0.2), (x[:, 0], y[:, 0], signs[:, 0])),
                  (nn.HingeEmbeddingLoss(0.5, reduction="sum"), (x, signs)),
                  (nn.CosineEmbeddingLoss(0.1), (x, y, signs[:, 0])),
                  (nn.TripletMarginLoss(margin=0.5, p=1.5, swap=True), (x, y, z)),
                  (nn.TripletMarginWithDistanceLoss(distance_function=nn.CosineSimilarity(), margin=0.3), (x, y, z)),
                  (nn.TripletMarginWithDistanceLoss(swap=True), (x, y, z))]
        return [(repr(m), np.round(m(*args).numpy(), 6).tolist()) for m, args in layers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(scenario, torch)


def test_linear_cross_entropy_layer_matches_torch(torch):
    layers = {}
    for lib in (minitorch, torch):
        lib.manual_seed(0)
        layers[lib.__name__] = lib.nn.LinearCrossEntropyLoss(5, 3, out_features=(2,), bias=True,
                                                             label_smoothing=0.1, dtype=lib.float64)
    copy_state(layers["torch"], layers["minitorch"])

    def scenario(lib):
        m = layers[lib.__name__]
        x = lib.tensor(data((4, 5), seed=3), requires_grad=True)
        loss = m(x, lib.tensor([[1, 0], [2, 2], [0, 1], [2, 0]]))
        loss.backward()
        return repr(m), round(loss.item(), 9), np.round(x.grad.numpy(), 9).tolist(), \
            np.round(m.linear.weight.grad.numpy(), 9).tolist()
    same(scenario, torch)


def test_linear_cross_entropy_options(torch):
    def scenario(lib):
        opts = lib.nn.LinearCrossEntropyOptions
        made = [repr(opts()), repr(opts(batch_chunk_size=4, acc_policy="compact", chunking_method=None)),
                repr(opts(acc_dtype=lib.float32))]
        errors = [outcome(opts, acc_policy="fast"), outcome(opts, chunking_method="rows"),
                  outcome(opts, batch_chunk_size=0), outcome(opts, acc_dtype=lib.int64)]
        x = lib.tensor(data((4, 3), seed=1))
        w = lib.tensor(data((5, 3), seed=2))
        plain = lib.nn.functional.linear_cross_entropy(x, w, lib.tensor([1, 0, 4, 2]))
        chunked = lib.nn.functional.linear_cross_entropy(x, w, lib.tensor([1, 0, 4, 2]),
                                                         options=opts(batch_chunk_size=2, chunking_method=None))
        return made, errors, round(plain.item(), 9), round(chunked.item(), 9)
    same(scenario, torch)


def test_adaptive_log_softmax_matches_torch(torch):
    modules = {}
    for lib in (minitorch, torch):
        lib.manual_seed(0)
        modules[lib.__name__] = lib.nn.AdaptiveLogSoftmaxWithLoss(6, 10, [3, 6], div_value=2.0, head_bias=True,
                                                                  dtype=lib.float64)
    copy_state(modules["torch"], modules["minitorch"])

    def scenario(lib):
        m = modules[lib.__name__]
        x = lib.tensor(data((5, 6), seed=4), requires_grad=True)
        out = m(x, lib.tensor([0, 9, 4, 2, 7]))
        out.loss.backward()
        single = m(x[0], lib.tensor(5))
        return (repr(m), type(out).__name__, out._fields, np.round(out.output.detach().numpy(), 9).tolist(),
                round(out.loss.item(), 9), np.round(x.grad.numpy(), 9).tolist(),
                np.round(m.log_prob(x).detach().numpy(), 9).tolist(), m.predict(x).tolist(),
                round(single.output.item(), 9), outcome(m, x, lib.tensor([0, 10, 1, 1, 1])))
    same(scenario, torch)


def test_errors(torch):
    def scenario(lib):
        F, nn = lib.nn.functional, lib.nn
        x = lib.ones(4, 5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [outcome(F.huber_loss, x, x, delta=0.0), outcome(F.huber_loss, x, x, weight=lib.ones(5)),
                    outcome(F.kl_div, x, x, reduction="avg"), outcome(F.gaussian_nll_loss, x, x, -1.0),
                    outcome(F.gaussian_nll_loss, x, x, lib.ones(3)), outcome(F.poisson_nll_loss, x, x, reduction="x"),
                    outcome(F.soft_margin_loss, x, x.clone().requires_grad_()),
                    outcome(F.multi_margin_loss, x, lib.tensor([1, 2, 3, 9])),
                    outcome(F.multi_margin_loss, x, lib.tensor([1, 2]), p=3),
                    outcome(F.multi_margin_loss, x, lib.tensor([1, 2])),
                    outcome(F.multi_margin_loss, x, lib.tensor([1, 2, 0, 0]), weight=lib.ones(5, requires_grad=True)),
                    outcome(F.multilabel_margin_loss, x, lib.full((4, 5), 7)),
                    outcome(F.multilabel_margin_loss, x, lib.zeros(4, 4, dtype=lib.long)),
                    outcome(F.margin_ranking_loss, x, x, lib.ones(4)),
                    outcome(F.cosine_embedding_loss, x, x, lib.ones(4, 1)),
                    outcome(F.cosine_embedding_loss, x, x, lib.tensor(1.0)),
                    outcome(F.triplet_margin_loss, x, x, x, margin=0.0),
                    outcome(F.triplet_margin_loss, x, x, lib.ones(4, 5, 1)),
                    outcome(F.linear_cross_entropy, x, lib.ones(3, 4), lib.zeros(4, dtype=lib.long)),
                    outcome(nn.TripletMarginLoss, margin=-1.0), outcome(nn.MultiMarginLoss, p=3),
                    outcome(nn.MultiMarginLoss, weight=lib.ones(2, 2)), outcome(nn.HuberLoss, delta="1"),
                    outcome(nn.AdaptiveLogSoftmaxWithLoss, 4, 10, [5, 3])]
    same(scenario, torch)
