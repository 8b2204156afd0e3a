"""Connectivity from attention, its scores against the truth, and a cross-correlogram baseline."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from neuroformer.data import WindowDataset
from neuroformer.model import Neuroformer

__all__ = [
    "accumulate_attention",
    "attention_connectivity",
    "circular_shuffle",
    "cross_correlogram_connectivity",
    "direction_accuracy",
    "edge_auroc",
    "within_row_auroc",
]


def accumulate_attention(
    att: NDArray[np.float64], q_ids: NDArray[np.int64], k_ids: NDArray[np.int64], n_neurons: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Sum attention ``att [B, Tq, Tk]`` (rows over valid keys sum to 1) into neuron pairs.

    Returns ``(observed, expected)``, both ``[N, N]`` indexed ``[key neuron a, query neuron b]``: ``observed``
    sums the attention from every query token of neuron b to every key token of neuron a; ``expected`` sums
    what a query would give neuron a if it attended uniformly over the window's non-PAD keys (the value under
    shuffled key identities), which normalises away token frequencies.
    """
    obs = np.zeros((n_neurons, n_neurons))
    exp = np.zeros((n_neurons, n_neurons))
    for bi in range(att.shape[0]):
        qv = q_ids[bi] < n_neurons
        kv = (k_ids[bi] >= 0) & (k_ids[bi] < n_neurons)
        if not qv.any() or not kv.any():
            continue
        a = att[bi][np.ix_(qv, kv)]
        qn, kn = q_ids[bi][qv], k_ids[bi][kv]
        # one-hot projections: [Tq, N] and [Tk, N]
        qh = np.zeros((qn.size, n_neurons))
        qh[np.arange(qn.size), qn] = 1.0
        kh = np.zeros((kn.size, n_neurons))
        kh[np.arange(kn.size), kn] = 1.0
        obs += kh.T @ a.T @ qh
        n_keys = float(np.count_nonzero(k_ids[bi] != -1))
        kcount = kh.sum(0)
        exp += np.outer(kcount / n_keys, qh.sum(0))
    return obs, exp


@torch.no_grad()
def attention_connectivity(
    model: Neuroformer,
    dataset: WindowDataset,
    n_neurons: int,
    stack: str = "state_history",
    batch_size: int = 256,
    device: str | torch.device = "cpu",
) -> NDArray[np.float64]:
    """Directed connectivity ``S[a, b]`` (a -> b) from attention, frequency-normalised.

    Attention from current-window token j (neuron b) to past-window token i (neuron a), averaged over heads
    and layers of ``stack`` (``"state_history"``), is summed into ``S[a, b]`` and divided by the expected
    attention under shuffled ids (uniform attention over the window's non-PAD keys).

    Parameters
    ----------
    model : Neuroformer
    dataset : WindowDataset
        Tokenised windows (keys of ``SpikeTokenizer.encode``).
    n_neurons : int
        N; tokens >= N (SOS/EOS/PAD) are not neurons.
    stack : str
        ``"state_history"`` (current -> past cross-attention) or ``"self"``/``"state"`` (within-window).

    Returns
    -------
    ndarray [N, N]
        ``S[a, b]``; pairs never observed are 0.
    """
    if stack not in ("state_history", "self", "state"):
        raise ValueError(f"stack must be 'state_history', 'self' or 'state', got {stack!r}")
    if len(dataset) == 0:
        raise ValueError("dataset is empty")
    model = model.to(device)
    was = model.training
    model.eval()
    model.keep_attention(True)
    pad = model.config.id_pad
    obs = np.zeros((n_neurons, n_neurons))
    exp = np.zeros((n_neurons, n_neurons))
    try:
        for start in range(0, len(dataset), batch_size):
            idx = np.arange(start, min(start + batch_size, len(dataset)))
            arr = dataset.subset(idx).arrays
            batch = {
                k: torch.from_numpy(arr[k]).to(device) for k in ("x_id", "x_dt", "x_id_prev", "x_dt_prev")
            }
            model(batch)
            maps = model.attention_maps().get(stack)
            if not maps:
                raise ValueError(f"model has no attention maps in stack {stack!r}")
            att = torch.stack(maps).mean(dim=(0, 2)).cpu().numpy().astype(np.float64)  # [B, Tq, Tk]
            q_ids = arr["x_id"]
            k_ids = arr["x_id_prev"] if stack == "state_history" else arr["x_id"]
            k_ids = np.where(k_ids == pad, -1, k_ids)
            if stack != "state_history":
                # within-window: only keys strictly earlier in time than the query count
                tri = np.tril(np.ones(att.shape[1:], dtype=bool), -1)
                att = att * tri
            o, e = accumulate_attention(att, q_ids, k_ids, n_neurons)
            obs += o
            exp += e
    finally:
        model.keep_attention(False)
        model.train(was)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(exp > 0, obs / exp, 0.0)
    return s


