"""Quick reproduction (spec tests 6 and 7 at quick scale): runs reproduce(quick=True) once and checks the report.

Thresholds are the spec's, fixed before the first run. The claims that do not reproduce at quick scale (state
recovery, one state on structureless data, maxPEAR ARI >= 0.9) are asserted only as regression guards on the
measured numbers (see README); the report records their honest verdicts.
"""

import importlib.util
import json

import pytest

from bibcluster import reproduce
from neurotypes import Report


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bibcluster-report")
    rep = reproduce(out, quick=True)
    return out, rep


def _claim(rep, name):
    return next(c for c in rep.claims if c.name.startswith(name))


def test_report_files_and_claims(report):
    out, rep = report
    assert (out / "report.json").exists() and (out / "report.md").exists()
    for fig in ("neuron_clusters.png", "states.png", "no_structure.png", "trajectories.png"):
        assert (out / fig).stat().st_size > 1000
    assert not list(out.glob(".*"))  # no temporary files left behind
    loaded = Report.from_json((out / "report.json").read_text())
    assert len(loaded.claims) == 7
    assert json.loads((out / "report.json").read_text())["package"] == "bibcluster"
    assert _claim(rep, "Real data").passed is None
    # the Bayes factor is measured in full mode only (tens of minutes of AIS)
    assert _claim(rep, "The posterior prefers").passed is None
    diag = rep.params["convergence diagnostics (simulation)"]
    assert set(diag) >= {"n_clusters", "log_lik", "d (max R-hat, min ESS over neurons)"}


def test_neuron_clusters_are_found(report):
    # regression guards, not the spec's thresholds: across 8 chain seeds on this data the maxPEAR ARI ranged
    # 0.45-1.0 and one of the two chains sometimes stays with two clusters merged (see README)
    _, rep = report
    m = _claim(rep, "Recovers the neuron clusters").measured
    assert m["posterior mode of K"] in (2, 3, 4)
    assert m["maxPEAR ARI"] > 0.3


def test_claim_verdicts_follow_their_criteria(report):
    _, rep = report
    c = _claim(rep, "Recovers the neuron clusters")
    assert c.passed == (c.measured["maxPEAR ARI"] >= 0.9 and c.measured["posterior mode of K"] == 3)
    assert c.measured["split R-hat of the log-likelihood"] > 0.9
    s = _claim(rep, "Recovers the state sequence")
    assert s.passed == (s.measured["state ARI"] >= 0.6)
    assert "with the reference's heuristic state step: state ARI" in s.measured
    n = _claim(rep, "No structure").measured
    assert 0.0 <= n["fraction of draws with one occupied state"] <= 1.0
    assert n["mean fraction of bins in the dominant state"] >= 0.9


def test_trajectory_bands_cover_the_truth(report):
    _, rep = report
    assert _claim(rep, "Recovers latent trajectories").passed is True


def test_no_structure_gives_one_cluster(report):
    _, rep = report
    assert _claim(rep, "No structure").measured["posterior mode of K"] == 1


def test_speed_claim_without_the_peer_stack(report):
    # the default run has no reference stack: the emulation bounds the reference's cost from below, so the claim
    # is reproduced only if even that bound gives 20x; otherwise it is reported as not testable, never as passed
    _, rep = report
    c = _claim(rep, "Speed")
    m = c.measured
    assert m["seconds per sweep, 1 PG thread"] > 0 and m["seconds per sweep, 2 PG threads"] > 0
    assert "reference's iteration on its stack (s)" not in m
    bound = m["speed-up vs the emulation, 2 threads"]
    if bound >= 20 and importlib.util.find_spec("statsmodels") is not None:
        assert c.passed is True
    else:
        assert c.passed is None and "--peer-python" in c.verdict
