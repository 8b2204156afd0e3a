"""Operation schedules: the spike inputs that drive the memory, and their validation."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["LEARN_STEPS", "RECOMMENDED_SPACING_MS", "Operation", "Schedule", "as_bits", "as_cue"]

OpKind = Literal["learn", "recall_cue", "recall_content"]

#: A learn operation drives its inputs on 3 consecutive milliseconds.
LEARN_STEPS = 3
#: Operations closer than this (ms) may interfere (the paper's stress test uses exactly 14 ms).
RECOMMENDED_SPACING_MS = 14


def as_cue(cue: object, n_cues: int, name: str = "cue") -> int:
    """Validate a cue index.

    Parameters
    ----------
    cue : int
        The cue, in ``[0, n_cues)``.
    n_cues : int
        Number of cues.
    name : str
        The argument's name in error messages.

    Returns
    -------
    int

    Raises
    ------
    TypeError, ValueError
        If ``cue`` is not an int or out of range.

    Examples
    --------
    >>> as_cue(3, 5)
    3
    """
    if isinstance(cue, bool) or not isinstance(cue, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(cue).__name__}")
    if not 0 <= int(cue) < n_cues:
        raise ValueError(f"{name} must lie in [0, n_cues) = [0, {n_cues}), got {cue}")
    return int(cue)


def as_bits(bits: object, n_content: int, name: str = "bits") -> frozenset[int]:
    """Validate a content pattern given as an int, an iterable of ints or a ``neurotypes.SDR``.

    Parameters
    ----------
    bits : int, iterable of int or neurotypes.SDR
        Content bits in ``[0, n_content)``; not empty. An SDR needs ``n == n_content``.
    n_content : int
        Number of content bits.
    name : str
        The argument's name in error messages.

    Returns
    -------
    frozenset of int

    Raises
    ------
    TypeError, ValueError
        If ``bits`` is not ints, is empty or out of range.

    Examples
    --------
    >>> sorted(as_bits([8, 1, 1], 10))
    [1, 8]
    """
    try:
        from neurotypes import SDR
    except ImportError:  # pragma: no cover - neurotypes is a dependency
        SDR = None  # type: ignore[assignment,misc]
    if SDR is not None and isinstance(bits, SDR):
        if bits.n != n_content:
            raise ValueError(f"{name} as an SDR must have n == n_content = {n_content}, got n = {bits.n}")
        items: list[object] = [int(b) for b in bits.active]
    elif isinstance(bits, int | np.integer) and not isinstance(bits, bool):
        items = [bits]
    elif isinstance(bits, str | bytes) or not isinstance(bits, Iterable):
        raise TypeError(f"{name} must be an int, an iterable of ints or an SDR, got {type(bits).__name__}")
    else:
        items = list(bits)
    out: set[int] = set()
    for b in items:
        if isinstance(b, bool) or not isinstance(b, int | np.integer):
            raise TypeError(f"{name} must hold ints, got {type(b).__name__}")
        if not 0 <= int(b) < n_content:
            raise ValueError(f"{name} must lie in [0, n_content) = [0, {n_content}), got {b}")
        out.add(int(b))
    if not out:
        raise ValueError(f"{name} must not be empty")
    return frozenset(out)


@dataclass(frozen=True)
class Operation:
    """One memory operation at time ``t_ms`` (ms).

    ``learn``: cue and content inputs spike on ``t, t+1, t+2``; ``recall_cue``: the cue input spikes at
    ``t``; ``recall_content``: the given content inputs spike at ``t``. Checked when put in a
    :class:`Schedule`.

    Parameters
    ----------
    kind : {"learn", "recall_cue", "recall_content"}
        The operation.
    t_ms : int
        Its start (ms), >= 0.
    cue : int, optional
        The cue (learn, recall by cue).
    bits : frozenset of int
        The content bits (learn, recall by content).

    Examples
    --------
    >>> Operation("learn", 10, 0, frozenset({2})).input_spikes(n_cues=3).tolist()
    [[10, 0], [10, 5], [11, 0], [11, 5], [12, 0], [12, 5]]
    """

    kind: OpKind
    t_ms: int
    cue: int | None = None
    bits: frozenset[int] = frozenset()

    @property
    def input_steps(self) -> int:
        return LEARN_STEPS if self.kind == "learn" else 1

    def input_spikes(self, n_cues: int) -> NDArray[np.int64]:
        """Rows ``(time_ms, input_index)`` (content bit ``b`` is input ``n_cues + b``)."""
        idx = ([self.cue] if self.cue is not None else []) + [n_cues + b for b in sorted(self.bits)]
        rows = [(self.t_ms + k, i) for k in range(self.input_steps) for i in idx]
        return np.asarray(rows, dtype=np.int64).reshape(-1, 2)


@dataclass(frozen=True)
class Schedule:
    """A validated sequence of operations for a memory of ``n_cues`` x ``n_content``.

    Parameters
    ----------
    n_cues, n_content : int
        Size of the memory, >= 1 each.
    operations : sequence of Operation
        Time-ordered, non-overlapping operations.
    t_stop_ms : int
        End of the run (ms), at least 8 ms after the last operation.
    warn_spacing : bool, default True
        Warn when operations start less than 14 ms apart.

    Raises
    ------
    ValueError
        If a cue or bit is out of range, a content set is empty, an operation starts before the inputs of
        the previous one have ended (operations overlap in time), or ``t_stop_ms`` ends before the last
        answer (``t + 7`` ms).

    Warns
    -----
    UserWarning
        If ``warn_spacing`` and two operations start less than 14 ms apart (they may interfere).

    Examples
    --------
    >>> s = Schedule(5, 10, (Operation("learn", 0, 0, frozenset({1})), Operation("recall_cue", 14, 0)), 28)
    >>> len(s), s.input_spikes().shape
    (2, (7, 2))
    """

    n_cues: int
    n_content: int
    operations: tuple[Operation, ...]
    t_stop_ms: int
    warn_spacing: bool = True

    def __post_init__(self) -> None:
        from neurotypes.validation import check_bool, check_int

        object.__setattr__(self, "n_cues", check_int("n_cues", self.n_cues, minimum=1))
        object.__setattr__(self, "n_content", check_int("n_content", self.n_content, minimum=1))
        object.__setattr__(self, "t_stop_ms", check_int("t_stop_ms", self.t_stop_ms, minimum=0))
        object.__setattr__(self, "warn_spacing", check_bool("warn_spacing", self.warn_spacing))
        if isinstance(self.operations, str | bytes) or not isinstance(self.operations, Iterable):
            raise TypeError(
                f"operations must be a sequence of Operation, got {type(self.operations).__name__}"
            )
        ops = tuple(self.operations)
        object.__setattr__(self, "operations", ops)
        prev: Operation | None = None
        for k, op in enumerate(ops):
            if not isinstance(op, Operation):
                raise TypeError(f"operations[{k}] must be an Operation, got {type(op).__name__}")
            if isinstance(op.t_ms, bool) or not isinstance(op.t_ms, int | np.integer) or op.t_ms < 0:
                raise ValueError(f"operations[{k}].t_ms must be an int >= 0, got {op.t_ms!r}")
            if op.kind in ("learn", "recall_cue"):
                if op.cue is None:
                    raise ValueError(f"operations[{k}] ({op.kind}) needs a cue")
                as_cue(op.cue, self.n_cues, f"operations[{k}].cue")
            if op.kind in ("learn", "recall_content"):
                as_bits(op.bits, self.n_content, f"operations[{k}].bits")
            if op.kind not in ("learn", "recall_cue", "recall_content"):
                raise ValueError(
                    f"operations[{k}].kind must be learn, recall_cue or recall_content, got {op.kind!r}"
                )
            if prev is not None:
                if op.t_ms < prev.t_ms + prev.input_steps:
                    raise ValueError(
                        f"operations overlap in time: operations[{k}] starts at {op.t_ms} ms, before the inputs "
                        f"of the previous operation ({prev.kind} at {prev.t_ms} ms) end at "
                        f"{prev.t_ms + prev.input_steps} ms; operations must be time-ordered and not overlap"
                    )
                if self.warn_spacing and op.t_ms - prev.t_ms < RECOMMENDED_SPACING_MS:
                    warnings.warn(
                        f"operations[{k}] starts {op.t_ms - prev.t_ms} ms after the previous one; operations "
                        f"closer than {RECOMMENDED_SPACING_MS} ms may interfere",
                        UserWarning,
                        stacklevel=3,
                    )
            prev = op
        if ops and self.t_stop_ms < ops[-1].t_ms + 8:
            raise ValueError(
                f"t_stop_ms must leave time for the last answer (>= {ops[-1].t_ms + 8}), got {self.t_stop_ms}"
            )

    def input_spikes(self) -> NDArray[np.int64]:
        """All input rows ``(time_ms, input_index)``, sorted."""
        if not self.operations:
            return np.zeros((0, 2), np.int64)
        rows = np.concatenate([op.input_spikes(self.n_cues) for op in self.operations])
        return rows[np.lexsort((rows[:, 1], rows[:, 0]))]

    def __len__(self) -> int:
        return len(self.operations)
