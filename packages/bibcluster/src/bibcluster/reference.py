"""The speed claim's baselines at run time (not used by the sampler): the emulated reference-style sweep, and the
runner that times the reference's iteration on its own stack (``benchmarks/peer_sweep.py`` in the source tree).

Re-implements (no code copied) the steps of one iteration of the reference's simulation script the way it does
them, from its ``run_simulation_NB.py`` and ``cluster_functions.py``:

- a Polya-Gamma draw and a covariance-form FFBS whose filter inverts the N x N innovation covariance at every time
  step and whose backward pass draws each step with ``multivariate_normal``;
- the label update: per neuron, an auxiliary trajectory simulated step by step over 2T steps (the reference
  builds and runs a pyhsmm AR model for it in 9 of 10 iterations) and one GLM fit per (neuron, candidate cluster)
  with statsmodels (as the reference) when it is installed, else an unvectorised Newton loop;
- the loadings update per neuron with a dense ``T x T`` diagonal weight matrix and a ``multivariate_normal`` draw;
- the dispersion update per neuron by Chinese-restaurant table counts summed in a Python loop over bins.

Not emulated (so the time is a lower bound): pyhsmm's model construction and state resampling, the
identifiability projections with their deep copies, and the bookkeeping of the reference's loops.
``full=False`` times only the steps the spec listed (PG draw, naive FFBS, GLM fits).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from bibcluster.glm import loglik_counts
from bibcluster.pg import sample_pg

__all__ = ["default_peer_script", "naive_ffbs", "peer_sweep", "reference_style_sweep"]


def naive_ffbs(
    yhat: np.ndarray,
    Cmat: np.ndarray,
    Rdiag: np.ndarray,
    A: np.ndarray,
    Q: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Covariance-form FFBS with an N x N innovation covariance per step (as a direct transcription would do)."""
    T, _N = yhat.shape
    D = A.shape[0]
    mf, Pf = np.zeros((T, D)), np.zeros((T, D, D))
    m, P = np.zeros(D), np.eye(D)
    for t in range(T):
        if t:
            m, P = A @ mf[t - 1], A @ Pf[t - 1] @ A.T + Q
        S = Cmat @ P @ Cmat.T + np.diag(Rdiag[t])
        K = P @ Cmat.T @ np.linalg.inv(S)
        mf[t] = m + K @ (yhat[t] - Cmat @ m)
        Pf[t] = P - K @ Cmat @ P
    x = np.zeros((T, D))
    x[-1] = rng.multivariate_normal(mf[-1], Pf[-1])
    for t in range(T - 2, -1, -1):
        Pp = A @ Pf[t] @ A.T + Q
        G = Pf[t] @ A.T @ np.linalg.inv(Pp)
        cov = Pf[t] - G @ Pp @ G.T
        x[t] = rng.multivariate_normal(
            mf[t] + G @ (x[t + 1] - A @ mf[t]), 0.5 * (cov + cov.T) + 1e-9 * np.eye(D)
        )
    return x


def _glm_fit(y: np.ndarray, design: np.ndarray, offset: np.ndarray, r: float) -> float:
    try:
        import statsmodels.api as sm

        fam = sm.families.NegativeBinomial(alpha=1.0 / r)
        return float(sm.GLM(y, design, family=fam, offset=offset).fit().llf)
    except ImportError:
        beta = np.zeros(design.shape[1])
        for _ in range(8):
            eta = offset + design @ beta
            lam = np.exp(eta)
            g = design.T @ (y - (y + r) * lam / (lam + r)) - beta
            H = (design * ((y + r) * lam * r / (lam + r) ** 2)[:, None]).T @ design + np.eye(len(beta))
            beta = beta + np.linalg.solve(H, g)
        return float(loglik_counts(y, offset + design @ beta, r).sum())


def _stepwise_ar(P: int, n_steps: int, rng: np.random.Generator) -> np.ndarray:
    """An AR(1) path simulated one step at a time in Python (as pyhsmm's ``generate`` does)."""
    A = 0.95 * np.eye(P)
    chol = np.linalg.cholesky(1e-2 * np.eye(P))
    x = np.zeros((n_steps, P))
    for t in range(1, n_steps):
        x[t] = A @ x[t - 1] + chol @ rng.standard_normal(P)
    return x - x.mean(0)


def _crt_sum(y: np.ndarray, r: float, rng: np.random.Generator) -> int:
    total = 0
    probs = r / (r + np.arange(max(int(y.max()), 1)))
    for count in y.astype(int):
        if count > 0:
            total += int(np.sum(rng.random(count) <= probs[:count]))
    return total


