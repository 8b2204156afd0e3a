"""Concept shift by label swaps, at a constant or a time-varying rate.

A swap picks two distinct classes at random and exchanges their labels everywhere: in the training stream and
in the validation labels alike (Man, Damasio & Neven 2022). The labels the learner sees are
``label_map[original_label]``; a swap of classes ``a`` and ``b`` composes the transposition ``(a b)`` onto the
map, so the map is always a permutation of the classes.

Swaps are spread evenly through an epoch by sample count: with ``r`` swaps per epoch and ``B`` minibatches
per epoch, the swaps so far after batch ``j`` of epoch ``e`` are ``floor(sum_{e' < e} r_e' + r_e (j+1) / B)``.
For an integer rate ``S <= B`` this gives exactly ``S`` swaps per epoch, the last one at the epoch's end (the
reference code's ``sampleidx % (N // S) == 0`` rule, which never fires when ``N // S`` is not a multiple of
the batch size, e.g. on sklearn digits with ``S = 2``). A fractional or time-varying rate gives the paper's
second-order shift; the paper's own schedule is not published, so :func:`seasonal_rates` is a reconstruction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from neurotypes.validation import check_array, check_int

__all__ = [
    "Batch",
    "ConceptShiftSchedule",
    "LabelSwapStream",
    "SwapEvent",
    "resolve_rates",
    "seasonal_rates",
    "swaps_after_batches",
]

RateSchedule = Sequence[float] | Callable[[int], float] | NDArray[np.floating]
_EPS = 1e-9


def _check_rate(rate: object, where: str) -> float:
    if isinstance(rate, bool) or not isinstance(rate, int | float | np.integer | np.floating):
        raise TypeError(f"{where} must be a real number of swaps per epoch, got {type(rate).__name__}")
    r = float(rate)
    if not np.isfinite(r) or r < 0:
        raise ValueError(f"{where} must be a finite number of swaps per epoch >= 0, got {rate}")
    return r


def resolve_rates(
    swaps_per_epoch: float = 0, schedule: RateSchedule | None = None, epochs: int = 1
) -> NDArray[np.float64]:
    """Swap rate of every epoch: ``schedule`` (sequence or ``epoch -> rate``) when given, else constant.

    Raises
    ------
    ValueError
        On a negative or non-finite rate, or a schedule shorter than ``epochs``.
    TypeError
        On a non-numeric rate.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    if schedule is None:
        r = _check_rate(swaps_per_epoch, "swaps_per_epoch")
        return np.full(int(epochs), r)
    if callable(schedule):
        return np.array([_check_rate(schedule(e), f"schedule({e})") for e in range(epochs)])
    seq = list(schedule)
    if len(seq) < epochs:
        raise ValueError(f"schedule must give a rate for each of the {epochs} epochs, got {len(seq)}")
    return np.array([_check_rate(seq[e], f"schedule[{e}]") for e in range(epochs)])


def swaps_after_batches(rates: Sequence[float] | NDArray[np.floating], n_batches: int) -> NDArray[np.int64]:
    """Number of swaps applied right after each minibatch, shape ``(epochs, n_batches)``.

    ``floor`` of the cumulative rate integral, evaluated at the end of every batch (see module docstring).

    Parameters
    ----------
    rates : sequence of float
        Swaps per epoch for each epoch (finite, >= 0; at least one epoch).
    n_batches : int
        Minibatches per epoch (>= 1).

    Returns
    -------
    ndarray of int64, shape (epochs, n_batches)
        Swaps applied right after each batch; row ``e`` sums to the whole swaps that fall in epoch ``e``.

    Raises
    ------
    ValueError
        On NaN, infinite or negative rates, an empty or non 1-D ``rates``, or ``n_batches < 1``.
    TypeError
        On a non-integer ``n_batches`` or non-numeric rates.

    Examples
    --------
    >>> swaps_after_batches([2.0], 4).tolist()
    [[0, 1, 0, 1]]
    """
    n_batches = check_int("n_batches", n_batches, minimum=1)
    r = check_array("rates", rates, ndim=1, dtype="float", nonnegative=True, min_size=1)
    base = np.concatenate([[0.0], np.cumsum(r)[:-1]])
    frac = np.arange(1, n_batches + 1) / n_batches
    cum = np.floor(base[:, None] + r[:, None] * frac[None, :] + _EPS)
    before = np.concatenate([np.floor(base[:, None] + _EPS), cum[:, :-1]], axis=1)
    out: NDArray[np.int64] = (cum - before).astype(np.int64)
    return out


