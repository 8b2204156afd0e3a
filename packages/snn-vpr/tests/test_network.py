"""Network size, STDP pairings, weight normalisation, frozen theta and membrane dynamics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from snn_vpr.network import DiehlCookParams, ModuleBank, delayed_arrivals, network_size, stdp_step


def test_module_size() -> None:
    assert network_size(784, 400) == (1584, 473_600)
    assert 784 * 400 + 400 + 400 * 399 == 473_600
    with pytest.raises(ValueError, match="n_e must be a positive integer"):
        network_size(784, 0)


def _traces(pre: float, post1: float, post2: float, n_in: int = 2, n_e: int = 2) -> dict[str, torch.Tensor]:
    return {
        "pre": torch.full((1, 1, n_in), pre),
        "post1": torch.full((1, 1, n_e), post1),
        "post2": torch.full((1, 1, n_e), post2),
    }


def test_stdp_pre_spike_adds_signed_nu_pre_post1() -> None:
    # VPRSNN's code adds +nu_pre * post1 on a pre spike; Diehl & Cook subtract it (nu_pre = -1e-4)
    for nu_pre in (1e-4, -1e-4):
        p = DiehlCookParams(nu_pre=nu_pre)
        w = torch.full((1, 2, 2), 0.5)
        tr = _traces(pre=0.0, post1=0.7, post2=0.3)
        x = torch.tensor([[[1.0, 0.0]]])
        stdp_step(w, x, torch.zeros(1, 1, 2), tr, p)
        np.testing.assert_allclose(w[0, 0].numpy(), 0.5 + nu_pre * 0.7, rtol=1e-6)
        np.testing.assert_allclose(w[0, 1].numpy(), 0.5)
        assert tr["pre"][0, 0, 0] == 1.0 and tr["pre"][0, 0, 1] == 0.0
    assert DiehlCookParams().nu_pre == 1e-4


def test_stdp_post_spike_potentiates_with_post2_before() -> None:
    p = DiehlCookParams()
    w = torch.full((1, 2, 2), 0.5)
    tr = _traces(pre=0.4, post1=0.2, post2=0.6)
    post = torch.tensor([[[0.0, 1.0]]])
    stdp_step(w, torch.zeros(1, 1, 2), post, tr, p)
    # pairing pre (trace 0.4) then post: dw = nu_post * pre * post2_before = 0.01 * 0.4 * 0.6
    np.testing.assert_allclose(w[0, :, 1].numpy(), 0.5 + 0.01 * 0.4 * 0.6, rtol=1e-6)
    np.testing.assert_allclose(w[0, :, 0].numpy(), 0.5)
    assert tr["post1"][0, 0, 1] == 1.0 and tr["post2"][0, 0, 1] == 1.0 and tr["post2"][0, 0, 0] == 0.6


def test_stdp_clips_to_bounds() -> None:
    p = DiehlCookParams()
    w = torch.tensor([[[0.99995, 0.00001]]]).reshape(1, 1, 2)
    tr = _traces(pre=1.0, post1=1.0, post2=1.0, n_in=1)
    stdp_step(w, torch.ones(1, 1, 1), torch.tensor([[[1.0, 0.0]]]), tr, p)
    assert float(w.max()) <= 1.0 and float(w.min()) >= 0.0


def test_weight_normalisation_column_sums() -> None:
    bank = ModuleBank(3, 784, 20, seed=1)
    bank.normalise_weights()
    np.testing.assert_allclose(bank.w.sum(dim=1).numpy(), 78.0, rtol=1e-5)


def test_initial_weights_and_theta() -> None:
    bank = ModuleBank(2, 50, 10, seed=0)
    w = bank.w.numpy()
    assert w.min() >= 0.01 * 0.3 - 1e-7 and w.max() <= 1.01 * 0.3 + 1e-7
    assert np.all(bank.theta.numpy() == 20.0)
    again = ModuleBank(2, 50, 10, seed=0)
    np.testing.assert_array_equal(again.w.numpy(), w)


def test_theta_frozen_when_responding_and_grows_when_training() -> None:
    bank = ModuleBank(1, 784, 4, DiehlCookParams(t_present=60.0), seed=0)
    rates = torch.full((1, 3, 784), 63.75)
    th0 = bank.theta.clone()
    w0 = bank.w.clone()
    counts = bank.respond(rates[0])
    assert counts.sum() > 0
    assert torch.equal(bank.theta, th0) and torch.equal(bank.w, w0)
    bank.train(rates)
    assert torch.all(bank.theta >= th0 - 1e-3) and bool((bank.theta > th0).any())


def test_silent_input_keeps_membranes_at_rest() -> None:
    bank = ModuleBank(1, 9, 3, DiehlCookParams(t_present=20.0), seed=0)
    s = bank._fresh_state(1)
    counts = bank._present(s, torch.zeros(1, 1, 9), learn=False)
    assert counts.sum() == 0
    np.testing.assert_allclose(s["v_e"].numpy(), -65.0)
    np.testing.assert_allclose(s["v_i"].numpy(), -60.0)


def test_membrane_relaxes_with_closed_form_under_constant_conductance() -> None:
    # with ge held constant (tau_ge huge) and no spikes (theta huge), v follows the exact exponential
    p = DiehlCookParams(t_present=10.0, tau_ge=1e12, theta_init=1e6)
    bank = ModuleBank(1, 1, 2, p, seed=0)
    s = bank._fresh_state(1)
    s["ge_e"][:] = 0.5
    bank._present(s, torch.zeros(1, 1, 1), learn=False)
    g = 0.5
    v_inf = (-65.0 + g * 0.0) / (1 + g)
    expected = v_inf + (-65.0 - v_inf) * math.exp(-10.0 / 100.0 * (1 + g))
    np.testing.assert_allclose(s["v_e"].numpy(), expected, rtol=1e-5)


def test_timer_limits_rate_to_one_spike_per_50ms() -> None:
    # saturating drive: each neuron fires at most once per refrac_e / timer_rate = 50 ms
    p = DiehlCookParams(t_present=200.0, theta_init=0.0)
    bank = ModuleBank(1, 784, 2, p, seed=0)
    counts = bank.respond(torch.full((1, 784), 63.75))
    assert counts.max() <= 4 and counts.max() >= 3


def test_bad_params() -> None:
    with pytest.raises(ValueError, match="dt must be a positive"):
        DiehlCookParams(dt=0)
    with pytest.raises(ValueError, match="n_e must be >= 2"):
        ModuleBank(1, 4, 1)
    with pytest.raises(ValueError, match="rates must be"):
        ModuleBank(1, 4, 2).respond(torch.zeros(3, 5))


def test_stdp_step_matches_dense_outer_products() -> None:
    g = torch.Generator().manual_seed(0)
    p = DiehlCookParams()
    m, n_in, n_e = 3, 30, 7
    w = torch.rand(m, n_in, n_e, generator=g)
    x = (torch.rand(m, 1, n_in, generator=g) < 0.3).float()
    post = (torch.rand(m, 1, n_e, generator=g) < 0.4).float()
    tr = {
        "pre": torch.rand(m, 1, n_in, generator=g),
        "post1": torch.rand(m, 1, n_e, generator=g),
        "post2": torch.rand(m, 1, n_e, generator=g),
    }
    mask = torch.tensor([1.0, 0.0, 1.0]).reshape(m, 1, 1)
    # dense statement of the rule: pre pathway, clip, post pathway (post2 before its reset), clip
    pre = torch.where(x > 0, torch.ones_like(x), tr["pre"])
    wd = (w + mask * p.nu_pre * x.transpose(1, 2) * tr["post1"]).clamp(0, 1)
    wd = (wd + mask * p.nu_post * pre.transpose(1, 2) * (tr["post2"] * post)).clamp(0, 1)
    ws = w.clone()
    stdp_step(ws, x, post, tr, p, mask)
    torch.testing.assert_close(ws, wd)
    torch.testing.assert_close(tr["pre"], pre)


def test_delays_are_seeded_uniform_steps() -> None:
    p = DiehlCookParams()  # delays U(0, 10) ms, dt 0.5 ms -> 0..20 steps
    a, b = ModuleBank(2, 50, 40, p, seed=4), ModuleBank(2, 50, 40, p, seed=4)
    assert torch.equal(a.delay_steps, b.delay_steps)
    d = a.delay_steps.long()
    assert int(d.min()) == 0 and int(d.max()) == 20 and a.n_slots == 21
    assert abs(float(d.float().mean()) - 10.0) < 0.3
    assert not ModuleBank(1, 5, 3, DiehlCookParams(delay_max=0.0)).delays
    assert ModuleBank(1, 5, 3, DiehlCookParams(dt=0.1)).n_slots == 101
    with pytest.raises(ValueError, match="delay_max must be"):
        DiehlCookParams(delay_max=-1.0)


def test_delayed_arrivals_match_brute_force() -> None:
    g = torch.Generator().manual_seed(1)
    n_slots, m, b, n_in, n_e = 6, 2, 3, 7, 5
    hist = torch.rand(n_slots, m, b, n_in, generator=g) < 0.3
    delays = torch.randint(0, n_slots, (m, n_in, n_e), generator=g).to(torch.int16)
    slot = 4
    got = set(zip(*(t.tolist() for t in delayed_arrivals(hist, slot, delays)), strict=True))
    want = set()
    for mm in range(m):
        for bb in range(b):
            for i in range(n_in):
                for j in range(n_e):
                    d = int(delays[mm, i, j])
                    if hist[(slot - d) % n_slots, mm, bb, i]:
                        want.add((mm, bb, i, j))
    assert got == want and len(want) > 0


def test_input_spike_reaches_each_neuron_after_its_delay() -> None:
    p = DiehlCookParams(t_present=20.0)
    bank = ModuleBank(1, 1, 4, p, seed=2)
    bank.delay_steps = torch.tensor([[[0, 3, 7, 20]]], dtype=torch.int16)
    bank.w = torch.tensor([[[0.1, 0.2, 0.3, 0.4]]])
    s = bank._fresh_state(1)
    arrived = torch.zeros(4)
    for step in range(25):
        x = torch.ones(1, 1, 1) if step == 0 else torch.zeros(1, 1, 1)
        before = s["ge_e"].clone()
        bank._schedule(s, x)
        s["step"] += 1
        jump = (s["ge_e"] - before)[0, 0]
        for j in range(4):
            if jump[j] > 0:
                assert step == int(bank.delay_steps[0, 0, j]) and arrived[j] == 0
                arrived[j] = float(jump[j])
    torch.testing.assert_close(arrived, bank.w[0, 0])


def test_training_path_equals_test_path_without_plasticity() -> None:
    # the per-synapse arrival path (training) and the scheduled-buffer path (test) deliver the same input
    p = DiehlCookParams(t_present=60.0, nu_pre=0.0, nu_post=0.0, theta_plus=0.0)
    bank = ModuleBank(2, 784, 6, p, seed=5)
    rates = torch.rand(2, 1, 784, generator=torch.Generator().manual_seed(0)) * 63.75
    w0 = bank.w.clone()
    bank.gen.manual_seed(11)
    c_learn = bank._present(bank._fresh_state(1, learn=True), rates, learn=True)
    bank.gen.manual_seed(11)
    c_test = bank._present(bank._fresh_state(1), rates, learn=False)
    assert c_learn.sum() > 0
    torch.testing.assert_close(c_learn, c_test)
    torch.testing.assert_close(bank.w, w0)


def test_delayed_stdp_uses_per_synapse_arrival_times() -> None:
    p = DiehlCookParams()
    bank = ModuleBank(1, 2, 2, p, seed=0)
    bank.w = torch.full((1, 2, 2), 0.5)
    s = bank._fresh_state(1, learn=True)
    s["post1"][:] = 0.25
    s["post2"][:] = 0.6
    # synapse (0, 1) receives an arrival at t = 3 ms: pre pathway adds nu_pre * post1
    s["t_ms"] = 3.0
    am, ai, aj = torch.tensor([0]), torch.tensor([0]), torch.tensor([1])
    flat = (am * 2 + ai) * 2 + aj
    bank._stdp_delayed(s, am, ai, aj, flat, bank.w.view(-1)[flat].clone(), torch.zeros(1, 1, 2), None)
    np.testing.assert_allclose(float(bank.w[0, 0, 1]), 0.5 + 1e-4 * 0.25, rtol=1e-6)
    # neuron 1 spikes at t = 8 ms: synapse (0, 1) has pre = exp(-5 / 20), synapse (1, 1) never received input
    s["t_ms"] = 8.0
    w01 = float(bank.w[0, 0, 1])
    e = torch.empty(0, dtype=torch.long)
    bank._stdp_delayed(s, e, e, e, e, torch.empty(0), torch.tensor([[[0.0, 1.0]]]), None)
    np.testing.assert_allclose(float(bank.w[0, 0, 1]), w01 + 0.01 * math.exp(-5 / 20) * 0.6, rtol=1e-6)
    np.testing.assert_allclose(float(bank.w[0, 1, 1]), 0.5)
    np.testing.assert_allclose(bank.w[0, :, 0].numpy(), 0.5)
    assert float(s["post1"][0, 0, 1]) == 1.0 and float(s["post2"][0, 0, 1]) == 1.0


def test_batched_responses_equal_single_ones_with_delays() -> None:
    # deterministic inputs (rate * dt >= 1 spike per step, or silent): a batch answers like its rows one by one
    p = DiehlCookParams(t_present=30.0, theta_init=30.0)
    bank = ModuleBank(2, 784, 5, p, seed=1)
    g = torch.Generator().manual_seed(3)
    rates = (torch.rand(3, 784, generator=g) < 0.05).float() * 4000.0
    batch = bank.respond(rates)
    single = torch.cat([bank.respond(rates[k : k + 1]) for k in range(3)], dim=1)
    assert batch.sum() > 0
    torch.testing.assert_close(batch, single)
