"""Posterior summaries of sampled partitions: similarity matrices, PEAR / maxPEAR, Binder, relabelling."""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import squareform

__all__ = [
    "align_labels",
    "best_permutation_accuracy",
    "max_pear",
    "min_binder",
    "pear",
    "similarity_matrix",
]


def similarity_matrix(samples: np.ndarray) -> np.ndarray:
    """Posterior co-clustering probabilities ``pi_ij`` from label samples ``(S, n)``."""
    samples = np.asarray(samples)
    if samples.ndim != 2 or samples.shape[0] == 0:
        raise ValueError("samples must be a non-empty 2-D array (n_samples, n_items)")
    n = samples.shape[1]
    out = np.zeros((n, n))
    for row in samples:
        out += row[:, None] == row[None, :]
    return np.asarray(out / samples.shape[0])


def _canon(labels: np.ndarray) -> np.ndarray:
    _, inv = np.unique(labels, return_inverse=True)
    first: dict[int, int] = {}
    out = np.empty(len(labels), dtype=np.int64)
    for i, v in enumerate(inv):
        out[i] = first.setdefault(int(v), len(first))
    return out


def pear(candidates: np.ndarray, psm: np.ndarray) -> np.ndarray:
    """Posterior expected adjusted Rand index of each candidate partition (Fritsch & Ickstadt 2009).

    ``PEAR(c) = [sum I pi - (sum I)(sum pi)/C(n,2)] / [1/2 (sum I + sum pi) - (sum I)(sum pi)/C(n,2)]`` over pairs
    ``i < j``, with ``I_ij = 1`` when i and j share a block of c.
    """
    candidates = np.atleast_2d(np.asarray(candidates))
    n = psm.shape[0]
    iu = np.triu_indices(n, 1)
    pi = psm[iu]
    npairs = n * (n - 1) / 2
    spi = pi.sum()
    out = np.empty(candidates.shape[0])
    for c, lab in enumerate(candidates):
        ind = (lab[:, None] == lab[None, :])[iu]
        si = ind.sum()
        sip = pi[ind].sum()
        expct = si * spi / npairs
        denom = 0.5 * (si + spi) - expct
        out[c] = (sip - expct) / denom if denom != 0 else (1.0 if sip == expct else 0.0)
    return out


def _candidates(psm: np.ndarray, samples: np.ndarray | None) -> np.ndarray:
    n = psm.shape[0]
    cands = []
    if n > 1:
        dist = squareform(np.clip(1.0 - psm, 0.0, None), checks=False)
        for method in ("average", "complete"):
            Z = linkage(dist, method=method)
            for k in range(1, n + 1):
                cands.append(fcluster(Z, k, criterion="maxclust") - 1)
    else:
        cands.append(np.zeros(1, dtype=np.int64))
    if samples is not None:
        cands.extend(np.asarray(samples))
    uniq = np.unique(np.array([_canon(np.asarray(c)) for c in cands]), axis=0)
    return uniq


def max_pear(
    psm: np.ndarray, samples: np.ndarray | None = None, candidates: np.ndarray | None = None
) -> np.ndarray:
    """maxPEAR point estimate: the candidate with the largest PEAR.

    Candidates (as R's ``mcclust::maxpear``): average- and complete-linkage clusterings of ``1 - psm`` cut at every
    number of clusters, plus the sampled partitions; or an explicit ``candidates`` array.
    """
    cands = _candidates(psm, samples) if candidates is None else np.atleast_2d(candidates)
    return _canon(cands[int(np.argmax(pear(cands, psm)))])


def min_binder(psm: np.ndarray, samples: np.ndarray | None = None) -> np.ndarray:
    """Partition minimising Binder's loss with equal costs, ``sum_{i<j} |I_ij - pi_ij|``, over the candidates."""
    cands = _candidates(psm, samples)
    n = psm.shape[0]
    iu = np.triu_indices(n, 1)
    pi = psm[iu]
    loss = [np.abs((c[:, None] == c[None, :])[iu] - pi).sum() for c in cands]
    return _canon(cands[int(np.argmin(loss))])


def align_labels(labels: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Relabel ``labels`` to best match ``reference`` (Hungarian algorithm on the contingency table).

    Labels without a partner in the reference get fresh labels after the reference's.
    """
    labels = np.asarray(labels)
    reference = np.asarray(reference)
    la, inv_a = np.unique(labels, return_inverse=True)
    lb, inv_b = np.unique(reference, return_inverse=True)
    cont = np.zeros((len(la), len(lb)))
    np.add.at(cont, (inv_a, inv_b), 1)
    rows, cols = linear_sum_assignment(-cont)
    mapping = np.full(len(la), -1, dtype=np.int64)
    mapping[rows] = lb[cols]
    nxt = int(lb.max()) + 1 if len(lb) else 0
    for i in range(len(la)):
        if mapping[i] < 0:
            mapping[i] = nxt
            nxt += 1
    return mapping[inv_a]


def best_permutation_accuracy(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Fraction of items whose label agrees with the truth under the best one-to-one relabelling."""
    aligned = align_labels(estimate, truth)
    return float(np.mean(aligned == np.asarray(truth)))
