"""False-match and false-negative probabilities of one dendritic segment.

Ahmad & Hawkins (2016), "How do neurons operate on sparse distributed
representations?", eqs. for ``P_fm`` (false match of a subsampled segment) and
``P_fn`` (false negative under noise); the overlap-set count is from Ahmad &
Hawkins (2015).

Both probabilities are upper tails of a hypergeometric variable, so one pair of
private helpers serves both:

* an exact path (``math.comb`` integers, the result a ``fractions.Fraction``),
  the reference: no rounding happens before the final division;
* a log-space path (``logsumexp`` over the log terms), vectorised over numpy
  arrays. Terms come from products of ``min(s, a)`` moderate factors when that
  is at most 1024 (relative error ~1e-13, independent of ``n``), otherwise from
  a table of ``math.lgamma`` values (relative error ~1e-16 n log n: 1e-10 at
  n = 1e5). The tests measure both against the exact path.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_int_array, check_bool, check_fm_args, check_fn_args, check_int

__all__ = [
    "false_match_probability",
    "false_negative_probability",
    "log_false_match_probability",
    "log_false_negative_probability",
    "overlap_set_size",
]

# Rows x terms processed at once by the log-space path (bounds temporary memory to ~100 MB).
_CHUNK_ELEMENTS = 1 << 22


# --------------------------------------------------------------------------------------------
# hypergeometric upper tail: the one computation behind P_fm and P_fn
# --------------------------------------------------------------------------------------------


def _hypergeom_tail_exact(population: int, marked: int, draws: int, k: int) -> Fraction:
    """``P(X >= k)`` for ``X`` = number of marked items among ``draws`` drawn without replacement.

    Exact: ``sum_b C(marked, b) C(population - marked, draws - b) / C(population, draws)``.
    """
    lo = max(0, draws - (population - marked))
    hi = min(marked, draws)
    if k <= lo:
        return Fraction(1)
    if k > hi:
        return Fraction(0)
    unmarked = population - marked
    # Two binomials, then exact integer steps: C(x, y+1) = C(x, y) (x - y) / (y + 1).
    c_marked = math.comb(marked, k)
    c_unmarked = math.comb(unmarked, draws - k)
    numerator = 0
    for b in range(k, hi + 1):
        numerator += c_marked * c_unmarked
        c_marked = c_marked * (marked - b) // (b + 1)
        j = draws - b  # next term needs C(unmarked, j - 1) = C(unmarked, j) j / (unmarked - j + 1)
        c_unmarked = c_unmarked * j // (unmarked - j + 1) if j > 0 else 0
    return Fraction(numerator, math.comb(population, draws))


@lru_cache(maxsize=8)
def _log_factorial_table(size: int) -> NDArray[np.float64]:
    """``log(k!)`` for ``k = 0 .. size - 1`` (``size`` is a power of two so the cache stays small)."""
    table = np.array([math.lgamma(k + 1.0) for k in range(size)], dtype=np.float64)
    table.setflags(write=False)
    return table


def _log_factorials(max_value: int) -> NDArray[np.float64]:
    size = 1 << max(10, int(max_value + 1).bit_length())
    return _log_factorial_table(size)


# Rows whose smaller hypergeometric parameter is at most this use the product form below.
_PRODUCT_FORM_MAX = 1024


def _log_terms_lgamma(
    lf: NDArray[np.float64],
    pop: NDArray[np.int64],
    m: NDArray[np.int64],
    big: NDArray[np.int64],
    b: NDArray[np.int64],
) -> NDArray[np.float64]:
    """``log[C(m, b) C(pop - m, big - b) / C(pop, big)]`` from the log-factorial table (rows x window).

    Subtracting ``lgamma`` values of size ``~ pop log pop`` costs about ``1e-16 pop log pop``
    of absolute accuracy: 1e-10 relative at ``pop = 1e5``.
    """
    p, mm, bg = pop[:, None], m[:, None], big[:, None]
    log_den = lf[p] - lf[bg] - lf[p - bg]
    terms = lf[mm] - lf[b] - lf[mm - b] + lf[p - mm] - lf[bg - b] - lf[p - mm - bg + b] - log_den
    return np.asarray(terms, dtype=np.float64)


def _log_terms_product(
    lf: NDArray[np.float64],
    pop: NDArray[np.int64],
    m: NDArray[np.int64],
    big: NDArray[np.int64],
    b: NDArray[np.int64],
) -> NDArray[np.float64]:
    """Same terms as :func:`_log_terms_lgamma` from products of ``m`` factors (accurate to ~1e-13).

    ``C(pop - m, big - b) / C(pop, big) = prod_{i<b} (big - i) * prod_{i<m-b} (pop - big - i)
    / prod_{i<m} (pop - i)``: only logs of moderate numbers are summed, nothing cancels.
    """
    width = int(m.max())
    i = np.arange(width)[None, :]
    inside = i < m[:, None]
    zero = np.zeros((m.size, 1))
    # Guards (max with 1) only touch factors beyond the valid range, which are never read.
    cum_big = np.concatenate(
        [zero, np.cumsum(np.where(inside, np.log(np.maximum(big[:, None] - i, 1)), 0.0), 1)], 1
    )
    rest = pop[:, None] - big[:, None] - i
    cum_rest = np.concatenate([zero, np.cumsum(np.where(inside, np.log(np.maximum(rest, 1)), 0.0), 1)], 1)
    log_pop = np.where(inside, np.log(pop[:, None] - i), 0.0).sum(axis=1)
    mm = m[:, None]
    terms = (
        lf[mm]
        - lf[b]
        - lf[mm - b]
        + np.take_along_axis(cum_big, b, axis=1)
        + np.take_along_axis(cum_rest, mm - b, axis=1)
        - log_pop[:, None]
    )
    return np.asarray(terms, dtype=np.float64)


def _log_hypergeom_tail(
    population: NDArray[np.int64], marked: NDArray[np.int64], draws: NDArray[np.int64], k: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Vectorised ``log P(X >= k)`` (see :func:`_hypergeom_tail_exact`); arguments already validated.

    The law is symmetric in ``marked`` and ``draws``; the smaller one, ``m``, sets the support
    ``b = max(0, m + big - population) .. m``. Rows with ``m <= 1024`` (every segment-sized case)
    use the product form (relative error ~1e-13), larger ones the log-factorial table.
    """
    bcast = np.broadcast_arrays(population, marked, draws, k)
    shape = bcast[0].shape
    pop, mk, dr, kk = (np.ascontiguousarray(x, dtype=np.int64).ravel() for x in bcast)
    out = np.where(kk <= np.maximum(0, dr - (pop - mk)), 0.0, -np.inf)
    if pop.size == 0:
        return out.reshape(shape)
    m = np.minimum(mk, dr)
    big = np.maximum(mk, dr)
    lo = np.maximum(0, m + big - pop)
    start = np.maximum(kk, lo)
    # Rows left: a proper tail (k above the bottom of the support, at or below its top).
    todo = np.flatnonzero((kk > lo) & (start <= m))
    if todo.size == 0:
        return out.reshape(shape)
    lf = _log_factorials(int(pop.max()))
    for use_product in (True, False):
        rows = todo[(m[todo] <= _PRODUCT_FORM_MAX) == use_product]
        if rows.size == 0:
            continue
        width = m[rows] - start[rows] + 1
        per_row = int(max(width.max(), m[rows].max() if use_product else 0, 1))
        step = max(1, _CHUNK_ELEMENTS // per_row)
        for first in range(0, rows.size, step):
            r = rows[first : first + step]
            w = int((m[r] - start[r] + 1).max())
            b = start[r, None] + np.arange(w)[None, :]
            valid = b <= m[r, None]
            b = np.where(valid, b, start[r, None])
            terms_fn = _log_terms_product if use_product else _log_terms_lgamma
            terms = np.where(valid, terms_fn(lf, pop[r], m[r], big[r], b), -np.inf)
            peak = terms.max(axis=1)
            total = np.log(np.exp(terms - peak[:, None]).sum(axis=1)) + peak
            # The whole support sums to one; a tail can only round above it.
            out[r] = np.minimum(total, 0.0)
    return out.reshape(shape)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def _broadcast(arrays: dict[str, NDArray[np.int64]]) -> list[NDArray[np.int64]]:
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
        raise ValueError(f"{', '.join(arrays)} must broadcast to one shape, got {shapes}") from None


def overlap_set_size(n: int, w: int, w_x: int, b: int) -> int:
    """Number of ``w``-of-``n`` vectors overlapping a fixed vector with ``w_x`` ON bits in exactly ``b`` bits.

    ``|Omega_x(n, w, b)| = C(w_x, b) * C(n - w_x, w - b)`` (Ahmad & Hawkins 2015, eq. 2).

    Parameters
    ----------
    n : int
        Population size (number of bits).
    w : int
        ON bits of the vectors being counted (``a`` in the 2016 paper).
    w_x : int
        ON bits of the fixed vector ``x``.
    b : int
        Exact overlap.

    Returns
    -------
    int
        The count (an exact Python integer).

    Examples
    --------
    >>> overlap_set_size(4, 2, 2, 1)  # {0,1} overlaps 4 of the 6 pairs of {0..3} in one bit
    4

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If ``n < 1``, ``w``/``w_x`` is negative or larger than ``n``.
    """
    n_ = check_int("n", n, minimum=1)
    w_ = check_int("w", w, minimum=0)
    wx = check_int("w_x", w_x, minimum=0)
    b_ = check_int("b", b, minimum=0)
    if w_ > n_:
        raise ValueError(f"w must be <= n, got w={w_} > n={n_}")
    if wx > n_:
        raise ValueError(f"w_x must be <= n, got w_x={wx} > n={n_}")
    if b_ > w_ or b_ > wx:
        return 0
    return math.comb(wx, b_) * math.comb(n_ - wx, w_ - b_)


@overload
def false_match_probability(n: int, a: int, s: int, theta: int, exact: Literal[True] = ...) -> Fraction: ...
@overload
def false_match_probability(n: int, a: int, s: int, theta: int, exact: Literal[False]) -> float: ...
def false_match_probability(n: int, a: int, s: int, theta: int, exact: bool = True) -> Fraction | float:
    """Probability that a random pattern falsely matches a subsampled dendritic segment.

    ``P_fm(n, a, s, theta) = sum_{b=theta}^{s} C(s, b) C(n - s, a - b) / C(n, a)``
    (Ahmad & Hawkins 2016, eq. 3): a segment with ``s`` synapses fires an NMDA
    spike when at least ``theta`` of them see one of the ``a`` active cells of a
    uniformly random pattern over ``n`` cells.

    Parameters
    ----------
    n : int
        Population size, ``n >= 1``.
    a : int
        Active cells per pattern, ``0 <= a <= n``.
    s : int
        Synapses on the segment, ``0 <= s <= n``.
    theta : int
        NMDA threshold, ``theta <= s``. ``theta <= 0`` gives 1 (the segment always
        fires); ``theta > min(s, a)`` gives 0.
    exact : bool, default True
        ``True``: exact ``Fraction`` from integer arithmetic. ``False``: ``float``
        from the log-space path (relative error ~1e-13 when ``min(s, a) <= 1024``,
        otherwise below 1e-9 for ``n <= 1e5``).

    Returns
    -------
    fractions.Fraction or float

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If ``a > n``, ``s > n``, ``theta > s`` or a size is negative.

    Examples
    --------
    >>> float(false_match_probability(1024, 8, 4, 2))  # doctest: +ELLIPSIS
    0.000318241665415...
    """
    n_, a_, s_, t_ = check_fm_args(n, a, s, theta)
    if check_bool("exact", exact):
        return _hypergeom_tail_exact(n_, s_, a_, t_)
    return float(np.exp(_log_hypergeom_tail(*(np.array([x], dtype=np.int64) for x in (n_, s_, a_, t_)))[0]))


def log_false_match_probability(
    n: ArrayLike, a: ArrayLike, s: ArrayLike, theta: ArrayLike
) -> NDArray[np.float64]:
    """Natural log of :func:`false_match_probability`, vectorised over broadcast integer arrays.

    Parameters
    ----------
    n, a, s, theta : array_like of int
        Broadcast against each other; the same rules as
        :func:`false_match_probability` apply element-wise.

    Returns
    -------
    numpy.ndarray of float64
        ``log P_fm`` with the broadcast shape (0-d for scalar inputs); ``-inf``
        where the probability is exactly zero.

    Examples
    --------
    >>> float(np.exp(log_false_match_probability(1024, 8, 4, 2)))  # doctest: +ELLIPSIS
    0.000318241665415...

    Raises
    ------
    TypeError
        If an argument holds non-integral, boolean or non-numeric values.
    ValueError
        If the arrays do not broadcast, ``n < 1``, ``a`` or ``s`` is negative, ``a > n``, ``s > n`` or
        ``theta > s`` anywhere.
    """
    arrays = {"n": as_int_array("n", n), "a": as_int_array("a", a), "s": as_int_array("s", s)}
    arrays["theta"] = as_int_array("theta", theta)
    n_, a_, s_, t_ = _broadcast(arrays)
    if np.any(n_ < 1):
        raise ValueError("n must be >= 1 everywhere")
    if np.any(a_ < 0) or np.any(s_ < 0):
        raise ValueError("a and s must be non-negative everywhere")
    if np.any(a_ > n_):
        raise ValueError("a (active cells) must be <= n (population size) everywhere")
    if np.any(s_ > n_):
        raise ValueError("s (synapses) must be <= n (population size) everywhere")
    if np.any(t_ > s_):
        raise ValueError("theta (NMDA threshold) must be <= s (synapses) everywhere")
    return _log_hypergeom_tail(n_, s_, a_, t_)


@overload
def false_negative_probability(
    a: int, s: int, theta: int, v: int, exact: Literal[True] = ...
) -> Fraction: ...
@overload
def false_negative_probability(a: int, s: int, theta: int, v: int, exact: Literal[False]) -> float: ...
def false_negative_probability(a: int, s: int, theta: int, v: int, exact: bool = True) -> Fraction | float:
    """Probability that noise makes a segment miss the pattern it learned.

    The segment holds ``s`` synapses on ``s`` of the pattern's ``a`` active cells;
    noise turns ``v`` of the ``a`` cells off (and, irrelevant here, ``v`` others
    on). The segment fails when fewer than ``theta`` synapses stay active, i.e.
    when at least ``s - theta + 1`` synapses land on removed cells
    (Ahmad & Hawkins 2016, eq. 5):

    ``P_fn(a, s, theta, v) = sum_{b=s-theta+1}^{min(s, v)} C(s, b) C(a - s, v - b) / C(a, v)``.

    The population size ``n`` drops out.

    Parameters
    ----------
    a : int
        Active cells of the pattern, ``a >= 0``.
    s : int
        Synapses on the segment, ``0 <= s <= a``.
    theta : int
        NMDA threshold, ``theta <= s``; ``theta <= 0`` never fails (gives 0).
    v : int
        Active cells removed by noise, ``0 <= v <= a``.
    exact : bool, default True
        ``True``: exact ``Fraction``; ``False``: ``float`` from the log-space path.

    Returns
    -------
    fractions.Fraction or float

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If ``s > a``, ``theta > s``, ``v > a`` or a size is negative.

    Examples
    --------
    >>> false_negative_probability(4, 2, 2, 1)  # one of 4 cells removed hits one of 2 synapses
    Fraction(1, 2)
    """
    a_, s_, t_, v_ = check_fn_args(a, s, theta, v)
    if check_bool("exact", exact):
        return _hypergeom_tail_exact(a_, s_, v_, s_ - t_ + 1)
    arrays = (np.array([x], dtype=np.int64) for x in (a_, s_, v_, s_ - t_ + 1))
    return float(np.exp(_log_hypergeom_tail(*arrays)[0]))


def log_false_negative_probability(
    a: ArrayLike, s: ArrayLike, theta: ArrayLike, v: ArrayLike
) -> NDArray[np.float64]:
    """Natural log of :func:`false_negative_probability`, vectorised over broadcast integer arrays.

    Returns ``-inf`` where the probability is exactly zero.

    Parameters
    ----------
    a, s, theta, v : array-like of int
        Active cells, synapses, NMDA threshold and cells removed by noise (broadcast together).

    Returns
    -------
    numpy.ndarray of float
        ``log P_fn`` at every broadcast point.

    Raises
    ------
    TypeError
        If an argument holds non-integral, boolean or non-numeric values.
    ValueError
        If the arrays do not broadcast, a size is negative, ``s > a``, ``theta > s`` or ``v > a`` anywhere.

    Examples
    --------
    >>> float(np.exp(log_false_negative_probability(128, 30, 8, 64)))  # doctest: +ELLIPSIS
    0.000735429456875...
    """
    a_, s_, t_, v_ = _broadcast(
        {
            "a": as_int_array("a", a),
            "s": as_int_array("s", s),
            "theta": as_int_array("theta", theta),
            "v": as_int_array("v", v),
        }
    )
    if np.any(a_ < 0) or np.any(s_ < 0) or np.any(v_ < 0):
        raise ValueError("a, s and v must be non-negative everywhere")
    if np.any(s_ > a_):
        raise ValueError("s (synapses) must be <= a (active cells) everywhere")
    if np.any(t_ > s_):
        raise ValueError("theta (NMDA threshold) must be <= s (synapses) everywhere")
    if np.any(v_ > a_):
        raise ValueError("v (noise) must be <= a (active cells) everywhere")
    return _log_hypergeom_tail(a_, s_, v_, s_ - t_ + 1)
