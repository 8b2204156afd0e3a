"""Stage 2a: the neuron-pair × time-window × animal affinity tensor.

Neurons are aligned across animals by identity (``Traces.unit_ids``, e.g. NeuroPAL names). Real recordings
have different and missing neurons per animal, and NaN gaps; these are handled explicitly:

* ``align="union"`` (default): every neuron seen in any animal gets a row; pairs involving a neuron that an
  animal lacks are **NaN** (= masked) in that animal's slice, and the factorisation ignores them.
* ``align="intersection"``: only neurons present in every animal are kept; the dropped ones are logged.

Recordings with different numbers of windows are padded with NaN (masked) to the longest one, with a
warning. NaN in the returned tensor always means "missing", never zero affinity.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurotypes import Traces
from neurotypes.validation import check_array, check_choice, check_int

from .affinity import AffinityFn, differential_affinity, n_windows

__all__ = ["PairIndex", "align_units", "build_affinity_tensor", "pair_index"]

log = logging.getLogger(__name__)


def pair_index(n: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row and column of each upper-triangle pair ``i < j`` in row-major order (``P = n(n-1)/2``).

    Parameters
    ----------
    n : int
        Number of neurons, >= 2.

    Returns
    -------
    i, j : numpy.ndarray
        Neuron indices of each pair.

    Examples
    --------
    >>> [a.tolist() for a in pair_index(3)]
    [[0, 0, 1], [1, 2, 2]]
    """
    n = check_int("n", n, minimum=2)
    i, j = np.triu_indices(n, k=1)
    return i.astype(np.intp), j.astype(np.intp)


