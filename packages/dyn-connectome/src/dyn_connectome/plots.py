"""Figures: loadings of the components, their communities, the rank sweep and the community benchmarks.

Every function builds and returns a :class:`matplotlib.figure.Figure` (object-oriented matplotlib: no pyplot, no
backend switch); save it with ``fig.savefig(...)``. matplotlib is imported when a figure is made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from neurotypes import Partition
from neurotypes.validation import check_float, check_int

from .community import check_adjacency
from .ntf import NTFResult, RankSweep

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_benchmark",
    "plot_communities",
    "plot_community_graph",
    "plot_community_graphs",
    "plot_loadings",
    "plot_rank_sweep",
]


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def plot_loadings(res: NTFResult, epochs: int | None = None, title: str = "") -> Figure:
    """Temporal (left) and animal (right) loading of every component; optional epoch boundaries in red.

    Parameters
    ----------
    res : NTFResult
        A fitted model.
    epochs : int, optional
        Number of equal epochs whose boundaries to mark (>= 1).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(res, NTFResult):
        raise TypeError(f"res must be an NTFResult, got {type(res).__name__}")
    if epochs is not None:
        epochs = check_int("epochs", epochs, minimum=1)
    tw = res.f_time.shape[0]
    fig = _figure(9, 1.9 * res.rank)
    axes = fig.subplots(res.rank, 2, squeeze=False)
    for r in range(res.rank):
        ax = axes[r, 0]
        ax.plot(res.f_time[:, r], "k.-")
        for b in range(1, epochs or 1):
            ax.axvline(b * tw / (epochs or 1) - 0.5, color="tab:red", ls="--", lw=1)
        ax.set_ylabel(f"comp {r}")
        axes[r, 1].bar(np.arange(res.f_worm.shape[0]), res.f_worm[:, r], color="tab:blue")
    axes[-1, 0].set_xlabel("window" + (" (red: epoch boundaries)" if epochs else ""))
    axes[-1, 1].set_xlabel("animal")
    axes[0, 0].set_title("temporal loading")
    axes[0, 1].set_title("animal loading")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def _check_pairs(adjacencies: Sequence[Any], partitions: Sequence[Partition]) -> list[NDArray[np.float64]]:
    if isinstance(adjacencies, np.ndarray) and adjacencies.ndim == 2:
        raise TypeError("adjacencies must be a sequence of N x N matrices, got a single matrix")
    adjs = [check_adjacency(a, f"adjacencies[{k}]") for k, a in enumerate(adjacencies)]
    if not adjs:
        raise ValueError("adjacencies must hold at least one matrix")
    if len(partitions) != len(adjs):
        raise ValueError(f"partitions must have one entry per adjacency ({len(adjs)}), got {len(partitions)}")
    for k, (a, p) in enumerate(zip(adjs, partitions, strict=True)):
        if not isinstance(p, Partition):
            raise TypeError(f"partitions[{k}] must be a neurotypes.Partition, got {type(p).__name__}")
        if p.n_items != a.shape[0]:
            raise ValueError(f"partitions[{k}] has {p.n_items} items for a {a.shape[0]}-node graph")
    return adjs


