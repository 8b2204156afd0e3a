"""Figures of the reproduction (each function builds and returns a ``matplotlib.figure.Figure``).

Object-oriented matplotlib only: no pyplot, no backend switch; :func:`neurotypes.reproduction.save_figure` (or
``ClaimContext.figure``) writes them. The AM-SU equations are a reconstruction, which every title says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from neurotypes import SpikeTrains

__all__ = ["plot_copy_accuracy", "plot_efficiency", "plot_lm_losses", "plot_spike_raster"]

_COLORS = {"AstroSNN": "C0", "LIF-only": "C1", "Transformer": "C2"}


def _seed_points(ax: object, values: Mapping[str, Sequence[float]]) -> None:
    for i, (name, vals) in enumerate(values.items()):
        v = np.asarray(vals, dtype=float)
        x = (
            np.full(v.size, float(i)) + np.linspace(-0.08, 0.08, v.size)
            if v.size > 1
            else np.array([float(i)])
        )
        ax.plot(x, v, "o", color=_COLORS.get(name, f"C{i}"), alpha=0.8)  # type: ignore[attr-defined]
        ax.plot([i - 0.2, i + 0.2], [v.mean()] * 2, "-", color="k", lw=2)  # type: ignore[attr-defined]
    ax.set_xticks(range(len(values)), list(values))  # type: ignore[attr-defined]


def plot_copy_accuracy(accuracy: Mapping[str, Sequence[float]], chance: float, lag: int) -> Figure:
    """Copy-task accuracy per seed (points) and mean (bar) for each model, with chance.

    Parameters
    ----------
    accuracy : mapping of str to sequence of float
        Model name (e.g. ``"AstroSNN"``, ``"LIF-only"``) to its accuracy on each seed.
    chance : float
        Chance accuracy ``1 / n_sym``.
    lag : int
        The lag L of the task.
    """
    fig = Figure(figsize=(4.2, 3.2))
    ax = fig.add_subplot()
    _seed_points(ax, accuracy)
    ax.axhline(chance, color="grey", ls=":", label=f"chance {chance:.3g}")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("copy accuracy after the lag")
    ax.set_title(f"Delayed copy, lag {lag} (reconstructed AM-SU)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_lm_losses(
    losses: Mapping[str, Sequence[float]], references: Mapping[str, float], title: str
) -> Figure:
    """Held-out cross-entropy per seed for each model, with reference lines (entropy rate, n-gram table).

    Parameters
    ----------
    losses : mapping of str to sequence of float
        Model name to its held-out cross-entropy (nats/token) on each seed.
    references : mapping of str to float
        Label to a reference value drawn as a horizontal line (e.g. ``"entropy rate H"``, ``"bigram table"``).
    title : str
        The figure title.
    """
    fig = Figure(figsize=(4.6, 3.4))
    ax = fig.add_subplot()
    _seed_points(ax, losses)
    for i, (label, value) in enumerate(references.items()):
        ax.axhline(value, color=f"C{i + 3}", ls="--", lw=1, label=f"{label} {value:.3f}")
    ax.set_ylabel("held-out cross-entropy (nats/token)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_efficiency(
    lengths: Sequence[int],
    snn: Mapping[str, Sequence[float]],
    transformer: Mapping[str, Sequence[float]],
) -> Figure:
    """Generation latency and memory, training throughput and memory of the SNN and the Transformer
    against the context length.

    Parameters
    ----------
    lengths : sequence of int
        Context lengths (prompt tokens for generation, sequence length for training).
    snn, transformer : mapping
        Metric name to one value per length, with keys ``gen_latency_ms``, ``gen_state_kib``,
        ``train_tok_s`` and ``train_saved_mib``.
    """
    panels = (
        ("gen_latency_ms", "generation latency (ms/token)"),
        ("gen_state_kib", "generation memory per sequence (KiB)"),
        ("train_tok_s", "training throughput (tokens/s)"),
        ("train_saved_mib", "training memory saved for backward (MiB)"),
    )
    fig = Figure(figsize=(7.0, 5.0))
    axes = fig.subplots(2, 2)
    for ax, (key, label) in zip(axes.ravel(), panels, strict=True):
        ax.plot(lengths, snn[key], "o-", color=_COLORS["AstroSNN"], label="AstroSNN (state)")
        ax.plot(lengths, transformer[key], "s-", color=_COLORS["Transformer"], label="GPT-2 (KV cache)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("context length (tokens)")
        ax.set_title(label, fontsize=8)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Efficiency at equal parameter count (reconstructed AM-SU)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_spike_raster(spikes: SpikeTrains, title: str = "AM-SU spikes") -> Figure:
    """Raster of :class:`neurotypes.SpikeTrains` (e.g. from :func:`astrosnn.to_spike_trains`).

    Parameters
    ----------
    spikes : SpikeTrains
        The spike trains.
    title : str
        The figure title.
    """
    if not isinstance(spikes, SpikeTrains):
        raise TypeError(f"spikes must be neurotypes.SpikeTrains, got {type(spikes).__name__}")
    fig = Figure(figsize=(5.0, 3.0))
    ax = fig.add_subplot()
    ax.plot(spikes.times, spikes.units, "|", ms=3, color="k")
    ax.set_xlim(spikes.t_start, spikes.t_stop)
    ax.set_ylim(-0.5, spikes.n_units - 0.5)
    ax.set_xlabel("time (s; one step per token)")
    ax.set_ylabel("unit")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
