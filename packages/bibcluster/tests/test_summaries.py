"""maxPEAR, Binder and relabelling (spec test 5)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bibcluster import max_pear, min_binder, pear, similarity_matrix
from bibcluster.summaries import align_labels, best_permutation_accuracy


def _set_partitions(n):
    """All set partitions of range(n) as restricted growth strings."""
    out = []

    def rec(prefix, m):
        if len(prefix) == n:
            out.append(list(prefix))
            return
        for v in range(m + 1):
            rec([*prefix, v], max(m, v + 1))

    rec([0], 1)
    return np.array(out)


def _pear_loop(c, psm):
    n = len(c)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    sI = sum(c[i] == c[j] for i, j in pairs)
    sP = sum(psm[i, j] for i, j in pairs)
    sIP = sum(psm[i, j] for i, j in pairs if c[i] == c[j])
    e = sI * sP / len(pairs)
    return (sIP - e) / (0.5 * (sI + sP) - e)


def _random_samples(rng, n=6, S=40):
    base = rng.integers(0, 3, n)
    samples = np.array([np.where(rng.random(n) < 0.25, rng.integers(0, 3, n), base) for _ in range(S)])
    return samples


def test_vectorised_pear_matches_double_loop():
    rng = np.random.default_rng(0)
    samples = _random_samples(rng, n=8)
    psm = similarity_matrix(samples)
    cands = samples[:10]
    vec = pear(cands, psm)
    for c, v in zip(cands, vec, strict=True):
        if len(np.unique(c)) not in (1, len(c)):
            assert v == pytest.approx(_pear_loop(c, psm))


def test_all_203_partitions_of_six_items():
    parts = _set_partitions(6)
    assert len(parts) == 203
    rng = np.random.default_rng(1)
    psm = similarity_matrix(_random_samples(rng))
    scores = pear(parts, psm)
    best = max_pear(psm, candidates=parts)
    np.testing.assert_array_equal(best, parts[int(np.argmax(scores))])


def test_single_partition_samples_are_returned():
    z = np.array([0, 0, 1, 1, 1, 2, 2])
    samples = np.tile(z, (30, 1))
    psm = similarity_matrix(samples)
    np.testing.assert_array_equal(max_pear(psm, samples), z)
    np.testing.assert_array_equal(min_binder(psm, samples), z)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=2, max_size=12), st.permutations(range(5)))
def test_alignment_undoes_a_permutation(labels, perm):
    ref = np.array(labels)
    permuted = np.array(perm)[ref]
    np.testing.assert_array_equal(align_labels(permuted, ref), ref)
    assert best_permutation_accuracy(permuted, ref) == 1.0


def test_similarity_rejects_empty():
    with pytest.raises(ValueError, match="samples"):
        similarity_matrix(np.empty((0, 3)))
    assert list(itertools.islice(range(3), 1)) == [0]
