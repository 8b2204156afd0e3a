"""Spike tokenisation: every spike becomes a neuron-ID token with a time-offset (dt) token.

The rules follow the reference implementation's ``NFDataloader.get_interval`` / ``Tokenizer`` for spike
rasters (facts read from a-antoniades/Neuroformer; re-implemented, not copied):

* anchors are snapped to the ``dt`` grid: ``a = round_dt(t - w)`` starts the current window ``[a, a + w)``
  and the past window is ``[a - w_prev, a)``; bin indices are ``round(x / dt)`` clipped at 0;
* tokens are ordered by time bin, then neuron index; a count ``c`` repeats the neuron's token ``c`` times;
* a window's ID sequence is ``[SOS] + ids[-(block - 2):] + [EOS]`` padded with PAD to ``block + 1`` tokens,
  so that ``x = seq[:-1]`` and ``y = seq[1:]`` both have ``block`` tokens; the pad count is
  ``block + 1 - len([SOS] + ids + [EOS])``;
* the dt sequence is ``([0] + offsets + [dt-EOS])[-block:]`` followed by dt-PAD; offsets are bin offsets from
  the window start (absolute bin indices when the window starts at or before 0, as the reference does).

Truncation (more than ``block - 2`` spikes in a window) keeps the *latest* ``block - 2`` spikes, as the
reference does, and warns. The reference trims the dt sequence to its last ``block`` entries, so after a
truncation the dt at the SOS position is the offset of the last dropped spike rather than 0; this is
reproduced by default (``truncation="reference"``); ``truncation="clean"`` puts 0 there instead.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from neurotypes import SpikeCounts, SpikeTrains
from neurotypes.validation import check_array, check_choice, check_float, check_int

__all__ = ["SpikeTokenizer", "TokenWindow", "as_raster", "reference_dt_grid_size"]

logger = logging.getLogger(__name__)

IntArray = NDArray[np.int64]


def _round_to_grid(x: NDArray[np.float64] | float, dt: float) -> NDArray[np.float64]:
    """``round(dt * round(x / dt), 6)``: snap a time onto the dt grid (the reference's ``round_n``)."""
    return np.round(dt * np.rint(np.asarray(x, dtype=np.float64) / dt), 6)


def reference_dt_grid_size(window: float, window_prev: float, dt: float) -> int:
    """Number of dt-grid values as the reference builds them with floating-point ``arange``.

    The reference takes ``arange(0, max(w, w_prev) + dt, dt)``, rounds it to the dt grid and builds a second
    ``arange(min, max + dt, dt)`` from it. In floating point this can hold one element more than the integer
    rule ``round(max(w, w_prev) / dt) + 1`` (e.g. ``dt = 0.05, w = 0.1`` gives 4, not 3).

    Parameters
    ----------
    window, window_prev, dt : float
        Current window, past window and bin width in seconds.

    Returns
    -------
    int
        The number of grid values (the dt vocabulary has three more: SOS, EOS, PAD).
    """
    m = max(window, window_prev)
    first = _round_to_grid(np.arange(0.0, m + dt, dt), dt)
    second = np.arange(float(first.min()), float(first.max()) + dt, dt)
    return int(second.size)


def as_raster(spikes: object, dt: float, n_neurons: int | None = None) -> tuple[IntArray, float]:
    """Turn ``spikes`` into an integer count raster ``[neurons, bins]`` at bin width ``dt``.

    Parameters
    ----------
    spikes : array-like, SpikeTrains or SpikeCounts
        A nonnegative integer count raster ``[neurons, bins]`` whose bins are ``dt`` wide, spike trains (binned
        at ``dt`` from ``t_start``) or spike counts with ``bin_size == dt``.
    dt : float
        Bin width in seconds.
    n_neurons : int, optional
        Expected number of neurons (rows); a mismatch raises.

    Returns
    -------
    raster : ndarray of int64, shape (neurons, bins)
    t_start : float
        The time of the first bin's left edge (0 for plain arrays).
    """
    dt = check_float("dt", dt, positive=True)
    t_start = 0.0
    if isinstance(spikes, SpikeTrains):
        counts = spikes.bin(dt)
        raster, t_start = counts.counts, counts.t_start
    elif isinstance(spikes, SpikeCounts):
        if not math.isclose(spikes.bin_size, dt, rel_tol=1e-9, abs_tol=0.0):
            raise ValueError(
                f"spikes: SpikeCounts.bin_size {spikes.bin_size} must equal the tokenizer dt {dt}"
            )
        raster, t_start = spikes.counts, spikes.t_start
    else:
        if isinstance(spikes, str | bytes) or spikes is None:
            raise TypeError(
                f"spikes must be a count raster [neurons, bins], SpikeTrains or SpikeCounts, got {type(spikes).__name__}"
            )
        raster = check_array("spikes", spikes, ndim=2, dtype="int", nonnegative=True, min_size=1)  # type: ignore[arg-type]
    if n_neurons is not None and raster.shape[0] != n_neurons:
        raise ValueError(
            f"spikes: holds {raster.shape[0]} neurons but the tokenizer has n_neurons={n_neurons} "
            "(neuron IDs must be 0..n_neurons-1)"
        )
    return np.ascontiguousarray(raster), float(t_start)


@dataclass(frozen=True)
class TokenWindow:
    """One tokenised sample (current window = model input/target, past window = context).

    Attributes
    ----------
    x_id, x_dt, y_id, y_dt : ndarray of int64, shape (id_block_size,)
        Current-window input and target sequences (``y`` is ``x`` shifted by one).
    x_id_prev, x_dt_prev : ndarray of int64, shape (prev_id_block_size,)
        Past-window context.
    pad, pad_prev : int
        Number of PAD tokens appended to each window's full sequence (the reference's ``pad_n``).
    interval : tuple of float
        ``(start, end)`` of the current window in seconds (raster clock).
    """

    x_id: IntArray
    x_dt: IntArray
    y_id: IntArray
    y_dt: IntArray
    x_id_prev: IntArray
    x_dt_prev: IntArray
    pad: int
    pad_prev: int
    interval: tuple[float, float]


class SpikeTokenizer:
    """Neuron-ID and time-offset tokens for windows of a spike raster.

    Parameters
    ----------
    n_neurons : int
        Number of neurons N; IDs are 0..N-1, then SOS = N, EOS = N+1, PAD = N+2.
    dt : float
        Bin width in seconds (reference ``resolution.dt``, default 0.01).
    window : float
        Current window ``w`` in seconds (default 0.05).
    window_prev : float
        Past window ``w_prev`` in seconds (default 0.15).
    id_block_size : int
        Block size of the current window (default 100).
    prev_id_block_size : int
        Block size of the past window (default 100).
    dt_grid : {"reference", "exact"}
        ``"reference"`` sizes the dt grid as the reference's floating-point ``arange`` does (token-compatible);
        ``"exact"`` uses ``round(max(w, w_prev) / dt) + 1``. They agree whenever the windows are whole
        multiples of ``dt`` and the float quotient is not pushed over an integer (e.g. the defaults).
    truncation : {"reference", "clean"}
        What the dt at SOS is after a truncated window (see the module docstring).
    """

    def __init__(
        self,
        n_neurons: int,
        dt: float = 0.01,
        window: float = 0.05,
        window_prev: float = 0.15,
        id_block_size: int = 100,
        prev_id_block_size: int = 100,
        dt_grid: Literal["reference", "exact"] = "reference",
        truncation: Literal["reference", "clean"] = "reference",
    ) -> None:
        n_neurons = check_int("n_neurons", n_neurons, minimum=1)
        dt = check_float("dt", dt, positive=True)
        window = check_float("window", window, positive=True)
        window_prev = check_float("window_prev", window_prev, minimum=0.0)
        if window < dt:
            raise ValueError(f"window ({window}) must be at least one bin dt ({dt})")
        if max(window, window_prev) / dt > 1e6:
            raise ValueError(f"window / dt must be at most 1e6 bins, got {max(window, window_prev) / dt:g}")
        id_block_size = check_int("id_block_size", id_block_size, minimum=3)
        prev_id_block_size = check_int("prev_id_block_size", prev_id_block_size, minimum=3)
        dt_grid = check_choice("dt_grid", dt_grid, ("reference", "exact"))
        truncation = check_choice("truncation", truncation, ("reference", "clean"))
        self.n_neurons = int(n_neurons)
        self.dt = float(dt)
        self.window = float(window)
        self.window_prev = float(window_prev)
        self.id_block_size = int(id_block_size)
        self.prev_id_block_size = int(prev_id_block_size)
        self.dt_grid = dt_grid
        self.truncation = truncation
        if dt_grid == "reference":
            self.n_dt_grid = reference_dt_grid_size(self.window, self.window_prev, self.dt)
        else:
            self.n_dt_grid = round(max(self.window, self.window_prev) / self.dt) + 1

    # ---- vocabularies -------------------------------------------------------------------------------------
    @property
    def sos_id(self) -> int:
        """ID-vocabulary index of SOS (= N)."""
        return self.n_neurons

    @property
    def eos_id(self) -> int:
        """ID-vocabulary index of EOS (= N + 1)."""
        return self.n_neurons + 1

    @property
    def pad_id(self) -> int:
        """ID-vocabulary index of PAD (= N + 2)."""
        return self.n_neurons + 2

    @property
    def id_vocab_size(self) -> int:
        """Size of the neuron-ID vocabulary, ``|V_id| = N + 3``."""
        return self.n_neurons + 3

    @property
    def sos_dt(self) -> int:
        """dt-vocabulary index of SOS (= grid size); never emitted: SOS positions carry dt 0."""
        return self.n_dt_grid

    @property
    def eos_dt(self) -> int:
        """dt-vocabulary index of EOS (= grid size + 1)."""
        return self.n_dt_grid + 1

    @property
    def pad_dt(self) -> int:
        """dt-vocabulary index of PAD (= grid size + 2)."""
        return self.n_dt_grid + 2

    @property
    def dt_vocab_size(self) -> int:
        """Size of the time-offset vocabulary, ``|V_dt|`` = grid size + 3."""
        return self.n_dt_grid + 3

    @property
    def dt_values(self) -> NDArray[np.float64]:
        """The dt grid in seconds, ``0, dt, 2 dt, ...`` (one value per non-special dt token)."""
        return np.round(self.dt * np.arange(self.n_dt_grid), 6)

    def __repr__(self) -> str:
        return (
            f"SpikeTokenizer(n_neurons={self.n_neurons}, dt={self.dt}, window={self.window}, "
            f"window_prev={self.window_prev}, id_block_size={self.id_block_size}, "
            f"prev_id_block_size={self.prev_id_block_size})"
        )

    # ---- windows ------------------------------------------------------------------------------------------
    def window_bins(self, t: float) -> tuple[int, int, int, float, float]:
        """Bin indices ``(past_start, current_start, current_end)`` and the window starts for anchor ``t``.

        Returns ``(i_prev0, i_cur0, i_cur1, s_prev, s_cur)`` where ``s_*`` are the grid-snapped window starts
        in seconds (raster clock) used for the dt offsets.
        """
        a = float(_round_to_grid(t - self.window, self.dt))
        p0 = float(_round_to_grid(a - self.window_prev, self.dt))
        c1 = float(_round_to_grid(a + self.window, self.dt))
        i_a = max(int(np.rint(a / self.dt)), 0)
        i_p0 = max(int(np.rint(p0 / self.dt)), 0)
        i_c1 = max(int(np.rint(c1 / self.dt)), 0)
        return i_p0, i_a, i_c1, p0, a

    def _offsets(self, bins: IntArray, start: float) -> IntArray:
        if start > 0:
            k = np.rint((bins * self.dt - start) / self.dt).astype(np.int64)
        else:
            k = bins.astype(np.int64)
        if k.size and (k.min() < 0 or k.max() >= self.n_dt_grid):
            raise ValueError(
                f"a time offset falls outside the dt grid of {self.n_dt_grid} values "
                f"(window={self.window}, window_prev={self.window_prev}, dt={self.dt})"
            )
        return np.asarray(k, dtype=np.int64)

    def _sequence(
        self, raster: IntArray, b0: int, b1: int, start: float, block: int
    ) -> tuple[IntArray, IntArray, int]:
        sub = raster[:, b0:b1]
        # time-major order: transpose to [bins, neurons] then flatten, repeating by count
        counts_tn = sub.T.reshape(-1)
        nz = np.flatnonzero(counts_tn)
        reps = counts_tn[nz]
        n_cols = sub.shape[0]
        ids = np.repeat(nz % n_cols, reps).astype(np.int64)
        bins = np.repeat(nz // n_cols + b0, reps).astype(np.int64)
        offs = self._offsets(bins, start)
        n = ids.size
        keep = block - 2
        if n > keep:
            warnings.warn(
                f"window with {n} spikes exceeds the block of {block} tokens; keeping the latest {keep}",
                RuntimeWarning,
                stacklevel=3,
            )
        id_seq = np.concatenate(([self.sos_id], ids[n - min(n, keep) :], [self.eos_id]))
        dt_full = np.concatenate(([0], offs, [self.eos_dt]))
        dt_seq = dt_full[-block:]
        if self.truncation == "clean" and n > keep:
            dt_seq = dt_seq.copy()
            dt_seq[0] = 0
        pad_n = block + 1 - id_seq.size
        id_seq = np.concatenate((id_seq, np.full(pad_n, self.pad_id)))
        dt_seq = np.concatenate((dt_seq, np.full(pad_n, self.pad_dt)))
        return id_seq.astype(np.int64), dt_seq.astype(np.int64), int(pad_n)

    def _check_anchor(self, raster: IntArray, t: float) -> tuple[int, int, int, float, float]:
        if isinstance(t, bool) or not isinstance(t, int | float | np.floating | np.integer):
            raise TypeError(f"t must be a number of seconds, got {type(t).__name__}")
        if not math.isfinite(t) or t < 0:
            raise ValueError(f"t must be a finite time >= 0 s, got {t}")
        n_bins = raster.shape[1]
        if (self.window + self.window_prev) > n_bins * self.dt + 1e-12:
            raise ValueError(
                f"window + window_prev = {self.window + self.window_prev} s is longer than the data "
                f"({n_bins} bins of {self.dt} s)"
            )
        bins = self.window_bins(float(t))
        if bins[2] > n_bins:
            raise ValueError(
                f"t={t}: the current window ends at bin {bins[2]} but the data hold only {n_bins} bins "
                f"({n_bins * self.dt:.6g} s)"
            )
        return bins

    def encode_window(self, spikes: object, t: float) -> TokenWindow:
        """Tokenise the sample anchored at ``t`` (the current window ends at ``t``).

        Parameters
        ----------
        spikes : array-like [neurons, bins], SpikeTrains or SpikeCounts
            Count raster at bin width ``dt`` (row = neuron ID). For SpikeTrains/SpikeCounts, ``t`` is measured
            from their ``t_start``.
        t : float
            Anchor time in seconds: current window ``[t - w, t)``, past window ``[t - w - w_prev, t - w)``.

        Returns
        -------
        TokenWindow

        Raises
        ------
        ValueError
            Raster with the wrong number of neurons, negative or fractional counts, windows longer than the
            data, or an anchor past the end of the data.
        """
        raster, _ = as_raster(spikes, self.dt, self.n_neurons)
        return self._encode_raster(raster, t)

    def _encode_raster(self, raster: IntArray, t: float) -> TokenWindow:
        i_p0, i_a, i_c1, s_p, s_a = self._check_anchor(raster, t)
        cur_id, cur_dt, pad = self._sequence(raster, i_a, i_c1, s_a, self.id_block_size)
        prev_id, prev_dt, pad_prev = self._sequence(raster, i_p0, i_a, s_p, self.prev_id_block_size)
        return TokenWindow(
            x_id=cur_id[:-1],
            x_dt=cur_dt[:-1],
            y_id=cur_id[1:],
            y_dt=cur_dt[1:],
            x_id_prev=prev_id[:-1],
            x_dt_prev=prev_dt[:-1],
            pad=pad,
            pad_prev=pad_prev,
            interval=(s_a, float(_round_to_grid(s_a + self.window, self.dt))),
        )

    def encode(self, spikes: object, times: NDArray[np.float64] | list[float]) -> dict[str, IntArray]:
        """Tokenise many anchors at once into stacked arrays (keys as in :class:`TokenWindow`).

        Parameters
        ----------
        spikes : array-like [neurons, bins], SpikeTrains or SpikeCounts
        times : sequence of float
            Anchor times in seconds.

        Returns
        -------
        dict of str to ndarray
            ``x_id, x_dt, y_id, y_dt`` of shape ``(n, id_block_size)``, ``x_id_prev, x_dt_prev`` of shape
            ``(n, prev_id_block_size)``, ``pad, pad_prev`` of shape ``(n,)``, ``t`` the anchors.
        """
        raster, _ = as_raster(spikes, self.dt, self.n_neurons)
        ts = check_array("times", times, ndim=(0, 1), min_size=1, minimum=0.0).reshape(-1)
        n_bins = raster.shape[1]
        if (self.window + self.window_prev) > n_bins * self.dt + 1e-12:
            raise ValueError(
                f"window + window_prev = {self.window + self.window_prev} s is longer than the data "
                f"({n_bins} bins of {self.dt} s)"
            )
        # the same scalar rules as window_bins, vectorised over anchors
        a = _round_to_grid(ts - self.window, self.dt)
        p0 = _round_to_grid(a - self.window_prev, self.dt)
        c1 = _round_to_grid(a + self.window, self.dt)
        i_a = np.maximum(np.rint(a / self.dt), 0).astype(np.int64)
        i_p0 = np.maximum(np.rint(p0 / self.dt), 0).astype(np.int64)
        i_c1 = np.maximum(np.rint(c1 / self.dt), 0).astype(np.int64)
        if i_c1.max() > n_bins:
            bad = float(ts[int(np.argmax(i_c1))])
            raise ValueError(
                f"t={bad}: the current window ends at bin {int(i_c1.max())} but the data hold only {n_bins} bins "
                f"({n_bins * self.dt:.6g} s)"
            )
        # every spike of the raster once, time-major then neuron, repeated by count
        counts_tn = raster.T.reshape(-1)
        nz = np.flatnonzero(counts_tn)
        reps = counts_tn[nz]
        all_ids = np.repeat(nz % raster.shape[0], reps).astype(np.int64)
        all_bins = np.repeat(nz // raster.shape[0], reps).astype(np.int64)
        cur_id, cur_dt, pad = self._batch_sequences(all_ids, all_bins, i_a, i_c1, a, self.id_block_size)
        prev_id, prev_dt, pad_prev = self._batch_sequences(
            all_ids, all_bins, i_p0, i_a, p0, self.prev_id_block_size
        )
        return {
            "x_id": cur_id[:, :-1],
            "x_dt": cur_dt[:, :-1],
            "y_id": cur_id[:, 1:],
            "y_dt": cur_dt[:, 1:],
            "x_id_prev": prev_id[:, :-1],
            "x_dt_prev": prev_dt[:, :-1],
            "pad": pad,
            "pad_prev": pad_prev,
        }

    def _batch_sequences(
        self,
        all_ids: IntArray,
        all_bins: IntArray,
        b0: IntArray,
        b1: IntArray,
        start: NDArray[np.float64],
        block: int,
    ) -> tuple[IntArray, IntArray, IntArray]:
        lo = np.searchsorted(all_bins, b0, side="left")
        hi = np.searchsorted(all_bins, np.maximum(b1, b0), side="left")
        n = hi - lo
        keep = block - 2
        if np.any(n > keep):
            warnings.warn(
                f"{int(np.sum(n > keep))} windows exceed their block of {block} tokens; keeping the latest {keep}",
                RuntimeWarning,
                stacklevel=3,
            )
        n_w = b0.size
        m = np.arange(block + 1)[None, :]
        kept = np.minimum(n, keep)[:, None]
        # ids: SOS, the last `kept` spikes, EOS, PAD...
        src = (hi[:, None] - kept) + (m - 1)
        is_tok = (m >= 1) & (m <= kept)
        safe = np.clip(src, 0, max(all_ids.size - 1, 0))
        ids = np.full((n_w, block + 1), self.pad_id, dtype=np.int64)
        if all_ids.size:
            ids = np.where(is_tok, all_ids[safe], ids)
        ids[:, 0] = self.sos_id
        ids[np.arange(n_w), kept[:, 0] + 1] = self.eos_id
        # dts: the last `L = min(n + 2, block)` entries of [0] + offsets + [EOS], then PAD
        length = np.minimum(n + 2, block)[:, None]
        full_pos = (n[:, None] + 2 - length) + m  # index into [0] + offsets + [EOS]
        tok_src = lo[:, None] + full_pos - 1
        tok_safe = np.clip(tok_src, 0, max(all_bins.size - 1, 0))
        bins = all_bins[tok_safe] if all_bins.size else np.zeros_like(tok_safe)
        pos_start = start[:, None] > 0
        offs = np.where(pos_start, np.rint((bins * self.dt - start[:, None]) / self.dt), bins).astype(
            np.int64
        )
        is_off = (full_pos >= 1) & (full_pos <= n[:, None]) & (m < length)
        if np.any(is_off & ((offs < 0) | (offs >= self.n_dt_grid))):
            raise ValueError(f"a time offset falls outside the dt grid of {self.n_dt_grid} values")
        dts = np.full((n_w, block + 1), self.pad_dt, dtype=np.int64)
        dts = np.where(is_off, offs, dts)
        dts = np.where((full_pos == 0) & (m < length), 0, dts)
        dts = np.where((full_pos == n[:, None] + 1) & (m < length), self.eos_dt, dts)
        if self.truncation == "clean":
            dts[n > keep, 0] = 0
        pad = (block + 1 - (kept[:, 0] + 2)).astype(np.int64)
        return ids, dts, pad

    def default_anchors(self, n_bins: int, stride: float | None = None) -> NDArray[np.float64]:
        """Anchors ``t`` spaced by ``stride`` (default ``window``) with full past windows inside ``n_bins``.

        Parameters
        ----------
        n_bins : int
            Number of ``dt`` bins of the data (e.g. ``SpikeCounts.n_bins``).
        stride : float, optional
            Spacing of the anchors in seconds (default ``window``: current windows tile the data).

        Returns
        -------
        ndarray of float
            Anchors ``window + window_prev``, then every ``stride``, up to the end of the data.

        Examples
        --------
        >>> SpikeTokenizer(3, 0.01, 0.05, 0.05).default_anchors(30).tolist()
        [0.1, 0.15, 0.2, 0.25, 0.3]
        """
        n_bins = check_int("n_bins", n_bins, minimum=1)
        stride = self.window if stride is None else check_float("stride", stride, positive=True)
        t0 = self.window + self.window_prev
        n_steps = math.floor((n_bins * self.dt - t0) / stride + 1e-9) + 1
        if n_steps < 1:
            raise ValueError(f"the data ({n_bins} bins) are shorter than window + window_prev = {t0} s")
        return np.round(t0 + stride * np.arange(n_steps), 9)

    def decode(self, ids: IntArray, dts: IntArray) -> tuple[IntArray, NDArray[np.float64]]:
        """Drop special tokens and return ``(neuron_ids, offsets_in_seconds)``.

        Parameters
        ----------
        ids, dts : array_like of int, same shape
            ID and dt tokens (e.g. ``TokenWindow.y_id``, ``TokenWindow.y_dt``, or generated tokens).

        Returns
        -------
        neuron_ids : ndarray of int64
        offsets : ndarray of float64
            Time offsets in seconds from the window start.
        """
        ids = check_array("ids", ids, dtype="int", nonnegative=True)
        dts = check_array("dts", dts, dtype="int", nonnegative=True)
        if ids.shape != dts.shape:
            raise ValueError(f"ids and dts must have the same shape, got {ids.shape} and {dts.shape}")
        keep = (ids < self.n_neurons) & (dts < self.n_dt_grid)
        return ids[keep], (dts[keep] * self.dt).astype(np.float64)
