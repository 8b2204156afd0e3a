"""Dataset aggregation: the official 23-image summary's dataset rows from its per-image rows (issue 27),
the combined (complete + partly) score, and records made from scores or from summary rows."""

from __future__ import annotations

import math

import pytest

from fisbe_bench import (
    ImageRecord,
    aggregate,
    aggregate_combined,
    evaluate,
    record_from_scores,
    summary_table,
    synth,
)
from fisbe_bench.data import fisbe_split, read_summary_csv
from fisbe_bench.dataset import FLYLIGHT_SUMMARY_COLUMNS

#: avg_inst columns that need the TP / FP / FN of partly labelled images at thresholds other than 0.5
UNDETERMINED = {f"th_0_{k} fscore" for k in (1, 2, 3, 4, 6, 7, 8, 9)} | {
    "confusion_matrix avFscore",
    "general avg_f1_cov_score",
}
#: avg_inst columns the official stores as float32 (means of float32 values)
FLOAT32 = {
    "general avg_gt_skel_coverage",
    "general avg_TP_05_cldice",
    "general avg_gt_cov_dim",
    "general avg_gt_cov_overlap",
}


@pytest.fixture(scope="module")
def official():
    cols, rows = read_summary_csv()
    split = fisbe_split()
    images = [(n, r) for n, r in rows if n not in ("mean", "sum", "avg_inst")]
    records = [ImageRecord.from_summary_row(n, r, partly=split[n][1]) for n, r in images]
    return cols, dict(rows), records


def test_the_official_summary_is_fisbes_test_split(official):
    cols, _rows, records = official
    assert len(records) == 23 and len(cols) == 33
    assert sum(r.partly for r in records) == 16  # 7 completely, 16 partly labelled
    assert {fisbe_split()[r.name][0] for r in records} == {"test"}


def test_mean_and_sum_rows_from_the_per_image_rows(official):
    cols, rows, records = official
    table = dict(summary_table(records, cols))
    for name in ("mean", "sum"):
        for c in cols:
            a, b = rows[name][c], table[name][c]
            assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=0), (name, c)
    # the official mean row holds NaN where one image's avg_TP_05_cldice was NaN (evaluator before 6bb3f2a)
    assert math.isnan(rows["mean"]["general avg_TP_05_cldice"])


def test_avg_inst_row_from_the_per_image_rows(official):
    """The combined score: mean of the completely and partly labelled sets' aggregates."""
    cols, rows, records = official
    ours = dict(summary_table(records, cols))["avg_inst"]
    ref = rows["avg_inst"]
    nan_ours = {c for c in cols if math.isnan(ours[c]) and not math.isnan(ref[c])}
    assert nan_ours == UNDETERMINED
    for c in cols:
        if c in UNDETERMINED or math.isnan(ref[c]):
            continue
        if c in FLOAT32:
            # the official pools float32 values in float32; from the rows we pool their per-image float32
            # means in float64: equal to within 2e-7 relative (under two float32 units in the last place)
            assert ours[c] == pytest.approx(ref[c], rel=2e-7), c
        else:
            assert ours[c] == pytest.approx(ref[c], rel=1e-12, abs=0), c
    assert ours["th_0_5 fscore"] == pytest.approx(0.30555025748617204, rel=1e-15)
    # a plain (single-set) aggregation does not give the official row: it is the combined one
    plain = aggregate(records).summary_row()
    assert plain["general avg_gt_skel_coverage"] != pytest.approx(
        ref["general avg_gt_skel_coverage"], rel=1e-4
    )
    assert plain["th_0_5 fscore"] != pytest.approx(ref["th_0_5 fscore"], rel=1e-4)


def _reachable_f1(records, column):
    """Every dataset F1 of the partly labelled set that integer (TP, FP) per image can give (brute force)."""
    reach = {(0, 0)}
    n_gt = 0
    for r in records:
        f1 = r.row[column]
        sols = []
        for tp in range(min(r.n_gt, r.n_pred) + 1):
            for fp in range(r.n_pred - tp + 1):
                p, rc = tp / max(1, tp + fp), tp / max(1, r.n_gt)
                if abs((2 * p * rc / (p + rc) if p + rc else 0.0) - f1) < 1e-12:
                    sols.append((tp, fp))
        assert sols, (r.name, column)
        reach = {(a + x, b + y) for a, b in reach for x, y in sols}
        n_gt += r.n_gt
    return {2 * a / (a + b + n_gt) if a + b + n_gt else 0.0 for a, b in reach}


def test_undetermined_avg_inst_f1_is_consistent_with_the_rows(official):
    """The official F1 at thresholds != 0.5 is reachable from the rows, though not determined by them."""
    _cols, rows, records = official
    complete = [r for r in records if not r.partly]
    partly = [r for r in records if r.partly]
    c_agg = aggregate(complete)
    for th in (0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9):
        col = f"th_0_{str(th)[-1]} fscore"
        i = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9).index(th)
        f_c = c_agg.f1_per_threshold[i]
        assert not math.isnan(f_c)  # completely labelled images: counts recovered from F1
        implied = 2 * rows["avg_inst"][col] - f_c
        reachable = _reachable_f1(partly, col)
        assert len(reachable) > 1  # not determined by the rows
        assert min(abs(v - implied) for v in reachable) < 1e-12, (col, implied)