def reference_style_sweep(
    y: np.ndarray, K: int, p: int, rng: np.random.Generator, full: bool = True
) -> float:
    """Wall time (s) of one reference-style sweep on counts ``y`` with K clusters of latent dimension p.

    ``full=False`` times only the PG draw, the naive FFBS and the GLM fits (the steps the spec listed).
    """
    N, T = y.shape
    D = K * (p + 1)
    P = p + 1
    z = np.repeat(np.arange(K), N // K)
    lat = rng.normal(size=(K + 1, T, P)) * 0.3
    Cmat = np.zeros((N, D))
    for i in range(N):
        Cmat[i, z[i] * P : (z[i] + 1) * P] = np.r_[1.0, rng.normal(size=p)]
    _glm_fit(
        y[0], np.column_stack([np.ones(T), lat[0, :, 1:]]), lat[0, :, 0], 10.0
    )  # imports outside the clock
    t0 = time.perf_counter()
    eta = np.zeros((N, T))
    omega = sample_pg(y + 10.0, eta - np.log(10.0), rng)
    yhat = ((y - 10.0) / 2 / omega + np.log(10.0)).T
    naive_ffbs(yhat, Cmat, (1 / omega).T, 0.9 * np.eye(D), 0.01 * np.eye(D), rng)
    for i in range(N):
        if full:
            lat[K] = _stepwise_ar(P, 2 * T, rng)[T:]
        for k in range(K + 1):
            _glm_fit(y[i], np.column_stack([np.ones(T), lat[k, :, 1:]]), lat[k, :, 0], 10.0)
    if full:
        for i in range(N):
            X = np.column_stack([np.ones(T), lat[z[i], :, 1:]])
            w = sample_pg(y[i] + 10.0, np.zeros(T), rng)
            W = np.diag(w)
            prec = X.T @ W @ X + np.eye(P)
            cov = np.linalg.inv(prec)
            mean = cov @ (X.T @ ((y[i] - 10.0) / 2.0))
            rng.multivariate_normal(mean, cov)
        for i in range(N):
            _crt_sum(y[i], 10.0, rng)
    return time.perf_counter() - t0


def default_peer_script() -> Path:
    """Where the source tree keeps ``peer_sweep.py`` (``benchmarks/`` next to ``src/``; absent in an installed wheel,
    like the peer environment that ``benchmarks/setup_peer_env.sh`` builds)."""
    return Path(__file__).resolve().parents[2] / "benchmarks" / "peer_sweep.py"


def peer_sweep(
    counts: np.ndarray, z: np.ndarray, python: str | Path, iters: int = 10, script: str | Path | None = None
) -> dict:
    """Time the reference's iteration on its real dependency stack (``benchmarks/peer_sweep.py``).

    Parameters
    ----------
    counts, z : numpy.ndarray
        Counts ``(N, T)`` and the true neuron labels (the timed chain keeps them).
    python : str or Path
        The Python of an environment with pyhsmm, autoregressive, statsmodels and polyagamma, e.g. one built by
        ``benchmarks/setup_peer_env.sh`` in the source tree.
    iters : int
        Timed iterations (10 covers one cycle of the reference's auxiliary-trajectory schedule).
    script : str or Path, optional
        The peer script; default :func:`default_peer_script` (the source tree's ``benchmarks/peer_sweep.py``).

    Returns
    -------
    dict
        ``median_s`` (seconds per iteration), ``min_s``, ``mean_s``, ``parts_mean_s`` (per step) and the peer's
        package ``versions``.
    """
    exe = Path(python)
    if not exe.is_file():
        raise ValueError(f"python must be the path of a Python executable, got {str(python)!r}")
    if not isinstance(iters, (int, np.integer)) or isinstance(iters, bool) or iters < 1:
        raise ValueError(f"iters must be a positive integer, got {iters!r}")
    path_script = Path(script) if script is not None else default_peer_script()
    if not path_script.is_file():
        raise ValueError(
            f"script must be the path of benchmarks/peer_sweep.py from the bibcluster source tree, got "
            f"{str(path_script)!r}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "counts.npz"
        np.savez(path, counts=np.asarray(counts), z=np.asarray(z))
        done = subprocess.run(
            [str(exe), str(path_script), str(path), "--iters", str(int(iters))],
            check=False,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise RuntimeError(f"the peer sweep failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    return result