def plot_communities(
    adjacencies: Sequence[NDArray[np.float64]], partitions: Sequence[Partition], title: str = ""
) -> Figure:
    """Each component's affinity matrix with rows and columns sorted by its communities.

    Parameters
    ----------
    adjacencies : sequence of array_like
        ``N x N`` weighted adjacencies.
    partitions : sequence of neurotypes.Partition
        One per adjacency, ``N`` items each.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    adjs = _check_pairs(adjacencies, partitions)
    fig = _figure(3.4 * len(adjs), 3.4)
    axes = fig.subplots(1, len(adjs), squeeze=False)
    for ax, a, p in zip(axes[0], adjs, partitions, strict=True):
        order = np.argsort(p.labels, kind="stable")
        ax.imshow(a[np.ix_(order, order)], cmap="magma")
        for b in np.flatnonzero(np.diff(p.labels[order])) + 0.5:
            ax.axhline(b, color="c", lw=0.8)
            ax.axvline(b, color="c", lw=0.8)
        ax.set_title(f"{p.n_clusters} communities", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def _draw_graph(
    ax: Axes, a: NDArray[np.float64], partition: Partition, top_fraction: float, seed: int
) -> None:
    import networkx as nx

    iu = np.triu_indices(a.shape[0], k=1)
    w = a[iu]
    thr = np.quantile(w[w > 0], 1 - top_fraction) if np.any(w > 0) else np.inf
    g = nx.Graph()
    g.add_nodes_from(range(a.shape[0]))
    keep = w >= thr
    g.add_weighted_edges_from(zip(iu[0][keep].tolist(), iu[1][keep].tolist(), w[keep].tolist(), strict=True))
    pos = nx.spring_layout(g, seed=seed, weight="weight")
    labels = dict(enumerate(partition.item_ids)) if partition.item_ids and a.shape[0] <= 40 else None
    nx.draw_networkx(
        g,
        pos,
        ax=ax,
        node_color=partition.labels,
        cmap="tab10",
        node_size=80,
        width=0.5,
        edge_color="0.6",
        with_labels=labels is not None,
        labels=labels,
        font_size=5,
    )
    ax.set_axis_off()


def plot_community_graph(
    adjacency: NDArray[np.float64], partition: Partition, top_fraction: float = 0.25, seed: int = 0
) -> Figure:
    """Spring-layout drawing of the strongest ``top_fraction`` of edges, nodes coloured by community.

    Parameters
    ----------
    adjacency : array_like
        ``N x N`` weighted adjacency.
    partition : neurotypes.Partition
        ``N`` items.
    top_fraction : float
        Share of the positive edges drawn, in (0, 1].
    seed : int
        Seed of the layout.

    Returns
    -------
    matplotlib.figure.Figure
    """
    return plot_community_graphs([adjacency], [partition], top_fraction=top_fraction, seed=seed)


def plot_community_graphs(
    adjacencies: Sequence[NDArray[np.float64]],
    partitions: Sequence[Partition],
    top_fraction: float = 0.25,
    seed: int = 0,
    title: str = "",
) -> Figure:
    """:func:`plot_community_graph` for several graphs side by side (one panel per component)."""
    adjs = _check_pairs(adjacencies, partitions)
    top_fraction = check_float("top_fraction", top_fraction, positive=True, maximum=1.0)
    seed = check_int("seed", seed, minimum=0)
    fig = _figure(3.4 * len(adjs), 3.4)
    axes = fig.subplots(1, len(adjs), squeeze=False)
    for ax, a, p in zip(axes[0], adjs, partitions, strict=True):
        _draw_graph(ax, a, p, top_fraction, seed)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def plot_rank_sweep(sweep: RankSweep, title: str = "") -> Figure:
    """Relative error (every restart in grey, the best in black) and restart similarity against the rank.

    Parameters
    ----------
    sweep : RankSweep
        From :func:`dyn_connectome.ntf.rank_sweep`.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(sweep, RankSweep):
        raise TypeError(f"sweep must be a RankSweep, got {type(sweep).__name__}")
    fig = _figure(8, 3)
    ax = fig.subplots(1, 2)
    for k, r in enumerate(sweep.ranks):
        ax[0].plot([r] * len(sweep.all_errors[k]), sweep.all_errors[k], ".", color="0.6")
    ax[0].plot(sweep.ranks, sweep.errors, "ko-")
    ax[0].set_xlabel("rank")
    ax[0].set_ylabel("relative error")
    ax[1].plot(sweep.ranks, sweep.similarity, "ko-")
    ax[1].set_ylim(0, 1.05)
    ax[1].set_xlabel("rank")
    ax[1].set_ylabel("restart similarity")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def plot_benchmark(
    scores: Mapping[str, Mapping[str, Sequence[float]]], ylabel: str = "NMI", title: str = ""
) -> Figure:
    """Mean ± sd of a score per method (bars) for each benchmark family (panels), replicates as dots.

    Parameters
    ----------
    scores : mapping
        ``{family: {method: [score per replicate]}}``.
    ylabel, title : str
        Labels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(scores, Mapping) or not scores:
        raise ValueError("scores must be a non-empty mapping {family: {method: [values]}}")
    fig = _figure(3.2 * len(scores), 3.0)
    axes = fig.subplots(1, len(scores), squeeze=False)[0]
    for ax, (family, methods) in zip(axes, scores.items(), strict=True):
        names = list(methods)
        vals = [np.asarray(methods[n], dtype=np.float64) for n in names]
        x = np.arange(len(names))
        ax.bar(x, [v.mean() for v in vals], yerr=[v.std() for v in vals], color="0.75")
        for k, v in enumerate(vals):
            ax.plot(np.full(v.size, k), v, "k.", ms=3)
        ax.set_xticks(x, names, fontsize=8)
        ax.set_title(family, fontsize=9)
        ax.set_ylabel(ylabel)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
