"""Stage 2b: non-negative CP / PARAFAC factorisation of the affinity tensor (tensorly).

``X[p, τ, w] ≈ Σ_r λ_r f_a^r[p] f_t^r[τ] f_w^r[w]`` with non-negative, unit-norm factors: ``f_a`` an affinity
pattern over neuron pairs, ``f_t`` a temporal loading, ``f_w`` an animal loading. The paper's rank and exact
NTF algorithm are not confirmed; the default is tensorly's HALS (``non_negative_parafac_hals``) from random
initialisations, keeping the restart with the smallest reconstruction error. Rank selection follows Williams et
al. (2018, Neuron): relative reconstruction error vs rank plus the similarity of factors across restarts.

Missing entries (NaN in ``X``) are masked out of the fit: ``method="hals"`` wraps tensorly's HALS in an EM
imputation loop (fill the missing entries with the current reconstruction, run a few HALS sweeps, repeat);
``method="mu"`` uses tensorly's multiplicative-update solver, which takes the mask natively.

tensorly runs inside ``tensorly.backend_context("numpy")``: the caller's global tensorly backend is left as it
was. tensorly is imported when a fit starts, not when the package is imported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from neurotypes.validation import check_array, check_bool, check_choice, check_float, check_int, check_rng

if TYPE_CHECKING:
    from tensorly.cp_tensor import CPTensor

__all__ = [
    "NTFResult",
    "RankSweep",
    "factor_similarity",
    "fit_ntf",
    "rank_sweep",
    "relative_error",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class NTFResult:
    """A fitted non-negative CP model, components sorted by decreasing weight.

    Attributes
    ----------
    weights
        ``λ_r`` (length R).
    f_pairs, f_time, f_worm
        Unit-norm factor matrices ``[P, R]``, ``[T_w, R]``, ``[W, R]``.
    rel_error
        ``‖X − X̂‖_F / ‖X‖_F`` over the observed entries.
    restart_errors
        Relative error of every restart (the best one was kept).
    """

    weights: NDArray[np.float64]
    f_pairs: NDArray[np.float64]
    f_time: NDArray[np.float64]
    f_worm: NDArray[np.float64]
    rel_error: float
    restart_errors: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        w = check_array("weights", self.weights, ndim=1, min_size=1)
        r = w.size
        object.__setattr__(self, "weights", w)
        for name in ("f_pairs", "f_time", "f_worm"):
            f = check_array(name, getattr(self, name), ndim=2, min_size=1)
            if f.shape[1] != r:
                raise ValueError(f"{name} must have one column per component ({r}), got shape {f.shape}")
            object.__setattr__(self, name, f)
        if isinstance(self.rel_error, bool) or not isinstance(self.rel_error, int | float | np.floating):
            raise TypeError(f"rel_error must be a number, got {type(self.rel_error).__name__}")
        object.__setattr__(self, "rel_error", float(self.rel_error))
        object.__setattr__(self, "restart_errors", tuple(float(e) for e in self.restart_errors))

    @property
    def rank(self) -> int:
        """Number of components ``R``."""
        return int(self.weights.size)

    @property
    def factors(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """``(f_pairs, f_time, f_worm)``."""
        return self.f_pairs, self.f_time, self.f_worm

    def reconstruct(self) -> NDArray[np.float64]:
        """The model tensor ``Σ_r λ_r f_a^r ∘ f_t^r ∘ f_w^r``."""
        rec = np.einsum("r,pr,tr,wr->ptw", self.weights, self.f_pairs, self.f_time, self.f_worm)
        return np.asarray(rec, dtype=np.float64)


def relative_error(x: NDArray[Any], result: NDArray[Any], mask: NDArray[np.bool_] | None = None) -> float:
    """``‖X − X̂‖_F / ‖X‖_F``, restricted to ``mask`` (the observed entries) when given.

    Parameters
    ----------
    x, result : array_like
        The data and the model, the same shape; finite.
    mask : array_like of bool, optional
        Entries to include, the same shape.

    Returns
    -------
    float
        0 when ``‖X‖`` is 0.

    Examples
    --------
    >>> relative_error(np.array([3.0, 4.0]), np.array([3.0, 0.0]))
    0.8
    """
    xx = check_array("x", x, min_size=1)
    rr = check_array("result", result, shape=xx.shape)
    if mask is not None:
        m = check_array("mask", mask, dtype="bool", shape=xx.shape)
        xx, rr = xx[m], rr[m]
    d = xx - rr
    den = float(np.sqrt(np.sum(xx * xx)))
    return float(np.sqrt(np.sum(d * d))) / den if den > 0 else 0.0


def _normalise(weights: NDArray[Any], factors: list[NDArray[Any]]) -> NTFResult:
    fs = [np.asarray(f, dtype=np.float64) for f in factors]
    lam = np.asarray(weights, dtype=np.float64).copy()
    for k, f in enumerate(fs):
        norms = np.linalg.norm(f, axis=0)
        safe = np.where(norms > 0, norms, 1.0)
        fs[k] = f / safe
        lam = lam * norms
    order = np.argsort(-lam, kind="stable")
    return NTFResult(lam[order], fs[0][:, order], fs[1][:, order], fs[2][:, order], rel_error=float("nan"))


_CHUNK = 4096
_SMALL = 2_000_000


def _chunks(n: int) -> list[slice]:
    return [slice(k, min(k + _CHUNK, n)) for k in range(0, n, _CHUNK)]


def _chunked_error(x: NDArray[Any], weights: NDArray[Any], factors: list[NDArray[Any]]) -> float:
    """Relative error over the finite entries of ``x``, computed in slabs along the pair axis (no full copy)."""
    w = np.asarray(weights, np.float64)
    fa, ft, fw = (np.asarray(f, np.float64) for f in factors)
    num = den = 0.0
    for sl in _chunks(x.shape[0]):
        xs = np.asarray(x[sl], np.float64)
        rec = np.einsum("r,pr,tr,wr->ptw", w, fa[sl], ft, fw)
        ok = np.isfinite(xs)
        d = np.where(ok, xs - rec, 0.0)
        num += float(np.sum(d * d))
        den += float(np.sum(np.where(ok, xs, 0.0) ** 2))
    return float(np.sqrt(num / den)) if den > 0 else 0.0


def _impute(filled: NDArray[Any], mask: NDArray[np.bool_], weights: NDArray[Any], factors: list[Any]) -> None:
    for sl in _chunks(filled.shape[0]):
        rec = np.einsum("r,pr,tr,wr->ptw", weights, factors[0][sl], factors[1], factors[2])
        miss = ~mask[sl]
        filled[sl][miss] = rec[miss]


def _random_init(shape: tuple[int, ...], rank: int, scale: float, rng: np.random.Generator) -> CPTensor:
    from tensorly.cp_tensor import CPTensor

    # Uniform factors scaled so that the initial model has the data's mean magnitude.
    fs = [rng.uniform(0.0, 1.0, size=(s, rank)) for s in shape]
    mean_model = rank * 0.5 ** len(shape)
    c = (max(scale, 1e-12) / mean_model) ** (1.0 / len(shape))
    return CPTensor((np.ones(rank), [f * c for f in fs]))


def _fit_once(
    x: NDArray[Any],
    mask: NDArray[np.bool_] | None,
    rank: int,
    method: str,
    rng: np.random.Generator,
    n_iter_max: int,
    tol: float,
) -> CPTensor:
    from tensorly.cp_tensor import CPTensor
    from tensorly.decomposition import non_negative_parafac, non_negative_parafac_hals

    dtype = x.dtype
    observed = x[mask] if mask is not None else x
    init = _random_init(x.shape, rank, float(np.mean(observed)), rng)
    init = CPTensor((init[0].astype(dtype), [f.astype(dtype) for f in init[1]]))
    if method == "mu":
        filled = np.where(mask, x, 0.0).astype(dtype) if mask is not None else x
        return non_negative_parafac(
            filled, rank, n_iter_max=n_iter_max, init=init, tol=tol, mask=mask, normalize_factors=False
        )
    if mask is None:
        return non_negative_parafac_hals(x, rank, n_iter_max=n_iter_max, init=init, tol=tol)
    # EM imputation around HALS: missing entries take the current model's value.
    filled = np.where(mask, x, np.asarray(np.mean(observed), dtype=dtype)).astype(dtype)
    cp = init
    prev = np.inf
    inner = 10
    for _ in range(max(n_iter_max // inner, 1)):
        cp = non_negative_parafac_hals(filled, rank, n_iter_max=inner, init=cp, tol=0.0)
        w, fs = cp
        _impute(filled, mask, w, list(fs))
        err = _chunked_error(x, w, list(fs))
        if np.isfinite(prev) and abs(prev - err) <= tol * max(prev, 1e-12):
            break
        prev = err
    return cp


def _check_tensor(x: Any) -> NDArray[np.floating[Any]]:
    """X as a float array (float32 kept: no copy at paper scale); NaN = missing, everything else finite >= 0."""
    if isinstance(x, str | bytes) or x is None:
        raise TypeError(f"X must be a numpy array [pairs, windows, animals], got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"X must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 3:
        raise ValueError(f"X must be a 3-D tensor [pairs, windows, animals], got shape {arr.shape}")
    if min(arr.shape) < 1:
        raise ValueError(f"X must have at least one pair, window and animal, got shape {arr.shape}")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if np.any(np.isinf(arr)):
        raise ValueError("X must not contain infinities (NaN is allowed and means 'missing')")
    if np.all(np.isnan(arr)):
        raise ValueError("X must have observed entries: every entry is missing (NaN)")
    if np.nanmin(arr) < 0:
        raise ValueError("X must be non-negative for a non-negative factorisation")
    if not np.nanmax(arr) > 0:
        raise ValueError("X must have a positive entry: an all-zero tensor has no factorisation")
    out: NDArray[np.floating[Any]] = arr
    return out


def _fit_all(
    x: NDArray[Any],
    rank: int,
    n_restarts: int,
    method: str,
    rng: np.random.Generator,
    n_iter_max: int,
    tol: float,
    progress: bool = False,
    desc: str = "NTF restarts",
) -> list[NTFResult]:
    import tensorly as tl
    from tqdm.auto import tqdm

    finite = np.isfinite(x)
    mask = None if finite.all() else finite
    if mask is not None:
        log.info(
            "X has %d missing entries (%.1f%%): masked out of the fit", (~mask).sum(), 100 * (~mask).mean()
        )
    out = []
    # Small tensors: multi-threaded BLAS only adds overhead (and stalls on a loaded machine).
    with (
        tl.backend_context("numpy", local_threadsafe=True),
        threadpool_limits(limits=1 if x.size < _SMALL else None, user_api="blas"),
    ):
        for _ in tqdm(range(n_restarts), desc=desc, disable=not progress, leave=False):
            cp = _fit_once(x, mask, rank, method, rng, n_iter_max, tol)
            res = _normalise(cp[0], list(cp[1]))
            err = _chunked_error(x, res.weights, list(res.factors))
            out.append(NTFResult(res.weights, res.f_pairs, res.f_time, res.f_worm, rel_error=err))
    return out


def _check_fit_args(
    rank: Any, n_restarts: Any, method: Any, n_iter_max: Any, tol: Any, progress: Any
) -> tuple[int, int, str, int, float, bool]:
    return (
        check_int("rank", rank, minimum=1),
        check_int("n_restarts", n_restarts, minimum=1),
        check_choice("method", method, ("hals", "mu")),
        check_int("n_iter_max", n_iter_max, minimum=1),
        check_float("tol", tol, minimum=0.0),
        check_bool("progress", progress),
    )


def fit_ntf(
    X: NDArray[Any],
    rank: int = 3,
    n_restarts: int = 5,
    method: str = "hals",
    seed: int | np.random.Generator | None = 0,
    n_iter_max: int = 300,
    tol: float = 1e-7,
    *,
    progress: bool = False,
) -> NTFResult:
    """Non-negative CP decomposition of ``X[p, τ, w]``, best of ``n_restarts`` random initialisations.

    Parameters
    ----------
    X : array_like, shape (P, T_w, W)
        Non-negative tensor (float32 is kept as it is); NaN entries are missing and masked out of the fit.
    rank : int
        Number of components ``R``, >= 1.
    n_restarts : int
        Random initialisations (>= 1); the one with the smallest relative error is returned.
    method : {"hals", "mu"}
        ``"hals"`` (tensorly HALS; EM imputation for missing entries) or ``"mu"`` (tensorly multiplicative
        updates with a native mask).
    seed : int, numpy.random.Generator or None
        Seed or generator of the initialisations.
    n_iter_max : int
        Iteration cap passed to tensorly, >= 1.
    tol : float
        Convergence tolerance passed to tensorly, >= 0.
    progress : bool
        Show a progress bar over the restarts.

    Returns
    -------
    NTFResult
        Unit-norm factors, weights ``λ`` sorted decreasingly, relative error on observed entries.

    Raises
    ------
    TypeError, ValueError
        A bad tensor or argument (the message names it).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.einsum("pr,tr,wr->ptw", *(rng.uniform(size=(s, 2)) for s in (20, 6, 3)))
    >>> res = fit_ntf(X, rank=2, n_restarts=2, n_iter_max=500)
    >>> res.rank, res.rel_error < 1e-3
    (2, True)
    """
    x = _check_tensor(X)
    rank, n_restarts, method, n_iter_max, tol, progress = _check_fit_args(
        rank, n_restarts, method, n_iter_max, tol, progress
    )
    fits = _fit_all(x, rank, n_restarts, method, check_rng(seed), n_iter_max, tol, progress)
    best = min(fits, key=lambda r: r.rel_error)
    return NTFResult(
        best.weights,
        best.f_pairs,
        best.f_time,
        best.f_worm,
        best.rel_error,
        tuple(r.rel_error for r in fits),
    )


def factor_similarity(a: NTFResult, b: NTFResult) -> float:
    """Similarity of two CP models (Williams et al. 2018; tensortools' ``kruskal_align`` score).

    For every component pair the score is ``(1 − |λ_r − λ_q| / max(λ_r, λ_q)) · Π_modes cos(f_m^r, g_m^q)``;
    components are matched one-to-one by the Hungarian algorithm and the matched scores averaged. 1 means
    identical up to permutation; 0 means orthogonal.

    Parameters
    ----------
    a, b : NTFResult
        Two models of the same rank and tensor shape.

    Returns
    -------
    float
        In [0, 1] for non-negative factors.

    Raises
    ------
    TypeError, ValueError
        Not NTFResults, or different ranks or shapes.
    """
    from scipy.optimize import linear_sum_assignment

    for name, v in (("a", a), ("b", b)):
        if not isinstance(v, NTFResult):
            raise TypeError(f"{name} must be an NTFResult, got {type(v).__name__}")
    if a.rank != b.rank:
        raise ValueError(f"b must have the rank of a ({a.rank}), got {b.rank}")
    for fa, fb in zip(a.factors, b.factors, strict=True):
        if fa.shape != fb.shape:
            raise ValueError(f"b must have factors of the shapes of a's, got {fb.shape} and {fa.shape}")
    sim = np.ones((a.rank, b.rank))
    for fa, fb in zip(a.factors, b.factors, strict=True):
        sim *= fa.T @ fb
    lam_max = np.maximum(a.weights[:, None], b.weights[None, :])
    lam_pen = 1.0 - np.abs(a.weights[:, None] - b.weights[None, :]) / np.where(lam_max > 0, lam_max, 1.0)
    sim *= lam_pen
    r, c = linear_sum_assignment(-sim)
    return float(np.mean(sim[r, c]))


@dataclass(frozen=True)
class RankSweep:
    """Result of :func:`rank_sweep`.

    Attributes
    ----------
    ranks
        Ranks tried.
    errors
        Best relative error per rank.
    all_errors
        ``[len(ranks), n_restarts]`` relative error of every restart.
    similarity
        Mean factor similarity of the other restarts to the best one, per rank (1.0 when ``n_restarts == 1``).
    """

    ranks: tuple[int, ...]
    errors: tuple[float, ...]
    all_errors: tuple[tuple[float, ...], ...]
    similarity: tuple[float, ...]
    best: tuple[NTFResult, ...] = field(default=(), repr=False)

    def second_differences(self) -> dict[int, float]:
        """Centred second difference ``e(R−1) − 2 e(R) + e(R+1)`` at every interior rank."""
        e = np.asarray(self.errors)
        return {self.ranks[k]: float(e[k - 1] - 2 * e[k] + e[k + 1]) for k in range(1, len(e) - 1)}

    def elbow(self) -> int:
        """Rank with the largest centred second difference of the error curve (the elbow)."""
        d = self.second_differences()
        if not d:
            raise ValueError("ranks: need at least 3 consecutive ranks to find an elbow")
        return max(d, key=lambda r: d[r])

    def stable_rank(self, min_similarity: float = 0.9) -> int:
        """Largest rank whose restarts agree (similarity ≥ ``min_similarity`` in [0, 1]), Williams et al. (2018)."""
        min_similarity = check_float("min_similarity", min_similarity, minimum=0.0, maximum=1.0)
        ok = [r for r, s in zip(self.ranks, self.similarity, strict=True) if s >= min_similarity]
        return max(ok) if ok else min(self.ranks)


def rank_sweep(
    X: NDArray[Any],
    ranks: Iterable[int] = range(1, 7),
    n_restarts: int = 5,
    method: str = "hals",
    seed: int | None = 0,
    n_iter_max: int = 300,
    tol: float = 1e-7,
    *,
    progress: bool = False,
) -> RankSweep:
    """Fit every rank with several restarts: error curve and restart similarity (Williams et al. 2018).

    Parameters
    ----------
    X : array_like, shape (P, T_w, W)
        As for :func:`fit_ntf`.
    ranks : iterable of int
        Distinct ranks >= 1, at least one.
    n_restarts, method, n_iter_max, tol
        As for :func:`fit_ntf`.
    seed : int or None
        Seed (>= 0); each rank gets an independent child stream.
    progress : bool
        Show a progress bar over the ranks.

    Returns
    -------
    RankSweep

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.einsum("pr,tr,wr->ptw", *(rng.uniform(size=(20, 2)), rng.uniform(size=(6, 2)), np.ones((3, 2))))
    >>> sweep = rank_sweep(X, ranks=[1, 2, 3], n_restarts=2)
    >>> sweep.errors[1] < 0.01 < sweep.errors[0]
    True
    """
    from tqdm.auto import tqdm

    x = _check_tensor(X)
    _, n_restarts, method, n_iter_max, tol, progress = _check_fit_args(
        1, n_restarts, method, n_iter_max, tol, progress
    )
    if isinstance(ranks, str | bytes) or not isinstance(ranks, Iterable):
        raise TypeError(f"ranks must be an iterable of ints, got {type(ranks).__name__}")
    rs = tuple(check_int(f"ranks[{k}]", r, minimum=1) for k, r in enumerate(ranks))
    if not rs:
        raise ValueError("ranks must contain at least one rank")
    if len(set(rs)) != len(rs):
        raise ValueError(f"ranks must be distinct, got {list(rs)}")
    if seed is not None:
        seed = check_int("seed", seed, minimum=0)
    errors, all_errors, sims, best = [], [], [], []
    ss = np.random.SeedSequence(seed)
    for r, child in tqdm(
        list(zip(rs, ss.spawn(len(rs)), strict=True)), desc="rank sweep", disable=not progress, leave=False
    ):
        fits = _fit_all(x, r, n_restarts, method, np.random.default_rng(child), n_iter_max, tol)
        k = int(np.argmin([f.rel_error for f in fits]))
        errors.append(fits[k].rel_error)
        all_errors.append(tuple(f.rel_error for f in fits))
        others = [factor_similarity(fits[k], f) for q, f in enumerate(fits) if q != k]
        sims.append(float(np.mean(others)) if others else 1.0)
        best.append(fits[k])
    return RankSweep(rs, tuple(errors), tuple(all_errors), tuple(sims), tuple(best))
