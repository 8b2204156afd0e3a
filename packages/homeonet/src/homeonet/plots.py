"""Figures of the reproduction: accuracy against swap rate, and learning curves with the eta trace.

Every function builds and returns a :class:`matplotlib.figure.Figure` (object-oriented matplotlib: no pyplot, no
backend switch); the caller saves it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

__all__ = ["accuracy_vs_shift", "learning_curves"]


def accuracy_vs_shift(
    accuracy: Mapping[float, Mapping[str, Mapping[float, Sequence[float]]]],
    *,
    ylabel: str = "online accuracy (last 10 epochs)",
) -> Figure:
    """Mean +- s.d. over seeds of an accuracy against the swap rate, one panel per eta0, one line per mode.

    Parameters
    ----------
    accuracy : mapping
        ``{eta0: {mode: {swaps_per_epoch: per-seed values}}}``.
    ylabel : str
        Label of the y axis.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = accuracy_vs_shift({0.01: {"lrc": {0: [0.9, 0.95], 10: [0.3, 0.4]}}})
    >>> len(fig.axes)
    1
    """
    if not isinstance(accuracy, Mapping) or not accuracy:
        raise ValueError("accuracy must be a non-empty mapping eta0 -> mode -> rate -> values")
    etas = list(accuracy)
    fig = Figure(figsize=(4.5 * len(etas), 3.6))
    axes = fig.subplots(1, len(etas), sharey=True, squeeze=False)[0]
    for ax, eta0 in zip(axes, etas, strict=True):
        modes = accuracy[eta0]
        for k, (mode, by_rate) in enumerate(modes.items()):
            rates = list(by_rate)
            x = np.arange(len(rates))
            mu = [float(np.mean(by_rate[s])) for s in rates]
            sd = [float(np.std(by_rate[s])) for s in rates]
            ax.errorbar(x + (k - 1) * 0.08, mu, yerr=sd, marker="o", capsize=3, label=mode.upper())
            ax.set_xticks(x, [f"{s:g}" for s in rates])
        ax.set_xlabel("label swaps per epoch")
        ax.set_title(f"eta0 = {eta0:g}")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(ylabel)
    axes[0].legend()
    fig.tight_layout()
    return fig


def learning_curves(
    runs: Mapping[str, Mapping[str, Any]], title: str = "", rates: Sequence[float] | None = None
) -> Figure:
    """Online and validation accuracy per epoch and the eta trace of runs of :func:`homeonet.run`.

    Parameters
    ----------
    runs : mapping
        ``{label: output of homeonet.run}``.
    title : str
        Figure title.
    rates : sequence of float, optional
        Swap rate of each epoch (a third panel shows the schedule).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError("runs must be a non-empty mapping label -> output of homeonet.run")
    n = 3 if rates is not None else 2
    fig = Figure(figsize=(7, 2.4 * n))
    axes = fig.subplots(n, 1, sharex=True)
    for label, r in runs.items():
        ep = np.arange(1, np.asarray(r["online_acc"]).size + 1)
        (line,) = axes[0].plot(ep, r["online_acc"], label=f"{label.upper()} online")
        axes[0].plot(ep, r["val_acc"], ls=":", color=line.get_color(), label=f"{label.upper()} val")
        curve = r["eta_curve"]
        axes[1].plot(curve.steps, curve.values, label=label.upper())
    axes[0].set_ylabel("accuracy")
    axes[0].legend(fontsize=7, ncol=3)
    axes[1].set_ylabel("learning rate eta")
    axes[1].legend(fontsize=7)
    if rates is not None:
        axes[2].step(np.arange(1, len(rates) + 1), rates, where="pre")
        axes[2].set_ylabel("swaps / epoch")
    axes[-1].set_xlabel("epoch")
    if title:
        axes[0].set_title(title)
    fig.tight_layout()
    return fig
