"""The reproduction: the claim functions on the shared kit, their measured numbers and pre-registered criteria.

The whole quick run (8 fits) is ``-m slow``; the default tests run the cheaper claims one by one on a
ClaimContext. Measured numbers are asserted against the criterion's rule or as regression guards (README), never
against a verdict string.
"""

import json

import numpy as np
import pytest

from bibcluster import reproduce as rep_mod
from bibcluster.reproduce import (
    CLAIMS,
    PEER_ENV,
    claim_no_structure,
    claim_real_data,
    claim_speed,
    reproduce,
)
from neurotypes import Report
from neurotypes.reproduction import ClaimContext


def _ctx(tmp_path):
    return ClaimContext(out=tmp_path, quick=True, seed=0)


def test_one_function_per_claim_of_the_spec():
    names = [f.__name__ for f in CLAIMS]
    assert names == [
        "claim_neuron_clusters",
        "claim_state_sequence",
        "claim_state_evidence",
        "claim_trajectories",
        "claim_no_structure",
        "claim_real_data",
        "claim_speed",
    ]


def test_real_data_claim_names_what_is_missing(tmp_path):
    c = claim_real_data(_ctx(tmp_path))
    assert c.missing is not None and "719161530" in c.missing


def test_speed_without_the_reference_stack_is_not_judged_on_the_lower_bound(tmp_path, monkeypatch):
    monkeypatch.delenv(PEER_ENV, raising=False)
    c = claim_speed(_ctx(tmp_path))
    m = c.measured
    assert 0 < m["seconds per sweep, 2 PG threads"] < 1.0 and 0 < m["seconds per sweep, 1 PG thread"] < 1.0
    assert "speed-up vs the reference's iteration, 2 PG threads" not in m
    assert c.missing is not None and PEER_ENV in c.missing
    # the criterion is fixed whatever the environment: >= 20x against the reference's iteration
    (crit,) = c.criteria
    assert (crit.comparator, crit.threshold) == (">=", 20.0)


def test_speed_rejects_a_bad_peer_python(tmp_path, monkeypatch):
    monkeypatch.setenv(PEER_ENV, str(tmp_path / "no-python"))
    with pytest.raises(ValueError, match=PEER_ENV):
        claim_speed(_ctx(tmp_path))


def test_no_structure_numbers(tmp_path):
    c = claim_no_structure(_ctx(tmp_path))
    m = c.measured
    # regression guards (README): one cluster, and the chains stay near one state (most bins in one state)
    assert m["posterior mode of K"] == 1
    assert 0.0 <= m["fraction of draws with one occupied state"] <= 1.0
    assert m["mean fraction of bins in the dominant state"] >= 0.9
    assert c.passed == (
        m["posterior mode of K"] == 1 and m["fraction of draws with one occupied state"] > 0.8
    )
    assert (tmp_path / "no_structure.png").stat().st_size > 1000


def test_reproduce_validates_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="seed"):
        reproduce(tmp_path / "out", seed=-1)
    with pytest.raises(ValueError, match="threads"):
        reproduce(tmp_path / "out", threads=0)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_quick_reproduction(tmp_path, monkeypatch):
    monkeypatch.delenv(PEER_ENV, raising=False)
    rep = reproduce(tmp_path, quick=True)
    assert not rep_mod._FITS  # the shared fits do not outlive the call
    loaded = Report.load(tmp_path / "report.json")
    assert [c.name for c in loaded.claims] == [c.name for c in rep.claims] and len(rep.claims) == 7
    assert json.loads((tmp_path / "report.json").read_text())["package"] == "bibcluster"
    for fig in ("neuron_clusters.png", "states.png", "no_structure.png", "trajectories.png"):
        assert (tmp_path / fig).stat().st_size > 1000
    claims = {c.name.split(":")[0].split(" (")[0]: c for c in rep.claims}
    n = claims["Recovers the neuron clusters"].measured
    assert len(n["maxPEAR ARI"]) == 8 and len(n["posterior mode of K"]) == 8
    # regression guards (README): every chain seed finds most of the structure
    assert min(n["maxPEAR ARI"]) > 0.3 and all(k in (2, 3, 4, 5) for k in n["posterior mode of K"])
    t = claims["Recovers latent trajectories within credible bands"].measured
    assert all(0.85 <= x <= 1.0 for x in t["coverage of the true log rates by 95% bands"])
    assert max(t["RMSE of the posterior mean log rate"]) < t["RMSE of the constant log rate"]
    e = claims["The posterior prefers the two true states"].measured
    low, high = e["log posterior odds, [forward (low), reverse (high)]"]
    assert np.isfinite(low) and np.isfinite(high)
