"""The learner: a small numpy multilayer perceptron, vectorised over samples.

Man, Damasio & Neven (2022) use a 784-80-60-10 network (64-80-60-10 on sklearn digits) with ELU hidden
units (alpha = 1), a softmax output trained on the cross-entropy gradient ``a_out - y``, He-normal weights
and biases drawn from N(0, 1), updated by plain minibatch SGD ``W -= (eta / m) * sum_batch grad``.

Samples are rows here (``X`` has shape ``(n, d)``); a layer holds ``W`` of shape ``(out, in)`` and ``b`` of
shape ``(out,)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from neurotypes.validation import check_array, check_choice, check_int, check_rng

__all__ = [
    "MLPClassifier",
    "MLPParams",
    "backward",
    "elu",
    "elu_derivative",
    "forward",
    "init_params",
    "lookahead_accuracy",
    "softmax",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_ACTIVATIONS = ("elu", "relu", "tanh")


def elu(x: FloatArray, alpha: float = 1.0) -> FloatArray:
    """Exponential linear unit ``x`` for ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    if alpha == 1.0:
        # expm1(x) >= x for every x, so max(x, expm1(min(x, 0))) is x above zero and expm1(x) below
        out: FloatArray = np.maximum(x, np.expm1(np.minimum(x, 0.0)))
        return out
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))
    return out


def elu_derivative(x: FloatArray, alpha: float = 1.0) -> FloatArray:
    """Derivative of :func:`elu`: ``1`` for ``x > 0`` else ``alpha * exp(x)``."""
    if alpha == 1.0:
        out: FloatArray = np.exp(np.minimum(x, 0.0))  # exp(0) = 1 above zero
        return out
    out = np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))
    return out


def _act(x: FloatArray, act: str) -> FloatArray:
    if act == "elu":
        return elu(x)
    if act == "relu":
        return np.maximum(x, 0.0)
    return np.tanh(x)


def _act_derivative(z: FloatArray, act: str) -> FloatArray:
    if act == "elu":
        return elu_derivative(z)
    if act == "relu":
        return (z > 0).astype(np.float64)
    return 1.0 - np.tanh(z) ** 2


