"""Time one iteration of the reference's NB simulation loop on the real peer stack (pyhsmm + autoregressive).

This script does not import bibcluster: it runs in a separate environment that holds the reference's dependencies
(pyhsmm 0.1.7, autoregressive 0.1.1, pybasicbayes, statsmodels, polyagamma, scipy; built by the package's
``setup_peer_env.sh`` in this folder), started by ``bibcluster.reference.peer_sweep`` (from ``bench_sweep.py`` or
``BIBCLUSTER_PEER_PYTHON=... bibcluster reproduce``). It re-implements (no code copied) the sequence of operations of one
iteration of the reference's ``run_simulation_NB.py`` as read from its source, using the same libraries for the same steps:

1. select the active clusters' latents and the dynamics blocks (``np.ix_`` over 10 states), build the block loading
   matrix neuron by neuron;
2. one Polya-Gamma draw for all counts, then a covariance-form FFBS over the stacked latents with an N x N
   innovation inverse per step and a ``multivariate_normal`` draw per step backwards;
3. a fresh ``ARWeakLimitStickyHDPHMM`` with 10 affine ``AutoRegression`` observation distributions, ``add_data``
   and one ``resample_model()``, then the dynamics copied back state by state;
4. the loadings: per neuron a Polya-Gamma draw, a dense T x T weight matrix, an inverse and a
   ``multivariate_normal`` draw;
5. the dispersions: per neuron Chinese-restaurant table counts summed in a Python loop over bins, then a gamma draw;
6. the two identifiability projections with their deep copies, 45 x 45 dynamics blocks (t_max (p + 1)) per state;
7. the label update: per neuron an auxiliary trajectory (in 9 of 10 iterations a fresh pyhsmm ``ARHSMM`` that
   generates 2T steps; otherwise a random spline), a statsmodels negative-binomial GLM per candidate cluster with
   the Laplace terms (``llf``, normal log prior of the coefficients, log-determinant of ``cov_params``), and the
   categorical draw in pure Python;
8. relabelling by the Hungarian algorithm with per-state deep copies.

The numbers it prints are wall times per iteration (median over iterations, all 10 phases of the auxiliary
trajectory cycle), with a per-step breakdown, as one JSON line.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
import warnings
from collections import defaultdict

import numpy as np

warnings.filterwarnings("ignore")


def _imports():
    import autoregressive.distributions as ard
    import autoregressive.models as arm
    import pyhsmm
    import statsmodels.api as sm
    from polyagamma import random_polyagamma
    from scipy.interpolate import splev, splrep
    from scipy.optimize import linear_sum_assignment
    from scipy.stats import norm

    return arm, ard, pyhsmm, sm, random_polyagamma, splev, splrep, linear_sum_assignment, norm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("counts", help=".npz with an int array 'counts' (N x T) and 'z' (true neuron labels)")
    ap.add_argument("--iters", type=int, default=10, help="timed iterations (default 10: one full cycle)")
    ap.add_argument("--p", type=int, default=2)
    args = ap.parse_args()
    arm, ard, pyhsmm, sm, rpg, splev, splrep, lsa, norm = _imports()

    data = np.load(args.counts)
    y = data["counts"].astype(float)
    z = data["z"].astype(int)
    N, T = y.shape
    p = args.p
    P = p + 1
    t_max = N // 2
    L = 10
    rng = np.random  # the reference draws from numpy's global stream
    rng.seed(0)
    K = int(z.max()) + 1

    # chain state at a steady point: true clusters, smooth latents, a two-state path
    mu_x = [np.zeros((P, T)) for _ in range(t_max)]
    for k in range(K):
        mu_x[k] = np.cumsum(rng.normal(size=(P, T)) * 0.05, axis=1)
        mu_x[k] -= mu_x[k].mean(1, keepdims=True)
    dyn = {
        "As": np.tile(np.eye(t_max * P), (L, 1, 1)),
        "bs": np.zeros((L, t_max * P)),
        "Qs": np.tile(1e-2 * np.eye(t_max * P), (L, 1, 1)),
        "states": (np.arange(T) // 50 % 2).astype(int),
    }
    delt = rng.normal(size=N) * 0.5
    C = rng.normal(size=(N, p)) * 0.5
    r = np.full(N, 10.0)
    Z = z.copy()
    numclus = np.zeros(t_max + 3, dtype=int)
    numclus[:K] = np.bincount(Z, minlength=K)
    act = np.full(t_max + 3, -99)
    act[:K] = np.arange(K)
    t_act = K
    log_v = np.log(np.arange(1, t_max + 3, dtype=float)[::-1])  # values do not matter for timing
    log_nb = np.log(np.arange(1, N + 1) + 1.0)

    def sample_spline() -> np.ndarray:
        out = np.full((P, T), np.inf)
        for j in range(P):
            while np.sum(np.abs(out[j]) > 2) > 1:
                k = int(np.ceil(rng.uniform() * 25)) + 10
                f = splrep(np.linspace(0, 1, k), rng.uniform(-0.2, 0.2, size=k))
                out[j] = splev(np.linspace(0, 1, T), f)
                out[j] -= out[j].mean()
        return out

    def sample_ar_hsmm() -> np.ndarray:
        model = arm.ARHSMM(
            alpha=5.0,
            init_state_concentration=5.0,
            obs_distns=[ard.AutoRegression(A=0.95 * np.eye(P), sigma=1e-2 * np.eye(P))],
            dur_distns=[pyhsmm.basic.distributions.PoissonDuration(alpha_0=100, beta_0=2)],
        )
        xs, _ = model.generate(2 * T, keep=True)
        out = xs[T + 1 :].T
        return out - out.mean(1, keepdims=True)

    def ffbs(yh, Cm, var, states, As, bs, Qs, m0, V0) -> np.ndarray:
        k = Cm.shape[1]
        m = np.zeros((k, T))
        V = np.zeros((T, k, k))
        for t in range(T):
            A, b, Q = As[states[t]], bs[states[t]], Qs[states[t]]
            if t == 0:
                mp, Vp = A @ m0 + b[:, None], A @ V0 @ A.T + Q
            else:
                mp, Vp = A @ m[:, t - 1 : t] + b[:, None], A @ V[t - 1] @ A.T + Q
            ok = ~np.isnan(yh[:, t])
            X = Cm[ok]
            S = np.diag(var[ok, t])
            Kt = Vp @ X.T @ np.linalg.inv(X @ Vp @ X.T + S)
            m[:, t] = (mp + Kt @ (yh[ok, t][:, None] - X @ mp)).ravel()
            V[t] = (np.eye(k) - Kt @ X) @ Vp
            V[t] = 0.5 * (V[t] + V[t].T)
        out = np.zeros((k, T))
        out[:, -1] = rng.multivariate_normal(m[:, -1], V[-1])
        for t in range(T - 2, -1, -1):
            A, b, Q = As[states[t]], bs[states[t]], Qs[states[t]]
            J = V[t] @ A.T @ np.linalg.inv(A @ V[t] @ A.T + Q)
            ms = m[:, t : t + 1] + J @ (out[:, t + 1 : t + 2] - A @ m[:, t : t + 1] - b[:, None])
            Vs = (np.eye(k) - J @ A) @ V[t]
            out[:, t] = rng.multivariate_normal(ms.ravel(), 0.5 * (Vs + Vs.T))
        return out

    def project(mx, Cl, dl, dy, Zl, ref):
        mx, Cl, dl, dy = copy.deepcopy(mx), copy.deepcopy(Cl), copy.deepcopy(dl), copy.deepcopy(dy)
        D = dy["As"].shape[1]
        shift, rot = np.zeros((D, 1)), np.eye(D)
        for c in np.unique(Zl):
            idx = Zl == c
            bar = mx[c].mean(1, keepdims=True)
            mx[c] = mx[c] - bar
            dl[idx] = dl[idx] + (np.column_stack([np.ones(idx.sum()), Cl[idx]]) @ bar).ravel()
            shift[c * P : (c + 1) * P] = bar
            U, s, Vh = np.linalg.svd(mx[c][1:].T, full_matrices=False)
            US = U * s
            used: set[int] = set()
            order = []
            for row in range(p):  # match each row of the previous latents to a signed column
                err = [
                    np.mean((ref[c][1 + row] - sg * US[:, col]) ** 2) if col not in used else np.inf
                    for col in range(p)
                    for sg in (1.0, -1.0)
                ]
                best = int(np.argmin(err))
                order.append((best // 2, 1.0 - 2.0 * (best % 2)))
                used.add(best // 2)
            M = np.array([sg * Vh[col] for col, sg in order])
            mx[c][1:] = M @ mx[c][1:]
            rot[c * P + 1 : (c + 1) * P, c * P + 1 : (c + 1) * P] = M
            Cl[idx] = Cl[idx] @ np.linalg.inv(M)
        for s_ in range(L):
            dy["bs"][s_] = ((dy["As"][s_] - np.eye(D)) @ shift).ravel() + dy["bs"][s_]
            dy["As"][s_] = rot @ dy["As"][s_] @ np.linalg.inv(rot)
            dy["bs"][s_] = rot @ dy["bs"][s_]
            dy["Qs"][s_] = rot @ dy["Qs"][s_] @ rot.T
        return mx, Cl, dl, dy

    def ortho(mx, Cl, dy, Zl):
        mx, Cl, dy = copy.deepcopy(mx), copy.deepcopy(Cl), copy.deepcopy(dy)
        D = dy["As"].shape[1]
        rot = np.eye(D)
        for c in np.unique(Zl):
            U, s, Vh = np.linalg.svd(mx[c][1:].T, full_matrices=False)
            M = np.diag(1 / s) @ Vh
            mx[c][1:] = U.T
            rot[c * P + 1 : (c + 1) * P, c * P + 1 : (c + 1) * P] = M
            Cl[Zl == c] = Cl[Zl == c] @ np.linalg.inv(M)
        for s_ in range(L):
            dy["As"][s_] = rot @ dy["As"][s_] @ np.linalg.inv(rot)
            dy["bs"][s_] = rot @ dy["bs"][s_]
            dy["Qs"][s_] = rot @ dy["Qs"][s_] @ rot.T
        return mx, Cl, dy

    def laplace_marginal(yi, ri, X, off) -> float:
        res = sm.GLM(yi, X, family=sm.families.NegativeBinomial(alpha=1.0 / ri), offset=off).fit()
        return float(
            res.llf + np.sum(norm.logpdf(res.params)) + 0.5 * np.log(np.linalg.det(res.cov_params()))
        )

    def pick(logp: np.ndarray) -> int:  # categorical draw in pure Python, as the reference
        m = max(logp)
        w = [float(np.exp(v - m)) for v in logp]
        u = rng.uniform() * sum(w)
        j, acc = 0, w[0]
        while u > acc:
            j += 1
            acc += w[j]
        return j

    mu_ref = copy.deepcopy(mu_x)
    z_ref = Z.copy()
    times: list[float] = []
    parts: dict[str, list[float]] = defaultdict(list)
    for it in range(args.iters + 2):
        tick = time.perf_counter()
        marks = {}
        # 1a. selection
        labs = sorted(set(Z.tolist()))
        nl = len(labs)
        pos = {c: i for i, c in enumerate(labs)}
        sel = np.concatenate([np.arange(c * P, (c + 1) * P) for c in labs])
        mu_sel = np.vstack([mu_x[c] for c in labs])
        As_s = np.stack([dyn["As"][s][np.ix_(sel, sel)] for s in range(L)])
        bs_s = np.stack([dyn["bs"][s][sel] for s in range(L)])
        Qs_s = np.stack([dyn["Qs"][s][np.ix_(sel, sel)] for s in range(L)])
        Ct = np.zeros((N, nl * P))
        for i in range(N):
            Ct[i, pos[Z[i]] * P : (pos[Z[i]] + 1) * P] = np.r_[1.0, C[i]]
        # 1b. PG + FFBS
        omega = rpg(r[:, None] + y, delt[:, None] + Ct @ mu_sel - np.log(r)[:, None])
        kap = (y - r[:, None]) / 2 + omega * (np.log(r)[:, None] - delt[:, None])
        mu_new = ffbs(
            kap / omega,
            Ct,
            1 / omega,
            dyn["states"],
            As_s,
            bs_s,
            Qs_s,
            np.zeros((nl * P, 1)),
            np.eye(nl * P),
        )
        marks["pg+ffbs"] = time.perf_counter()
        # 1c. states and dynamics with pyhsmm
        D = nl * P
        M0 = np.hstack([np.eye(D), np.zeros((D, 1))])
        obs = [
            ard.AutoRegression(nu_0=D + 2, S_0=1e-2 * np.eye(D), M_0=M0, K_0=np.eye(D + 1), affine=True)
            for _ in range(L)
        ]
        model = arm.ARWeakLimitStickyHDPHMM(
            alpha=5.0, gamma=5.0, kappa=10.0, init_state_distn="uniform", obs_distns=obs
        )
        model.add_data(mu_new.T)
        model.states_list[0].stateseq = dyn["states"][:-1].astype(np.int32).copy()
        model.resample_model()
        dyn["states"][:-1] = model.states_list[0].stateseq
        dyn["states"][-1] = dyn["states"][-2]
        for c in labs:
            mu_x[c] = mu_new[pos[c] * P : (pos[c] + 1) * P]
        for s_, o in enumerate(model.obs_distns):
            dyn["bs"][s_, sel] = o.A[:, -1]
            dyn["As"][s_][np.ix_(sel, sel)] = o.A[:, :-1]
            dyn["Qs"][s_][np.ix_(sel, sel)] = o.sigma
        marks["hdp-hmm"] = time.perf_counter()
        # 2. loadings
        delt_b, C_b = copy.deepcopy(delt), copy.deepcopy(C)
        for i in range(N):
            off = mu_x[Z[i]][0]
            X = np.column_stack([np.ones(T), mu_x[Z[i]][1:].T])
            w = rpg(y[i] + r[i], off + X @ np.r_[delt_b[i], C_b[i]] - np.log(r[i]))
            kp = (y[i] - r[i]) / 2 + w * (np.log(r[i]) - off)
            Om = np.diag(w)
            Vi = X.T @ Om @ X + np.linalg.inv(np.eye(P))
            V = np.linalg.inv(Vi)
            mean = V @ (X.T @ kp[:, None])
            draw = rng.multivariate_normal(mean.ravel(), V)
            delt_b[i], C_b[i] = draw[0], draw[1:]
        delt, C = delt_b, C_b
        marks["loadings"] = time.perf_counter()
        # 3. dispersions
        for i in range(N):
            Ct[i, pos[Z[i]] * P : (pos[Z[i]] + 1) * P] = np.r_[1.0, C[i]]
        mu_r = np.exp(delt[:, None] + Ct @ mu_new)
        r_new = np.ones(N)
        for i in range(N):
            yi = y[i].astype(int)
            probs = r[i] / (r[i] + np.arange(max(int(yi.max()), 1)))
            tot = 0
            for t in range(T):
                if yi[t] > 0:
                    tot += int(np.sum(rng.uniform(size=yi[t]) <= probs[: yi[t]]))
            r_new[i] = rng.gamma(1 + tot, 1 / (1 - np.sum(np.log(r[i] / (r[i] + mu_r[i])))))
        r = np.clip(r_new, 1.0, 100.0)  # keep the timing chain in a sane range
        marks["dispersion"] = time.perf_counter()
        # 4. projections
        mu_x, C, delt, dyn = project(mu_x, C, delt, dyn, Z, mu_ref)
        mu_t, _C_t, dyn_t = ortho(mu_x, C, dyn, Z)
        marks["projection"] = time.perf_counter()
        # 5. labels
        Zb, ncb, tb, actb = Z.copy(), copy.deepcopy(numclus), t_act, copy.deepcopy(act)
        mub, _dynb = copy.deepcopy(mu_t), copy.deepcopy(dyn_t)
        spline = it % 10 == 1
        c_next = int(np.setdiff1d(np.arange(t_max), actb[:tb])[0])
        for i in range(N):
            c = Zb[i]
            ncb[c] -= 1
            c_prop = c_next
            mub[c_prop] = sample_spline() if spline else sample_ar_hsmm()
            logp = np.zeros(tb + 1)
            for j in range(tb):
                cc = actb[j]
                try:
                    lm = laplace_marginal(y[i], r[i], mub[cc][1:].T, mub[cc][0] + delt[i])
                except Exception:
                    lm = -np.inf
                logp[j] = log_nb[max(ncb[cc] - 1, 0)] + lm
            try:
                lm = laplace_marginal(y[i], r[i], mub[c_prop][1:].T, mub[c_prop][0] + delt[i])
            except Exception:
                lm = -np.inf
            logp[tb] = log_v[tb] - log_v[tb - 1] + lm
            pick(logp)
            ncb[c] += 1  # keep the true clusters so every iteration has the same shape
        marks["labels"] = time.perf_counter()
        # 6. relabel
        kmax = int(max(z_ref.max(), Z.max())) + 1
        cost = np.zeros((kmax, kmax))
        for a in range(kmax):
            so = z_ref[a == Z]
            for b in range(kmax):
                cost[a, b] = len(so) - np.sum(so == b)
        lsa(cost)
        out_mu = copy.deepcopy(mu_x)
        for c in np.unique(Z):
            for s_ in range(L):
                idx = np.arange(c * P, (c + 1) * P)
                _ = copy.deepcopy(dyn["bs"][s_, idx]), copy.deepcopy(dyn["As"][s_][np.ix_(idx, idx)])
                _ = copy.deepcopy(dyn["Qs"][s_][np.ix_(idx, idx)])
            out_mu[c] = copy.deepcopy(mu_x[c])
        end = time.perf_counter()
        marks["relabel"] = end
        if it >= 2:
            times.append(end - tick)
            prev = tick
            for key, val in marks.items():
                parts[key].append(val - prev)
                prev = val
    import importlib.metadata as md

    print(
        json.dumps(
            {
                "versions": {
                    name: md.version(name)
                    for name in (
                        "pyhsmm",
                        "autoregressive",
                        "pybasicbayes",
                        "statsmodels",
                        "polyagamma",
                        "numpy",
                    )
                },
                "median_s": float(np.median(times)),
                "min_s": float(np.min(times)),
                "times_s": [float(t) for t in times],
                "mean_s": float(np.mean(times)),
                "parts_mean_s": {k: float(np.mean(v)) for k, v in parts.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
