"""The learning-rate regulator: valence, decision rule (spec test 6), floor, bad input."""

import numpy as np
import pytest

from homeonet import ETA_FLOOR, HomeostaticSGD, default_valence, valence_vector


def test_default_valence_splits_0_4_and_5_9():
    assert [default_valence(c) for c in range(10)] == [-1] * 5 + [1] * 5
    np.testing.assert_array_equal(valence_vector(default_valence, 10), [-1] * 5 + [1] * 5)


def test_lrh_take_moves_eta_by_true_label_not_prediction():
    reg = HomeostaticSGD(eta0=0.05, mode="lrh").bind(10)
    assert reg.delta == pytest.approx(0.005)
    # the look-ahead uses the predicted class: predicted 7 -> "take it" simulates eta + delta
    assert reg.candidates(7) == pytest.approx((0.05, 0.055))
    assert reg.candidates(2) == pytest.approx((0.05, 0.045))
    # predicted 7 but true label 2: taking it *lowers* eta (the vulnerable coupling)
    assert reg.decide_lrh(acc_leave=0.5, acc_take=0.55, true_label=2) is True
    assert reg.eta == pytest.approx(0.045)
    assert reg.decide_lrh(acc_leave=0.5, acc_take=0.55, true_label=9) is True
    assert reg.eta == pytest.approx(0.05)
    assert (reg.n_decisions_, reg.n_taken_) == (2, 2)


def test_lrh_tie_or_worse_leaves_eta():
    reg = HomeostaticSGD(eta0=0.05, mode="lrh").bind(10)
    assert reg.decide_lrh(0.6, 0.6, 9) is False
    assert reg.decide_lrh(0.6, 0.55, 9) is False
    assert reg.eta == 0.05
    assert (reg.n_decisions_, reg.n_taken_) == (2, 0)


def test_eta_is_floored_and_unbounded_above():
    reg = HomeostaticSGD(eta0=0.01, delta=0.004, mode="lrh").bind(10)
    for _ in range(5):
        reg.decide_lrh(0.0, 1.0, 0)
    assert reg.eta == ETA_FLOOR
    assert reg.candidates(1)[1] == ETA_FLOOR
    for _ in range(1000):
        reg.decide_lrh(0.0, 1.0, 9)
    assert reg.eta == pytest.approx(ETA_FLOOR + 4.0)


def test_decision_times():
    lrh = HomeostaticSGD(mode="lrh")
    assert [i for i in range(60) if lrh.is_decision_time(i)] == [30, 40, 50]
    lrr = HomeostaticSGD(mode="lrr")
    assert [i for i in range(60) if lrr.is_decision_time(i)] == [10, 20, 30, 40, 50]
    lrc = HomeostaticSGD(mode="lrc")
    assert not any(lrc.is_decision_time(i) for i in range(100))


def test_lrr_moves_half_the_time_by_the_true_label():
    reg = HomeostaticSGD(eta0=1.0, delta=0.001, mode="lrr", rng=3).bind(10)
    n = 4000
    moved = sum(reg.decide_lrr(7) for _ in range(n))
    # binomial(4000, 1/2): 5 sigma is about 160
    assert abs(moved - n / 2) < 160
    assert reg.eta == pytest.approx(1.0 + 0.001 * moved)


def test_lrr_is_seeded():
    a = HomeostaticSGD(mode="lrr", rng=11).bind(10)
    b = HomeostaticSGD(mode="lrr", rng=11).bind(10)
    assert [a.decide_lrr(i % 10) for i in range(200)] == [b.decide_lrr(i % 10) for i in range(200)]


def test_valence_table_must_match_labels():
    with pytest.raises(ValueError, match="one entry per class"):
        valence_vector([1, -1, 1], 10)
    with pytest.raises(ValueError, match=r"label\(s\) \[1\] map to"):
        valence_vector([1, 2, -1], 3)
    with pytest.raises(ValueError, match="valence function failed on the labels"):
        valence_vector({0: 1, 1: -1}.__getitem__, 3)
    with pytest.raises(TypeError, match="integers"):
        valence_vector([0.5, 1.0], 2)
    with pytest.raises(ValueError, match="label 12 is outside"):
        HomeostaticSGD().bind(10).valence_of(12)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"eta0": -0.1}, ValueError, "eta0 must be finite and > 0"),
        ({"eta0": 0.0}, ValueError, "eta0 must be finite and > 0"),
        ({"eta0": float("nan")}, ValueError, "eta0 must be finite"),
        ({"eta0": "0.1"}, TypeError, "eta0 must be a real number"),
        ({"delta": -1e-3}, ValueError, "delta must be finite and >= 0"),
        ({"interval": 0}, ValueError, "interval must be an integer >= 1"),
        ({"n_memo": 2.5}, ValueError, "n_memo must be an integer >= 1"),
        ({"mode": "adam"}, ValueError, "mode must be one of"),
        ({"valence": "up"}, TypeError, "valence must be a callable"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        HomeostaticSGD(**kwargs)
