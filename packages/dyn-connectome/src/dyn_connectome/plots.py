"""Figures: temporal and animal loadings of the components, and their community graphs (matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from neurotypes import Partition

from .ntf import NTFResult

__all__ = ["plot_communities", "plot_community_graph", "plot_loadings"]


def plot_loadings(res: NTFResult, epochs: int | None = None, title: str = "") -> Figure:
    """Temporal (left) and animal (right) loading of every component; optional epoch boundaries in red."""
    tw = res.f_time.shape[0]
    fig, axes = plt.subplots(res.rank, 2, figsize=(9, 1.9 * res.rank), squeeze=False)
    for r in range(res.rank):
        ax = axes[r, 0]
        ax.plot(res.f_time[:, r], "k.-")
        for b in range(1, epochs or 1):
            ax.axvline(b * tw / epochs - 0.5, color="tab:red", ls="--", lw=1)
        ax.set_ylabel(f"comp {r}")
        axes[r, 1].bar(np.arange(res.f_worm.shape[0]), res.f_worm[:, r], color="tab:blue")
    axes[-1, 0].set_xlabel("window" + (" (red: epoch boundaries)" if epochs else ""))
    axes[-1, 1].set_xlabel("animal")
    axes[0, 0].set_title("temporal loading")
    axes[0, 1].set_title("animal loading")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def plot_communities(
    adjacencies: Sequence[NDArray[np.float64]], partitions: Sequence[Partition], title: str = ""
) -> Figure:
    """Each component's affinity matrix with rows/columns sorted by its detected communities."""
    fig, axes = plt.subplots(1, len(adjacencies), figsize=(3.4 * len(adjacencies), 3.4), squeeze=False)
    for ax, a, p in zip(axes[0], adjacencies, partitions, strict=True):
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


def plot_community_graph(
    adjacency: NDArray[np.float64],
    partition: Partition,
    ax: Any = None,
    top_fraction: float = 0.25,
    seed: int = 0,
) -> Any:
    """Spring-layout drawing of the strongest ``top_fraction`` of edges, nodes coloured by community."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    a = np.asarray(adjacency, dtype=np.float64)
    iu = np.triu_indices(a.shape[0], k=1)
    w = a[iu]
    thr = np.quantile(w[w > 0], 1 - top_fraction) if np.any(w > 0) else np.inf
    g = nx.Graph()
    g.add_nodes_from(range(a.shape[0]))
    keep = w >= thr
    g.add_weighted_edges_from(zip(iu[0][keep].tolist(), iu[1][keep].tolist(), w[keep].tolist(), strict=True))
    pos = nx.spring_layout(g, seed=seed, weight="weight")
    labels = (
        {k: n for k, n in enumerate(partition.item_ids)} if partition.item_ids and a.shape[0] <= 40 else None
    )
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
    return ax
