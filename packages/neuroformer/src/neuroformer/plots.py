"""Figures of the reproduction, as :class:`matplotlib.figure.Figure` objects (no pyplot, no backend switch).

Save them with ``fig.savefig(...)`` or the reproduction kit's ``ctx.figure(fig, "name.png")``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from neurotypes.validation import check_array

__all__ = ["bars_by_seed", "connectivity_figure", "decoding_figure"]


def connectivity_figure(panels: Mapping[str, ArrayLike], *, hubs: ArrayLike | None = None) -> Figure:
    """Side-by-side heat maps of square ``[source a, target b]`` matrices (truth, attention, baselines).

    Parameters
    ----------
    panels : mapping of title to array_like (N, N)
        E.g. ``{"true hub edges": edges, "attention S[a->b]": S}``.
    hubs : array_like of int, optional
        Hub rows to mark with ticks.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(panels, Mapping) or not panels:
        raise ValueError("panels must be a non-empty mapping of title to matrix")
    mats = {str(k): check_array(f"panels[{k!r}]", v, ndim=2) for k, v in panels.items()}
    fig = Figure(figsize=(3.6 * len(mats), 3.4))
    axes = fig.subplots(1, len(mats), squeeze=False)[0]
    for ax, (title, m) in zip(axes, mats.items(), strict=True):
        im = ax.imshow(m, cmap="viridis", interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("target b")
        ax.set_ylabel("source a")
        if hubs is not None:
            ax.set_yticks(check_array("hubs", hubs, ndim=1, dtype="int"))
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def bars_by_seed(
    values: Mapping[str, Sequence[float]], *, ylabel: str, title: str = "", seeds: Sequence[int] | None = None
) -> Figure:
    """Grouped bars: one group per seed, one bar per method (e.g. held-out NLL of the model and baselines).

    Parameters
    ----------
    values : mapping of method name to per-seed values
        Every method has the same number of seeds.
    ylabel, title : str
    seeds : sequence of int, optional
        The seeds' labels (default 0, 1, ...).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(values, Mapping) or not values:
        raise ValueError("values must be a non-empty mapping of method to per-seed values")
    arrs = {
        str(k): check_array(f"values[{k!r}]", v, ndim=1, min_size=1, allow_nan=True)
        for k, v in values.items()
    }
    n_seeds = {a.size for a in arrs.values()}
    if len(n_seeds) != 1:
        raise ValueError(f"every method needs the same number of seeds, got {sorted(n_seeds)}")
    n = n_seeds.pop()
    labels = list(range(n)) if seeds is None else [int(x) for x in seeds]
    if len(labels) != n:
        raise ValueError(f"seeds must label the {n} values of each method, got {len(labels)}")
    fig = Figure(figsize=(2.4 + 1.1 * n * len(arrs) / 2, 3.2))
    ax = fig.subplots()
    width = 0.8 / len(arrs)
    x = np.arange(n)
    for i, (name, a) in enumerate(arrs.items()):
        ax.bar(x + (i - (len(arrs) - 1) / 2) * width, a, width, label=name)
    ax.set_xticks(x, [f"seed {i}" for i in labels])
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


def decoding_figure(y: ArrayLike, predictions: Mapping[str, ArrayLike], *, n_show: int = 200) -> Figure:
    """The held-out behaviour trace and each decoder's prediction (first ``n_show`` windows).

    Parameters
    ----------
    y : array_like, shape (n,)
        True values per window.
    predictions : mapping of label to array_like (n,)
    n_show : int

    Returns
    -------
    matplotlib.figure.Figure
    """
    yy = check_array("y", y, ndim=1, min_size=1)
    k = min(int(n_show), yy.size)
    fig = Figure(figsize=(8, 3))
    ax = fig.subplots()
    ax.plot(yy[:k], "k", lw=1.5, label="speed")
    for label, p in predictions.items():
        pp = check_array(f"predictions[{label!r}]", p, ndim=1, shape=(yy.size,))
        ax.plot(pp[:k], lw=1, label=str(label))
    ax.set_xlabel("held-out window")
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    return fig
