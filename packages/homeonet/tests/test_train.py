"""Training under shift: vectorised vs per-sample loop, determinism, and the spec's behavioural tests."""

import functools

import numpy as np
import pytest

from homeonet import run
from homeonet.data import digits


@functools.cache
def _run(mode: str, S: float, eta0: float, seed: int, epochs: int = 30):
    return run(mode=mode, swaps_per_epoch=S, epochs=epochs, eta0=eta0, seed=seed)


def _mean(key, mode, S, eta0, seeds, tail=10):
    vals = []
    for s in seeds:
        r = _run(mode, S, eta0, s)
        vals.append(r[key][-tail:].mean() if key == "online_acc" else r[key][-1])
    return float(np.mean(vals))


@pytest.mark.parametrize(
    ("mode", "S", "interval"), [("lrh", 5, 10), ("lrr", 5, 10), ("lrh", 3, 5), ("lrc", 2, 10)]
)
def test_vectorised_equals_per_sample_reference_loop(mode, S, interval):
    kw = {"mode": mode, "swaps_per_epoch": S, "epochs": 2, "eta0": 0.05, "seed": 7, "interval": interval}
    a = run(**kw)
    b = run(**kw, reference_loop=True)
    np.testing.assert_array_equal(a["eta_trace"], b["eta_trace"])
    np.testing.assert_array_equal(a["online_acc"], b["online_acc"])
    np.testing.assert_array_equal(a["val_acc"], b["val_acc"])
    assert a["n_taken"] == b["n_taken"]
    for wa, wb in zip(a["model"].params_.W, b["model"].params_.W, strict=True):
        np.testing.assert_allclose(wa, wb, rtol=0, atol=1e-12)
    if mode == "lrh":
        assert a["n_decisions"] > 0


def test_determinism_same_seed_same_everything():
    a = run(mode="lrh", swaps_per_epoch=5, epochs=3, eta0=0.05, seed=3)
    b = run(mode="lrh", swaps_per_epoch=5, epochs=3, eta0=0.05, seed=3)
    c = run(mode="lrh", swaps_per_epoch=5, epochs=3, eta0=0.05, seed=4)
    np.testing.assert_array_equal(a["eta_trace"], b["eta_trace"])
    np.testing.assert_array_equal(a["online_acc"], b["online_acc"])
    np.testing.assert_array_equal(a["val_acc"], b["val_acc"])
    assert a["shift"] == b["shift"]
    assert a["shift"] != c["shift"]


def test_run_records_shape_and_swap_count():
    r = run(mode="lrh", swaps_per_epoch=2, epochs=3, eta0=0.05, seed=0)
    assert r["online_acc"].shape == (3,)
    assert r["val_acc"].shape == (3,)
    assert r["eta_trace"].shape == (3 * 143,)  # 1437 // 10 minibatches per epoch
    np.testing.assert_array_equal(r["shift"].swaps_per_epoch(3), [2, 2, 2])
    assert r["online_curve"].tail_mean(2) == pytest.approx(r["online_acc"][-2:].mean())
    # lrh: one decision per batch once i > n_memo = 20, i.e. at i = 30, 40, ..., 1420
    assert r["n_decisions"] == 3 * 140


def test_no_shift_sanity():
    """Spec test 1: LRC, eta0 = 0.05, 30 epochs, seeds 0-3."""
    seeds = range(4)
    assert _mean("online_acc", "lrc", 0, 0.05, seeds) >= 0.99
    assert _mean("val_acc", "lrc", 0, 0.05, seeds) >= 0.96


def test_shift_hurts():
    """Spec test 2."""
    seeds = range(4)
    a0 = _mean("online_acc", "lrc", 0, 0.05, seeds)
    assert _mean("online_acc", "lrc", 2, 0.05, seeds) <= a0 - 0.08
    assert _mean("online_acc", "lrc", 40, 0.05, seeds) < 0.35


def test_lrr_eta_drifts_upward():
    """Spec test 4: with balanced valences eta is a random walk reflected at the floor; it drifts above eta0."""
    etas = [_run("lrr", 0, 0.05, s)["eta_trace"][-1] for s in range(4)]
    assert np.mean(etas) > 0.05
    # increments are 0 or +-delta (or a floor clip), never anything else
    tr = np.concatenate([[0.05], _run("lrr", 0, 0.05, 0)["eta_trace"]])
    d = np.diff(tr)
    ok = np.isclose(d, 0) | np.isclose(np.abs(d), 0.005) | (tr[1:] == 1e-8) | (tr[:-1] == 1e-8)
    assert ok.all()


