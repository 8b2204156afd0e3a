"""Training under concept shift: the fast vectorised loop, the per-sample reference loop, and :func:`run`.

One step per minibatch (Man, Damasio & Neven 2022, released ``lrh.py`` / ``lrr.py``):

1. predict every sample of the batch with the current weights (prequential "online" accuracy);
2. at each decision time ``i`` inside the batch (``i % interval == 0``; ``lrh`` also needs ``i > n_memo``)
   regulate ``eta``: ``lrh`` looks ahead with the batch gradient accumulated up to sample ``i`` (with the
   paper's ``interval = m = 10`` that is the gradient of sample ``i`` alone) and scores "leave it" vs "take it"
   on the ``n_memo`` samples seen just before ``i`` (current labels); ``lrr`` flips a coin;
3. update ``W -= (eta / m) * sum_batch grad`` with the (possibly new) ``eta``; record ``eta``;
4. apply the label swaps that fall after this batch.

At the end of each epoch the validation accuracy is taken with the current (swapped) validation labels.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurotypes.validation import check_array, check_bool, check_choice, check_consistent_length, check_int

from .data import Dataset, load_dataset
from .mlp import MLPClassifier, MLPParams, backward, forward, lookahead_accuracy
from .regulation import MODES, HomeostaticSGD, Valence, default_valence
from .shift import LabelSwapStream, RateSchedule

__all__ = ["LearningCurve", "run", "train", "train_reference_loop"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LearningCurve:
    """A metric sampled at steps (epochs or minibatches)."""

    name: str
    steps: NDArray[np.float64]
    values: NDArray[np.float64]

    def tail_mean(self, n: int) -> float:
        """Mean of the last ``n`` values (the paper-style "last 10 epochs" summary)."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        return float(np.mean(self.values[-n:]))


def _one_hot(y: NDArray[np.int64], k: int) -> NDArray[np.float64]:
    out = np.zeros((y.size, k))
    out[np.arange(y.size), y] = 1.0
    return out


def _apply_update(params: MLPParams, acts: list[Any], deltas: list[Any], scale: float) -> None:
    for layer in range(len(params.W)):
        params.W[layer] -= scale * (deltas[layer].T @ acts[layer])
        params.b[layer] -= scale * deltas[layer].sum(axis=0)


def _decision_points(reg: HomeostaticSGD, start: int, m: int) -> list[int]:
    return [i for i in range(start, start + m) if reg.is_decision_time(i)]


def train(
    clf: MLPClassifier,
    stream: LabelSwapStream,
    regulator: HomeostaticSGD,
    X_val: NDArray[np.float64],
    y_val: NDArray[np.int64],
    epochs: int,
    progress: bool = False,
) -> dict[str, Any]:
    """Train ``clf`` on ``stream`` for ``epochs`` epochs, regulating ``eta`` with ``regulator`` (vectorised).

    Returns
    -------
    dict
        ``online_acc`` (epochs,), ``val_acc`` (epochs,), ``eta_trace`` (one value per minibatch),
        ``eta_epoch_mean`` (epochs,), ``n_decisions``, ``n_taken``, ``diverged``, ``shift`` (the
        :class:`~homeonet.shift.ConceptShiftSchedule`).
    """
    return _train(clf, stream, regulator, X_val, y_val, epochs, progress, vectorised=True)


def train_reference_loop(
    clf: MLPClassifier,
    stream: LabelSwapStream,
    regulator: HomeostaticSGD,
    X_val: NDArray[np.float64],
    y_val: NDArray[np.int64],
    epochs: int,
    progress: bool = False,
) -> dict[str, Any]:
    """Same algorithm as :func:`train`, written as the reference's per-sample Python loop with explicit
    weight copies for the look-ahead. Slow; kept as an independent check and as the benchmark baseline."""
    return _train(clf, stream, regulator, X_val, y_val, epochs, progress, vectorised=False)


