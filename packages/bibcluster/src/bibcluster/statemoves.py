"""Collapsed split-merge moves for the state path of the sticky AR-HMM.

Why: a state that no bin uses has dynamics drawn from the MNIW prior (``A`` near ``I``, ``Q`` near ``1e-2 I``), and
under such dynamics a bin of the paper's simulation scores about 50-150 nats worse than under the pooled state.
Forward-backward sampling given the dynamics therefore never opens a new state, and a chain started from one state
stays there (``benchmarks/state_mixing.py``). These moves work on the state path with the dynamics *and* the
transition matrix integrated out, and are followed by fresh draws of both from their full conditionals, so the
sweep stays a valid MCMC kernel.

Target: ``p(xi | X, beta)`` proportional to

    (1 / L or beta[xi_0]) * prod_j DirMult(n_j. ; alpha beta + kappa e_j) * prod_s MNIW-evidence(X_t, t >= 1, xi_t = s)

with ``n_jk`` the transition counts of the path (:func:`path_log_prior`) and the matrix-normal inverse-Wishart
evidence of each state's pairs ``(X_{t-1}, 1) -> X_t`` (:func:`mniw_log_evidence`).

Moves (Metropolis-Hastings with an auxiliary cut set, so the proposal probabilities are exact):

* *split*: pick a used state ``s`` and an unused label ``s'``; cut the runs of ``s`` into pieces (a cut at bin t
  with probability ``q_t``, larger where ``|X_t - X_{t-1}|`` is large); allocate the pieces one by one (in order of
  decreasing ``max |X_{t-1}|^2``, so the informative jumps are placed first) to ``s`` or ``s'`` with probabilities
  proportional to their collapsed predictive evidence (sequentially allocated merge-split, Dahl 2005);
* *merge*: the reverse (an ordered pair of used states; the second is relabelled to the first);
* *reallocate*: pool two used states and allocate their pieces afresh (a split-merge between existing states).

For the reverse of a split, the cut set must contain every boundary between ``s`` and ``s'``; it is drawn from the
cut distribution conditioned on that, which gives the factor ``1 / prod_{boundaries} q_t`` in the acceptance ratio.
Invariance of the kernel is tested against exact enumeration of a small path space (``tests/test_statemoves.py``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from bibcluster._kernels import allocate_kernel, mniw_evidence_flat, pair_cumsum
from bibcluster.hmm import StickyHDPHMM, mniw_prior

__all__ = ["collapsed_log_target", "cut_probabilities", "mniw_log_evidence", "path_log_prior", "state_moves"]


def mniw_log_evidence(
    ZZ: np.ndarray, YZ: np.ndarray, YY: np.ndarray, n: np.ndarray | float, s0_scale: float
) -> np.ndarray:
    """Log marginal likelihood of ``Y = W Z + noise`` under the dynamics prior of :mod:`bibcluster.hmm`.

    ``W = [A | b]`` and ``Q`` integrated out under ``Q ~ IW(D + 2, s0_scale I)``, ``W | Q ~ MN([I | 0], Q, I)``.
    Sufficient statistics (leading axes broadcast): ``ZZ = sum z z'`` ``(..., D+1, D+1)``, ``YZ = sum y z'``
    ``(..., D, D+1)``, ``YY = sum y y'`` ``(..., D, D)`` and the number of pairs ``n``.
    """
    D = YY.shape[-1]
    M0, K0, nu0, S0 = mniw_prior(D, s0_scale)
    Kn = K0 + ZZ
    Syx = M0 @ K0 + YZ
    Syy = M0 @ K0 @ M0.T + YY
    # Mn = Syx Kn^-1 ; Sn = S0 + Syy - Mn Syx'
    Mn = np.swapaxes(np.linalg.solve(Kn, np.swapaxes(Syx, -1, -2)), -1, -2)
    Sn = S0 + Syy - Mn @ np.swapaxes(Syx, -1, -2)
    Sn = 0.5 * (Sn + np.swapaxes(Sn, -1, -2))
    n = np.asarray(n, dtype=float)
    nun = nu0 + n
    # log Gamma_D(nun/2) - log Gamma_D(nu0/2) (the pi terms cancel)
    half = 0.5 * (1.0 - np.arange(1, D + 1))
    lgam = (gammaln(nun[..., None] / 2.0 + half) - gammaln(nu0 / 2.0 + half)).sum(-1)
    out = (
        -0.5 * n * D * np.log(np.pi)
        + 0.5 * D * np.linalg.slogdet(K0)[1]
        - 0.5 * D * np.linalg.slogdet(Kn)[1]
        + 0.5 * nu0 * np.linalg.slogdet(S0)[1]
        - 0.5 * nun * np.linalg.slogdet(Sn)[1]
        + lgam
    )
    return np.asarray(out)


def path_log_prior(xi: np.ndarray, beta: np.ndarray, hmm: StickyHDPHMM) -> float:
    """``log p(xi | beta)`` with the transition rows integrated out (Dirichlet-multinomial per row).

    The initial state has probability ``beta[xi_0]`` (as in the sampler's forward-backward step).
    """
    L = hmm.L
    n = np.zeros((L, L))
    np.add.at(n, (xi[:-1], xi[1:]), 1.0)
    a = hmm.alpha * beta[None, :] + hmm.kappa * np.eye(L)
    rows = gammaln(a.sum(1)) - gammaln(a.sum(1) + n.sum(1))
    return float(rows.sum() + (gammaln(a + n) - gammaln(a)).sum() + np.log(beta[xi[0]]))


class _Pairs:
    """Per-bin regression pairs ``z_t = (X_{t-1}, 1)``, ``y_t = X_t`` (bin 0 has none) as cumulative statistics.

    The statistics of bins ``[a, b)`` are ``cum[b] - cum[a]``; pieces are contiguous, so each costs O(1).
    """

    def __init__(self, X: np.ndarray) -> None:
        self.D = X.shape[1]
        self.cum = np.asarray(
            pair_cumsum(np.ascontiguousarray(X, dtype=float))
        )  # compiled; see cumulative_pairs

    @staticmethod
    def cumulative_pairs(X: np.ndarray) -> np.ndarray:
        """The statistics ``cum`` in plain numpy (the statement :func:`bibcluster._kernels.pair_cumsum` is tested
        against)."""
        T, D = X.shape
        Z = np.vstack([np.zeros((1, D + 1)), np.hstack([X[:-1], np.ones((T - 1, 1))])])
        Y = np.vstack([np.zeros((1, D)), X[1:]])
        W = np.hstack([Z, Y])  # (T, 2D+1): the outer product W W' holds ZZ, YZ' and YY
        outer = (W[:, :, None] * W[:, None, :]).reshape(T, -1)
        flat = np.c_[outer, np.r_[0.0, np.ones(T - 1)]]  # per bin, the pair count last
        return np.asarray(np.vstack([np.zeros((1, flat.shape[1])), np.cumsum(flat, 0)]))

    def split(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(ZZ, YZ, YY, n)`` from flat statistics ``(..., (2D+1)^2 + 1)``."""
        D = self.D
        W = flat[..., :-1].reshape((*flat.shape[:-1], 2 * D + 1, 2 * D + 1))
        return W[..., : D + 1, : D + 1], W[..., D + 1 :, : D + 1], W[..., D + 1 :, D + 1 :], flat[..., -1]

    def span(self, a: int, b: int) -> np.ndarray:
        """Flat statistics of bins ``[a, b)``."""
        return np.asarray(self.cum[b] - self.cum[a])

    def per_state(self, xi: np.ndarray, states: np.ndarray) -> np.ndarray:
        """Flat statistics of the given states ``(len(states), F)``, summed over the runs of the path."""
        starts = np.flatnonzero(np.r_[True, xi[1:] != xi[:-1]])
        ends = np.r_[starts[1:], len(xi)]
        out = np.zeros((len(states), self.cum.shape[1]))
        for i, state in enumerate(states):
            mine = xi[starts] == state
            out[i] = (self.cum[ends[mine]] - self.cum[starts[mine]]).sum(0)
        return out


def _evidence(pairs: _Pairs, flat: np.ndarray, s0_scale: float) -> np.ndarray:
    """MNIW evidence of flat statistics (zero where there are no pairs); compiled, see :func:`mniw_log_evidence`."""
    return np.asarray(mniw_evidence_flat(np.ascontiguousarray(np.atleast_2d(flat)), pairs.D, float(s0_scale)))


def collapsed_log_target(X: np.ndarray, xi: np.ndarray, beta: np.ndarray, hmm: StickyHDPHMM) -> float:
    """``log p(xi | X, beta)`` up to a constant: :func:`path_log_prior` plus the MNIW evidence of every used state."""
    return _log_target(_Pairs(X), xi, beta, hmm)


def _log_target(pairs: _Pairs, xi: np.ndarray, beta: np.ndarray, hmm: StickyHDPHMM) -> float:
    ev = _evidence(pairs, pairs.per_state(xi, np.arange(hmm.L)), hmm.s0_scale).sum()
    return float(ev) + path_log_prior(xi, beta, hmm)


def _log_target_change(
    pairs: _Pairs,
    xi: np.ndarray,
    new: np.ndarray,
    states: tuple[int, int],
    beta: np.ndarray,
    hmm: StickyHDPHMM,
) -> float:
    """``log target(new) - log target(xi)`` when only the bins of ``states`` changed between them."""
    idx = np.array(states)
    old_stats = pairs.per_state(xi, idx)
    new_stats = pairs.per_state(new, idx)
    ev = _evidence(pairs, new_stats, hmm.s0_scale).sum() - _evidence(pairs, old_stats, hmm.s0_scale).sum()
    return float(ev) + path_log_prior(new, beta, hmm) - path_log_prior(xi, beta, hmm)


def cut_probabilities(X: np.ndarray, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """Cut probability ``q_t`` per bin for the moves: ``low`` plus a share of ``|X_t - X_{t-1}|^2`` (capped)."""
    e = np.r_[0.0, ((X[1:] - X[:-1]) ** 2).sum(1)]
    scale = e.max() if e.max() > 0 else 1.0
    return np.asarray(np.clip(low + (high - low) * e / scale, low, high))


def _pieces(region: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, int]:
    """Piece index per bin (-1 outside ``region``): maximal runs of ``region``, also cut where ``cuts``."""
    starts = region & (np.r_[True, ~region[:-1]] | cuts)
    ids = np.cumsum(starts) - 1
    ids[~region] = -1
    return ids, int(starts.sum())


def _allocate(
    pairs: _Pairs,
    lev: np.ndarray,
    ids: np.ndarray,
    n_pieces: int,
    s0_scale: float,
    rng: np.random.Generator,
    assign: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Sequential allocation of pieces to two groups (0, 1); returns the allocation and its log probability.

    With ``assign`` given, replays that allocation and returns its probability (for the reverse move).
    """
    pos = np.flatnonzero(ids >= 0)
    starts = pos[np.r_[True, ids[pos][1:] != ids[pos][:-1]]]
    ends = starts + np.bincount(ids[pos], minlength=n_pieces)
    order = np.argsort(-np.maximum.reduceat(lev[pos], np.searchsorted(pos, starts)), kind="stable")
    replay = assign is not None
    u = np.zeros(n_pieces) if replay else rng.random(n_pieces)
    out, logp = allocate_kernel(
        pairs.cum,
        starts.astype(np.int64),
        ends.astype(np.int64),
        order.astype(np.int64),
        pairs.D,
        float(s0_scale),
        u,
        np.zeros(n_pieces, dtype=np.int64) if assign is None else np.asarray(assign, dtype=np.int64),
        replay,
    )
    return np.asarray(out), float(logp)


def _first_bins(ids: np.ndarray) -> np.ndarray:
    """First bin of each piece (pieces are numbered 0, 1, ... in time order; -1 marks bins outside them)."""
    start = (ids >= 0) & np.r_[True, ids[1:] != ids[:-1]]
    return np.flatnonzero(start)


def _boundaries(xi: np.ndarray, inner: np.ndarray) -> np.ndarray:
    return np.asarray(inner & (xi != np.r_[xi[0], xi[:-1]]))


def _one_move(
    pairs: _Pairs,
    lev: np.ndarray,
    q: np.ndarray,
    xi: np.ndarray,
    beta: np.ndarray,
    hmm: StickyHDPHMM,
    rng: np.random.Generator,
) -> tuple[np.ndarray, str, bool]:
    L = hmm.L
    T = len(xi)
    used = np.unique(xi)
    U = len(used)
    log_q = np.log(q)

    def accept(new: np.ndarray, log_ratio: float, states: tuple[int, int]) -> bool:
        delta = _log_target_change(pairs, xi, new, states, beta, hmm)
        return bool(np.log(rng.random()) < delta + log_ratio)

    if U >= 2 and rng.random() < 0.5:  # reallocate the bins of two used states
        s, s2 = (int(v) for v in rng.choice(used, 2, replace=False))
        region = (xi == s) | (xi == s2)
        inner = region & np.r_[False, region[:-1]]
        b_old = _boundaries(xi, inner)
        cuts = b_old | (inner & (rng.random(T) < q))
        ids, n_pieces = _pieces(region, cuts)
        out, logp = _allocate(pairs, lev, ids, n_pieces, hmm.s0_scale, rng)
        if out.min() == out.max():
            return xi, "reallocate", False
        new = xi.copy()
        new[region] = np.where(out[ids[region]] == 1, s2, s)
        b_new = _boundaries(new, inner)
        first = _first_bins(ids)
        _, logp_rev = _allocate(
            pairs, lev, ids, n_pieces, hmm.s0_scale, rng, (xi[first] == s2).astype(np.int64)
        )
        ratio = logp_rev - logp + log_q[b_old & ~b_new].sum() - log_q[b_new & ~b_old].sum()
        return (new, "reallocate", True) if accept(new, ratio, (s, s2)) else (xi, "reallocate", False)

    # the move type: reallocate with probability 1/2 when two states are used; otherwise split or merge
    def log_p_type(n_used: int) -> float:
        return float(np.log(0.5)) if n_used >= 2 else 0.0

    p_split = 1.0 if U == 1 else (0.0 if U == L else 0.5)
    if rng.random() < p_split:
        s = int(rng.choice(used))
        s2 = int(rng.choice(np.setdiff1d(np.arange(L), used)))
        region = xi == s
        inner = region & np.r_[False, region[:-1]]
        cuts = inner & (rng.random(T) < q)
        ids, n_pieces = _pieces(region, cuts)
        out, logp = _allocate(pairs, lev, ids, n_pieces, hmm.s0_scale, rng)
        if out.min() == out.max():
            return xi, "split", False
        new = xi.copy()
        new[region] = np.where(out[ids[region]] == 1, s2, s)
        b_new = _boundaries(new, inner)
        U2 = U + 1
        p_merge_new = 1.0 if U2 == L else 0.5
        ratio = (
            -log_q[b_new].sum()
            - logp
            + np.log(p_merge_new)
            - np.log(U2 * (U2 - 1))
            - np.log(p_split)
            + np.log(U)
            + np.log(L - U)
            + log_p_type(U2)
            - log_p_type(U)
        )
        return (new, "split", True) if accept(new, ratio, (s, s2)) else (xi, "split", False)

    s, s2 = (int(v) for v in rng.choice(used, 2, replace=False))
    new = xi.copy()
    new[xi == s2] = s
    region = new == s
    inner = region & np.r_[False, region[:-1]]
    b_old = _boundaries(xi, inner)
    cuts = b_old | (inner & (rng.random(T) < q))
    ids, n_pieces = _pieces(region, cuts)
    first = _first_bins(ids)
    _, logp = _allocate(pairs, lev, ids, n_pieces, hmm.s0_scale, rng, (xi[first] == s2).astype(np.int64))
    U2 = U - 1
    p_split_new = 1.0 if U2 == 1 else 0.5
    ratio = (
        logp
        + log_q[b_old].sum()
        + np.log(p_split_new)
        - np.log(U2)
        - np.log(L - U2)
        - np.log(1.0 - p_split)
        + np.log(U * (U - 1))
        + log_p_type(U2)
        - log_p_type(U)
    )
    return (new, "merge", True) if accept(new, ratio, (s, s2)) else (xi, "merge", False)


def state_moves(
    X: np.ndarray,
    xi: np.ndarray,
    beta: np.ndarray,
    hmm: StickyHDPHMM,
    rng: np.random.Generator,
    n_moves: int = 5,
    cut_prob: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Run ``n_moves`` collapsed split / merge / reallocate moves on the state path; return ``(xi, accepted)``.

    Parameters
    ----------
    X : numpy.ndarray
        ``(T, D)`` stacked latents (held fixed).
    xi : numpy.ndarray
        ``(T,)`` current state path (labels in ``0..L-1``).
    beta : numpy.ndarray
        ``(L,)`` top-level state weights (held fixed).
    hmm : StickyHDPHMM
        Hyper-parameters.
    rng : numpy.random.Generator
    n_moves : int
        Number of Metropolis-Hastings moves.
    cut_prob : numpy.ndarray, optional
        ``(T,)`` cut probabilities in (0, 1); default :func:`cut_probabilities` of ``X``.
    """
    pairs = _Pairs(X)
    lev = np.r_[0.0, (X[:-1] ** 2).sum(1)]
    q = cut_probabilities(X) if cut_prob is None else np.asarray(cut_prob, dtype=float)
    if q.shape != xi.shape or not np.all((q > 0) & (q < 1)):
        raise ValueError("cut_prob must have one probability in (0, 1) per time bin")
    xi = np.asarray(xi, dtype=np.int64).copy()
    accepted = 0
    if hmm.L < 2:
        return xi, 0
    for _ in range(n_moves):
        xi, _, acc = _one_move(pairs, lev, q, xi, beta, hmm, rng)
        accepted += acc
    return xi, accepted