@pytest.fixture(scope="module")
def scores():
    ga, pa = synth.case_a()
    gb, pb = synth.case_b(seed=0)
    return [
        evaluate(ga, pa, min_instance_size=None),
        evaluate(gb, pb, min_instance_size=None),
        evaluate(ga, pa, min_instance_size=800, partly=True),
    ]


def test_records_from_rows_aggregate_like_records_from_scores(scores):
    s = scores[:2]
    exact = aggregate(s)
    recs = [record_from_scores(x, f"img{k}") for k, x in enumerate(s)]
    cols = [c for c in FLYLIGHT_SUMMARY_COLUMNS if c in recs[0].row]
    from_rows = [
        ImageRecord.from_summary_row(r.name, {c: r.row[c] for c in cols}, partly=False) for r in recs
    ]
    assert [r.counts for r in from_rows] == [r.counts for r in recs]  # counts recovered from F1
    again = aggregate(from_rows)
    assert again.f1_per_threshold == exact.f1_per_threshold
    assert pytest.approx(exact.C, rel=1e-7) == again.C and pytest.approx(exact.S, rel=1e-7) == again.S
    # a partly labelled row keeps only the 0.5 counts
    p = ImageRecord.from_summary_row("p", {c: recs[0].row[c] for c in cols}, partly=True)
    assert p.counts[4] is not None and all(p.counts[k] is None for k in (0, 1, 2, 3, 5, 6, 7, 8))
    partial = aggregate([p, recs[1]])
    assert math.isnan(partial.avF1) and math.isnan(partial.S) and not math.isnan(partial.f1_per_threshold[4])


def test_aggregate_combined_is_the_mean_of_the_two_sets(scores):
    s = scores
    a, b = aggregate(s[:2]), aggregate(s[2:])
    comb = aggregate_combined(s[:2], s[2:])
    assert comb.combined and comb.n_images == 3
    assert pytest.approx((a.S + b.S) / 2) == comb.S
    assert pytest.approx((a.C + b.C) / 2) == comb.C
    assert comb.f1_per_threshold == pytest.approx(
        [(x + y) / 2 for x, y in zip(a.f1_per_threshold, b.f1_per_threshold, strict=True)]
    )
    assert comb.n_gt == a.n_gt + b.n_gt and comb.tp_05 == a.tp_05 + b.tp_05
    assert comb.tp == pytest.approx(comb.tp_05 / comb.n_gt)
    assert comb.tp_per_threshold == tuple(
        x + y for x, y in zip(a.tp_per_threshold, b.tp_per_threshold, strict=True)
    )
    # summary_table uses it when the labelling modes are mixed
    recs = [record_from_scores(x, f"i{k}") for k, x in enumerate(s)]
    assert dict(summary_table(recs))["avg_inst"]["general avg_f1_cov_score"] == pytest.approx(comb.S)
    with pytest.raises(ValueError, match="at least one image"):
        aggregate_combined(s[:2], [])


def test_summary_table_rows_and_record_row_match_scores(scores):
    s = scores[:2]
    rows = summary_table([record_from_scores(x, f"i{k}") for k, x in enumerate(s)])
    assert [n for n, _ in rows] == ["i0", "i1", "mean", "sum", "avg_inst"]
    assert list(rows[0][1]) == list(FLYLIGHT_SUMMARY_COLUMNS)
    ref = s[0].to_reference_dict()
    assert rows[0][1]["general avg_f1_cov_score"] == ref["general"]["avg_f1_cov_score"]
    assert rows[0][1]["th_0_5 AP_FP"] == ref["confusion_matrix"]["th_0_5"]["AP_FP"]
    assert rows[2][1]["general Num GT"] == (s[0].n_gt + s[1].n_gt) / 2
    assert rows[4][1]["general avg_f1_cov_score"] == aggregate(s).S


def test_bad_records():
    with pytest.raises(ValueError, match="lacks the columns"):
        ImageRecord.from_summary_row("x", {"general Num GT": 1}, partly=False)
    row = {
        "general Num GT": 3,
        "general Num Pred": 4,
        "general avg_gt_skel_coverage": 0.5,
        "general TP_05": 1,
        "th_0_5 AP_TP": 1,
        "th_0_5 AP_FP": 3,
        "th_0_5 AP_FN": 2,
        "th_0_1 fscore": 0.5,  # 0.5 * 7 / 2 = 1.75: not a whole TP for a completely labelled image
    }
    with pytest.raises(ValueError, match="partly labelled"):
        ImageRecord.from_summary_row("x", row, partly=False)
    assert ImageRecord.from_summary_row("x", row, partly=True).counts[0] is None
    with pytest.raises(ValueError, match="whole number"):
        ImageRecord.from_summary_row("x", {**row, "general Num GT": 2.5}, partly=True)
    with pytest.raises(TypeError, match="FisbeScores"):
        record_from_scores("x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ImageRecord"):
        summary_table([1.0])  # type: ignore[list-item]
