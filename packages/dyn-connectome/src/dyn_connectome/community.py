"""Stage 3: weighted community detection on each component's affinity pattern.

The paper fits Peixoto's *nested* weighted stochastic block model in graph-tool
(``minimize_nested_blockmodel_dl`` with ``rec_types=["real-exponential"]``: edge weights exponentially
distributed given the block pair; degree-corrected and plain models both fitted, the smaller description length
kept). graph-tool is not on PyPI, so the default backend here is an in-house **flat** Bayesian weighted SBM:

``DL(b) = −log P(b) + Σ_{r≤s} [ −log B(e_rs + 1, n_rs − e_rs + 1) ]
          − Σ_{r≤s} [ α0 log β0 − log Γ(α0) + log Γ(α0 + e_rs) − (α0 + e_rs) log(β0 + W_rs) ]``

with ``e_rs`` the number of edges between blocks r and s, ``n_rs`` the number of possible pairs, ``W_rs`` the sum
of their weights, a uniform Beta(1, 1) prior on each block-pair edge probability, a Gamma(α0, β0) prior on the
exponential rate (α0 = 1, β0 = mean edge weight, which makes the fit invariant to the weight scale) and the
nonparametric partition prior ``−log P(b) = log C(N−1, B−1) + log N! − Σ_r log n_r! + log N``. This is a
conjugate stand-in for Peixoto's microcanonical form, **not the paper's exact objective** (no degree correction,
no hierarchy). It is minimised greedily: agglomerative merges of blocks (starting from singletons), then
single-node moves, each step accepted only if it lowers DL (so DL decreases monotonically). Being a marginal
likelihood with proper priors, it prefers one block on a structureless weighted graph.

Backends of :func:`detect`: ``"wsbm"`` (default), ``"graph-tool"`` (only if ``graph_tool`` imports),
``"leiden"`` (leidenalg + igraph, modularity), ``"louvain"`` (networkx, modularity), or any callable
``f(adjacency, seed) -> labels``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from neurotypes import Partition
from neurotypes.validation import check_array, check_choice, check_float, check_ids, check_int, check_rng

__all__ = [
    "BACKENDS",
    "WSBMFit",
    "check_adjacency",
    "description_length",
    "detect",
    "fit_wsbm",
    "normalized_mutual_information",
]

log = logging.getLogger(__name__)

BACKENDS = ("wsbm", "graph-tool", "leiden", "louvain")


def check_adjacency(adjacency: Any, name: str = "adjacency") -> NDArray[np.float64]:
    """Validate a weighted adjacency and return it as float64 with a zero diagonal.

    Parameters
    ----------
    adjacency : array_like, shape (N, N)
        Square, symmetric (relative tolerance 1e-6), finite, non-negative weights; 0 = no edge; ``N >= 1``.
        The diagonal is ignored (set to 0).
    name : str
        The argument's name in error messages.

    Returns
    -------
    numpy.ndarray
        The symmetrised weights ``(A + A.T) / 2`` with a zero diagonal.

    Raises
    ------
    TypeError
        Not an array of real numbers.
    ValueError
        Not square, empty, not finite, negative or not symmetric.
    """
    a = check_array(name, adjacency, ndim=2, nonnegative=True, min_size=1)
    if a.shape[0] != a.shape[1]:
        raise ValueError(f"{name} must be a square N x N matrix, got shape {a.shape}")
    if not np.allclose(a, a.T, rtol=1e-6, atol=1e-12 * max(float(np.abs(a).max()), 1.0)):
        raise ValueError(f"{name} must be symmetric (an undirected graph)")
    sym: NDArray[np.float64] = 0.5 * (a + a.T)
    np.fill_diagonal(sym, 0.0)
    return sym


def normalized_mutual_information(labels_true: Any, labels_pred: Any) -> float:
    """Normalised mutual information of two labelings, ``MI / ((H_true + H_pred) / 2)`` (arithmetic mean).

    The metric of the paper's benchmark (scikit-learn's ``normalized_mutual_info_score`` with its default
    ``average_method="arithmetic"``): 1 for identical partitions up to label names, 0 for independent ones;
    two one-cluster labelings give 1.

    Parameters
    ----------
    labels_true, labels_pred : array_like of int, shape (n,)
        Cluster labels (any integers), the same length ``n >= 1``.

    Returns
    -------
    float

    Examples
    --------
    >>> normalized_mutual_information([0, 0, 1, 1], [5, 5, 2, 2])
    1.0
    >>> normalized_mutual_information([0, 0, 1, 1], [0, 1, 0, 1])
    0.0
    """
    a = check_array("labels_true", labels_true, ndim=1, dtype="int", min_size=1)
    b = check_array("labels_pred", labels_pred, ndim=1, dtype="int", min_size=1)
    if a.size != b.size:
        raise ValueError(f"labels_true and labels_pred must have the same length, got {a.size} and {b.size}")
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    ia, ib = ia.ravel(), ib.ravel()
    if ia.max() == 0 and ib.max() == 0:
        return 1.0
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia, ib), 1.0)
    p = table / a.size
    pa, pb = p.sum(axis=1), p.sum(axis=0)
    nz = p > 0
    mi = float(np.sum(p[nz] * np.log(p[nz] / np.outer(pa, pb)[nz])))
    h = -(float(np.sum(pa * np.log(pa))) + float(np.sum(pb * np.log(pb)))) / 2.0
    if mi <= 0.0 or h <= 0.0:
        return 0.0
    return float(min(mi / h, 1.0))


# ----------------------------------------------------------------------------------------------- wsbm objective


@dataclass(frozen=True)
class _Prior:
    alpha0: float
    beta0: float


def _pair_term(e: Any, npairs: Any, w: Any, prior: _Prior) -> Any:
    """Description length of one block pair: edge-count (Beta-Binomial) + exponential weights (Gamma-Exp)."""
    e = np.asarray(e, np.float64)
    npairs = np.asarray(npairs, np.float64)
    edges = gammaln(npairs + 2.0) - gammaln(e + 1.0) - gammaln(npairs - e + 1.0)
    a0, b0 = prior.alpha0, prior.beta0
    weights = -(a0 * np.log(b0) - gammaln(a0) + gammaln(a0 + e) - (a0 + e) * np.log(b0 + w))
    return edges + weights


def _partition_prior(sizes: NDArray[Any], n: int) -> float:
    b = int(np.count_nonzero(sizes))
    log_binom = gammaln(n) - gammaln(b) - gammaln(n - b + 1)  # log C(N-1, B-1)
    return float(log_binom + gammaln(n + 1) - np.sum(gammaln(sizes[sizes > 0] + 1.0)) + np.log(n))


def _block_stats(
    edges: tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]],
    labels: NDArray[np.intp],
    n_blocks: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Edge counts ``e_rs``, weight sums ``W_rs`` (r ≤ s stored symmetrically) and block sizes."""
    i, j, wt = edges
    bi, bj = labels[i], labels[j]
    flat = np.minimum(bi, bj) * n_blocks + np.maximum(bi, bj)
    e = np.bincount(flat, minlength=n_blocks * n_blocks).astype(np.float64).reshape(n_blocks, n_blocks)
    w = np.bincount(flat, weights=wt, minlength=n_blocks * n_blocks).reshape(n_blocks, n_blocks)
    e_sym = np.asarray(np.triu(e) + np.triu(e, 1).T, dtype=np.float64)
    w_sym = np.asarray(np.triu(w) + np.triu(w, 1).T, dtype=np.float64)
    return e_sym, w_sym, np.bincount(labels, minlength=n_blocks).astype(np.float64)


