"""Quick reproduction: the claims the spec expects to reproduce, and the CLI."""

import json

import pytest

from mds_cluster.cli import main
from mds_cluster.reproduce import reproduce

EXPECTED = {
    "Objective is bounded by log K and zero at chance",
    "Algorithm collapses redundant clusters (on/off toy)",
    "MDS clustering recovers functional cell types with the merge step (extension)",
    "MDS type new cells on the fly from their responses to K stimuli",
    "MDS are interpretable",
}


def test_quick_reproduce(tmp_path):
    report = reproduce(tmp_path, quick=True)
    data = json.loads((tmp_path / "report.json").read_text())
    assert (tmp_path / "report.md").exists()
    names = {c["name"] for c in data["claims"]}
    assert names >= EXPECTED
    assert len(data["claims"]) == 9
    for claim in report.claims:
        if claim.name in EXPECTED:
            assert claim.passed, claim.name
        for fig in claim.figures:
            assert (tmp_path / fig).stat().st_size > 1000


def test_cli_fit_onoff(capsys):
    assert main(["fit", "--twin", "onoff", "--k-init", "5", "--seed", "42", "--steps", "50"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["k_final"] == 2
    assert out["ari_vs_true_types"] == 1.0


def test_cli_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "reproduce" in capsys.readouterr().out
