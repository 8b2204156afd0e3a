"""Diagnose the mixing of the state path (the README's "Why the state sequence is not recovered").

1. With the true latents of the quick simulation held fixed, run the blocked Gibbs step of the states and
   dynamics (MNIW draw, forward-backward states, sticky transitions) from three starts: one state, random
   2-state segments, and the true path; print the state ARI every 25 sweeps. Then the same with the collapsed
   split / merge / reallocate moves of :mod:`bibcluster.statemoves` (5 per sweep) before each Gibbs step.
2. The collapsed log posterior of the true path minus that of one state, given the true latents and given the
   latents of a one-state chain after 60 sweeps.
3. Run the full sampler from one state, from the true path and from the true path shifted by 10 bins (state
   ARI 0.36; the path is injected after the initialisation) and print the state ARI.

Run: uv run --package bibcluster python packages/bibcluster/benchmarks/state_mixing.py [--sweeps 200]
Not run in CI (about 2 minutes on 2 cores).
"""

from __future__ import annotations

import argparse

import numpy as np

from bibcluster import BiClusterSampler, StickyHDPHMM, simulate
from bibcluster.hmm import ar_loglik, sample_dynamics, sample_states, sample_transitions
from bibcluster.sampler import _initial_states, init_state, sweep, validate_counts
from bibcluster.statemoves import collapsed_log_target, state_moves
from neurotypes import Partition


def _ari(a: np.ndarray, b: np.ndarray) -> float:
    return Partition(labels=np.asarray(a)).adjusted_rand_index(Partition(labels=np.asarray(b)))


def _fixed_latents(
    X: np.ndarray, truth: np.ndarray, start: str, sweeps: int, seed: int, moves: int = 0
) -> list[float]:
    hmm = StickyHDPHMM()
    L = hmm.L
    rng = np.random.default_rng(seed)
    T = X.shape[0]
    xi = {"one": np.zeros(T, dtype=np.int64), "segments": _initial_states(T, 2, rng), "truth": truth.copy()}[
        start
    ]
    beta = np.full(L, 1.0 / L)
    trans = np.full((L, L), hmm.alpha / L) + hmm.kappa * np.eye(L)
    trans /= trans.sum(1, keepdims=True)
    out = []
    for _ in range(sweeps):
        if moves:
            xi, _ = state_moves(X, xi, beta, hmm, rng, n_moves=moves)
            trans, beta = sample_transitions(xi, beta, hmm, rng)
        A, b, Q = sample_dynamics(X, xi, hmm, rng)
        xi = sample_states(ar_loglik(X, A, b, Q), trans, beta, rng)
        trans, beta = sample_transitions(xi, beta, hmm, rng)
        out.append(_ari(truth, xi))
    return out


def _full_sampler(seed: int, start: str, sweeps: int) -> tuple[list[float], float]:
    """State ARI per sweep, and the collapsed log posterior of the true path minus one state's at the end."""
    Y, truth = simulate.simulate_biclustered(T=200, seed=seed)
    cfg = BiClusterSampler()._config()
    y = validate_counts(Y, cfg.p)
    rng = np.random.default_rng(100 + seed)
    vtab = cfg.prior.table(y.shape[0])
    state = init_state(y, cfg, rng)
    if start in ("truth", "shifted"):
        state.xi = truth.states.copy() if start == "truth" else np.roll(truth.states, 10)
        state.trans, state.beta = sample_transitions(state.xi, state.beta, cfg.hmm, rng)
        state.A, state.b, state.Q = sample_dynamics(state.stacked(), state.xi, cfg.hmm, rng)
    out = []
    for it in range(sweeps):
        sweep(y, state, cfg, vtab, rng, it, sweeps)
        out.append(_ari(truth.states, state.xi))
    X = state.stacked()
    one = np.zeros(len(state.xi), dtype=np.int64)
    gap = collapsed_log_target(X, truth.states, state.beta, cfg.hmm) - collapsed_log_target(
        X, one, state.beta, cfg.hmm
    )
    return out, gap


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweeps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    _, truth = simulate.simulate_biclustered(T=200, seed=args.seed)
    K, T, P = truth.latents.shape
    X = truth.latents.transpose(1, 0, 2).reshape(T, K * P)
    every = max(1, args.sweeps // 8)
    for moves in (0, 5):
        for start in ("one", "segments", "truth"):
            aris = _fixed_latents(X, truth.states, start, args.sweeps, args.seed + 1, moves)
            print(
                f"true latents fixed, {moves} moves/sweep, start {start:8s}: state ARI",
                [round(a, 2) for a in aris[every - 1 :: every]],
            )
    beta = np.full(StickyHDPHMM().L, 1.0 / StickyHDPHMM().L)
    one = np.zeros(T, dtype=np.int64)
    gap = collapsed_log_target(X, truth.states, beta, StickyHDPHMM()) - collapsed_log_target(
        X, one, beta, StickyHDPHMM()
    )
    print(f"collapsed log posterior, true path minus one state, given the true latents: {gap:.1f}")
    for start in ("one", "truth", "shifted"):
        aris, gap = _full_sampler(args.seed, start, args.sweeps)
        print(
            f"full sampler (default moves), start {start:8s}: state ARI",
            [round(a, 2) for a in aris[every - 1 :: every]],
            f"; true path minus one state given the chain's last latents: {gap:.1f}",
        )


if __name__ == "__main__":
    main()
