"""Figures of the reproduction: each function builds and returns a ``matplotlib.figure.Figure``.

Object-oriented matplotlib only (no pyplot, no backend switch); :func:`neurotypes.reproduction.save_figure`
or ``fig.savefig`` writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from neurotypes.validation import check_array

__all__ = ["plot_bars_by_seed", "plot_exemplars"]


def plot_exemplars(images: np.ndarray, masks: np.ndarray, title: str = "", columns: int = 8) -> Figure:
    """A grid of exemplar images with their masks outlined in white.

    Parameters
    ----------
    images : array_like
        [k, 3, H, W] images in [0, 1].
    masks : array_like
        [k, H, W] booleans.
    title : str
    columns : int

    Returns
    -------
    matplotlib.figure.Figure
    """
    ims = check_array("images", images, ndim=4, min_size=1)
    ms = check_array("masks", masks, ndim=3, dtype="bool")
    if len(ms) != len(ims) or ms.shape[1:] != ims.shape[2:]:
        raise ValueError(f"images {ims.shape} and masks {ms.shape} must hold the same k images of one size")
    rows = int(np.ceil(len(ims) / columns))
    fig = Figure(figsize=(1.5 * columns, 1.6 * rows + 0.4))
    axes = fig.subplots(rows, columns, squeeze=False)
    for j, ax in enumerate(axes.flat):
        if j < len(ims):
            ax.imshow(np.clip(ims[j].transpose(1, 2, 0), 0, 1))
            if ms[j].any() and not ms[j].all():
                ax.contour(ms[j], levels=[0.5], colors="white", linewidths=0.8)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def plot_bars_by_seed(
    panels: Mapping[str, Mapping[str, Sequence[float]]],
    title: str = "",
    reference: Mapping[str, float] | None = None,
) -> Figure:
    """One panel per metric: the mean over seeds of each condition as a bar, each seed as a dot.

    Parameters
    ----------
    panels : mapping
        ``{panel title: {condition: per-seed values}}``.
    title : str
    reference : mapping, optional
        ``{panel title: value}`` drawn as a dashed line (a criterion's threshold).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(panels, Mapping) or not panels:
        raise TypeError("panels must be a non-empty mapping of panel title to {condition: values}")
    fig = Figure(figsize=(3.2 * len(panels), 3.0))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (name, conditions) in zip(axes, panels.items(), strict=True):
        for i, (label, values) in enumerate(conditions.items()):
            v = check_array(f"panels[{name!r}][{label!r}]", values, ndim=1, min_size=1)
            ax.bar(i, float(v.mean()), color=f"C{i}", alpha=0.6)
            ax.plot(np.full(len(v), i) + np.linspace(-0.15, 0.15, len(v)), v, "k.", ms=4)
        ax.set_xticks(range(len(conditions)), list(conditions), rotation=20, fontsize=7, ha="right")
        if reference and name in reference:
            ax.axhline(reference[name], color="k", ls="--", lw=0.8)
        ax.set_title(name, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
