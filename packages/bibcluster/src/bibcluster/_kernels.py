"""Compiled inner loops of the sweep (numba, ``cache=True``).

Each kernel has a plain numpy counterpart that states the same computation and is used by the tests as the
independent check: :func:`bibcluster.ffbs.ffbs_reference` for :func:`ffbs_kernel`,
:func:`bibcluster.statemoves.mniw_log_evidence` for :func:`mniw_evidence_flat`, and a direct enumeration for
:func:`sample_states_kernel`. Random numbers are drawn by the caller's ``numpy.random.Generator`` and passed in,
so results do not depend on numba's own generator.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["allocate_kernel", "ffbs_kernel", "mniw_evidence_flat", "sample_states_kernel"]

_LOG_PI = math.log(math.pi)


@njit(cache=True)
def _cholesky_into(M: np.ndarray, Lm: np.ndarray) -> bool:
    """Lower Cholesky factor of a small symmetric matrix into ``Lm``; False if a pivot is not positive."""
    n = M.shape[0]
    for i in range(n):
        for j in range(i + 1):
            s = M[i, j]
            for k in range(j):
                s -= Lm[i, k] * Lm[j, k]
            if i == j:
                if not s > 0.0:
                    return False
                Lm[i, i] = math.sqrt(s)
            else:
                Lm[i, j] = s / Lm[j, j]
        for j in range(i + 1, n):
            Lm[i, j] = 0.0
    return True


@njit(cache=True)
def _cholesky(M: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of a small symmetric positive-definite matrix (raises otherwise)."""
    Lm = np.empty_like(M)
    if not _cholesky_into(M, Lm):
        raise np.linalg.LinAlgError("matrix is not positive definite")
    return Lm


@njit(cache=True)
def _chol_logdet(M: np.ndarray) -> float:
    """log det of a symmetric positive-definite matrix through its Cholesky factor (nan if not positive)."""
    Lm = np.empty_like(M)
    if not _cholesky_into(M, Lm):
        return np.nan
    out = 0.0
    for i in range(M.shape[0]):
        out += 2.0 * math.log(Lm[i, i])
    return out


@njit(cache=True)
def _evidence_one(flat: np.ndarray, D: int, s0_scale: float) -> float:
    """MNIW evidence of one set of flat statistics (see ``statemoves._Pairs``); 0 when there are no pairs."""
    n = flat[flat.shape[0] - 1]
    if n <= 0.0:
        return 0.0
    W = 2 * D + 1
    P = D + 1
    # Kn = I + ZZ ; Syx = [I | 0] + YZ ; Syy = I + YY ; Sn = s0 I + Syy - Syx Kn^-1 Syx'
    Kn = np.empty((P, P))
    for i in range(P):
        for j in range(P):
            Kn[i, j] = flat[i * W + j] + (1.0 if i == j else 0.0)
    Syx = np.empty((D, P))
    for i in range(D):
        for j in range(P):
            Syx[i, j] = flat[(P + i) * W + j] + (1.0 if i == j else 0.0)
    # Cholesky of Kn (= I + ZZ, positive definite), then V = Lk^-1 Syx' so that Syx Kn^-1 Syx' = V'V
    Lk = _cholesky(Kn)
    logdet_k = 0.0
    for i in range(P):
        logdet_k += 2.0 * math.log(Lk[i, i])
    V = np.empty((P, D))
    for c in range(D):
        for i in range(P):
            s = Syx[c, i]
            for k in range(i):
                s -= Lk[i, k] * V[k, c]
            V[i, c] = s / Lk[i, i]
    Sn = np.empty((D, D))
    for i in range(D):
        for j in range(i + 1):
            s = flat[(P + i) * W + P + j] + (1.0 + s0_scale if i == j else 0.0)
            for k in range(P):
                s -= V[k, i] * V[k, j]
            Sn[i, j] = s
            Sn[j, i] = s
    logdet_s = _chol_logdet(Sn)
    nu0 = D + 2.0
    nun = nu0 + n
    lgam = 0.0
    for j in range(1, D + 1):
        half = 0.5 * (1.0 - j)
        lgam += math.lgamma(nun / 2.0 + half) - math.lgamma(nu0 / 2.0 + half)
    return (
        -0.5 * n * D * _LOG_PI
        - 0.5 * D * logdet_k
        + 0.5 * nu0 * D * math.log(s0_scale)
        - 0.5 * nun * logdet_s
        + lgam
    )