def _train(
    clf: MLPClassifier,
    stream: LabelSwapStream,
    reg: HomeostaticSGD,
    X_val: NDArray[np.float64],
    y_val: NDArray[np.int64],
    epochs: int,
    progress: bool,
    vectorised: bool,
) -> dict[str, Any]:
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    k = stream.n_classes
    if not hasattr(clf, "params_"):
        clf.initialize(stream.X.shape[1], k)
    if clf.params_.W[0].shape[1] != stream.X.shape[1] or clf.params_.W[-1].shape[0] != k:
        raise ValueError("the classifier's input/output sizes do not match the stream's features/classes")
    X_val = np.asarray(X_val, dtype=np.float64)
    y_val = np.asarray(y_val, dtype=np.int64)
    if X_val.ndim != 2 or X_val.shape[1] != stream.X.shape[1] or y_val.shape != (X_val.shape[0],):
        raise ValueError("X_val must be (n_val, n_features) with one label per row in y_val")
    if y_val.size and (y_val.min() < 0 or y_val.max() >= k):
        raise ValueError(f"y_val labels must lie in 0..{k - 1} (the stream's classes)")
    reg.bind(k)
    params = clf.params_
    m = stream.batch_size
    online = np.zeros(epochs)
    val = np.zeros(epochs)
    eta_trace: list[float] = []

    from threadpoolctl import threadpool_limits
    from tqdm.auto import tqdm

    # The per-batch matrices are tiny: BLAS worker threads only add hand-off cost (and stall badly on a
    # loaded machine), so the loop runs single-threaded; the previous limits are restored afterwards.
    with (
        threadpool_limits(limits=1, user_api="blas"),
        np.errstate(over="ignore", invalid="ignore", divide="ignore"),
    ):
        for e in tqdm(range(epochs), disable=not progress, desc=f"homeonet {reg.mode}", leave=False):
            correct = 0
            seen = 0
            for batch in stream.epoch():
                order = stream.order_
                if vectorised:
                    zs, acts = forward(params, batch.X)
                    pred = zs[-1].argmax(axis=1)
                    deltas = backward(params, zs, acts, _one_hot(batch.y, k))
                    for i in _decision_points(reg, batch.start, m):
                        r = i - batch.start
                        if reg.mode == "lrr":
                            reg.decide_lrr(int(batch.y[r]))
                            continue
                        memo = order[i - reg.n_memo : i]
                        c = np.array(reg.candidates(int(pred[r]))) / m
                        acc = lookahead_accuracy(
                            params, acts, deltas, slice(0, r + 1), c, stream.X[memo], stream.labels(memo)
                        )
                        reg.decide_lrh(float(acc[0]), float(acc[1]), int(batch.y[r]))
                    _apply_update(params, acts, deltas, reg.eta / m)
                else:
                    pred, grads = _per_sample_batch(params, batch, k, reg, stream, order, m)
                    for layer in range(len(params.W)):
                        params.W[layer] -= reg.eta / m * grads[0][layer]
                        params.b[layer] -= reg.eta / m * grads[1][layer]
                correct += int(np.sum(pred == batch.y))
                seen += batch.y.size
                eta_trace.append(reg.eta)
            online[e] = correct / seen
            val[e] = float(np.mean(forward(params, X_val)[0][-1].argmax(axis=1) == stream.map_labels(y_val)))
            log.debug("epoch %d: online %.3f val %.3f eta %.4g", e, online[e], val[e], reg.eta)
    trace = np.asarray(eta_trace)
    nb = stream.n_batches
    return {
        "mode": reg.mode,
        "online_acc": online,
        "val_acc": val,
        "eta_trace": trace,
        "eta_epoch_mean": trace.reshape(epochs, nb).mean(axis=1),
        "n_decisions": reg.n_decisions_,
        "n_taken": reg.n_taken_,
        "diverged": not all(np.all(np.isfinite(w)) for w in params.W),
        "shift": stream.shift_schedule,
        "online_curve": LearningCurve("online_acc", np.arange(1.0, epochs + 1), online),
        "eta_curve": LearningCurve("eta", np.arange(1.0, trace.size + 1) / nb, trace),
    }


def _per_sample_batch(
    params: MLPParams,
    batch: Any,
    k: int,
    reg: HomeostaticSGD,
    stream: LabelSwapStream,
    order: NDArray[np.int64],
    m: int,
) -> tuple[NDArray[np.int64], tuple[list[Any], list[Any]]]:
    """The reference's inner loop: one sample at a time, accumulating gradients, explicit look-ahead copies."""
    gW = [np.zeros_like(w) for w in params.W]
    gb = [np.zeros_like(v) for v in params.b]
    preds = np.zeros(batch.y.size, dtype=np.int64)

    def predict_one(P: MLPParams, x: NDArray[np.float64]) -> int:
        return int(forward(P, x[None, :])[0][-1][0].argmax())

    for r in range(batch.y.size):
        x = batch.X[r]
        zs, acts = forward(params, x[None, :])
        preds[r] = int(zs[-1][0].argmax())
        deltas = backward(params, zs, acts, _one_hot(batch.y[r : r + 1], k))
        for layer in range(len(params.W)):
            gW[layer] += np.outer(deltas[layer][0], acts[layer][0])
            gb[layer] += deltas[layer][0]
        i = batch.start + r
        if not reg.is_decision_time(i):
            continue
        if reg.mode == "lrr":
            reg.decide_lrr(int(batch.y[r]))
            continue
        memo = order[i - reg.n_memo : i]
        accs = []
        for lr in reg.candidates(int(preds[r])):
            sim = MLPParams(
                [w - lr / m * g for w, g in zip(params.W, gW, strict=True)],
                [v - lr / m * g for v, g in zip(params.b, gb, strict=True)],
                params.act,
            )
            hits = sum(predict_one(sim, stream.X[s]) == int(stream.labels(np.array([s]))[0]) for s in memo)
            accs.append(hits / reg.n_memo)
        reg.decide_lrh(accs[0], accs[1], int(batch.y[r]))
    return preds, (gW, gb)


