"""The three-stage pipeline as one estimator: affinities → tensor → NTF → communities per component."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurotypes import Partition, Traces

from .affinity import AffinityFn
from .community import detect
from .ntf import NTFResult, fit_ntf
from .tensor import PairIndex, build_affinity_tensor

__all__ = ["Component", "DynamicConnectome", "worm_concentration"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Component:
    """One NTF component: when (time profile), in whom (animal profile) and which communities (partition).

    Attributes
    ----------
    weight
        ``λ_r`` of the component.
    time_profile
        Unit-norm temporal loading over windows, ``[T_w]``.
    worm_profile
        Unit-norm animal loading, ``[W]``.
    affinity
        ``N × N`` symmetric weighted adjacency from the pair factor (zero diagonal).
    partition
        Communities of the neurons in ``affinity`` (``item_ids`` = neuron identities).
    window_times
        Start time (s) of each window, relative to the recordings' ``t_start``.
    """

    weight: float
    time_profile: NDArray[np.float64]
    worm_profile: NDArray[np.float64]
    affinity: NDArray[np.float64]
    partition: Partition
    window_times: NDArray[np.float64]

    @property
    def peak_window(self) -> int:
        """Window with the largest temporal loading."""
        return int(np.argmax(self.time_profile))


def worm_concentration(worm_profile: NDArray[Any]) -> float:
    """Share of a (non-negative) animal loading held by its largest entry: 1/W (uniform) … 1 (one animal)."""
    f = np.abs(np.asarray(worm_profile, dtype=np.float64))
    tot = f.sum()
    return float(f.max() / tot) if tot > 0 else float("nan")


class DynamicConnectome:
    """Dynamic functional connectome of several animals (Dyballa et al., ICLR 2024).

    Parameters
    ----------
    window
        Window length in samples for the affinities (the prototype used 50).
    rank
        Number of NTF components.
    kind
        Affinity kind (``"corise"`` stand-in, ``"pearson_window"``, or a callable); see
        :mod:`dyn_connectome.affinity` for why the paper's exact formula is not used.
    backend
        Community backend (``"wsbm"``, ``"graph-tool"``, ``"leiden"``, ``"louvain"`` or a callable).
    n_restarts
        NTF restarts (best reconstruction kept).
    method
        NTF solver: ``"hals"`` or ``"mu"``.
    align
        ``"union"`` (default; missing neurons masked per animal) or ``"intersection"``.
    seed
        Seed for the NTF initialisations and the community backend.
    uneven_worm_threshold
        A warning is logged when a component holds more than this share of its animal loading in one animal
        (the "split by animal" failure mode); ignored with a single animal.

    Attributes
    ----------
    components_ : list of Component
        Sorted by decreasing weight.
    ntf_ : NTFResult
    pairs_ : PairIndex
    unit_ids_ : tuple of str
    missing_fraction_ : float
        Share of tensor entries that were masked (absent neurons, NaN gaps, padding).
    """

    def __init__(
        self,
        window: int = 50,
        rank: int = 3,
        kind: str | AffinityFn = "corise",
        backend: str | Callable[[NDArray[np.float64], int | None], Any] = "wsbm",
        n_restarts: int = 5,
        method: str = "hals",
        align: str = "union",
        seed: int | None = 0,
        uneven_worm_threshold: float = 0.8,
    ) -> None:
        self.window = window
        self.rank = rank
        self.kind = kind
        self.backend = backend
        self.n_restarts = n_restarts
        self.method = method
        self.align = align
        self.seed = seed
        self.uneven_worm_threshold = uneven_worm_threshold

    def fit(self, traces: Sequence[Traces]) -> DynamicConnectome:
        """Fit the pipeline to one :class:`neurotypes.Traces` per animal; returns ``self``."""
        if isinstance(traces, Traces):
            raise TypeError(
                "traces: expected a list of neurotypes.Traces (one per animal), got a single Traces"
            )
        if not isinstance(traces, Sequence) or len(traces) == 0:
            raise ValueError("traces: expected a non-empty list of neurotypes.Traces (one per animal)")
        for k, t in enumerate(traces):
            if not isinstance(t, Traces):
                raise TypeError(f"traces[{k}]: expected neurotypes.Traces, got {type(t).__name__}")
        x, pairs = build_affinity_tensor(traces, window=self.window, kind=self.kind, align=self.align)
        missing = np.isnan(x)
        self.missing_fraction_ = float(missing.mean())
        if self.missing_fraction_ > 0:
            log.warning(
                "%.2f%% of the tensor entries are missing and masked out of the NTF",
                100 * self.missing_fraction_,
            )
        res = fit_ntf(x, rank=self.rank, n_restarts=self.n_restarts, method=self.method, seed=self.seed)
        rate = traces[0].rate
        times = np.arange(x.shape[1]) * self.window / rate
        comps = []
        for r in range(res.rank):
            adj = pairs.to_matrix(res.f_pairs[:, r])
            part = detect(adj, backend=self.backend, seed=self.seed, item_ids=pairs.unit_ids)
            conc = worm_concentration(res.f_worm[:, r])
            if len(traces) > 1 and conc > self.uneven_worm_threshold:
                log.warning(
                    "component %d holds %.0f%% of its animal loading in one animal: it may split by animal rather "
                    "than by time (try a longer window)",
                    r,
                    100 * conc,
                )
            comps.append(
                Component(float(res.weights[r]), res.f_time[:, r], res.f_worm[:, r], adj, part, times)
            )
        self.ntf_: NTFResult = res
        self.pairs_: PairIndex = pairs
        self.unit_ids_ = pairs.unit_ids
        self.components_: list[Component] = comps
        self.n_animals_ = len(traces)
        return self
