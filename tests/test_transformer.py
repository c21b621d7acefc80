"""scaled_dot_product_attention, multi_head_attention_forward, MultiheadAttention and the Transformer
family against PyTorch: values, gradients, node names, masks (bool, float, key padding, causal), options,
reprs, state_dict layouts, warnings and errors; float64 gradcheck with double backward; and a small
Transformer trained on a sorting task for 50 steps, whose loss curve must match torch's to 1e-4."""
import warnings

import numpy as np
import pytest

import minitorch

from ._module_parity import copy_state, outcome, same
from ._ops_parity import check_grads, compare, data

# ----- scaled dot-product attention ---------------------------------------------------------------------------
Q, K, V = data((2, 3, 4, 8), seed=1), data((2, 3, 5, 8), seed=2), data((2, 3, 5, 8), seed=3)
_MASK = np.random.default_rng(4).random((4, 5)) > 0.3
_MASK[1] = False  # a query that may attend to nothing: its output is 0


def _sdpa(**kwargs):
    def fn(lib, q, k, v, *mask):
        extra = {"attn_mask": mask[0]} if mask else {}
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, **extra, **kwargs)
    return fn


SDPA = [
    ("plain", _sdpa(), [Q, K, V]),
    ("causal", _sdpa(is_causal=True), [Q, K, V]),
    ("bool_mask", _sdpa(), [Q, K, V, _MASK]),
    ("bool_mask_4d", _sdpa(scale=0.2), [Q, K, V, np.broadcast_to(_MASK, (2, 3, 4, 5)).copy()]),
    ("float_mask", _sdpa(), [Q, K, V, data((4, 5), seed=5)]),
    ("float_mask_3d", _sdpa(), [Q, K, V, data((3, 4, 5), seed=5)]),
    ("mask_and_causal", _sdpa(is_causal=True), [Q, K, V, _MASK]),
    ("gqa", _sdpa(enable_gqa=True), [data((2, 6, 4, 8), seed=6), K, V]),
    ("value_width", _sdpa(), [Q, K, data((2, 3, 5, 6), seed=7)]),
    ("three_dims", _sdpa(is_causal=True), [Q[0], K[0], V[0]]),
    ("broadcast_batch", _sdpa(), [Q, K[:1], V[:1]]),
]


@pytest.mark.parametrize("name,fn,arrays", SDPA, ids=[c[0] for c in SDPA])
def test_sdpa_matches_torch(torch, name, fn, arrays):
    compare(torch, fn, *arrays)
    compare(torch, fn, *[a.astype(np.float32) if a.dtype == np.float64 else a for a in arrays])


SMALL = {  # arrays for the finite-difference checks: one batch, two heads of size 3, three queries
    "q": data((1, 2, 3, 3), seed=1), "k": data((1, 2, 4, 3), seed=2), "v": data((1, 2, 4, 3), seed=3),
    "mask": _MASK[1:, 1:], "bias": data((3, 4), seed=5), "bias3": data((2, 3, 4), seed=5)}
SDPA_GRADCHECK = [
    ("plain", _sdpa(), ["q", "k", "v"]), ("causal", _sdpa(is_causal=True), ["q", "k", "v"]),
    ("bool_mask", _sdpa(scale=0.4, attn_mask=minitorch.tensor(SMALL["mask"])), ["q", "k", "v"]),
    ("float_mask", _sdpa(), ["q", "k", "v", "bias"]), ("float_mask_3d", _sdpa(), ["q", "k", "v", "bias3"]),
    ("mask_and_causal", _sdpa(is_causal=True, attn_mask=minitorch.tensor(SMALL["mask"])), ["q", "k", "v"]),
    ("gqa", lambda L, q, k, v: L.nn.functional.scaled_dot_product_attention(q.repeat(1, 2, 1, 1), k, v,
                                                                            enable_gqa=True), ["q", "k", "v"]),
]


@pytest.mark.parametrize("name,fn,keys", SDPA_GRADCHECK, ids=[c[0] for c in SDPA_GRADCHECK])
def test_sdpa_gradcheck(name, fn, keys):
    check_grads(fn, *[SMALL[k] for k in keys])


