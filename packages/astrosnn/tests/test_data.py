"""Corpora, tokenizers and loaders against closed forms and brute-force counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astrosnn import data


def test_entropy_rate_closed_form_two_state_chain():
    # order-1 chain on {0, 1}: P(1|0) = p, P(0|1) = q; π = (q, p)/(p+q); H = π0 h(p) + π1 h(q)
    p, q = 0.3, 0.6
    table = np.array([[1 - p, p], [q, 1 - q]])

    def hb(x):
        return -(x * np.log(x) + (1 - x) * np.log(1 - x))

    h, pi = data.markov_entropy_rate(table, order=1)
    np.testing.assert_allclose(pi, [q / (p + q), p / (p + q)], atol=1e-12)
    assert h == pytest.approx(q / (p + q) * hb(p) + p / (p + q) * hb(q), abs=1e-12)


def test_markov_corpus_empirical_conditional_entropy_matches_h():
    toks, h = data.markov_corpus(order=2, vocab=4, n_tokens=300_000, seed=3)
    ctx = toks[:-2] * 4 + toks[1:-1]
    counts = np.zeros((16, 4))
    np.add.at(counts, (ctx, toks[2:]), 1)
    p = counts / counts.sum(1, keepdims=True)
    w = counts.sum(1) / counts.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        h_emp = -(w[:, None] * np.where(counts > 0, p * np.log(p), 0)).sum()
    assert h_emp == pytest.approx(h, abs=0.01)
    assert 0 < h < np.log(4)


def test_markov_corpus_seeded():
    a, ha = data.markov_corpus(n_tokens=500, seed=1)
    b, hb = data.markov_corpus(n_tokens=500, seed=1)
    c, _ = data.markov_corpus(n_tokens=500, seed=2)
    assert np.array_equal(a, b) and ha == hb and not np.array_equal(a, c)
    assert a.dtype == np.int64 and a.min() >= 0 and a.max() < 16


@settings(max_examples=20, deadline=None)
@given(L=st.integers(2, 40), n_sym=st.integers(2, 10), k=st.integers(1, 4), seed=st.integers(0, 100))
def test_copy_task_layout(L, n_sym, k, seed):
    if k >= L:
        with pytest.raises(ValueError, match="L must be"):
            data.copy_task(L, n_sym, seed, n_seq=3, string_len=k)
        return
    ct = data.copy_task(L, n_sym, seed, n_seq=5, string_len=k)
    assert ct.tokens.shape == (5, L + k)
    assert np.array_equal(ct.tokens[:, :k], ct.tokens[:, L : L + k])  # the copy, lag L later
    assert np.all(ct.tokens[:, k] == n_sym)
    targets = ct.tokens[:, 1:]
    assert ct.target_mask.sum() == 5 * k
    assert np.all(targets[ct.target_mask] < n_sym)
    # scored targets are exactly the copy tokens
    assert np.array_equal(targets[ct.target_mask].reshape(5, k), ct.tokens[:, L : L + k])
    assert ct.chance == pytest.approx(1 / n_sym)


def test_pydoc_corpus_and_char_tokenizer_roundtrip():
    text = data.pydoc_corpus()
    assert len(text) > 100_000
    tok = data.CharTokenizer(text[:5000])
    ids = tok.encode(text[:5000])
    assert tok.decode(ids) == text[:5000]
    assert ids.max() == tok.vocab_size - 1


@given(st.text(max_size=50))
def test_byte_tokenizer_roundtrip(text):
    tok = data.ByteTokenizer()
    assert tok.decode(tok.encode(text)) == text


def test_load_text_file(tmp_path):
    f = tmp_path / "corpus.txt"
    f.write_text("hello world", encoding="utf-8")
    assert data.load_text_file(f) == "hello world"
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        data.load_text_file(empty)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(ValueError, match="not valid utf-8"):
        data.load_text_file(bad)
    with pytest.raises(FileNotFoundError, match=r"missing\.txt"):
        data.load_text_file(tmp_path / "missing.txt")
