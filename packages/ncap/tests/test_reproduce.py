"""The quick reproduction (spec test 5 included: CMA-ES from uniform init reaches 0.8 within 10 generations)."""

from __future__ import annotations

import json

from ncap import reproduce
from neurotypes import Report


def test_quick_reproduce_reports_every_claim(tmp_path):
    report = reproduce(tmp_path, quick=True, workers=2)
    assert isinstance(report, Report)
    by_name = {c.name: c for c in report.claims}
    assert len(by_name) == 9
    # the claims the spec expects to reproduce at this scale
    for name in (
        "NCAP has good initial performance (constant init)",
        "The architecture (proprioceptive wave + oscillator) is what swims",
        "Constant initialisation gives the good initial performance",
        "Learning from random initialisation (CMA-ES, signed, uniform init)",
    ):
        assert by_name[name].passed is True, (name, by_name[name].measured)
    assert by_name["Asymptotic reward comparable to MLPs"].passed is None
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["package"] == "ncap"
    for claim in report.claims:
        for fig in claim.figures:
            assert (tmp_path / fig).is_file()