@njit(cache=True)
def mniw_evidence_flat(flat: np.ndarray, D: int, s0_scale: float) -> np.ndarray:
    """MNIW log evidence of each row of flat statistics ``(B, (2D+1)^2 + 1)``; 0 for rows without pairs."""
    out = np.zeros(flat.shape[0])
    for b in range(flat.shape[0]):
        out[b] = _evidence_one(flat[b], D, s0_scale)
    return out


@njit(cache=True)
def allocate_kernel(
    cum: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    order: np.ndarray,
    D: int,
    s0_scale: float,
    u: np.ndarray,
    assign: np.ndarray,
    replay: bool,
) -> tuple[np.ndarray, float]:
    """Sequential allocation of pieces ``[starts[k], ends[k])`` to two groups in the given order.

    Each piece joins group 1 with probability proportional to its evidence gain (``u[k] < p_1``), or, with
    ``replay``, the group in ``assign``; returns the allocation and its log probability.
    """
    F = cum.shape[1]
    stats = np.zeros((2, F))
    cand = np.empty(F)
    ev = np.zeros(2)
    new_ev = np.zeros(2)
    out = np.zeros(len(starts), dtype=np.int64)
    logp = 0.0
    for k in order:
        a, b = starts[k], ends[k]
        for g in range(2):
            for f in range(F):
                cand[f] = stats[g, f] + cum[b, f] - cum[a, f]
            new_ev[g] = _evidence_one(cand, D, s0_scale)
        g0 = new_ev[0] - ev[0]
        g1 = new_ev[1] - ev[1]
        m = max(g0, g1)
        p1 = math.exp(g1 - m) / (math.exp(g0 - m) + math.exp(g1 - m))
        j = assign[k] if replay else (1 if u[k] < p1 else 0)
        pj = p1 if j == 1 else 1.0 - p1
        logp += math.log(max(pj, 1e-300))
        out[k] = j
        for f in range(F):
            stats[j, f] += cum[b, f] - cum[a, f]
        ev[j] = new_ev[j]
    return out, logp


@njit(cache=True)
def _inverse_from_cholesky(Lm: np.ndarray) -> np.ndarray:
    """``(L L')^-1 = L^-T L^-1`` from the lower factor L (symmetric result)."""
    n = Lm.shape[0]
    Li = np.zeros((n, n))  # L^-1, lower triangular
    for j in range(n):
        Li[j, j] = 1.0 / Lm[j, j]
        for i in range(j + 1, n):
            s = 0.0
            for k in range(j, i):
                s -= Lm[i, k] * Li[k, j]
            Li[i, j] = s / Lm[i, i]
    out = np.empty((n, n))
    for i in range(n):
        for j in range(i + 1):
            s = 0.0
            for k in range(i, n):
                s += Li[k, i] * Li[k, j]
            out[i, j] = s
            out[j, i] = s
    return out


