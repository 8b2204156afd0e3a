"""Figures of a fit, as :class:`matplotlib.figure.Figure` objects (no pyplot, no backend switch).

Save them with ``fig.savefig(path)`` or :func:`neurotypes.save_figure` (atomic).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from bibcluster.posterior import Posterior
from neurotypes.validation import check_array

__all__ = ["plot_clusters", "plot_states", "plot_trajectories"]


def _check_posterior(post: object) -> Posterior:
    if not isinstance(post, Posterior):
        raise TypeError(f"post must be a bibcluster.Posterior, got {type(post).__name__}")
    return post


def plot_clusters(post: Posterior, title: str = "") -> Figure:
    """Neuron co-clustering matrix and the number of clusters per kept draw of each chain.

    Parameters
    ----------
    post : Posterior
        A fitted posterior (:meth:`BiClusterSampler.fit`).
    title : str
        Optional title above the panels.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``post`` is not a :class:`Posterior`.

    Examples
    --------
    >>> fig = plot_clusters(post)  # doctest: +SKIP
    """
    post = _check_posterior(post)
    fig = Figure(figsize=(9, 3))
    ax = fig.subplots(1, 2)
    ax[0].imshow(post.coclustering_neurons(), vmin=0, vmax=1, cmap="viridis")
    ax[0].set_title("neuron co-clustering")
    for c in range(post.n_clusters_trace.shape[0]):
        ax[1].plot(post.n_clusters_trace[c], lw=0.8)
    ax[1].set_title("neuron clusters per kept draw")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_states(paths: Mapping[str, Sequence[int] | np.ndarray]) -> Figure:
    """State paths one above the other (e.g. the truth, the maxPEAR estimate, a heuristic's estimate).

    Parameters
    ----------
    paths : mapping of str to 1-D integer arrays
        Label of each row and its state path (all of one length).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``paths`` is empty or the paths differ in length.

    Examples
    --------
    >>> fig = plot_states({"truth": [0, 0, 1, 1], "estimate": [0, 0, 0, 1]})
    """
    if not isinstance(paths, Mapping) or not paths:
        raise ValueError("paths must be a non-empty mapping of label to state path")
    arrays = {k: check_array(f"paths[{k!r}]", v, ndim=1, dtype="int", min_size=1) for k, v in paths.items()}
    lengths = {a.shape[0] for a in arrays.values()}
    if len(lengths) != 1:
        raise ValueError(f"paths must all have one length, got lengths {sorted(lengths)}")
    fig = Figure(figsize=(8, 1.6 * len(arrays) + 0.6))
    axes = np.atleast_1d(fig.subplots(len(arrays), 1, sharex=True, squeeze=False)[:, 0])
    for i, (ax, (label, xi)) in enumerate(zip(axes, arrays.items(), strict=True)):
        ax.plot(xi, drawstyle="steps-mid", color=f"C{i}")
        ax.set_ylabel(label, fontsize=8)
    axes[-1].set_xlabel("time bin")
    fig.tight_layout()
    return fig


def plot_trajectories(
    post: Posterior,
    neurons: Sequence[int] = (0,),
    truth: np.ndarray | None = None,
    hpd: float = 0.95,
) -> Figure:
    """Posterior mean and credible band of the log firing rates of some neurons, with the truth if known.

    Parameters
    ----------
    post : Posterior
        A fitted posterior.
    neurons : sequence of int
        Neuron indices to draw (one panel each).
    truth : array of shape (N, T), optional
        True log rates (simulations).
    hpd : float
        Credible level of the band, in (0, 1).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type, a neuron index is out of range, or ``truth`` has the wrong shape.

    Examples
    --------
    >>> fig = plot_trajectories(post, neurons=(0, 10))  # doctest: +SKIP
    """
    post = _check_posterior(post)
    n, t_len = post.y.shape
    idx = [int(i) for i in check_array("neurons", neurons, ndim=1, dtype="int")]
    if not idx or any(i < 0 or i >= n for i in idx):
        raise ValueError(f"neurons must be a non-empty list of indices in [0, {n}), got {idx}")
    if truth is not None:
        truth = check_array("truth", truth, ndim=2)
        if truth.shape != (n, t_len):
            raise ValueError(f"truth must have shape {(n, t_len)}, got {truth.shape}")
    bands = post.trajectories(hpd)
    fig = Figure(figsize=(8, 2 * len(idx) + 0.4))
    axes = fig.subplots(len(idx), 1, sharex=True, squeeze=False)[:, 0]
    t = np.arange(t_len)
    for ax, i in zip(axes, idx, strict=True):
        ax.fill_between(
            t, bands["log_rate_lower"][i], bands["log_rate_upper"][i], alpha=0.3, label=f"{hpd:.0%} band"
        )
        ax.plot(t, bands["log_rate_mean"][i], lw=1, label="posterior mean")
        if truth is not None:
            ax.plot(t, truth[i], "k", lw=0.8, label="truth")
        ax.set_ylabel(f"log rate, neuron {i}", fontsize=8)
    axes[0].legend(fontsize=7)
    axes[-1].set_xlabel("time bin")
    fig.tight_layout()
    return fig