@dataclass(frozen=True, eq=False)
class PairIndex:
    """Mapping between the pair axis of the tensor and neuron pairs ``(i, j)``, ``i < j``.

    Attributes
    ----------
    i, j
        Neuron indices of each pair (length ``P``).
    unit_ids
        Neuron identities (length ``N``) in tensor order.
    """

    i: NDArray[np.intp]
    j: NDArray[np.intp]
    unit_ids: tuple[str, ...]

    @classmethod
    def for_units(cls, unit_ids: Sequence[str]) -> PairIndex:
        """The upper-triangle pair index of the named neurons (at least 2 unique names).

        Examples
        --------
        >>> PairIndex.for_units(["AVAL", "AVAR", "RIML"]).index_of(1, 2)
        2
        """
        from neurotypes.validation import check_ids

        if isinstance(unit_ids, str | bytes) or not isinstance(unit_ids, Sequence):
            raise TypeError("unit_ids must be a sequence of neuron names")
        ids = check_ids("unit_ids", unit_ids, len(unit_ids))
        assert ids is not None
        i, j = pair_index(len(ids))
        return cls(i, j, ids)

    @property
    def n_units(self) -> int:
        """Number of neurons ``N``."""
        return len(self.unit_ids)

    @property
    def n_pairs(self) -> int:
        """Number of pairs ``P = N(N-1)/2``."""
        return int(self.i.size)

    def index_of(self, a: int, b: int) -> int:
        """Position of the unordered pair ``{a, b}`` on the pair axis (two distinct indices in ``[0, N)``)."""
        n = self.n_units
        a = check_int("a", a, minimum=0, maximum=n - 1)
        b = check_int("b", b, minimum=0, maximum=n - 1)
        if a == b:
            raise ValueError(f"a and b must be two distinct neuron indices, got ({a}, {b})")
        a, b = min(a, b), max(a, b)
        # Row-major upper triangle: rows 0..a-1 hold sum_{r<a} (n-1-r) pairs.
        return int(a * (2 * n - a - 1) // 2 + (b - a - 1))

    def to_matrix(self, values: NDArray[Any]) -> NDArray[np.float64]:
        """Symmetric ``N × N`` matrix with zero diagonal from a finite vector over pairs (shape ``(P,)``)."""
        v = check_array("values", values, shape=(self.n_pairs,))
        m = np.zeros((self.n_units, self.n_units))
        m[self.i, self.j] = v
        m[self.j, self.i] = v
        return m

    def to_vector(self, matrix: NDArray[Any]) -> NDArray[np.float64]:
        """Upper-triangle values of an ``N × N`` matrix (NaN allowed), in pair order."""
        m = check_array("matrix", matrix, shape=(self.n_units, self.n_units), allow_nan=True)
        return m[self.i, self.j]


def align_units(
    recordings: Sequence[Any], align: str = "union"
) -> tuple[tuple[str, ...], list[NDArray[np.intp]]]:
    """Neuron identities across animals and, per animal, the global index of each local unit.

    Recordings without ``unit_ids`` are aligned by position (all must then have the same number of units).

    Parameters
    ----------
    recordings : sequence of neurotypes.Traces
        One per animal.
    align : {"union", "intersection"}
        Keep every neuron seen anywhere, or only those present in every animal.

    Returns
    -------
    names : tuple of str
        The aligned neuron identities.
    maps : list of numpy.ndarray
        Per animal, the aligned index of each of its units (-1 for a unit dropped by the intersection).
    """
    align = check_choice("align", align, ("union", "intersection"))
    _check_recordings(recordings)
    ids = [getattr(r, "unit_ids", None) for r in recordings]
    if any(u is None for u in ids):
        if not all(u is None for u in ids):
            raise ValueError("traces: either every recording has unit_ids or none has (cannot align a mix)")
        sizes = {np.asarray(getattr(r, "data", r)).shape[0] for r in recordings}
        if len(sizes) != 1:
            raise ValueError(
                f"traces: recordings without unit_ids must have the same number of units, got {sorted(sizes)}"
            )
        n = sizes.pop()
        log.info("traces carry no unit_ids: aligning %d units by position", n)
        return tuple(str(k) for k in range(n)), [np.arange(n, dtype=np.intp)] * len(recordings)
    for w, u in enumerate(ids):
        if len(set(u)) != len(u):  # type: ignore[arg-type]
            raise ValueError(f"traces[{w}].unit_ids: duplicate neuron identities")
    if align == "union":
        order: dict[str, int] = {}
        for u in ids:
            for name in u:  # type: ignore[union-attr]
                order.setdefault(name, len(order))
        names = tuple(order)
    else:
        common = set(ids[0])  # type: ignore[arg-type]
        for u in ids[1:]:
            common &= set(u)  # type: ignore[arg-type]
        names = tuple(n for n in ids[0] if n in common)  # type: ignore[union-attr]
        dropped: list[str] = sorted(set().union(*map(set, ids)) - common)  # type: ignore[arg-type]
        if dropped:
            log.warning(
                "align='intersection' drops %d neurons not present in every animal: %s", len(dropped), dropped
            )
    pos = {n: k for k, n in enumerate(names)}
    maps = [np.array([pos.get(n, -1) for n in u], dtype=np.intp) for u in ids]  # type: ignore[union-attr]
    missing = [sorted(set(names) - set(u)) for u in ids]  # type: ignore[arg-type]
    for w, m in enumerate(missing):
        if m:
            log.warning(
                "animal %d lacks %d of %d neurons (masked out of its slice): %s", w, len(m), len(names), m
            )
    return names, maps


def _check_recordings(traces: Any) -> None:
    if isinstance(traces, Traces):
        raise TypeError("traces must be a list of neurotypes.Traces (one per animal), got a single Traces")
    if isinstance(traces, np.ndarray | str | bytes) or not isinstance(traces, Sequence):
        raise TypeError(
            f"traces must be a list of neurotypes.Traces (one per animal), got {type(traces).__name__}"
        )
    if len(traces) == 0:
        raise ValueError("traces must be a non-empty list with one Traces per animal")
    for k, t in enumerate(traces):
        if not isinstance(t, Traces):
            raise TypeError(f"traces[{k}] must be a neurotypes.Traces, got {type(t).__name__}")


def build_affinity_tensor(
    traces: Sequence[Any],
    window: int = 50,
    kind: str | AffinityFn = "corise",
    pairs: str = "upper",
    align: str = "union",
    dtype: type[np.floating[Any]] = np.float32,
) -> tuple[NDArray[np.floating[Any]], PairIndex]:
    """Stack windowed affinities of several animals into ``X[p, τ, w]``.

    Parameters
    ----------
    traces : sequence of neurotypes.Traces
        One per animal (same sampling rate).
    window : int
        Window length in samples, >= 2.
    kind : str or callable
        Affinity kind, see :func:`dyn_connectome.affinity.differential_affinity`.
    pairs : {"upper"}
        Only ``"upper"`` (pairs ``i < j``) is supported.
    align : {"union", "intersection"}
        ``"union"`` (default; missing neurons masked) or ``"intersection"``.
    dtype : numpy.float32 or numpy.float64
        Storage type; float32 halves memory at paper scale.

    Returns
    -------
    X : numpy.ndarray
        ``[P, T_w, W]`` non-negative; **NaN marks missing entries** (absent neuron, NaN gap, padding).
    pairs : PairIndex
        Pair ↔ neuron mapping and the neuron identities.

    Raises
    ------
    TypeError
        Not a list of Traces.
    ValueError
        Empty input, mixed sampling rates, window too short/long, all-NaN neurons, fewer than 2 neurons.

    Examples
    --------
    >>> from dyn_connectome.data import planted_epochs
    >>> traces, _ = planted_epochs(n_worms=2, T=600)
    >>> X, pairs = build_affinity_tensor(traces, window=50)
    >>> X.shape, pairs.n_units
    ((435, 12, 2), 30)
    """
    check_choice("pairs", pairs, ("upper",))
    _check_recordings(traces)
    window = check_int("window", window, minimum=2)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}")
    rates = [t.rate for t in traces]
    if not np.allclose(rates, rates[0], rtol=1e-9, atol=0.0):
        raise ValueError(f"traces: all recordings must share one sampling rate, got {sorted(set(rates))} Hz")
    names, maps = align_units(traces, align)
    n = len(names)
    if n < 2:
        raise ValueError(f"traces must share at least 2 neurons after alignment (align={align!r}), got {n}")
    i, j = pair_index(n)
    index = PairIndex(i, j, names)
    lengths = [t.n_samples for t in traces]
    tws = [n_windows(s, window) for s in lengths]
    if min(tws) < 1:
        w = int(np.argmin(tws))
        raise ValueError(
            f"window: {window} samples is longer than recording {w} ({lengths[w]} samples); "
            "need at least one complete window per animal"
        )
    if len(set(tws)) > 1:
        log.warning(
            "recordings give different numbers of windows %s: shorter ones are padded with NaN (masked)", tws
        )
    t_w = max(tws)
    x = np.full((index.n_pairs, t_w, len(traces)), np.nan, dtype=dtype)
    for w, (rec, gmap) in enumerate(zip(traces, maps, strict=True)):
        keep = np.flatnonzero(gmap >= 0)
        data = np.asarray(rec.data, dtype=np.float64)[keep]
        dead = np.flatnonzero(np.all(~np.isfinite(data), axis=1))
        if dead.size:
            raise ValueError(
                f"traces[{w}]: neurons {[names[gmap[keep[d]]] for d in dead]} are entirely NaN; drop them "
                "from that recording (with align='union' they are then masked for that animal)"
            )
        try:
            a = differential_affinity(data, kind=kind, window=int(window))
        except ValueError as err:
            raise ValueError(f"traces[{w}]: {err}") from err
        if a.shape[2] > t_w:
            raise ValueError(
                f"kind: the affinity of recording {w} has {a.shape[2]} windows, more than the "
                f"{t_w} = floor(n_samples / window) expected"
            )
        g = gmap[keep]
        local = np.full(n, -1, dtype=np.intp)
        local[g] = np.arange(g.size)
        li, lj = local[i], local[j]
        present = (li >= 0) & (lj >= 0)
        x[present, : a.shape[2], w] = a[li[present], lj[present], :]
    return x, index
