"""Longer real-data runs (``-m slow``): the fisbe-eval CLI on both real images, other matchings."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from fisbe_bench import evaluate
from fisbe_bench.cli import eval_main
from fisbe_bench.io import read_fisbe_zarr, read_labels
from fisbe_bench.reproduce import OFFICIAL_TOML, PRED_KEY

DATA = Path(__file__).parent / "data" / "fisbe-sample"
pytestmark = pytest.mark.slow


def test_cli_flylight_on_both_real_images(tmp_path):
    rc = eval_main(
        [
            "--pred",
            str(DATA / "pred"),
            "--gt",
            str(DATA),
            "--pred-key",
            PRED_KEY,
            "--app",
            "flylight",
            "--out",
            str(tmp_path),
            "--no-progress",
        ]
    )
    assert rc == 0
    payload = json.loads((tmp_path / "fisbe_scores.json").read_text())
    official = tomllib.loads((DATA / "official" / OFFICIAL_TOML).read_text())
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


def test_other_settings_run_on_real_image():
    name = "VT011145-20171222_63_I2"
    sample = read_fisbe_zarr(DATA / f"{name}.zarr")
    pred = read_labels(DATA / "pred" / f"{name}.hdf", PRED_KEY)
    h = evaluate(sample.gt, pred, min_instance_size=800, matching="hungarian")
    p = evaluate(sample.gt, pred, min_instance_size=800, partly=True)
    g = evaluate(sample.gt, pred, min_instance_size=800)
    assert h.threshold(0.5).tp >= g.threshold(0.5).tp
    assert p.threshold(0.5).fp <= g.threshold(0.5).fp
