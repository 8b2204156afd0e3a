"""Dendritic segments and neurons over ``neurotypes.SDR``, and a vectorised Monte-Carlo simulator.

A :class:`DendriteSegment` keeps ``s`` synapses on cells of a pattern it learns
(a uniform subsample of the pattern's active cells) and fires an NMDA spike
when at least ``theta`` of its synapses see active cells. A
:class:`DendriticNeuron` holds many segments and responds when any of them
fires.

:func:`simulate` estimates the paper's error rates by sampling and returns an
estimate with its standard error, so the formulas in
:mod:`sdr_dendrites.probability` and :mod:`sdr_dendrites.union` can be checked
against counts.

Design of the simulator (why its standard error is the binomial one)
--------------------------------------------------------------------
To reach millions of comparisons per second, every test pattern is compared
against a block of independently learned segments. The match indicators of
two comparisons that share a test pattern are still uncorrelated, because for
a uniformly random segment the match probability given the test pattern is
the same for every pattern (permutation symmetry). In the false-match and
false-negative designs a segment is also shared by many test patterns, and the
same argument holds given the segment. All indicators are therefore pairwise
uncorrelated with mean ``p``, and the variance of the estimated rate is
exactly ``p (1 - p) / N``. Union segments are not shared (their match
probability depends on their random size), only test patterns are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from neurotypes import SDR

from ._validation import check_int, check_rng
from .data import _subsets

__all__ = [
    "DendriteSegment",
    "DendriticNeuron",
    "PatternMatches",
    "SimulationKind",
    "SimulationResult",
    "segment_false_matches",
    "simulate",
]

SimulationKind = Literal["false_match", "false_negative", "union", "set"]

# Booleans gathered per chunk in the simulator (bounds temporary memory to a few tens of MB).
_CHUNK_ELEMENTS = 1 << 23


def _check_sdr(name: str, pattern: object, n: int) -> SDR:
    if not isinstance(pattern, SDR):
        raise TypeError(f"{name} must be a neurotypes.SDR, got {type(pattern).__name__}")
    if pattern.n != n:
        raise ValueError(f"{name} must have n={n} cells, got n={pattern.n}")
    return pattern


def _subsample(pattern: SDR, s: int, gen: np.random.Generator, name: str = "pattern") -> NDArray[np.int64]:
    if pattern.size < s:
        raise ValueError(f"{name} has {pattern.size} active cells, fewer than s={s} synapses to place")
    pos = _subsets(pattern.size, s, 1, gen, sort=False)[0]
    return np.asarray(pattern.active[pos], dtype=np.int64)


class DendriteSegment:
    """A dendritic segment that subsamples the active cells of the pattern(s) it learns.

    Parameters
    ----------
    n : int
        Number of presynaptic cells.
    s : int
        Synapses kept per learned pattern, ``0 <= s <= n``.
    theta : int
        NMDA threshold: the segment fires when at least ``theta`` synapses see
        active cells, ``theta >= 0``.

    Attributes
    ----------
    synapses_ : numpy.ndarray of int64
        Sorted presynaptic cell indices, set by :meth:`learn` or :meth:`union_learn`.

    Raises
    ------
    TypeError
        If a size is not an integer; :meth:`learn`/:meth:`respond` if a pattern is not a ``neurotypes.SDR``.
    ValueError
        If ``n < 1``, ``s < 0``, ``s > n`` or ``theta > s``; if a pattern has another ``n`` or fewer than ``s``
        active cells.

    Examples
    --------
    >>> x = SDR(100, range(10))
    >>> seg = DendriteSegment(100, s=4, theta=3).learn(x, rng=0)
    >>> seg.respond(x), seg.overlap(x)
    (True, 4)
    """

    synapses_: NDArray[np.int64]

    def __init__(self, n: int, s: int, theta: int) -> None:
        self.n = check_int("n", n, minimum=1)
        self.s = check_int("s", s, minimum=0)
        self.theta = check_int("theta", theta, minimum=0)
        if self.s > self.n:
            raise ValueError(f"s (synapses) must be <= n (cells), got s={self.s} > n={self.n}")
        if self.theta > self.s:
            raise ValueError(
                f"theta (NMDA threshold) must be <= s (synapses), got theta={self.theta} > s={self.s}"
            )

    def learn(self, pattern: SDR, rng: np.random.Generator | int | None = None) -> Self:
        """Place ``s`` synapses on a uniformly random subset of ``pattern``'s active cells."""
        _check_sdr("pattern", pattern, self.n)
        self.synapses_ = np.sort(_subsample(pattern, self.s, check_rng(rng, "rng")))
        return self

    def union_learn(self, patterns: Iterable[SDR], rng: np.random.Generator | int | None = None) -> Self:
        """Store several patterns: ``s`` synapses on each, drawn independently; their union is kept."""
        gen = check_rng(rng, "rng")
        items = list(patterns)
        if not items:
            raise ValueError("patterns must hold at least one SDR")
        parts = [
            _subsample(_check_sdr(f"patterns[{i}]", p, self.n), self.s, gen) for i, p in enumerate(items)
        ]
        self.synapses_ = np.unique(np.concatenate(parts))
        return self

    def _fitted(self) -> NDArray[np.int64]:
        if not hasattr(self, "synapses_"):
            raise RuntimeError(
                "this DendriteSegment has not learned a pattern yet: call learn() or union_learn()"
            )
        return self.synapses_

    def overlap(self, pattern: SDR) -> int:
        """Number of the segment's synapses on cells active in ``pattern``."""
        syn = self._fitted()
        _check_sdr("pattern", pattern, self.n)
        return int(np.isin(syn, pattern.active, assume_unique=True).sum())

    def respond(self, pattern: SDR) -> bool:
        """True when ``pattern`` drives at least ``theta`` synapses (an NMDA spike)."""
        return self.overlap(pattern) >= self.theta

    def __repr__(self) -> str:
        learned = f", synapses={self.synapses_.size}" if hasattr(self, "synapses_") else ""
        return f"DendriteSegment(n={self.n}, s={self.s}, theta={self.theta}{learned})"