def test_sdpa_dropout(torch):
    """Dropout drops attention weights and rescales the rest by 1/(1-p), like F.dropout (masks come from each
    library's own stream, so the kept weights are checked against the undropped ones); p=1 gives zeros."""
    def scenario(lib):
        out = lib.nn.functional.scaled_dot_product_attention(lib.tensor(Q), lib.tensor(K), lib.tensor(V),
                                                             dropout_p=1.0)
        return out.abs().sum().item(), tuple(out.shape)
    same(scenario, torch)
    minitorch.manual_seed(0)
    q, k = minitorch.tensor(Q), minitorch.tensor(K)
    eye = minitorch.tensor(np.broadcast_to(np.eye(5), (2, 3, 5, 5)).copy())  # the output is then the weights
    dropped = minitorch.nn.functional.scaled_dot_product_attention(q, k, eye, dropout_p=0.5).numpy()
    plain = minitorch.nn.functional.scaled_dot_product_attention(q, k, eye).numpy()
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], plain[kept] * 2)
    assert 0.3 < kept.mean() < 0.7


def test_sdpa_errors(torch):
    def scenario(lib):
        F = lib.nn.functional
        q, k = lib.ones(2, 3, 4, 8), lib.ones(2, 3, 5, 8)
        return [outcome(F.scaled_dot_product_attention, q, k[..., :6], k),
                outcome(F.scaled_dot_product_attention, q, k, k, attn_mask=lib.ones(3, 5)),
                outcome(F.scaled_dot_product_attention, q.double(), k, k),
                outcome(F.scaled_dot_product_attention, q, k, k, attn_mask=lib.ones(4, 5, dtype=lib.long)),
                outcome(F.scaled_dot_product_attention, q, k[:, :2], k[:, :2], enable_gqa=True),
                outcome(F.scaled_dot_product_attention, q, k, k[..., :6], attn_mask=lib.ones(4, 5, dtype=lib.bool),
                        is_causal=True)]
    same(scenario, torch)


# ----- multi-head attention --------------------------------------------------------------------------------------
MHA = [  # (id, constructor options, forward options)
    ("default", {}, {}), ("no_bias", {"bias": False}, {}), ("bias_kv", {"add_bias_kv": True}, {}),
    ("zero_attn", {"add_zero_attn": True}, {}), ("kdim_vdim", {"kdim": 5, "vdim": 3}, {}),
    ("batch_first", {"batch_first": True}, {}), ("no_weights", {}, {"need_weights": False}),
    ("per_head_weights", {}, {"average_attn_weights": False}), ("bool_mask", {}, {"attn_mask": "bool"}),
    ("float_mask", {}, {"attn_mask": "float", "need_weights": False}),
    ("mask_3d", {}, {"attn_mask": "3d"}), ("key_padding", {}, {"key_padding_mask": True}),
    ("causal", {}, {"attn_mask": "causal", "is_causal": True, "need_weights": False}),
    ("causal_padding", {}, {"attn_mask": "causal", "is_causal": True, "key_padding_mask": True,
                            "need_weights": False}),
    ("everything", {"add_bias_kv": True, "add_zero_attn": True, "batch_first": True},
     {"attn_mask": "bool", "key_padding_mask": True, "average_attn_weights": False}),
    ("unbatched", {}, {"unbatched": True, "key_padding_mask": True}),
]


def _mha_inputs(lib, options, forward):
    """(query, key, value, forward kwargs) for one MHA case, from fixed numpy data."""
    forward = dict(forward)
    unbatched = forward.pop("unbatched", False)
    causal = forward.get("attn_mask") == "causal"
    kdim, vdim = options.get("kdim", 8), options.get("vdim", 8)
    first = options.get("batch_first", False)

    def shape(length, width):
        return (length, width) if unbatched else (3, length, width) if first else (length, 3, width)
    q = lib.tensor(data(shape(4, 8), seed=1), requires_grad=True)
    k = q if causal else lib.tensor(data(shape(5, kdim), seed=2), requires_grad=True)
    v = q if causal else lib.tensor(data(shape(5, vdim), seed=3), requires_grad=True)
    source = 4 if causal else 5
    masks = {"bool": lib.tensor(~_MASK), "float": lib.tensor(data((4, 5), seed=5)),
             "3d": lib.tensor(data((6, 4, 5), seed=5)),
             "causal": lib.nn.Transformer.generate_square_subsequent_mask(4, dtype=lib.float64)}
    if "attn_mask" in forward:
        forward["attn_mask"] = masks[forward["attn_mask"]]
    if forward.pop("key_padding_mask", False):
        padding = np.random.default_rng(6).random((3, source)) < 0.3
        forward["key_padding_mask"] = lib.tensor(padding[0] if unbatched else padding)
    return q, k, v, forward


