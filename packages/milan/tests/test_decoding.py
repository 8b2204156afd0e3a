import itertools
import math

import numpy as np
import pytest
import torch

from milan import (
    Captioner,
    LanguageModel,
    MaskedPyramidEncoder,
    Milan,
    ShapesBackbone,
    Vocabulary,
    beam_search,
    pmi_select,
)

# Hand-set 3-token world: tokens 0=<bos>, 1=<eos>, 2="a", 3="b". p(next | prefix) depends on the prefix.
BOS, EOS = 0, 1


def table(prefix: tuple[int, ...]) -> list[float]:
    last = prefix[-1]
    n = len(prefix)
    if n >= 3:
        return [0.0, 1.0, 0.0, 0.0]
    if last == BOS:
        return [0.0, 0.05, 0.5, 0.45]
    if last == 2:
        return [0.0, 0.4, 0.1, 0.5]
    return [0.0, 0.9, 0.05, 0.05]


def step_fn(prefixes: torch.Tensor, _problem: torch.Tensor) -> torch.Tensor:
    return torch.log(torch.tensor([table(tuple(p.tolist())) for p in prefixes], dtype=torch.float64))


def all_sequences(max_len: int = 3):
    """Every complete sequence with its exact log-probability (brute force)."""
    out = {}
    for n in range(1, max_len + 1):
        for body in itertools.product([2, 3], repeat=n - 1):
            seq = (BOS, *body, EOS)
            lp = sum(math.log(max(table(seq[:i])[seq[i]], 1e-300)) for i in range(1, len(seq)))
            out[seq] = lp
    return out


def greedy():
    seq = [BOS]
    while seq[-1] != EOS and len(seq) <= 3:
        seq.append(int(np.argmax(table(tuple(seq)))))
    return seq


def test_beam_one_is_greedy():
    seqs, scores = beam_search(step_fn, 1, beam=1, max_len=3, bos=BOS, eos=EOS)
    g = greedy()
    assert seqs[0, 0, : len(g)].tolist() == g
    assert scores[0, 0] == pytest.approx(all_sequences()[tuple(g)])


def test_wide_beam_finds_the_exact_argmax_and_pmi_rerank_matches_analytic_argmax():
    exact = all_sequences()
    seqs, scores = beam_search(step_fn, 2, beam=20, max_len=3, bos=BOS, eos=EOS)
    best = max(exact, key=exact.get)
    got = seqs[0, 0].tolist()
    assert tuple(got[: got.index(EOS) + 1]) == best
    # a toy LM: p(d) strongly prefers the short "a"
    lm = {s: (0.6 if s == (BOS, 2, EOS) else 0.4 / (len(exact) - 1)) for s in exact}
    for lam in (0.0, 0.2, 1.0):
        analytic = max(exact, key=lambda s, lam=lam: exact[s] - lam * math.log(lm[s]))
        beam_seqs = []
        for row in seqs[0].tolist():
            if math.isfinite(scores[0, len(beam_seqs)].item()):
                beam_seqs.append(tuple(row[: row.index(EOS) + 1]))
        assert set(exact) <= set(beam_seqs)  # the beam holds every sequence: rerank sees all
        lp_cap = torch.tensor([exact[s] for s in beam_seqs])
        lp_lm = torch.tensor([math.log(lm[s]) for s in beam_seqs])
        assert beam_seqs[int(pmi_select(lp_cap, lp_lm, lam))] == analytic


def test_pmi_effect_on_toy_distributions():
    # 10 units, each with a specific description s_i; captioner p(generic|E)=0.4, p(s_i|E)=0.3, rest spread.
    # LM: p(generic)=0.5, p(s_i)=0.05. lambda=0 always picks generic; lambda=0.2 picks s_i:
    # log .3 - .2 log .05 = -0.605 > log .4 - .2 log .5 = -0.778.
    n = 10
    lp_cap = torch.log(torch.tensor([[0.4, 0.3, 0.1]] * n))
    lp_lm = torch.log(torch.tensor([[0.5, 0.05, 0.05]] * n))
    pick0, pick2 = pmi_select(lp_cap, lp_lm, 0.0), pmi_select(lp_cap, lp_lm, 0.2)
    rate0, rate2 = float((pick0 == 0).float().mean()), float((pick2 == 0).float().mean())
    assert rate0 >= 0.5 and rate2 < rate0
    spec0 = -lp_lm[torch.arange(n), pick0].mean()
    spec2 = -lp_lm[torch.arange(n), pick2].mean()
    assert spec2 > spec0
    assert math.log(0.3) - 0.2 * math.log(0.05) > math.log(0.4) - 0.2 * math.log(0.5)


@pytest.fixture(scope="module")
def tiny_milan():
    torch.manual_seed(0)
    vocab = Vocabulary.from_texts(["red circles", "blue squares", "objects"])
    cap = Captioner(6, len(vocab), embed_dim=8, hidden_dim=16, attention_dim=8).eval()
    lm = LanguageModel(len(vocab), embed_dim=8, hidden_dim=16).eval()
    return cap, lm, vocab


