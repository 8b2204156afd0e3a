"""Default data and readers of real recordings.

Default data (the paper's C. elegans NeuroPAL recordings are not available offline):

- :func:`planted_epochs`: calcium-like traces of several animals whose communities change across epochs;
- :func:`weighted_planted_partition`: a weighted stochastic block model (the SBM's own generative model);
- :func:`weighted_lfr`: an LFR-like weighted benchmark (power-law degrees and community sizes, weights that
  scale with degree): *not* an SBM, the kind of graph the paper's benchmark uses;
- :func:`weighted_er`: the structureless control.

Readers (one animal per file; recordings come in through :mod:`neurotypes.io`):

- ``.csv``/``.tsv``: a table read by :func:`neurotypes.io.read_traces_table` with ``layout`` (one row per neuron
  with its name first, or one row per sample with the time first); a table that looks transposed is refused
  with a hint, never read silently;
- ``.nwb``: a ``TimeSeries``/``RoiResponseSeries`` (:meth:`neurotypes.Traces.from_nwb`, ``series=`` picks one),
  or, with ``bin_size``, the Units table of a spike-sorted recording binned into rates
  (:meth:`neurotypes.SpikeTrains.from_nwb`, :func:`spike_rates`);
- ``.npz``: a file written by neurotypes (``Traces``; ``SpikeTrains`` with ``bin_size``; ``SpikeCounts``);
- ``.mat``: MATLAB arrays ``data`` [neurons, samples], ``neurons``/``unit_ids`` and ``rate`` (scipy);
- every format neo reads (``.abf``, ``.smr``, ...): one segment, ``signal=`` picks the signal.

Every reader returns a :class:`neurotypes.Traces` whose ``unit_ids`` are the neuron names (used to align
animals) and refuses malformed files with an error naming the file.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from neurotypes import FormatError, Partition, SpikeCounts, SpikeTrains, Traces
from neurotypes.validation import (
    check_array,
    check_choice,
    check_float,
    check_int,
    check_path,
    check_positive,
    check_probability,
    check_rng,
)

__all__ = [
    "DEFAULT_SCHEDULE",
    "load_many",
    "load_traces",
    "planted_epochs",
    "spike_rates",
    "weighted_er",
    "weighted_lfr",
    "weighted_planted_partition",
]

log = logging.getLogger(__name__)

Layout = Literal["units-by-samples", "samples-by-units"]

#: Epoch structure of the spec for 3 groups A, B, C: {A},{B},{C} → {A∪B},{C} → {A},{B∪C}.
DEFAULT_SCHEDULE: tuple[tuple[tuple[int, ...], ...], ...] = (
    ((0,), (1,), (2,)),
    ((0, 1), (2,)),
    ((0,), (1, 2)),
)

#: Suffixes read through neo (``neurotypes[neo]``).
_NEO_SUFFIXES = frozenset(
    {".abf", ".smr", ".smrx", ".plx", ".pl2", ".nev", ".ns5", ".ns6", ".ns2", ".edf", ".axgd", ".wcp", ".nix"}
)


# ------------------------------------------------------------------------------------------------ generators


def _exp_filter(events: NDArray[np.float64], tau: float) -> NDArray[np.float64]:
    from scipy.signal import lfilter

    decay = math.exp(-1.0 / tau)
    return np.asarray(lfilter([1.0], [1.0, -decay], events, axis=-1), dtype=np.float64)


def _check_schedule(
    schedule: Sequence[Sequence[Sequence[int]]] | None, n_groups: int, epochs: int
) -> tuple[tuple[tuple[int, ...], ...], ...]:
    if schedule is None:
        if n_groups != 3 or epochs != 3:
            raise ValueError("schedule: the default schedule needs n_groups=3 and epochs=3; pass a schedule")
        return DEFAULT_SCHEDULE
    if isinstance(schedule, str | bytes) or not isinstance(schedule, Sequence):
        raise TypeError("schedule must be a sequence (one entry per epoch) of sequences of group tuples")
    if len(schedule) != epochs:
        raise ValueError(f"schedule: needs one entry per epoch ({epochs}), got {len(schedule)}")
    out = []
    for e, comms in enumerate(schedule):
        try:
            groups = tuple(tuple(check_int(f"schedule[{e}]", g, minimum=0) for g in c) for c in comms)
        except TypeError:
            raise TypeError(f"schedule[{e}] must be a sequence of tuples of group indices") from None
        flat = sorted(g for c in groups for g in c)
        if flat != list(range(n_groups)) or any(not c for c in groups):
            raise ValueError(f"schedule[{e}]: communities must partition the groups 0..{n_groups - 1}")
        out.append(groups)
    return tuple(out)


def planted_epochs(
    n_per_group: int = 10,
    n_groups: int = 3,
    n_worms: int = 4,
    T: int = 1200,
    epochs: int = 3,
    drive_rate: float = 0.15,
    tau: float = 10.0,
    seed: int = 100,
    schedule: Sequence[Sequence[Sequence[int]]] | None = None,
    private_rate: float = 0.02,
    noise: float = 0.05,
    rate: float = 10.0,
) -> tuple[list[Traces], list[Partition]]:
    """Calcium-like traces with communities that change across equal epochs (the spec's generator).

    Each community in each epoch and animal has a shared Poisson event drive (``drive_rate`` events per sample,
    amplitude 1); each neuron adds private Poisson events (``private_rate``) and Gaussian measurement noise
    (sd ``noise``); events are convolved with ``exp(-t/tau)``. Levels fixed before any fit was looked at.

    Parameters
    ----------
    n_per_group, n_groups : int
        Neurons per group and number of groups (neurons are ordered group by group), >= 1.
    n_worms : int
        Animals, >= 1; animal ``w`` uses seed ``seed + w`` (the spec's worm seeds 100...103).
    T, epochs : int
        Samples per recording, split into ``epochs`` equal epochs (1 <= epochs <= T).
    drive_rate : float
        Rate (events per sample) of each community's shared Poisson drive, >= 0.
    tau : float
        Decay time constant of the calcium kernel ``exp(-t/tau)`` in samples, > 0.
    seed : int
        Seed of the first animal, >= 0.
    schedule : sequence, optional
        Per epoch, the communities as tuples of group indices (default: the spec's 3-epoch structure, which
        needs ``n_groups = 3`` and ``epochs = 3``).
    private_rate, noise : float
        Private event rate per neuron and Gaussian noise sd, >= 0.
    rate : float
        Nominal sampling rate (Hz) stored in the Traces, > 0.

    Returns
    -------
    traces : list of neurotypes.Traces
        One per animal, ``data[N, T]`` with ``unit_ids`` ``"n000"``, ``"n001"``, ...
    partitions : list of neurotypes.Partition
        The planted partition of the neurons in each epoch.

    Raises
    ------
    TypeError, ValueError
        An argument of the wrong type or out of range (the message names it).

    Examples
    --------
    >>> traces, parts = planted_epochs(n_worms=2, T=300)
    >>> len(traces), traces[0].data.shape, [p.n_clusters for p in parts]
    (2, (30, 300), [3, 2, 2])
    """
    n_per_group = check_int("n_per_group", n_per_group, minimum=1)
    n_groups = check_int("n_groups", n_groups, minimum=1)
    n_worms = check_int("n_worms", n_worms, minimum=1)
    T = check_int("T", T, minimum=1)
    epochs = check_int("epochs", epochs, minimum=1, maximum=T)
    drive_rate = check_float("drive_rate", drive_rate, minimum=0.0)
    private_rate = check_float("private_rate", private_rate, minimum=0.0)
    noise = check_float("noise", noise, minimum=0.0)
    tau = check_positive("tau", tau)
    rate = check_positive("rate", rate)
    seed = check_int("seed", seed, minimum=0)
    plan = _check_schedule(schedule, n_groups, epochs)
    n = n_per_group * n_groups
    ids = tuple(f"n{i:03d}" for i in range(n))
    group = np.repeat(np.arange(n_groups), n_per_group)
    bounds = np.linspace(0, T, epochs + 1).astype(int)
    partitions = []
    for comms in plan:
        lab = np.empty(n, np.int64)
        for k, c in enumerate(comms):
            lab[np.isin(group, c)] = k
        partitions.append(Partition(lab, item_ids=ids))
    traces = []
    for w in range(n_worms):
        rng = np.random.default_rng(seed + w)
        events = rng.poisson(private_rate, size=(n, T)).astype(np.float64)
        for e, comms in enumerate(plan):
            lo, hi = bounds[e], bounds[e + 1]
            for c in comms:
                drive = rng.poisson(drive_rate, size=hi - lo).astype(np.float64)
                events[np.isin(group, c), lo:hi] += drive
        data = _exp_filter(events, tau) + rng.normal(0.0, noise, size=(n, T))
        traces.append(Traces(data, rate=rate, unit_ids=ids))
    return traces, partitions


def _sym_from_upper(n: int, values: NDArray[np.float64]) -> NDArray[np.float64]:
    a = np.zeros((n, n))
    iu = np.triu_indices(n, k=1)
    a[iu] = values
    return a + a.T


def weighted_planted_partition(
    N: int = 120,
    B: int = 4,
    p_in: float = 0.3,
    p_out: float = 0.05,
    mean_in: float = 2.0,
    mean_out: float = 1.0,
    seed: int | np.random.Generator | None = 0,
) -> tuple[NDArray[np.float64], Partition]:
    """A weighted planted partition: Bernoulli edges with exponential weights (the SBM's own model).

    Parameters
    ----------
    N, B : int
        Nodes and blocks, ``1 <= B <= N`` (equal blocks, nodes ordered block by block).
    p_in, p_out : float
        Edge probabilities within and between blocks, in [0, 1].
    mean_in, mean_out : float
        Means of the exponential edge weights within and between blocks, > 0.
    seed : int, numpy.random.Generator or None
        Randomness.

    Returns
    -------
    adjacency : numpy.ndarray
        Symmetric ``N x N`` weights, zero diagonal.
    partition : neurotypes.Partition
        The planted blocks.

    Examples
    --------
    >>> a, p = weighted_planted_partition(N=8, B=2, seed=1)
    >>> a.shape, p.n_clusters, bool((a == a.T).all())
    ((8, 8), 2, True)
    """
    N = check_int("N", N, minimum=1)
    B = check_int("B", B, minimum=1, maximum=N)
    p_in = check_probability("p_in", p_in)
    p_out = check_probability("p_out", p_out)
    mean_in = check_positive("mean_in", mean_in)
    mean_out = check_positive("mean_out", mean_out)
    rng = check_rng(seed)
    labels = np.arange(N) * B // N
    iu = np.triu_indices(N, k=1)
    same = labels[iu[0]] == labels[iu[1]]
    edge = rng.random(iu[0].size) < np.where(same, p_in, p_out)
    weight = rng.exponential(np.where(same, mean_in, mean_out))
    return _sym_from_upper(N, np.where(edge, weight, 0.0)), Partition(labels.astype(np.int64))


def weighted_er(
    N: int = 120, p: float = 0.1, mean: float = 1.0, seed: int | np.random.Generator | None = 0
) -> NDArray[np.float64]:
    """Structureless control: Erdős–Rényi edges with i.i.d. exponential weights.

    Parameters
    ----------
    N : int
        Nodes, >= 1.
    p : float
        Edge probability in [0, 1].
    mean : float
        Mean edge weight, > 0.
    seed : int, numpy.random.Generator or None
        Randomness.

    Returns
    -------
    numpy.ndarray
        Symmetric ``N x N`` weights, zero diagonal.
    """
    N = check_int("N", N, minimum=1)
    p = check_probability("p", p)
    mean = check_positive("mean", mean)
    rng = check_rng(seed)
    m = N * (N - 1) // 2
    edge = rng.random(m) < p
    return _sym_from_upper(N, np.where(edge, rng.exponential(mean, size=m), 0.0))


def _power_law_integers(
    rng: np.random.Generator, lo: int, hi: int, exponent: float, size: int
) -> NDArray[np.int64]:
    values = np.arange(lo, hi + 1, dtype=np.float64)
    p = values**-exponent
    return rng.choice(values, size=size, p=p / p.sum()).astype(np.int64)


def _min_degree_for_mean(k: float, maxk: int, exponent: float) -> int:
    """Smallest degree of a discrete power law on [kmin, maxk] whose mean is closest to ``k``."""
    best, best_gap = 1, math.inf
    for kmin in range(1, maxk + 1):
        values = np.arange(kmin, maxk + 1, dtype=np.float64)
        p = values**-exponent
        gap = abs(float((values * p).sum() / p.sum()) - k)
        if gap < best_gap:
            best, best_gap = kmin, gap
    return best


def _community_sizes(rng: np.random.Generator, n: int, minc: int, maxc: int, exponent: float) -> list[int]:
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(_power_law_integers(rng, minc, maxc, exponent, 1)[0]))
    excess = sum(sizes) - n
    if excess:
        last = sizes.pop()
        if last - excess >= minc:
            sizes.append(last - excess)
        else:  # spread the remainder over communities that still have room
            rest = n - sum(sizes)
            while rest > 0:
                room = [c for c, s in enumerate(sizes) if s < maxc]
                if not room:
                    sizes.append(rest)
                    break
                sizes[int(rng.choice(room))] += 1
                rest -= 1
    return sizes


def _wire(
    rng: np.random.Generator,
    nodes: NDArray[np.int64],
    stubs: NDArray[np.int64],
    ok: Any,
    edges: set[tuple[int, int]],
    rounds: int = 50,
) -> set[tuple[int, int]]:
    """Configuration-model wiring of ``stubs`` half-edges per node into a simple graph.

    Stubs are paired at random; a pair that would make a self-loop, a multi-edge or a pair refused by ``ok`` is
    put back and the left-over stubs are paired again, up to ``rounds`` times (what cannot be placed is
    dropped). Returns the new edges (also added to ``edges``).
    """
    new: set[tuple[int, int]] = set()
    pool = np.repeat(nodes, stubs)
    for _ in range(rounds):
        if pool.size < 2:
            break
        rng.shuffle(pool)
        if pool.size % 2:
            pool = pool[:-1]
        left: list[int] = []
        for a, b in pool.reshape(-1, 2).tolist():
            e = (min(a, b), max(a, b))
            if a == b or e in edges or not ok(a, b):
                left += [a, b]
            else:
                edges.add(e)
                new.add(e)
        if len(left) == pool.size:
            break
        pool = np.asarray(left, dtype=np.int64)
    return new


def _fit_strengths(
    pairs: NDArray[np.int64], target: NDArray[np.float64], n: int, iters: int = 200
) -> NDArray[np.float64]:
    """Edge weights whose node strengths approach ``target`` (iterative proportional scaling, from 1)."""
    w = np.ones(pairs.shape[0])
    if not pairs.size:
        return w
    for _ in range(iters):
        s = np.bincount(pairs.ravel(), weights=np.repeat(w, 2), minlength=n)
        f = np.sqrt(np.where(s > 0, target / np.where(s > 0, s, 1.0), 1.0))
        w = w * f[pairs[:, 0]] * f[pairs[:, 1]]
    return w


def weighted_lfr(
    N: int = 125,
    k: float = 25.0,
    maxk: int = 100,
    mu_t: float = 0.5,
    mu_w: float = 0.5,
    beta: float = 1.0,
    t1: float = 2.0,
    t2: float = 1.0,
    minc: int | None = None,
    maxc: int | None = None,
    seed: int | np.random.Generator | None = 0,
) -> tuple[NDArray[np.float64], Partition]:
    """An LFR-like weighted benchmark graph (after Lancichinetti & Fortunato 2009), generated in numpy.

    Not the reference C++ generator (which the paper's notebook builds): a documented re-statement with the
    same ingredients, and not a stochastic block model. Degrees follow a power law (exponent ``t1``, mean about
    ``k``, at most ``maxk``); community sizes a power law (exponent ``t2``) on ``[minc, maxc]``; each node
    sends a fraction ``mu_t`` of its edges outside its community. Edges are wired as a configuration model into
    a simple graph (stubs that would make a self-loop or a multi-edge are paired again; what cannot be placed is
    dropped, so realised degrees can be a little lower and the mixing a little off). Node strength is ``s_i = k_i ** beta`` (realised
    degree), a fraction ``mu_w`` of it on external edges; the weights of internal and of external edges are
    fitted to those strengths by iterative proportional scaling (LFR fits them by least squares). Nodes are
    assigned to communities in decreasing degree so that internal degrees fit; where one cannot, its internal
    degree is capped at the community size minus one.

    Parameters
    ----------
    N : int
        Nodes, >= 4.
    k : float
        Target mean degree, in (0, maxk].
    maxk : int
        Maximum degree, in [1, N - 1].
    mu_t, mu_w : float
        Topological and weight mixing parameters, in [0, 1].
    beta : float
        Strength exponent (``s = k ** beta``), >= 0.
    t1, t2 : float
        Exponents of the degree and community-size power laws, >= 0.
    minc, maxc : int, optional
        Smallest and largest community size, ``2 <= minc <= maxc <= N``; by default the smallest and the
        largest degree of the power law, as the LFR program sets them (``[10, 100]`` for the paper's settings).
    seed : int, numpy.random.Generator or None
        Randomness.

    Returns
    -------
    adjacency : numpy.ndarray
        Symmetric ``N x N`` non-negative weights, zero diagonal.
    partition : neurotypes.Partition
        The planted communities.

    Examples
    --------
    >>> a, p = weighted_lfr(N=60, k=8, maxk=20, minc=10, maxc=30, seed=1)
    >>> a.shape, bool((a == a.T).all()), p.n_items
    ((60, 60), True, 60)
    """
    N = check_int("N", N, minimum=4)
    maxk = check_int("maxk", maxk, minimum=1, maximum=N - 1)
    k = check_float("k", k, positive=True, maximum=float(maxk))
    mu_t = check_probability("mu_t", mu_t)
    mu_w = check_probability("mu_w", mu_w)
    beta = check_float("beta", beta, minimum=0.0)
    t1 = check_float("t1", t1, minimum=0.0)
    t2 = check_float("t2", t2, minimum=0.0)
    kmin = _min_degree_for_mean(k, maxk, t1)
    minc = check_int("minc", max(kmin, 2) if minc is None else minc, minimum=2, maximum=N)
    maxc = check_int("maxc", min(maxk, N) if maxc is None else maxc, minimum=minc, maximum=N)
    rng = check_rng(seed)

    degrees = _power_law_integers(rng, kmin, maxk, t1, N)
    sizes = _community_sizes(rng, N, minc, maxc, t2)
    k_in = np.rint((1.0 - mu_t) * degrees).astype(np.int64)
    # Nodes in decreasing internal degree go to a random community with room that can hold their internal edges.
    labels = np.full(N, -1, dtype=np.int64)
    free = np.asarray(sizes, dtype=np.int64).copy()
    cap = np.asarray(sizes, dtype=np.int64)
    for i in np.argsort(-k_in, kind="stable"):
        fits = np.flatnonzero((free > 0) & (cap - 1 >= k_in[i]))
        if fits.size:
            c = int(rng.choice(fits))
        else:
            open_ = np.flatnonzero(free > 0)
            c = int(open_[np.argmax(cap[open_])])
            k_in[i] = cap[c] - 1
        labels[i] = c
        free[c] -= 1
    k_ext = degrees - k_in

    edges: set[tuple[int, int]] = set()
    nodes = np.arange(N, dtype=np.int64)
    internal: set[tuple[int, int]] = set()
    for c in range(len(sizes)):
        members = nodes[labels == c]
        internal |= _wire(rng, members, k_in[members], lambda a, b: True, edges)
    external = _wire(rng, nodes, k_ext, lambda a, b: labels[a] != labels[b], edges)

    # Strengths s_i = k_i ** beta (realised degrees), a share mu_w of them on external edges; the weights of each
    # kind are fitted to their share of the strengths by iterative proportional scaling.
    adj = np.zeros((N, N))
    e_in = np.asarray(sorted(internal), dtype=np.int64).reshape(-1, 2)
    e_out = np.asarray(sorted(external), dtype=np.int64).reshape(-1, 2)
    deg = (np.bincount(e_in.ravel(), minlength=N) + np.bincount(e_out.ravel(), minlength=N)).astype(
        np.float64
    )
    strength = deg**beta
    for pairs, share in ((e_in, 1.0 - mu_w), (e_out, mu_w)):
        if share <= 0.0:  # no weight on this kind of edge: such edges are absent, as in LFR
            continue
        w = _fit_strengths(pairs, share * strength, N)
        adj[pairs[:, 0], pairs[:, 1]] = w
        adj[pairs[:, 1], pairs[:, 0]] = w
    return adj, Partition(labels)


# --------------------------------------------------------------------------------------------------- readers


def spike_rates(spike_trains: SpikeTrains, bin_size: float, tau: float | None = None) -> Traces:
    """Firing rates (spikes per second) of spike-sorted units in bins, optionally smoothed like a calcium trace.

    Parameters
    ----------
    spike_trains : neurotypes.SpikeTrains
        The units (``unit_ids`` become the neuron names; ``"0"``, ``"1"``... when absent).
    bin_size : float
        Bin width in seconds, > 0.
    tau : float, optional
        Time constant in seconds (> 0) of a causal exponential kernel ``exp(-t/tau)`` applied to the binned
        rates (a calcium-indicator-like smoothing); ``None`` keeps the binned rates.

    Returns
    -------
    neurotypes.Traces
        ``data[n_units, n_bins]`` in Hz at ``1 / bin_size`` Hz, ``signal_units="Hz"``.

    Examples
    --------
    >>> st = SpikeTrains([0.05, 0.15, 0.16], [0, 0, 1], 2, 0.0, t_stop=0.2)
    >>> spike_rates(st, 0.1).data.tolist()
    [[10.0, 10.0], [0.0, 10.0]]
    """
    if not isinstance(spike_trains, SpikeTrains):
        raise TypeError(f"spike_trains must be a neurotypes.SpikeTrains, got {type(spike_trains).__name__}")
    bin_size = check_positive("bin_size", bin_size)
    counts: SpikeCounts = spike_trains.bin(bin_size)
    rates = counts.counts.astype(np.float64) / bin_size
    if tau is not None:
        tau = check_positive("tau", tau)
        rates = _exp_filter(rates, tau / bin_size) * (1.0 - math.exp(-bin_size / tau))
    ids = spike_trains.unit_ids or tuple(str(u) for u in range(spike_trains.n_units))
    return Traces(rates, 1.0 / bin_size, counts.t_start, unit_ids=ids, signal_units="Hz")


def _read_mat(path: Path, rate: float | None) -> Traces:
    from scipy.io import loadmat

    try:
        z = loadmat(path)
    except Exception as err:  # scipy raises many kinds of errors on foreign files
        raise FormatError(
            f"file {str(path)!r} is not a readable MAT file ({type(err).__name__}: {err})"
        ) from None
    if "data" not in z:
        raise FormatError(f"file {str(path)!r}: a MAT file must hold a variable 'data' [neurons, samples]")
    try:
        data = check_array("data", z["data"], ndim=2, allow_nan=True)
    except (TypeError, ValueError) as err:
        raise FormatError(f"file {str(path)!r}: {err}") from None
    names = next((z[k] for k in ("unit_ids", "neurons", "names") if k in z), None)
    ids = None
    if names is not None:
        ids = [
            str(np.asarray(n).ravel()[0]).strip() if np.size(n) else ""
            for n in np.asarray(names, dtype=object).ravel()
        ]
    stored = next((z[k] for k in ("rate", "fs") if k in z), None)
    if rate is None:
        if stored is None:
            raise ValueError(f"rate: file {str(path)!r} states no sampling rate; pass rate (Hz)")
        rate = float(np.asarray(stored, dtype=np.float64).ravel()[0])
    t0 = float(np.asarray(z["t_start"], dtype=np.float64).ravel()[0]) if "t_start" in z else 0.0
    try:
        return Traces(data, rate=rate, t_start=t0, unit_ids=ids)
    except (TypeError, ValueError) as err:
        raise FormatError(f"file {str(path)!r}: {err}") from None


def _one_segment(path: Path, segments: list[Traces], segment: int | None) -> Traces:
    if segment is None:
        if len(segments) != 1:
            raise ValueError(
                f"segment: file {str(path)!r} holds {len(segments)} segments (sweeps); pick one with segment= "
                "(CLI: --segment)"
            )
        return segments[0]
    segment = check_int("segment", segment, minimum=0)
    if segment >= len(segments):
        raise ValueError(f"segment: file {str(path)!r} holds {len(segments)} segments, got segment={segment}")
    return segments[segment]


def load_traces(
    path: str | os.PathLike[str],
    *,
    rate: float | None = None,
    layout: Layout = "units-by-samples",
    series: str | None = None,
    bin_size: float | None = None,
    tau: float | None = None,
    segment: int | None = None,
    signal: int | str | None = None,
) -> Traces:
    """Read one animal's traces (neuron names in ``unit_ids``) from a file, chosen by its suffix.

    Parameters
    ----------
    path : str or path-like
        ``.csv``/``.tsv``/``.txt``, ``.nwb``, ``.npz``, ``.mat`` or a neo format (see the module docstring).
    rate : float, optional
        Sampling rate in Hz (> 0) for tables without an evenly spaced time axis and MAT files without ``rate``.
    layout : {"units-by-samples", "samples-by-units"}
        Orientation of a text table: one row per neuron (name first, header = sample times) or one row per
        sample (time first, header = neuron names). A table whose neuron names look like evenly spaced times
        is refused with a hint to pass the other layout.
    series : str, optional
        Name of the NWB ``TimeSeries``/``RoiResponseSeries`` to read (needed when the file holds several).
    bin_size : float, optional
        For spike-sorted units (an NWB Units table, a neurotypes ``SpikeTrains`` file): bin width in seconds;
        the units are read as firing rates (:func:`spike_rates`).
    tau : float, optional
        Smoothing time constant in seconds for binned spike trains (see :func:`spike_rates`).
    segment : int, optional
        Segment (sweep) of a multi-segment neo file.
    signal : int or str, optional
        Signal of a neo segment that holds several.

    Returns
    -------
    neurotypes.Traces

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    neurotypes.FormatError
        The file is not what its suffix says (a ``ValueError`` naming the file).
    ValueError, TypeError
        Bad arguments, or a table that looks transposed.
    ImportError
        NWB or neo files without the ``nwb``/``neo`` extra.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "w.csv").write_text("neuron,0.0,0.5,1.0\\nAVAL,0.1,0.2,0.3\\nAWBL,0.0,0.1,0.0\\n")
    >>> tr = load_traces(folder / "w.csv")
    >>> tr.unit_ids, tr.rate
    (('AVAL', 'AWBL'), 2.0)
    """
    p = check_path("path", path)
    layout = check_choice("layout", layout, ("units-by-samples", "samples-by-units"))
    if rate is not None:
        rate = check_positive("rate", rate)
    if bin_size is not None:
        bin_size = check_positive("bin_size", bin_size)
    if tau is not None:
        tau = check_positive("tau", tau)
    if series is not None and (not isinstance(series, str) or not series):
        raise TypeError(f"series must be a non-empty string, got {series!r}")
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        from neurotypes.io import read_traces_table

        return read_traces_table(p, rate=rate, layout=layout)
    if suffix == ".nwb":
        if bin_size is not None:
            return spike_rates(SpikeTrains.from_nwb(p), bin_size, tau)
        try:
            return Traces.from_nwb(p, name=series)
        except FormatError:
            raise
        except ValueError as err:
            if "holds no TimeSeries" in str(err):
                raise ValueError(
                    f"{err}; for the Units table of spike-sorted units pass bin_size (CLI: --bin-size)"
                ) from None
            raise
    if suffix == ".npz":
        import neurotypes

        value = neurotypes.load(p)
        if isinstance(value, Traces):
            return value
        if isinstance(value, SpikeCounts):
            return spike_rates(value.to_spike_trains(), value.bin_size, tau)
        if isinstance(value, SpikeTrains):
            if bin_size is None:
                raise ValueError(f"bin_size: file {str(p)!r} holds spike trains; pass bin_size to bin them")
            return spike_rates(value, bin_size, tau)
        raise FormatError(f"file {str(p)!r} holds a {type(value).__name__}, not Traces or spike trains")
    if suffix == ".mat":
        return _read_mat(p, rate)
    if suffix in _NEO_SUFFIXES:
        from neurotypes.io import read_traces

        return _one_segment(p, read_traces(p, signal=signal), segment)
    raise FormatError(
        f"file {str(p)!r}: unknown format {suffix or '(no suffix)'}; dyn-connectome reads .csv/.tsv, .nwb, "
        f".npz, .mat and the neo formats {', '.join(sorted(_NEO_SUFFIXES))}"
    )


def load_many(paths: Sequence[str | os.PathLike[str]], **kwargs: Any) -> list[Traces]:
    """Read one file per animal (see :func:`load_traces` for ``kwargs``).

    Parameters
    ----------
    paths : sequence of path-like
        At least one file.

    Returns
    -------
    list of neurotypes.Traces
    """
    if isinstance(paths, str | bytes | os.PathLike) or not isinstance(paths, Sequence):
        raise TypeError("paths must be a sequence of file paths (one per animal)")
    if not paths:
        raise ValueError("paths: need at least one file")
    return [load_traces(p, **kwargs) for p in paths]
