"""The quick reproduction: every claim the spec expects to reproduce does, and the files are written."""

import json

from ca3_cam import reproduce
from neurotypes import Report


def test_quick_reproduce(tmp_path):
    report = reproduce(tmp_path, quick=True)
    assert isinstance(report, Report)
    verdicts = {c.name.split(":")[0]: c.passed for c in report.claims}
    assert verdicts["Exp. 1 functional test"] is True
    assert verdicts["Exp. 2 stress"] is True
    assert verdicts["Exp. 3 content-addressed lookup on a 4x4 state map"] is True
    assert verdicts["Recall latency"] is True
    assert verdicts["Network size"] is True
    assert verdicts["Resource usage / scaling on SpiNNaker"] is None
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["package"] == "ca3-cam" and len(data["claims"]) == len(report.claims)
    assert (tmp_path / "report.md").exists()
    for c in report.claims:
        for f in c.figures:
            assert (tmp_path / f).stat().st_size > 1000
