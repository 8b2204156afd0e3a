"""The reproduction at a tiny scale (default) and at quick scale (slow): numbers checked against independent
recomputations and the pre-registered criteria."""

from __future__ import annotations

import json

import numpy as np
import pytest

import ncap.reproduce as rep
from ncap import RandomPolicy, SwimmerNCAP, episode_returns
from neurotypes import Report

TINY = rep.Settings(
    eval_episodes=2,
    uniform_draws=2,
    periods=(20, 60),
    cma_seeds=1,
    cma_gens=1,
    heldout_episodes=1,
    mlp_seeds=1,
    mlp_gens=1,
    sign_seeds=1,
    sign_gens=1,
    transfer_joints=(3,),
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    old = rep.Settings.quick
    rep.Settings.quick = classmethod(lambda cls: TINY)  # type: ignore[method-assign, assignment]
    try:
        report = rep.reproduce(out, quick=True, seed=2, threads=2)
    finally:
        rep.Settings.quick = old  # type: ignore[method-assign]
    return out, report


def test_report_and_run_record(tiny):
    out, report = tiny
    assert Report.check_pair(out)
    data = json.loads((out / "report.json").read_text())
    assert data["package"] == "ncap" and data["run"]["seed"] == 2
    assert data["run"]["seeds"]["claim_initial_performance"][:2] == [2, 3]
    assert len(report.claims) == len(rep.CLAIMS)
    for c in report.claims:
        for f in c.figures:
            assert (out / f).is_file()
        for leg in c.legs:  # each leg judged the measured numbers
            v = c.measured[leg.criterion.metric]
            np.testing.assert_allclose(
                leg.values, np.ravel([np.nan if x is None else x for x in np.atleast_1d(v)])
            )


def test_untrained_numbers_match_an_independent_evaluation(tiny):
    _, report = tiny
    m = report.claims[0].measured
    expected = episode_returns(SwimmerNCAP(), [2, 3]) / 1000
    np.testing.assert_allclose(m["return / max"], expected, atol=1e-4)
    rand = [episode_returns(RandomPolicy(seed=k), [k])[0] / 1000 for k in (2, 3)]
    np.testing.assert_allclose(m["random torques, return / max"], rand, atol=1e-4)


def test_learning_is_scored_on_held_out_episodes(tiny):
    _, report = tiny
    m = report.claims[4].measured
    assert m["held-out episode seeds"] == [1002]  # base seed 2 + 1000, never a training episode
    assert m["CMA-ES seeds"] == [2]


@pytest.mark.slow
def test_quick_reproduction_measures_the_claims(tmp_path):
    report = rep.reproduce(tmp_path, quick=True)
    by = {c.name: c for c in report.claims}
    assert (
        0.75 <= by["NCAP has good initial performance (constant init)"].measured["mean return / max"] <= 0.85
    )
    arch = by["The architecture (proprioceptive wave + oscillator) is what swims"].measured
    assert arch["open loop, mean return / max"] < 0.2 and arch["constant / open loop"] >= 4
    held = by["Learning from random initialisation (CMA-ES, signed, uniform init)"].measured
    assert min(held["held-out return / max"]) >= 0.8
