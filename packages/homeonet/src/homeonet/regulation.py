"""The learning rate as a vulnerable internal state, and the three ways of regulating it.

Man, Damasio & Neven (2022): the learner's learning rate ``eta`` is moved by what it classifies. Samples of
"excitatory" classes (valence +1; by default 5-9) raise it by ``delta``, "inhibitory" ones (valence -1;
0-4) lower it; ``eta`` is floored at ``1e-8`` and has no upper bound.

* ``lrh`` (homeostatic): at a decision time the learner simulates two updates with the current gradient,
  "leave it" (``eta``) and "take it" (``eta + delta * valence(predicted class)``), scores both on the
  ``n_memo`` most recent samples and takes the sample only when "take it" is strictly better; then ``eta``
  moves by the valence of the *true* label.
* ``lrr`` (random regulation): at a decision time, with probability 1/2, ``eta`` moves by the valence of
  the true label.
* ``lrc`` (constant): ``eta`` never changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["ETA_FLOOR", "MODES", "HomeostaticSGD", "default_valence", "valence_vector"]

ETA_FLOOR = 1e-8
MODES = ("lrh", "lrr", "lrc")
Mode = Literal["lrh", "lrr", "lrc"]
Valence = Callable[[int], int] | Sequence[int] | NDArray[np.integer]


def default_valence(label: int) -> int:
    """The paper's valence: classes 5-9 are excitatory (+1), classes 0-4 inhibitory (-1)."""
    return 1 if label >= 5 else -1


def valence_vector(valence: Valence, n_classes: int) -> NDArray[np.int64]:
    """Tabulate a valence function (or check a valence table) for classes ``0 .. n_classes - 1``.

    Raises
    ------
    ValueError
        If a table's length differs from ``n_classes`` or an entry is not -1, 0 or +1.
    TypeError
        If ``valence`` is neither callable nor a sequence of integers.
    """
    if n_classes < 1:
        raise ValueError(f"n_classes must be >= 1, got {n_classes}")
    if callable(valence):
        try:
            table = np.array([valence(c) for c in range(n_classes)])
        except Exception as exc:
            raise ValueError(f"valence function failed on the labels 0..{n_classes - 1}: {exc}") from exc
    else:
        if isinstance(valence, str | bytes):
            raise TypeError("valence must be a callable label -> {-1, 0, +1} or a sequence of such values")
        table = np.asarray(valence)
        if table.ndim != 1 or table.shape[0] != n_classes:
            raise ValueError(
                f"valence table must have one entry per class (n_classes={n_classes}), got shape {table.shape}"
            )
    if table.dtype.kind not in "iub" and not (
        table.dtype.kind == "f" and np.all(np.isfinite(table)) and np.all(table == np.round(table))
    ):
        raise TypeError(f"valence values must be integers in {{-1, 0, +1}}, got dtype {table.dtype}")
    table = table.astype(np.int64)
    bad = [c for c in range(n_classes) if table[c] not in (-1, 0, 1)]
    if bad:
        raise ValueError(f"valence must map every label to -1, 0 or +1; label(s) {bad} map to {table[bad]}")
    return table