def run(
    mode: str = "lrh",
    dataset: str | Dataset = "digits",
    swaps_per_epoch: float = 0,
    epochs: int = 30,
    eta0: float = 0.05,
    seed: int = 0,
    *,
    schedule: RateSchedule | None = None,
    delta: float | None = None,
    sizes: Sequence[int] = (80, 60),
    batch_size: int = 10,
    interval: int = 10,
    n_memo: int = 20,
    valence: Valence = default_valence,
    root: str | None = None,
    reference_loop: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """One seeded run of a learner under concept shift.

    Parameters
    ----------
    mode : {"lrh", "lrr", "lrc"}
        Homeostatic, random or constant learning rate.
    dataset : str or tuple
        ``"digits"`` (default), ``"templates"``, ``"mnist"`` / ``"fashion-mnist"`` (with ``root``), or
        ``(X_train, y_train, X_val, y_val)``.
    swaps_per_epoch : float
        Label swaps per epoch (constant rate); ``schedule`` overrides it with per-epoch rates.
    epochs, eta0, seed
        Epochs, initial learning rate, seed (initialisation, shuffles, swaps and ``lrr`` coins each get an
        independent stream spawned from it).
    delta : float, optional
        Step of ``eta``; default ``eta0 / 10``.
    sizes : tuple of int
        Hidden layer widths.
    batch_size, interval, n_memo : int
        ``m``, the decision interval and the look-ahead memory (paper: 10, 10, 20).
    valence : callable or sequence
        Label -> +1 / -1 / 0 (default: 5-9 excitatory, 0-4 inhibitory). Must cover every class.
    reference_loop : bool
        Use the slow per-sample loop instead of the vectorised one (identical algorithm).

    Returns
    -------
    dict
        See :func:`train`; also ``params`` (this call's settings).
    """
    check_choice("mode", mode, MODES)
    seed = check_int("seed", seed, minimum=0)
    epochs = check_int("epochs", epochs, minimum=1)
    check_bool("reference_loop", reference_loop)
    check_bool("progress", progress)
    arrays: tuple[Any, ...]
    if isinstance(dataset, str):
        arrays = load_dataset(dataset, root=root, seed=seed)
    else:
        if not isinstance(dataset, tuple | list) or len(dataset) != 4:
            raise ValueError("dataset must be a name or a tuple (X_train, y_train, X_val, y_val)")
        arrays = tuple(dataset)
    Xtr = check_array("X_train", arrays[0], ndim=2, min_size=1)
    ytr = check_array("y_train", arrays[1], ndim=1, dtype="int", nonnegative=True, min_size=1)
    Xva = check_array("X_val", arrays[2], ndim=2, shape=(None, Xtr.shape[1]))
    yva = check_array("y_val", arrays[3], ndim=1, dtype="int", nonnegative=True)
    check_consistent_length(X_train=Xtr, y_train=ytr)
    check_consistent_length(X_val=Xva, y_val=yva)
    n_classes = int(max(ytr.max(), yva.max() if yva.size else 0)) + 1
    if n_classes < 2:
        raise ValueError("y_train must hold at least two classes (labels 0 and 1 at least)")
    ss = np.random.SeedSequence(seed)
    s_init, s_stream, s_reg = ss.spawn(3)
    reg = HomeostaticSGD(eta0, delta, interval, n_memo, valence, mode, np.random.default_rng(s_reg))
    reg.bind(n_classes)  # fail early if the valence does not cover the labels
    stream = LabelSwapStream(
        Xtr, ytr, swaps_per_epoch, schedule, batch_size, n_classes, np.random.default_rng(s_stream)
    )
    clf = MLPClassifier(sizes, "elu", np.random.default_rng(s_init)).initialize(Xtr.shape[1], n_classes)
    fn = train_reference_loop if reference_loop else train
    out = fn(clf, stream, reg, Xva, yva, epochs, progress)
    out["params"] = {
        "mode": mode,
        "dataset": dataset if isinstance(dataset, str) else "arrays",
        "swaps_per_epoch": swaps_per_epoch,
        "schedule": None if schedule is None else "custom",
        "epochs": epochs,
        "eta0": eta0,
        "delta": reg.delta,
        "seed": seed,
        "sizes": tuple(sizes),
        "batch_size": batch_size,
        "interval": interval,
        "n_memo": n_memo,
    }
    out["model"] = clf
    return out
