"""The reproduction: every claim reported with its pre-registered legs computed from the measured values (tiny
sizes by default; the quick run itself is slow)."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest

from neurotypes import Report

# the package binds the function ``neuroformer.reproduce``; the module is reached through importlib
rep = importlib.import_module("neuroformer.reproduce")


def tiny_settings(quick: bool) -> dict:
    s = ORIGINAL(quick)
    s.update(
        hub_duration=16.0, hub_epochs=1, mm_duration=16.0, pretrain_epochs=1, finetune_epochs=1, n_generate=2
    )
    return s


ORIGINAL = rep._settings


def check_report(report: Report, out) -> None:
    names = [c.name for c in report.claims]
    assert len(names) == 4 == len(set(names))
    assert Report.check_pair(out)
    again = Report.load(out)  # the JSON recomputes every verdict from the measured values
    assert [c.verdict for c in again.claims] == [c.verdict for c in report.claims]
    for claim in report.claims:
        assert claim.legs, claim.name
        for leg in claim.legs:
            values = claim.measured[leg.criterion.metric]
            assert list(leg.values) == pytest.approx(values)
            assert len(values) == rep.N_SEEDS
        for fig in claim.figures:
            assert (out / fig).stat().st_size > 1000
    assert report.run["seeds"]["claim_hub_network"] == [0, 1, 2]
    assert report.run["seeds"]["claim_behaviour_decoding"] == [10, 11, 12]


def test_claims_at_tiny_scale(tmp_path, monkeypatch):
    monkeypatch.setattr(rep, "_settings", tiny_settings)
    report = rep.reproduce(tmp_path, quick=True)
    check_report(report, tmp_path)
    claims = {c.name: c for c in report.claims}
    conn = claims["attention recovers hub connectivity including direction"]
    thresholds = {leg.criterion.metric: leg.criterion.threshold for leg in conn.legs}
    assert thresholds == {
        "edge AUROC": 0.85,
        "direction accuracy": 0.8,
        "within-hub-row AUROC": 0.85,
        "shuffled-control edge AUROC": 0.6,
    }
    nxt = claims["next-spike prediction beats a history-aware GLM and the token-frequency model"]
    assert [leg.criterion.baseline for leg in nxt.legs] == [
        "nll per window, coupled Poisson GLM",
        "nll per window, token frequencies",
    ]
    # the GLM knows the simulator's coupling: even at this size it beats token frequencies on every seed
    m = nxt.measured
    assert all(
        g < u
        for g, u in zip(
            m["nll per window, coupled Poisson GLM"], m["nll per window, token frequencies"], strict=True
        )
    )
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["run"]["mode"] == "quick" and data["params"]["hub_duration"] == 16.0


@pytest.mark.slow
def test_quick_reproduce(tmp_path):
    report = rep.reproduce(tmp_path, quick=True)
    check_report(report, tmp_path)
    claims = {c.name: c for c in report.claims}
    m = claims["next-spike prediction beats a history-aware GLM and the token-frequency model"].measured
    # the model learns the spike statistics: far below the token-frequency model on every seed
    assert all(
        a < 0.8 * b
        for a, b in zip(m["nll per window, model"], m["nll per window, token frequencies"], strict=True)
    )
    conn = claims["attention recovers hub connectivity including direction"].measured
    # the information is in the data: the cross-correlogram finds each hub's targets
    assert min(conn["cross-correlogram: within-hub-row AUROC"]) >= 0.95
    dec = claims["few-shot behaviour decoding beats linear and neural baselines"].measured
    assert min(dec["R2 ridge"]) > 0.5  # the linear read-out of the simulation is decodable
    assert np.isfinite(dec["R2 Neuroformer"]).all()
