"""Figures of the reproduction, as object-oriented ``matplotlib.figure.Figure`` objects.

Every function takes the numbers to draw (computed elsewhere, so the figures carry no computation of their
own) and returns a new ``Figure``; nothing here uses pyplot or switches the backend. Save a figure with
``fig.savefig(path)`` or, in a reproduction, ``ctx.figure(fig, "name.png")``.

Every function raises ``TypeError``/``ValueError`` naming the argument when a curve is not a 1-D array of
finite non-negative values with one value per x point.

Examples
--------
>>> from sdr_dendrites import false_match_probability
>>> ns = [300, 1000, 3000]
>>> fig = effect_of_n_figure(ns, {"a=64": [float(false_match_probability(n, 64, 24, 12)) for n in ns]},
...                          s=24, theta=12)
>>> type(fig).__name__
'Figure'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from neurotypes.validation import check_array

from .design import ThetaCurve

__all__ = [
    "effect_of_n_figure",
    "effect_of_noise_figure",
    "effect_of_s_figure",
    "monte_carlo_figure",
    "optimal_threshold_figure",
    "set_classification_figure",
    "union_figure",
]

_FLOOR = 1e-300  # log axes cannot show exact zeros


def _positive(values: ArrayLike) -> np.ndarray:
    return np.maximum(np.asarray(values, dtype=float), _FLOOR)


def _x(name: str, values: ArrayLike) -> np.ndarray:
    return check_array(name, values, ndim=1, min_size=1)


def _curves(name: str, curves: Mapping[Any, Sequence[float]], length: int) -> None:
    """Each curve a 1-D array of non-negative probabilities with one value per x point."""
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(f"{name} must be a non-empty mapping of label to values, got {type(curves).__name__}")
    for key, ys in curves.items():
        y = check_array(f"{name}[{key!r}]", ys, ndim=1, nonnegative=True)
        if y.size != length:
            raise ValueError(f"{name}[{key!r}] must have one value per x point ({length}), got {y.size}")


def effect_of_n_figure(ns: ArrayLike, curves: Mapping[str, Sequence[float]], *, s: int, theta: int) -> Figure:
    """False-match probability against population size, one curve per pattern size.

    Parameters
    ----------
    ns : array-like
        Population sizes (x axis).
    curves : mapping of str to sequence of float
        Label (e.g. ``"a=64"``) to ``P_fm`` at each ``n``; a label containing ``"n/"`` is drawn dashed.
    s, theta : int
        Synapses and threshold (for the title).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _curves("curves", curves, _x("ns", ns).size)
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for label, ys in curves.items():
        ax.semilogy(ns, _positive(ys), label=label, ls="--" if "n/" in label else "-")
    ax.set(xlabel="population size n", ylabel="P(false match)", title=f"Effect of n (s={s}, theta={theta})")
    ax.set_ylim(1e-28, 2)
    ax.legend()
    return fig


def effect_of_s_figure(
    ss: ArrayLike, sparse: Sequence[float], dense: Sequence[float], *, sparse_label: str, dense_label: str
) -> Figure:
    """False-match probability against the number of synapses at ``theta = s/2``, sparse and dense codes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _curves("curves", {"sparse": sparse, "dense": dense}, _x("ss", ss).size)
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.semilogy(ss, _positive(sparse), "o-", label=sparse_label)
    ax.semilogy(ss, _positive(dense), "s--", label=dense_label)
    ax.set(xlabel="synapses s (theta = s/2)", ylabel="P(false match)", title="Effect of s")
    ax.legend()
    return fig


def effect_of_noise_figure(
    noise: ArrayLike, curves: Mapping[int, Sequence[float]], *, a: int, s: int
) -> Figure:
    """False-negative probability against the fraction of active cells replaced, one curve per threshold.

    Parameters
    ----------
    noise : array-like
        Fractions ``v / a`` (x axis).
    curves : mapping of int to sequence of float
        Threshold to ``P_fn`` at each noise level.
    a, s : int
        Pattern size and synapses (for the title).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _curves("curves", curves, _x("noise", noise).size)
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for theta, ys in curves.items():
        ax.semilogy(noise, np.maximum(np.asarray(ys, dtype=float), 1e-30), label=f"theta={theta}")
    ax.axvline(0.5, color="grey", lw=0.5)
    ax.set(xlabel="noise (fraction of active cells replaced)", ylabel="P(false negative)")
    ax.set(title=f"Effect of noise (a={a}, s={s})", ylim=(1e-20, 2))
    ax.legend()
    return fig