def _check_rate(name: str, value: float, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        rule = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {rule}, got {value}")
    return v


class HomeostaticSGD:
    """The learning-rate regulator shared by the numpy learner and the torch optimizer.

    Parameters
    ----------
    eta0 : float
        Initial learning rate (paper: 0.001 on MNIST; the digits prototype uses 0.05).
    delta : float, optional
        Step of ``eta`` per taken sample; default ``eta0 / 10``.
    interval : int
        A decision is offered at every sample index ``i`` (within the epoch) with ``i % interval == 0``.
    n_memo : int
        Number of most recent samples scored by the look-ahead; ``lrh`` decides only when ``i > n_memo``.
    valence : callable or sequence
        Label -> +1 (raises ``eta``), -1 (lowers it) or 0; default :func:`default_valence`.
    mode : {"lrh", "lrr", "lrc"}
        Homeostatic, random or constant regulation.
    rng : Generator or int, optional
        Randomness of ``lrr``'s coin flips.

    Attributes
    ----------
    eta : float
        The current learning rate (the internal, vulnerable variable).
    n_decisions_, n_taken_ : int
        Decisions offered and samples taken so far.
    """

    def __init__(
        self,
        eta0: float = 0.05,
        delta: float | None = None,
        interval: int = 10,
        n_memo: int = 20,
        valence: Valence = default_valence,
        mode: str = "lrh",
        rng: np.random.Generator | int | None = 0,
    ) -> None:
        self.eta0 = _check_rate("eta0", eta0)
        self.delta = self.eta0 / 10 if delta is None else _check_rate("delta", delta, allow_zero=True)
        if isinstance(interval, bool) or not isinstance(interval, int | np.integer) or interval < 1:
            raise ValueError(f"interval must be an integer >= 1, got {interval!r}")
        if isinstance(n_memo, bool) or not isinstance(n_memo, int | np.integer) or n_memo < 1:
            raise ValueError(f"n_memo must be an integer >= 1, got {n_memo!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if not callable(valence) and isinstance(valence, str | bytes):
            raise TypeError("valence must be a callable label -> {-1, 0, +1} or a sequence of such values")
        self.interval = int(interval)
        self.n_memo = int(n_memo)
        self.valence = valence
        self.mode: Mode = mode  # type: ignore[assignment]
        self.rng = np.random.default_rng(rng)
        self.eta = self.eta0
        self.n_decisions_ = 0
        self.n_taken_ = 0
        self._table: NDArray[np.int64] | None = None

    # --- the internal variable -------------------------------------------------------------
    def bind(self, n_classes: int) -> HomeostaticSGD:
        """Tabulate the valence for ``n_classes`` labels (raises if they do not match); returns ``self``."""
        self._table = valence_vector(self.valence, n_classes)
        return self

    def valence_of(self, label: int) -> int:
        """Valence (+1, 0 or -1) of a class label."""
        if self._table is None:
            if callable(self.valence):
                return int(valence_vector(lambda _: self.valence(label), 1)[0])  # type: ignore[operator]
            self.bind(len(self.valence))
            assert self._table is not None
        if not 0 <= label < self._table.size:
            raise ValueError(
                f"label {label} is outside the valence table's classes 0..{self._table.size - 1}"
            )
        return int(self._table[label])

    def shifted(self, label: int) -> float:
        """The learning rate after a sample of class ``label`` acted on it: ``max(eta + delta*v, 1e-8)``."""
        return max(self.eta + self.delta * self.valence_of(label), ETA_FLOOR)

    def is_decision_time(self, i: int) -> bool:
        """Whether sample index ``i`` (within the epoch) offers a regulation decision in this mode."""
        if self.mode == "lrc" or i % self.interval != 0:
            return False
        return i > self.n_memo if self.mode == "lrh" else i > 0

    # --- the decisions -----------------------------------------------------------------------
    def candidates(self, predicted: int) -> tuple[float, float]:
        """Learning rates of the two look-ahead simulations: (leave it, take it with the predicted class)."""
        return self.eta, self.shifted(predicted)

    def decide_lrh(self, acc_leave: float, acc_take: float, true_label: int) -> bool:
        """Take the sample iff the "take it" look-ahead is strictly better; then ``eta`` follows the true label."""
        self.n_decisions_ += 1
        if acc_take > acc_leave:
            self.eta = self.shifted(true_label)
            self.n_taken_ += 1
            return True
        return False

    def decide_lrr(self, true_label: int) -> bool:
        """With probability 1/2, let ``eta`` follow the true label's valence."""
        self.n_decisions_ += 1
        if self.rng.random() > 0.5:
            self.eta = self.shifted(true_label)
            self.n_taken_ += 1
            return True
        return False

    def __repr__(self) -> str:
        return (
            f"HomeostaticSGD(mode={self.mode!r}, eta={self.eta:.4g}, eta0={self.eta0:.4g}, "
            f"delta={self.delta:.4g}, interval={self.interval}, n_memo={self.n_memo})"
        )
