"""Default data (uniform random patterns) and readers of the users' data.

The method needs no recorded data: its patterns are uniformly random
``a``-of-``n`` subsets (:func:`random_sdr`, :func:`random_subsets`). Users bring
patterns as ``neurotypes.SDR`` (from dense arrays, index lists or saved ``.npz``
files), population activity as spike recordings (NWB Units tables, every format
neo reads, neurotypes ``.npz``) turned into one pattern per time bin
(:func:`read_patterns`, :func:`patterns_from_counts`), and parameter grids as
CSV files (:func:`read_parameter_csv`).
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurotypes import SDR, FormatError, SpikeCounts, SpikeTrains
from neurotypes.validation import check_path, check_positive

from ._validation import check_int, check_rng

__all__ = [
    "ParameterRow",
    "patterns_from_counts",
    "random_sdr",
    "random_subsets",
    "read_parameter_csv",
    "read_patterns",
]

# Largest float matrix the argpartition sampler builds at once (elements).
_CHUNK_ELEMENTS = 1 << 22


def random_sdr(n: int, a: int, rng: np.random.Generator | int | None = None) -> SDR:
    """A uniformly random pattern with exactly ``a`` of ``n`` cells active.

    The active cells are the indices of the ``a`` smallest of ``n`` independent
    uniform numbers (``numpy.argpartition``), which makes every ``a``-subset
    equally likely.

    Parameters
    ----------
    n : int
        Number of cells.
    a : int
        Active cells, ``0 <= a <= n``.
    rng : numpy.random.Generator or int, optional
        Source of randomness (a seed is turned into a Generator).

    Returns
    -------
    neurotypes.SDR

    Examples
    --------
    >>> x = random_sdr(1000, 20, rng=0)
    >>> x.n, x.size
    (1000, 20)

    Raises
    ------
    TypeError
        If ``n`` or ``a`` is not an integer, or ``rng`` is not a seed or Generator.
    ValueError
        If ``n < 1``, ``a < 0`` or ``a > n``.
    """
    n_ = check_int("n", n, minimum=1)
    a_ = check_int("a", a, minimum=0)
    if a_ > n_:
        raise ValueError(f"a (active cells) must be <= n (population size), got a={a_} > n={n_}")
    gen = check_rng(rng, "rng")
    if a_ == 0:
        return SDR(n_, np.empty(0, dtype=np.int64))
    keys = gen.random(n_)
    return SDR(n_, np.argpartition(keys, a_ - 1)[:a_])


def random_subsets(
    m: int, k: int, size: int, rng: np.random.Generator | int | None = None, *, sort: bool = True
) -> NDArray[np.int64]:
    """``size`` independent uniform ``k``-subsets of ``range(m)``, one row each (sorted unless ``sort=False``).

    Vectorised and exactly uniform. When ``k`` is small next to ``m`` each row
    is drawn with replacement and redrawn until its entries are distinct
    (rejection keeps the distribution uniform); otherwise each row is the
    ``k`` smallest of ``m`` uniform keys (``numpy.argpartition``). The cheaper of
    the two, by expected work, is used.

    Parameters
    ----------
    m : int
        Size of the ground set.
    k : int
        Subset size, ``0 <= k <= m``.
    size : int
        Number of subsets.
    rng : numpy.random.Generator or int, optional
    sort : bool, default True
        Sort each row; without sorting the order within a row is arbitrary.

    Returns
    -------
    numpy.ndarray of int64, shape (size, k)

    Raises
    ------
    TypeError
        If a size is not an integer, or ``rng`` is not a seed or Generator.
    ValueError
        If ``m < 1``, ``k`` or ``size`` is negative, or ``k > m``.

    Examples
    --------
    >>> random_subsets(10, 3, 2, rng=0).shape
    (2, 3)
    """
    m_ = check_int("m", m, minimum=1)
    k_ = check_int("k", k, minimum=0)
    size_ = check_int("size", size, minimum=0)
    if k_ > m_:
        raise ValueError(f"k must be <= m, got k={k_} > m={m_}")
    return _subsets(m_, k_, size_, check_rng(rng, "rng"), sort=sort).astype(np.int64, copy=False)


def _index_dtype(m: int) -> type[np.signedinteger[Any]]:
    """Narrowest signed integer type holding ``0 .. m - 1``: small rows sort several times faster."""
    if m <= np.iinfo(np.int16).max:
        return np.int16
    if m <= np.iinfo(np.int32).max:
        return np.int32
    return np.int64


def _subsets(
    m: int, k: int, size: int, gen: np.random.Generator, *, sort: bool
) -> NDArray[np.signedinteger[Any]]:
    """:func:`random_subsets` without argument checks, in the narrowest index dtype."""
    dtype = _index_dtype(m)
    if k == 0 or size == 0:
        return np.empty((size, k), dtype=dtype)
    # Probability that k draws with replacement are all distinct.
    log_accept = sum(math.log1p(-i / m) for i in range(k))
    accept = math.exp(log_accept)
    if k / accept < m:
        # Draw a few more rows than needed and keep the first `size` whose entries are distinct: the
        # accepted rows of a rejection sampler, in order (cheaper than redrawing rows in place).
        parts = []
        need = size
        while need:
            draw = gen.integers(0, m, size=(int(need / accept * 1.05) + 16, k), dtype=dtype)
            good = draw[_distinct_rows(draw)][:need]
            parts.append(good)
            need -= good.shape[0]
        out = parts[0] if len(parts) == 1 else np.concatenate(parts)
    else:
        out = np.empty((size, k), dtype=dtype)
        rows = max(1, _CHUNK_ELEMENTS // m)
        for first in range(0, size, rows):
            count = min(rows, size - first)
            keys = gen.random((count, m))
            out[first : first + count] = np.argpartition(keys, k - 1, axis=1)[:, :k]
    if sort:
        out.sort(axis=1)
    return out


def _distinct_rows(draw: NDArray[np.signedinteger[Any]]) -> NDArray[np.bool_]:
    """Whether each row holds distinct values (sorts ``draw`` in place when it has many columns)."""
    k = draw.shape[1]
    if k <= 12:  # few columns: compare every pair of columns instead of sorting the rows
        ok = np.ones(draw.shape[0], dtype=np.bool_)
        for i in range(1, k):
            for j in range(i):
                ok &= draw[:, i] != draw[:, j]
        return ok
    draw.sort(axis=1)
    return np.asarray(~np.any(draw[:, 1:] == draw[:, :-1], axis=1), dtype=np.bool_)


@dataclass(frozen=True)
class ParameterRow:
    """One row of a parameter CSV: ``n, a, s, theta`` and optional noise ``v`` and union size ``m``."""

    n: int
    a: int
    s: int
    theta: int
    v: int | None = None
    m: int | None = None


_REQUIRED = ("n", "a", "s", "theta")
_OPTIONAL = ("v", "m")


def read_parameter_csv(path: str | os.PathLike[str]) -> list[ParameterRow]:
    """Read a CSV of parameter points with a header naming ``n, a, s, theta`` (and optionally ``v``, ``m`` or ``M``).

    Empty cells in the optional columns mean "not given". Values are checked
    to be integers; the probability functions check the ranges.

    Raises
    ------
    ValueError
        If the header lacks a required column, has unknown columns, a value is
        not an integer, or the file has no rows.

    Parameters
    ----------
    path : path-like
        The CSV file (UTF-8 text).

    Returns
    -------
    list of ParameterRow

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "grid.csv"
    >>> _ = f.write_text("n,a,s,theta,M\\n1000,200,25,15,2\\n")
    >>> read_parameter_csv(f)
    [ParameterRow(n=1000, a=200, s=25, theta=15, v=None, m=2)]
    """
    p = check_path("path", path)
    try:
        return _parse_parameter_csv(p)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FormatError(f"{p.name}: not a CSV text file of parameter points ({exc})") from exc


def _parse_parameter_csv(p: Path) -> list[ParameterRow]:
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        # "M" (the paper's symbol) is accepted for the union size column.
        reader.fieldnames = [("m" if h.strip() == "M" else h.strip()) for h in (reader.fieldnames or [])]
        header = list(reader.fieldnames)
        missing = [c for c in _REQUIRED if c not in header]
        if missing:
            raise ValueError(f"{p.name}: header must name columns {', '.join(_REQUIRED)}; missing {missing}")
        unknown = [c for c in header if c not in _REQUIRED + _OPTIONAL]
        if unknown:
            raise ValueError(
                f"{p.name}: unknown columns {unknown}; allowed: {', '.join(_REQUIRED + _OPTIONAL)}"
            )
        rows: list[ParameterRow] = []
        for line, raw in enumerate(reader, start=2):
            rec = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
            values: dict[str, int | None] = {}
            for col in _REQUIRED + _OPTIONAL:
                text = rec.get(col, "")
                if text == "" and col in _OPTIONAL:
                    values[col] = None
                    continue
                try:
                    values[col] = int(text)
                except ValueError:
                    raise ValueError(
                        f"{p.name}, line {line}: column {col} must be an integer, got {text!r}"
                    ) from None
            rows.append(ParameterRow(**values))  # type: ignore[arg-type]
    if not rows:
        raise ValueError(f"{p.name}: no parameter rows after the header")
    return rows


def patterns_from_counts(counts: SpikeCounts) -> list[SDR]:
    """One pattern per time bin: the units that fired at least once in the bin.

    Parameters
    ----------
    counts : neurotypes.SpikeCounts
        Binned population activity, shape ``(n_units, n_bins)``.

    Returns
    -------
    list of neurotypes.SDR
        ``n_bins`` patterns over ``n = n_units`` cells.

    Raises
    ------
    TypeError
        If ``counts`` is not a ``SpikeCounts``.

    Examples
    --------
    >>> from neurotypes import SpikeCounts
    >>> [p.active.tolist() for p in patterns_from_counts(SpikeCounts([[0, 2], [1, 1]], bin_size=0.1))]
    [[1], [0, 1]]
    """
    if not isinstance(counts, SpikeCounts):
        raise TypeError(f"counts must be a neurotypes.SpikeCounts, got {type(counts).__name__}")
    active = np.asarray(counts.counts) > 0
    return [SDR(counts.n_units, np.flatnonzero(active[:, t])) for t in range(counts.n_bins)]


def read_patterns(path: str | os.PathLike[str], *, bin_size: float = 0.05) -> list[SDR]:
    """Read activity patterns from a file, detected by its suffix.

    ``.npz``: a saved ``neurotypes.SDR`` (one pattern), ``SpikeCounts`` (one pattern per bin) or
    ``SpikeTrains``; ``.nwb``: the Units table; any other suffix neo reads (``.abf``, ``.plx``, ...): its spike
    trains, one segment after the other. Spike trains are binned with ``bin_size`` and each bin becomes the
    pattern of the units that fired in it (:func:`patterns_from_counts`).

    Parameters
    ----------
    path : path-like
        The file.
    bin_size : float, default 0.05
        Bin width in seconds for spike trains, > 0.

    Returns
    -------
    list of neurotypes.SDR

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file cannot be read (a ``neurotypes.FormatError`` naming the file) or holds no patterns.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from neurotypes import SDR
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.npz"
    >>> _ = SDR(10, [1, 4]).save(f)
    >>> read_patterns(f)
    [SDR(n=10, size=2, active=[1, 4])]
    """
    p = check_path("path", path)
    width = check_positive("bin_size", bin_size)
    from neurotypes import load
    from neurotypes.io import read_spike_trains

    try:
        value: Any = load(p) if p.suffix.lower() == ".npz" else read_spike_trains(p)
    except (FormatError, FileNotFoundError):
        raise
    except Exception as exc:  # a reader library's own error: name the file, keep the cause
        raise FormatError(
            f"{p.name}: cannot read spike trains or patterns ({type(exc).__name__}: {exc})"
        ) from exc
    values = value if isinstance(value, list) else [value]
    patterns: list[SDR] = []
    for v in values:
        if isinstance(v, SDR):
            patterns.append(v)
        elif isinstance(v, SpikeCounts):
            patterns.extend(patterns_from_counts(v))
        elif isinstance(v, SpikeTrains):
            patterns.extend(patterns_from_counts(v.bin(width)))
        else:
            raise FormatError(f"{p.name} holds a {type(v).__name__}, not an SDR, SpikeCounts or SpikeTrains")
    if not patterns:
        raise FormatError(f"{p.name}: no activity patterns in the file")
    return patterns