@pytest.mark.parametrize("name,options,forward", MHA, ids=[c[0] for c in MHA])
def test_multihead_attention_matches_torch(torch, name, options, forward):
    modules = {lib.__name__: lib.nn.MultiheadAttention(8, 2, dtype=lib.float64, **options)
               for lib in (minitorch, torch)}
    copy_state(modules["torch"], modules["minitorch"])

    def scenario(lib):
        m = modules[lib.__name__]
        q, k, v, kwargs = _mha_inputs(lib, options, forward)
        out, weights = m(q, k, v, **kwargs)
        (out * lib.tensor(data(tuple(out.shape), seed=9))).sum().backward()
        grads = [p.grad for p in m.parameters()] + [t.grad for t in (q, k, v) if t.grad is not None]
        return ([out.detach().numpy()] + ([] if weights is None else [weights.detach().numpy()]) +
                [g.numpy() for g in grads], weights is None, [n for n, _ in m.named_parameters()])
    (ours, ours_none, our_names), (theirs, their_none, their_names) = scenario(minitorch), scenario(torch)
    assert ours_none == their_none and our_names == their_names and len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_multi_head_attention_forward_static_kv(torch):
    """The functional form with separate projection weights and fixed (static) keys and values."""
    def fn(lib, query, wq, wk, wv, out_w, sk, sv):
        return lib.nn.functional.multi_head_attention_forward(
            query, query, query, 4, 2, None, None, None, None, False, 0.0, out_w, None,
            use_separate_proj_weight=True, q_proj_weight=wq, k_proj_weight=wk, v_proj_weight=wv, static_k=sk,
            static_v=sv, need_weights=True)
    arrays = [data((3, 2, 4), seed=1)] + [data((4, 4), seed=s) for s in (2, 3, 4, 5)] + \
        [data((4, 5, 2), seed=6), data((4, 5, 2), seed=7)]
    compare(torch, fn, *arrays)
    check_grads(lambda L, *t: fn(L, *t)[0], *[a[..., :3, :] if a.ndim == 3 and a.shape[0] == 3 else a
                                              for a in arrays])


def test_multihead_attention_gradcheck():
    torch_like = minitorch.nn.MultiheadAttention(4, 2, add_bias_kv=True, dtype=minitorch.float64)
    weight, bias = torch_like.in_proj_weight.detach(), torch_like.in_proj_bias.detach()

    def fn(lib, q, k, out_w):
        return lib.nn.functional.multi_head_attention_forward(
            q, k, k, 4, 2, weight, bias, None, None, True, 0.0, out_w, None,
            attn_mask=lib.tensor([[False, True], [False, False]]))[0]
    check_grads(fn, data((2, 1, 4), seed=1), data((2, 1, 4), seed=2), data((4, 4), seed=3))


def test_multihead_attention_layout_and_errors(torch):
    def scenario(lib):
        lib.manual_seed(0)
        nn = lib.nn
        mods = [nn.MultiheadAttention(8, 2), nn.MultiheadAttention(6, 3, bias=False, kdim=4, vdim=2),
                nn.MultiheadAttention(4, 1, add_bias_kv=True, dropout=0.1, batch_first=True)]
        layout = [(repr(m), [(n, tuple(p.shape)) for n, p in m.named_parameters()], list(m.state_dict()),
                   m.head_dim, m._qkv_same_embed_dim) for m in mods]
        q = lib.ones(4, 3, 8)
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            mods[0](q, q, q, key_padding_mask=lib.zeros(3, 4, dtype=lib.bool), attn_mask=lib.zeros(4, 4))
        errors = [outcome(nn.MultiheadAttention, 8, 3), outcome(nn.MultiheadAttention, 0, 2),
                  outcome(mods[0], q, q, lib.ones(5, 3, 8)), outcome(mods[0], q, lib.ones(4, 8), lib.ones(4, 8)),
                  outcome(mods[0], q, q, q, attn_mask=lib.ones(3, 3)),
                  outcome(mods[0], q, q, q, attn_mask=lib.ones(5, 4, 4)),
                  outcome(mods[0], q, q, q, key_padding_mask=lib.zeros(3, 5, dtype=lib.bool)),
                  outcome(mods[0], q, q, q, attn_mask=lib.ones(4, 4, dtype=lib.long)),
                  outcome(mods[0], q, q, q, is_causal=True), outcome(mods[0], lib.ones(2, 4, 3, 8), q, q),
                  outcome(mods[0], lib.ones(4, 3, 6), lib.ones(4, 3, 6), lib.ones(4, 3, 6))]
        return layout, [str(w.message) for w in seen], errors
    same(scenario, torch)


