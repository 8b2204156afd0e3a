"""Figures of the reproduction and the examples, as ``matplotlib.figure.Figure`` objects (no pyplot, no backend
switch): the caller saves them (``fig.savefig`` or the reproduction kit's ``ctx.figure``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["params_auc_figure", "spike_prediction_figure", "task_accuracy_figure"]


def params_auc_figure(params: Mapping[str, int], aucs: Mapping[str, float]) -> Figure:
    """NeuronIO test AUC of the released neurons against their (verified) trainable parameter counts.

    Parameters
    ----------
    params, aucs
        Per checkpoint name (e.g. ``"num_memory_10"``): trainable parameters and the stored test AUC. Entries
        whose name is not ``num_memory_<d_m>`` are left out of the curve.
    """
    from matplotlib.figure import Figure

    names = sorted((k for k in params if k.startswith("num_memory_") and k in aucs), key=lambda k: params[k])
    if not names:
        raise ValueError("params and aucs must share at least one num_memory_<d_m> entry")
    x = [params[k] for k in names]
    y = [aucs[k] for k in names]
    fig = Figure(figsize=(5.5, 3.6))
    ax = fig.add_subplot()
    ax.plot(x, y, "o-", label="ELM (released checkpoints)")
    ax.axvline(10_000, color="grey", ls="--", lw=1, label="10k parameters")
    ax.set_xscale("log")
    ax.set_xlabel("trainable parameters (verified)")
    ax.set_ylabel("NeuronIO test AUC (cited)")
    for name, p, a in zip(names, x, y, strict=True):
        ax.annotate(
            name.removeprefix("num_memory_"), (p, a), textcoords="offset points", xytext=(2, -9), fontsize=7
        )
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def task_accuracy_figure(
    results: Mapping[str, Sequence[float]], reference_lines: Mapping[str, float] | None = None
) -> Figure:
    """Test accuracy of several runs (one point per seed, a bar for their mean).

    Parameters
    ----------
    results
        Run name -> accuracies (one per seed).
    reference_lines
        Label -> accuracy drawn as a horizontal line (e.g. chance).
    """
    from matplotlib.figure import Figure

    if not results:
        raise ValueError("results must hold at least one run")
    names = list(results)
    fig = Figure(figsize=(6.5, 3.6))
    ax = fig.add_subplot()
    for i, name in enumerate(names):
        values = np.asarray(results[name], dtype=float)
        ax.bar(i, values.mean(), color=f"C{i % 10}", alpha=0.6)
        ax.plot(np.full(values.size, i), values, "k.", ms=5)
    for k, (label, value) in enumerate((reference_lines or {}).items()):
        ax.axhline(value, color="grey", ls=(":", "--", "-.")[k % 3], lw=1, label=label)
    ax.set_xticks(range(len(names)), names, fontsize=7, rotation=12)
    ax.set_ylabel("test accuracy (dots: seeds)")
    ax.set_ylim(0, 1.05)
    if reference_lines:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def spike_prediction_figure(
    probability: np.ndarray, spikes: np.ndarray, bin_size: float, title: str = ""
) -> Figure:
    """A neuron's predicted spike probability per bin with the recorded spikes of the target unit.

    Parameters
    ----------
    probability, spikes
        ``[T]`` predicted probability and recorded spikes (0/1) over the same bins.
    bin_size
        Bin width in seconds (for the time axis).
    """
    from matplotlib.figure import Figure

    p = np.asarray(probability, dtype=float).ravel()
    s = np.asarray(spikes, dtype=float).ravel()
    if p.shape != s.shape:
        raise ValueError(f"probability and spikes must have the same length, got {p.size} and {s.size}")
    t = np.arange(p.size) * float(bin_size)
    fig = Figure(figsize=(6.5, 2.8))
    ax = fig.add_subplot()
    ax.plot(t, p, lw=0.8, label="ELM spike probability")
    hits = t[s > 0]
    ax.vlines(
        hits, 0, max(float(p.max(initial=0.0)), 0.05) * 1.1, color="C3", lw=0.8, label="recorded spikes"
    )
    ax.set_xlabel("time in window (s)")
    ax.set_ylabel("probability per bin")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig
