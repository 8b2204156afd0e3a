"""Figures of a fitted clustering: the MDS of every cluster and how each cluster responds to each MDS.

Every function builds and returns a :class:`matplotlib.figure.Figure` (object-oriented matplotlib: no pyplot, no
backend switch); matplotlib is imported when a figure is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .clustering import MDSClustering

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_discriminability", "plot_mds"]


def _fitted(mc: object) -> MDSClustering:
    if not isinstance(mc, MDSClustering):
        raise TypeError(f"mc must be a fitted MDSClustering, got {type(mc).__name__}")
    if not hasattr(mc, "labels_"):
        raise ValueError("mc must be fitted: call fit() first")
    return mc


def plot_mds(mc: MDSClustering, title: str = "", names: Sequence[str] | None = None) -> Figure:
    """One panel per cluster: its MDS (2-D stimuli; a colour map centred on 0), cluster size and optional name.

    Parameters
    ----------
    mc : MDSClustering
        A fitted clustering with 2-D stimuli.
    title : str
        Figure title.
    names : sequence of str, optional
        A label per cluster (e.g. the type it matches).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    mc = _fitted(mc)
    k = mc.n_clusters_
    if mc.stimuli_.ndim != 3:
        raise ValueError(f"plot_mds draws 2-D stimuli, got stimulus shape {mc.stimuli_.shape[1:]}")
    if names is not None and len(names) != k:
        raise ValueError(f"names must hold one name per cluster ({k}), got {len(names)}")
    fig = Figure(figsize=(2.2 * k, 2.6))
    axes = fig.subplots(1, k, squeeze=False)
    vmax = float(np.abs(mc.stimuli_).max()) or 1.0
    for i, ax in enumerate(axes[0]):
        ax.imshow(mc.stimuli_[i], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        n = int((mc.labels_ == i).sum())
        name = f"\n{names[i]}" if names is not None else ""
        ax.set_title(f"cluster {i} (n={n}){name}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_discriminability(mc: MDSClustering, title: str = "") -> Figure:
    """Mean raw response of each cluster (columns) to each cluster's MDS (rows): a dominant diagonal means
    every MDS drives its own cluster most.

    Parameters
    ----------
    mc : MDSClustering
        A fitted clustering.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    mc = _fitted(mc)
    resp = mc.responses_  # [N, K]
    m = np.stack([resp[mc.labels_ == j].mean(0) for j in range(mc.n_clusters_)], axis=1)
    fig = Figure(figsize=(3.6, 3.2))
    ax = fig.subplots()
    im = ax.imshow(m, cmap="viridis")
    ax.set_xlabel("cluster (mean response)")
    ax.set_ylabel("MDS of cluster")
    if title:
        ax.set_title(title, fontsize=8)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    return fig
