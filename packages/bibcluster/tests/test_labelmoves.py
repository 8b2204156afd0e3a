"""Split-merge moves of the neuron labels: invariance of the label step's target by exact enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import chi2

from bibcluster import DPPrior, MFMPrior
from bibcluster.labelmoves import LabelState, split_merge


def _set_partitions(n: int) -> list[tuple[int, ...]]:
    """All set partitions of n items as restricted growth strings (label of item k <= 1 + max of earlier)."""
    out: list[tuple[int, ...]] = []

    def grow(prefix: list[int]) -> None:
        if len(prefix) == n:
            out.append(tuple(prefix))
            return
        for lab in range(max(prefix, default=-1) + 2):
            grow([*prefix, lab])

    grow([])
    return out


def _canonical(z: np.ndarray, traj: list[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Labels renumbered by first occurrence, with the block trajectories in that order."""
    first: dict[int, int] = {}
    for lab in z:
        first.setdefault(int(lab), len(first))
    return tuple(first[int(lab)] for lab in z), tuple(traj[old] for old in sorted(first, key=first.get))


@pytest.mark.parametrize("prior", [MFMPrior(geom_r=0.3, gamma=0.7), DPPrior(alpha=1.3)])
def test_split_merge_leaves_the_label_target_invariant(prior: MFMPrior | DPPrior) -> None:
    """Exact draws from pi(z, phi) with G0 on a bank of 3 trajectories (enumerated), one move each, and the
    histogram of the states after the move is unchanged (chi-square)."""
    rng = np.random.default_rng(4)
    N, B = 4, 3
    g0 = np.array([0.5, 0.3, 0.2])
    ml = rng.normal(0.0, 1.2, (N, B))  # log ML of neuron i under bank trajectory b
    vtab = prior.table(N)
    states, logp = [], []
    for part in _set_partitions(N):
        t = max(part) + 1
        for traj in itertools.product(range(B), repeat=t):
            sizes = np.bincount(part)
            lp = prior.log_partition(sizes, vtab) + np.log(g0[list(traj)]).sum()
            lp += sum(ml[i, traj[part[i]]] for i in range(N))
            states.append((part, traj))
            logp.append(lp)
    logp = np.array(logp)
    pi = np.exp(logp - logp.max())
    pi /= pi.sum()
    index = {s: k for k, s in enumerate(states)}

    def sample_g0(r: np.random.Generator) -> int:
        return int(r.choice(B, p=g0))

    def ml_of(traj: int, rows: np.ndarray) -> np.ndarray:
        return np.asarray(ml[rows, traj])

    n_draws = 20_000
    counts = np.zeros(len(states))
    accepted = {"split": 0, "merge": 0}
    for k in rng.choice(len(states), size=n_draws, p=pi):
        part, traj = states[k]
        z = np.array(part)
        st = LabelState(z, list(traj), ml[:, list(traj)])
        new, kind, acc = split_merge(st, prior, vtab, sample_g0, ml_of, rng)
        accepted[kind] += acc
        # the ML table must follow the trajectories
        np.testing.assert_allclose(new.logml, ml[:, new.trajectories])
        counts[index[_canonical(new.z, new.trajectories)]] += 1
    assert accepted["split"] > 0.02 * n_draws and accepted["merge"] > 0.02 * n_draws
    expected = pi * n_draws
    keep = expected >= 5
    stat = (((counts - expected) ** 2) / expected)[keep].sum() + (
        counts[~keep].sum() - expected[~keep].sum()
    ) ** 2 / max(expected[~keep].sum(), 1e-9)
    assert stat < chi2.ppf(0.999, keep.sum())


def test_split_merge_without_the_allocation_term_is_caught() -> None:
    """A move that forgets the allocation probability is not invariant: the same chi-square test rejects it."""
    import bibcluster.labelmoves as lm

    prior = MFMPrior(geom_r=0.3, gamma=0.7)
    rng = np.random.default_rng(5)
    N, B = 4, 3
    g0 = np.array([0.5, 0.3, 0.2])
    ml = rng.normal(0.0, 1.2, (N, B))
    vtab = prior.table(N)
    states, logp = [], []
    for part in _set_partitions(N):
        for traj in itertools.product(range(B), repeat=max(part) + 1):
            lp = prior.log_partition(np.bincount(part), vtab) + np.log(g0[list(traj)]).sum()
            lp += sum(ml[i, traj[part[i]]] for i in range(N))
            states.append((part, traj))
            logp.append(lp)
    pi = np.exp(np.array(logp) - max(logp))
    pi /= pi.sum()
    index = {s: k for k, s in enumerate(states)}
    original = lm._allocate

    def no_alloc_prob(*args, **kwargs):  # type: ignore[no-untyped-def]
        out, _ = original(*args, **kwargs)
        return out, 0.0

    lm._allocate = no_alloc_prob
    try:
        counts = np.zeros(len(states))
        for k in rng.choice(len(states), size=20_000, p=pi):
            part, traj = states[k]
            st = LabelState(np.array(part), list(traj), ml[:, list(traj)])
            new, _, _ = split_merge(
                st, prior, vtab, lambda r: int(r.choice(B, p=g0)), lambda t, rows: ml[rows, t], rng
            )
            counts[index[_canonical(new.z, new.trajectories)]] += 1
    finally:
        lm._allocate = original
    expected = pi * 20_000
    keep = expected >= 5
    stat = (((counts - expected) ** 2) / expected)[keep].sum()
    assert stat > chi2.ppf(0.999, keep.sum() - 1)


def test_log_partition_matches_the_gibbs_weights() -> None:
    """EPPF ratios equal the Algorithm-8 weights: joining a block of size n adds log(n + gamma) (MFM) or log n
    (DP); opening a block adds log_new."""
    for prior in (MFMPrior(geom_r=0.2, gamma=1.0), MFMPrior(geom_r=0.4, gamma=0.5), DPPrior(alpha=2.0)):
        vtab = prior.table(12)
        sizes = np.array([3.0, 4.0, 1.0])
        base = prior.log_partition(sizes, vtab)
        grown = prior.log_partition(np.array([4.0, 4.0, 1.0]), vtab)
        assert grown - base == pytest.approx(float(prior.log_existing(np.array([3.0]))[0]), abs=1e-12)
        opened = prior.log_partition(np.array([3.0, 4.0, 1.0, 1.0]), vtab)
        assert opened - base == pytest.approx(prior.log_new(3, vtab), abs=1e-12)
    # MFM: exp(log_partition) summed over all partitions of 5 items is 1 (the EPPF is a distribution)
    prior = MFMPrior(geom_r=0.3, gamma=0.8)
    vtab = prior.table(5)
    total = sum(np.exp(prior.log_partition(np.bincount(part), vtab)) for part in _set_partitions(5))
    assert total == pytest.approx(1.0, abs=1e-10)
    assert gammaln(1.0) == 0.0


def test_sampler_runs_the_label_moves_and_counts_them() -> None:
    from bibcluster import BiClusterSampler, simulate

    Y, _ = simulate.simulate_biclustered(n_per_cluster=4, T=60, seed=1)
    post = BiClusterSampler(n_jobs=1, label_moves=3).fit(Y, n_iter=6, burn_in=2, chains=1, seed=0)
    stats = post.chains[0].move_stats
    assert stats.get("split_proposed", 0) + stats.get("merge_proposed", 0) == 18
    assert 0 <= stats.get("split_accepted", 0) <= stats.get("split_proposed", 0)
    with pytest.raises(ValueError, match="label_moves"):
        BiClusterSampler(label_moves=-1).fit(Y, n_iter=2, burn_in=0, chains=1)
