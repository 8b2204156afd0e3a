"""Export to PyNN and run on NEST (extra ``nest``): the same network as the package's engine, up to discretisation.

Known differences (see ``snn_vpr.pynn``): NEST integrates the conductances within each step (the package uses
the step-averaged conductance), a spike emitted by a neuron reaches its targets one NEST step after the step it
was emitted in (the package applies it at the end of that step, so E -> I -> E inhibition arrives two steps
later in NEST at the same resolution), and the 50 ms firing timer is exported as a 50 ms refractory period.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from snn_vpr.data import synthetic_traverses
from snn_vpr.model import ModularSNN
from snn_vpr.network import DiehlCookParams, ModuleBank, network_size
from snn_vpr.preprocess import process_images
from snn_vpr.pynn import export_module, module_scores, query_spike_times, run_pynn

os.environ.setdefault("PYNEST_QUIET", "1")


def test_export_carries_weights_thresholds_and_delays() -> None:
    p = DiehlCookParams()
    bank = ModuleBank(2, 784, 10, p, seed=3)
    bank.theta = bank.theta + torch.arange(10.0)
    ex = export_module(bank, 1)
    np.testing.assert_array_equal(ex.weights, bank.w[1].numpy().astype(np.float64))
    np.testing.assert_allclose(ex.v_thresh, -52.0 + bank.theta[1].numpy() - 20.0)
    np.testing.assert_allclose(ex.delays_ms, (bank.delay_steps[1].numpy() + 1) * 0.5)
    assert ex.delays_ms.min() == 0.5 and ex.delays_ms.max() == 10.5
    # leak conductance 1 uS: cm (nF) = tau_m (ms), so the package's conductances are weights in uS
    assert ex.cell_e["cm"] == ex.cell_e["tau_m"] == 100.0 and ex.cell_i["cm"] == ex.cell_i["tau_m"] == 10.0
    assert ex.cell_e["tau_refrac"] == 50.0 and ex.cell_i["tau_refrac"] == 2.0
    assert (ex.cell_e["e_rev_I"], ex.cell_i["e_rev_I"]) == (-100.0, -85.0)
    assert ex.size() == network_size(784, 10)
    conns = ex.input_connections()
    assert len(conns) == 7840 and conns[11] == (1, 1, float(bank.w[1, 1, 1]), float(ex.delays_ms[1, 1]))
    with pytest.raises(ValueError, match="module must be an integer"):
        export_module(bank, 2)
    with pytest.raises(TypeError, match="fitted ModularSNN or a ModuleBank"):
        export_module(object())


def test_nest_spike_times_align_with_the_package_steps() -> None:
    """One strong input spike per neuron: each neuron fires in the step its conductance arrives, in both."""
    pytest.importorskip("pyNN.nest")
    p = DiehlCookParams(t_present=30.0, theta_init=10.0)  # threshold -62 mV
    bank = ModuleBank(1, 2, 2, p, seed=0)
    bank.w = torch.tensor([[[40.0, 0.0], [0.0, 40.0]]])
    bank.delay_steps = torch.tensor([[[3, 0], [0, 7]]], dtype=torch.int16)
    bank._index_delays()
    steps = np.array([4, 30])
    start = np.searchsorted(steps, np.arange(p.n_steps + 1))
    rec: list[tuple[int, torch.Tensor]] = []
    bank._present(
        bank._fresh_state(1),
        torch.zeros(1, 1, 2),
        False,
        record=rec,
        inputs=(start, torch.tensor([0, 1])),
        query_exp=True,
    )
    package = {int(idx[0, 2]): s for s, idx in rec}
    assert package == {0: 4 + 3 + 1, 1: 30 + 7 + 1}
    import pyNN.nest as sim

    from snn_vpr.pynn import build_pynn_module

    off = 2 * p.dt
    sim.setup(timestep=p.dt, min_delay=p.dt)
    try:
        built = build_pynn_module(sim, export_module(bank), [[4 * p.dt], [30 * p.dt]], off)
        sim.run(p.t_present + off)
        trains = built["populations"]["exc"].get_data("spikes").segments[0].spiketrains
        nest = {int(st.annotations["source_index"]): np.asarray(st.magnitude).tolist() for st in trains}
    finally:
        sim.end()
    # NEST stamps a spike at the end of its step: the package's step k is NEST time offset + (k + 1) dt
    assert nest == {j: [off + (k + 1) * p.dt] for j, k in package.items()}


def test_nest_agrees_with_the_package_engine() -> None:
    """A trained module (4 places, 20 neurons, 100 ms), 8 query images: NEST vs the package's engine.

    Criteria fixed on three calibration seeds (data 0/1/2) before this test's seed (4): equal spike counts for
    71-76% of (neuron, image) pairs, NEST/package spike ratio 1.33-1.71 (NEST fires more: its E -> I -> E
    inhibition arrives two steps later), Pearson r 0.47-0.55. Asserted with margin: >= 60%, ratio in
    [1.0, 2.5], r >= 0.3.
    """
    pytest.importorskip("pyNN.nest")
    d = synthetic_traverses(4, 32, seed=4)
    ref = d.select("ref_a", "ref_b")
    net = ModularSNN(4, 20, 2, DiehlCookParams(t_present=100.0, theta_init=45.0), seed=9)
    net.fit(process_images(ref.images), ref.place_id)
    Q = process_images(d.select("query", "calibration").images)
    package = net.respond(Q, seed=19).counts.T
    nest = run_pynn(export_module(net, 0), query_spike_times(net, Q, seed=19), "nest")
    assert nest.shape == package.shape == (8, 20)
    assert package.sum() > 0
    assert np.mean(nest == package) >= 0.6
    assert 1.0 <= nest.sum() / package.sum() <= 2.5
    assert np.corrcoef(nest.ravel(), package.ravel())[0, 1] >= 0.3
    scores = module_scores(nest, net.assignments_[0], net.regions_[0])
    assert scores.shape == (8, 4)
