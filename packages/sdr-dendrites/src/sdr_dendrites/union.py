"""Unions of patterns on one segment, and classification against a set of stored patterns.

Ahmad & Hawkins (2016), section "Union property": a segment stores ``M``
patterns by keeping ``s`` synapses for each. Two quantities are on offer and
every function names which one it computes:

* ``method="expected"``: the paper's plug-in. A cell is still unused after ``M``
  independent ``s``-subsets with probability ``p0 = (1 - s/n)^M``; the expected
  number of distinct synapses ``s_M = n (1 - p0)`` is rounded to the nearest
  integer and put into ``P_fm(n, a, s_M, theta)``.
* ``method="exact_mixture"``: the number of distinct synapses ``U_M`` is random.
  Its law follows the Markov chain ``U_1 = s``,
  ``P(U_{k+1} = u + j | U_k = u) = C(n - u, j) C(u, s - j) / C(n, s)``, and
  ``P_union = sum_u P(U_M = u) P_fm(n, a, u, theta)``. This is the exact
  probability for independent uniform ``s``-subsets.

The plug-in is an approximation with no fixed sign: it sits below the mixture
for n=1000, a=200, s=25, theta=15, M=2 (0.0474 vs 0.0508), but above it for
n=10000, a=300, s=24, theta=12, M=2, where ``s_M = 47.94`` rounds up to 48.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._validation import check_bool, check_int
from .probability import _hypergeom_tail_exact, _log_factorials, _log_hypergeom_tail

__all__ = [
    "UnionSize",
    "set_false_match_probability",
    "union_false_match_probability",
    "union_size_distribution",
    "union_synapses",
]

UnionMethod = Literal["expected", "exact_mixture"]
SetBound = Literal["union", "independent"]


class UnionSize(NamedTuple):
    """Expected number of distinct synapses after ``M`` unions, and its nearest integer."""

    expected: float
    rounded: int


def _check_union_args(n: object, s: object, m: object) -> tuple[int, int, int]:
    n_ = check_int("n", n, minimum=1)
    s_ = check_int("s", s, minimum=0)
    m_ = check_int("m", m, minimum=1)
    if s_ > n_:
        raise ValueError(f"s (synapses per pattern) must be <= n (population size), got s={s_} > n={n_}")
    return n_, s_, m_


def union_synapses(n: int, s: int, m: int) -> UnionSize:
    """Expected distinct synapses of a segment holding ``m`` independent ``s``-subsets of ``n`` cells.

    ``s_M = n (1 - (1 - s/n)^M)``; ``rounded`` is the nearest integer, halves
    rounded up (as in Numenta's script for the paper's union figure).

    Parameters
    ----------
    n : int
        Population size.
    s : int
        Synapses kept per stored pattern, ``s <= n``.
    m : int
        Number of stored patterns ``M >= 1``.

    Returns
    -------
    UnionSize
        ``(expected, rounded)``.

    Examples
    --------
    >>> union_synapses(1000, 25, 2)
    UnionSize(expected=49.375, rounded=49)

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If ``n < 1``, ``m < 1``, ``s < 0`` or ``s > n``.
    """
    n_, s_, m_ = _check_union_args(n, s, m)
    unused = (Fraction(n_ - s_, n_)) ** m_
    expected = n_ * (1 - unused)
    return UnionSize(float(expected), math.floor(expected + Fraction(1, 2)))


def union_size_distribution(
    n: int, s: int, m: int, exact: bool = True
) -> tuple[NDArray[np.int64], list[Fraction] | NDArray[np.float64]]:
    """Law of the number of distinct synapses ``U_M`` after ``m`` independent ``s``-subsets of ``n`` cells.

    Markov chain ``U_1 = s``, ``P(U_{k+1} = u + j | U_k = u) = C(n-u, j) C(u, s-j) / C(n, s)``.

    Parameters
    ----------
    n, s, m : int
        Population size, synapses per pattern, number of patterns ``M``.
    exact : bool, default True
        ``True``: probabilities as ``Fraction`` (integer weights over
        ``C(n, s)^(M-1)``); ``False``: float64 from log-space transition terms.

    Returns
    -------
    sizes : numpy.ndarray of int64
        Possible values ``u = s .. min(n, M s)``.
    probabilities : list of Fraction or numpy.ndarray of float64
        ``P(U_M = u)`` for each size; they sum to one.

    Raises
    ------
    TypeError
        If a size is not an integer or ``exact`` is not a bool.
    ValueError
        If ``n < 1``, ``m < 1``, ``s < 0`` or ``s > n``.

    Examples
    --------
    >>> sizes, probs = union_size_distribution(10, 3, 2)
    >>> int(sizes[0]), int(sizes[-1]), sum(probs)
    (3, 6, Fraction(1, 1))
    """
    n_, s_, m_ = _check_union_args(n, s, m)
    exact = check_bool("exact", exact)
    top = min(n_, m_ * s_)
    sizes = np.arange(s_, top + 1, dtype=np.int64)
    if exact:
        # Integer weights: P(U_k = u) = weight[u] / C(n, s)^(k - 1); no gcd work inside the chain.
        weights: dict[int, int] = {s_: 1}
        for _ in range(m_ - 1):
            nxt: dict[int, int] = {}
            for u, w in weights.items():
                for j in range(max(0, s_ - u), min(s_, n_ - u) + 1):
                    t = math.comb(n_ - u, j) * math.comb(u, s_ - j)
                    if t:
                        nxt[u + j] = nxt.get(u + j, 0) + w * t
            weights = nxt
        den = math.comb(n_, s_) ** (m_ - 1)
        return sizes, [Fraction(weights.get(int(u), 0), den) for u in sizes]
    lf = _log_factorials(n_)
    prob = np.zeros(top + 1, dtype=np.float64)
    prob[s_] = 1.0
    log_den = lf[n_] - lf[s_] - lf[n_ - s_]
    for _ in range(m_ - 1):
        nxt_p = np.zeros_like(prob)
        occupied = np.nonzero(prob)[0]
        for j in range(0, s_ + 1):
            ok = (occupied >= s_ - j) & (occupied + j <= n_)
            uu = occupied[ok]
            if uu.size == 0:
                continue
            log_t = lf[n_ - uu] - lf[j] - lf[n_ - uu - j] + lf[uu] - lf[s_ - j] - lf[uu - s_ + j] - log_den
            np.add.at(nxt_p, uu + j, prob[uu] * np.exp(log_t))
        prob = nxt_p
    return sizes, prob[s_:]


def _check_fm_union(
    n: object, a: object, s: object, theta: object, m: object
) -> tuple[int, int, int, int, int]:
    n_, s_, m_ = _check_union_args(n, s, m)
    a_ = check_int("a", a, minimum=0)
    t_ = check_int("theta", theta)
    if a_ > n_:
        raise ValueError(f"a (active cells) must be <= n (population size), got a={a_} > n={n_}")
    if t_ > min(n_, m_ * s_):
        raise ValueError(
            f"theta (NMDA threshold) must be <= min(n, m*s), the most synapses a union can hold, got theta={t_}"
        )
    return n_, a_, s_, t_, m_


def union_false_match_probability(
    n: int,
    a: int,
    s: int,
    theta: int,
    m: int,
    method: UnionMethod = "expected",
    exact: bool = True,
) -> Fraction | float:
    """False-match probability of a segment that stores the union of ``m`` patterns.

    Parameters
    ----------
    n, a : int
        Population size and active cells per pattern.
    s : int
        Synapses kept for each stored pattern.
    theta : int
        NMDA threshold, ``theta <= min(n, m*s)``.
    m : int
        Number of stored patterns ``M``.
    method : {"expected", "exact_mixture"}
        ``"expected"``: the paper's plug-in ``P_fm(n, a, round(s_M), theta)``.
        ``"exact_mixture"``: ``sum_u P(U_M = u) P_fm(n, a, u, theta)``.
    exact : bool, default True
        ``Fraction`` from integer arithmetic, or ``float`` from the log-space path.

    Returns
    -------
    fractions.Fraction or float

    Examples
    --------
    >>> p_plug = union_false_match_probability(1000, 200, 25, 15, 2, method="expected", exact=False)
    >>> p_mix = union_false_match_probability(1000, 200, 25, 15, 2, method="exact_mixture", exact=False)
    >>> bool(p_plug < p_mix)
    True

    Raises
    ------
    TypeError
        If a size is not an integer or ``exact`` is not a bool.
    ValueError
        If a size is out of range (``a > n``, ``s > n``, ``theta > s``, ``m < 1``) or ``method`` is unknown.
    """
    n_, a_, s_, t_, m_ = _check_fm_union(n, a, s, theta, m)
    exact = check_bool("exact", exact)
    if method == "expected":
        u = union_synapses(n_, s_, m_).rounded
        if exact:
            return _hypergeom_tail_exact(n_, u, a_, t_)
        args = (np.array([x], dtype=np.int64) for x in (n_, u, a_, t_))
        return float(np.exp(_log_hypergeom_tail(*args)[0]))
    if method == "exact_mixture":
        sizes, probs = union_size_distribution(n_, s_, m_, exact=exact)
        if exact:
            assert isinstance(probs, list)
            return sum(
                (
                    p * _hypergeom_tail_exact(n_, int(u), a_, t_)
                    for u, p in zip(sizes, probs, strict=True)
                    if p
                ),
                Fraction(0),
            )
        log_fm = _log_hypergeom_tail(
            np.full(sizes.shape, n_), sizes, np.full(sizes.shape, a_), np.full(sizes.shape, t_)
        )
        return float(np.sum(np.asarray(probs) * np.exp(log_fm)))
    raise ValueError(f"method must be 'expected' or 'exact_mixture', got {method!r}")


def set_false_match_probability(
    n: int, w: int, theta: int, m: int, bound: SetBound = "union", exact: bool = True
) -> Fraction | float:
    """Probability that a random vector falsely matches at least one of ``m`` stored vectors.

    Each stored vector has ``w`` ON bits out of ``n`` and is matched in full
    (``s = w``), with threshold ``theta``; ``p = P_fm(n, w, w, theta)``.

    * ``bound="union"``: the paper's union bound ``min(1, M p)``.
    * ``bound="independent"``: ``1 - (1 - p)^M``. For stored vectors drawn
      independently and uniformly this is exact: given the test vector, each
      stored vector matches independently with the same probability ``p``.

    Parameters
    ----------
    n, w : int
        Population size and ON bits per vector (``a`` in the 2016 paper).
    theta : int
        Match threshold, ``theta <= w``.
    m : int
        Number of stored vectors ``M >= 1``.
    bound : {"union", "independent"}
    exact : bool, default True
        ``Fraction`` or ``float``.

    Returns
    -------
    fractions.Fraction or float

    Raises
    ------
    TypeError
        If a size is not an integer or ``exact`` is not a bool.
    ValueError
        If ``n < 1``, ``m < 1``, ``w`` is negative or larger than ``n``, ``theta > w`` or ``bound`` is unknown.

    Examples
    --------
    >>> round(float(set_false_match_probability(100, 7, 4, 500, "independent")), 4)
    0.1347
    """
    n_ = check_int("n", n, minimum=1)
    w_ = check_int("w", w, minimum=0)
    t_ = check_int("theta", theta)
    m_ = check_int("m", m, minimum=1)
    if w_ > n_:
        raise ValueError(f"w (ON bits) must be <= n (population size), got w={w_} > n={n_}")
    if t_ > w_:
        raise ValueError(f"theta (match threshold) must be <= w, got theta={t_} > w={w_}")
    if bound not in ("union", "independent"):
        raise ValueError(f"bound must be 'union' or 'independent', got {bound!r}")
    exact = check_bool("exact", exact)
    p = _hypergeom_tail_exact(n_, w_, w_, t_)
    if bound == "union":
        q = min(Fraction(1), m_ * p)
        return q if exact else float(q)
    if exact:
        return 1 - (1 - p) ** m_
    # -expm1(M log1p(-p)) keeps full relative precision when M p is tiny.
    pf = float(p)
    return 1.0 if pf >= 1.0 else float(-np.expm1(m_ * np.log1p(-pf)))