# ----- Transformer ---------------------------------------------------------------------------------------------
def test_square_subsequent_mask(torch):
    def scenario(lib):
        m = lib.nn.Transformer.generate_square_subsequent_mask(4)
        return m.tolist(), str(m.dtype), str(lib.nn.Transformer.generate_square_subsequent_mask(2, dtype=lib.float64)
                                             .dtype)
    same(scenario, torch)


def _pair(builder):
    """The same module built in both libraries, minitorch's a copy of torch's weights."""
    made = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the nested-tensor note of TransformerEncoder
        for lib in (torch_module(), minitorch):
            lib.manual_seed(0)
            made[lib.__name__] = builder(lib)
    copy_state(made["torch"], made["minitorch"])
    return made


def torch_module():
    import torch
    return torch


LAYERS = [  # (id, builder, forward(lib, module, src, tgt))
    ("encoder_layer", lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, 0.0, dtype=L.float64),
     lambda L, m, s, t: m(s, src_key_padding_mask=L.tensor(np.eye(3, 5, dtype=bool)))),
    ("encoder_layer_norm_first_gelu", lambda L: L.nn.TransformerEncoderLayer(
        8, 2, 16, 0.0, "gelu", 1e-3, True, True, dtype=L.float64),
     lambda L, m, s, t: m(s.transpose(0, 1), src_mask=L.nn.Transformer.generate_square_subsequent_mask(
         5, dtype=L.float64), is_causal=True)),
    ("encoder_layer_module_activation", lambda L: L.nn.TransformerEncoderLayer(
        8, 2, 16, 0.0, L.nn.SiLU(), bias=False, dtype=L.float64), lambda L, m, s, t: m(s)),
    ("decoder_layer", lambda L: L.nn.TransformerDecoderLayer(8, 2, 16, 0.0, dtype=L.float64),
     lambda L, m, s, t: m(t, s, tgt_mask=L.nn.Transformer.generate_square_subsequent_mask(4, dtype=L.float64),
                          memory_key_padding_mask=L.tensor(np.eye(3, 5, dtype=bool)))),
    ("decoder_layer_norm_first", lambda L: L.nn.TransformerDecoderLayer(8, 2, 16, 0.0, norm_first=True,
                                                                        dtype=L.float64),
     lambda L, m, s, t: m(t, s, memory_mask=L.tensor(data((4, 5), seed=3)), tgt_is_causal=False)),
    ("encoder", lambda L: L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 16, 0.0, dtype=L.float64), 2,
                                                  L.nn.LayerNorm(8, dtype=L.float64)),
     lambda L, m, s, t: m(s, mask=L.nn.Transformer.generate_square_subsequent_mask(5, dtype=L.float64))),
    ("decoder", lambda L: L.nn.TransformerDecoder(L.nn.TransformerDecoderLayer(8, 2, 16, 0.0, dtype=L.float64), 2),
     lambda L, m, s, t: m(t, s, tgt_mask=L.nn.Transformer.generate_square_subsequent_mask(4, dtype=L.float64))),
    ("transformer", lambda L: L.nn.Transformer(8, 2, 2, 1, 16, 0.0, dtype=L.float64),
     lambda L, m, s, t: m(s, t, tgt_mask=L.nn.Transformer.generate_square_subsequent_mask(4, dtype=L.float64),
                          src_key_padding_mask=L.tensor(np.eye(3, 5, dtype=bool)))),
    ("transformer_batch_first", lambda L: L.nn.Transformer(8, 2, 1, 1, 16, 0.0, batch_first=True, norm_first=True,
                                                           dtype=L.float64),
     lambda L, m, s, t: m(s.transpose(0, 1), t.transpose(0, 1), tgt_is_causal=True,
                          tgt_mask=L.nn.Transformer.generate_square_subsequent_mask(4, dtype=L.float64))),
    ("transformer_unbatched", lambda L: L.nn.Transformer(8, 2, 1, 1, 16, 0.0, dtype=L.float64),
     lambda L, m, s, t: m(s[:, 0], t[:, 0])),
]