def union_figure(
    ms: ArrayLike,
    plug_in: Mapping[int, Sequence[float]],
    mixture: Mapping[int, Sequence[float]],
    monte_carlo: Mapping[int, tuple[float, float]],
    *,
    title: str,
) -> Figure:
    """False match of a segment storing ``M`` patterns: expected-size plug-in (dashed) and exact mixture.

    Parameters
    ----------
    ms : array-like
        Numbers of stored patterns (x axis).
    plug_in, mixture : mapping of int to sequence of float
        Population size ``n`` to the plug-in / exact-mixture probabilities at each ``M``.
    monte_carlo : mapping of int to (float, float)
        ``M`` to (estimate, standard error) of a simulation, drawn as dots with 4-SE bars.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    size = _x("ms", ms).size
    _curves("plug_in", plug_in, size)
    _curves("mixture", mixture, size)
    if set(plug_in) != set(mixture):
        raise ValueError("plug_in and mixture must have the same keys (population sizes)")
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for n, ys in plug_in.items():
        (line,) = ax.semilogy(ms, _positive(ys), "--", label=f"n={n} expected-size plug-in")
        ax.semilogy(ms, _positive(mixture[n]), "-", color=line.get_color(), label=f"n={n} exact mixture")
    for m, (est, se) in monte_carlo.items():
        ax.errorbar([m], [est], yerr=[4 * se], fmt="k.", capsize=3)
    ax.set(xlabel="patterns stored on the segment M", ylabel="P(false match)", title=title)
    ax.legend(fontsize=6)
    return fig


def set_classification_figure(
    thetas: Sequence[int],
    union_bound: Sequence[float],
    independent: Sequence[float],
    monte_carlo: tuple[int, float, float],
    *,
    title: str,
) -> Figure:
    """Matching against a stored set: union bound, independence form and one Monte-Carlo point (theta, est, se).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _curves("bounds", {"union_bound": union_bound, "independent": independent}, _x("thetas", thetas).size)
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    ax.semilogy(thetas, _positive(union_bound), "o--", label="union bound M*P_fm")
    ax.semilogy(thetas, _positive(independent), "s-", label="independence 1-(1-P_fm)^M")
    theta, est, se = monte_carlo
    ax.errorbar([theta], [est], yerr=[4 * se], fmt="k.", capsize=3, label="Monte-Carlo")
    ax.set(xlabel="theta", ylabel="P(false match with any)", title=title)
    ax.legend(fontsize=7)
    return fig


def optimal_threshold_figure(curve: ThetaCurve, *, target: float = 1e-9) -> Figure:
    """Median (and quantiles) of the false-match probability over the grid, per NMDA threshold.

    Parameters
    ----------
    curve : ThetaCurve
        From :func:`sdr_dendrites.optimal_theta_curve`.
    target : float
        Horizontal reference line.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(curve, ThetaCurve):
        raise TypeError(f"curve must be a ThetaCurve (from optimal_theta_curve), got {type(curve).__name__}")
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.semilogy(curve.thetas, _positive(curve.median), "k-", label="median over the grid")
    for lvl, q in zip(curve.quantile_levels, curve.quantiles, strict=True):
        ax.semilogy(curve.thetas, _positive(q), ":", label=f"quantile {lvl:g}")
    ax.axhline(target, color="grey", lw=0.5)
    ax.axvspan(8, 20, color="orange", alpha=0.15, label="measured NMDA thresholds (8-20)")
    ax.set(xlabel="NMDA threshold theta", ylabel="P(false match)", title="Optimal NMDA threshold")
    ax.set_ylim(1e-70, 2)
    ax.legend(fontsize=7)
    return fig


def monte_carlo_figure(zscores: Mapping[str, float], *, limit: float = 4.0) -> Figure:
    """Distance of each Monte-Carlo estimate from its formula, in standard errors.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(zscores, Mapping) or not zscores:
        raise TypeError(f"zscores must be a non-empty mapping of case to z, got {type(zscores).__name__}")
    check_array("zscores", list(zscores.values()), ndim=1)
    fig = Figure(figsize=(6, 3))
    ax = fig.subplots()
    ax.barh(list(zscores), list(zscores.values()))
    ax.axvline(-limit, color="r", lw=0.8)
    ax.axvline(limit, color="r", lw=0.8)
    ax.set(xlabel="(MC - formula) / SE", title="Monte-Carlo vs formulas")
    return fig