def _edge_list(a: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    i, j = np.triu_indices(a.shape[0], k=1)
    keep = a[i, j] > 0
    return i[keep].astype(np.intp), j[keep].astype(np.intp), a[i, j][keep]


def _dl_from_stats(e: NDArray[Any], w: NDArray[Any], sizes: NDArray[Any], n: int, prior: _Prior) -> float:
    npairs = np.outer(sizes, sizes)
    d = np.arange(sizes.size)
    npairs[d, d] = sizes * (sizes - 1) / 2.0
    terms = _pair_term(e, npairs, w, prior)
    return float(np.sum(np.triu(terms)) + _partition_prior(sizes, n))


def _prior_for(a: NDArray[np.float64], alpha0: float, beta0: float | None) -> _Prior:
    iu = np.triu_indices(a.shape[0], k=1)
    w = a[iu]
    w = w[w > 0]
    alpha0 = check_float("alpha0", alpha0, positive=True)
    if beta0 is None:
        b0 = float(np.mean(w)) if w.size else 1.0
    else:
        b0 = check_float("beta0", beta0, positive=True)
    return _Prior(alpha0, b0)


def description_length(adjacency: Any, labels: Any, alpha0: float = 1.0, beta0: float | None = None) -> float:
    """Description length (nats) of a partition under the flat weighted SBM (see module docstring).

    Parameters
    ----------
    adjacency
        Symmetric non-negative weights; 0 = no edge.
    labels
        Block of each node (any integers).
    alpha0, beta0
        Gamma prior on the exponential rate; ``beta0=None`` uses the mean edge weight.
    """
    a = check_adjacency(adjacency)
    lab = check_array("labels", labels, dtype="int", shape=(a.shape[0],))
    _, lab = np.unique(lab, return_inverse=True)
    prior = _prior_for(a, alpha0, beta0)
    e, w, sizes = _block_stats(_edge_list(a), lab.astype(np.intp), int(lab.max()) + 1)
    return _dl_from_stats(e, w, sizes, a.shape[0], prior)


# ----------------------------------------------------------------------------------------------- wsbm fit


@dataclass(frozen=True, eq=False)
class WSBMFit:
    """Result of :func:`fit_wsbm`.

    Attributes
    ----------
    labels
        Block of each node, relabelled 0..B−1 in first-appearance order.
    description_length
        Final DL in nats.
    history
        DL after every accepted step (merge batch or node-move sweep), starting with the singleton partition.
    """

    labels: NDArray[np.int64]
    description_length: float
    history: tuple[float, ...]

    @property
    def n_blocks(self) -> int:
        return int(np.unique(self.labels).size)


class _State:
    def __init__(self, a: NDArray[np.float64], labels: NDArray[np.intp], prior: _Prior):
        self.edge, self.weight, self.prior = (a > 0).astype(np.float64), a, prior
        self.edges = _edge_list(a)
        self.n = labels.size
        self.set_labels(labels)

    def set_labels(self, labels: NDArray[np.intp]) -> None:
        _, lab = np.unique(labels, return_inverse=True)
        self.labels = lab.astype(np.intp)
        self.b = int(lab.max()) + 1
        self.e, self.w, self.sizes = _block_stats(self.edges, self.labels, self.b)
        self._terms: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None

    def _log_binom(self, k: int) -> float:
        """log C(N−1, k−1), the partition prior's choice of the number of blocks."""
        return float(gammaln(self.n) - gammaln(k) - gammaln(self.n - k + 1))

    def dl(self) -> float:
        return _dl_from_stats(self.e, self.w, self.sizes, self.n, self.prior)

    def _offdiag_terms(self) -> NDArray[np.float64]:
        return np.asarray(_pair_term(self.e, np.outer(self.sizes, self.sizes), self.w, self.prior))

    def _diag_terms(self) -> NDArray[np.float64]:
        s = self.sizes
        return np.asarray(_pair_term(np.diag(self.e), s * (s - 1) / 2.0, np.diag(self.w), self.prior))

    def merge_deltas(self, chunk: int = 16) -> NDArray[np.float64]:
        """ΔDL of merging every block pair (r, s); +inf on the diagonal."""
        b, e, w, n_ = self.b, self.e, self.w, self.sizes
        g = self._offdiag_terms()
        d = self._diag_terms()
        gd = g.copy()
        gd[np.arange(b), np.arange(b)] = 0.0
        row = gd.sum(axis=1)  # Σ_{u≠r} G[r, u]
        out = np.full((b, b), np.inf)
        dprior_b = self._log_binom(b - 1) - self._log_binom(b) if b > 1 else np.inf
        idx = np.arange(b)
        for lo in range(0, b, chunk):
            r = idx[lo : lo + chunk]
            es = e[r][:, None, :] + e[None, :, :]  # [c, s, u]
            ws = w[r][:, None, :] + w[None, :, :]
            ns = (n_[r][:, None] + n_[None, :])[:, :, None] * n_[None, None, :]
            new = _pair_term(es, ns, ws, self.prior)
            excl = np.ones_like(new, dtype=bool)
            excl[np.arange(r.size), :, r] = False  # u = r
            excl[:, idx, idx] = False  # u = s
            new_row = np.where(excl, new, 0.0).sum(axis=2)
            old_row = (row[r][:, None] - gd[r]) + (row[None, :] - gd[:, r].T)
            m = n_[r][:, None] + n_[None, :]
            e_in = np.diag(e)[r][:, None] + np.diag(e)[None, :] + e[r]
            w_in = np.diag(w)[r][:, None] + np.diag(w)[None, :] + w[r]
            new_diag = _pair_term(e_in, m * (m - 1) / 2.0, w_in, self.prior)
            old_diag = d[r][:, None] + d[None, :] + gd[r]
            dprior = dprior_b - gammaln(m + 1) + gammaln(n_[r] + 1)[:, None] + gammaln(n_ + 1)[None, :]
            out[r] = new_row - old_row + new_diag - old_diag + dprior
        out[idx, idx] = np.inf
        return out

    def move_deltas(self, i: int) -> NDArray[np.float64]:
        """ΔDL of moving node i to every block s (0 for its own block)."""
        b, e, w, n_ = self.b, self.e, self.w, self.sizes
        lab = self.labels
        r = int(lab[i])
        # Edges and weight from i to each block (the zero diagonal excludes i itself).
        k = np.bincount(lab, weights=self.edge[i], minlength=b)
        kw = np.bincount(lab, weights=self.weight[i], minlength=b)
        if self._terms is None:
            self._terms = (self._offdiag_terms(), self._diag_terms())
        g, d = self._terms
        nr1 = n_[r] - 1.0
        ns1 = n_ + 1.0
        # Row r after removal, towards every u != r.
        new_r = _pair_term(e[r] - k, nr1 * n_, w[r] - kw, self.prior)
        new_r_sum = np.sum(np.where(np.arange(b) != r, new_r, 0.0))
        old_r_sum = np.sum(np.where(np.arange(b) != r, g[r], 0.0))
        # Row s after insertion, towards u not in {r, s}: matrix over (s, u).
        new_s = _pair_term(e + k[None, :], ns1[:, None] * n_[None, :], w + kw[None, :], self.prior)
        mask = np.ones((b, b), dtype=bool)
        mask[:, r] = False
        mask[np.arange(b), np.arange(b)] = False
        new_s_sum = np.where(mask, new_s, 0.0).sum(axis=1)
        old_s_sum = np.where(mask, g, 0.0).sum(axis=1)
        # Pair (r, s): counted once.
        new_rs = _pair_term(e[r] - k + k[r], nr1 * ns1, w[r] - kw + kw[r], self.prior)
        # Diagonals.
        new_rr = _pair_term(e[r, r] - k[r], nr1 * (nr1 - 1) / 2.0, w[r, r] - kw[r], self.prior)
        new_ss = _pair_term(np.diag(e) + k, ns1 * (ns1 - 1) / 2.0, np.diag(w) + kw, self.prior)
        # new_r_sum includes u = s with the pre-insertion size of s: replace it by new_rs.
        delta = (
            (new_r_sum - new_r)
            - (old_r_sum - g[r])
            + new_s_sum
            - old_s_sum
            + new_rs
            - g[r]
            + new_rr
            - d[r]
            + new_ss
            - d
        )
        # Partition prior: sizes change, and B drops by one if i was alone.
        sizes_new_lg = gammaln(nr1 + 1) + gammaln(ns1 + 1) - gammaln(n_[r] + 1) - gammaln(n_ + 1)
        dprior = -sizes_new_lg
        if n_[r] == 1 and b > 1:
            dprior = dprior + (self._log_binom(b - 1) - self._log_binom(b))
        delta = delta + dprior
        delta[r] = 0.0
        return np.asarray(delta, dtype=np.float64)

    def move(self, i: int, s: int) -> None:
        lab = self.labels.copy()
        lab[i] = s
        self.set_labels(lab)


def _sweep(state: _State, rng: np.random.Generator, n_sweeps: int, history: list[float]) -> bool:
    """Single-node moves, each accepted only if it lowers DL; returns whether anything moved."""
    any_move = False
    for _ in range(n_sweeps):
        moved = 0
        for i in rng.permutation(state.n):
            if state.b < 2:
                break
            delta = state.move_deltas(int(i))
            s = int(np.argmin(delta))
            if delta[s] < -1e-9:
                state.move(int(i), s)
                moved += 1
        if moved == 0:
            break
        any_move = True
        history.append(state.dl())
    return any_move


def _merge_round(state: _State, target: int) -> None:
    """Merge disjoint block pairs in order of increasing ΔDL until ``target`` blocks remain."""
    delta = state.merge_deltas()
    iu = np.triu_indices(state.b, k=1)
    d = np.minimum(delta[iu], delta.T[iu])
    order = np.argsort(d, kind="stable")
    used = np.zeros(state.b, dtype=bool)
    lab = state.labels.copy()
    n_merge = state.b - target
    for k in order:
        if n_merge == 0:
            break
        r, s = int(iu[0][k]), int(iu[1][k])
        if used[r] or used[s]:
            continue
        used[r] = used[s] = True
        lab[state.labels == s] = r
        n_merge -= 1
    state.set_labels(lab)


def _agglomerate(
    a: NDArray[np.float64], prior: _Prior, rng: np.random.Generator, n_sweeps: int, shrink: float
) -> NDArray[np.intp]:
    """Peixoto-style agglomeration from singletons; returns the level with the smallest DL."""
    state = _State(a, np.arange(a.shape[0], dtype=np.intp), prior)
    levels: list[tuple[float, NDArray[np.intp]]] = [(state.dl(), state.labels.copy())]
    scratch: list[float] = []
    while state.b > 1:
        _merge_round(state, max(1, int(np.floor(state.b / shrink))))
        _sweep(state, rng, n_sweeps, scratch)
        levels.append((state.dl(), state.labels.copy()))
    return min(levels, key=lambda t: t[0])[1]


def _refine(state: _State, rng: np.random.Generator, n_sweeps: int, history: list[float]) -> None:
    """Best single merges and node moves, each accepted only if it lowers DL."""
    while True:
        changed = False
        while state.b > 1:
            delta = state.merge_deltas()
            r0, s0 = divmod(int(np.argmin(delta)), state.b)
            if not delta[r0, s0] < -1e-9:
                break
            lab = state.labels.copy()
            lab[lab == s0] = r0
            state.set_labels(lab)
            history.append(state.dl())
            changed = True
        changed |= _sweep(state, rng, n_sweeps, history)
        if not changed:
            break


def fit_wsbm(
    adjacency: Any,
    alpha0: float = 1.0,
    beta0: float | None = None,
    n_sweeps: int = 10,
    seed: int | np.random.Generator | None = 0,
    shrink: float = 1.5,
    init: str = "multi",
) -> WSBMFit:
    """Fit the flat weighted SBM (agglomerative levels + single-node moves, then a monotone refinement).

    The search follows Peixoto's agglomerative heuristic: starting from singletons, blocks are merged
    (disjoint best pairs) so that the number of blocks shrinks by a factor ``shrink`` per level, each level is
    refined by single-node moves that lower DL, and the level with the smallest DL is kept. It is then refined
    by merges and moves that are accepted only if they lower DL (``history`` records this refinement, so it is
    non-increasing). With ``init="multi"`` a second refinement starts from a Louvain partition and the run with
    the smaller DL is returned.

    Parameters
    ----------
    adjacency
        Symmetric non-negative weighted adjacency (0 = no edge).
    alpha0, beta0
        Gamma(α0, β0) prior of the exponential weight rate; ``beta0=None`` = mean edge weight.
    n_sweeps
        Maximum number of node-move sweeps per level.
    seed
        Order of the node sweeps.
    shrink
        Factor by which the number of blocks shrinks per agglomeration level (> 1).
    init
        Starting partitions of the refinement: ``"agglomerative"`` (levels from singletons), ``"louvain"``
        (a modularity partition) or ``"multi"`` (both; the smaller final DL wins). The objective alone
        decides: the start only helps the greedy search out of local minima.

    Returns
    -------
    WSBMFit
    """
    a = check_adjacency(adjacency)
    prior = _prior_for(a, alpha0, beta0)
    n_sweeps = check_int("n_sweeps", n_sweeps, minimum=0)
    shrink = check_float("shrink", shrink)
    if not shrink > 1.0:
        raise ValueError(f"shrink must be > 1, got {shrink}")
    init = check_choice("init", init, ("multi", "agglomerative", "louvain"))
    rng = check_rng(seed)
    starts: list[NDArray[np.intp]] = []
    if init in ("multi", "agglomerative"):
        starts.append(_agglomerate(a, prior, rng, n_sweeps, shrink))
    if init in ("multi", "louvain"):
        starts.append(_louvain(a, int(rng.integers(2**31))).astype(np.intp))
    best: tuple[float, NDArray[np.intp], list[float]] | None = None
    for lab0 in starts:
        state = _State(a, lab0, prior)
        history = [state.dl()]
        _refine(state, rng, n_sweeps, history)
        if best is None or history[-1] < best[0]:
            best = (history[-1], state.labels.copy(), history)
    assert best is not None
    state = _State(a, best[1], prior)
    history = best[2]
    labels = Partition(state.labels.astype(np.int64)).relabel().labels
    return WSBMFit(np.asarray(labels, np.int64), float(history[-1]), tuple(history))


# ----------------------------------------------------------------------------------------------- other backends


def _louvain(a: NDArray[np.float64], seed: int | None) -> NDArray[np.int64]:
    import networkx as nx

    g = nx.from_numpy_array(a)
    comms = nx.community.louvain_communities(g, weight="weight", seed=seed)
    lab = np.zeros(a.shape[0], np.int64)
    for k, c in enumerate(comms):
        lab[list(c)] = k
    return lab


def _leiden(a: NDArray[np.float64], seed: int | None) -> NDArray[np.int64]:
    try:
        import igraph as ig
        import leidenalg
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "backend='leiden' needs leidenalg and igraph: pip install 'dyn-connectome[leiden]'"
        ) from err
    iu = np.triu_indices(a.shape[0], k=1)
    keep = a[iu] > 0
    g = ig.Graph(n=a.shape[0], edges=list(zip(iu[0][keep].tolist(), iu[1][keep].tolist(), strict=True)))
    g.es["weight"] = a[iu][keep].tolist()
    part = leidenalg.find_partition(
        g, leidenalg.ModularityVertexPartition, weights="weight", seed=0 if seed is None else int(seed)
    )
    return np.asarray(part.membership, np.int64)


