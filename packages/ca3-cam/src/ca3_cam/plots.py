"""Figures: spike rasters of every population (optionally over a recording) and recall accuracy against size.

Every function builds and returns a :class:`matplotlib.figure.Figure` (object-oriented matplotlib: no pyplot, no
backend switch); matplotlib is imported when a figure is made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ca3_cam.model import CA3_POPULATIONS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_raster", "plot_scaling"]

#: Populations stacked bottom to top in a raster.
RASTER_ORDER = ("Input", *CA3_POPULATIONS, "Output")


def _rows(name: str, value: Any) -> NDArray[np.int64]:
    arr = np.asarray(value)
    if arr.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.dtype.kind not in "iu":
        raise ValueError(f"spikes[{name!r}] must be integer rows (time_ms, index), got shape {arr.shape}")
    return arr.astype(np.int64)


def _stack(ax: Axes, rows: Mapping[str, NDArray[np.int64]], pops: Sequence[str], **kw: Any) -> None:
    base = 0
    for name in pops:
        r = rows[name]
        ax.scatter(r[:, 0], r[:, 1] + base, **kw)
        base += int(r[:, 1].max()) + 2 if r.size else 2
        ax.axhline(base - 1, color="0.85", lw=0.5)


def plot_raster(
    spikes: Mapping[str, Any],
    title: str = "",
    *,
    recorded: Mapping[str, Any] | None = None,
    populations: Sequence[str] = RASTER_ORDER,
) -> Figure:
    """Spike raster of every population, stacked (``Input``, the eight CA3 populations, ``Output``).

    Parameters
    ----------
    spikes : mapping of str to array_like
        ``{population: rows (time_ms, index)}`` (e.g. from :func:`ca3_cam.run_schedule`); drawn as dots.
    title : str
        Figure title.
    recorded : mapping, optional
        A recording in the same form (e.g. :func:`ca3_cam.data.load_recording`), drawn as open circles under the
        dots, so that a dot inside every circle means spike-for-spike agreement.
    populations : sequence of str
        The populations to draw, bottom to top; each must be a key of ``spikes`` (and of ``recorded``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError, ValueError
        If ``spikes`` is not a mapping of integer rows or lacks a population.

    Examples
    --------
    >>> from ca3_cam import build_network, run_schedule, testbench
    >>> from ca3_cam.data import load_recording
    >>> rows = run_schedule(build_network(5, 10), testbench.functional())
    >>> fig = plot_raster(rows, "Experiment 1", recorded=load_recording(1))
    >>> len(fig.axes)
    1
    """
    from matplotlib.figure import Figure

    if not isinstance(spikes, Mapping):
        raise TypeError(
            f"spikes must be a mapping of population name to spike rows, got {type(spikes).__name__}"
        )
    missing = [p for p in populations if p not in spikes or (recorded is not None and p not in recorded)]
    if missing:
        raise ValueError(f"populations {missing} are not in spikes (or recorded)")
    ours = {p: _rows(p, spikes[p]) for p in populations}
    fig = Figure(figsize=(9, 6))
    ax = fig.subplots()
    if recorded is not None:
        rec = {p: _rows(p, recorded[p]) for p in populations}
        _stack(ax, rec, populations, s=40, facecolors="none", edgecolors="k", label="recorded (SpiNNaker)")
        _stack(ax, ours, populations, s=8, c="tab:red", label="simulated")
        ax.legend(loc="upper right", fontsize=8)
    else:
        _stack(ax, ours, populations, s=6, c="k")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(
        "neuron (populations stacked: " + ", ".join(populations[:1]) + ", ..., " + populations[-1] + ")"
    )
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_scaling(results: Sequence[Mapping[str, float]], title: str = "") -> Figure:
    """Recall accuracy against the size of the memory (rows of :func:`ca3_cam.reproduce.scaling_accuracy`).

    Parameters
    ----------
    results : sequence of mapping
        Each with ``n_cues``, ``n_content``, ``accuracy_by_cue``, ``accuracy_by_content`` and
        ``accuracy_post_history_64``.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``results`` is empty or a row lacks a key.

    Examples
    --------
    >>> from ca3_cam.reproduce import scaling_accuracy
    >>> row = {"n_cues": 5, "n_content": 10, **scaling_accuracy(5, 10, 1, n_probes=5)}
    >>> fig = plot_scaling([{**row, "accuracy_post_history_64": 1.0}])
    >>> fig.axes[0].get_ylabel()
    'fraction of answers = IdealCAM'
    """
    from matplotlib.figure import Figure

    if not results:
        raise ValueError("results must hold at least one size")
    need = ("n_cues", "n_content", "accuracy_by_cue", "accuracy_by_content", "accuracy_post_history_64")
    for i, r in enumerate(results):
        if not isinstance(r, Mapping) or any(k not in r for k in need):
            raise ValueError(f"results[{i}] must hold the keys {need}")
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    labels = [f"{r['n_cues']}x{r['n_content']}" for r in results]
    ax.plot(
        labels, [r["accuracy_by_cue"] for r in results], "o-", label="by cue (16-spike history, as sPyNNaker)"
    )
    ax.plot(labels, [r["accuracy_by_content"] for r in results], "s-", label="by content (16-spike history)")
    ax.plot(
        labels, [r["accuracy_post_history_64"] for r in results], "^--", label="all recalls, 64-spike history"
    )
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("cues x content bits (10% of the bits per memory)")
    ax.set_ylabel("fraction of answers = IdealCAM")
    ax.set_title(title or "Recall accuracy as the memory grows (numpy engine)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
