"""Baselines against independent computations: count tables by brute force, GPT-2 sizes, model files."""

from __future__ import annotations

import io
import json
import math
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import neurotypes
from astrosnn import AstroSNNLM, LMConfig, NGramLM, data, gpt2_n_params, lif_baseline, load_model, save_model


@settings(max_examples=30, deadline=None)
@given(
    tokens=st.lists(st.integers(0, 3), min_size=6, max_size=60),
    order=st.integers(1, 3),
    alpha=st.floats(0.05, 2.0),
)
def test_ngram_probabilities_by_brute_force(tokens, order, alpha):
    lm = NGramLM(order, 4, alpha=alpha).fit(tokens)
    seqs = [tuple(tokens[i : i + order]) for i in range(len(tokens) - order + 1)]
    for ctx in {s[:-1] for s in seqs}:
        n_ctx = sum(1 for s in seqs if s[:-1] == ctx)
        total = 0.0
        for y in range(4):
            n = sum(1 for s in seqs if s == (*ctx, y))
            p = lm.prob(np.array(ctx, dtype=np.int64), y)
            assert p == pytest.approx((n + alpha) / (n_ctx + 4 * alpha), rel=1e-12)
            total += p
        assert total == pytest.approx(1.0)
    nll = lm.token_nll(tokens)
    expected = [-math.log(lm.prob(np.array(s[:-1], dtype=np.int64), s[-1])) for s in seqs]
    np.testing.assert_allclose(nll, expected, rtol=1e-12)


def test_ngram_holdout_alpha_and_entropy_bound():
    toks, h = data.markov_corpus(order=2, vocab=4, n_tokens=60_000, seed=1)
    tri = NGramLM(3, 4).fit(toks[:50_000])
    assert tri.alpha_ in NGramLM.ALPHAS
    ce_tri = float(tri.token_nll(toks[50_000:]).mean())
    ce_bi = float(NGramLM(2, 4).fit(toks[:50_000]).token_nll(toks[50_000:]).mean())
    # the source's own order reaches its entropy rate (finite-sample slack); a bigram cannot
    assert abs(ce_tri - h) < 0.03
    assert ce_bi > ce_tri


def test_gpt2_parameter_count_matches_transformers():
    transformers = pytest.importorskip("transformers")
    from astrosnn import transformer_baseline

    cfg = transformers.GPT2Config(
        vocab_size=16, n_positions=40, n_embd=12, n_layer=2, n_head=4, tie_word_embeddings=True
    )
    model = transformers.GPT2LMHeadModel(cfg)
    assert sum(p.numel() for p in model.parameters()) == gpt2_n_params(16, 12, 2, 40)
    snn = AstroSNNLM(LMConfig(16, 64, 2), seed=0)
    tr = transformer_baseline(16, snn.n_params(), n_layer=2, n_positions=128, seed=0)
    assert tr.n_params() == gpt2_n_params(16, tr.model.config.n_embd, 2, 128)
    assert abs(tr.n_params() - snn.n_params()) / snn.n_params() < 0.05
    assert lif_baseline(snn.config).n_params() == snn.n_params()


def test_transformer_generate_equals_argmax_of_full_passes():
    pytest.importorskip("transformers")
    from astrosnn import transformer_baseline

    tr = transformer_baseline(9, 2000, n_layer=1, n_positions=16, seed=0)
    p = torch.tensor([1, 2, 3])
    out = tr.generate(p, 4, temperature=0.0)
    for k in range(3, 7):
        assert out[k] == tr(out[None, :k])[0, -1].argmax()


def test_model_file_round_trip(tmp_path):
    tok = data.CharTokenizer("héllo wörld")
    lm = AstroSNNLM(
        LMConfig(tok.vocab_size, 8, 2, max_len=32, cell_kwargs={"mod": "gate", "learn_params": False}), seed=1
    )
    path = save_model(lm, tmp_path / "m.npz", tokenizer=tok)
    back, tok2 = load_model(path)
    assert back.config == lm.config and tok2.chars == tok.chars
    x = torch.as_tensor(tok.encode("héllo"))[None]
    assert torch.equal(back(x), lm(x))
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(np.load(io.BytesIO(zf.read("__meta__.npy"))).tobytes())
    assert meta["format"] == "astrosnn.model" and meta["version"] == 1


def _rewrite(path, out, change):
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    np.savez(out, **arrays)
    return out


def test_model_file_refusals(tmp_path):
    lm = AstroSNNLM(5, d_model=4, n_layers=1, seed=0)
    good = save_model(lm, tmp_path / "good.npz")

    def meta(version):
        def change(a):
            m = json.loads(a["__meta__"].tobytes())
            m["version"] = version
            a["__meta__"] = np.frombuffer(json.dumps(m).encode(), dtype=np.uint8)

        return change

    cases = {
        "newer.npz": meta(2),
        "shape.npz": lambda a: a.update({"embed.weight": np.zeros((5, 3), dtype=np.float32)}),
        "nan.npz": lambda a: a.update({"embed.weight": np.full((5, 4), np.nan, dtype=np.float32)}),
        "extra.npz": lambda a: a.update({"intruder": np.zeros(2)}),
        "nometa.npz": lambda a: a.pop("__meta__"),
    }
    for name, change in cases.items():
        bad = _rewrite(good, tmp_path / name, change)
        with pytest.raises(neurotypes.FormatError, match=name):
            load_model(bad)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, __meta__=np.array([{"format": "astrosnn.model"}], dtype=object))
    with pytest.raises(neurotypes.FormatError, match=r"pickled\.npz"):
        load_model(pickled)