def _graph_tool(a: NDArray[np.float64], seed: int | None, level: int = 0) -> NDArray[np.int64]:
    try:
        import graph_tool.all as gt
    except ImportError as err:
        raise ImportError(
            "backend='graph-tool' needs graph-tool (conda-forge only, not on PyPI); use backend='wsbm'"
        ) from err
    if seed is not None:
        gt.seed_rng(int(seed))
    iu = np.triu_indices(a.shape[0], k=1)
    keep = a[iu] > 0
    g = gt.Graph(directed=False)
    g.add_vertex(a.shape[0])
    g.add_edge_list(np.column_stack([iu[0][keep], iu[1][keep]]))
    wprop = g.new_edge_property("double")
    wprop.a = a[iu][keep]
    best = None
    for deg_corr in (True, False):
        state = gt.minimize_nested_blockmodel_dl(
            g, state_args=dict(deg_corr=deg_corr, recs=[wprop], rec_types=["real-exponential"])
        )
        if best is None or state.entropy() < best.entropy():
            best = state
    assert best is not None
    # Non-oracle default: the lowest hierarchy level (the paper's notebook picked the level with the best NMI).
    return np.asarray(best.project_partition(level, 0).a, np.int64)


def detect(
    adjacency: Any,
    backend: str | Callable[[NDArray[np.float64], int | None], Any] = "wsbm",
    seed: int | None = 0,
    item_ids: Sequence[str] | None = None,
    **kwargs: Any,
) -> Partition:
    """Communities of a weighted undirected graph.

    Parameters
    ----------
    adjacency : array_like, shape (N, N)
        Symmetric non-negative weights (0 = no edge; the diagonal is ignored), see :func:`check_adjacency`.
    backend : {"wsbm", "graph-tool", "leiden", "louvain"} or callable
        ``"wsbm"`` (default; flat Bayesian weighted SBM), ``"graph-tool"`` (nested weighted SBM, the paper's
        choice; needs graph-tool), ``"leiden"`` (leidenalg, modularity; extra ``leiden``), ``"louvain"``
        (networkx, modularity), or a callable ``f(adjacency, seed) -> labels``.
    seed : int or None
        Seed of the backend (>= 0).
    item_ids : sequence of str, optional
        Node names carried into the returned partition (``N`` unique non-empty strings).
    **kwargs
        Passed to :func:`fit_wsbm` (``alpha0``, ``beta0``, ``n_sweeps``, ``shrink``, ``init``) or to graph-tool
        (``level``).

    Returns
    -------
    neurotypes.Partition
        Labels relabelled 0..k-1 in first-appearance order.

    Raises
    ------
    TypeError, ValueError
        A bad adjacency, backend, seed or item_ids (the message names the argument).
    ImportError
        ``backend="leiden"`` without leidenalg, ``"graph-tool"`` without graph-tool.

    Examples
    --------
    >>> from dyn_connectome.data import weighted_planted_partition
    >>> a, truth = weighted_planted_partition(N=40, B=2, p_in=0.5, p_out=0.02, seed=0)
    >>> detect(a, backend="wsbm").adjusted_rand_index(truth)
    1.0
    """
    a = check_adjacency(adjacency)
    if seed is not None:
        seed = check_int("seed", seed, minimum=0)
    ids = check_ids("item_ids", item_ids, a.shape[0])
    if callable(backend):
        labels = check_array("labels returned by backend", backend(a, seed), dtype="int", nonnegative=False)
        if labels.shape != (a.shape[0],):
            raise ValueError(f"backend: a callable must return {a.shape[0]} labels, got shape {labels.shape}")
        labels = np.unique(labels, return_inverse=True)[1].ravel()
    else:
        backend = check_choice("backend", backend, BACKENDS)
        if backend != "wsbm" and backend != "graph-tool" and kwargs:
            raise TypeError(f"backend {backend!r} takes no options, got {sorted(kwargs)}")
        if backend == "wsbm":
            labels = fit_wsbm(a, seed=seed, **kwargs).labels
        elif backend == "louvain":
            labels = _louvain(a, seed)
        elif backend == "leiden":
            labels = _leiden(a, seed)
        else:
            labels = _graph_tool(a, seed, **kwargs)
    return Partition(np.asarray(labels, np.int64), item_ids=ids).relabel()
