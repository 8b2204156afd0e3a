"""Baselines the reproduction compares Neuroformer with.

- :class:`PoissonGLM`: a coupled Poisson GLM on the spike history (each neuron's count in a bin is Poisson with
  log-rate linear in every neuron's counts over the previous ``n_lags`` bins), the history-aware model of
  next-spike prediction. Its log-likelihood of a window's counts is comparable with Neuroformer's
  (:func:`neuroformer.train.window_log_likelihood`): both are ``log p(counts in the window | history)``.
- :func:`unigram_window_log_likelihood`: the token-frequency model (independent ID and dt tokens).
- :func:`decoding_baselines`: ridge, lasso, MLP and GRU regressions of a behaviour variable from binned
  counts, the baselines of the paper's decoding tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import gammaln

from neurotypes.validation import check_array, check_float, check_int

__all__ = [
    "PoissonGLM",
    "count_windows",
    "decoding_baselines",
    "history_design",
    "unigram_window_log_likelihood",
]


def history_design(raster: ArrayLike, n_lags: int) -> NDArray[np.float64]:
    """The history covariates of every bin: ``X[t, l*N + j] = counts[j, t - 1 - l]`` (zero before the data).

    Parameters
    ----------
    raster : array_like of int, shape (N, T)
        Spike counts per neuron and bin.
    n_lags : int
        History length L in bins (>= 1).

    Returns
    -------
    ndarray, shape (T, L * N)

    Examples
    --------
    >>> history_design([[1, 0, 2]], 2).tolist()
    [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    """
    x = check_array("raster", raster, ndim=2, dtype="int", nonnegative=True, min_size=1).astype(np.float64)
    n_lags = check_int("n_lags", n_lags, minimum=1)
    n, t = x.shape
    out = np.zeros((t, n_lags * n))
    for lag in range(1, n_lags + 1):
        if lag < t:
            out[lag:, (lag - 1) * n : lag * n] = x[:, : t - lag].T
    return out


@dataclass
class PoissonGLM:
    """Coupled Poisson GLM on the spike history, fitted by penalised maximum likelihood (L-BFGS).

    ``counts[i, t] ~ Poisson(exp(b_i + sum_{j, l} W[l, j, i] counts[j, t - 1 - l]))``, with an L2 penalty
    ``alpha / 2 * ||W||^2`` on the coupling weights (not the biases) added to the mean negative log-likelihood
    per bin. ``alpha`` is chosen among ``alphas`` on the last ``validation`` fraction of the training bins, then
    the model is refitted on all of them.

    Parameters
    ----------
    n_lags : int
        History length in bins.
    alphas : sequence of float
        Candidate penalties (>= 0).
    validation : float
        Fraction of the training bins held out to choose ``alpha`` (in (0, 0.5]).
    max_iter : int
        L-BFGS iterations per fit.

    Attributes
    ----------
    alpha_ : float
        The chosen penalty.
    bias_ : ndarray, shape (N,)
    weights_ : ndarray, shape (n_lags, N, N)
        ``weights_[l, j, i]``: effect of neuron j's count ``l + 1`` bins ago on neuron i's log-rate.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> glm = PoissonGLM(n_lags=1, alphas=(0.0,)).fit(rng.poisson(0.2, (2, 4000)))
    >>> np.round(np.exp(glm.bias_), 1).tolist()  # independent neurons: the rate
    [0.2, 0.2]
    """

    n_lags: int = 5
    alphas: tuple[float, ...] = (1e-3, 1e-2, 1e-1)
    validation: float = 0.2
    max_iter: int = 500
    alpha_: float = field(default=math.nan, init=False)
    bias_: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0), init=False, repr=False)
    weights_: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0), init=False, repr=False)

    def __post_init__(self) -> None:
        self.n_lags = check_int("n_lags", self.n_lags, minimum=1)
        if isinstance(self.alphas, str) or not hasattr(self.alphas, "__iter__"):
            raise TypeError("alphas must be a sequence of penalties")
        self.alphas = tuple(check_float(f"alphas[{i}]", a, minimum=0.0) for i, a in enumerate(self.alphas))
        if not self.alphas:
            raise ValueError("alphas must hold at least one penalty")
        self.validation = check_float("validation", self.validation, positive=True, maximum=0.5)
        self.max_iter = check_int("max_iter", self.max_iter, minimum=1)

    @staticmethod
    def _fit_one(
        x: sparse.csr_matrix,
        y: NDArray[np.float64],
        alpha: float,
        max_iter: int,
        start: NDArray[np.float64] | None = None,
    ) -> NDArray[np.float64]:
        t, p = x.shape
        n = y.shape[1]
        if start is None:
            start = np.zeros((p + 1, n))
            start[0] = np.log(np.maximum(y.mean(0), 1e-3))
        xt = x.T.tocsr()
        ysum = y.sum(0)
        xty = xt @ y

        def objective(flat: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            theta = flat.reshape(p + 1, n)
            eta = np.clip(x @ theta[1:] + theta[0], -30.0, 30.0)
            rate = np.exp(eta)
            f = (float(rate.sum()) - float(np.sum(y * eta))) / t + 0.5 * alpha * float(np.sum(theta[1:] ** 2))
            g = np.empty_like(theta)
            g[0] = (rate.sum(0) - ysum) / t
            g[1:] = (xt @ rate - xty) / t + alpha * theta[1:]
            return f, g.reshape(-1)

        res = minimize(
            objective,
            start.reshape(-1),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": max_iter, "gtol": 1e-6},
        )
        out: NDArray[np.float64] = res.x.reshape(p + 1, n)
        return out

    def fit(self, raster: ArrayLike) -> PoissonGLM:
        """Fit on the counts ``raster [N, T]`` (all bins; the first ``n_lags`` have zero-padded history).

        Returns
        -------
        PoissonGLM
            ``self``.
        """
        r = check_array("raster", raster, ndim=2, dtype="int", nonnegative=True, min_size=1)
        n, t = r.shape
        if t < 10 * (self.n_lags + 1):
            raise ValueError(f"raster must have at least {10 * (self.n_lags + 1)} bins to fit, got {t}")
        x = sparse.csr_matrix(history_design(r, self.n_lags))
        y = r.T.astype(np.float64)
        theta = None
        if len(self.alphas) > 1:
            cut = round(t * (1.0 - self.validation))
            scores = {}
            fits = {}
            for a in sorted(
                self.alphas, reverse=True
            ):  # strongest penalty first, each fit warm-starts the next
                theta = self._fit_one(x[:cut], y[:cut], a, self.max_iter, theta)
                fits[a] = theta
                scores[a] = float(self._loglik(theta, x[cut:], y[cut:]).sum())
            self.alpha_ = max(self.alphas, key=lambda a: scores[a])
            theta = fits[self.alpha_]
        else:
            self.alpha_ = self.alphas[0]
        theta = self._fit_one(x, y, self.alpha_, self.max_iter, theta)
        self.bias_ = theta[0].copy()
        self.weights_ = theta[1:].reshape(self.n_lags, n, n)
        return self

    @staticmethod
    def _loglik(theta: NDArray[np.float64], x: Any, y: NDArray[np.float64]) -> NDArray[np.float64]:
        eta = np.clip(x @ theta[1:] + theta[0], -30.0, 30.0)
        out: NDArray[np.float64] = y * eta - np.exp(eta) - gammaln(y + 1.0)
        return out

    def log_likelihood(self, raster: ArrayLike) -> NDArray[np.float64]:
        """Poisson log-likelihood of every count, ``[N, T]`` (history from the same raster, zero before it).

        Raises
        ------
        ValueError
            The model is not fitted, or ``raster`` has another number of neurons.
        """
        if self.bias_.size == 0:
            raise ValueError("the model is not fitted: call fit first")
        r = check_array("raster", raster, ndim=2, dtype="int", nonnegative=True, min_size=1)
        n = self.bias_.size
        if r.shape[0] != n:
            raise ValueError(f"raster must have {n} neurons (rows), got {r.shape[0]}")
        theta = np.vstack([self.bias_[None, :], self.weights_.reshape(-1, n)])
        ll = self._loglik(theta, sparse.csr_matrix(history_design(r, self.n_lags)), r.T.astype(np.float64))
        return np.ascontiguousarray(ll.T)

    def window_log_likelihood(self, raster: ArrayLike, starts: ArrayLike, width: int) -> NDArray[np.float64]:
        """Sum of :meth:`log_likelihood` over the bins ``[start, start + width)`` of each window, all neurons.

        Parameters
        ----------
        raster : array_like of int, shape (N, T)
        starts : array_like of int, shape (n,)
            First bin of each window.
        width : int
            Window length in bins.

        Returns
        -------
        ndarray, shape (n,)
        """
        ll = self.log_likelihood(raster)
        s = check_array("starts", starts, ndim=1, dtype="int", nonnegative=True)
        w = check_int("width", width, minimum=1)
        if s.size and s.max() + w > ll.shape[1]:
            raise ValueError("starts: a window runs past the end of the raster")
        cs = np.concatenate([[0.0], np.cumsum(ll.sum(0))])
        out: NDArray[np.float64] = cs[s + w] - cs[s]
        return out


def unigram_window_log_likelihood(
    train: dict[str, NDArray[Any]], test: dict[str, NDArray[Any]], id_vocab: int, dt_vocab: int, pad_id: int
) -> NDArray[np.float64]:
    """Token-frequency baseline: each window's targets scored by independent ID and dt unigrams.

    The unigrams (add-one smoothed) are counted on the non-PAD targets of ``train``; each window of ``test``
    gets ``sum_k log p(y_id[k]) + log p(y_dt[k])`` over its non-PAD targets (comparable with
    :func:`neuroformer.train.window_log_likelihood`).

    Parameters
    ----------
    train, test : dict with ``y_id`` and ``y_dt``
        Arrays of :meth:`SpikeTokenizer.encode` (or ``WindowDataset.arrays``).
    id_vocab, dt_vocab : int
        Vocabulary sizes.
    pad_id : int
        The ID-vocabulary PAD index.

    Returns
    -------
    ndarray, shape (n_test_windows,)
    """
    id_vocab = check_int("id_vocab", id_vocab, minimum=1)
    dt_vocab = check_int("dt_vocab", dt_vocab, minimum=1)
    pad_id = check_int("pad_id", pad_id, minimum=0, maximum=id_vocab - 1)
    for name, d in (("train", train), ("test", test)):
        if not isinstance(d, dict) or "y_id" not in d or "y_dt" not in d:
            raise ValueError(f"{name} must be a dict with 'y_id' and 'y_dt' arrays")
    ytr_id = check_array(
        "train['y_id']", train["y_id"], ndim=2, dtype="int", nonnegative=True, maximum=id_vocab - 1
    )
    ytr_dt = check_array(
        "train['y_dt']", train["y_dt"], ndim=2, dtype="int", nonnegative=True, maximum=dt_vocab - 1
    )
    yte_id = check_array(
        "test['y_id']", test["y_id"], ndim=2, dtype="int", nonnegative=True, maximum=id_vocab - 1
    )
    yte_dt = check_array(
        "test['y_dt']", test["y_dt"], ndim=2, dtype="int", nonnegative=True, maximum=dt_vocab - 1
    )
    keep = ytr_id != pad_id
    p_id = np.bincount(ytr_id[keep], minlength=id_vocab).astype(np.float64) + 1.0
    p_dt = np.bincount(ytr_dt[keep], minlength=dt_vocab).astype(np.float64) + 1.0
    lp_id, lp_dt = np.log(p_id / p_id.sum()), np.log(p_dt / p_dt.sum())
    valid = yte_id != pad_id
    out: NDArray[np.float64] = np.where(valid, lp_id[yte_id] + lp_dt[yte_dt], 0.0).sum(1)
    return out


def count_windows(raster: ArrayLike, starts: ArrayLike, width: int) -> NDArray[np.float64]:
    """Binned counts of each window as a sequence: ``out[k, b, j] = raster[j, starts[k] + b]``.

    Parameters
    ----------
    raster : array_like of int, shape (N, T)
    starts : array_like of int, shape (n,)
        First bin of each window.
    width : int
        Window length in bins.

    Returns
    -------
    ndarray, shape (n, width, N)
    """
    r = check_array("raster", raster, ndim=2, dtype="int", nonnegative=True, min_size=1)
    s = check_array("starts", starts, ndim=1, dtype="int", nonnegative=True)
    w = check_int("width", width, minimum=1)
    if s.size and s.max() + w > r.shape[1]:
        raise ValueError("starts: a window runs past the end of the raster")
    idx = s[:, None] + np.arange(w)[None, :]
    out: NDArray[np.float64] = r[:, idx].transpose(1, 2, 0).astype(np.float64)
    return out


def _r2(y: NDArray[np.float64], pred: NDArray[np.float64]) -> float:
    ss = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - pred) ** 2)) / ss if ss > 0 else math.nan


def _gru_r2(
    seq: NDArray[np.float64],
    y: NDArray[np.float64],
    train: NDArray[np.int64],
    test: NDArray[np.int64],
    seed: int,
) -> float:
    import torch

    mu, sd = seq[train].mean((0, 1)), seq[train].std((0, 1)) + 1e-6
    x = torch.tensor((seq - mu) / sd, dtype=torch.float32)
    ym, ys = float(y[train].mean()), float(y[train].std() + 1e-9)
    yt = torch.tensor((y - ym) / ys, dtype=torch.float32)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gru = torch.nn.GRU(seq.shape[2], 32, batch_first=True)
        head = torch.nn.Linear(32, 1)
        params = list(gru.parameters()) + list(head.parameters())
        opt = torch.optim.Adam(params, lr=1e-2, weight_decay=1e-3)
        tr = torch.as_tensor(train)
        for _ in range(200):
            h, _ = gru(x[tr])
            loss = torch.nn.functional.mse_loss(head(h[:, -1]).squeeze(-1), yt[tr])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            h, _ = gru(x[torch.as_tensor(test)])
            pred = head(h[:, -1]).squeeze(-1).numpy() * ys + ym
    return _r2(y[test], pred.astype(np.float64))


def decoding_baselines(
    seq: ArrayLike, y: ArrayLike, train: ArrayLike, test: ArrayLike, *, seed: int = 0
) -> dict[str, float]:
    """Held-out R^2 of the paper's decoding baselines, trained on the ``train`` windows only.

    - ``ridge``: ridge regression on the flattened counts (penalty by leave-one-out CV, ``RidgeCV``),
      the Gaussian GLM;
    - ``lasso``: lasso on the flattened counts (penalty by 5-fold CV, ``LassoCV``);
    - ``mlp``: one hidden layer of 64 ReLU units (``MLPRegressor`` with L-BFGS on standardised inputs, its L2
      penalty chosen among 0.1, 1, 10, 100 by 3-fold CV on the training windows);
    - ``gru``: a GRU (32 units) over the bins of the window, then a linear read-out (Adam, 200 full-batch
      epochs).

    Penalties are chosen by cross-validation on the training windows only; nothing is tuned on the test
    windows.

    Parameters
    ----------
    seq : array_like, shape (n, bins, N)
        Counts of each window as a sequence of bins (:func:`count_windows`).
    y : array_like, shape (n,)
        The behaviour variable per window.
    train, test : array_like of int
        Window indices.
    seed : int
        Seed of the MLP and GRU initialisation.

    Returns
    -------
    dict
        ``{"ridge": r2, "lasso": r2, "mlp": r2, "gru": r2}``.
    """
    from sklearn.linear_model import LassoCV, RidgeCV
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    s = check_array("seq", seq, ndim=3, min_size=1)
    yy = check_array("y", y, ndim=1)
    if yy.size != s.shape[0]:
        raise ValueError(f"y must have one value per window ({s.shape[0]}), got {yy.size}")
    tr = check_array(
        "train", train, ndim=1, dtype="int", nonnegative=True, maximum=s.shape[0] - 1, min_size=5
    )
    te = check_array("test", test, ndim=1, dtype="int", nonnegative=True, maximum=s.shape[0] - 1, min_size=2)
    seed = check_int("seed", seed, minimum=0)
    flat = s.reshape(s.shape[0], -1)
    out: dict[str, float] = {}
    ridge = RidgeCV(alphas=np.logspace(-2, 4, 13)).fit(flat[tr], yy[tr])
    out["ridge"] = _r2(yy[te], ridge.predict(flat[te]))
    lasso = LassoCV(cv=5, alphas=np.logspace(-4, 1, 30), max_iter=5000, random_state=seed).fit(
        flat[tr], yy[tr]
    )
    out["lasso"] = _r2(yy[te], lasso.predict(flat[te]))
    mlp = GridSearchCV(
        make_pipeline(
            StandardScaler(),
            MLPRegressor(hidden_layer_sizes=(64,), solver="lbfgs", max_iter=500, random_state=seed),
        ),
        {"mlpregressor__alpha": [0.1, 1.0, 10.0, 100.0]},
        cv=3,
    ).fit(flat[tr], yy[tr])
    out["mlp"] = _r2(yy[te], mlp.predict(flat[te]))
    out["gru"] = _gru_r2(s, yy, tr, te, seed)
    return out