def test_homeostatic_accuracy_not_below_constant_under_shift():
    """Spec test 7 (accuracy): eta0 = 0.01, seeds 0-2: LRH online accuracy at S = 10 >= LRC's."""
    seeds = range(3)
    assert _mean("online_acc", "lrh", 10, 0.01, seeds) >= _mean("online_acc", "lrc", 10, 0.01, seeds)


def test_run_accepts_arrays_and_schedules():
    Xtr, ytr, Xva, yva = digits()
    r = run(mode="lrr", dataset=(Xtr[:300], ytr[:300], Xva, yva), schedule=[0, 3], epochs=2, seed=1)
    np.testing.assert_array_equal(r["shift"].swaps_per_epoch(2), [0, 3])
    r = run(mode="lrc", dataset="templates", epochs=1, seed=1)
    assert r["online_acc"].shape == (1,)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"mode": "sgd"}, ValueError, "mode must be one of"),
        ({"swaps_per_epoch": -2}, ValueError, "swaps_per_epoch must be a finite number"),
        ({"eta0": -1.0}, ValueError, "eta0 must be finite and > 0"),
        ({"epochs": 0}, ValueError, "epochs must be positive"),
        ({"valence": [1, -1, 1, -1, 1]}, ValueError, r"one entry per class \(n_classes=10\)"),
        ({"valence": lambda y: {0: -1, 1: 1}[y]}, ValueError, "valence function failed on the labels 0..9"),
        ({"dataset": (np.zeros((3, 2)),)}, ValueError, "dataset must be a name or a tuple"),
        ({"dataset": "mnist"}, ValueError, "needs root="),
    ],
)
def test_run_bad_input(kwargs, exc, match):
    base = {"epochs": 1}
    base.update(kwargs)
    with pytest.raises(exc, match=match):
        run(**base)


def test_lrh_decision_rule_inside_the_training_loop(monkeypatch):
    """Spec test 6 end to end: with a look-ahead forced to favour "take it", eta follows the true labels of the
    decision samples; with a forced tie it never moves; the "take it" candidate uses the predicted class."""
    import homeonet.train as tmod
    from homeonet import HomeostaticSGD, LabelSwapStream, MLPClassifier
    from homeonet.train import train

    Xtr, ytr, Xva, yva = digits()
    Xtr, ytr = Xtr[:200], ytr[:200]
    seen = []
    real = tmod.lookahead_accuracy

    def forced(result):
        def fake(params, acts, deltas, rows, coefs, X_memo, y_memo):
            seen.append((np.array(coefs), acts[-1][rows.stop - 1].argmax()))
            real(params, acts, deltas, rows, coefs, X_memo, y_memo)
            return np.array(result)

        return fake

    # take always: eta = eta0 + delta * sum of valences of the (current) true labels at i = 30, 40, ..., 190
    monkeypatch.setattr(tmod, "lookahead_accuracy", forced([0.5, 0.55]))
    stream = LabelSwapStream(Xtr, ytr, swaps_per_epoch=0, rng=1)
    reg = HomeostaticSGD(eta0=1.0, delta=0.01, mode="lrh")
    out = train(MLPClassifier(seed=0), stream, reg, Xva, yva, 1)
    true = stream.labels(stream.order_[30:200:10])
    expected = 1.0 + 0.01 * np.sum(np.where(true >= 5, 1, -1))
    assert out["eta_trace"][-1] == pytest.approx(expected)
    assert reg.n_taken_ == reg.n_decisions_ == 17
    # the look-ahead's "take it" rate follows the *predicted* class of the decision sample
    eta = 1.0
    for (coefs, pred), lab in zip(seen, true, strict=True):
        assert coefs[0] == pytest.approx(eta / 10)
        assert coefs[1] == pytest.approx((eta + 0.01 * (1 if pred >= 5 else -1)) / 10)
        eta += 0.01 * (1 if lab >= 5 else -1)
    # a tie never moves eta
    monkeypatch.setattr(tmod, "lookahead_accuracy", forced([0.6, 0.6]))
    reg = HomeostaticSGD(eta0=1.0, delta=0.01, mode="lrh")
    out = train(MLPClassifier(seed=0), LabelSwapStream(Xtr, ytr, rng=1), reg, Xva, yva, 1)
    assert np.all(out["eta_trace"] == 1.0)
    assert reg.n_taken_ == 0
