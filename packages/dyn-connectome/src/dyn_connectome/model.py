"""The three-stage pipeline as one estimator: affinities → tensor → NTF → communities per component.

:class:`DynamicConnectome` follows scikit-learn's shape: the constructor stores the parameters, :meth:`fit`
validates them, learns and returns ``self``; learned state ends in ``_``. A fitted model saves to a versioned
``.npz`` (arrays plus JSON metadata, no pickle) and its results to NWB (:meth:`DynamicConnectome.to_nwb`) or,
for spike-sorted units, as columns of their Units table (:meth:`DynamicConnectome.unit_columns` with
:func:`neurotypes.io.add_unit_columns`).
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurotypes import FormatError, Partition, Traces, atomic_write_bytes
from neurotypes.validation import (
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_path,
    check_probability,
)

from .affinity import AffinityFn
from .community import BACKENDS, detect
from .ntf import NTFResult, fit_ntf
from .tensor import PairIndex, build_affinity_tensor

__all__ = ["MODEL_FORMAT", "MODEL_VERSION", "Component", "DynamicConnectome", "worm_concentration"]

log = logging.getLogger(__name__)

#: Format name and version of the files written by :meth:`DynamicConnectome.save`.
MODEL_FORMAT = "dyn-connectome.DynamicConnectome"
MODEL_VERSION = 1


@dataclass(frozen=True, eq=False)
class Component:
    """One NTF component: when (time profile), in whom (animal profile) and which communities (partition).

    Attributes
    ----------
    weight : float
        ``λ_r`` of the component.
    time_profile : numpy.ndarray
        Unit-norm temporal loading over windows, ``[T_w]``.
    worm_profile : numpy.ndarray
        Unit-norm animal loading, ``[W]``.
    affinity : numpy.ndarray
        ``N × N`` symmetric weighted adjacency from the pair factor (zero diagonal).
    partition : neurotypes.Partition
        Communities of the neurons in ``affinity`` (``item_ids`` = neuron identities).
    window_times : numpy.ndarray
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
    """Share of a non-negative animal loading held by its largest entry: 1/W (uniform) … 1 (one animal).

    Parameters
    ----------
    worm_profile : array_like, shape (W,)
        Non-negative, finite, not all zero.

    Returns
    -------
    float

    Examples
    --------
    >>> worm_concentration([1.0, 1.0, 1.0, 1.0]), worm_concentration([0.0, 3.0, 0.0])
    (0.25, 1.0)
    """
    f = check_array("worm_profile", worm_profile, ndim=1, nonnegative=True, min_size=1)
    tot = f.sum()
    if not tot > 0:
        raise ValueError("worm_profile must have a positive entry")
    return float(f.max() / tot)


