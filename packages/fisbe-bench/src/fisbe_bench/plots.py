"""Figures of the reproduction: each function builds and returns a ``matplotlib.figure.Figure``.

Object-oriented matplotlib only (no pyplot, no backend switch): the caller saves the figure
(``reproduce`` through the reproduction kit).  matplotlib comes with the ``[reproduce]`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .scores import FisbeScores

__all__ = ["case_a_figure", "real_images_figure", "toy_figure"]


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError("figures need matplotlib: pip install 'fisbe-bench[reproduce]'") from err
    return Figure(figsize=(width, height))


def case_a_figure(gt: NDArray[Any], pred: NDArray[Any], cldice: NDArray[Any]) -> Any:
    """Synthetic case A: ground truth and prediction (maximum projections) and the clDice matrix.

    Parameters
    ----------
    gt, pred : int arrays [Z, Y, X]
        Case A (:func:`fisbe_bench.synth.case_a`).
    cldice : array [nGT + 1, nPred + 1]
        Its clDice matrix (:func:`fisbe_bench.localize.cl_matrices`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = _figure(10, 3.0)
    ax = fig.subplots(1, 3)
    ax[0].imshow(np.asarray(gt).max(axis=0), cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
    ax[0].set_title("case A ground truth (max proj.)")
    ax[1].imshow(np.asarray(pred).max(axis=0), cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
    ax[1].set_title("prediction: split, merge, shift, FP")
    im = ax[2].imshow(np.asarray(cldice)[1:, 1:], cmap="viridis", vmin=0, vmax=1)
    ax[2].set_xlabel("predicted instance")
    ax[2].set_ylabel("GT instance")
    ax[2].set_title("clDice")
    fig.colorbar(im, ax=ax[2])
    fig.tight_layout()
    return fig


def toy_figure(
    raw: NDArray[Any], gt: NDArray[Any], seg: NDArray[Any], per_image: Sequence[FisbeScores]
) -> Any:
    """A toy FISBe volume, its ground truth, the colour-clustering segmentation and F1 per threshold.

    Parameters
    ----------
    raw : float array [3, Z, Y, X]
        Multicolour volume.
    gt : array [C, Z, Y, X]
        Ground truth, one neuron per channel.
    seg : int array [Z, Y, X]
        Segmentation.
    per_image : sequence of FisbeScores
        Scores of each evaluated toy volume (one F1 curve each).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = _figure(10, 2.6)
    ax = fig.subplots(1, 4)
    rgb = np.moveaxis(np.asarray(raw).max(axis=1), 0, -1)
    ax[0].imshow(rgb / max(float(rgb.max()), 1e-6))
    ax[0].set_title("toy FISBe raw (max proj.)")
    g = np.asarray(gt)
    gmax = (g * np.arange(1, g.shape[0] + 1)[:, None, None, None]).max(axis=(0, 1))
    ax[1].imshow(gmax, cmap="tab20", interpolation="nearest")
    ax[1].set_title("ground truth")
    ax[2].imshow(np.asarray(seg).max(axis=0), cmap="tab20", interpolation="nearest")
    ax[2].set_title("colour-clustering baseline")
    for k, s in enumerate(per_image):
        ths = [t.threshold for t in s.per_threshold[:9]]
        ax[3].plot(ths, [t.f1 for t in s.per_threshold[:9]], marker="o", label=f"toy {k}")
    ax[3].set_xlabel("clDice threshold")
    ax[3].set_ylabel("F1")
    ax[3].set_ylim(0, 1.05)
    ax[3].legend(fontsize=7)
    fig.tight_layout()
    return fig


def real_images_figure(named: Sequence[tuple[str, FisbeScores]]) -> Any:
    """F1 per clDice threshold and per-GT coverage of evaluated real images.

    Parameters
    ----------
    named : sequence of (name, FisbeScores)

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = _figure(9, 3.3)
    ax = fig.subplots(1, 2)
    for name, s in named:
        ths = [t.threshold for t in s.per_threshold[:9]]
        ax[0].plot(ths, [t.f1 for t in s.per_threshold[:9]], marker="o", label=name)
        ax[1].bar([f"{name[:6]}\nGT{i + 1}" for i in range(len(s.gt_coverage))], s.gt_coverage)
    ax[0].set_xlabel("clDice threshold")
    ax[0].set_ylabel("F1 (GMM colour baseline, rm800)")
    ax[0].legend(fontsize=7)
    ax[1].set_ylabel("GT skeleton coverage")
    ax[1].tick_params(axis="x", labelsize=6)
    fig.tight_layout()
    return fig