def test_milan_scores_agree_with_beam_scores(tiny_milan):
    cap, lm, vocab = tiny_milan
    feats = torch.randn(3, 5, 6)
    m = Milan(cap, lm, vocab, lam=0.0, beam=5, max_len=4)
    d = m.describe_features(feats)
    assert len(d) == 3 and all(isinstance(t, str) for t in d.texts)
    # lambda = 0: the chosen description is the top of the beam, with the teacher-forced log-probability
    for i in range(3):
        toks = vocab.batch([d.texts[i]])
        lp = m.caption_log_prob(feats[i : i + 1], toks)
        assert float(lp) == pytest.approx(d.log_p_caption[i], abs=1e-5)
        assert float(lm.log_prob(toks)) == pytest.approx(d.log_p_lm[i], abs=1e-5)
    mi = Milan(cap, lm, vocab, lam=0.2, beam=5, max_len=4, strategy="mi").describe_features(feats)
    assert len(mi) == 3


def test_milan_bad_input(tiny_milan):
    cap, lm, vocab = tiny_milan
    with pytest.raises(ValueError, match="strategy must be one of"):
        Milan(cap, lm, vocab, strategy="greedy")
    with pytest.raises(ValueError, match="lam must be >= 0"):
        Milan(cap, lm, vocab, lam=-1)
    with pytest.raises(ValueError, match="beam must be positive"):
        Milan(cap, lm, vocab, beam=0)
    with pytest.raises(ValueError, match=r"feats must be \[units, k, 6\]"):
        Milan(cap, lm, vocab).describe_features(torch.randn(2, 5, 7))
    with pytest.raises(TypeError, match="exemplars must be"):
        Milan(cap, lm, vocab).describe("x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="beam must be positive"):
        beam_search(step_fn, 1, beam=0, max_len=3, bos=BOS, eos=EOS)
    with pytest.raises(ValueError, match="feats must be finite"):
        Milan(cap, lm, vocab).describe_features(torch.full((2, 5, 6), float("nan")))


def test_describer_file_round_trip_gives_the_same_descriptions(tmp_path):
    torch.manual_seed(1)
    vocab = Vocabulary.from_texts(["red circles", "blue squares", "objects"])
    backbone = ShapesBackbone(width=4)
    enc = MaskedPyramidEncoder(backbone, ["stem", "stage1", "stage2", "stage3"])
    images = np.random.default_rng(0).random((2, 3, 3, 32, 32), dtype=np.float32)
    masks = np.random.default_rng(1).random((2, 3, 32, 32)) > 0.5
    enc.fit_normalization(enc.encode_exemplars(images, masks))
    d = enc.encode_exemplars(images, masks).shape[-1]
    cap = Captioner(d, len(vocab), embed_dim=8, hidden_dim=16, attention_dim=8).eval()
    lm = LanguageModel(len(vocab), embed_dim=8, hidden_dim=16).eval()
    m = Milan(cap, lm, vocab, encoder=enc, lam=0.3, beam=4, max_len=5)
    path = m.save(tmp_path / "describer.npz")
    with np.load(path, allow_pickle=False) as z:  # plain arrays: no pickle needed to read it
        assert "meta" in z.files and all(z[k].dtype != object for k in z.files)
    back = Milan.load(path)
    assert (back.lam, back.beam, back.max_len, back.vocab.itos) == (0.3, 4, 5, vocab.itos)
    feats = enc.encode_exemplars(images, masks)
    torch.testing.assert_close(back.encoder.encode_exemplars(images, masks), feats)
    a, b = m.describe_features(feats), back.describe_features(feats)
    assert a.texts == b.texts
    np.testing.assert_allclose(a.log_p_caption, b.log_p_caption, atol=1e-6)
    bad = tmp_path / "bad.npz"
    np.savez(bad, meta=np.frombuffer(b'{"format": "other"}', dtype=np.uint8))
    with pytest.raises(ValueError, match=r"bad\.npz"):
        Milan.load(bad)


def test_cached_steps_equal_stateless_recomputation(tiny_milan):
    cap, lm, vocab = tiny_milan
    feats = torch.randn(4, 5, 6)
    m = Milan(cap, lm, vocab, lam=0.3, beam=4, max_len=5, strategy="mi")

    def stateless(prefix, problem):
        f = feats[problem]
        state = cap.init_state(f)
        for t in range(prefix.shape[1]):
            logits, state, _ = cap.step(prefix[:, t], state, f)
        lm_logits, _ = lm(prefix)
        return torch.log_softmax(logits, -1) - 0.3 * torch.log_softmax(lm_logits[:, -1], -1)

    c, lstep = m._cap_step(feats), m._lm_step()

    def cached(prefix, problem):
        return c(prefix, problem) - 0.3 * lstep(prefix, problem)

    def select(idx):
        c.select(idx)
        lstep.select(idx)

    with torch.no_grad():
        s1, sc1 = beam_search(stateless, 4, 4, 5, vocab.bos, vocab.eos)
        s2, sc2 = beam_search(cached, 4, 4, 5, vocab.bos, vocab.eos, on_select=select)
    torch.testing.assert_close(sc1, sc2)
    assert torch.equal(s1, s2)
