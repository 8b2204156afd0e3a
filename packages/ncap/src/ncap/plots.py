"""Figures of the reproduction, each built and returned as a ``matplotlib.figure.Figure`` (no pyplot)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ncap.data import Rollout
from neurotypes.validation import check_array

__all__ = ["plot_gait", "plot_learning_curves", "plot_returns", "plot_sweep"]

MAX_RETURN = 1000.0


def plot_returns(returns: Mapping[str, ArrayLike], title: str = "") -> Figure:
    """Bars of the mean return / max per policy, with one dot per episode.

    Parameters
    ----------
    returns : mapping
        ``{policy name: episode returns}`` (returns out of 1000).
    title : str
    """
    if not isinstance(returns, Mapping) or not returns:
        raise TypeError("returns must be a non-empty mapping of policy name to episode returns")
    fig = Figure(figsize=(7, 3.5))
    ax = fig.subplots()
    for i, (name, values) in enumerate(returns.items()):
        v = check_array(f"returns[{name!r}]", values, ndim=1, min_size=1) / MAX_RETURN
        ax.bar(i, v.mean(), color="C0", alpha=0.6)
        ax.plot(np.full(v.size, i) + np.linspace(-0.2, 0.2, v.size), v, "k.", ms=3)
    ax.set_xticks(range(len(returns)), list(returns), rotation=20, ha="right")
    ax.set_ylabel("return / max")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_sweep(x: ArrayLike, curves: Mapping[str, ArrayLike], xlabel: str, title: str = "") -> Figure:
    """Return / max against a swept setting (oscillator period, number of joints), one line per policy."""
    xs = check_array("x", x, ndim=1, min_size=1)
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    for name, ys in curves.items():
        y = check_array(f"curves[{name!r}]", ys, shape=(xs.size,)) / MAX_RETURN
        ax.plot(xs, y, "o-", label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("return / max")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_gait(
    rollout: Rollout, steps: int = 200, title: str = "gait: joint angles travel down the body"
) -> Figure:
    """Joint angles (joint x control step) of the first ``steps`` steps of an episode."""
    if not isinstance(rollout, Rollout):
        raise TypeError(f"rollout must be an ncap.Rollout, got {type(rollout).__name__}")
    fig = Figure(figsize=(6, 3))
    ax = fig.subplots()
    im = ax.imshow(rollout.joints[:steps].T, aspect="auto", cmap="coolwarm", interpolation="nearest")
    fig.colorbar(im, ax=ax, label="angle (rad)")
    ax.set_xlabel("control step (0.03 s)")
    ax.set_ylabel("joint (head = 0)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_learning_curves(
    curves: Mapping[str, Sequence[tuple[Sequence[float], Sequence[float]]]],
    threshold: float | None = None,
    title: str = "",
) -> Figure:
    """Learning curves: ``{label: [(episodes, returns), ...]}`` (one line per seed), returns out of 1000."""
    fig = Figure(figsize=(6, 3.5))
    ax = fig.subplots()
    for i, (label, runs) in enumerate(curves.items()):
        for j, (x, y) in enumerate(runs):
            xs = check_array("episodes", x, ndim=1)
            ys = check_array("returns", y, shape=(xs.size,)) / MAX_RETURN
            ax.plot(xs, ys, color=f"C{i}", alpha=0.8, label=label if j == 0 else None)
    if threshold is not None:
        ax.axhline(threshold, color="grey", ls=":")
    ax.set_xlabel("training episodes")
    ax.set_ylabel("held-out return / max")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