class DendriticNeuron:
    """A neuron with many dendritic segments; it responds when any segment fires.

    Segments are stored as one padded index array (padding points at a
    sentinel cell ``n`` that is never active), so responses to many patterns
    are computed at once.

    Parameters
    ----------
    n : int
        Number of presynaptic cells.
    s : int
        Synapses kept per learned pattern.
    theta : int
        NMDA threshold of every segment.

    Attributes
    ----------
    segments_ : numpy.ndarray of int64, shape (n_segments, max_synapses)
        Synapse indices per segment, padded with ``n``.

    Raises
    ------
    TypeError
        If a size is not an integer; :meth:`learn`/:meth:`respond` if a pattern is not a ``neurotypes.SDR``.
    ValueError
        If ``n < 1``, ``s < 0``, ``s > n`` or ``theta > s``; if a pattern has another ``n`` or fewer than ``s``
        active cells.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> stored = [SDR.random(1000, 20, rng) for _ in range(5)]
    >>> cell = DendriticNeuron(1000, s=10, theta=6).learn(stored, rng=rng)
    >>> bool(cell.respond(stored[3]))
    True
    """

    segments_: NDArray[np.int64]

    def __init__(self, n: int, s: int, theta: int) -> None:
        self.n = check_int("n", n, minimum=1)
        self.s = check_int("s", s, minimum=0)
        self.theta = check_int("theta", theta, minimum=0)
        if self.s > self.n:
            raise ValueError(f"s (synapses) must be <= n (cells), got s={self.s} > n={self.n}")
        if self.theta > self.s:
            raise ValueError(
                f"theta (NMDA threshold) must be <= s (synapses), got theta={self.theta} > s={self.s}"
            )

    @property
    def n_segments(self) -> int:
        """Number of segments learned so far (0 before :meth:`learn`)."""
        return int(self.segments_.shape[0]) if hasattr(self, "segments_") else 0

    def learn(self, patterns: Iterable[SDR], rng: np.random.Generator | int | None = None) -> Self:
        """Learn one segment per pattern (``s`` synapses on a random subset of its active cells)."""
        gen = check_rng(rng, "rng")
        items = list(patterns)
        if not items:
            raise ValueError("patterns must hold at least one SDR")
        rows = [_subsample(_check_sdr(f"patterns[{i}]", p, self.n), self.s, gen) for i, p in enumerate(items)]
        self.segments_ = np.sort(np.stack(rows), axis=1) if self.s else np.empty((len(rows), 0), np.int64)
        return self

    def union_learn(
        self, groups: Iterable[Iterable[SDR]], rng: np.random.Generator | int | None = None
    ) -> Self:
        """Learn one segment per group of patterns, each segment the union of ``s``-subsamples of its group."""
        gen = check_rng(rng, "rng")
        segs = [DendriteSegment(self.n, self.s, self.theta).union_learn(g, gen).synapses_ for g in groups]
        if not segs:
            raise ValueError("groups must hold at least one group of patterns")
        width = max(seg.size for seg in segs)
        out = np.full((len(segs), width), self.n, dtype=np.int64)
        for i, seg in enumerate(segs):
            out[i, : seg.size] = seg
        self.segments_ = out
        return self

    def _masks(self, patterns: SDR | Sequence[SDR] | NDArray[np.bool_]) -> NDArray[np.bool_]:
        if isinstance(patterns, SDR):
            patterns = [patterns]
        if isinstance(patterns, np.ndarray):
            if patterns.dtype != np.bool_ or patterns.ndim != 2 or patterns.shape[1] != self.n:
                raise ValueError(f"patterns as an array must be boolean with shape (N, {self.n})")
            dense = patterns
        else:
            items = list(patterns)
            dense = np.zeros((len(items), self.n), dtype=np.bool_)
            for i, p in enumerate(items):
                dense[i, _check_sdr(f"patterns[{i}]", p, self.n).active] = True
        # A last column that is never active: the sentinel the padding points at.
        return np.concatenate([dense, np.zeros((dense.shape[0], 1), dtype=np.bool_)], axis=1)

    def segment_overlaps(self, patterns: SDR | Sequence[SDR] | NDArray[np.bool_]) -> NDArray[np.int64]:
        """Overlap of every pattern with every segment, shape ``(n_patterns, n_segments)``.

        ``patterns`` is one SDR, a sequence of SDRs, or a dense boolean array ``(N, n)``.
        """
        if not hasattr(self, "segments_"):
            raise RuntimeError("this DendriticNeuron has no segments yet: call learn() or union_learn()")
        masks = self._masks(patterns)
        return np.asarray(masks[:, self.segments_].sum(axis=2), dtype=np.int64)

    def respond(self, patterns: SDR | Sequence[SDR] | NDArray[np.bool_]) -> NDArray[np.bool_]:
        """Whether any segment reaches ``theta`` active synapses, one boolean per pattern."""
        return np.asarray(np.any(self.segment_overlaps(patterns) >= self.theta, axis=1), dtype=np.bool_)

    def __repr__(self) -> str:
        return f"DendriticNeuron(n={self.n}, s={self.s}, theta={self.theta}, n_segments={self.n_segments})"


