"""The paper's simulation: clustered neurons driven by per-cluster latents with synchronous switching dynamics.

Truth (following the reference simulation scripts; choices marked *ours* where the spec left them open):
2 states with Poisson(mean 50) durations, alternating (a hidden semi-Markov chain); per cluster the
(p+1)-dim block ``(mu, x)`` follows ``A_1 = 0.01 I`` and ``A_2 = 1.01 R`` with R a rotation by pi/20 in a random
plane (as the reference's ``random_rotation(p+1, pi/20)``), ``Q = 1e-2 I``, offsets ``b = 0``; 2T steps are
simulated and the last T kept. Loadings ``d_i ~ N(0, 0.5^2)``, ``c_i ~ N(0, 0.5^2 I)``; counts NB(r = 10) or Poisson.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurotypes import Partition, SpikeCounts
from neurotypes.validation import check_int

__all__ = ["SimulationTruth", "simulate_biclustered", "simulate_structureless"]


@dataclass(frozen=True)
class SimulationTruth:
    """Ground truth of :func:`simulate_biclustered`.

    Attributes
    ----------
    z : numpy.ndarray
        Neuron cluster labels ``(N,)``.
    states : numpy.ndarray
        State sequence ``xi`` ``(T,)``.
    latents : numpy.ndarray
        ``(K, T, p+1)``; column 0 is the intercept trajectory ``mu``, the rest ``x``.
    A, b, Q : numpy.ndarray
        Per-state dynamics of the stacked latents ``(S, D, D)``, ``(S, D)``, ``(S, D, D)``.
    d, C : numpy.ndarray
        Loadings ``(N,)`` and ``(N, p)``.
    log_rate : numpy.ndarray
        ``log lambda`` ``(N, T)``.
    """

    z: np.ndarray
    states: np.ndarray
    latents: np.ndarray
    A: np.ndarray
    b: np.ndarray
    Q: np.ndarray
    d: np.ndarray
    C: np.ndarray
    log_rate: np.ndarray

    @property
    def partition(self) -> Partition:
        """Neuron clusters as a :class:`neurotypes.Partition`."""
        return Partition(labels=self.z.astype(np.int64))


def _plane_rotation(n: int, theta: float, rng: np.random.Generator) -> np.ndarray:
    """Rotation by ``theta`` in a random 2-D plane of R^n (identity on its orthogonal complement)."""
    basis, _ = np.linalg.qr(rng.standard_normal((n, n)))
    rot = np.eye(n)
    rot[:2, :2] = [[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]
    return np.asarray(basis @ rot @ basis.T)


def simulate_biclustered(
    n_per_cluster: int = 10,
    n_clusters: int = 3,
    p: int = 2,
    T: int = 500,
    n_states: int = 2,
    family: str = "nb",
    r: float = 10.0,
    seed: int | np.random.Generator | None = 0,
    bin_size: float = 0.1,
    mean_duration: float = 50.0,
) -> tuple[SpikeCounts, SimulationTruth]:
    """Simulate the paper's bi-clustered spike counts.

    Parameters
    ----------
    n_per_cluster, n_clusters : int
        Neurons per cluster and number of clusters (paper: 10 and 3, N = 30).
    p : int
        Latent dimension per cluster besides the intercept trajectory (paper: 2).
    T : int
        Number of time bins (paper: 500).
    n_states : int
        Number of dynamical states (paper: 2). State s >= 1 uses the rotation ``1.01 R(pi/20 * s)``.
    family : {"nb", "poisson"}
        Count distribution.
    r : float
        NB dispersion (paper: 10).
    seed : int or numpy.random.Generator
    bin_size : float
        Bin width in seconds written into the SpikeCounts (the model is unit-free).
    mean_duration : float
        Mean state duration in bins (Poisson durations, paper: about 50).

    Returns
    -------
    (SpikeCounts, SimulationTruth)
    """
    check_int("n_per_cluster", n_per_cluster, minimum=1)
    check_int("n_clusters", n_clusters, minimum=1)
    check_int("p", p, minimum=1)
    check_int("T", T, minimum=2)
    check_int("n_states", n_states, minimum=1)
    if family not in ("nb", "poisson"):
        raise ValueError(f"family must be 'nb' or 'poisson', got {family!r}")
    if not r > 0:
        raise ValueError(f"r must be > 0, got {r!r}")
    if not mean_duration > 0:
        raise ValueError(f"mean_duration must be > 0, got {mean_duration!r}")
    rng = np.random.default_rng(seed)
    K, P = n_clusters, p + 1
    D = K * P
    # state path: alternating states with Poisson durations (at least one bin each)
    path = np.empty(2 * T, dtype=np.int64)
    t, s = 0, int(rng.integers(n_states))
    while t < 2 * T:
        dur = max(1, int(rng.poisson(mean_duration)))
        path[t : t + dur] = s
        t += dur
        s = (s + 1) % n_states
    states_burn, states = path[:T], path[T:]
    # per-state dynamics of one cluster block [mu, x]: state 0 contracts (0.01 I); state s >= 1 is 1.01 times a
    # rotation by s * pi/20 in a random plane of the (p+1)-dim block (as the reference's random_rotation)
    blocks = [0.01 * np.eye(P)]
    for st in range(1, n_states):
        blocks.append(1.01 * _plane_rotation(P, np.pi / 20 * st, rng))
    A = np.stack([np.kron(np.eye(K), blk) for blk in blocks])
    b = np.zeros((n_states, D))
    Q = np.stack([1e-2 * np.eye(D)] * n_states)
    # the reference simulates 2T steps and keeps the last T (the first T are a burn-in)
    states = np.concatenate([states_burn, states])
    X = np.zeros((2 * T, D))
    for t in range(1, 2 * T):
        s = states[t]
        X[t] = A[s] @ X[t - 1] + b[s] + rng.normal(0.0, 0.1, D)
    X, states = X[T:], states[T:]
    latents = X.reshape(T, K, P).transpose(1, 0, 2).copy()
    N = K * n_per_cluster
    z = np.repeat(np.arange(K), n_per_cluster)
    d = rng.normal(0.0, 0.5, N)
    C = rng.normal(0.0, 0.5, (N, p))
    eta = d[:, None] + latents[z, :, 0] + np.einsum("ip,itp->it", C, latents[z, :, 1:])
    lam = np.exp(eta)
    y = rng.poisson(lam) if family == "poisson" else rng.negative_binomial(r, r / (r + lam))
    counts = SpikeCounts(counts=y.astype(np.int64), bin_size=float(bin_size))
    truth = SimulationTruth(z=z, states=states, latents=latents, A=A, b=b, Q=Q, d=d, C=C, log_rate=eta)
    return counts, truth


def simulate_structureless(
    n_neurons: int = 30,
    T: int = 200,
    rate: float = 1.0,
    seed: int | np.random.Generator | None = 0,
    bin_size: float = 0.1,
) -> SpikeCounts:
    """I.i.d. Poisson counts at one constant rate per bin: no neuron clusters, no dynamics."""
    check_int("n_neurons", n_neurons, minimum=1)
    check_int("T", T, minimum=2)
    if not rate > 0:
        raise ValueError(f"rate must be > 0, got {rate!r}")
    rng = np.random.default_rng(seed)
    return SpikeCounts(counts=rng.poisson(rate, (n_neurons, T)).astype(np.int64), bin_size=float(bin_size))