class DynamicConnectome:
    """Dynamic functional connectome of several animals (Dyballa et al., ICLR 2024).

    Parameters
    ----------
    window : int
        Window length in samples for the affinities, >= 2 (the prototype used 50).
    rank : int
        Number of NTF components, >= 1.
    kind : {"corise", "pearson_window"} or callable
        Affinity kind (``"corise"`` stand-in, ``"pearson_window"``, or a callable); see
        :mod:`dyn_connectome.affinity` for why the paper's exact formula is not used.
    backend : {"wsbm", "graph-tool", "leiden", "louvain"} or callable
        Community backend (see :func:`dyn_connectome.community.detect`).
    n_restarts : int
        NTF restarts (best reconstruction kept), >= 1.
    method : {"hals", "mu"}
        NTF solver.
    align : {"union", "intersection"}
        ``"union"`` (default; missing neurons masked per animal) or ``"intersection"``.
    seed : int or None
        Seed (>= 0) of the NTF initialisations and the community backend.
    uneven_worm_threshold : float
        A warning is logged when a component holds more than this share (in [0, 1]) of its animal loading in
        one animal (the "split by animal" failure mode); ignored with a single animal.
    progress : bool
        Show progress bars (NTF restarts, communities of the components).

    Attributes
    ----------
    components_ : list of Component
        Sorted by decreasing weight.
    ntf_ : NTFResult
    pairs_ : PairIndex
    unit_ids_ : tuple of str
    n_animals_ : int
    window_seconds_ : float
        Window length in seconds.
    missing_fraction_ : float
        Share of tensor entries that were masked (absent neurons, NaN gaps, padding).

    Examples
    --------
    >>> from dyn_connectome.data import planted_epochs
    >>> traces, planted = planted_epochs(n_worms=2, T=600)
    >>> model = DynamicConnectome(window=50, rank=3, backend="louvain", n_restarts=2).fit(traces)
    >>> len(model.components_), model.components_[0].partition.n_items
    (3, 30)
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
        progress: bool = False,
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
        self.progress = progress

    def _check_params(self) -> None:
        check_int("window", self.window, minimum=2)
        check_int("rank", self.rank, minimum=1)
        check_int("n_restarts", self.n_restarts, minimum=1)
        check_choice("method", self.method, ("hals", "mu"))
        check_choice("align", self.align, ("union", "intersection"))
        if not callable(self.kind):
            check_choice("kind", self.kind, ("corise", "pearson_window", "paper"))
        if not callable(self.backend):
            check_choice("backend", self.backend, BACKENDS)
        if self.seed is not None:
            check_int("seed", self.seed, minimum=0)
        check_probability("uneven_worm_threshold", self.uneven_worm_threshold)
        check_bool("progress", self.progress)

    def fit(self, traces: Sequence[Traces]) -> DynamicConnectome:
        """Fit the pipeline to one :class:`neurotypes.Traces` per animal.

        Parameters
        ----------
        traces : sequence of neurotypes.Traces
            One recording per animal, one sampling rate; neurons aligned by ``unit_ids``.

        Returns
        -------
        DynamicConnectome
            ``self``, fitted.

        Raises
        ------
        TypeError, ValueError
            A bad parameter or recording (the message names it).
        """
        from tqdm.auto import tqdm

        self._check_params()
        x, pairs = build_affinity_tensor(traces, window=self.window, kind=self.kind, align=self.align)
        missing = np.isnan(x)
        self.missing_fraction_ = float(missing.mean())
        if self.missing_fraction_ > 0:
            log.warning(
                "%.2f%% of the tensor entries are missing and masked out of the NTF",
                100 * self.missing_fraction_,
            )
        res = fit_ntf(
            x,
            rank=self.rank,
            n_restarts=self.n_restarts,
            method=self.method,
            seed=self.seed,
            progress=self.progress,
        )
        rate = traces[0].rate
        times = np.arange(x.shape[1]) * self.window / rate
        comps = []
        for r in tqdm(range(res.rank), desc="communities", disable=not self.progress, leave=False):
            adj = pairs.to_matrix(res.f_pairs[:, r])
            part = detect(adj, backend=self.backend, seed=self.seed, item_ids=pairs.unit_ids)
            if len(traces) > 1 and res.f_worm[:, r].sum() > 0:
                conc = worm_concentration(res.f_worm[:, r])
                if conc > self.uneven_worm_threshold:
                    log.warning(
                        "component %d holds %.0f%% of its animal loading in one animal: it may split by animal "
                        "rather than by time (try a longer window)",
                        r,
                        100 * conc,
                    )
            comps.append(
                Component(float(res.weights[r]), res.f_time[:, r], res.f_worm[:, r], adj, part, times)
            )
        self.ntf_: NTFResult = res
        self.pairs_: PairIndex = pairs
        self.unit_ids_: tuple[str, ...] = pairs.unit_ids
        self.components_: list[Component] = comps
        self.n_animals_ = len(traces)
        self.window_seconds_ = float(self.window / rate)
        return self

    # ------------------------------------------------------------------------------------------ results out
    def _fitted(self) -> None:
        if not hasattr(self, "components_"):
            raise ValueError("this DynamicConnectome is not fitted yet: call fit(traces) first")

    def partitions(self) -> list[Partition]:
        """The communities of every component (``item_ids`` = neuron names), in component order."""
        self._fitted()
        return [c.partition for c in self.components_]

    def unit_columns(self, prefix: str = "dyn_connectome_component_") -> dict[str, Partition]:
        """The partitions as named columns for :func:`neurotypes.io.add_unit_columns` (spike-sorted units).

        Parameters
        ----------
        prefix : str
            Column names are ``prefix + str(k)`` for component ``k``.

        Returns
        -------
        dict of str to neurotypes.Partition
        """
        if not isinstance(prefix, str) or not prefix or "/" in prefix:
            raise ValueError(f"prefix must be a non-empty string without '/', got {prefix!r}")
        return {f"{prefix}{k}": p for k, p in enumerate(self.partitions())}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the fitted model as a versioned ``.npz`` (arrays + JSON metadata, no pickle), atomically.

        Parameters
        ----------
        path : str or path-like
            Destination (written as named; the folder must exist).

        Returns
        -------
        pathlib.Path
        """
        self._fitted()
        p = check_path("path", path, must_exist=False)
        meta = {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "params": {
                "window": int(self.window),
                "rank": int(self.rank),
                "kind": self.kind if isinstance(self.kind, str) else "callable",
                "backend": self.backend if isinstance(self.backend, str) else "callable",
                "n_restarts": int(self.n_restarts),
                "method": self.method,
                "align": self.align,
                "seed": self.seed,
                "uneven_worm_threshold": float(self.uneven_worm_threshold),
            },
            "unit_ids": list(self.unit_ids_),
            "n_animals": self.n_animals_,
            "window_seconds": self.window_seconds_,
            "missing_fraction": self.missing_fraction_,
            "rel_error": self.ntf_.rel_error,
            "restart_errors": list(self.ntf_.restart_errors),
        }
        arrays = {
            "format": np.array(MODEL_FORMAT),
            "version": np.array(MODEL_VERSION, dtype=np.int64),
            "metadata": np.array(json.dumps(meta)),
            "weights": self.ntf_.weights,
            "f_pairs": self.ntf_.f_pairs,
            "f_time": self.ntf_.f_time,
            "f_worm": self.ntf_.f_worm,
            "labels": np.stack([c.partition.labels for c in self.components_]).astype(np.int64),
            "window_times": self.components_[0].window_times,
        }
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
        return atomic_write_bytes(p, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DynamicConnectome:
        """Read a model written by :meth:`save` (``allow_pickle=False``; a damaged file is a
        :class:`neurotypes.FormatError` naming it).

        Parameters
        ----------
        path : str or path-like
            The file.

        Returns
        -------
        DynamicConnectome
            Fitted (callable ``kind``/``backend`` are stored by the name ``"callable"``).
        """
        import zipfile

        p = check_path("path", path)

        def bad(why: str) -> FormatError:
            return FormatError(f"file {str(p)!r} is not a dyn-connectome model file: {why}")

        try:
            with np.load(p, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise bad(f"{type(exc).__name__}: {exc}") from None
        need = (
            "format",
            "version",
            "metadata",
            "weights",
            "f_pairs",
            "f_time",
            "f_worm",
            "labels",
            "window_times",
        )
        missing = [k for k in need if k not in arrays]
        if missing:
            raise bad(f"missing arrays {missing}")
        if arrays["format"].dtype.kind != "U" or str(arrays["format"]) != MODEL_FORMAT:
            raise bad(f"format is {arrays['format']!r}, not {MODEL_FORMAT!r}")
        if arrays["version"].dtype.kind not in "iu" or arrays["version"].shape != ():
            raise bad("version is not an integer")
        version = int(arrays["version"])
        if version > MODEL_VERSION:
            raise bad(f"version {version} is newer than this package reads ({MODEL_VERSION})")
        try:
            meta = json.loads(str(arrays["metadata"]))
            params = meta["params"]
            ids = tuple(str(u) for u in meta["unit_ids"])
            res = NTFResult(
                arrays["weights"],
                arrays["f_pairs"],
                arrays["f_time"],
                arrays["f_worm"],
                float(meta["rel_error"]),
                tuple(meta["restart_errors"]),
            )
            labels = check_array("labels", arrays["labels"], dtype="int", shape=(res.rank, len(ids)))
            times = check_array("window_times", arrays["window_times"], shape=(res.f_time.shape[0],))
            pairs = PairIndex.for_units(ids)
            if res.f_pairs.shape[0] != pairs.n_pairs:
                raise ValueError(f"f_pairs has {res.f_pairs.shape[0]} rows for {pairs.n_pairs} pairs")
            model = cls(**params)
            comps = [
                Component(
                    float(res.weights[r]),
                    res.f_time[:, r],
                    res.f_worm[:, r],
                    pairs.to_matrix(res.f_pairs[:, r]),
                    Partition(labels[r], item_ids=ids),
                    times,
                )
                for r in range(res.rank)
            ]
            model.ntf_ = res
            model.pairs_ = pairs
            model.unit_ids_ = ids
            model.components_ = comps
            model.n_animals_ = int(meta["n_animals"])
            model.window_seconds_ = float(meta["window_seconds"])
            model.missing_fraction_ = float(meta["missing_fraction"])
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(f"{type(exc).__name__}: {exc}") from None
        return model

    def to_nwb(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the results to a new NWB file (needs ``pip install 'dyn-connectome[nwb]'``), atomically.

        The file holds a processing module ``dyn_connectome`` with a table ``neurons`` (column
        ``neuron_name`` and one integer column ``community_component_<k>`` per component), a ``TimeSeries``
        ``time_profiles`` (windows x components, at one sample per window) and a table ``animal_profiles``
        (one row per animal, column ``component_<k>``). pynwb and other NWB tools read it.

        Parameters
        ----------
        path : str or path-like
            Destination ``.nwb`` file.
        overwrite : bool
            Replace an existing file.

        Returns
        -------
        pathlib.Path
        """
        import datetime as dt
        import uuid
        import warnings

        self._fitted()
        p = check_path("path", path, must_exist=False, suffixes=(".nwb",))
        overwrite = check_bool("overwrite", overwrite)
        if p.exists() and not overwrite:
            raise FileExistsError(f"path {str(p)!r} exists; pass overwrite=True to replace it")
        try:
            import pynwb
            from hdmf.common import DynamicTable, VectorData
        except ImportError as exc:
            raise ImportError(
                "writing NWB needs the optional extra: pip install 'dyn-connectome[nwb]'"
            ) from exc
        nwb = pynwb.NWBFile(
            session_description="dyn-connectome results: NTF components and their communities",
            identifier=str(uuid.uuid4()),
            session_start_time=dt.datetime.now(dt.UTC),
        )
        module = nwb.create_processing_module(
            name="dyn_connectome",
            description="Dynamic functional connectome (Dyballa et al., ICLR 2024) fitted by dyn-connectome; "
            f"affinity kind {self.kind if isinstance(self.kind, str) else 'callable'!r} (the 'corise' kind is a "
            "stand-in for the paper's unconfirmed differential affinity)",
        )
        columns = [VectorData(name="neuron_name", description="neuron identity", data=list(self.unit_ids_))]
        for k, c in enumerate(self.components_):
            columns.append(
                VectorData(
                    name=f"community_component_{k}",
                    description=f"community of each neuron in component {k}",
                    data=c.partition.labels.tolist(),
                )
            )
        module.add(DynamicTable(name="neurons", description="communities per component", columns=columns))
        profiles = np.stack([c.time_profile for c in self.components_], axis=1)
        module.add(
            pynwb.TimeSeries(
                name="time_profiles",
                data=profiles,
                unit="n/a",
                rate=1.0 / self.window_seconds_,
                starting_time=float(self.components_[0].window_times[0]),
                description="unit-norm temporal loading of each component (windows x components)",
            )
        )
        worm_cols = [
            VectorData(
                name=f"component_{k}",
                description=f"animal loading of component {k}",
                data=c.worm_profile.tolist(),
            )
            for k, c in enumerate(self.components_)
        ]
        module.add(
            DynamicTable(name="animal_profiles", description="unit-norm animal loadings", columns=worm_cols)
        )
        tmp = p.with_name(f".{p.name}.{uuid.uuid4().hex}.tmp")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # hdmf's namespace chatter, local to this block
                with pynwb.NWBHDF5IO(str(tmp), "w") as out:
                    out.write(nwb)
            os.replace(tmp, p)
        except BaseException:
            if tmp.exists():
                tmp.unlink()
            raise
        return p