@njit(cache=True)
def _solve_upper_transposed(Lm: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Solve ``L' x = z`` for a lower-triangular L (so ``x ~ N(0, (L L')^-1)`` when ``z ~ N(0, I)``)."""
    n = Lm.shape[0]
    x = np.empty(n)
    for i in range(n - 1, -1, -1):
        s = z[i]
        for k in range(i + 1, n):
            s -= Lm[k, i] * x[k]
        x[i] = s / Lm[i, i]
    return x


@njit(cache=True)
def ffbs_kernel(
    J: np.ndarray,
    h: np.ndarray,
    A: np.ndarray,
    b: np.ndarray,
    Qinv: np.ndarray,
    idx: np.ndarray,
    lam0: np.ndarray,
    eta0: np.ndarray,
    z: np.ndarray,
) -> np.ndarray:
    """Information-form FFBS (see :mod:`bibcluster.ffbs`) with the transition into step t given by ``idx[t]``.

    ``A (S, D, D)``, ``b (S, D)``, ``Qinv (S, D, D)`` hold S parameter sets (one per state); ``idx (T,)`` picks
    the set of the transition into each step (entry 0 unused). ``lam0, eta0``: prior information of ``X_0``;
    ``z (T, D)``: standard normal draws. The backward draw of ``X_t | X_{t+1}`` uses the noise ``L_t^-T z_t``
    with ``L_t`` the Cholesky factor of its precision ``lam_f[t] + A'Q^-1 A``.
    """
    T, D = h.shape
    S = A.shape[0]
    AtQ = np.empty((S, D, D))
    AtQA = np.empty((S, D, D))
    for s in range(S):
        AtQ[s] = A[s].T @ Qinv[s]
        AtQA[s] = AtQ[s] @ A[s]
    eta_f = np.empty((T, D))
    cov_b = np.empty((T, D, D))
    chol_b = np.empty((T, D, D))
    lam_p = lam0.copy()
    eta_p = eta0.copy()
    lam = np.empty((D, D))
    eta = np.empty(D)
    G = np.empty((D, D))
    tmp = np.empty((D, D))
    for t in range(T):
        for i in range(D):
            eta[i] = eta_p[i] + h[t, i]
            for j in range(D):
                lam[i, j] = lam_p[i, j] + J[t, i, j]
        eta_f[t] = eta
        if t + 1 == T:
            break
        s = idx[t + 1]
        M = lam + AtQA[s]
        M = 0.5 * (M + M.T)
        Lm = _cholesky(M)
        om = _inverse_from_cholesky(Lm)
        cov_b[t] = om
        chol_b[t] = Lm
        # G = om AtQ ; lam_p = Qinv - AtQ' G ; eta_p = G' eta + lam_p b
        for i in range(D):
            for j in range(D):
                acc = 0.0
                for k in range(D):
                    acc += om[i, k] * AtQ[s, k, j]
                G[i, j] = acc
        for i in range(D):
            for j in range(D):
                acc = 0.0
                for k in range(D):
                    acc += AtQ[s, k, i] * G[k, j]
                tmp[i, j] = Qinv[s, i, j] - acc
        for i in range(D):
            for j in range(D):
                lam_p[i, j] = 0.5 * (tmp[i, j] + tmp[j, i])
        for i in range(D):
            acc = 0.0
            for k in range(D):
                acc += G[k, i] * eta[k] + lam_p[i, k] * b[s, k]
            eta_p[i] = acc
    x = np.empty((T, D))
    lamT = np.empty((D, D))
    for i in range(D):
        for j in range(D):
            lamT[i, j] = 0.5 * (lam[i, j] + lam[j, i])
    Lc = _cholesky(lamT)
    cov = _inverse_from_cholesky(Lc)
    mean = cov @ eta_f[T - 1]
    x[T - 1] = mean + _solve_upper_transposed(Lc, z[T - 1])
    v = np.empty(D)
    for t in range(T - 2, -1, -1):
        s = idx[t + 1]
        for i in range(D):
            v[i] = x[t + 1, i] - b[s, i]
        rhs = eta_f[t] + AtQ[s] @ v
        x[t] = cov_b[t] @ rhs + _solve_upper_transposed(chol_b[t], z[t])
    return x


@njit(cache=True)
def sample_states_kernel(
    loglik: np.ndarray, trans: np.ndarray, init: np.ndarray, u: np.ndarray
) -> np.ndarray:
    """Forward filtering, backward sampling of a discrete path with uniforms ``u (T,)`` (inverse-CDF draws)."""
    T, L = loglik.shape
    alpha = np.empty((T, L))
    a = np.empty(L)
    for t in range(T):
        m = loglik[t, 0]
        for k in range(1, L):
            m = max(m, loglik[t, k])
        tot = 0.0
        for k in range(L):
            if t == 0:
                prior = max(init[k], 1e-300)
            else:
                prior = 0.0
                for j in range(L):
                    prior += alpha[t - 1, j] * trans[j, k]
            a[k] = prior * math.exp(loglik[t, k] - m)
            tot += a[k]
        for k in range(L):
            alpha[t, k] = a[k] / tot
    states = np.empty(T, dtype=np.int64)
    p = np.empty(L)
    for t in range(T - 1, -1, -1):
        tot = 0.0
        for k in range(L):
            p[k] = alpha[t, k] if t == T - 1 else alpha[t, k] * trans[k, states[t + 1]]
            tot += p[k]
        target = u[t] * tot
        acc = 0.0
        choice = L - 1
        for k in range(L):
            acc += p[k]
            if target < acc:
                choice = k
                break
        states[t] = choice
    return states


@njit(cache=True)
def _solve_small(H: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, float]:
    """Solve ``H x = g`` for a small symmetric positive-definite H by Cholesky; also return log det H."""
    Lm = _cholesky(H)
    P = H.shape[0]
    logdet = 0.0
    v = np.empty(P)
    for i in range(P):
        logdet += 2.0 * math.log(Lm[i, i])
        s = g[i]
        for k in range(i):
            s -= Lm[i, k] * v[k]
        v[i] = s / Lm[i, i]
    return _solve_upper_transposed(Lm, v), logdet


@njit(cache=True, fastmath=True)
def _glm_eval(
    yi: np.ndarray,
    off: np.ndarray,
    Gt: np.ndarray,
    ri: float,
    poisson: bool,
    beta: np.ndarray,
    grad: np.ndarray,
    H: np.ndarray,
    g: np.ndarray,
    w: np.ndarray,
    with_llf: bool,
) -> float:
    """Gradient and negative Hessian of the log posterior at beta (design ``Gt (P, T)``, transposed), and
    (``with_llf``) the log-likelihood without the terms that depend on the counts only: NB
    ``r log r + y eta - (y + r) log(r + lambda)``, Poisson ``y eta - lambda``. ``g, w (T,)`` are scratch space."""
    P, T = Gt.shape
    llf = 0.0
    for t in range(T):
        eta = off[t]
        for a in range(P):
            eta += Gt[a, t] * beta[a]
        yt = yi[t]
        lam = math.exp(min(eta, 700.0))
        if poisson:
            g[t] = yt - lam
            w[t] = lam
            if with_llf:
                llf += yt * eta - lam
        else:
            inv = 1.0 / (ri + lam)
            g[t] = yt - (yt + ri) * lam * inv
            w[t] = (yt + ri) * lam * ri * inv * inv
            if with_llf:
                llf += yt * eta - (yt + ri) * math.log(ri + lam)
    for a in range(P):
        acc = 0.0
        for t in range(T):
            acc += g[t] * Gt[a, t]
        grad[a] = acc - beta[a]
        for c in range(a + 1):
            acc = 0.0
            for t in range(T):
                acc += w[t] * Gt[a, t] * Gt[c, t]
            H[a, c] = acc + (1.0 if a == c else 0.0)
            H[c, a] = H[a, c]
    if with_llf and not poisson:
        llf += T * ri * math.log(ri)
    return llf


@njit(cache=True)
def laplace_kernel(
    y: np.ndarray,
    offset: np.ndarray,
    G: np.ndarray,
    r: np.ndarray,
    poisson: bool,
    beta0: np.ndarray,
    n_newton: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Laplace log marginal (without the count-only constants) of every neuron under every cluster.

    Damped Newton steps (at most ``n_newton``; a step is scaled to length <= 2; stop once a step is below 1e-10)
    on ``log p(y_i | beta) - |beta|^2 / 2`` from ``beta0 (N, K, P)``, with the design ``G (K, T, P)`` (intercept
    column included) and offsets ``(K, T)``; NB with dispersions ``r (N,)`` or Poisson. Returns ``(N, K)`` values
    of ``llf - |beta|^2 / 2 - log det H / 2`` (llf without the terms that depend on the counts only) and the
    modes ``(N, K, P)``.
    """
    N = y.shape[0]
    K, T, P = G.shape
    Gt = np.empty((K, P, T))
    for k in range(K):
        Gt[k] = G[k].T
    out = np.empty((N, K))
    modes = np.empty((N, K, P))
    grad = np.empty(P)
    H = np.empty((P, P))
    g = np.empty(T)
    w = np.empty(T)
    for i in range(N):
        for k in range(K):
            beta = beta0[i, k].copy()
            for _ in range(n_newton):
                _glm_eval(y[i], offset[k], Gt[k], r[i], poisson, beta, grad, H, g, w, False)
                step, _ = _solve_small(H, grad)
                norm = math.sqrt(np.sum(step * step))
                beta += step * min(1.0, 2.0 / max(norm, 1e-12))
                if norm < 1e-10:
                    break
            llf = _glm_eval(y[i], offset[k], Gt[k], r[i], poisson, beta, grad, H, g, w, True)
            _, logdet = _solve_small(H, grad)
            out[i, k] = llf - 0.5 * np.sum(beta * beta) - 0.5 * logdet
            modes[i, k] = beta
    return out, modes


