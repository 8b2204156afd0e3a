"""Place recognition with one Diehl & Cook module or an ensemble of region-specific modules.

Neuron assignment, place scores and the hyperactive-neuron regularisation of Hussaini et al. (ICRA 2023).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from neurotypes import SpikeCounts, SpikeTrains, Stimulus
from neurotypes.validation import check_array
from snn_vpr.metrics import recall_at_n
from snn_vpr.network import ENGINES, DiehlCookParams, ModuleBank, as_rates

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DiehlCookModule",
    "ModularSNN",
    "assign_neurons",
    "hyperactive_neurons",
    "ignore_hyperactive_neurons",
    "place_scores",
]

log = logging.getLogger(__name__)

#: the calibration grid of the VPRSNN code (``modular_snn_evaluation.py``): 0, 5, 10, 20, 40, ..., 200; 0 disables
DEFAULT_THRESHOLDS: tuple[int, ...] = (0, 5, 10, *range(20, 201, 20))

#: how hyperactivity is counted: "images" (VPRSNN code: number of images a neuron fires on) or "spikes"
HYPERACTIVE_COUNTS = ("images", "spikes")


def _int_ids(name: str, ids: ArrayLike, n: int | None = None) -> NDArray[np.int64]:
    a = np.asarray(ids)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise TypeError(f"{name} must hold integer place IDs, got dtype {a.dtype}")
    if n is not None and a.shape[0] != n:
        raise ValueError(f"{name} must have one place ID per image: {a.shape[0]} IDs for {n} images")
    if a.size and a.min() < 0:
        raise ValueError(f"{name} must be non-negative")
    return a.astype(np.int64)


def _images(name: str, x: ArrayLike | Stimulus) -> NDArray[np.float64]:
    arr = x.frames if isinstance(x, Stimulus) else np.asarray(x)
    if arr.ndim != 3:
        raise ValueError(f"{name} must be processed images [N, H, W], got shape {arr.shape}")
    return np.asarray(arr, dtype=np.float64)


def assign_neurons(
    responses: ArrayLike, place_ids: ArrayLike, places: ArrayLike | None = None
) -> NDArray[np.int64]:
    """Assign each neuron to the place with its highest mean response (-1 if it never fired).

    Parameters
    ----------
    responses : array_like, shape (n_presentations, n_neurons)
        Spike counts.
    place_ids : array_like of int, shape (n_presentations,)
    places : array_like of int, optional
        Candidate places (default: the sorted unique ``place_ids``). Ties go to the first place.

    Returns
    -------
    ndarray of int, shape (n_neurons,)

    Raises
    ------
    ValueError
        If ``responses`` is not a finite, non-negative 2-D array or ``place_ids`` does not match its rows.
    TypeError
        If ``place_ids`` is not an integer array.

    Examples
    --------
    >>> assign_neurons([[3, 0, 0], [0, 2, 0]], [7, 9])
    array([ 7,  9, -1])
    """
    r = check_array("responses", responses, ndim=2, nonnegative=True)
    ids = _int_ids("place_ids", place_ids, r.shape[0])
    pl = np.unique(ids) if places is None else np.asarray(places, dtype=np.int64)
    means = np.stack([r[ids == p].mean(axis=0) if np.any(ids == p) else np.zeros(r.shape[1]) for p in pl])
    best = means.argmax(axis=0)
    out = pl[best].astype(np.int64)
    out[means.max(axis=0) <= 0] = -1
    return np.asarray(out, dtype=np.int64)


def place_scores(responses: ArrayLike, assignments: ArrayLike, places: ArrayLike) -> NDArray[np.float64]:
    """Score of each place for each query: mean spike count of the neurons assigned to it (0 if none).

    Parameters
    ----------
    responses : array_like, shape (n_queries, n_neurons)
    assignments : array_like of int, shape (n_neurons,)
        Place of each neuron, -1 for unassigned.
    places : array_like of int, shape (n_places,)

    Returns
    -------
    ndarray, shape (n_queries, n_places)

    Raises
    ------
    ValueError
        If ``responses`` is not finite and non-negative, or ``assignments`` does not hold one place per neuron.

    Examples
    --------
    >>> place_scores([[4.0, 2.0, 1.0]], [0, 0, 1], [0, 1, 2])
    array([[3., 1., 0.]])
    """
    r = check_array("responses", responses, ndim=2, nonnegative=True)
    a = check_array("assignments", assignments, ndim=1, dtype="int")
    if a.shape != (r.shape[1],):
        raise ValueError(f"assignments must hold one place per neuron of responses: {a.shape} vs {r.shape}")
    pl = check_array("places", places, ndim=1, dtype="int")
    onehot = (a[:, None] == pl[None, :]).astype(np.float64)  # [n, P]
    n_per = onehot.sum(axis=0)
    out: NDArray[np.float64] = np.zeros((r.shape[0], pl.size))
    np.divide(r @ onehot, n_per, out=out, where=n_per > 0)
    return out


def hyperactive_neurons(
    reference_responses: ArrayLike, threshold: int, count: str = "images"
) -> NDArray[np.bool_]:
    """Neurons whose activity over the reference set is ``>= threshold`` (none when it is 0).

    Parameters
    ----------
    reference_responses : array_like, shape (n_reference_images, n_neurons)
    threshold : int
        ``T >= 0``; the boundary is inclusive and ``T = 0`` disables the rule.
    count : {"images", "spikes"}
        "images" (default, as the VPRSNN code's ``np.count_nonzero``): the number of images the neuron fires
        at least one spike on; "spikes": its total spike count (the spec's wording).

    Returns
    -------
    ndarray of bool, shape (n_neurons,)

    Raises
    ------
    ValueError
        If the responses are not a finite, non-negative 2-D array, ``threshold`` is not a non-negative integer or
        ``count`` is unknown.

    Examples
    --------
    >>> hyperactive_neurons([[1, 0, 5], [1, 0, 0]], 2)
    array([ True, False, False])
    >>> hyperactive_neurons([[1, 0, 5], [1, 0, 0]], 2, count="spikes")
    array([ True, False,  True])
    """
    r = check_array("reference_responses", reference_responses, ndim=2, nonnegative=True)
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer) or threshold < 0:
        raise ValueError(f"threshold must be a non-negative integer, got {threshold!r}")
    if count not in HYPERACTIVE_COUNTS:
        raise ValueError(f"count must be one of {HYPERACTIVE_COUNTS}, got {count!r}")
    if threshold == 0:
        return np.zeros(r.shape[1], dtype=bool)
    activity = np.count_nonzero(r, axis=0) if count == "images" else r.sum(axis=0)
    return np.asarray(activity >= threshold)


def ignore_hyperactive_neurons(
    query_responses: ArrayLike, reference_responses: ArrayLike, threshold: int, count: str = "images"
) -> NDArray[np.float64]:
    """Zero the responses of hyperactive neurons (see :func:`hyperactive_neurons`) in ``query_responses``.

    Parameters
    ----------
    query_responses : array_like, shape (n_queries, n_neurons)
    reference_responses : array_like, shape (n_reference_images, n_neurons)
    threshold : int
        ``T >= 0`` (0 disables).
    count : {"images", "spikes"}

    Returns
    -------
    ndarray, shape (n_queries, n_neurons)

    Raises
    ------
    ValueError
        On non-finite or negative responses, mismatched neuron counts or a bad ``threshold``.

    Examples
    --------
    >>> ignore_hyperactive_neurons([[2, 3]], [[1, 0], [1, 4]], 2)
    array([[0., 3.]])
    """
    q = check_array("query_responses", query_responses, ndim=2, nonnegative=True)
    mask = hyperactive_neurons(reference_responses, threshold, count)
    if q.shape[1] != mask.size:
        raise ValueError(
            f"query_responses must have the {mask.size} neurons of reference_responses, got shape {q.shape}"
        )
    out = q.copy()
    out[:, mask] = 0.0
    return out


class ModularSNN:
    """An ensemble of compact Diehl & Cook modules, each learning one geographic region of the reference.

    Places (the sorted unique reference place IDs) are split into consecutive regions of ``region_size``
    places; module ``m`` trains on the reference images of region ``m`` only. At test time every module answers
    every query, place scores are concatenated over modules, and neurons that are hyperactive on the reference
    set (total spikes ``>= threshold``) are ignored.

    Parameters
    ----------
    region_size : int
        Places per module (25 in the Nordland configuration). ``region_size >= n_places`` gives one network.
    n_e : int
        Excitatory (= inhibitory) neurons per module (400 in the paper).
    epochs : int
        Passes over each module's training sequence (all its reference traverses, in order).
    params : DiehlCookParams, optional
    threshold : int
        Hyperactive threshold used by :meth:`predict_scores` until :meth:`calibrate_hyperactive` sets it.
    hyperactive_count : {"images", "spikes"}
        How activity on the reference set is counted for the hyperactive rule (see :func:`hyperactive_neurons`).
    seed : int
    device : str or torch.device
    engine : {"auto", "fast", "reference"}
        Inference engine of every query simulation (recording the reference responses after training,
        calibration, queries): "reference" is the spike-level torch simulation, "fast" the compiled
        event-driven engine (CPU, ``pip install snn-vpr[fast]``), which gives the same spike counts; "auto"
        picks fast when numba is installed and the network is on the CPU.

    Attributes
    ----------
    places_ : ndarray of int
        All reference places, in score-column order.
    regions_ : list of ndarray
        Places of each module.
    assignments_ : ndarray, shape (n_modules, n_e)
    reference_responses_ : ndarray, shape (n_reference_images, n_modules * n_e)
    threshold_ : int
    """

    bank_: ModuleBank
    n_in_: int

    def __init__(
        self,
        region_size: int = 25,
        n_e: int = 400,
        epochs: int = 60,
        params: DiehlCookParams | None = None,
        threshold: int = 0,
        warm_start: bool = False,
        seed: int = 0,
        device: str | torch.device = "cpu",
        hyperactive_count: str = "images",
        engine: str = "auto",
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
        self.engine = engine
        if hyperactive_count not in HYPERACTIVE_COUNTS:
            raise ValueError(
                f"hyperactive_count must be one of {HYPERACTIVE_COUNTS}, got {hyperactive_count!r}"
            )
        self.hyperactive_count = hyperactive_count
        for name, v in (("region_size", region_size), ("n_e", n_e), ("epochs", epochs)):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer) or threshold < 0:
            raise ValueError(f"threshold must be a non-negative integer, got {threshold!r}")
        self.region_size = int(region_size)
        self.n_e = int(n_e)
        self.epochs = int(epochs)
        self.params = params if params is not None else DiehlCookParams()
        self.threshold_ = int(threshold)
        self.warm_start = bool(warm_start)
        self.seed = int(seed)
        self.device = device

    # ------------------------------------------------------------------ training
    def fit(
        self,
        X: ArrayLike | Stimulus,
        place_ids: ArrayLike,
        regions: Sequence[ArrayLike] | None = None,
        progress: bool = False,
        warm: bool = False,
    ) -> ModularSNN:
        """Train one module per region on the reference images ``X`` [N, H, W] (pixels 0..255).

        Parameters
        ----------
        X : array_like or Stimulus
            Processed reference images (all traverses), in presentation order.
        place_ids : array_like of int, shape (N,)
        regions : sequence of array_like of int, optional
            Explicit place sets per module (disjoint); default: consecutive blocks of ``region_size``.
        warm : bool
            Continue training the already fitted modules for ``epochs`` more epochs (same images, same regions)
            instead of starting from fresh random weights.

        Raises
        ------
        ValueError
            On a place-ID / image count mismatch, or an empty or overlapping region.
        """
        imgs = _images("X", X)
        ids = _int_ids("place_ids", place_ids, imgs.shape[0])
        rates = as_rates(imgs, self.params.intensity)
        places = np.unique(ids)
        if regions is None:
            regs = [places[i : i + self.region_size] for i in range(0, places.size, self.region_size)]
        else:
            regs = [np.asarray(r, dtype=np.int64).ravel() for r in regions]
            if not regs:
                raise ValueError("regions must hold at least one region")
            for i, r in enumerate(regs):
                if r.size == 0:
                    raise ValueError(f"regions[{i}] is empty: every module needs at least one place")
                missing = np.setdiff1d(r, places)
                if missing.size:
                    raise ValueError(
                        f"regions[{i}] has places with no reference image: {missing[:5].tolist()}"
                    )
            allp = np.concatenate(regs)
            if np.unique(allp).size != allp.size:
                raise ValueError("regions must be disjoint (a place appears in two regions)")
        sequences = [np.flatnonzero(np.isin(ids, r)) for r in regs]
        n_max = max(len(s) for s in sequences)
        # every module sees its own images in order; shorter regions cycle so the bank stays in lock-step
        order = np.stack([np.resize(s, n_max) for s in sequences])  # [M, n_max]
        order = np.tile(order, (1, self.epochs))
        if warm:
            self._check_fitted()
            if self.bank_.n_modules != len(regs) or self.n_in_ != rates.shape[1]:
                raise ValueError("warm=True needs the same regions and image size as the first fit")
        else:
            self.bank_ = ModuleBank(len(regs), rates.shape[1], self.n_e, self.params, self.seed, self.device)
        if self.warm_start and not warm:
            self.bank_.adapt_theta(rates[torch.from_numpy(order)])
        log.info("training %d modules x %d presentations", len(regs), order.shape[1])
        self.bank_.train(rates[torch.from_numpy(order)], progress=progress)
        self.regions_ = regs
        self.places_ = np.concatenate(regs)
        self.n_in_ = rates.shape[1]
        # record: every module's responses to all reference images (theta frozen) -> assignment + hyperactivity
        ref = self.bank_.respond(rates, progress=progress, engine=self._engine()).cpu().numpy()  # [M, N, n_e]
        self.assignments_ = np.stack(
            [assign_neurons(ref[m][sequences[m]], ids[sequences[m]], regs[m]) for m in range(len(regs))]
        )
        self.reference_responses_ = np.concatenate(list(ref), axis=1)  # [N, M * n_e]
        self.reference_place_ids_ = ids
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "bank_"):
            raise RuntimeError("this ModularSNN is not fitted yet: call fit(X, place_ids) first")

    def _engine(self, engine: str | None = None) -> str:
        e = getattr(self, "engine", "auto") if engine is None else engine
        if e not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {e!r}")
        return e

    def with_dt(self, dt: float) -> ModularSNN:
        """A copy of this fitted network queried at time step ``dt`` (ms), which must divide the training step.

        Weights, thresholds, delays (in ms), assignments and reference responses are kept; only the simulation
        step changes (e.g. to compare a network trained at 0.5 ms with a simulator running at 0.1 ms).
        """
        import copy

        self._check_fitted()
        new = copy.copy(self)
        new.bank_ = self.bank_.with_dt(dt)
        new.params = new.bank_.params
        return new

    # ------------------------------------------------------------------ saving
    def save(self, path: str | Path) -> Path:
        """Write this fitted network to ``path`` (``.npz`` arrays + JSON metadata, no pickle; see :mod:`snn_vpr.io`)."""
        from snn_vpr.io import save_network

        return save_network(self, path)

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> ModularSNN:
        """Read a network written by :meth:`save` (refuses other formats, versions and pickles)."""
        from snn_vpr.io import load_network

        net = load_network(path, device=device)
        if not isinstance(net, cls):
            raise TypeError(f"{str(path)!r} holds a {type(net).__name__}, not a {cls.__name__}")
        return net  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ inference
    def respond(
        self,
        Q: ArrayLike | Stimulus,
        progress: bool = False,
        engine: str | None = None,
        seed: int | None = None,
    ) -> SpikeCounts:
        """Spike counts of all excitatory neurons (modules stacked) to each query: units x presentations.

        ``bin_size`` is the presentation time plus rest, in seconds. ``engine`` overrides the network's
        engine for this call; ``seed`` fixes the Poisson input (default: drawn from the network's generator),
        and both engines answer the same seed with the same counts.
        """
        self._check_fitted()
        imgs = _images("Q", Q)
        rates = as_rates(imgs, self.params.intensity, "Q")
        if rates.shape[1] != self.n_in_:
            raise ValueError(
                f"Q images must have {self.n_in_} pixels like the reference, got {rates.shape[1]}"
            )
        out = self.bank_.respond(rates, progress=progress, engine=self._engine(engine), seed=seed)
        c = out.cpu().numpy()  # [M, Q, n_e]
        counts = np.concatenate(list(c), axis=1).T.astype(np.int64)
        p = self.params
        return SpikeCounts(counts, bin_size=(p.t_present + p.t_rest) * 1e-3)

    def respond_trains(self, image: ArrayLike, module: int = 0) -> SpikeTrains:
        """Spike trains of one module's excitatory neurons during one presentation of ``image`` [H, W]."""
        self._check_fitted()
        arr = np.asarray(image)
        if arr.ndim != 2:
            raise ValueError(f"image must be one processed image [H, W], got shape {arr.shape}")
        if not 0 <= module < self.bank_.n_modules:
            raise ValueError(f"module must be in [0, {self.bank_.n_modules}), got {module}")
        rates = as_rates(arr[None], self.params.intensity, "image")[0]
        t, u = self.bank_.respond_trains(rates, module)
        order = np.lexsort((u, t))
        return SpikeTrains(t[order] * 1e-3, u[order], n_units=self.n_e, t_stop=self.params.t_present * 1e-3)

    def scores_from_responses(
        self, query_responses: ArrayLike, threshold: int | None = None
    ) -> NDArray[np.float64]:
        """Place scores [n_queries, n_places] from recorded responses [n_queries, n_modules * n_e]."""
        self._check_fitted()
        t = self.threshold_ if threshold is None else threshold
        q = ignore_hyperactive_neurons(
            query_responses, self.reference_responses_, t, getattr(self, "hyperactive_count", "images")
        )
        n_e = self.n_e
        cols = [
            place_scores(q[:, m * n_e : (m + 1) * n_e], self.assignments_[m], self.regions_[m])
            for m in range(len(self.regions_))
        ]
        return np.concatenate(cols, axis=1)

    def predict_scores(
        self, Q: ArrayLike | Stimulus, threshold: int | None = None, engine: str | None = None
    ) -> NDArray[np.float64]:
        """Place scores [n_queries, n_places] (columns in ``places_`` order); higher is a better match."""
        counts = self.respond(Q, engine=engine)
        return self.scores_from_responses(counts.counts.T, threshold)

    def calibrate_hyperactive(
        self,
        cal_X: ArrayLike | Stimulus,
        cal_place_ids: ArrayLike,
        thresholds: Sequence[int] = DEFAULT_THRESHOLDS,
    ) -> int:
        """Choose the hyperactive threshold ``T`` that maximises Recall@1 on calibration queries; sets ``threshold_``.

        Ties go to the first threshold in ``thresholds`` order. The test queries are never seen here.
        """
        self._check_fitted()
        imgs = _images("cal_X", cal_X)
        ids = _int_ids("cal_place_ids", cal_place_ids, imgs.shape[0])
        unknown = np.setdiff1d(ids, self.places_)
        if unknown.size:
            raise ValueError(f"cal_place_ids holds places the network never learned: {unknown[:5].tolist()}")
        ts = [int(t) for t in thresholds]
        if not ts or min(ts) < 0:
            raise ValueError("thresholds must be a non-empty sequence of non-negative integers")
        resp = self.respond(imgs).counts.T
        gt = (
            np.searchsorted(self.places_, ids)
            if np.all(np.diff(self.places_) > 0)
            else np.array([int(np.flatnonzero(self.places_ == i)[0]) for i in ids])
        )
        recalls = [recall_at_n(self.scores_from_responses(resp, t), gt, ns=(1,))[1] for t in ts]
        self.calibration_ = dict(zip(ts, recalls, strict=True))
        self.threshold_ = ts[int(np.argmax(recalls))]
        return self.threshold_

    def place_index(self, place_ids: ArrayLike) -> NDArray[np.int64]:
        """Column of each place ID in the score matrix (raises for places the network never learned)."""
        self._check_fitted()
        ids = _int_ids("place_ids", place_ids)
        lookup = {int(p): i for i, p in enumerate(self.places_)}
        missing = [int(i) for i in ids if int(i) not in lookup]
        if missing:
            raise ValueError(f"place_ids holds places the network never learned: {missing[:5]}")
        return np.array([lookup[int(i)] for i in ids], dtype=np.int64)


class DiehlCookModule(ModularSNN):
    """One compact module (a :class:`ModularSNN` with a single region holding every place).

    Parameters
    ----------
    n_in : int
        Input pixels (784 for 28 x 28).
    n_e : int
        Excitatory (= inhibitory) neurons.
    epochs, params, seed, device, engine
        As for :class:`ModularSNN`.
    """

    def __init__(
        self,
        n_in: int = 784,
        n_e: int = 400,
        epochs: int = 60,
        params: DiehlCookParams | None = None,
        seed: int = 0,
        device: str | torch.device = "cpu",
        engine: str = "auto",
    ) -> None:
        if isinstance(n_in, bool) or not isinstance(n_in, int | np.integer) or n_in < 1:
            raise ValueError(f"n_in must be a positive integer, got {n_in!r}")
        super().__init__(
            region_size=2**31 - 1,
            n_e=n_e,
            epochs=epochs,
            params=params,
            seed=seed,
            device=device,
            engine=engine,
        )
        self.n_in = int(n_in)

    def fit(  # type: ignore[override]
        self, X: ArrayLike | Stimulus, place_ids: ArrayLike, progress: bool = False
    ) -> DiehlCookModule:
        """Train on all places of ``X`` (one region)."""
        imgs = _images("X", X)
        if imgs.shape[1] * imgs.shape[2] != self.n_in:
            raise ValueError(f"X images must have n_in={self.n_in} pixels, got {imgs.shape[1:]} ")
        super().fit(imgs, place_ids, progress=progress)
        return self

    def assign(self) -> NDArray[np.int64]:
        """Place of each excitatory neuron (-1: never fired on the reference set)."""
        self._check_fitted()
        return np.asarray(self.assignments_[0], dtype=np.int64)
