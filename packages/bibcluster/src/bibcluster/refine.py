"""PyMC where it fits: fixed-structure NUTS for the loadings, and the Gibbs conditional it is checked against.

With the neuron partition ``z`` and the cluster latents held fixed, the loadings ``(d_i, c_i)`` have the
posterior ``p(d, C | y, z, latents) ∝ prod_it NB(y_it; exp(d_i + mu_t + c_i'x_t), r_i) N(d_i; 0, 1) N(c_i; 0, I)``.
:func:`gibbs_loadings` samples it with the sampler's Polya-Gamma update; :func:`refine_loadings_nuts` samples the
same density with PyMC's NUTS (the ``pymc`` extra). PyMC cannot express the label moves, FFBS blocking or the
augmentation, so it is used only for this fixed-structure refinement and as an independent check.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bibcluster.hmm import StickyHDPHMM
from bibcluster.priors import MFMPrior
from bibcluster.sampler import ChainState, _Config, _update_loadings

__all__ = ["gibbs_loadings", "loadings_model", "refine_loadings_nuts"]


def _check(
    y: np.ndarray, z: np.ndarray, latents: np.ndarray, family: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y)
    z = np.asarray(z)
    latents = np.asarray(latents, dtype=float)
    if y.ndim != 2:
        raise ValueError(f"y must be 2-D (N, T), got shape {y.shape}")
    if latents.ndim != 3 or latents.shape[1] != y.shape[1] or latents.shape[2] < 2:
        raise ValueError(f"latents must have shape (K, T={y.shape[1]}, p+1 >= 2), got {latents.shape}")
    if z.shape != (y.shape[0],) or z.min() < 0 or z.max() >= latents.shape[0]:
        raise ValueError(f"z must hold N={y.shape[0]} labels in [0, K={latents.shape[0]})")
    if family not in ("nb", "poisson"):
        raise ValueError(f"family must be 'nb' or 'poisson', got {family!r}")
    return y.astype(np.int64), z.astype(np.int64), latents


def gibbs_loadings(
    y: np.ndarray,
    z: np.ndarray,
    latents: np.ndarray,
    r: float = 10.0,
    n_draws: int = 1000,
    burn_in: int = 100,
    seed: int = 0,
    family: str = "nb",
) -> np.ndarray:
    """Draws of ``(d_i, c_i)`` from the sampler's PG-Gibbs conditional with z and latents fixed, ``(S, N, p+1)``."""
    y, z, latents = _check(y, z, latents, family)
    rng = np.random.default_rng(seed)
    N, T = y.shape
    p = latents.shape[2] - 1
    cfg = _Config(
        p=p,
        family=family,
        prior=MFMPrior(),
        hmm=StickyHDPHMM(),
        r_fixed=r,
        constraint=None,
        keep_states_heuristic=False,
        init_clusters=1,
    )
    state = ChainState(
        z=z,
        lat=latents.copy(),
        d=np.zeros(N),
        C=np.zeros((N, p)),
        r=np.full(N, float(r)),
        xi=np.zeros(T, dtype=np.int64),
        beta=np.ones(1),
        trans=np.ones((1, 1)),
    )
    out = np.empty((n_draws, N, p + 1))
    for it in range(burn_in + n_draws):
        _update_loadings(y, state, cfg, rng)
        if it >= burn_in:
            out[it - burn_in, :, 0] = state.d
            out[it - burn_in, :, 1:] = state.C
    return out


def loadings_model(
    y: np.ndarray, z: np.ndarray, latents: np.ndarray, r: float = 10.0, family: str = "nb"
) -> Any:
    """The PyMC model of the loadings given a fixed partition and fixed latents (NB mean/dispersion ``alpha=r``)."""
    import pymc as pm

    y, z, latents = _check(y, z, latents, family)
    N, _T = y.shape
    p = latents.shape[2] - 1
    mu = latents[z, :, 0]
    X = latents[z, :, 1:]
    with pm.Model() as model:
        d = pm.Normal("d", 0.0, 1.0, shape=N)
        C = pm.Normal("C", 0.0, 1.0, shape=(N, p))
        eta = d[:, None] + mu + (C[:, None, :] * X).sum(-1)
        if family == "nb":
            pm.NegativeBinomial("y", mu=pm.math.exp(eta), alpha=float(r), observed=y)
        else:
            pm.Poisson("y", mu=pm.math.exp(eta), observed=y)
    return model


def refine_loadings_nuts(
    y: np.ndarray,
    z: np.ndarray,
    latents: np.ndarray,
    r: float = 10.0,
    family: str = "nb",
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    seed: int = 0,
) -> Any:
    """Fixed-structure NUTS refinement of the loadings with PyMC; returns ArviZ InferenceData (``pymc`` extra)."""
    try:
        import pymc as pm
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("refine_loadings_nuts needs PyMC: pip install 'bibcluster[pymc]'") from exc
    model = loadings_model(y, z, latents, r, family)
    with model:
        return pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=1,
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
        )
