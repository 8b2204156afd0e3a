"""Longer real-data runs (``-m slow``): the fisbe-eval CLI on both real images, other matchings."""

from __future__ import annotations

import json

import pytest

from fisbe_bench import evaluate
from fisbe_bench.cli import eval_main
from fisbe_bench.data import PRED_KEY, r14a02_official, read_summary_csv
from fisbe_bench.io import read_fisbe_zarr, read_labels

pytestmark = pytest.mark.slow


def test_cli_flylight_on_both_real_images(tmp_path, fisbe_sample):
    rc = eval_main(
        [
            "--pred",
            str(fisbe_sample / "pred"),
            "--gt",
            str(fisbe_sample),
            "--pred-key",
            PRED_KEY,
            "--app",
            "flylight",
            "--out",
            str(tmp_path),
            "-q",
            "--split-file",
            "fisbe",
        ]
    )
    assert rc == 0
    payload = json.loads((tmp_path / "fisbe_scores.json").read_text())
    official = r14a02_official()
    ours = payload["images"]["R14A02-20180905_65_A6"]
    assert ours["general"]["avg_f1_cov_score"] == pytest.approx(
        float(official["general"]["avg_f1_cov_score"]), abs=1e-12
    )
    assert ours["confusion_matrix"]["avFscore19"] == pytest.approx(
        float(official["confusion_matrix"]["avFscore19"])
    )
    assert set(payload["images"]) == {"R14A02-20180905_65_A6", "VT011145-20171222_63_I2"}
    ds = payload["dataset"]
    assert ds["n_gt"] == 15 and ds["n_images"] == 2
    # R14A02 is completely, VT011145 partly labelled (FISBe's split): the dataset row is the combined score
    assert payload["settings"]["partly"] == {"R14A02-20180905_65_A6": False, "VT011145-20171222_63_I2": True}
    assert ds["combined"] is True
    s_images = [payload["images"][n]["general"]["avg_f1_cov_score"] for n in sorted(payload["images"])]
    assert ds["S"] == pytest.approx(sum(s_images) / 2, abs=1e-12)
    _, rows = read_summary_csv(tmp_path / "summary.csv")
    assert dict(rows)["avg_inst"]["general avg_f1_cov_score"] == pytest.approx(ds["S"], abs=1e-15)
    _, official_rows = read_summary_csv()
    vt = dict(rows)["VT011145-20171222_63_I2"]
    for col, value in vt.items():
        assert value == pytest.approx(dict(official_rows)["VT011145-20171222_63_I2"][col], rel=1e-12), col


def test_other_settings_run_on_real_image(fisbe_sample):
    name = "VT011145-20171222_63_I2"
    sample = read_fisbe_zarr(fisbe_sample / f"{name}.zarr")
    pred = read_labels(fisbe_sample / "pred" / f"{name}.hdf", PRED_KEY)
    h = evaluate(sample.gt, pred, min_instance_size=800, matching="hungarian")
    p = evaluate(sample.gt, pred, min_instance_size=800, partly=True)
    g = evaluate(sample.gt, pred, min_instance_size=800)
    assert h.threshold(0.5).tp >= g.threshold(0.5).tp
    assert p.threshold(0.5).fp <= g.threshold(0.5).fp
