"""Channel and alpha dropout, distances (cosine_similarity, pairwise_distance, pdist), instance / RMS /
local response normalisation, embedding_bag, and their layers, against PyTorch. Dropout masks come from
each library's own random stream, so dropout is compared through what does not depend on the mask: the
scale and shift applied, which units are dropped together, node names, shapes, warnings and errors."""
import warnings

import numpy as np
import pytest

import minitorch

from ._module_parity import copy_state, outcome, same
from ._ops_parity import check_grads, compare, data

# ----- dropout ---------------------------------------------------------------------------------------------------
# (function, input shape, leading dims that make up one feature map's index: 1 when unbatched)
FEATURE = [("dropout1d", (3, 4, 50), 2), ("dropout1d", (4, 50), 1), ("dropout2d", (3, 4, 5, 6), 2),
           ("dropout2d", (4, 60, 3), 2), ("dropout3d", (2, 4, 3, 3, 3), 2), ("dropout3d", (4, 3, 3, 3), 1),
           ("feature_alpha_dropout", (3, 4, 50), 2)]


@pytest.mark.parametrize("name,shape,lead", FEATURE)
def test_feature_dropout_drops_whole_channels(torch, name, shape, lead):
    """Each channel is dropped or kept whole; kept ones are scaled by 1/(1-p) (or alpha-shifted), and the
    results (node names, dtype, shape, the affine map of kept and dropped values) agree with torch."""
    x = np.abs(data(shape, "float64", seed=1)) + 1.0

    def maps(a):
        return a.reshape(int(np.prod(a.shape[:lead])), -1)

    def scenario(lib):
        lib.manual_seed(0)
        t = lib.tensor(x, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = getattr(lib.nn.functional, name)(t, p=0.4, training=True)
        out.sum().backward()
        rows, inputs = maps(out.detach().numpy()), maps(x)
        ratios = rows / inputs
        constant = np.allclose(ratios, ratios[:, :1]) if name != "feature_alpha_dropout" else True
        scales = sorted({round(v, 9) for v in ratios[:, 0]}) if name != "feature_alpha_dropout" else None
        grads = sorted({round(v, 9) for v in t.grad.numpy().ravel()})
        return out.grad_fn.name(), tuple(out.shape), str(out.dtype), constant, scales, grads
    ours = same(scenario, torch)
    assert len(ours[5]) == 2  # both kinds of channel occur


def test_dropout_rates_and_modes(torch):
    """The fraction of dropped channels is near p; eval mode and p=0 return the input itself; p=1 zeroes."""
    F = minitorch.nn.functional
    minitorch.manual_seed(1)
    out = F.dropout2d(minitorch.ones(64, 50, 2, 2), p=0.3)
    dropped = (out.numpy()[:, :, 0, 0] == 0).mean()
    assert 0.25 < dropped < 0.35
    x = minitorch.ones(2, 3, 4)

    def scenario(lib):
        F = lib.nn.functional
        y = lib.ones(2, 3, 4)
        return [F.dropout1d(y, 0.5, training=False) is y, F.dropout1d(y, 0.0) is y,
                F.alpha_dropout(y, 0.5) is y, F.dropout1d(y, 1.0).sum().item(),
                F.alpha_dropout(y, 1.0, True).sum().item()]
    same(scenario, torch)
    assert F.dropout3d(x.unsqueeze(0), 0.2, training=False) is not x


def test_alpha_dropout_keeps_selu_statistics(torch):
    """Kept values become a * x + b and dropped ones one constant c, with torch's a, b and c; mean and
    variance of a standard normal input survive."""
    x = data((20000,), "float64", seed=2)

    def scenario(lib):
        lib.manual_seed(0)
        out = lib.nn.functional.alpha_dropout(lib.tensor(x), 0.2, training=True).numpy()
        dropped_value = np.bincount(np.unique(np.round(out, 9), return_inverse=True)[1]).argmax()
        c = np.unique(np.round(out, 9))[dropped_value]
        kept = np.abs(out - c) > 1e-9
        a, b = np.polyfit(x[kept], out[kept], 1)
        return round(a, 6), round(b, 6), round(c, 6)
    same(scenario, torch)
    minitorch.manual_seed(0)
    out = minitorch.nn.functional.alpha_dropout(minitorch.tensor(x), 0.2, training=True).numpy()
    assert abs(out.mean()) < 0.05 and abs(out.std() - 1) < 0.05


def test_dropout_warnings_errors_and_layers(torch):
    def scenario(lib):
        F, nn = lib.nn.functional, lib.nn
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            F.dropout2d(lib.ones(2, 3, 4), training=False)
            F.dropout2d(lib.ones(2, 3), training=False)
            F.dropout3d(lib.ones(2, 3, 4), training=False)
        layers = [nn.Dropout1d(), nn.Dropout2d(0.3), nn.Dropout3d(0.1, True), nn.AlphaDropout(0.2),
                  nn.FeatureAlphaDropout(0.7, True)]
        return ([str(w.message) for w in seen], [repr(m) for m in layers],
                [outcome(F.dropout1d, lib.ones(2, 3, 4, 5)), outcome(F.dropout2d, lib.ones(2, 3, 4, 4), 1.5),
                 outcome(nn.Dropout1d, -0.1), outcome(F.feature_alpha_dropout, lib.ones(4), 0.5, True)])
    same(scenario, torch)


def test_inplace_dropout_writes_the_input():
    minitorch.manual_seed(0)
    x = minitorch.ones(3, 4, 5)
    out = minitorch.nn.functional.dropout1d(x, 0.5, inplace=True)
    assert out is x and set(np.unique(x.numpy())) <= {0.0, 2.0}
    y = minitorch.ones(4, 5)
    assert minitorch.nn.functional.dropout1d(y, 0.5, inplace=True) is y


# ----- distances ----------------------------------------------------------------------------------------------------
DISTANCES = [
    ("cosine_similarity", lambda L, a, b: L.nn.functional.cosine_similarity(a, b), [(4, 5), (4, 5)]),
    ("cosine_similarity_dim", lambda L, a, b: L.nn.functional.cosine_similarity(a, b, dim=-1, eps=1e-3),
     [(3, 1, 5), (4, 5)]),
    ("pairwise_distance", lambda L, a, b: L.nn.functional.pairwise_distance(a, b), [(4, 5), (4, 5)]),
    ("pairwise_distance_p", lambda L, a, b: L.nn.functional.pairwise_distance(a, b, p=3.0, keepdim=True),
     [(4, 5), (5,)]),
    ("pdist", lambda L, a: L.nn.functional.pdist(a), [(5, 3)]),
    ("pdist_p1", lambda L, a: L.nn.functional.pdist(a, 1.0), [(5, 3)]),
    ("pdist_p3", lambda L, a: L.nn.functional.pdist(a, 3.0), [(5, 3)]),
    ("pdist_inf", lambda L, a: L.nn.functional.pdist(a, float("inf")), [(5, 3)]),
    ("pdist_p0", lambda L, a: L.nn.functional.pdist(a, 0), [(5, 3)]),
]


@pytest.mark.parametrize("name,fn,shapes", DISTANCES, ids=[c[0] for c in DISTANCES])
def test_distances_match_torch(torch, name, fn, shapes):
    arrays = [data(s, seed=i) for i, s in enumerate(shapes)]
    compare(torch, fn, *arrays)
    check_grads(fn, *arrays)


def test_distance_layers(torch):
    def scenario(lib):
        a, b = lib.tensor(data((4, 5), seed=1)), lib.tensor(data((4, 5), seed=2))
        layers = [lib.nn.PairwiseDistance(), lib.nn.PairwiseDistance(1.0, 1e-3, True), lib.nn.CosineSimilarity(),
                  lib.nn.CosineSimilarity(0, 0.5)]
        return [(repr(m), sorted(type(m).__constants__), np.round(m(a, b).numpy(), 9).tolist()) for m in layers], \
            [outcome(lib.nn.functional.pdist, lib.ones(2, 3, 4)), outcome(lib.nn.functional.pdist, a, -1.0)]
    same(scenario, torch)


# ----- normalisation --------------------------------------------------------------------------------------------
NORMS = [
    ("instance_norm", lambda L, x: L.nn.functional.instance_norm(x), [(2, 3, 6)]),
    ("instance_norm_affine", lambda L, x, w, b: L.nn.functional.instance_norm(x, weight=w, bias=b, eps=1e-3),
     [(2, 3, 4, 3), (3,), (3,)]),
    ("rms_norm", lambda L, x: L.nn.functional.rms_norm(x, (5,)), [(3, 4, 5)]),
    ("rms_norm_weight", lambda L, x, w: L.nn.functional.rms_norm(x, [4, 5], w, eps=1e-3), [(3, 4, 5), (4, 5)]),
    ("local_response_norm", lambda L, x: L.nn.functional.local_response_norm(x, 3), [(2, 5, 4)]),
    ("local_response_norm_4d", lambda L, x: L.nn.functional.local_response_norm(x, 2, 0.1, 0.5, 2.0),
     [(2, 6, 3, 2)]),
]


@pytest.mark.parametrize("name,fn,shapes", NORMS, ids=[c[0] for c in NORMS])
def test_norms_match_torch(torch, name, fn, shapes):
    arrays = [data(s, seed=i) for i, s in enumerate(shapes)]
    compare(torch, fn, *arrays)
    compare(torch, fn, *[a.astype(np.float32) for a in arrays])
    check_grads(fn, *arrays)


def test_instance_norm_running_stats_and_layers(torch):
    layers = {}
    for lib in (minitorch, torch):
        lib.manual_seed(0)
        layers[lib.__name__] = [lib.nn.InstanceNorm1d(3), lib.nn.InstanceNorm2d(3, affine=True),
                                lib.nn.InstanceNorm3d(3, momentum=0.3, track_running_stats=True),
                                lib.nn.BatchNorm3d(3), lib.nn.RMSNorm([4, 2]), lib.nn.RMSNorm(2, 1e-3, False),
                                lib.nn.LocalResponseNorm(2)]
    for ours, theirs in zip(layers["minitorch"], layers["torch"]):
        copy_state(theirs, ours)

    def scenario(lib):
        mods = layers[lib.__name__]
        x1, x2 = lib.tensor(data((2, 3, 4), "float32", seed=1)), lib.tensor(data((2, 3, 4, 2), "float32", seed=2))
        x3 = lib.tensor(data((2, 3, 2, 2, 2), "float32", seed=3))
        outputs = [mods[0](x1), mods[0](x1[0]), mods[1](x2), mods[1](x2[0]), mods[2](x3), mods[2](x3),
                   mods[3](x3), mods[4](x2), mods[5](x2), mods[6](x2)]
        mods[2].eval()
        outputs.append(mods[2](x3))
        arrays = [o.detach().numpy() for o in outputs] + [b.numpy() for m in mods for b in m.buffers()]
        return ([repr(m) for m in mods], arrays,
                [outcome(mods[0], lib.ones(3)), outcome(mods[1], lib.ones(2, 4, 3, 3)),
                 outcome(mods[3], lib.ones(2, 3, 4)), outcome(lib.nn.functional.instance_norm, lib.ones(2, 3, 1)),
                 outcome(lib.nn.functional.rms_norm, x1, (3,)),
                 outcome(lib.nn.functional.local_response_norm, lib.ones(2, 3), 2)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (reprs, arrays, errors), (t_reprs, t_arrays, t_errors) = scenario(minitorch), scenario(torch)
    assert reprs == t_reprs and errors == t_errors
    assert [a.shape for a in arrays] == [a.shape for a in t_arrays]
    for a, b in zip(arrays, t_arrays):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# ----- embedding_bag -------------------------------------------------------------------------------------------
_W = data((7, 4), seed=5)
BAGS = [
    ("2d", lambda L, w, **k: L.nn.functional.embedding_bag(L.tensor([[1, 2, 4], [0, 0, 5]]), w, **k)),
    ("offsets", lambda L, w, **k: L.nn.functional.embedding_bag(L.tensor([1, 2, 4, 0, 0, 5, 3]), w,
                                                              L.tensor([0, 2, 2, 5]), **k)),
    ("padding", lambda L, w, **k: L.nn.functional.embedding_bag(L.tensor([1, 2, 4, 0, 0, 5, 3]), w,
                                                              L.tensor([0, 2, 2, 5]), padding_idx=0, **k)),
    ("last_offset", lambda L, w, **k: L.nn.functional.embedding_bag(L.tensor([1, 2, 4, 0, 0, 5, 3]), w,
                                                                  L.tensor([0, 2, 2, 5]), include_last_offset=True,
                                                                  **k)),
]


@pytest.mark.parametrize("name,fn", BAGS, ids=[c[0] for c in BAGS])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_matches_torch(torch, name, fn, mode):
    compare(torch, lambda L, w: fn(L, w, mode=mode), _W)
    check_grads(lambda L, w: fn(L, w, mode=mode), _W)


def test_embedding_bag_per_sample_weights(torch):
    def fn(lib, w, psw):
        return lib.nn.functional.embedding_bag(lib.tensor([1, 2, 4, 0, 0, 5, 3]), w, lib.tensor([0, 2, 2, 5]),
                                               mode="sum", per_sample_weights=psw)
    compare(torch, fn, _W, data((7,), seed=6))
    check_grads(fn, _W, data((7,), seed=6))


def test_embedding_bag_scale_grad_by_freq_divides_by_index_counts():
    """Each row's gradient is divided by how often its index occurs in the input, as embedding does
    (torch's cpu embedding_bag computes these counts wrongly for repeated indices: not compared)."""
    idx = minitorch.tensor([1, 2, 4, 1, 1, 5, 3])
    w1, w2 = (minitorch.tensor(_W, requires_grad=True) for _ in range(2))
    minitorch.nn.functional.embedding_bag(idx, w1, minitorch.tensor([0, 7]), mode="sum",
                                          scale_grad_by_freq=True).sum().backward()
    minitorch.nn.functional.embedding(idx, w2, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(w1.grad.numpy(), w2.grad.numpy())


def test_embedding_bag_layer_and_errors(torch):
    def scenario(lib):
        lib.manual_seed(0)
        nn, F = lib.nn, lib.nn.functional
        bag = nn.EmbeddingBag(10, 3, mode="max", padding_idx=-1)
        pre = nn.EmbeddingBag.from_pretrained(lib.tensor(_W), mode="sum")
        out = bag(lib.tensor([[1, 9, 2], [3, 3, 9]]))
        w = lib.tensor(_W)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ([repr(m) for m in (bag, pre, nn.EmbeddingBag(5, 2, max_norm=1.0, norm_type=1.0,
                                                                scale_grad_by_freq=True))],
                    np.round(out.detach().numpy(), 6).tolist(), pre.weight.requires_grad,
                    np.round(pre(lib.tensor([1, 2, 3]), lib.tensor([0, 1])).numpy(), 6).tolist(),
                    [outcome(F.embedding_bag, lib.tensor([1, 2]), w),
                     outcome(F.embedding_bag, lib.tensor([[1, 2]]), w, lib.tensor([0]))[:2],
                     outcome(F.embedding_bag, lib.tensor([1, 2]), w, lib.tensor([1])),
                     outcome(F.embedding_bag, lib.tensor([1, 2]), w, lib.tensor([0, 9])),
                     outcome(F.embedding_bag, lib.tensor([1, 2]), w, lib.tensor([0]), mode="median"),
                     outcome(F.embedding_bag, lib.tensor([1, 2]), w, lib.tensor([0]), mode="max",
                             per_sample_weights=lib.ones(2)),
                     outcome(F.embedding_bag, lib.tensor([1, 2]), w, lib.tensor([0]), per_sample_weights=lib.ones(3)),
                     outcome(nn.EmbeddingBag, 3, 2, padding_idx=5)])
    same(scenario, torch)
