"""Embedded default data: planted-epoch calcium traces and weighted planted-partition graphs.

``planted_epochs`` is the spec's generator. Levels chosen here (documented, fixed before any fit was looked at):
each community in each epoch and animal has a shared event drive (Poisson counts, ``drive_rate`` per sample,
amplitude 1); each neuron adds private Poisson events (rate ``private_rate`` = 0.02 per sample, amplitude 1)
and Gaussian measurement noise (sd ``noise`` = 0.05); events are convolved with ``exp(−t/τ)`` (τ = 10 samples).
The sampling rate is a nominal 10 Hz.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

from neurotypes import Partition, Traces

__all__ = [
    "DEFAULT_SCHEDULE",
    "planted_epochs",
    "weighted_er",
    "weighted_planted_partition",
]

#: Epoch structure of the spec for 3 groups A, B, C: {A},{B},{C} → {A∪B},{C} → {A},{B∪C}.
DEFAULT_SCHEDULE: tuple[tuple[tuple[int, ...], ...], ...] = (
    ((0,), (1,), (2,)),
    ((0, 1), (2,)),
    ((0,), (1, 2)),
)


def _exp_filter(events: NDArray[np.float64], tau: float) -> NDArray[np.float64]:
    decay = np.exp(-1.0 / tau)
    return np.asarray(lfilter([1.0], [1.0, -decay], events, axis=-1), dtype=np.float64)


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
    """Calcium-like traces with communities that change across equal epochs.

    Parameters
    ----------
    n_per_group, n_groups
        Neurons per group and number of groups (neurons are ordered group by group).
    n_worms
        Animals; animal ``w`` uses seed ``seed + w`` (the spec's worm seeds 100…103).
    T, epochs
        Samples per recording, split into ``epochs`` equal epochs.
    drive_rate
        Rate (events per sample) of each community's shared Poisson drive.
    tau
        Decay time constant of the calcium kernel ``exp(−t/τ)``, in samples.
    seed
        Seed of the first animal.
    schedule
        Per epoch, the communities as tuples of group indices (default: the spec's 3-epoch structure, which
        needs ``n_groups = 3`` and ``epochs = 3``).
    private_rate, noise
        Private event rate per neuron and Gaussian noise sd.
    rate
        Nominal sampling rate (Hz) stored in the Traces.

    Returns
    -------
    traces : list of neurotypes.Traces
        One per animal, ``data[N, T]`` with ``unit_ids`` ``"n000"``, ``"n001"``, …
    partitions : list of neurotypes.Partition
        The planted partition of the neurons in each epoch.
    """
    for name, v in (("n_per_group", n_per_group), ("n_groups", n_groups), ("n_worms", n_worms), ("T", T)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ValueError(f"{name}: must be a positive int, got {v!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or not 1 <= epochs <= T:
        raise ValueError(f"epochs: must be an int in [1, T], got {epochs!r}")
    if drive_rate < 0 or private_rate < 0 or noise < 0 or tau <= 0:
        raise ValueError("drive_rate, private_rate, noise: must be >= 0 and tau > 0")
    if schedule is None:
        if n_groups != 3 or epochs != 3:
            raise ValueError("schedule: the default schedule needs n_groups=3 and epochs=3; pass a schedule")
        schedule = DEFAULT_SCHEDULE
    if len(schedule) != epochs:
        raise ValueError(f"schedule: needs one entry per epoch ({epochs}), got {len(schedule)}")
    for e, comms in enumerate(schedule):
        flat = sorted(g for c in comms for g in c)
        if flat != list(range(n_groups)):
            raise ValueError(f"schedule[{e}]: communities must partition the groups 0..{n_groups - 1}")
    n = n_per_group * n_groups
    group = np.repeat(np.arange(n_groups), n_per_group)
    bounds = np.linspace(0, T, epochs + 1).astype(int)
    partitions = []
    for comms in schedule:
        lab = np.empty(n, np.int64)
        for k, c in enumerate(comms):
            lab[np.isin(group, c)] = k
        partitions.append(Partition(lab, item_ids=tuple(f"n{i:03d}" for i in range(n))))
    traces = []
    for w in range(n_worms):
        rng = np.random.default_rng(seed + w)
        events = rng.poisson(private_rate, size=(n, T)).astype(np.float64)
        for e, comms in enumerate(schedule):
            lo, hi = bounds[e], bounds[e + 1]
            for c in comms:
                drive = rng.poisson(drive_rate, size=hi - lo).astype(np.float64)
                events[np.isin(group, c), lo:hi] += drive
        data = _exp_filter(events, tau) + rng.normal(0.0, noise, size=(n, T))
        traces.append(Traces(data, rate=rate, unit_ids=tuple(f"n{i:03d}" for i in range(n))))
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
    seed: int | None = 0,
) -> tuple[NDArray[np.float64], Partition]:
    """Bernoulli edges (``p_in`` within, ``p_out`` between blocks) with exponential weights.

    Returns the symmetric adjacency (zero diagonal) and the planted :class:`neurotypes.Partition` (equal
    blocks, nodes ordered block by block).
    """
    if not (isinstance(N, int | np.integer) and isinstance(B, int | np.integer) and 1 <= B <= N):
        raise ValueError(f"N, B: need ints with 1 <= B <= N, got N={N!r}, B={B!r}")
    for name, p in (("p_in", p_in), ("p_out", p_out)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name}: must be a probability in [0, 1], got {p}")
    if mean_in <= 0 or mean_out <= 0:
        raise ValueError("mean_in, mean_out: must be > 0")
    rng = np.random.default_rng(seed)
    labels = np.arange(N) * B // N
    iu = np.triu_indices(N, k=1)
    same = labels[iu[0]] == labels[iu[1]]
    edge = rng.random(iu[0].size) < np.where(same, p_in, p_out)
    weight = rng.exponential(np.where(same, mean_in, mean_out))
    return _sym_from_upper(N, np.where(edge, weight, 0.0)), Partition(labels.astype(np.int64))


def weighted_er(N: int = 120, p: float = 0.1, mean: float = 1.0, seed: int | None = 0) -> NDArray[np.float64]:
    """Structureless control: Erdős–Rényi edges with i.i.d. exponential weights (symmetric, zero diagonal)."""
    if not isinstance(N, int | np.integer) or N < 1:
        raise ValueError(f"N: must be a positive int, got {N!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p: must be a probability in [0, 1], got {p}")
    if mean <= 0:
        raise ValueError(f"mean: must be > 0, got {mean}")
    rng = np.random.default_rng(seed)
    m = N * (N - 1) // 2
    edge = rng.random(m) < p
    return _sym_from_upper(N, np.where(edge, rng.exponential(mean, size=m), 0.0))
