"""Design questions: which NMDA threshold, how many synapses.

* :func:`optimal_theta_curve`: the paper's NMDA-threshold analysis (median
  false-match error over a parameter grid as a function of ``theta``).
* :func:`min_theta` and :func:`min_synapses`: the inverse questions users ask
  ("how many synapses, at what threshold, for error below epsilon at this
  sparsity and noise?"). Candidates are screened with the log-space path and
  every decision closer than 1e-6 (relative) to the target is re-decided with
  exact integer arithmetic, so the answers are exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._validation import check_int, check_probability, check_target
from .probability import _hypergeom_tail_exact, _log_hypergeom_tail

__all__ = [
    "DEFAULT_GRID",
    "ParameterGrid",
    "SynapseDesign",
    "ThetaCurve",
    "min_synapses",
    "min_theta",
    "noise_cells",
    "optimal_theta_curve",
]


@dataclass(frozen=True)
class ParameterGrid:
    """A grid of ``(n, a, s)`` points: every population size x sparsity x synapse count.

    ``a = round(sparsity * n)`` (halves up), computed from the decimal value of
    each sparsity so that 0.5 % of 1000 is exactly 5.
    """

    ns: tuple[int, ...]
    sparsities: tuple[float, ...]
    synapses: tuple[int, ...]

    def __post_init__(self) -> None:
        for n in self.ns:
            check_int("ns", n, minimum=1)
        for sp in self.sparsities:
            check_probability("sparsities", sp)
        for s in self.synapses:
            check_int("synapses", s, minimum=0)
        if not (self.ns and self.sparsities and self.synapses):
            raise ValueError("ParameterGrid needs at least one value in ns, sparsities and synapses")

    def points(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Flattened ``(n, a, s)`` arrays, one entry per grid point."""
        rows = [
            (n, math.floor(Fraction(str(sp)) * n + Fraction(1, 2)), s)
            for n in self.ns
            for sp in self.sparsities
            for s in self.synapses
        ]
        arr = np.array(rows, dtype=np.int64)
        if np.any(arr[:, 2] > arr[:, 0]):
            raise ValueError("ParameterGrid synapses must be <= every n")
        return arr[:, 0], arr[:, 1], arr[:, 2]

    def __len__(self) -> int:
        return len(self.ns) * len(self.sparsities) * len(self.synapses)


#: The paper's grid for the NMDA-threshold analysis: n in {1000, 5000, ..., 17000},
#: sparsity 0.5 % .. 3.0 % in steps of 0.5 %, s in {20, 25, ..., 50}: 210 points.
DEFAULT_GRID = ParameterGrid(
    ns=(1000, 5000, 9000, 13000, 17000),
    sparsities=(0.005, 0.01, 0.015, 0.02, 0.025, 0.03),
    synapses=(20, 25, 30, 35, 40, 45, 50),
)


class ThetaCurve(NamedTuple):
    """Median (and other quantiles) of the false-match probability over a grid, per threshold."""

    thetas: NDArray[np.int64]
    median: NDArray[np.float64]
    quantile_levels: tuple[float, ...]
    quantiles: NDArray[np.float64]  # shape (len(quantile_levels), len(thetas))


