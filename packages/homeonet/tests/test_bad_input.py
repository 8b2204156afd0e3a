"""Bad input at the boundary of every public function: a ValueError/TypeError naming the argument, never a
plausible wrong result (issue 23: NaN used to become -9.2e18 swaps in ``swaps_after_batches``)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import homeonet
from homeonet import (
    HomeostaticSGD,
    LabelSwapStream,
    MLPClassifier,
    digits,
    init_params,
    load_file,
    resolve_rates,
    run,
    seasonal_rates,
    swaps_after_batches,
    synthetic_templates,
    valence_vector,
)

ERRORS = (ValueError, TypeError)
bad_reals = st.sampled_from([float("nan"), float("inf"), -float("inf"), -1.0, -1e-9])
non_numbers = st.sampled_from(["1", None, [1.0], object(), b"x"])
bad_counts = st.one_of(st.integers(max_value=0), st.sampled_from([1.5, float("nan"), "3", None, True]))
FAST = settings(max_examples=25, deadline=None)


@FAST
@given(bad=bad_reals, pos=st.integers(0, 3), n=st.integers(1, 20))
def test_swaps_after_batches_refuses_bad_rates(bad, pos, n):
    rates = [1.0, 2.0, 0.5, 3.0]
    rates[pos] = bad
    with pytest.raises(ValueError, match="rates"):
        swaps_after_batches(rates, n)


@FAST
@given(n=bad_counts)
def test_swaps_after_batches_refuses_bad_batch_counts(n):
    with pytest.raises(ERRORS, match="n_batches"):
        swaps_after_batches([1.0], n)


@FAST
@given(bad=st.one_of(bad_reals, non_numbers))
def test_rates_and_schedules(bad):
    with pytest.raises(ERRORS, match="swaps_per_epoch"):
        resolve_rates(bad, None, 3)
    with pytest.raises(ERRORS, match=r"schedule\[1\]"):
        resolve_rates(0, [1.0, bad, 1.0], 3)
    with pytest.raises(ERRORS, match="high"):
        seasonal_rates(10, high=bad)


@FAST
@given(epochs=bad_counts)
def test_seasonal_rates_epochs(epochs):
    with pytest.raises(ERRORS, match="epochs"):
        seasonal_rates(epochs)


@FAST
@given(bad=st.one_of(bad_reals, st.just(0.0), non_numbers))
def test_regulator_eta0(bad):
    with pytest.raises(ERRORS, match="eta0"):
        HomeostaticSGD(eta0=bad)


@FAST
@given(n=bad_counts)
def test_regulator_counts(n):
    with pytest.raises(ERRORS, match="interval"):
        HomeostaticSGD(interval=n)
    with pytest.raises(ERRORS, match="n_memo"):
        HomeostaticSGD(n_memo=n)


@FAST
@given(v=st.sampled_from([2, -2, 0.5, float("nan")]))
def test_valence_values(v):
    with pytest.raises(ERRORS, match="valence"):
        valence_vector([1, -1, v], 3)


@FAST
@given(bad=bad_reals, row=st.integers(0, 9), col=st.integers(0, 3))
def test_stream_refuses_non_finite_or_mismatched_data(bad, row, col):
    X = np.ones((10, 4))
    y = np.arange(10) % 2
    if np.isfinite(bad):
        with pytest.raises(ValueError, match="y"):
            LabelSwapStream(X, y[:-1])
    else:
        X[row, col] = bad
        with pytest.raises(ValueError, match="X"):
            LabelSwapStream(X, y)


@FAST
@given(size=st.one_of(st.integers(max_value=0), st.sampled_from([1.5, "8", None])))
def test_network_sizes(size):
    with pytest.raises(ERRORS, match="sizes"):
        init_params((4, size, 2), 0)
    with pytest.raises(ERRORS, match="sizes"):
        MLPClassifier(sizes=(size,))


@FAST
@given(bad=bad_reals, row=st.integers(0, 19))
def test_run_refuses_nan_data_and_bad_numbers(bad, row):
    rng = np.random.default_rng(0)
    X = rng.random((20, 3))
    y = np.arange(20) % 2
    if not np.isfinite(bad):
        Xb = X.copy()
        Xb[row, 0] = bad
        with pytest.raises(ValueError, match="X_train"):
            run(mode="lrc", dataset=(Xb, y, X, y), epochs=1)
    with pytest.raises(ERRORS, match="eta0"):
        run(mode="lrc", dataset=(X, y, X, y), epochs=1, eta0=bad)
    with pytest.raises(ERRORS, match="swaps_per_epoch"):
        run(mode="lrc", dataset=(X, y, X, y), epochs=1, swaps_per_epoch=bad)


@FAST
@given(n=bad_counts)
def test_run_epochs_and_seed(n):
    with pytest.raises(ERRORS, match="epochs"):
        run(epochs=n)
    if n is not None:
        with pytest.raises(ERRORS, match="seed"):
            run(seed=n if not isinstance(n, int) or isinstance(n, bool) else -1, epochs=1)


def test_run_mismatched_lengths_and_features():
    X = np.random.default_rng(0).random((20, 3))
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match="X_train"):
        run(dataset=(X, y[:-1], X, y), epochs=1)
    with pytest.raises(ValueError, match="X_val"):
        run(dataset=(X, y, X[:, :2], y), epochs=1)
    with pytest.raises(ValueError, match="y_train"):
        run(dataset=(X, -y, X, y), epochs=1)
    with pytest.raises(ValueError, match="mode"):
        run(mode="adam", epochs=1)


@FAST
@given(bad=st.one_of(bad_reals, st.sampled_from([0, 1797, 2.5])))
def test_data_generators(bad):
    with pytest.raises(ERRORS, match="n_val"):
        digits(n_val=bad)
    if isinstance(bad, float) and not (np.isfinite(bad) and bad >= 0):
        with pytest.raises(ERRORS, match="noise"):
            synthetic_templates(noise=bad)
    with pytest.raises(ERRORS, match="n_classes"):
        synthetic_templates(n_classes=1)


@FAST
@given(frac=st.sampled_from([0.0, 1.0, -0.5, 1.5, float("nan")]))
def test_load_file_arguments(frac, tmp_path_factory):
    p = tmp_path_factory.mktemp("d") / "d.npz"
    np.savez(p, x=np.ones((10, 2)), y=np.arange(10) % 2)
    with pytest.raises(ValueError, match="n_val"):
        load_file(p, n_val=frac)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("t.csv", "label,a,b\n1,0.5,1\n1,0.5\n", "row 2 has 2 columns"),
        ("t.csv", "label,a\n1,nan\n0,1\n2,1\n3,1\n", "finite"),
        ("t.csv", "y,a\n1,2\n", "no label column"),
        ("t.csv", "label,a\n-1,2\n0,1\n1,1\n2,1\n", "non-negative integers"),
        ("t.tsv", "label\ta\nx\t1\n", "non-numeric"),
        ("t.npz", "not a zip", "not an .npz archive"),
        ("t.nwb", "whatever", "unknown format"),
    ],
)
def test_load_file_refuses_bad_files_naming_them(tmp_path, name, content, match):
    p = tmp_path / name
    p.write_text(content)
    with pytest.raises(ValueError, match=match) as info:
        load_file(p)
    assert name in str(info.value)


def test_load_file_refuses_pickled_npz(tmp_path):
    p = tmp_path / "obj.npz"
    np.savez(p, x=np.array([{"a": 1}] * 5, dtype=object), y=np.arange(5))
    with pytest.raises(ValueError, match=r"obj\.npz"):
        load_file(p)


def test_public_api_is_covered():
    """Every public callable is exercised by a bad-input test in this file or in the module tests."""
    covered = {
        "HomeostaticSGD",
        "LabelSwapStream",
        "MLPClassifier",
        "digits",
        "init_params",
        "load_file",
        "resolve_rates",
        "run",
        "seasonal_rates",
        "swaps_after_batches",
        "synthetic_templates",
        "valence_vector",
        # tested in test_data.py / test_mlp.py / test_shift.py / test_reproduce.py
        "load_csv",
        "load_idx",
        "load_mnist",
        "read_idx",
        "write_idx",
        "lookahead_accuracy",
        "reproduce",
        "ConceptShiftSchedule",
        "SwapEvent",
        "LearningCurve",
        "default_valence",
        "train_reference_loop",
    }
    public = {n for n in homeonet.__all__ if callable(getattr(homeonet, n)) and n[0] != "_"}
    assert public <= covered, sorted(public - covered)