def edge_auroc(
    score: NDArray[np.float64], edges: NDArray[np.bool_], exclude: NDArray[np.bool_] | None = None
) -> float:
    """AUROC of ``score[a, b]`` for the true edges among all ordered pairs ``a != b`` (minus ``exclude``)."""
    score = np.asarray(score, dtype=np.float64)
    edges = np.asarray(edges, dtype=bool)
    if score.shape != edges.shape or score.ndim != 2 or score.shape[0] != score.shape[1]:
        raise ValueError(
            f"score and edges must be the same square shape, got {score.shape} and {edges.shape}"
        )
    mask = ~np.eye(score.shape[0], dtype=bool)
    if exclude is not None:
        mask &= ~np.asarray(exclude, dtype=bool) | edges
    y = edges[mask]
    if y.all() or not y.any():
        raise ValueError("edges must contain both edges and non-edges")
    return float(roc_auc_score(y, score[mask]))


def within_row_auroc(
    score: NDArray[np.float64],
    edges: NDArray[np.bool_],
    rows: NDArray[np.int64],
    exclude: NDArray[np.bool_] | None = None,
) -> float:
    """Mean over source rows (e.g. the hubs) of the AUROC separating each row's targets from its non-targets.

    Unlike :func:`edge_auroc`, a score that only says "this neuron is a hub" gets 0.5 here.
    """
    score = np.asarray(score, dtype=np.float64)
    edges = np.asarray(edges, dtype=bool)
    aucs = []
    for a in np.asarray(rows).reshape(-1):
        mask = np.ones(score.shape[1], dtype=bool)
        mask[a] = False
        if exclude is not None:
            mask &= ~np.asarray(exclude, dtype=bool)[a] | edges[a]
        y = edges[a, mask]
        if y.any() and not y.all():
            aucs.append(roc_auc_score(y, score[a, mask]))
    if not aucs:
        raise ValueError("no row holds both edges and non-edges")
    return float(np.mean(aucs))


def direction_accuracy(score: NDArray[np.float64], edges: NDArray[np.bool_]) -> float:
    """Fraction of true edges a -> b with ``score[a, b] > score[b, a]``."""
    a, b = np.nonzero(np.asarray(edges, dtype=bool))
    if a.size == 0:
        raise ValueError("edges holds no edge")
    return float(np.mean(score[a, b] > score[b, a]))


def cross_correlogram_connectivity(raster: NDArray[np.int64], max_lag: int = 3) -> NDArray[np.float64]:
    """Directed cross-correlogram score ``C[a, b]``: spikes of b 1..max_lag bins after spikes of a, divided
    by the count expected for independent neurons (``n_a n_b max_lag / T``)."""
    x = np.asarray(raster, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("raster must be [neurons, bins]")
    if max_lag < 1:
        raise ValueError(f"max_lag must be >= 1, got {max_lag}")
    n, t = x.shape
    obs = np.zeros((n, n))
    for lag in range(1, max_lag + 1):
        obs += x[:, : t - lag] @ x[:, lag:].T
    rate = x.sum(1)
    expected = np.outer(rate, rate) * max_lag / t
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > 0, obs / expected, 0.0)


def circular_shuffle(
    raster: NDArray[np.int64], seed: int | np.random.Generator | None = 0
) -> NDArray[np.int64]:
    """Shift each neuron's train by an independent random circular offset (keeps rates, breaks coupling)."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    x = np.asarray(raster)
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = np.roll(x[i], int(rng.integers(x.shape[1] // 10, x.shape[1] - x.shape[1] // 10)))
    return out
