"""Partition priors on the neuron clusters: mixture of finite mixtures (default) and Dirichlet process.

The MFM (Miller & Harrison 2018) puts ``K ~ Geometric(geom_r)`` on {1, 2, ...} (``p(k) = r (1 - r)^(k-1)``) and
symmetric Dirichlet(``gamma``) weights. Its exchangeable partition probability function is

``p(C) = V_n(t) * prod_{c in C} gamma^(|c|)``,  ``V_n(t) = sum_{k >= t} k_(t) / (gamma k)^(n) * p(k)``

with the rising factorial ``x^(m) = x (x+1) ... (x+m-1)`` and the falling factorial ``k_(t) = k (k-1) ... (k-t+1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, logsumexp

__all__ = ["DPPrior", "MFMPrior", "log_v_coefficients"]


def log_v_coefficients(
    n: int, t_max: int, gamma: float = 1.0, geom_r: float = 0.2, k_max: int | None = None
) -> np.ndarray:
    """``log V_n(t)`` for ``t = 0, ..., t_max`` (entry 0 is ``-inf``) under a Geometric(geom_r) prior on K.

    Parameters
    ----------
    n : int
        Number of items (neurons), ``n >= 1``.
    t_max : int
        Largest number of blocks needed (the reference truncates at ``n / 2``; here any ``t_max <= n``).
    gamma : float
        Dirichlet concentration of the mixture weights, ``> 0``.
    geom_r : float
        Success probability of the geometric prior ``p(k) = geom_r (1 - geom_r)^(k-1)``, in (0, 1).
    k_max : int, optional
        Truncation of the k-sum; by default large enough that the omitted tail is below 1e-16 relative.

    Returns
    -------
    numpy.ndarray
        Shape ``(t_max + 1,)``.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(t_max, (int, np.integer)) or not 1 <= t_max <= n:
        raise ValueError(f"t_max must be an integer in [1, n={n}], got {t_max!r}")
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0, got {gamma!r}")
    if not 0 < geom_r < 1:
        raise ValueError(f"geom_r must lie in (0, 1), got {geom_r!r}")
    if k_max is None:
        # terms decay at least like (1 - geom_r)^k once k >> n; 40 nats below the peak is negligible
        k_max = int(t_max + 200 + 60.0 / -np.log1p(-geom_r))
    k = np.arange(1, k_max + 1, dtype=float)[:, None]
    t = np.arange(1, t_max + 1, dtype=float)[None, :]
    log_pk = np.log(geom_r) + (k - 1) * np.log1p(-geom_r)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_fall = np.where(k >= t, gammaln(k + 1) - gammaln(np.maximum(k - t + 1, 1)), -np.inf)
    log_rise = gammaln(gamma * k + n) - gammaln(gamma * k)
    terms = log_fall - log_rise + log_pk
    out = np.full(t_max + 1, -np.inf)
    out[1:] = logsumexp(terms, axis=0)
    return out


@dataclass(frozen=True)
class MFMPrior:
    """Mixture-of-finite-mixtures partition prior (the paper's default).

    Parameters
    ----------
    geom_r : float
        ``K ~ Geometric(geom_r)`` on {1, 2, ...}; default 0.2.
    gamma : float
        Symmetric Dirichlet concentration of the weights; default 1.
    """

    geom_r: float = 0.2
    gamma: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.geom_r < 1:
            raise ValueError(f"geom_r must lie in (0, 1), got {self.geom_r!r}")
        if not self.gamma > 0:
            raise ValueError(f"gamma must be > 0, got {self.gamma!r}")

    def table(self, n: int) -> np.ndarray:
        """``log V_n(t)`` for t = 0..n (cached by the sampler once per fit)."""
        return log_v_coefficients(n, n, self.gamma, self.geom_r)

    def log_existing(self, sizes: np.ndarray) -> np.ndarray:
        """Log prior weight of joining a cluster with ``sizes`` other members: ``log(n_k + gamma)``."""
        return np.log(sizes + self.gamma)

    def log_new(self, n_blocks: int, table: np.ndarray) -> float:
        """Log prior weight of opening a new cluster when ``n_blocks`` others exist."""
        return (
            float(table[n_blocks + 1] - table[n_blocks] + np.log(self.gamma))
            if n_blocks > 0
            else float(np.log(self.gamma))
        )

    def log_partition(self, sizes: np.ndarray, table: np.ndarray) -> float:
        """``log p(C)`` of a partition with block ``sizes``: ``log V_n(t) + sum_c log gamma^(|c|)`` (the EPPF)."""
        sizes = np.asarray(sizes, dtype=float)
        return float(table[len(sizes)] + (gammaln(sizes + self.gamma) - gammaln(self.gamma)).sum())


@dataclass(frozen=True)
class DPPrior:
    """Dirichlet-process (Chinese restaurant) partition prior with fixed concentration ``alpha``.

    The reference also has an MH update of ``alpha``; here it is fixed (documented deviation).
    """

    alpha: float = 1.0

    def __post_init__(self) -> None:
        if not self.alpha > 0:
            raise ValueError(f"alpha must be > 0, got {self.alpha!r}")

    def table(self, n: int) -> np.ndarray:
        return np.zeros(n + 2)

    def log_existing(self, sizes: np.ndarray) -> np.ndarray:
        return np.asarray(np.log(np.maximum(sizes, 1e-300)))

    def log_new(self, n_blocks: int, table: np.ndarray) -> float:
        return float(np.log(self.alpha))

    def log_partition(self, sizes: np.ndarray, table: np.ndarray) -> float:
        """``log p(C)`` up to a constant: ``t log alpha + sum_c log (|c| - 1)!`` (Chinese restaurant EPPF)."""
        sizes = np.asarray(sizes, dtype=float)
        return float(len(sizes) * np.log(self.alpha) + gammaln(sizes).sum())
