"""MDS clustering: the EM-like loop of Burg et al. (2024), Algorithm 1, with split and merge steps."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
from torch import nn

from neurotypes import FormatError, atomic_write_bytes
from neurotypes.validation import check_array, check_bool, check_choice, check_float, check_int, check_path

from .constraints import Constraint, L2Sphere
from .objective import cluster_means, normalise_responses
from .optimize import EMAStopper, OptimizerSpec, call_model, optimize_stimuli
from .twins import TwinAdapter

if TYPE_CHECKING:
    from neurotypes import Partition, Stimulus

__all__ = ["RESULT_FORMAT", "RESULT_VERSION", "MDSClustering"]

#: Format name and version of the files written by :meth:`MDSClustering.save`.
RESULT_FORMAT = "mds-cluster.MDSClustering"
RESULT_VERSION = 1

logger = logging.getLogger(__name__)

_DEFAULT_CONSTRAINT = L2Sphere(5.0)  # frozen, so safe to share as a default
_MAX_PASSES = 25  # safeguard on split/merge passes


@dataclass
class _State:
    """Labels of the neurons under consideration (``0..K-1``) and the K stimuli."""

    labels: np.ndarray
    stimuli: torch.Tensor

    @property
    def k(self) -> int:
        return int(self.stimuli.shape[0])

    def copy(self) -> _State:
        return _State(self.labels.copy(), self.stimuli.clone())


def _drop_empty(state: _State) -> tuple[_State, int]:
    """Remove clusters without neurons (their stimuli too) and relabel to ``0..K'-1``."""
    counts = np.bincount(state.labels, minlength=state.k)
    keep = np.flatnonzero(counts > 0)
    n_dropped = state.k - keep.size
    if n_dropped == 0:
        return state, 0
    remap = -np.ones(state.k, dtype=np.int64)
    remap[keep] = np.arange(keep.size)
    return _State(remap[state.labels], state.stimuli[torch.as_tensor(keep)]), n_dropped


