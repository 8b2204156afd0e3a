"""Real FISBe data: the quick reproduction (which evaluates both bundled real images) and an
independent check of every number of the official evaluator's output for R14A02."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from fisbe_bench.reproduce import OFFICIAL_TOML, reproduce

DATA = Path(__file__).parent / "data" / "fisbe-sample"


def _leaves(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, f"{prefix}[{i}]")
    else:
        yield prefix, obj


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    report = reproduce(out, quick=True, data_dir=DATA)
    return out, report


def test_every_official_number_reproduced_from_the_files(report_dir):
    out, _ = report_dir
    official = tomllib.loads((DATA / "official" / OFFICIAL_TOML).read_text())
    ours = dict(_leaves(json.loads((out / "scores_R14A02-20180905_65_A6.json").read_text())))
    leaves = list(_leaves(official))
    assert len(leaves) > 150
    for key, value in leaves:
        assert key in ours, key
        if isinstance(value, int):
            assert ours[key] == value, key
        else:
            assert float(ours[key]) == pytest.approx(float(value), abs=1e-6), key
    # summary.csv (float64 renderings of the float32 coverages) as well
    rows = (DATA / "official" / "summary.csv").read_text().splitlines()
    header, first = rows[0].split(";"), rows[1].split(";")
    table = dict(zip(header, first, strict=True))
    assert ours["general.avg_gt_skel_coverage"] == pytest.approx(
        float(table["general avg_gt_skel_coverage"]), abs=1e-12
    )
    assert ours["general.avg_f1_cov_score"] == pytest.approx(
        float(table["general avg_f1_cov_score"]), abs=1e-12
    )


def test_quick_reproduce_claims(report_dir):
    out, report = report_dir
    by_name = {c.name: c for c in report.claims}
    assert len(by_name) == 10
    expected = [
        "Metric suite equals the official evaluator (every number of its R14A02 output)",
        "Centreline localisation tolerates small misalignment",
        "Coverage penalises merges",
        "FS/FM attribute topological errors",
        "Dense and channel GT formats are equivalent",
        "Perfect prediction scores 1",
        "The evaluation pipeline runs end to end on a real (non-learned) segmenter",
    ]
    for name in expected:
        assert by_name[name].passed is True, name
    assert (
        by_name["Baselines (PatchPerPix best, FFN, colour clustering) score low; FISBe is unsolved"].passed
        is None
    )
    # the second real image (too big for the official evaluator) was evaluated too
    vt = json.loads((out / "scores_VT011145-20171222_63_I2.json").read_text())
    assert vt["general"]["Num GT"] == 8
    for f in ("report.json", "report.md", "case_a.png", "toy_fisbe.png", "real_images.png"):
        assert (out / f).exists(), f