def optimal_theta_curve(
    grid: ParameterGrid = DEFAULT_GRID,
    thetas: Iterable[int] = range(1, 31),
    quantile_levels: Sequence[float] = (0.1, 0.25, 0.75, 0.9),
    exact: bool = False,
) -> ThetaCurve:
    """False-match probability over a parameter grid, summarised per NMDA threshold ``theta``.

    For every ``theta`` and every grid point ``(n, a, s)``, ``P_fm(n, a, s, theta)``
    is computed (0 where ``theta > s``: the segment cannot reach threshold), and
    the median and the requested quantiles over the grid points are returned.

    Parameters
    ----------
    grid : ParameterGrid, default DEFAULT_GRID
        The paper's 210-point grid unless given.
    thetas : iterable of int, default 1 .. 30
    quantile_levels : sequence of float, default (0.1, 0.25, 0.75, 0.9)
    exact : bool, default False
        ``False``: vectorised log-space path (well under a second). ``True``:
        exact fractions for every point (slow; for verification).

    Returns
    -------
    ThetaCurve

    Raises
    ------
    TypeError
        If ``grid`` is not a ``ParameterGrid`` or a threshold is not an integer.
    ValueError
        If ``thetas`` is empty or a quantile level lies outside [0, 1].

    Examples
    --------
    >>> curve = optimal_theta_curve(thetas=range(8, 12))
    >>> [int(t) for t in curve.thetas[curve.median < 1e-9]]
    [10, 11]
    """
    if not isinstance(grid, ParameterGrid):
        raise TypeError(f"grid must be a ParameterGrid, got {type(grid).__name__}")
    th = np.array([check_int("thetas", t) for t in thetas], dtype=np.int64)
    if th.size == 0:
        raise ValueError("thetas must hold at least one threshold")
    levels = tuple(check_probability("quantile_levels", q) for q in quantile_levels)
    n, a, s = grid.points()
    if exact:
        values = np.array(
            [
                [
                    float(_hypergeom_tail_exact(int(ni), int(si), int(ai), int(t))) if t <= si else 0.0
                    for ni, ai, si in zip(n, a, s, strict=True)
                ]
                for t in th
            ]
        )
    else:
        log_p = _log_hypergeom_tail(n[None, :], s[None, :], a[None, :], th[:, None])
        values = np.exp(log_p)
    median = np.median(values, axis=1)
    quant = np.quantile(values, levels, axis=1) if levels else np.empty((0, th.size))
    return ThetaCurve(th, median, levels, np.asarray(quant, dtype=np.float64))


# --------------------------------------------------------------------------------------------
# inverse API
# --------------------------------------------------------------------------------------------


class SynapseDesign(NamedTuple):
    """Answer of :func:`min_synapses`: the segment design and its two error probabilities."""

    s: int
    theta: int
    v: int
    false_match: float
    false_negative: float


def noise_cells(a: int, noise_frac: float) -> int:
    """Number of active cells ``v = round(noise_frac * a)`` (halves up) that noise removes.

    Parameters
    ----------
    a : int
        Active cells of the pattern, >= 0.
    noise_frac : float
        Fraction of them that noise removes, in [0, 1].

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``a`` is not an integer or ``noise_frac`` not a real number.
    ValueError
        If ``a < 0`` or ``noise_frac`` is outside [0, 1] or not finite.

    Examples
    --------
    >>> noise_cells(300, 0.3)
    90
    """
    a_ = check_int("a", a, minimum=0)
    frac = check_probability("noise_frac", noise_frac)
    return math.floor(Fraction(frac) * a_ + Fraction(1, 2))


def _meets(log_p: float, exact_p: Callable[[], Fraction], target: Fraction, log_target: float) -> bool:
    """``P <= target``: decided in log space unless within 1e-6 of the target, then exactly."""
    if log_p < log_target - 1e-6:
        return True
    if log_p > log_target + 1e-6:
        return False
    return exact_p() <= target


def _log_fm_over_theta(n: int, a: int, s: int) -> NDArray[np.float64]:
    """``log P_fm(n, a, s, theta)`` for ``theta = 0 .. s``."""
    return _log_hypergeom_tail(np.asarray(n), np.asarray(s), np.asarray(a), np.arange(0, s + 1))


def _log_fn_over_theta(a: int, s: int, v: int) -> NDArray[np.float64]:
    """``log P_fn(a, s, theta, v)`` for ``theta = 0 .. s`` (a failure is ``s - theta + 1`` synapses lost)."""
    return _log_hypergeom_tail(np.asarray(a), np.asarray(s), np.asarray(v), s + 1 - np.arange(0, s + 1))


