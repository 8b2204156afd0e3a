"""Figures of the reproduction: each function builds and returns a ``matplotlib.figure.Figure``.

Object-oriented matplotlib only (no pyplot, no backend switch); ``ClaimContext.figure`` or
:func:`neurotypes.reproduction.save_figure` writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from matplotlib.figure import Figure

__all__ = ["RunCurve", "plot_dnr_accuracy", "plot_runs"]


class RunCurve(Protocol):
    """What a figure needs of a pruning run (e.g. :class:`ap_prune.reproduce.RunResult`)."""

    @property
    def label(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def density(self) -> list[float]: ...
    @property
    def dnr(self) -> list[float]: ...
    @property
    def test_acc(self) -> list[float]: ...


def _check_runs(name: str, runs: Sequence[RunCurve]) -> None:
    if isinstance(runs, str) or not isinstance(runs, Sequence) or not runs:
        raise TypeError(f"{name} must be a non-empty sequence of runs")
    for i, r in enumerate(runs):
        for attr in ("label", "density", "dnr", "test_acc"):
            if not hasattr(r, attr):
                raise TypeError(f"{name}[{i}] has no attribute {attr!r} (a RunResult is expected)")
        n = len(r.density)
        if n == 0 or len(r.dnr) != n or len(r.test_acc) != n:
            raise ValueError(f"{name}[{i}]: density, dnr and test_acc must have the same non-zero length")
        if not all(0 < d <= 1 for d in r.density):
            raise ValueError(f"{name}[{i}]: densities must lie in (0, 1]")


def _axes(fig: Figure) -> tuple[Any, Any]:
    ax = fig.subplots(1, 2)
    for a in ax:
        a.set_xscale("log")
        a.invert_xaxis()
        a.set_xlabel("density (fraction of weights left)")
    ax[0].set_ylabel("dynamic dead neuron rate")
    ax[1].set_ylabel("test accuracy (%)")
    return ax[0], ax[1]


def plot_dnr_accuracy(
    imp: Sequence[RunCurve], ap: Sequence[RunCurve], mixture: Sequence[RunCurve] = ()
) -> Figure:
    """DNR and test accuracy against density for paired IMP and IMP+AP runs (one line style per seed).

    Parameters
    ----------
    imp, ap : sequence of runs
        Paired runs on the digits task (same seeds, same order).
    mixture : sequence of runs, optional
        Runs on the Gaussian-mixture task (accuracy panel only), IMP and IMP+AP alternating.
    """
    _check_runs("imp", imp)
    _check_runs("ap", ap)
    if len(imp) != len(ap):
        raise ValueError(f"imp and ap must be paired runs, got {len(imp)} and {len(ap)}")
    if mixture:
        _check_runs("mixture", mixture)
    fig = Figure(figsize=(10, 4))
    ax_dnr, ax_acc = _axes(fig)
    for i, (a, b) in enumerate(zip(imp, ap, strict=True)):
        ls = ["-", "--", ":"][i % 3]
        for r, marker, color, name in ((a, "o", "C0", "IMP"), (b, "s", "C3", "IMP+AP")):
            ax_dnr.plot(r.density, r.dnr, marker + ls, color=color, label=f"{name} seed {r.seed}")
            ax_acc.plot(
                r.density,
                np.asarray(r.test_acc) * 100,
                marker + ls,
                color=color,
                label=f"digits {name} s{r.seed}",
            )
    for i, r in enumerate(mixture):
        ax_acc.plot(
            r.density, np.asarray(r.test_acc) * 100, "^-", color=f"C{2 + i % 2}", alpha=0.8, label=r.label
        )
    ax_dnr.set_title("DNR vs density (digits MLP)")
    ax_acc.set_title("accuracy vs density")
    ax_dnr.legend(fontsize=7)
    ax_acc.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig


def plot_runs(runs: Sequence[RunCurve], title: str) -> Figure:
    """DNR and accuracy against density, one line per run (e.g. base pruners, or the AP ablation).

    Parameters
    ----------
    runs : sequence of runs
        Runs to draw, each labelled by its ``label`` and ``seed``.
    title : str
        The figure title.
    """
    _check_runs("runs", runs)
    if not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__}")
    fig = Figure(figsize=(10, 4))
    ax_dnr, ax_acc = _axes(fig)
    labels = list(dict.fromkeys(r.label for r in runs))
    for r in runs:
        color = f"C{labels.index(r.label)}"
        ls = ["-", "--", ":"][r.seed % 3]
        ax_dnr.plot(r.density, r.dnr, "o" + ls, color=color, label=f"{r.label} s{r.seed}")
        ax_acc.plot(
            r.density, np.asarray(r.test_acc) * 100, "o" + ls, color=color, label=f"{r.label} s{r.seed}"
        )
    ax_dnr.legend(fontsize=6, ncol=2)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
