"""Bad input at every public function: hypothesis draws a bad value for one argument at a time (NaN, inf,
negative or zero sizes, wrong shapes and dtypes, wrong types, out-of-range options) and the function must
raise ``TypeError`` or ``ValueError`` (issue 23), never return."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fisbe_bench import (
    ImageRecord,
    aggregate,
    aggregate_combined,
    evaluate,
    record_from_scores,
    summary_table,
)
from fisbe_bench.baselines import colour_clustering
from fisbe_bench.data import array_sha256, decode_runs, fisbe_split, missing_sample_files, read_summary_csv
from fisbe_bench.io import find_pairs, read_fisbe_zarr, read_labels
from fisbe_bench.labels import as_sparse
from fisbe_bench.localize import cl_matrices
from fisbe_bench.match import (
    greedy_one_to_one,
    hungarian,
    many_to_many_threshold,
    one_to_one,
    split_merge_counts,
)
from fisbe_bench.reproduce import compare_with_official
from fisbe_bench.synth import case_b, toy_fisbe, tube_mask, tubes

BAD = (TypeError, ValueError)
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)


def _gt() -> np.ndarray:
    a = np.zeros((3, 5, 12), np.int32)
    a[1, 2, 1:11] = 1
    return a


GOOD = _gt()
SCORES = evaluate(GOOD, GOOD.copy())

not_number = st.sampled_from([None, "0.5", b"1", [0.1], {"a": 1}, object(), np.array([0.1, 0.2])])
nan_inf = st.sampled_from([math.nan, math.inf, -math.inf, np.float32("nan")])
bools = st.sampled_from([True, False, np.bool_(True)])
neg_int = st.integers(max_value=-1)
non_int_real = st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v != int(v))
bad_arrays = st.sampled_from(
    [
        np.full((3, 5, 12), 0.5),  # floats
        np.array([[["a"] * 12] * 5] * 3),  # strings
        np.zeros((5, 12), np.int32),  # too few dimensions for 3-D
        np.zeros((1, 1, 3, 5, 12), np.int32),  # too many
        -GOOD,  # negative ids
        np.array([[1, 2], [3]], dtype=object),  # ragged
        "labels.tif",
        None,
        np.full((3, 5, 12), np.nan),
        np.zeros((3, 5, 11), np.int32),  # shape differs from the other side
    ]
)


@SETTINGS
@given(bad=bad_arrays, side=st.sampled_from(["gt", "pred"]))
def test_evaluate_bad_labels(bad, side):
    kwargs = {"gt": GOOD, "pred": GOOD}
    kwargs[side] = bad
    with pytest.raises(BAD):
        evaluate(kwargs["gt"], kwargs["pred"])


@SETTINGS
@given(
    arg=st.sampled_from(
        [
            "matching",
            "criterion",
            "min_instance_size",
            "fs_threshold",
            "fm_threshold",
            "ndim",
            "partly",
            "background_covers",
            "dim_instances",
        ]
    ),
    data=st.data(),
)
def test_evaluate_bad_options(arg, data):
    bad = {
        "matching": st.one_of(
            st.text(max_size=8).filter(lambda s: s not in ("greedy", "hungarian")), not_number
        ),
        "criterion": st.one_of(st.text(max_size=8).filter(lambda s: s not in ("cldice", "iou")), not_number),
        "min_instance_size": st.one_of(neg_int, non_int_real, nan_inf, bools, st.just("800")),
        "fs_threshold": st.one_of(
            nan_inf,
            st.floats(min_value=1.0, allow_infinity=False),
            st.floats(max_value=-1e-9),
            not_number,
            bools,
        ),
        "fm_threshold": st.one_of(nan_inf, st.floats(min_value=1.0, allow_infinity=False), not_number, bools),
        "ndim": st.one_of(st.integers().filter(lambda v: v not in (2, 3)), st.just(3.0), bools, not_number),
        "partly": st.one_of(st.sampled_from([0, 1, "yes", None, 1.0])),
        "background_covers": st.sampled_from([0, 1, "no", None]),
        "dim_instances": st.one_of(
            st.just([99]),
            st.just([-1]),
            st.just([0]),
            st.just([1.5]),
            st.just("1"),
            st.just(5),
            st.just([None]),
        ),
    }[arg]
    with pytest.raises(BAD):
        evaluate(GOOD, GOOD, **{arg: data.draw(bad)})


@SETTINGS
@given(
    loc=st.sampled_from(
        [
            np.zeros(3),
            np.zeros((0, 3)),
            np.full((3, 3), np.nan),
            np.array([["a", "b"], ["c", "d"]]),
            None,
            np.ones((2, 2, 2)),
            np.ones((3, 3), bool),
        ]
    ),
    fn=st.sampled_from([greedy_one_to_one, hungarian, many_to_many_threshold]),
)
def test_matching_bad_matrix(loc, fn):
    with pytest.raises(BAD):
        fn(loc, 0.5)


@SETTINGS
@given(
    th=st.one_of(nan_inf, not_number, bools),
    fn=st.sampled_from([greedy_one_to_one, hungarian, many_to_many_threshold]),
)
def test_matching_bad_threshold(th, fn):
    with pytest.raises(BAD):
        fn(np.zeros((3, 3)), th)


@SETTINGS
@given(
    matching=st.one_of(st.text(max_size=6), not_number),
    n_norm=st.one_of(st.integers(max_value=0), non_int_real),
)
def test_matching_bad_options(matching, n_norm):
    loc = np.zeros((3, 3))
    loc[1, 1] = 0.9
    if not (isinstance(matching, str) and matching in ("greedy", "hungarian")):
        with pytest.raises(BAD):
            one_to_one(loc, 0.5, matching)
    with pytest.raises(BAD):
        hungarian(loc, 0.5, n_norm)


@SETTINGS
@given(
    matches=st.sampled_from([[], None, {1: [0]}, {1: [9]}, {1: [1.5]}, {1: ["a"]}]),
    n_pred=st.one_of(st.just(2), neg_int),
)
def test_split_merge_counts_bad(matches, n_pred):
    with pytest.raises(BAD):
        split_merge_counts(matches, n_pred)


@SETTINGS
@given(bad=bad_arrays)
def test_cl_matrices_and_as_sparse_bad(bad):
    with pytest.raises(BAD):
        cl_matrices(GOOD, bad)
    if isinstance(bad, np.ndarray) and bad.ndim in (3, 4) and bad.dtype.kind in "iu" and bad.min() >= 0:
        return  # a valid array for as_sparse alone (only the pair's shapes differ)
    with pytest.raises(BAD):
        as_sparse(bad, "labels")


@SETTINGS
@given(items=st.sampled_from([[], [1.0], ["x"], None, [SCORES, None]]))
def test_aggregation_bad(items):
    with pytest.raises(BAD):
        aggregate(items)
    with pytest.raises(BAD):
        summary_table(items)
    with pytest.raises(BAD):
        aggregate_combined(items or [], [SCORES])


@SETTINGS
@given(
    row=st.sampled_from(
        [
            {},
            {"general Num GT": "x"},
            {
                "general Num GT": 1.5,
                "general Num Pred": 1,
                "general avg_gt_skel_coverage": 0.5,
                "general TP_05": 0,
                "th_0_5 AP_TP": 0,
                "th_0_5 AP_FP": 1,
                "th_0_5 AP_FN": 1,
            },
            {
                "general Num GT": math.nan,
                "general Num Pred": 1,
                "general avg_gt_skel_coverage": 0.5,
                "general TP_05": 0,
                "th_0_5 AP_TP": 0,
                "th_0_5 AP_FP": 1,
                "th_0_5 AP_FN": 1,
            },
        ]
    ),
)
def test_summary_row_bad(row):
    with pytest.raises(BAD):
        ImageRecord.from_summary_row("x", row, partly=True)


def test_record_from_scores_bad():
    with pytest.raises(BAD):
        record_from_scores(None)  # type: ignore[arg-type]
    with pytest.raises(BAD):
        compare_with_official(SCORES, [])  # type: ignore[arg-type]
    with pytest.raises(BAD):
        SCORES.threshold(math.nan)
    with pytest.raises(BAD):
        SCORES.threshold(0.33)


@SETTINGS
@given(
    shape=st.sampled_from([(0, 5, 5), (5, 5), (-1, 4, 4), (2.5, 4, 4), "abc", None, (True, 4, 4)]),
    fn=st.sampled_from(["tube_mask", "tubes", "case_b", "toy"]),
)
def test_synth_bad_shape(shape, fn):
    call = {
        "tube_mask": lambda: tube_mask(shape, [[1, 1, 1], [2, 2, 2]], 1.0),
        "tubes": lambda: tubes(shape, [[[1, 1, 1], [2, 2, 2]]], 1.0),
        "case_b": lambda: case_b(shape=shape),
        "toy": lambda: toy_fisbe(shape),
    }[fn]
    with pytest.raises(BAD):
        call()


@SETTINGS
@given(
    radius=st.one_of(nan_inf, st.floats(max_value=0.0), not_number, bools),
    points=st.sampled_from([[], [[1, 1]], [[np.nan, 1, 1]], "pts", [[1, 1, 1, 1]]]),
)
def test_synth_bad_radius_and_points(radius, points):
    with pytest.raises(BAD):
        tube_mask((8, 8, 8), [[1, 1, 1]], radius)
    with pytest.raises(BAD):
        tube_mask((8, 8, 8), points, 1.0)


@SETTINGS
@given(
    kw=st.sampled_from(
        [
            {"n_neurons": 0},
            {"n_neurons": 2.5},
            {"noise": -0.1},
            {"noise": math.nan},
            {"radius": 0.0},
            {"seed": -1},
            {"seed": 1.5},
            {"seed": "0"},
        ]
    )
)
def test_toy_fisbe_bad(kw):
    with pytest.raises(BAD):
        toy_fisbe((10, 16, 16), **kw)


@SETTINGS
@given(
    kw=st.sampled_from(
        [
            {"raw": np.zeros((2, 4, 4, 4))},
            {"raw": np.zeros((3, 4, 4))},
            {"raw": np.full((3, 4, 4, 4), np.nan)},
            {"raw": "raw"},
            {"n_colours": 0},
            {"sigma": -1.0},
            {"min_size": -1},
            {"max_samples": 1},
            {"seed": -3},
            {"threshold": math.inf},
        ]
    )
)
def test_colour_clustering_bad(kw):
    args = {"raw": np.zeros((3, 4, 4, 4)), **kw}
    raw = args.pop("raw")
    with pytest.raises(BAD):
        colour_clustering(raw, **args)


@SETTINGS
@given(path=st.sampled_from([None, 3, 2.5, ["a"], b"x"]))
def test_readers_bad_paths(path):
    with pytest.raises(BAD):
        read_labels(path)
    with pytest.raises(BAD):
        read_fisbe_zarr(path)
    with pytest.raises(BAD):
        find_pairs(path, path)
    if path is None:  # None: no folder given (every file missing), the shipped summary / split list
        return
    with pytest.raises(BAD):
        missing_sample_files(path)  # type: ignore[arg-type]
    with pytest.raises(BAD):
        read_summary_csv(path)
    with pytest.raises(BAD):
        fisbe_split(path)


def test_readers_bad_files(tmp_path):
    garbage = tmp_path / "x.hdf"
    garbage.write_bytes(b"not an hdf5 file" * 10)
    with pytest.raises(ValueError, match=r"x\.hdf"):
        read_labels(garbage, "volumes/labels")
    notzarr = tmp_path / "y.zarr"
    notzarr.mkdir()
    (notzarr / "junk").write_text("junk")
    with pytest.raises(ValueError, match=r"y\.zarr"):
        read_fisbe_zarr(notzarr)
    with pytest.raises(FileNotFoundError, match=r"nothing\.tif"):
        read_labels(tmp_path / "nothing.tif")
    text = tmp_path / "split.txt"
    text.write_text("sample_without_section\n")
    with pytest.raises(ValueError, match="section"):
        fisbe_split(text)
    csv = tmp_path / "s.csv"
    csv.write_text("sample;a\nx;notanumber\n")
    with pytest.raises(ValueError, match="not a number"):
        read_summary_csv(csv)


@SETTINGS
@given(
    enc=st.sampled_from(
        [
            None,
            {},
            {"shape": [2, 2], "dtype": "float32", "runs": []},
            {"shape": [2, 2], "dtype": "int32", "runs": [[3, 5, 1]]},
            {"shape": [-1, 2], "dtype": "int32", "runs": []},
            {"shape": [2, 2], "dtype": "int32", "runs": [[0.5, 1, 1]]},
        ]
    )
)
def test_decode_runs_bad(enc):
    with pytest.raises(BAD):
        decode_runs(enc)


def test_array_sha256_bad():
    with pytest.raises(BAD):
        array_sha256([1, 2])  # type: ignore[arg-type]