def softmax(z: FloatArray) -> FloatArray:
    """Row-wise softmax, shifted by the row maximum for stability."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    out: FloatArray = e / e.sum(axis=-1, keepdims=True)
    return out


@dataclass
class MLPParams:
    """Weights ``W[l]`` (out, in) and biases ``b[l]`` (out,) of each layer, plus the hidden activation."""

    W: list[FloatArray]
    b: list[FloatArray]
    act: str = "elu"

    def copy(self) -> MLPParams:
        return MLPParams([w.copy() for w in self.W], [v.copy() for v in self.b], self.act)


def init_params(
    sizes: Sequence[int], rng: np.random.Generator | int | None = None, act: str = "elu"
) -> MLPParams:
    """He-normal weights ``N(0, 2 / fan_in)`` and ``N(0, 1)`` biases, as in the paper's code.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths including input and output, e.g. ``(64, 80, 60, 10)``.
    rng : Generator or int, optional
        Source of randomness.
    act : {"elu", "relu", "tanh"}
        Hidden activation.
    """
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence | np.ndarray):
        raise TypeError(f"sizes must be a sequence of layer widths, got {type(sizes).__name__}")
    sizes = tuple(check_int(f"sizes[{i}]", s, minimum=1) for i, s in enumerate(sizes))
    if len(sizes) < 2:
        raise ValueError(f"sizes must hold at least two positive layer widths, got {sizes}")
    check_choice("act", act, _ACTIVATIONS)
    gen = check_rng(rng, "rng")
    W = [gen.standard_normal((o, i)) * np.sqrt(2.0 / i) for i, o in itertools.pairwise(sizes)]
    b = [gen.standard_normal(o) for o in sizes[1:]]
    return MLPParams(W, b, act)


def forward(params: MLPParams, X: NDArray[np.floating]) -> tuple[list[FloatArray], list[FloatArray]]:
    """Forward pass over the rows of ``X``.

    Returns
    -------
    zs : list of arrays
        Pre-activations of every layer (the last is the logits).
    activations : list of arrays
        ``[X, a_1, ..., a_L]``; the last entry is the softmax output.
    """
    acts: list[FloatArray] = [np.asarray(X, dtype=np.float64)]
    zs = []
    n_layers = len(params.W)
    for layer, (W, b) in enumerate(zip(params.W, params.b, strict=True)):
        z = acts[-1] @ W.T + b
        zs.append(z)
        acts.append(softmax(z) if layer == n_layers - 1 else _act(z, params.act))
    return zs, acts


def backward(
    params: MLPParams, zs: list[FloatArray], acts: list[FloatArray], Y: FloatArray
) -> list[FloatArray]:
    """Per-sample error signals ``delta_l = dL/dz_l`` for cross-entropy with one-hot targets ``Y``.

    The output error is ``a_L - y``; hidden errors are ``(delta_{l+1} @ W_{l+1}) * f'(z_l)``. The gradient
    of layer ``l`` summed over samples is ``delta_l.T @ a_{l-1}`` (weights) and ``delta_l.sum(0)`` (bias).
    """
    deltas = [acts[-1] - Y]
    for layer in range(len(params.W) - 1, 0, -1):
        deltas.append((deltas[-1] @ params.W[layer]) * _act_derivative(zs[layer - 1], params.act))
    deltas.reverse()
    return deltas


def lookahead_accuracy(
    params: MLPParams,
    acts: list[FloatArray],
    deltas: list[FloatArray],
    rows: slice,
    coefs: Sequence[float] | NDArray[np.floating],
    X_memo: NDArray[np.floating],
    y_memo: NDArray[np.integer],
) -> FloatArray:
    """Accuracy on memory samples after hypothetical updates ``W - c * G`` for each ``c`` in ``coefs``.

    ``G`` is the gradient summed over the samples ``rows`` of a batch whose activations ``acts`` and errors
    ``deltas`` are given. The update is never materialised: for a layer with input rows ``H``,
    ``H @ (W - c E^T A)^T + (b - c 1^T E) = H @ W^T + b - c (H @ A^T + 1) @ E`` (``E = deltas[rows]``,
    ``A = acts[rows]``), so every candidate coefficient is evaluated in one stacked pass.

    Returns
    -------
    ndarray of shape (len(coefs),)
        Fraction of ``X_memo`` rows whose argmax prediction equals ``y_memo`` under each candidate.
    """
    if not isinstance(params, MLPParams):
        raise TypeError(f"params must be MLPParams, got {type(params).__name__}")
    if not isinstance(rows, slice):
        raise TypeError(f"rows must be a slice of the batch, got {type(rows).__name__}")
    c = check_array("coefs", coefs, ndim=1, min_size=1)
    h: FloatArray = check_array("X_memo", X_memo, ndim=2, shape=(None, params.W[0].shape[1]), min_size=1)
    y_memo = check_array("y_memo", y_memo, ndim=1, dtype="int", shape=(h.shape[0],))
    if len(acts) != len(params.W) + 1 or len(deltas) != len(params.W):
        raise ValueError("acts must hold len(params.W) + 1 arrays and deltas len(params.W) arrays")
    k, n = c.size, h.shape[0]
    shared_input = True
    n_layers = len(params.W)
    for layer in range(n_layers):
        A = acts[layer][rows]
        E = deltas[layer][rows]
        base = h @ params.W[layer].T + params.b[layer]
        corr = (h @ A.T + 1.0) @ E
        if shared_input:
            z = base[None, :, :] - c[:, None, None] * corr[None, :, :]
            shared_input = False
        else:
            z = (base - np.repeat(c, n)[:, None] * corr).reshape(k, n, -1)
        if layer == n_layers - 1:
            pred = z.argmax(axis=-1)
            return np.asarray((pred == y_memo[None, :]).mean(axis=1), dtype=np.float64)
        h = _act(z, params.act).reshape(k * n, -1)
    raise AssertionError("unreachable")  # pragma: no cover


class MLPClassifier:
    """Pure-numpy MLP classifier (the paper's learner), scikit-learn shaped.

    Parameters
    ----------
    sizes : tuple of int
        Hidden layer widths; the paper uses ``(80, 60)``.
    act : {"elu", "relu", "tanh"}
        Hidden activation; the paper uses ELU with ``alpha = 1``.
    seed : int or Generator, optional
        Seed for the He-normal / N(0, 1) initialisation.

    Attributes
    ----------
    params_ : MLPParams
        Set by :meth:`initialize` (or by :func:`homeonet.run`).
    classes_ : int
        Number of output classes.
    """

    def __init__(
        self, sizes: Sequence[int] = (80, 60), act: str = "elu", seed: int | np.random.Generator | None = 0
    ) -> None:
        if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence):
            raise TypeError(f"sizes must be a sequence of hidden widths, got {type(sizes).__name__}")
        self.sizes = tuple(check_int(f"sizes[{i}]", s, minimum=1) for i, s in enumerate(sizes))
        self.act = check_choice("act", act, _ACTIVATIONS)
        if seed is not None and not isinstance(seed, np.random.Generator):
            check_int("seed", seed, minimum=0)
        self.seed = seed

    def initialize(self, n_features: int, n_classes: int) -> MLPClassifier:
        """Draw fresh parameters for ``n_features`` inputs and ``n_classes`` outputs; returns ``self``."""
        n_features = check_int("n_features", n_features, minimum=1)
        n_classes = check_int("n_classes", n_classes, minimum=2)
        self.params_ = init_params((n_features, *self.sizes, n_classes), self.seed, self.act)
        self.classes_ = int(n_classes)
        return self

    def _check(self, X: FloatArray) -> FloatArray:
        if not hasattr(self, "params_"):
            raise RuntimeError("MLPClassifier is not initialised: call initialize() or fit first")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.params_.W[0].shape[1]:
            raise ValueError(f"X must have shape (n, {self.params_.W[0].shape[1]}), got {X.shape}")
        return X

    def predict_proba(self, X: FloatArray) -> FloatArray:
        """Softmax class probabilities, shape ``(n, n_classes)``."""
        X = self._check(X)
        return forward(self.params_, X)[1][-1]

    def predict(self, X: FloatArray) -> IntArray:
        """Most probable class of each row."""
        X = self._check(X)
        return np.asarray(forward(self.params_, X)[0][-1].argmax(axis=1), dtype=np.int64)

    def score(self, X: FloatArray, y: NDArray[np.integer]) -> float:
        """Fraction of rows of ``X`` classified as ``y``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))
