"""Connectivity from attention, its scores against the truth, and a cross-correlogram baseline."""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import roc_auc_score

from neuroformer.data import WindowDataset
from neuroformer.model import Neuroformer, resolve_device
from neurotypes.validation import check_array, check_choice, check_int, check_rng

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
    att = check_array("att", att, ndim=3, nonnegative=True)
    n_neurons = check_int("n_neurons", n_neurons, minimum=1)
    q_ids = check_array("q_ids", q_ids, ndim=2, dtype="int")
    k_ids = check_array("k_ids", k_ids, ndim=2, dtype="int")
    if q_ids.shape != att.shape[:2] or k_ids.shape != (att.shape[0], att.shape[2]):
        raise ValueError(
            f"q_ids must be [B, Tq] = {att.shape[:2]} and k_ids [B, Tk] = {(att.shape[0], att.shape[2])}, "
            f"got {q_ids.shape} and {k_ids.shape}"
        )
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
    stack: Literal["state_history", "self", "state"] = "state_history",
    batch_size: int = 256,
    device: str | torch.device = "cpu",
    query: Literal["input", "target"] = "input",
) -> NDArray[np.float64]:
    """Directed connectivity ``S[a, b]`` (a -> b) from attention, frequency-normalised.

    Attention from current-window token j (neuron b) to past-window token i (neuron a), averaged over heads
    and layers of ``stack``, is summed into ``S[a, b]`` and divided by the expected attention under shuffled ids
    (uniform attention over the window's non-PAD keys), so that frequent neurons do not dominate.

    Parameters
    ----------
    model : Neuroformer
    dataset : WindowDataset
        Tokenised windows (keys of ``SpikeTokenizer.encode``).
    n_neurons : int
        N; tokens >= N (SOS/EOS/PAD) are not neurons.
    stack : {"state_history", "self", "state"}
        ``"state_history"``: current -> past cross-attention (the spec's readout); ``"self"``/``"state"``:
        within the current window, keys strictly earlier than the query's token.
    batch_size : int
    device : str or torch.device
    query : {"input", "target"}
        Which neuron a query position stands for: ``"input"`` the token at that position (``x_id``, the
        spec's reading, "token j is neuron b"), ``"target"`` the token the position predicts (``y_id``: the
        attention the model pays while predicting neuron b's spike).

    Returns
    -------
    ndarray [N, N]
        ``S[a, b]``; pairs never observed are 0.
    """
    if not isinstance(model, Neuroformer):
        raise TypeError(f"model must be a Neuroformer, got {type(model).__name__}")
    if not isinstance(dataset, WindowDataset):
        raise TypeError(f"dataset must be a WindowDataset, got {type(dataset).__name__}")
    if len(dataset) == 0:
        raise ValueError("dataset is empty")
    n_neurons = check_int("n_neurons", n_neurons, minimum=1)
    stack = check_choice("stack", stack, ("state_history", "self", "state"))
    query = check_choice("query", query, ("input", "target"))
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if n_neurons > model.config.id_vocab_size - 3:
        raise ValueError(
            f"n_neurons ({n_neurons}) exceeds the model's {model.config.id_vocab_size - 3} neuron ids"
        )
    if query == "target" and "y_id" not in dataset.arrays:
        raise ValueError("query='target' needs the dataset's targets 'y_id'")
    dev = resolve_device(device)
    model = model.to(dev)
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
            batch = {k: torch.from_numpy(arr[k]).to(dev) for k in ("x_id", "x_dt", "x_id_prev", "x_dt_prev")}
            model(batch)
            maps = model.attention_maps().get(stack)
            if not maps:
                raise ValueError(f"model has no attention maps in stack {stack!r}")
            att = torch.stack(maps).mean(dim=(0, 2)).cpu().numpy().astype(np.float64)  # [B, Tq, Tk]
            q_ids = arr["x_id"] if query == "input" else arr["y_id"]
            k_ids = arr["x_id_prev"] if stack == "state_history" else arr["x_id"]
            k_ids = np.where(k_ids == pad, -1, k_ids)
            if stack != "state_history":
                # within the window: only keys earlier than the query's token count (for "target" the token at
                # the query's own position is earlier than the one it predicts)
                tri = np.tril(np.ones(att.shape[1:], dtype=bool), -1 if query == "input" else 0)
                att = att * tri
            o, e = accumulate_attention(att, q_ids, k_ids, n_neurons)
            obs += o
            exp += e
    finally:
        model.keep_attention(False)
        model.train(was)
        model.cpu()
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(exp > 0, obs / exp, 0.0)
    return s