def min_theta(n: int, a: int, s: int, target_err: float) -> int:
    """Smallest NMDA threshold ``theta`` with ``P_fm(n, a, s, theta) <= target_err``.

    Parameters
    ----------
    n, a, s : int
        Population size, active cells, synapses on the segment.
    target_err : float
        Target false-match probability, strictly between 0 and 1.

    Returns
    -------
    int
        ``theta`` in ``1 .. s``.

    Raises
    ------
    ValueError
        If even ``theta = s`` misses the target (the segment needs more synapses).

    Examples
    --------
    >>> min_theta(10000, 300, 24, 1e-9)
    10
    """
    n_ = check_int("n", n, minimum=1)
    a_ = check_int("a", a, minimum=0)
    s_ = check_int("s", s, minimum=1)
    if a_ > n_:
        raise ValueError(f"a (active cells) must be <= n (population size), got a={a_} > n={n_}")
    if s_ > n_:
        raise ValueError(f"s (synapses) must be <= n (population size), got s={s_} > n={n_}")
    target = check_target("target_err", target_err)
    log_target = math.log(target)
    log_fm = _log_fm_over_theta(n_, a_, s_)
    for t in range(1, s_ + 1):
        if _meets(float(log_fm[t]), partial(_hypergeom_tail_exact, n_, s_, a_, t), target, log_target):
            return t
    raise ValueError(
        f"no theta <= s={s_} reaches target_err={float(target):g} for n={n_}, a={a_}: use more synapses"
    )


def min_synapses(
    n: int,
    a: int,
    target_err: float,
    noise_frac: float = 0.0,
    theta: int | None = None,
    s_max: int | None = None,
) -> SynapseDesign:
    """Smallest number of synapses ``s`` (and a threshold) meeting an error target.

    Finds the smallest ``s`` for which some ``theta`` (or the given ``theta``) has
    both ``P_fm(n, a, s, theta) <= target_err`` and, with noise,
    ``P_fn(a, s, theta, v) <= target_err`` where ``v = round(noise_frac * a)``.
    With ``theta=None`` the threshold returned is the smallest one meeting the
    false-match target; since ``P_fn`` grows with ``theta``, it is the best choice
    for noise too.

    Parameters
    ----------
    n : int
        Population size.
    a : int
        Active cells per pattern (``s`` cannot exceed it: a segment subsamples them).
    target_err : float
        Target for each error probability, strictly between 0 and 1.
    noise_frac : float, default 0.0
        Fraction of the pattern's active cells that noise replaces, in [0, 1].
    theta : int, optional
        Fixed NMDA threshold; ``None`` lets the threshold vary with ``s``.
    s_max : int, optional
        Largest ``s`` to try (default ``a``).

    Returns
    -------
    SynapseDesign
        ``(s, theta, v, false_match, false_negative)``.

    Raises
    ------
    ValueError
        If no ``s <= s_max`` meets the target, or on invalid arguments.

    Examples
    --------
    >>> min_synapses(10000, 300, 1e-9)[:2]  # (s, theta)
    (6, 6)
    """
    n_ = check_int("n", n, minimum=1)
    a_ = check_int("a", a, minimum=1)
    if a_ > n_:
        raise ValueError(f"a (active cells) must be <= n (population size), got a={a_} > n={n_}")
    target = check_target("target_err", target_err)
    v = noise_cells(a_, noise_frac)
    theta_ = None if theta is None else check_int("theta", theta, minimum=1)
    top = a_ if s_max is None else check_int("s_max", s_max, minimum=1)
    if top > a_:
        raise ValueError(f"s_max must be <= a (a segment subsamples the active cells), got {top} > a={a_}")
    log_target = math.log(target)
    first = 1 if theta_ is None else theta_
    for s in range(first, top + 1):
        log_fm = _log_fm_over_theta(n_, a_, s)
        log_fn = _log_fn_over_theta(a_, s, v)
        candidates = range(1, s + 1) if theta_ is None else (theta_,)
        for t in candidates:
            if not _meets(float(log_fm[t]), partial(_hypergeom_tail_exact, n_, s, a_, t), target, log_target):
                continue
            # P_fn only grows with theta: if the smallest passing theta fails on noise, all larger ones do.
            fn_exact = partial(_hypergeom_tail_exact, a_, s, v, s - t + 1)
            if _meets(float(log_fn[t]), fn_exact, target, log_target):
                return SynapseDesign(s, t, v, float(np.exp(log_fm[t])), float(np.exp(log_fn[t])))
            break
    raise ValueError(
        f"no s <= {top} meets target_err={float(target):g} for n={n_}, a={a_}, noise_frac={noise_frac}"
        + ("" if theta_ is None else f", theta={theta_}")
    )
