"""Split-merge moves for the neuron labels in the conditional form of the label step (Jain & Neal 2004, adapted).

The label step (:mod:`bibcluster.sampler`, Neal's Algorithm 8) targets, given the dispersions,

    pi(z, phi) proportional to  p(z) * prod_c G0(phi_c) * prod_i ML_i(phi_{z_i})

where ``p(z)`` is the partition prior (MFM or DP), ``phi_c`` the latent trajectory of block c, ``G0`` the
distribution of the auxiliary trajectory that Algorithm 8 offers as a new cluster, and ``ML_i(phi)`` the Laplace
marginal likelihood of neuron i's counts given a trajectory (its loadings integrated out). These moves change
whole blocks at once and leave ``pi`` invariant:

* pick an ordered pair of distinct neurons ``(i, j)`` uniformly;
* *split* (same block c): draw a fresh trajectory ``phi_new ~ G0``; i's side keeps ``phi_c``, j's side gets
  ``phi_new``; the other members of c are allocated one by one, in a uniformly random order, with probability
  proportional to ``prior weight of the side so far x ML under the side's trajectory`` (sequential allocation,
  Dahl 2005);
* *merge* (different blocks a = z_i, b = z_j): all of b joins a and keeps ``phi_a``; ``phi_b`` is dropped.

A merge is the reverse of a split with the same pair, so the Metropolis-Hastings ratio of a split is

    p(z') / p(z) * prod_{m on j's side} ML_m(phi_new) / ML_m(phi_c) / P(allocation)

(``G0(phi_new)`` in the target cancels against the proposal density of ``phi_new``), and a merge's ratio is the
inverse, with the probability of reallocating the current two blocks by the same sequential rule. Invariance is
tested against exact enumeration of a small problem in which G0 is a distribution on a finite set of
trajectories (``tests/test_labelmoves.py``).

What these moves cannot do: a merge keeps one of the two trajectories, and the sampler's trajectories are draws
fitted to their own members, so the members of the dropped block lose the part of their likelihood that their own
trajectory fitted (10-200 nats per neuron measured at T = 500); a split proposes a trajectory from the prior,
which rarely explains a group of neurons. See the README for what was measured and why trajectories refitted to
the merged group (Laplace proposals) were not usable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bibcluster.priors import DPPrior, MFMPrior

__all__ = ["LabelState", "split_merge"]


@dataclass
class LabelState:
    """The part of the chain a split-merge move changes.

    Attributes
    ----------
    z : numpy.ndarray
        Block of every neuron ``(N,)``, labels ``0..K-1``, every label used.
    trajectories : list
        One trajectory per block (any object; the sampler uses ``(T, p+1)`` arrays).
    logml : numpy.ndarray
        ``(N, K)``: ``ML_i`` of every neuron under every block's trajectory.
    """

    z: np.ndarray
    trajectories: list[Any]
    logml: np.ndarray


def _allocate(
    order: np.ndarray,
    ml_i: np.ndarray,
    ml_j: np.ndarray,
    prior: MFMPrior | DPPrior,
    rng: np.random.Generator,
    to_j: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Sequential allocation of the neurons in ``order`` to i's side (False) or j's side (True).

    ``ml_i``, ``ml_j``: their ML under the two sides' trajectories (aligned with ``order``). Each side starts with
    one member (i or j). With ``to_j`` given, replays that allocation. Returns the allocation and its log probability.
    """
    n_i, n_j = 1.0, 1.0
    out = np.zeros(len(order), dtype=bool)
    logp = 0.0
    for k in range(len(order)):
        wi = float(prior.log_existing(np.array([n_i]))[0]) + ml_i[k]
        wj = float(prior.log_existing(np.array([n_j]))[0]) + ml_j[k]
        top = max(wi, wj)
        log_pj = wj - top - np.log(np.exp(wi - top) + np.exp(wj - top))
        go_j = bool(to_j[k]) if to_j is not None else bool(np.log(rng.random()) < log_pj)
        logp += log_pj if go_j else np.log1p(-min(np.exp(log_pj), 1.0 - 1e-300))
        out[k] = go_j
        if go_j:
            n_j += 1
        else:
            n_i += 1
    return out, float(logp)


