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

from .affinity import AffinityFn, differential_affinity, n_windows

__all__ = ["PairIndex", "align_units", "build_affinity_tensor", "pair_index"]

log = logging.getLogger(__name__)


def pair_index(n: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row and column of each upper-triangle pair ``i < j`` in row-major order (``P = n(n-1)/2``)."""
    if n < 2:
        raise ValueError(f"n: need at least 2 neurons to form a pair, got {n}")
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

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_pairs(self) -> int:
        return int(self.i.size)

    def index_of(self, a: int, b: int) -> int:
        """Position of the unordered pair ``{a, b}`` on the pair axis."""
        n = self.n_units
        if a == b or not (0 <= a < n and 0 <= b < n):
            raise ValueError(f"(a, b): need two distinct neuron indices in [0, {n}), got ({a}, {b})")
        a, b = min(a, b), max(a, b)
        # Row-major upper triangle: rows 0..a-1 hold sum_{r<a} (n-1-r) pairs.
        return int(a * (2 * n - a - 1) // 2 + (b - a - 1))

    def to_matrix(self, values: NDArray[Any]) -> NDArray[np.float64]:
        """Symmetric ``N × N`` matrix with zero diagonal from a vector over pairs."""
        v = np.asarray(values, dtype=np.float64)
        if v.shape != (self.n_pairs,):
            raise ValueError(f"values: expected shape ({self.n_pairs},), got {v.shape}")
        m = np.zeros((self.n_units, self.n_units))
        m[self.i, self.j] = v
        m[self.j, self.i] = v
        return m

    def to_vector(self, matrix: NDArray[Any]) -> NDArray[np.float64]:
        """Upper-triangle values of an ``N × N`` matrix, in pair order."""
        m = np.asarray(matrix, dtype=np.float64)
        if m.shape != (self.n_units, self.n_units):
            raise ValueError(f"matrix: expected shape ({self.n_units}, {self.n_units}), got {m.shape}")
        return m[self.i, self.j]


def align_units(
    recordings: Sequence[Any], align: str = "union"
) -> tuple[tuple[str, ...], list[NDArray[np.intp]]]:
    """Neuron identities across animals and, per animal, the global index of each local unit.

    Recordings without ``unit_ids`` are aligned by position (all must then have the same number of units).
    """
    if align not in ("union", "intersection"):
        raise ValueError(f"align: must be 'union' or 'intersection', got {align!r}")
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
    traces
        One :class:`neurotypes.Traces` per animal (same sampling rate).
    window
        Window length in samples.
    kind
        Affinity kind, see :func:`dyn_connectome.affinity.differential_affinity`.
    pairs
        Only ``"upper"`` (pairs ``i < j``) is supported.
    align
        ``"union"`` (default; missing neurons masked) or ``"intersection"``.
    dtype
        Storage type; float32 halves memory at paper scale.

    Returns
    -------
    X : numpy.ndarray
        ``[P, T_w, W]`` non-negative; **NaN marks missing entries** (absent neuron, NaN gap, padding).
    pairs : PairIndex
        Pair ↔ neuron mapping and the neuron identities.

    Raises
    ------
    ValueError
        Empty input, mixed sampling rates, window too short/long, all-NaN neurons, fewer than 2 neurons.
    """
    if pairs != "upper":
        raise ValueError(f"pairs: only 'upper' is supported, got {pairs!r}")
    if isinstance(traces, np.ndarray) or not isinstance(traces, Sequence) or len(traces) == 0:
        raise ValueError("traces: expected a non-empty list with one Traces per animal")
    raw_rates = [getattr(t, "rate", None) for t in traces]
    if any(r is None for r in raw_rates):
        raise TypeError("traces: every element must be a neurotypes.Traces (with .data and .rate)")
    rates = [float(r) for r in raw_rates]  # type: ignore[arg-type]
    if not np.allclose(rates, rates[0], rtol=1e-9, atol=0.0):
        raise ValueError(f"traces: all recordings must share one sampling rate, got {sorted(set(rates))} Hz")
    names, maps = align_units(traces, align)
    n = len(names)
    i, j = pair_index(n)
    index = PairIndex(i, j, names)
    kind_name = kind if isinstance(kind, str) else "corise"
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 2:
        raise ValueError(f"window: must be an int >= 2 samples, got {window!r}")
    lengths = [np.asarray(t.data).shape[1] for t in traces]
    tws = [n_windows(s, int(window), kind_name) for s in lengths]
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
