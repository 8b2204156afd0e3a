"""Figures of the reproduction, as :class:`matplotlib.figure.Figure` objects (no pyplot, no backend switch).

Each function takes measured values and returns a figure; :mod:`snn_vpr.reproduce` saves them with
``ctx.figure``. Callers save or show them as they like (``fig.savefig(path)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from neurotypes.validation import check_array
from snn_vpr.metrics import distance_matrix

__all__ = ["distance_matrices", "learning_curves", "scaling"]


def learning_curves(curves: Sequence[Sequence[Mapping[str, Any]]], region_size: int) -> Figure:
    """R@1 and mean threshold against epochs, one line per seed.

    Parameters
    ----------
    curves : sequence of sequences of mappings
        One curve per seed; each point a mapping with ``"epoch"``, ``"per_module_R@1"`` (list),
        ``"modular_R@1_T0"`` and ``"theta_mean_mV"``.
    region_size : int
        Places per module (the module-level chance is ``1 / region_size``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``curves`` is empty or ``region_size`` < 1.

    Examples
    --------
    >>> fig = learning_curves([[{"epoch": 5, "per_module_R@1": [0.4], "modular_R@1_T0": 0.1,
    ...                          "theta_mean_mV": 21.0}]], 10)
    >>> len(fig.axes)
    2
    """
    if isinstance(curves, str) or not isinstance(curves, Sequence) or len(curves) == 0:
        raise ValueError("curves must be a non-empty sequence of learning curves (one per seed)")
    if isinstance(region_size, bool) or not isinstance(region_size, int) or region_size < 1:
        raise ValueError(f"region_size must be a positive integer, got {region_size!r}")
    for i, curve in enumerate(curves):
        if not isinstance(curve, Sequence) or not all(isinstance(c, Mapping) for c in curve):
            raise TypeError(f"curves[{i}] must be a sequence of mappings (one per checkpoint)")
        for c in curve:
            missing = {"epoch", "per_module_R@1", "modular_R@1_T0", "theta_mean_mV"} - set(c)
            if missing:
                raise ValueError(f"curves[{i}] has a point without {sorted(missing)}")
    fig = Figure(figsize=(9, 3.6))
    ax = fig.subplots(1, 2)
    for i, curve in enumerate(curves):
        eps = [c["epoch"] for c in curve]
        ax[0].plot(
            eps,
            [np.mean(c["per_module_R@1"]) for c in curve],
            "o-",
            color="C0",
            alpha=0.7,
            label="per module, own region" if i == 0 else None,
        )
        ax[0].plot(
            eps,
            [c["modular_R@1_T0"] for c in curve],
            "s--",
            color="C1",
            alpha=0.7,
            label="modular, T = 0" if i == 0 else None,
        )
        ax[1].plot(eps, [c["theta_mean_mV"] for c in curve], "o-", color="C2", alpha=0.7)
    ax[0].axhline(1.0 / region_size, color="grey", ls=":", label="chance (module)")
    ax[0].set_xlabel("epoch")
    ax[0].set_ylabel("R@1")
    ax[0].legend(fontsize=8)
    ax[1].set_xlabel("epoch")
    ax[1].set_ylabel("mean theta (mV)")
    fig.tight_layout()
    return fig


def distance_matrices(scores: Mapping[str, ArrayLike]) -> Figure:
    """One distance-matrix panel per labelled score matrix (queries x places, higher = better match).

    Parameters
    ----------
    scores : mapping of str to array_like
        Panel title -> score matrix [n_queries, n_places].

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``scores`` is empty or a matrix is not 2-D and finite.

    Examples
    --------
    >>> fig = distance_matrices({"T = 0": np.eye(3)})
    >>> len(fig.axes) >= 1
    True
    """
    if not isinstance(scores, Mapping) or not scores:
        raise ValueError("scores must be a non-empty mapping of title -> score matrix")
    mats = {str(k): check_array(f"scores[{k!r}]", v, ndim=2, finite=True) for k, v in scores.items()}
    fig = Figure(figsize=(4.5 * len(mats), 4))
    axes = np.atleast_1d(fig.subplots(1, len(mats)))
    for a, (title, s) in zip(axes, mats.items(), strict=True):
        a.imshow(distance_matrix(s), cmap="viridis")
        a.set_title(f"distance matrix, {title}")
        a.set_xlabel("reference place")
        a.set_ylabel("query")
    fig.tight_layout()
    return fig


def scaling(rows: Sequence[Mapping[str, Any]], key: str = "train_s_per_epoch") -> Figure:
    """Training wall time per epoch against the number of places, modular vs one network (log-log).

    Parameters
    ----------
    rows : sequence of mappings
        Each with ``"places"``, ``"kind"`` (``"modular"`` or ``"single"``) and ``key``.
    key : str
        The measured quantity to plot.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``rows`` is empty or a row lacks a field.

    Examples
    --------
    >>> fig = scaling([{"places": 8, "kind": "modular", "train_s_per_epoch": 1.0},
    ...                {"places": 16, "kind": "modular", "train_s_per_epoch": 2.0}])
    >>> fig.axes[0].get_xscale()
    'log'
    """
    if isinstance(rows, str) or not isinstance(rows, Sequence) or len(rows) == 0:
        raise ValueError("rows must be a non-empty sequence of measurements")
    for i, r in enumerate(rows):
        if not isinstance(r, Mapping):
            raise TypeError(f"rows[{i}] must be a mapping, got {type(r).__name__}")
        for field in ("places", "kind", key):
            if field not in r:
                raise ValueError(f"rows[{i}] has no field {field!r}")
    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    for kind, marker in (("modular", "o-"), ("single", "s-")):
        sel = [r for r in rows if r["kind"] == kind]
        if sel:
            ax.plot([r["places"] for r in sel], [r[key] for r in sel], marker, label=kind)
    ax.set_xlabel("places")
    ax.set_ylabel(key.replace("_", " "))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    return fig