# --------------------------------------------------------------------------------------------
# Monte-Carlo simulator
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate`: the observed rate, its binomial standard error and the counts."""

    kind: str
    estimate: float
    stderr: float
    n_trials: int
    n_events: int
    params: dict[str, int]

    def zscore(self, p: float) -> float:
        """``(estimate - p) / sqrt(p (1 - p) / n_trials)``: distance from a predicted ``p`` in standard errors."""
        sd = math.sqrt(p * (1.0 - p) / self.n_trials)
        if sd == 0.0:
            return 0.0 if self.estimate == p else math.inf
        return (self.estimate - p) / sd


def _masks_from_rows(rows: NDArray[np.signedinteger[Any]], n: int) -> NDArray[np.bool_]:
    """Dense masks (with a never-active sentinel column ``n``) of index rows."""
    masks = np.zeros((rows.shape[0], n + 1), dtype=np.bool_)
    np.put_along_axis(masks, rows, True, axis=1)
    masks[:, n] = False
    return masks


def _chunks(total: int, rows: int) -> Iterator[int]:
    """Sizes of consecutive chunks of at most ``rows`` that add up to ``total``."""
    for first in range(0, total, rows):
        yield min(rows, total - first)


def _block_shape(n_trials: int, per_block: int) -> tuple[int, int]:
    k = max(1, min(n_trials, per_block))
    return math.ceil(n_trials / k), k


def _sim_false_match(
    n: int, a: int, s: int, theta: int, blocks: tuple[int, int], gen: np.random.Generator, bar: tqdm
) -> int:
    # K learned segments (each from its own random pattern) x J random test patterns.
    j_count, k_count = blocks
    learned = _subsets(n, a, k_count, gen, sort=False)
    picks = _subsets(a, s, k_count, gen, sort=False)
    segments = np.take_along_axis(learned, picks, axis=1)  # (K, s)
    events = 0
    rows = max(1, _CHUNK_ELEMENTS // max(1, k_count * s))
    for count in _chunks(j_count, rows):
        masks = _masks_from_rows(_subsets(n, a, count, gen, sort=False), n)
        events += int(np.count_nonzero(masks[:, segments].sum(axis=2) >= theta))
        bar.update(count * k_count)
    return events


def _sim_false_negative(
    n: int, a: int, s: int, theta: int, v: int, blocks: tuple[int, int], gen: np.random.Generator, bar: tqdm
) -> int:
    # One learned pattern x; K segments subsample it; J noisy copies (v active cells moved elsewhere).
    j_count, k_count = blocks
    x = _subsets(n, a, 1, gen, sort=False)[0]
    inactive = np.setdiff1d(np.arange(n), x, assume_unique=True)
    segments = x[_subsets(a, s, k_count, gen, sort=False)]  # (K, s)
    events = 0
    rows = max(1, _CHUNK_ELEMENTS // max(1, k_count * s))
    for count in _chunks(j_count, rows):
        masks = np.zeros((count, n + 1), dtype=np.bool_)
        masks[:, x] = True
        removed = x[_subsets(a, v, count, gen, sort=False)]
        added = inactive[_subsets(inactive.size, v, count, gen, sort=False)]
        np.put_along_axis(masks, removed, False, axis=1)
        np.put_along_axis(masks, added, True, axis=1)
        events += int(np.count_nonzero(masks[:, segments].sum(axis=2) < theta))
        bar.update(count * k_count)
    return events


def _sim_union(
    n: int, a: int, s: int, theta: int, m: int, blocks: tuple[int, int], gen: np.random.Generator, bar: tqdm
) -> int:
    # J test patterns, each against K union segments of its own (segments are never shared: their
    # match probability depends on their random size). A segment is the union of m independent
    # s-subsamples of m independent uniform patterns, i.e. of m independent uniform s-subsets of n.
    j_count, k_count = blocks
    events = 0
    width = m * s
    rows = max(1, _CHUNK_ELEMENTS // max(1, k_count * width))
    for count in _chunks(j_count, rows):
        masks = _masks_from_rows(_subsets(n, a, count, gen, sort=False), n)
        syn = _subsets(n, s, count * k_count * m, gen, sort=False).reshape(count, k_count, width)
        syn.sort(axis=2)
        hits = np.take_along_axis(masks[:, None, :], syn, axis=2)
        hits[:, :, 1:] &= syn[:, :, 1:] != syn[:, :, :-1]  # count each distinct synapse once
        events += int(np.count_nonzero(hits.sum(axis=2) >= theta))
        bar.update(count * k_count)
    return events


def _sim_set(
    n: int, a: int, theta: int, m: int, blocks: tuple[int, int], gen: np.random.Generator, bar: tqdm
) -> int:
    # J test patterns, each against K neurons of its own; a neuron stores m random a-of-n patterns whole
    # (s = a) and falsely matches when any stored pattern overlaps the test pattern in >= theta cells.
    j_count, k_count = blocks
    events = 0
    rows = max(1, _CHUNK_ELEMENTS // max(1, k_count * m * a))
    for count in _chunks(j_count, rows):
        masks = _masks_from_rows(_subsets(n, a, count, gen, sort=False), n)
        stored = _subsets(n, a, count * k_count * m, gen, sort=False).reshape(count, k_count * m * a)
        over = np.take_along_axis(masks, stored, axis=1).reshape(count, k_count, m, a).sum(axis=3)
        events += int(np.count_nonzero(np.any(over >= theta, axis=2)))
        bar.update(count * k_count)
    return events


def simulate(
    kind: SimulationKind,
    *,
    n: int,
    a: int,
    s: int | None = None,
    theta: int,
    v: int = 0,
    m: int = 1,
    n_trials: int = 200_000,
    seed: np.random.Generator | int | None = 0,
    progress: bool = False,
) -> SimulationResult:
    """Estimate an error rate of dendritic segments by Monte-Carlo sampling.

    Parameters
    ----------
    kind : {"false_match", "false_negative", "union", "set"}
        * ``"false_match"``: a segment with ``s`` synapses learned from a random
          pattern fires on an independent random pattern (predicts ``P_fm(n, a, s, theta)``).
        * ``"false_negative"``: a segment fails on its own pattern after ``v`` of
          the ``a`` active cells are replaced by others (predicts ``P_fn(a, s, theta, v)``).
        * ``"union"``: a segment storing ``m`` patterns (``s`` synapses each, union
          of independent draws) fires on a random pattern (predicts the exact
          mixture of :func:`~sdr_dendrites.union_false_match_probability`).
        * ``"set"``: a random pattern overlaps at least one of ``m`` stored
          ``a``-of-``n`` patterns in ``theta`` or more cells (predicts
          ``1 - (1 - P_fm(n, a, a, theta))^m``; ``s`` is ignored).
    n, a : int
        Population size and active cells per pattern.
    s : int, optional
        Synapses per learned pattern (required except for ``"set"``).
    theta : int
        NMDA threshold.
    v : int, default 0
        Active cells replaced by noise (``"false_negative"`` only).
    m : int, default 1
        Stored patterns (``"union"`` and ``"set"``).
    n_trials : int, default 200000
        Number of pattern comparisons, rounded up to whole blocks.
    seed : int or numpy.random.Generator, default 0
        The same seed gives the same numbers.
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    SimulationResult
        ``estimate`` (events / trials), ``stderr = sqrt(est (1 - est) / n_trials)``.

    Examples
    --------
    >>> r = simulate("false_match", n=300, a=64, s=24, theta=12, n_trials=20_000, seed=1)
    >>> r.n_trials >= 20_000
    True

    Raises
    ------
    TypeError
        If a size is not an integer or ``seed`` is not a seed or Generator.
    ValueError
        If ``kind`` is unknown or a size is out of range for it (``a > n``, ``s > a``, ``theta > s``,
        ``v > a``, ``n_trials < 1``).
    """
    n_ = check_int("n", n, minimum=1)
    a_ = check_int("a", a, minimum=0)
    t_ = check_int("theta", theta, minimum=0)
    v_ = check_int("v", v, minimum=0)
    m_ = check_int("m", m, minimum=1)
    trials = check_int("n_trials", n_trials, minimum=1)
    if a_ > n_:
        raise ValueError(f"a (active cells) must be <= n (population size), got a={a_} > n={n_}")
    if kind == "set":
        s_ = a_
    else:
        if s is None:
            raise ValueError(f"s (synapses) is required for kind={kind!r}")
        s_ = check_int("s", s, minimum=0)
        if s_ > a_:
            raise ValueError(
                f"s (synapses) must be <= a: a segment subsamples active cells, got s={s_} > a={a_}"
            )
    if kind == "false_negative" and v_ > min(a_, n_ - a_):
        raise ValueError(f"v (noise) must be <= a and <= n - a (cells to move it to), got v={v_}")
    gen = check_rng(seed)
    params = {"n": n_, "a": a_, "s": s_, "theta": t_, "v": v_, "m": m_}
    # Segments (or neurons) per test pattern: enough to amortise drawing the test pattern.
    per_block = {"false_match": 1024, "false_negative": 1024, "union": 256, "set": 64}
    if kind not in per_block:
        raise ValueError(f"kind must be one of {sorted(per_block)}, got {kind!r}")
    blocks = _block_shape(trials, per_block[kind])
    total = blocks[0] * blocks[1]
    with tqdm(total=total, desc=f"simulate {kind}", unit="cmp", disable=not progress) as bar:
        if kind == "false_match":
            events = _sim_false_match(n_, a_, s_, t_, blocks, gen, bar)
        elif kind == "false_negative":
            events = _sim_false_negative(n_, a_, s_, t_, v_, blocks, gen, bar)
        elif kind == "union":
            events = _sim_union(n_, a_, s_, t_, m_, blocks, gen, bar)
        else:
            events = _sim_set(n_, a_, t_, m_, blocks, gen, bar)
    est = events / total
    return SimulationResult(kind, est, math.sqrt(est * (1.0 - est) / total), total, events, params)


@dataclass(frozen=True)
class PatternMatches:
    """Outcome of :func:`segment_false_matches`: false matches on the user's patterns vs random patterns.

    Attributes
    ----------
    n : int
        Cells per pattern.
    n_patterns : int
        Patterns read.
    mean_active : float
        Mean number of active cells per pattern.
    s, theta : int
        Synapses per segment and NMDA threshold.
    n_segments : int
        Segments learned (one per pattern with at least ``s`` active cells).
    n_comparisons : int
        Segment-pattern comparisons (every segment against every other pattern).
    observed : float
        Fraction of the comparisons in which the segment matched (overlap >= theta).
    predicted : float
        The same average for uniformly random patterns of the same sizes: the mean of the exact
        ``P_fm(n, a_j, s, theta)`` over the compared patterns ``j``.
    """

    n: int
    n_patterns: int
    mean_active: float
    s: int
    theta: int
    n_segments: int
    n_comparisons: int
    observed: float
    predicted: float


def segment_false_matches(
    patterns: Sequence[SDR], s: int, theta: int, *, seed: int | np.random.Generator | None = None
) -> PatternMatches:
    """How often a segment learned on one pattern matches the *other* patterns of a collection.

    Each pattern with at least ``s`` active cells teaches one segment (``s`` of its active cells, drawn
    uniformly); the segment is compared with every other pattern, and matches when at least ``theta`` of its
    synapses see active cells. For uniformly random patterns the expected rate is the paper's false-match
    probability; on recorded activity the gap between ``observed`` and ``predicted`` measures how far the
    code's correlations change the theory's answer.

    Parameters
    ----------
    patterns : sequence of neurotypes.SDR
        At least two patterns over the same number of cells (e.g. :func:`sdr_dendrites.read_patterns`).
    s : int
        Synapses per segment, >= 1.
    theta : int
        NMDA threshold, ``1 <= theta <= s``.
    seed : int, numpy.random.Generator or None
        Randomness of the segments.

    Returns
    -------
    PatternMatches

    Raises
    ------
    TypeError
        If ``patterns`` is not a sequence of SDRs or a size is not an integer.
    ValueError
        If fewer than two patterns are given, their sizes differ, ``theta`` is out of range, or no pattern has
        ``s`` active cells.

    Examples
    --------
    >>> from neurotypes import SDR
    >>> pats = [SDR(6, [0, 1, 2]), SDR(6, [0, 1, 5]), SDR(6, [3, 4, 5])]
    >>> r = segment_false_matches(pats, s=3, theta=2, seed=0)
    >>> r.n_comparisons, r.observed
    (6, 0.3333333333333333)
    """
    from .probability import false_match_probability

    if isinstance(patterns, SDR) or not isinstance(patterns, Sequence):
        raise TypeError(f"patterns must be a sequence of neurotypes.SDR, got {type(patterns).__name__}")
    if len(patterns) < 2:
        raise ValueError(f"patterns must hold at least 2 patterns, got {len(patterns)}")
    if not isinstance(patterns[0], SDR):
        raise TypeError(f"patterns[0] must be a neurotypes.SDR, got {type(patterns[0]).__name__}")
    n = patterns[0].n
    pats = [_check_sdr(f"patterns[{i}]", p, n) for i, p in enumerate(patterns)]
    s_ = check_int("s", s, minimum=1)
    theta_ = check_int("theta", theta, minimum=1)
    if s_ > n:
        raise ValueError(f"s (synapses) must be <= n (cells per pattern), got s={s_} > n={n}")
    if theta_ > s_:
        raise ValueError(f"theta must be <= s, got theta={theta_} > s={s_}")
    gen = check_rng(seed)
    sizes = np.array([p.size for p in pats], dtype=np.int64)
    teachers = np.flatnonzero(sizes >= s_)
    if teachers.size == 0:
        raise ValueError(f"no pattern has s={s_} active cells (largest has {int(sizes.max())}); lower s")
    dense = np.zeros((len(pats), n), dtype=np.int32)
    for i, p in enumerate(pats):
        dense[i, p.active] = 1
    p_fm = {int(a): float(false_match_probability(n, int(a), s_, theta_)) for a in np.unique(sizes)}
    per_a = np.array([p_fm[int(a)] for a in sizes])
    matches = 0
    predicted = 0.0
    for teacher in teachers.tolist():
        synapses = _subsample(pats[teacher], s_, gen)
        hits = dense[:, synapses].sum(axis=1) >= theta_
        hits[teacher] = False
        matches += int(hits.sum())
        predicted += float(per_a.sum() - per_a[teacher])
    comparisons = int(teachers.size) * (len(pats) - 1)
    return PatternMatches(
        n=n,
        n_patterns=len(pats),
        mean_active=float(sizes.mean()),
        s=s_,
        theta=theta_,
        n_segments=int(teachers.size),
        n_comparisons=comparisons,
        observed=matches / comparisons,
        predicted=predicted / comparisons,
    )
