"""Stage 1: instantaneous pairwise affinities between calcium traces.

The paper (Dyballa et al., ICLR 2024, §2) builds a non-negative, non-linear, instantaneous "differential
affinity" from the time derivatives of the traces: high when two neurons *rise together*. The exact equation,
smoothing and normalisation of the paper could not be confirmed offline (neither the paper body nor the
reference notebook that implements it were available when this package was written). This module therefore
keeps the affinity **pluggable** and ships:

``kind="corise"`` (default, a documented *stand-in*, not the paper's formula)
    ``ẋ_i(t) = x_i(t) − x_i(t−1)`` (first difference); ``σ_i`` = standard deviation of ``ẋ_i`` over the recording;
    ``a_ij(t) = relu(ẋ_i(t)/σ_i) · relu(ẋ_j(t)/σ_j)``, averaged over non-overlapping windows of ``window``
    samples.
``kind="pearson_window"``
    Pearson correlation of the traces within each window, negative values set to 0 (a baseline).
``kind="paper"``
    Raises :class:`NotImplementedError` until the paper's equation is transcribed.
a callable
    ``f(data[N, T], window) -> array[N, N, T_w]``, non-negative and symmetric (NaN = undefined).

Missing samples (NaN) are handled explicitly: each window average runs over the samples where both neurons
are observed; a pair with no jointly observed sample in a window gets NaN (downstream: masked out of the
tensor factorisation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from neurotypes import Traces
from neurotypes.validation import check_array, check_int

__all__ = ["AffinityFn", "differential_affinity", "n_windows"]

AffinityFn = Callable[[NDArray[np.float64], int], NDArray[Any]]

_KINDS = ("corise", "pearson_window", "paper")


def n_windows(n_samples: int, window: int) -> int:
    """Number of complete non-overlapping windows ``⌊n_samples / window⌋``.

    Window k covers samples ``[k·window, (k+1)·window)``; for ``corise`` the derivative at sample 0 is
    undefined and left out of the first window.

    Parameters
    ----------
    n_samples : int
        Samples of the recording, >= 0.
    window : int
        Window length in samples, >= 1.

    Returns
    -------
    int

    Examples
    --------
    >>> n_windows(1200, 50)
    24
    """
    n_samples = check_int("n_samples", n_samples, minimum=0)
    window = check_int("window", window, minimum=1)
    return n_samples // window


def _as_data(traces: Any) -> NDArray[np.float64]:
    data = traces.data if isinstance(traces, Traces) else traces
    return check_array("traces", data, ndim=2, allow_nan=True, min_size=1)


def _check_window(window: int, n_samples: int) -> int:
    window = check_int("window", window, minimum=2)
    if n_windows(n_samples, window) < 1:
        raise ValueError(
            f"window: {window} samples is longer than the recording ({n_samples} samples); "
            "need at least one complete window"
        )
    return window


def _windowed_products(z: NDArray[np.floating[Any]], valid: NDArray[np.bool_], window: int) -> NDArray[Any]:
    """Mean over each window of ``z_i z_j`` restricted to jointly valid samples; NaN where none.

    One small ``N × window`` product per window: nothing is held at the native frame rate. BLAS runs
    single-threaded here because multi-threaded BLAS on such small products is slower (and much slower on a
    loaded machine).
    """
    n, t = z.shape
    tw = t // window
    out = np.empty((tw, n, n), dtype=np.float64)
    with threadpool_limits(limits=1, user_api="blas"):
        for w in range(tw):
            sl = slice(w * window, (w + 1) * window)
            zw = z[:, sl]
            num = zw @ zw.T
            vw = valid[:, sl]
            if vw.all():
                out[w] = num / window
                continue
            vf = vw.astype(np.float64)
            cnt = vf @ vf.T
            with np.errstate(invalid="ignore", divide="ignore"):
                out[w] = np.where(cnt > 0, num / np.maximum(cnt, 1.0), np.nan)
    return np.moveaxis(out, 0, -1)


def _corise(x: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    # Backward difference ẋ(t) = x(t) − x(t−1), so that window k covers samples [k·w, (k+1)·w); ẋ(0) is missing.
    dx = np.concatenate([np.full((x.shape[0], 1), np.nan), np.diff(x, axis=1)], axis=1)
    valid = np.isfinite(dx)
    with np.errstate(invalid="ignore"):
        sigma = np.nanstd(np.where(valid, dx, np.nan), axis=1)
    if np.any(~np.isfinite(sigma)):
        bad = np.flatnonzero(~np.isfinite(sigma))
        raise ValueError(f"traces: units {bad.tolist()} have fewer than 2 consecutive observed samples")
    # A constant trace has no rise: its normalised derivative is 0 everywhere (not NaN).
    safe = np.where(sigma > 0, sigma, 1.0)
    z = np.where(valid, np.maximum(dx, 0.0) / safe[:, None], 0.0)
    z[sigma <= 0] = 0.0
    return _windowed_products(z, valid, window)


def _pearson_window(x: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    n, t = x.shape
    tw = t // window
    out = np.empty((n, n, tw), dtype=np.float64)
    for w in range(tw):
        xw = x[:, w * window : (w + 1) * window]
        v = np.isfinite(xw).astype(np.float64)
        x0 = np.where(v > 0, xw, 0.0)
        cnt = v @ v.T
        sx = x0 @ v.T  # sum of x_i over samples where j is observed too
        sxx = (x0 * x0) @ v.T
        sxy = x0 @ x0.T
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = sxy - sx * sx.T / cnt
            vx = sxx - sx * sx / cnt
            vy = vx.T
            r = cov / np.sqrt(vx * vy)
        r = np.where(cnt >= 2, r, np.nan)
        # A flat trace in a window has no defined correlation: affinity 0, not NaN.
        r = np.where((cnt >= 2) & ((vx <= 1e-12) | (vy <= 1e-12)), 0.0, r)
        out[:, :, w] = np.clip(r, 0.0, 1.0)
    return out


def differential_affinity(
    traces: Any,
    kind: str | AffinityFn = "corise",
    window: int = 50,
) -> NDArray[np.float64]:
    """Windowed pairwise affinities ``A[i, j, τ] ≥ 0`` of one recording.

    Parameters
    ----------
    traces : neurotypes.Traces or array_like, shape (n_units, n_samples)
        ΔF/F traces; NaN marks missing samples, infinities are refused.
    kind : {"corise", "pearson_window", "paper"} or callable
        ``"corise"`` (stand-in for the paper's differential affinity, see module docstring),
        ``"pearson_window"``, ``"paper"`` (not implemented) or a callable ``f(data, window)``.
    window : int
        Non-overlapping window length in samples, >= 2 (the prototype used 50).

    Returns
    -------
    numpy.ndarray
        ``[N, N, T_w]`` float64, symmetric in ``(i, j)``, non-negative, zero diagonal; NaN where a pair has
        no jointly observed sample in a window.

    Raises
    ------
    ValueError
        Unknown ``kind``, window too short or longer than the recording, a unit with all samples missing.
    NotImplementedError
        ``kind="paper"``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(4, 201))
    >>> differential_affinity(x, window=50).shape
    (4, 4, 4)
    """
    x = _as_data(traces)
    if not callable(kind) and not isinstance(kind, str):
        raise TypeError(f"kind must be a string or a callable, got {type(kind).__name__}")
    if callable(kind):
        window = check_int("window", window, minimum=1)
        a = check_array("the affinity returned by kind", kind(x, window), allow_nan=True)
        n = x.shape[0]
        if a.ndim != 3 or a.shape[:2] != (n, n):
            raise ValueError(f"kind: a custom affinity must return [N, N, T_w] with N={n}, got {a.shape}")
        if np.any(a[np.isfinite(a)] < 0):
            raise ValueError("kind: a custom affinity must be non-negative")
        if not np.allclose(a, a.transpose(1, 0, 2), equal_nan=True):
            raise ValueError("kind: a custom affinity must be symmetric in (i, j)")
    elif kind == "paper":
        raise NotImplementedError(
            "kind='paper': the differential affinity equation of Dyballa et al. (ICLR 2024, §2) has not been "
            "transcribed yet; use kind='corise' (documented stand-in) or pass a callable"
        )
    elif kind in ("corise", "pearson_window"):
        window = _check_window(window, x.shape[1])
        all_nan = np.flatnonzero(np.all(~np.isfinite(x), axis=1))
        if all_nan.size:
            names = getattr(traces, "unit_ids", None)
            which = [names[i] for i in all_nan] if names else all_nan.tolist()
            raise ValueError(f"traces: units {which} are entirely NaN (no observed sample); drop them first")
        a = _corise(x, int(window)) if kind == "corise" else _pearson_window(x, int(window))
    else:
        raise ValueError(f"kind must be one of {', '.join(map(repr, _KINDS))} or a callable, got {kind!r}")
    idx = np.arange(a.shape[0])
    a[idx, idx, :] = 0.0
    return a