@njit(cache=True)
def nb_loglik_rows(y: np.ndarray, eta: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Per-row NB log-likelihood ``sum_t log NB(y_it; mean exp(eta_it), dispersion r_i)`` without the
    ``-log y_it!`` terms (they do not depend on the parameters); ``y`` holds non-negative counts.

    Closed form: ``lgamma(y + r) - lgamma(r) + r log r + y eta - (y + r) log(r + exp(eta))``, so the cost does
    not depend on the size of the counts (:func:`nb_loglik_rows_sum_of_logs` is the earlier per-count form,
    kept as the statement the tests compare against).
    """
    N, T = y.shape
    out = np.zeros(N)
    for i in range(N):
        ri = r[i]
        logr = math.log(ri)
        lg_r = math.lgamma(ri)
        acc = 0.0
        for t in range(T):
            yt = y[i, t]
            e = eta[i, t]
            lse = max(logr, e) + math.log1p(math.exp(-abs(logr - e)))
            acc += ri * logr + yt * e - (yt + ri) * lse
            if yt > 0.0:
                acc += math.lgamma(yt + ri) - lg_r
        out[i] = acc
    return out


@njit(cache=True)
def nb_loglik_rows_sum_of_logs(y: np.ndarray, eta: np.ndarray, r: np.ndarray) -> np.ndarray:
    """:func:`nb_loglik_rows` with ``lgamma(y + r) - lgamma(r) = sum_{j < y} log(r + j)`` (exact for integer y;
    one loop step per count: the form before 0.5.0, for tests on small counts only)."""
    N, T = y.shape
    out = np.zeros(N)
    for i in range(N):
        ri = r[i]
        logr = math.log(ri)
        acc = 0.0
        for t in range(T):
            yt = y[i, t]
            e = eta[i, t]
            lse = max(logr, e) + math.log1p(math.exp(-abs(logr - e)))
            acc += ri * logr + yt * e - (yt + ri) * lse
            for j in range(int(yt)):
                acc += math.log(ri + j)
        out[i] = acc
    return out


@njit(cache=True)
def pair_cumsum(X: np.ndarray) -> np.ndarray:
    """Cumulative regression statistics of the pairs ``z_t = (X_{t-1}, 1)``, ``y_t = X_t`` (see
    ``statemoves._Pairs``): row ``b`` holds the sums over bins ``t < b`` of the flattened outer product of
    ``w_t = (z_t, y_t)`` and, last, the pair count (bin 0 has no pair)."""
    T, D = X.shape
    W = 2 * D + 1
    F = W * W + 1
    cum = np.zeros((T + 1, F))
    w = np.empty(W)
    for t in range(T):
        for f in range(F):
            cum[t + 1, f] = cum[t, f]
        if t == 0:
            continue
        for a in range(D):
            w[a] = X[t - 1, a]
            w[D + 1 + a] = X[t, a]
        w[D] = 1.0
        for a in range(W):
            wa = w[a]
            for c in range(W):
                cum[t + 1, a * W + c] += wa * w[c]
        cum[t + 1, F - 1] += 1.0
    return cum