def split_merge(
    state: LabelState,
    prior: MFMPrior | DPPrior,
    vtab: np.ndarray,
    sample_g0: Callable[[np.random.Generator], Any],
    ml_of: Callable[[Any, np.ndarray], np.ndarray],
    rng: np.random.Generator,
) -> tuple[LabelState, str, bool]:
    """One split-merge Metropolis-Hastings move; returns ``(new state, "split" | "merge", accepted)``.

    Parameters
    ----------
    state : LabelState
        Current labels, trajectories and ML table (not modified).
    prior : MFMPrior or DPPrior
        Partition prior (its ``log_partition`` and ``log_existing``).
    vtab : numpy.ndarray
        The prior's table (``prior.table(N)``).
    sample_g0 : callable
        ``sample_g0(rng)`` draws a trajectory from G0 (the distribution of Algorithm 8's auxiliary trajectory).
    ml_of : callable
        ``ml_of(trajectory, rows)`` returns ``ML_m`` of the neurons ``rows`` under a trajectory.
    rng : numpy.random.Generator
    """
    z = state.z
    N = len(z)
    if N < 2:
        return state, "none", False
    i, j = (int(v) for v in rng.choice(N, 2, replace=False))
    ci, cj = int(z[i]), int(z[j])
    sizes = np.bincount(z, minlength=len(state.trajectories)).astype(float)
    if ci == cj:
        members = np.flatnonzero(z == ci)
        rest = members[(members != i) & (members != j)]
        order = rng.permutation(rest)
        traj_new = sample_g0(rng)
        rows = np.r_[order, j]
        ml_new = np.asarray(ml_of(traj_new, rows), dtype=float)
        to_j, log_alloc = _allocate(order, state.logml[order, ci], ml_new[:-1], prior, rng)
        side_j = np.r_[order[to_j], j]
        new_sizes = np.r_[np.delete(sizes, ci), sizes[ci] - len(side_j), len(side_j)]
        gain = float((ml_new[np.r_[to_j, True]] - state.logml[side_j, ci]).sum())
        log_a = prior.log_partition(new_sizes, vtab) - prior.log_partition(sizes, vtab) + gain - log_alloc
        if np.log(rng.random()) >= log_a:
            return state, "split", False
        K = len(state.trajectories)
        z_new = z.copy()
        z_new[side_j] = K
        col = np.full(N, np.nan)
        col[rows] = ml_new
        others = np.setdiff1d(np.arange(N), rows)
        if others.size:
            col[others] = ml_of(traj_new, others)
        return LabelState(z_new, [*state.trajectories, traj_new], np.c_[state.logml, col]), "split", True
    members = np.flatnonzero((z == ci) | (z == cj))
    rest = members[(members != i) & (members != j)]
    order = rng.permutation(rest)
    _, log_alloc = _allocate(
        order, state.logml[order, ci], state.logml[order, cj], prior, rng, z[order] == cj
    )
    side_j = np.flatnonzero(z == cj)
    new_sizes = np.r_[np.delete(sizes, [ci, cj]), sizes[ci] + sizes[cj]]
    loss = float((state.logml[side_j, ci] - state.logml[side_j, cj]).sum())
    log_a = prior.log_partition(new_sizes, vtab) - prior.log_partition(sizes, vtab) + loss + log_alloc
    if np.log(rng.random()) >= log_a:
        return state, "merge", False
    z_new = z.copy()
    z_new[side_j] = ci
    keep = np.flatnonzero(np.arange(len(state.trajectories)) != cj)
    remap = np.full(len(state.trajectories), -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    return (
        LabelState(remap[z_new], [state.trajectories[k] for k in keep], state.logml[:, keep]),
        "merge",
        True,
    )
