"""Time one sweep of bibcluster against a reference-style sweep, back to back on the same machine.

The reference-style sweep re-implements (no code copied) the costly steps as the reference does them:
a Polya-Gamma draw, a covariance-form FFBS whose filter inverts the N x N innovation covariance at every time
step, and the label update's Laplace marginals as one GLM fit per (neuron, candidate cluster) pair, with
statsmodels (as the reference) when it is installed, else an unvectorised Newton loop.

Run: uv run --package bibcluster --with statsmodels python packages/bibcluster/benchmarks/bench_sweep.py
Timings on a shared 2-core machine are noisy: compare the two numbers from the same run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bibcluster.glm import loglik_counts
from bibcluster.pg import sample_pg
from bibcluster.reproduce import time_per_sweep
from bibcluster.simulate import simulate_biclustered


def naive_ffbs(yhat, Cmat, Rdiag, A, Q, rng):
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


def glm_fit(y, design, offset, r):
    try:
        import statsmodels.api as sm

        fam = sm.families.NegativeBinomial(alpha=1.0 / r)
        return sm.GLM(y, design, family=fam, offset=offset).fit().llf
    except ImportError:
        beta = np.zeros(design.shape[1])
        for _ in range(8):
            eta = offset + design @ beta
            lam = np.exp(eta)
            g = design.T @ (y - (y + r) * lam / (lam + r)) - beta
            H = (design * ((y + r) * lam * r / (lam + r) ** 2)[:, None]).T @ design + np.eye(len(beta))
            beta = beta + np.linalg.solve(H, g)
        return loglik_counts(y, offset + design @ beta, r).sum()


def reference_style_sweep(y, K, p, rng):
    N, T = y.shape
    D = K * (p + 1)
    z = np.repeat(np.arange(K), N // K)
    lat = rng.normal(size=(K + 1, T, p + 1)) * 0.3
    Cmat = np.zeros((N, D))
    for i in range(N):
        Cmat[i, z[i] * (p + 1) : (z[i] + 1) * (p + 1)] = np.r_[1.0, rng.normal(size=p)]
    t0 = time.perf_counter()
    eta = np.zeros((N, T))
    omega = sample_pg(y + 10.0, eta - np.log(10.0), rng)
    yhat = ((y - 10.0) / 2 / omega + np.log(10.0)).T
    naive_ffbs(yhat, Cmat, (1 / omega).T, 0.9 * np.eye(D), 0.01 * np.eye(D), rng)
    for i in range(N):
        for k in range(K + 1):
            glm_fit(y[i], np.column_stack([np.ones(T), lat[k, :, 1:]]), lat[k, :, 0], 10.0)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, default=30)
    ap.add_argument("--T", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    Y, _ = simulate_biclustered(n_per_cluster=args.N // 3, T=args.T, seed=0)
    rng = np.random.default_rng(0)
    ref = float(np.median([reference_style_sweep(Y.counts, 3, 2, rng) for _ in range(args.repeats)]))
    ours = time_per_sweep(N=args.N, T=args.T, n_sweeps=10)
    print(
        f"N={args.N} T={args.T}: reference-style sweep {ref:.3f} s, bibcluster sweep {ours:.4f} s, ratio {ref / ours:.1f}x"
    )


if __name__ == "__main__":
    main()