def _balanced_random_labels(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Shuffle the neurons and cut them into K contiguous blocks of ``ceil(n/K)`` (reference init)."""
    order = rng.permutation(n)
    per = math.ceil(n / k)
    labels = np.empty(n, dtype=np.int64)
    labels[order] = np.arange(n) // per
    return labels


def _canonical(labels: np.ndarray) -> np.ndarray:
    """Old cluster ids in order of first appearance (as ``Partition.relabel``)."""
    _, first = np.unique(labels, return_index=True)
    return np.asarray(labels[np.sort(first)])


class MDSClustering:
    """Cluster the neurons of a digital twin with most discriminative stimuli (MDS).

    Alternates between optimising one stimulus per cluster to maximise the contrastive objective
    (Eq. 1, all K stimuli as one batched tensor) and reassigning each neuron to the stimulus that drives
    it most (raw model output). Empty clusters are dropped. A split step (reference ``run_split_cluster``)
    then tries to split every cluster by a sub-k-means on its members and keeps a split if the mean
    objective over clusters improves; an optional merge step (an extension, off by default) tries to merge
    the two most confused clusters and keeps the merge if the mean objective improves.

    Parameters
    ----------
    model
        Differentiable twin, ``[B, *stim_shape] -> [B, N]`` (see :func:`mds_cluster.twins.wrap`).
    stim_shape
        Shape of one stimulus, e.g. ``(18, 18)``.
    n_clusters_init
        Initial number of clusters K (≥ 2 and ≤ number of neurons).
    tau
        Softmax temperature τ of the objective (1.6 in the reference example).
    stim_constraint
        Stimulus constraint applied after every step (default ``L2Sphere(5.0)``); ``None`` leaves the
        stimuli unconstrained (only sensible with a bounded model, as in the reference's toy example).
    optimizer, lr
        ``"adam"`` (default), ``"sgd"`` or ``callable(params, lr)``; learning rate.
    steps_per_round
        Optimiser steps per EM round (warm-started from the previous round's stimuli).
    max_rounds
        Maximum EM rounds (the loop also stops when no neuron changes cluster).
    split
        Run the split step after the EM loop.
    split_subclusters
        Number of sub-clusters a split proposes.
    split_estimate_steps
        Steps from a fresh initialisation used to estimate the loss before/after a split or merge (20).
    split_kmeans_rounds, split_kmeans_steps
        Sub-k-means: at most this many rounds (50) with this many optimiser steps each (1).
    final_steps
        Optimiser steps after the split/merge steps (100).
    merge
        Run the merge step (extension; the reference's merge code is dead).
    merge_candidates
        How many of the most confused cluster pairs a merge pass tries.
    init
        ``"random"`` (reference: shuffled equal blocks), ``"responses"`` (k-means on the normalised responses
        to noise stimuli) or an integer array of initial labels.
    n_init
        Independent restarts (different seeds derived from ``seed``); the lowest final loss wins.
    normalize
        Per-neuron ``subt``/``div`` of the objective: ``None`` (0 and 1), ``"noise"`` (mean and std of the
        responses to noise stimuli inside the constraint) or a tuple ``(offset, scale)`` of ``[N]`` arrays.
    smoothness
        Weight of the Laplace smoothness penalty (stimuli with ≥ 2 spatial axes).
    grad_blur_sigma
        Gaussian blur σ of the gradient (preconditioning), ``None`` for none.
    reinitialize_stimuli
        Start every EM round from fresh noise instead of the previous stimuli.
    patience, ema
        EMA loss stopper of each optimisation (reference: 100, 0.9).
    init_std
        Std of the Gaussian noise that initialises stimuli (before the constraint).
    seed
        Seed of every random choice (labels, stimulus initialisations).
    device
        Torch device; the model is moved there (``model.to(device)``, in place for modules).
    progress
        Show a tqdm progress bar over EM rounds.

    Attributes
    ----------
    labels_ : numpy.ndarray
        Cluster of each neuron, ``[N]``, canonical order (first appearance) ``0..K-1``.
    stimuli_ : numpy.ndarray
        The MDS, ``[K, *stim_shape]``; row k drives cluster k.
    n_clusters_ : int
    loss_ : float
        Final loss, the negative mean objective ``−mean_k J_k(s_k)`` (reference convention; ≥ −log K).
    objective_ : numpy.ndarray
        ``J_k(s_k)`` per cluster.
    responses_ : numpy.ndarray
        Raw responses of the neurons to the MDS, ``[N, K]``.
    history_ : list of dict
        One entry per EM round, split/merge attempt and final step (phase, n_clusters, loss, ...).
    """

    def __init__(
        self,
        model: nn.Module,
        stim_shape: Sequence[int],
        n_clusters_init: int = 8,
        *,
        tau: float = 1.6,
        stim_constraint: Constraint | None = _DEFAULT_CONSTRAINT,
        optimizer: OptimizerSpec = "adam",
        lr: float = 0.1,
        steps_per_round: int = 200,
        max_rounds: int = 10,
        split: bool = True,
        split_subclusters: int = 2,
        split_estimate_steps: int = 20,
        split_kmeans_rounds: int = 50,
        split_kmeans_steps: int = 1,
        final_steps: int = 100,
        merge: bool = False,
        merge_candidates: int = 3,
        init: Literal["random", "responses"] | np.ndarray = "random",
        n_init: int = 1,
        normalize: Literal["noise"] | tuple[np.ndarray, np.ndarray] | None = None,
        smoothness: float = 0.0,
        grad_blur_sigma: float | None = None,
        reinitialize_stimuli: bool = False,
        patience: int = 100,
        ema: float = 0.9,
        init_std: float = 1.0,
        seed: int = 0,
        device: str | torch.device = "cpu",
        progress: bool = False,
    ) -> None:
        self.model = model
        self.stim_shape = stim_shape
        self.n_clusters_init = n_clusters_init
        self.tau = tau
        self.stim_constraint = stim_constraint
        self.optimizer = optimizer
        self.lr = lr
        self.steps_per_round = steps_per_round
        self.max_rounds = max_rounds
        self.split = split
        self.split_subclusters = split_subclusters
        self.split_estimate_steps = split_estimate_steps
        self.split_kmeans_rounds = split_kmeans_rounds
        self.split_kmeans_steps = split_kmeans_steps
        self.final_steps = final_steps
        self.merge = merge
        self.merge_candidates = merge_candidates
        self.init = init
        self.n_init = n_init
        self.normalize = normalize
        self.smoothness = smoothness
        self.grad_blur_sigma = grad_blur_sigma
        self.reinitialize_stimuli = reinitialize_stimuli
        self.patience = patience
        self.ema = ema
        self.init_std = init_std
        self.seed = seed
        self.device = device
        self.progress = progress

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        if not isinstance(self.model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(self.model).__name__}")
        if (
            isinstance(self.stim_shape, str | bytes)
            or not isinstance(self.stim_shape, Sequence)
            or not self.stim_shape
        ):
            raise TypeError(f"stim_shape must be a non-empty tuple of positive ints, got {self.stim_shape!r}")
        for i, size in enumerate(self.stim_shape):
            check_int(f"stim_shape[{i}]", size, minimum=1)
        ints = {
            "n_clusters_init": (self.n_clusters_init, 2),
            "steps_per_round": (self.steps_per_round, 0),
            "max_rounds": (self.max_rounds, 1),
            "split_subclusters": (self.split_subclusters, 2),
            "split_estimate_steps": (self.split_estimate_steps, 0),
            "split_kmeans_rounds": (self.split_kmeans_rounds, 1),
            "split_kmeans_steps": (self.split_kmeans_steps, 1),
            "final_steps": (self.final_steps, 0),
            "merge_candidates": (self.merge_candidates, 1),
            "n_init": (self.n_init, 1),
            "patience": (self.patience, 1),
            "seed": (self.seed, 0),
        }
        for name, (value, low) in ints.items():
            check_int(name, value, minimum=low)
        for name, fval in (("tau", self.tau), ("lr", self.lr), ("init_std", self.init_std)):
            check_float(name, fval, positive=True)
        check_float("smoothness", self.smoothness, minimum=0.0)
        if self.grad_blur_sigma is not None:
            check_float("grad_blur_sigma", self.grad_blur_sigma, positive=True)
        ema = check_float("ema", self.ema, minimum=0.0)
        if not ema < 1:
            raise ValueError(f"ema must lie in [0, 1), got {self.ema!r}")
        for name in ("split", "merge", "reinitialize_stimuli", "progress"):
            check_bool(name, getattr(self, name))
        if self.stim_constraint is not None and not callable(self.stim_constraint):
            raise TypeError("stim_constraint must be a Constraint (e.g. L2Sphere(5.0)) or None")
        if not callable(self.optimizer):
            check_choice("optimizer", self.optimizer, ("adam", "sgd"))
        if isinstance(self.init, str):
            check_choice("init", self.init, ("random", "responses"))
        elif not isinstance(self.init, np.ndarray | list | tuple):
            raise TypeError(
                f"init must be 'random', 'responses' or an array of labels, got {type(self.init).__name__}"
            )
        if isinstance(self.normalize, str):
            check_choice("normalize", self.normalize, ("noise",))
        elif self.normalize is not None and not (
            isinstance(self.normalize, tuple) and len(self.normalize) == 2
        ):
            raise TypeError(
                f"normalize must be None, 'noise' or a tuple (offset, scale), got {self.normalize!r}"
            )
        try:
            torch.device(self.device)
        except (RuntimeError, TypeError):
            raise ValueError(
                f"device must name a torch device (cpu, cuda, cuda:N), got {self.device!r}"
            ) from None

    def _probe(self, model: nn.Module, shape: tuple[int, ...]) -> int:
        """Number of neurons; a clear error if the stimulus shape does not fit the model."""
        try:
            with torch.no_grad():
                out = model(torch.zeros((2, *shape), device=self.device))
        except (RuntimeError, ValueError, TypeError, IndexError) as err:
            raise ValueError(
                f"stim_shape {shape} does not fit the model: calling it on a batch failed ({err})"
            ) from err
        if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != 2:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(
                f"model must map stimuli [B, *stim_shape] to responses [B, N], got {got} for stim_shape {shape}; "
                "wrap other models with twins.wrap()"
            )
        return int(out.shape[1])

    # ------------------------------------------------------------------ building blocks
    def _fresh(self, k: int, gen: torch.Generator) -> torch.Tensor:
        s = torch.randn((k, *self._shape), generator=gen) * self.init_std
        s = s.to(self.device)
        return self.stim_constraint(s) if self.stim_constraint is not None else s

    def _optimise(
        self,
        state: _State,
        steps: int,
        gen: torch.Generator,
        units: np.ndarray | None = None,
        fresh: bool = False,
    ) -> tuple[_State, np.ndarray]:
        start = self._fresh(state.k, gen) if fresh else state.stimuli
        unit_idx = None if units is None else torch.as_tensor(units, device=self.device)
        off, sc = self._offset, self._scale
        if units is not None and isinstance(off, torch.Tensor):
            off = off[unit_idx]
        if units is not None and isinstance(sc, torch.Tensor):
            sc = sc[unit_idx]
        s, j = optimize_stimuli(
            self._model,
            start,
            torch.as_tensor(state.labels, device=self.device),
            tau=self.tau,
            steps=steps,
            optimizer=self.optimizer,
            lr=self.lr,
            constraint=self.stim_constraint,
            smoothness=self.smoothness,
            grad_blur_sigma=self.grad_blur_sigma,
            offset=off,
            scale=sc,
            unit_idx=unit_idx,
            stopper=EMAStopper(self.patience, self.ema),
        )
        return _State(state.labels, s), j.cpu().numpy()

    def _raw_responses(self, stimuli: torch.Tensor, units: np.ndarray | None = None) -> np.ndarray:
        with torch.no_grad():
            unit_idx = None if units is None else torch.as_tensor(units, device=self.device)
            return call_model(self._model, stimuli, unit_idx).cpu().numpy()

    def _reassign(self, state: _State, units: np.ndarray | None = None) -> tuple[_State, int]:
        # Reassignment uses the raw model output (not the normalised responses), as the reference.
        resp = self._raw_responses(state.stimuli, units)
        new = np.argmax(resp, axis=0).astype(np.int64)
        changed = int((new != state.labels).sum())
        dropped_state, n_dropped = _drop_empty(_State(new, state.stimuli))
        if n_dropped:
            logger.info("dropped %d empty cluster(s); %d left", n_dropped, dropped_state.k)
        return dropped_state, changed

    def _kmeans(
        self,
        state: _State,
        rounds: int,
        steps: int,
        gen: torch.Generator,
        units: np.ndarray | None = None,
        phase: str = "em",
        progress: bool = False,
    ) -> _State:
        from tqdm.auto import tqdm

        state, _ = _drop_empty(state)
        for rnd in tqdm(range(rounds), disable=not progress, desc="MDS rounds", leave=False):
            if state.k <= 1:
                break
            state, j = self._optimise(state, steps, gen, units, fresh=self.reinitialize_stimuli)
            state, changed = self._reassign(state, units)
            if units is None:
                self.history_.append(
                    {
                        "phase": phase,
                        "round": rnd,
                        "n_clusters": state.k,
                        "loss": float(-j.mean()),
                        "n_changed": changed,
                    }
                )
            if changed == 0:
                break
        return state

    def _loss(self, state: _State, gen: torch.Generator) -> tuple[_State, float]:
        """Loss estimate after ``split_estimate_steps`` steps from fresh stimuli (reference protocol)."""
        state, j = self._optimise(state, self.split_estimate_steps, gen, fresh=True)
        return state, float(-j.mean())

    def _try_split(
        self, state: _State, c: int, gen: torch.Generator, rng: np.random.Generator
    ) -> _State | None:
        before, prev_loss = self._loss(state, gen)
        members = np.flatnonzero(before.labels == c)
        if members.size < self.split_subclusters:
            return None
        sub = _State(
            _balanced_random_labels(members.size, self.split_subclusters, rng),
            self._fresh(self.split_subclusters, gen),
        )
        sub = self._kmeans(sub, self.split_kmeans_rounds, self.split_kmeans_steps, gen, units=members)
        if sub.k <= 1:
            self.history_.append(
                {
                    "phase": "split",
                    "cluster": c,
                    "n_clusters": state.k,
                    "accepted": False,
                    "reason": "collapsed",
                }
            )
            return None
        labels = before.labels.copy()
        new_ids = np.where(sub.labels == 0, c, before.k - 1 + sub.labels)
        labels[members] = new_ids
        stimuli = torch.cat([before.stimuli, sub.stimuli[1:]])
        stimuli[c] = sub.stimuli[0]
        cand, _ = self._optimise(_State(labels, stimuli), self.split_estimate_steps, gen, fresh=True)
        cand, _ = self._reassign(cand)
        if cand.k <= 1:
            return None
        cand, new_loss = self._loss(cand, gen)
        accepted = new_loss < prev_loss
        self.history_.append(
            {
                "phase": "split",
                "cluster": c,
                "n_clusters": cand.k,
                "loss_before": prev_loss,
                "loss": new_loss,
                "accepted": accepted,
            }
        )
        return cand if accepted else None

    def _split_step(self, state: _State, gen: torch.Generator, rng: np.random.Generator) -> _State:
        changed = True
        passes = 0
        # Each pass tries every cluster; the loss estimates are stochastic, so cap the passes as a safeguard.
        while changed and passes < _MAX_PASSES:
            changed = False
            passes += 1
            for c in range(state.k):
                if c >= state.k:
                    break
                cand = self._try_split(state, c, gen, rng)
                if cand is not None:
                    logger.info("split cluster %d: %d clusters", c, cand.k)
                    state, changed = cand, True
        return state

    def _merge_step(self, state: _State, gen: torch.Generator) -> _State:
        changed = True
        passes = 0
        while changed and state.k > 2 and passes < _MAX_PASSES:
            changed = False
            passes += 1
            est, prev_loss = self._loss(state, gen)
            with torch.no_grad():
                resp = normalise_responses(call_model(self._model, est.stimuli), self._offset, self._scale)
                m = cluster_means(resp, torch.as_tensor(est.labels, device=self.device), est.k)
                p = torch.softmax(m / self.tau, dim=1).cpu().numpy()
            confusion = p + p.T
            np.fill_diagonal(confusion, -np.inf)
            order = np.argsort(confusion, axis=None)[::-1]
            tried: set[tuple[int, int]] = set()
            for flat in order:
                a, b = sorted(divmod(int(flat), est.k))
                if (a, b) in tried or a == b:
                    continue
                tried.add((a, b))
                if len(tried) > self.merge_candidates:
                    break
                labels = est.labels.copy()
                labels[labels == b] = a
                keep = torch.as_tensor([i for i in range(est.k) if i != b])
                labels = np.where(labels > b, labels - 1, labels)
                cand, _ = self._optimise(
                    _State(labels, est.stimuli[keep]), self.split_estimate_steps, gen, fresh=True
                )
                cand, _ = self._reassign(cand)
                if cand.k <= 1:
                    continue
                cand, new_loss = self._loss(cand, gen)
                accepted = new_loss < prev_loss
                self.history_.append(
                    {
                        "phase": "merge",
                        "pair": (a, b),
                        "n_clusters": cand.k,
                        "loss_before": prev_loss,
                        "loss": new_loss,
                        "accepted": accepted,
                    }
                )
                if accepted:
                    logger.info("merged clusters %d and %d: %d clusters", a, b, cand.k)
                    state, changed = cand, True
                    break
        return state

    def _initial_labels(self, n: int, rng: np.random.Generator, gen: torch.Generator) -> np.ndarray:
        k = int(self.n_clusters_init)
        if isinstance(self.init, np.ndarray | list | tuple):
            labels = np.asarray(self.init)
            if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
                raise ValueError(
                    f"init labels must be an integer array of shape ({n},), got shape {labels.shape}"
                )
            if labels.min() < 0 or labels.max() >= k:
                raise ValueError(f"init labels must lie in [0, n_clusters_init={k})")
            return labels.astype(np.int64)
        if self.init == "random":
            return _balanced_random_labels(n, k, rng)
        if self.init == "responses":
            from sklearn.cluster import KMeans

            noise = self._fresh(500, gen)
            resp = normalise_responses(
                torch.as_tensor(self._raw_responses(noise)), self._offset_cpu, self._scale_cpu
            )
            km = KMeans(n_clusters=k, n_init=4, random_state=int(rng.integers(2**31))).fit(resp.numpy().T)
            return np.asarray(km.labels_, dtype=np.int64)
        raise ValueError(f"init must be 'random', 'responses' or an array of labels, got {self.init!r}")

    def _set_normalisation(self, n: int, gen: torch.Generator) -> None:
        self._offset: torch.Tensor | float = 0.0
        self._scale: torch.Tensor | float = 1.0
        if self.normalize is None:
            pass
        elif isinstance(self.normalize, str) and self.normalize == "noise":
            resp = torch.as_tensor(self._raw_responses(self._fresh(500, gen)))
            self._offset = resp.mean(0).to(self.device)
            self._scale = resp.std(0).clamp_min(1e-6).to(self.device)
        elif isinstance(self.normalize, tuple) and len(self.normalize) == 2:
            off, sc = (np.asarray(a, dtype=np.float64) for a in self.normalize)
            if off.shape != (n,) or sc.shape != (n,):
                raise ValueError(f"normalize=(offset, scale) must be two arrays of shape ({n},)")
            if not (np.isfinite(off).all() and np.isfinite(sc).all() and (sc > 0).all()):
                raise ValueError("normalize offset must be finite and scale finite and > 0")
            dtype = torch.get_default_dtype()
            self._offset = torch.as_tensor(off, dtype=dtype, device=self.device)
            self._scale = torch.as_tensor(sc, dtype=dtype, device=self.device)
        else:
            raise ValueError(
                f"normalize must be None, 'noise' or a tuple (offset, scale), got {self.normalize!r}"
            )
        self._offset_cpu = self._offset.cpu() if isinstance(self._offset, torch.Tensor) else self._offset
        self._scale_cpu = self._scale.cpu() if isinstance(self._scale, torch.Tensor) else self._scale

    # ------------------------------------------------------------------ public API
    def fit(self, neuron_idx: Sequence[int] | np.ndarray | None = None) -> MDSClustering:
        """Cluster the model's neurons.

        Parameters
        ----------
        neuron_idx
            Indices of the model's output neurons to cluster (``None``: all).

        Returns
        -------
        MDSClustering
            ``self``, with ``labels_``, ``stimuli_``, ``loss_``, ``objective_``, ``responses_``, ``history_``.

        Raises
        ------
        ValueError
            Stimulus shape that does not fit the model, fewer neurons than ``n_clusters_init``, a model that
            returns NaN/inf, or an invalid parameter.
        TypeError
            ``model`` is not a ``torch.nn.Module``.
        """
        self._validate()
        self._shape = tuple(int(s) for s in self.stim_shape)
        model = self.model.to(self.device)
        if neuron_idx is not None:
            model = TwinAdapter(model, neuron_idx).to(self.device)
        self._model = model
        n = self._probe(model, self._shape)
        if n < self.n_clusters_init:
            raise ValueError(
                f"n_clusters_init={self.n_clusters_init} exceeds the number of neurons ({n}): "
                "every initial cluster needs at least one neuron"
            )
        best: tuple[float, _State, list[dict[str, Any]]] | None = None
        for restart in range(int(self.n_init)):
            seed = (
                int(self.seed)
                if restart == 0
                else int(np.random.SeedSequence([int(self.seed), restart]).generate_state(1)[0])
            )
            rng = np.random.default_rng(seed)
            gen = torch.Generator().manual_seed(seed)
            self.history_ = []
            self._set_normalisation(n, gen)
            state = _State(self._initial_labels(n, rng, gen), self._fresh(int(self.n_clusters_init), gen))
            state = self._kmeans(
                state, int(self.max_rounds), int(self.steps_per_round), gen, progress=self.progress
            )
            if self.split and state.k >= 1:
                state = self._split_step(state, gen, rng)
            if self.merge and state.k > 2:
                state = self._merge_step(state, gen)
            state, j = self._optimise(state, int(self.final_steps), gen)
            loss = float(-j.mean()) if state.k > 1 else 0.0
            self.history_.append({"phase": "final", "n_clusters": state.k, "loss": loss, "restart": restart})
            if best is None or loss < best[0]:
                best = (loss, state, self.history_)
        assert best is not None
        loss, state, self.history_ = best
        order = _canonical(state.labels)
        remap = np.empty(state.k, dtype=np.int64)
        remap[order] = np.arange(order.size)
        state = _State(remap[state.labels], state.stimuli[torch.as_tensor(order)])
        _, j = self._optimise(state, 0, torch.Generator().manual_seed(0))
        self.labels_ = state.labels
        self.stimuli_ = state.stimuli.cpu().numpy()
        self.n_clusters_ = state.k
        self.objective_ = j if state.k > 1 else np.zeros(1)
        self.loss_ = float(-self.objective_.mean())
        self.responses_ = self._raw_responses(state.stimuli).T
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise ValueError("this MDSClustering is not fitted yet: call fit() first (or MDSClustering.load)")

    def assign(self, responses: np.ndarray) -> np.ndarray:
        """Type cells on the fly from their recorded responses to the K MDS.

        Parameters
        ----------
        responses : array_like, shape (n_cells, K)
            Response of each cell to each MDS (``stimuli_`` order), finite.

        Returns
        -------
        numpy.ndarray
            Cluster of each cell: the MDS it responds to most (``argmax`` over the K responses).

        Raises
        ------
        ValueError
            ``responses`` is not 2-D with K columns, is empty, or holds NaN/inf.

        Examples
        --------
        >>> from mds_cluster.twins import OnOffToy
        >>> mc = MDSClustering(OnOffToy(6, 3), (3, 3), 2, optimizer="sgd", lr=10.0, stim_constraint=None,
        ...                    steps_per_round=20, split=False, seed=0).fit()
        >>> mc.assign([[0.1, 2.0], [3.0, -1.0]]).tolist()
        [1, 0]
        """
        self._check_fitted()
        r = check_array("responses", responses, ndim=2, min_size=1)
        if r.shape[1] != self.n_clusters_:
            raise ValueError(
                f"responses must be [n_cells, K={self.n_clusters_}] (one column per MDS), got shape {r.shape}"
            )
        labels: np.ndarray = np.argmax(r, axis=1).astype(np.int64)
        return labels

    def partition(self, item_ids: Sequence[str] | None = None) -> Partition:
        """The clustering of the twin's neurons as a ``neurotypes.Partition`` (optional neuron names)."""
        from neurotypes import Partition

        self._check_fitted()
        return Partition(self.labels_, item_ids=item_ids)

    def mds(self, rate: float = 1.0) -> Stimulus:
        """The MDS as a ``neurotypes.Stimulus`` with ``frames[K, *stim_shape]`` (``rate`` in Hz is nominal)."""
        from neurotypes import Stimulus

        self._check_fitted()
        return Stimulus(frames=self.stimuli_, rate=check_float("rate", rate, positive=True))

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the fitted result (MDS, labels, objective, responses, settings) as a versioned ``.npz``.

        Arrays plus JSON metadata in one archive, written atomically, read back with ``allow_pickle=False`` by
        :meth:`load`. The twin itself is not saved (any ``torch.nn.Module``: save it with its own tools).

        Parameters
        ----------
        path : str or path-like
            Destination (written as named; the folder must exist).

        Returns
        -------
        pathlib.Path
        """
        import io
        import json

        self._check_fitted()
        p = check_path("path", path, must_exist=False)
        meta = {
            "format": RESULT_FORMAT,
            "version": RESULT_VERSION,
            "n_clusters": self.n_clusters_,
            "loss": self.loss_,
            "tau": float(self.tau),
            "stim_shape": [int(x) for x in self.stim_shape],
            "n_clusters_init": int(self.n_clusters_init),
            "seed": int(self.seed),
            "history": _jsonable_history(self.history_),
        }
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            format=np.array(RESULT_FORMAT),
            version=np.array(RESULT_VERSION, dtype=np.int64),
            metadata=np.array(json.dumps(meta)),
            labels=np.asarray(self.labels_, dtype=np.int64),
            stimuli=np.asarray(self.stimuli_, dtype=np.float64),
            objective=np.asarray(self.objective_, dtype=np.float64),
            responses=np.asarray(self.responses_, dtype=np.float64),
        )
        return atomic_write_bytes(p, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MDSClustering:
        """Read a result written by :meth:`save`: an ``MDSClustering`` with the fitted attributes and no twin
        (``model`` is None), ready for :meth:`assign`, :meth:`mds` and :meth:`partition`.

        Raises
        ------
        FileNotFoundError
            No file at ``path``.
        neurotypes.FormatError
            The file is not a readable mds-cluster result (a ``ValueError`` naming the file).
        """
        import json
        import zipfile

        p = check_path("path", path)

        def bad(why: str) -> FormatError:
            return FormatError(f"file {str(p)!r} is not an mds-cluster result file: {why}")

        try:
            with np.load(p, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise bad(f"{type(exc).__name__}: {exc}") from None
        need = ("format", "version", "metadata", "labels", "stimuli", "objective", "responses")
        missing = [k for k in need if k not in arrays]
        if missing:
            raise bad(f"missing arrays {missing}")
        if arrays["format"].dtype.kind != "U" or str(arrays["format"]) != RESULT_FORMAT:
            raise bad(f"format is {arrays['format']!r}, not {RESULT_FORMAT!r}")
        if arrays["version"].dtype.kind not in "iu" or arrays["version"].shape != ():
            raise bad("version is not an integer")
        if int(arrays["version"]) > RESULT_VERSION:
            raise bad(f"version {int(arrays['version'])} is newer than this package reads ({RESULT_VERSION})")
        try:
            meta = json.loads(str(arrays["metadata"]))
            k = check_int("n_clusters", meta["n_clusters"], minimum=1)
            shape = tuple(check_int("stim_shape", x, minimum=1) for x in meta["stim_shape"])
            stimuli = check_array("stimuli", arrays["stimuli"], shape=(k, *shape))
            labels = check_array("labels", arrays["labels"], ndim=1, dtype="int", minimum=0, maximum=k - 1)
            objective = check_array("objective", arrays["objective"], ndim=1)
            responses = check_array("responses", arrays["responses"], shape=(labels.size, k))
            model = cls(
                None,  # type: ignore[arg-type]
                shape,
                check_int("n_clusters_init", meta["n_clusters_init"], minimum=2),
                tau=check_float("tau", meta["tau"], positive=True),
                seed=check_int("seed", meta["seed"], minimum=0),
            )
            model.labels_ = labels
            model.stimuli_ = stimuli
            model.n_clusters_ = k
            model.objective_ = objective
            model.loss_ = float(meta["loss"])
            model.responses_ = responses
            model.history_ = list(meta.get("history", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(f"{type(exc).__name__}: {exc}") from None
        return model


def _jsonable_history(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in history:
        row: dict[str, Any] = {}
        for key, value in entry.items():
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, tuple):
                value = [int(v) for v in value]
            row[key] = value
        out.append(row)
    return out