def seasonal_rates(
    epochs: int, low: float = 0.0, high: float = 10.0, period: int = 10, shape: str = "square"
) -> NDArray[np.float64]:
    """A second-order ("seasonal") shift schedule: the swap rate itself oscillates between ``low`` and ``high``.

    *Reconstruction*: the paper describes time-varying swap rates but its schedule is not in the released
    code. ``shape="square"`` alternates half-periods of ``low`` and ``high``; ``"sine"`` varies smoothly.
    """
    epochs = check_int("epochs", epochs, minimum=1)
    period = check_int("period", period, minimum=2)
    lo, hi = _check_rate(low, "low"), _check_rate(high, "high")
    e = np.arange(int(epochs))
    if shape == "square":
        return np.where((e % period) < period // 2, lo, hi).astype(np.float64)
    if shape == "sine":
        return lo + (hi - lo) * 0.5 * (1 - np.cos(2 * np.pi * e / period))
    raise ValueError(f"shape must be 'square' or 'sine', got {shape!r}")


@dataclass(frozen=True)
class SwapEvent:
    """One concept-shift event: after stream sample ``sample`` (global count), classes ``a`` and ``b`` swapped."""

    sample: int
    epoch: int
    a: int
    b: int


@dataclass(frozen=True)
class ConceptShiftSchedule:
    """The label-permutation events of a run, replayable.

    Attributes
    ----------
    n_classes : int
    events : tuple of SwapEvent
        In order of occurrence.
    """

    n_classes: int
    events: tuple[SwapEvent, ...] = field(default_factory=tuple)

    def label_map_at(self, sample: int) -> NDArray[np.int64]:
        """Label map in force when the ``sample``-th stream sample (0-based global count) is seen."""
        perm = np.arange(self.n_classes)
        for ev in self.events:
            if ev.sample < sample:
                perm = _swap(perm, ev.a, ev.b)
        return perm

    def swaps_per_epoch(self, epochs: int) -> NDArray[np.int64]:
        """Number of events in each epoch."""
        counts = np.zeros(int(epochs), dtype=np.int64)
        for ev in self.events:
            counts[ev.epoch] += 1
        return counts


def _swap(perm: NDArray[np.int64], a: int, b: int) -> NDArray[np.int64]:
    t = np.arange(perm.size)
    t[a], t[b] = b, a
    return t[perm]


@dataclass(frozen=True)
class Batch:
    """One minibatch of the stream: ``idx`` indexes the dataset; ``start`` is the position within the epoch."""

    epoch: int
    index: int
    start: int
    idx: NDArray[np.int64]
    X: NDArray[np.floating]
    y: NDArray[np.int64]


class LabelSwapStream:
    """Minibatches of a dataset, reshuffled every epoch, whose labels are swapped as the stream runs.

    Parameters
    ----------
    X : array (n, d)
        Inputs.
    y : int array (n,)
        Original labels in ``0 .. n_classes - 1``.
    swaps_per_epoch : float
        Constant swap rate (ignored when ``schedule`` is given); fractional rates are allowed.
    schedule : sequence or callable, optional
        Per-epoch swap rates (second-order shift).
    batch_size : int
        Minibatch size ``m``; each epoch has ``n // m`` full batches (the remainder is left out, as in the
        reference).
    n_classes : int, optional
        Number of classes (default ``max(y) + 1``).
    rng : Generator or int, optional
        Randomness of the shuffles and of the swapped pairs.

    Attributes
    ----------
    label_map : int array (n_classes,)
        Current permutation: the learner sees ``label_map[y]``.
    events : list of SwapEvent
    """

    def __init__(
        self,
        X: NDArray[np.floating],
        y: NDArray[np.integer],
        swaps_per_epoch: float = 0,
        schedule: RateSchedule | None = None,
        batch_size: int = 10,
        n_classes: int | None = None,
        rng: np.random.Generator | int | None = 0,
    ) -> None:
        X = np.asarray(X, dtype=np.float64)
        y_arr = np.asarray(y)
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D array (n_samples, n_features), got shape {X.shape}")
        if y_arr.ndim != 1 or y_arr.shape[0] != X.shape[0]:
            raise ValueError(
                f"y must be 1-D with one label per row of X ({X.shape[0]}), got shape {y_arr.shape}"
            )
        if y_arr.size and (y_arr.dtype.kind not in "iu" or y_arr.min() < 0):
            raise ValueError("y must hold non-negative integer class labels")
        if not np.all(np.isfinite(X)):
            raise ValueError("X must be finite (no NaN or inf)")
        k = int(y_arr.max()) + 1 if n_classes is None else int(n_classes)
        if y_arr.size and y_arr.max() >= k:
            raise ValueError(f"y holds label {int(y_arr.max())} but n_classes is {k}")
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, int | np.integer)
            or not 1 <= batch_size <= X.shape[0]
        ):
            raise ValueError(
                f"batch_size must be an integer in [1, n_samples={X.shape[0]}], got {batch_size!r}"
            )
        self.X, self.y, self.n_classes, self.batch_size = X, y_arr.astype(np.int64), k, int(batch_size)
        self.n_batches = X.shape[0] // self.batch_size
        self.swaps_per_epoch = _check_rate(swaps_per_epoch, "swaps_per_epoch")
        self.schedule = schedule
        if schedule is not None:  # validate early: a sequence in full, a callable at epoch 0
            n_known = 1 if callable(schedule) else max(len(list(schedule)), 1)
            resolve_rates(0, schedule, n_known)
        if k < 2 and (self.swaps_per_epoch > 0 or schedule is not None):
            raise ValueError("label swaps need at least two classes")
        self.rng = np.random.default_rng(rng)
        self.label_map = np.arange(k, dtype=np.int64)
        self.events: list[SwapEvent] = []
        self.epoch_ = 0
        self.order_ = np.arange(X.shape[0])
        self._carry = 0.0  # cumulative rate integral at the start of the current epoch

    def rate(self, epoch: int) -> float:
        """Swap rate in force during ``epoch``."""
        if self.schedule is None:
            return self.swaps_per_epoch
        return float(resolve_rates(0, self.schedule, epoch + 1)[epoch])

    def labels(self, idx: NDArray[np.integer]) -> NDArray[np.int64]:
        """Current (swapped) labels of dataset rows ``idx``."""
        out: NDArray[np.int64] = self.label_map[self.y[idx]]
        return out

    def map_labels(self, y_other: NDArray[np.integer]) -> NDArray[np.int64]:
        """Apply the current label map to other labels of the same classes (e.g. validation labels)."""
        return self.label_map[np.asarray(y_other, dtype=np.int64)]

    @property
    def shift_schedule(self) -> ConceptShiftSchedule:
        """The events so far as a :class:`ConceptShiftSchedule`."""
        return ConceptShiftSchedule(self.n_classes, tuple(self.events))

    def swap(self, sample: int) -> SwapEvent:
        """Swap two random distinct classes now (recorded as happening after global sample ``sample``)."""
        a, b = (int(v) for v in self.rng.choice(self.n_classes, 2, replace=False))
        self.label_map = _swap(self.label_map, a, b)
        ev = SwapEvent(sample=sample, epoch=self.epoch_, a=a, b=b)
        self.events.append(ev)
        return ev

    def epoch(self) -> Iterator[Batch]:
        """Iterate over the next epoch's minibatches; swaps happen between batches as the rate dictates."""
        e = self.epoch_
        self.order_ = self.rng.permutation(self.X.shape[0])
        r = self.rate(e)
        start = np.floor(self._carry + _EPS)
        cum = np.floor(self._carry + r * np.arange(1, self.n_batches + 1) / self.n_batches + _EPS)
        counts = np.diff(np.concatenate([[start], cum])).astype(np.int64)
        m = self.batch_size
        for j in range(self.n_batches):
            idx = self.order_[j * m : (j + 1) * m]
            yield Batch(e, j, j * m, idx, self.X[idx], self.labels(idx))
            for _ in range(int(counts[j])):
                self.swap(e * self.n_batches * m + (j + 1) * m - 1)
        self._carry += r
        self.epoch_ += 1