def _square_pair(score: ArrayLike, edges: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    sc = check_array("score", score, ndim=2)
    ed = check_array("edges", edges, ndim=2, dtype="bool")
    if sc.shape != ed.shape or sc.shape[0] != sc.shape[1]:
        raise ValueError(f"score and edges must be the same square shape, got {sc.shape} and {ed.shape}")
    return sc, ed


def edge_auroc(
    score: NDArray[np.float64], edges: NDArray[np.bool_], exclude: NDArray[np.bool_] | None = None
) -> float:
    """AUROC of ``score[a, b]`` for the true edges among all ordered pairs ``a != b`` (minus ``exclude``).

    Parameters
    ----------
    score : array_like, shape (N, N)
        Finite scores, ``score[a, b]`` for a -> b.
    edges : array_like of bool, shape (N, N)
        The true edges.
    exclude : array_like of bool, shape (N, N), optional
        Non-edges to leave out of the negatives (e.g. weaker background edges).

    Returns
    -------
    float

    Examples
    --------
    >>> edge_auroc([[0, 2.0], [1.0, 0]], [[False, True], [False, False]])
    1.0
    """
    score, edges = _square_pair(score, edges)
    mask = ~np.eye(score.shape[0], dtype=bool)
    if exclude is not None:
        ex = check_array("exclude", exclude, shape=score.shape, dtype="bool")
        mask &= ~ex | edges
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

    Unlike :func:`edge_auroc`, a score that only says "this neuron is a hub" gets 0.5 here: it asks whether
    the score picks each source's own targets.

    Parameters
    ----------
    score, edges : array_like, shape (N, N)
    rows : array_like of int
        Source neurons (rows) to score.
    exclude : array_like of bool, optional
        Non-edges to leave out.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        No row holds both edges and non-edges.
    """
    score, edges = _square_pair(score, edges)
    rr = check_array("rows", rows, ndim=(0, 1), dtype="int", nonnegative=True, maximum=score.shape[0] - 1)
    ex = None if exclude is None else check_array("exclude", exclude, shape=score.shape, dtype="bool")
    aucs = []
    for a in rr.reshape(-1):
        mask = np.ones(score.shape[1], dtype=bool)
        mask[a] = False
        if ex is not None:
            mask &= ~ex[a] | edges[a]
        y = edges[a, mask]
        if y.any() and not y.all():
            aucs.append(roc_auc_score(y, score[a, mask]))
    if not aucs:
        raise ValueError("no row holds both edges and non-edges")
    return float(np.mean(aucs))


def direction_accuracy(score: NDArray[np.float64], edges: NDArray[np.bool_]) -> float:
    """Fraction of true edges a -> b with ``score[a, b] > score[b, a]``.

    Examples
    --------
    >>> direction_accuracy([[0, 2.0], [1.0, 0]], [[False, True], [False, False]])
    1.0
    """
    score, edges = _square_pair(score, edges)
    a, b = np.nonzero(edges)
    if a.size == 0:
        raise ValueError("edges holds no edge")
    return float(np.mean(score[a, b] > score[b, a]))


def cross_correlogram_connectivity(raster: NDArray[np.int64], max_lag: int = 3) -> NDArray[np.float64]:
    """Directed cross-correlogram score ``C[a, b]``: spikes of b 1..max_lag bins after spikes of a, divided
    by the count expected for independent neurons (``n_a n_b max_lag / T``)."""
    x = check_array("raster", raster, ndim=2, dtype="int", nonnegative=True, min_size=1).astype(np.float64)
    max_lag = check_int("max_lag", max_lag, minimum=1)
    n, t = x.shape
    if max_lag >= t:
        raise ValueError(f"max_lag ({max_lag}) must be shorter than the raster ({t} bins)")
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
    """Shift each neuron's train by an independent random circular offset (keeps rates, breaks coupling).

    Offsets are drawn uniformly in ``[T // 10, T - T // 10)`` bins.
    """
    rng = check_rng(seed)
    x = check_array("raster", raster, ndim=2, dtype="int", nonnegative=True, min_size=1)
    if x.shape[1] < 10:
        raise ValueError(f"raster must have at least 10 bins to shuffle, got {x.shape[1]}")
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = np.roll(x[i], int(rng.integers(x.shape[1] // 10, x.shape[1] - x.shape[1] // 10)))
    return out
