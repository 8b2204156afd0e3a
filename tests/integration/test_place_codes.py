"""Pipelines 3 and 6: snn-vpr's trained spiking module as the source of spikes for other packages.

snn-vpr trains one compact Diehl & Cook module the way its own quick reproduction trains each module (n_e = 100,
5 epochs, 350-ms presentations; one module of 10 synthetic places), saves it in its safe format, reloads it, and
writes its output spikes (neurotypes SpikeTrains), each place's code and each query's partial view (SDRs).

Expectations, stated before the first run:
- pipeline 3 (spiking readouts): the trained module names the query's place (its neuron-assignment readout) with
  R@1 >= 0.5 (chance 0.1); an ELM neuron (elm-neuron) and an AM-SU layer (astrosnn), each trained with labels on
  the module's output spikes for the two reference traverses, name the place from the query traverse's spikes
  with accuracy >= 0.3 each, and the better of them is within 0.15 of the module's own R@1 or above it (they read
  the same spikes, with supervision);
- pipeline 6 (place codes in the CA3 memory): each place's code (its 8 most active neurons of 100) is stored in
  ca3-cam's spiking memory; (i) every recall equals the oracle's (checked in the stage); (ii) a 4-bit fragment of
  a stored code always recalls its own place; (iii) learned codes overlap no more than random codes, so the
  false-recall rate of fragments is at most sdr-dendrites' P_fm(n=100, a=8, s=4, theta=1) for random SDRs plus
  2 binomial standard errors; (iv) a query's partial view (its 4 most active neurons) recalls the true place at
  least as often as the module's R@1 minus 0.1.
"""

from __future__ import annotations

import json
import math

import pytest

PLACES, DRAWS, A, F = 10, 4, 8, 4


@pytest.fixture(scope="module")
def trained(tmp_path_factory, make_stages):
    folder = tmp_path_factory.mktemp("vpr")
    got = make_stages(folder).run("snn-vpr", "vpr_train.py", folder, PLACES, DRAWS, A, F, 0)
    return folder, got


def test_pipeline3_readouts_of_the_trained_module(trained, make_stages):
    folder, vpr = trained
    stages = make_stages(folder)
    elm = stages.run("elm-neuron", "elm_readout.py", folder, 150, 0)
    astro = stages.run("astrosnn", "astro_readout.py", folder, 150, 0)
    print(
        f"\nquery R@1: snn-vpr module {vpr['r1']:.3f}, elm-neuron {elm['accuracy']:.3f}, astrosnn {astro['accuracy']:.3f}"
    )
    assert elm["n_test"] == astro["n_test"] == PLACES * DRAWS
    assert vpr["r1"] >= 0.5
    assert elm["accuracy"] >= 0.3 and astro["accuracy"] >= 0.3
    assert max(elm["accuracy"], astro["accuracy"]) >= vpr["r1"] - 0.15


def test_pipeline6_place_codes_in_the_ca3_memory(trained, make_stages):
    folder, vpr = trained
    stages = make_stages(folder)
    p = stages.run("sdr-dendrites", "sdr_predict.py", vpr["n_e"], A, F, 1)["p"]
    stages.run("ca3-cam", "ca3_places.py", folder, F, 0, folder / "recall.json")
    got = json.loads((folder / "recall.json").read_text())
    fragments, views = got["fragments"], got["views"]
    assert len(fragments) == PLACES and len(views) == PLACES
    assert all(r["place"] in r["recalled"] for r in fragments)
    false = sum(len(set(r["recalled"]) - {r["place"]}) for r in fragments)
    chances = PLACES * (PLACES - 1)
    se = math.sqrt(p * (1 - p) / chances)
    hits = sum(r["place"] in r["recalled"] for r in views) / len(views)
    print(f"\nfalse recalls {false}/{chances} (P_fm = {p:.3f}); query views recall their place {hits:.2f}")
    assert false / chances <= p + 2 * se
    assert hits >= vpr["r1"] - 0.1