@pytest.mark.parametrize("name,builder,forward", LAYERS, ids=[c[0] for c in LAYERS])
def test_transformer_modules_match_torch(torch, name, builder, forward):
    made = _pair(builder)

    def scenario(lib):
        m = made[lib.__name__]
        src = lib.tensor(data((5, 3, 8), seed=1), requires_grad=True)
        tgt = lib.tensor(data((4, 3, 8), seed=2), requires_grad=True)
        out = forward(lib, m, src, tgt)
        (out * lib.tensor(data(tuple(out.shape), seed=4))).sum().backward()
        return [out.detach().numpy(), src.grad.numpy()] + [p.grad.numpy() for p in m.parameters()], repr(m), \
            list(m.state_dict())
    (ours, our_repr, our_keys), (theirs, their_repr, their_keys) = scenario(minitorch), scenario(torch)
    assert our_repr == their_repr and our_keys == their_keys
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_transformer_defaults_warnings_and_errors(torch):
    def scenario(lib):
        nn = lib.nn
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                   dim_feedforward=4)
            nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, batch_first=True), 1)
            nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 1, batch_first=True, norm_first=True), 1)
            nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 1, batch_first=True), 1, enable_nested_tensor=False)
        layer = model.encoder.layers[0]
        facts = [str(w.message) for w in seen], repr(model), layer.activation_relu_or_gelu, \
            nn.TransformerEncoderLayer(8, 2, activation="gelu").activation_relu_or_gelu, \
            nn.TransformerEncoderLayer(8, 2, activation=nn.Tanh()).activation_relu_or_gelu, \
            model.encoder.use_nested_tensor, [p.dim() for p in model.parameters()][:4]
        src, tgt = lib.ones(5, 3, 8), lib.ones(4, 2, 8)
        errors = [outcome(model, src, tgt), outcome(model, src, lib.ones(4, 3, 6)),
                  outcome(nn.TransformerEncoderLayer, 8, 2, activation="tanh")]
        return facts, errors
    same(scenario, torch)


def test_transformer_init_is_xavier_uniform():
    """Every weight matrix of a Transformer is U(-b, b) with Xavier's bound (and biases keep their init)."""
    minitorch.manual_seed(0)
    model = minitorch.nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                     dim_feedforward=32)
    w = model.encoder.layers[0].linear1.weight.detach().numpy()
    bound = np.sqrt(6 / (16 + 32))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound


# ----- training ------------------------------------------------------------------------------------------------
_VOCAB, _LENGTH, _BATCH = 8, 6, 8


def _sort_batches(steps):
    """Sequences of tokens 2..7 to sort; the decoder input starts with token 1 (teacher forcing)."""
    rng = np.random.default_rng(0)
    for _ in range(steps):
        src = rng.integers(2, _VOCAB, (_BATCH, _LENGTH))
        out = np.sort(src, axis=1)
        yield src, np.concatenate([np.ones((_BATCH, 1), dtype=np.int64), out[:, :-1]], 1), out


def _sorter(lib):
    class Sorter(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.nn.Embedding(_VOCAB, 16)
            self.transformer = lib.nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                                  dim_feedforward=32, dropout=0.0, batch_first=True)
            self.head = lib.nn.Linear(16, _VOCAB)

        def forward(self, src, tgt):
            mask = lib.nn.Transformer.generate_square_subsequent_mask(tgt.shape[1], dtype=lib.float64)
            return self.head(self.transformer(self.embed(src), self.embed(tgt), tgt_mask=mask, tgt_is_causal=True))
    return Sorter().double()


def test_transformer_training_matches_torch_loss_curve(torch):
    """The same model (torch's initial weights copied in), data and Adam updates for 50 steps in float64:
    the loss curves agree to 1e-4 (and the model learns)."""
    made = _pair(_sorter)
    curves = {}
    for lib in (minitorch, torch):
        model = made[lib.__name__]
        opt = lib.optim.Adam(model.parameters(), lr=3e-3)
        losses = []
        for src, tgt_in, tgt_out in _sort_batches(50):
            logits = model(lib.tensor(src), lib.tensor(tgt_in))
            loss = lib.nn.functional.cross_entropy(logits.reshape(-1, _VOCAB), lib.tensor(tgt_out).reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        curves[lib.__name__] = np.array(losses)
    np.testing.assert_allclose(curves["minitorch"], curves["torch"], rtol=0, atol=1e-4)
    assert curves["minitorch"][-5:].mean() < 0.6 * curves["minitorch"][:5].mean()
