"""The NCAP circuit against hand-computed cases and an independent per-unit loop implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ncap import MLPPolicy, SwimmerNCAP, joint_limit, oscillator, time_feature_to_step


def reference_torques(q, t, n, period, w_prop, w_osc, w_ipsi, w_contra, signed=True):
    """Scalar loop over units, written from the paper's equations (independent of the vectorised code).

    Each weight argument is a function ``(kind, i) -> weight`` where kind is 'd' or 'v'.
    """
    exc = (lambda w: max(w, 0.0)) if signed else (lambda w: w)
    inh = (lambda w: min(w, 0.0)) if signed else (lambda w: w)
    clip01 = lambda x: min(max(x, 0.0), 1.0)  # noqa: E731
    qs = [min(max(x, -1.0), 1.0) for x in q]
    out = []
    b = {"d": [0.0] * n, "v": [0.0] * n}
    for i in range(n):
        for side, sign in (("d", 1.0), ("v", -1.0)):
            if i > 0:
                b[side][i] += exc(w_prop(side, i)) * clip01(sign * qs[i - 1])
            if i == 0:
                on = 1.0 if (t % period) < period // 2 else 0.0
                b[side][i] += exc(w_osc(side, i)) * (on if side == "d" else 1.0 - on)
            b[side][i] = clip01(b[side][i])
    for i in range(n):
        m_d = clip01(exc(w_ipsi("d", i)) * b["d"][i] + inh(w_contra("d", i)) * b["v"][i])
        m_v = clip01(exc(w_ipsi("v", i)) * b["v"][i] + inh(w_contra("v", i)) * b["d"][i])
        out.append(m_d - m_v)
    return np.array(out)


def test_parameter_counts():
    assert SwimmerNCAP().n_params == 4
    assert SwimmerNCAP(weight_sharing=False).n_params == 30
    for n in (2, 5, 13):
        assert SwimmerNCAP(n_joints=n, weight_sharing=False).n_params == 6 * n
    assert MLPPolicy((23, 64, 64, 5)).n_params == 6021
    assert MLPPolicy((23, 256, 256, 5), activation="relu").n_params == 73221


def test_constant_and_uniform_initialisation():
    assert SwimmerNCAP().get_params().tolist() == [1.0, 1.0, 1.0, -1.0]
    u = SwimmerNCAP(init="uniform", seed=3).get_params()
    assert np.all(u[:3] >= 0) and np.all(u[:3] <= 1) and -1 <= u[3] <= 0
    unsigned_const = SwimmerNCAP(sign_constraints=False, seed=1, weight_sharing=False).get_params()
    assert set(np.abs(unsigned_const).tolist()) == {1.0}
    assert len(set(np.sign(unsigned_const).tolist())) == 2  # random +-1, not the signed pattern
    unsigned_uniform = SwimmerNCAP(
        sign_constraints=False, init="uniform", seed=1, weight_sharing=False
    ).get_params()
    assert (
        np.all(np.abs(unsigned_uniform) <= 1)
        and (unsigned_uniform < 0).any()
        and (unsigned_uniform > 0).any()
    )


def test_square_wave_oscillator_phases():
    d, v = oscillator(np.arange(120), 60)
    assert d[:30].tolist() == [1.0] * 30 and d[30:60].tolist() == [0.0] * 30
    assert d[60:90].tolist() == [1.0] * 30 and np.all(d + v == 1.0)
    assert time_feature_to_step([-1.0, 0.0, 1.0]).tolist() == [0, 500, 1000]


def test_joint_limit_is_dm_control_range():
    assert joint_limit(5) == pytest.approx(2 * math.pi / 6)


def test_hand_computed_step():
    pol = SwimmerNCAP()  # (+1, +1, +1, -1)
    # head bent ventrally (q0 = -0.4) -> B_v,1 = 0.4 -> joint 1 torque -0.4; oscillator dorsal at t=0
    q = np.array([-0.4, 0.3, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(pol.act(q, 0), [1.0, -0.4, 0.3, 0.0, 0.0])
    # half a period later the oscillator drives the ventral side
    np.testing.assert_allclose(pol.act(q, 30), [-1.0, -0.4, 0.3, 0.0, 0.0])


def test_sign_clamps_negative_excitatory_weight_acts_as_zero():
    q = np.array([0.5, -0.7, 0.2, 0.9, -0.1])
    neg = SwimmerNCAP().set_params([-0.8, 1.0, 1.0, -1.0])
    zero = SwimmerNCAP().set_params([0.0, 1.0, 1.0, -1.0])
    np.testing.assert_array_equal(neg.act(q, 5), zero.act(q, 5))
    # a positive "inhibitory" weight is clamped to 0 too
    np.testing.assert_array_equal(
        SwimmerNCAP().set_params([1, 1, 1, 0.7]).act(q, 5), SwimmerNCAP().set_params([1, 1, 1, 0.0]).act(q, 5)
    )
    # without sign constraints the positive contralateral weight acts (joint 2: -0.21 instead of -0.7)
    unsigned = SwimmerNCAP(sign_constraints=False).set_params([1.0, 1.0, 1.0, 0.7])
    signed = SwimmerNCAP().set_params([1.0, 1.0, 1.0, 0.7])
    assert signed.act(q, 5)[2] == pytest.approx(-0.7)
    assert unsigned.act(q, 5)[2] == pytest.approx(0.49 - 0.7)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 8),
    t=st.integers(0, 999),
    period=st.integers(2, 100),
    shared=st.booleans(),
    signed=st.booleans(),
    data=st.data(),
)
def test_matches_independent_loop_implementation(n, t, period, shared, signed, data):
    pol = SwimmerNCAP(n_joints=n, period=period, weight_sharing=shared, sign_constraints=signed)
    params = np.array(data.draw(st.lists(st.floats(-2, 2), min_size=pol.n_params, max_size=pol.n_params)))
    pol.set_params(params)
    q = np.array(data.draw(st.lists(st.floats(-1.5, 1.5), min_size=n, max_size=n)))
    named = pol.named_params()
    if shared:
        w_prop = lambda s, i: named["bneuron_prop"]  # noqa: E731
        w_osc = lambda s, i: named["bneuron_osc"]  # noqa: E731
        w_ipsi = lambda s, i: named["muscle_ipsi"]  # noqa: E731
        w_contra = lambda s, i: named["muscle_contra"]  # noqa: E731
    else:
        w_prop = lambda s, i: named[f"bneuron_prop_{s}_{i}"]  # noqa: E731
        w_osc = lambda s, i: named[f"bneuron_osc_{s}"]  # noqa: E731
        w_ipsi = lambda s, i: named[f"muscle_ipsi_{s}_{i}"]  # noqa: E731
        w_contra = lambda s, i: named[f"muscle_contra_{s}_{i}"]  # noqa: E731
    expected = reference_torques(q, t, n, period, w_prop, w_osc, w_ipsi, w_contra, signed)
    got = pol.act(q, t)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert np.all(np.abs(got) <= 1.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1, 1), min_size=5, max_size=5), st.integers(0, 59))
def test_dorsal_ventral_mirror_symmetry(q, t):
    """q -> -q with the oscillator phase shifted by half a period swaps dorsal and ventral: torque -> -torque."""
    pol = SwimmerNCAP()
    q = np.array(q)
    np.testing.assert_allclose(pol.act(-q, t + 30), -pol.act(q, t), atol=1e-12)


def test_ablations_remove_connections():
    q = np.array([0.5, -0.5, 0.5, -0.5, 0.5])
    open_loop = SwimmerNCAP(proprioception=False)
    np.testing.assert_array_equal(open_loop.act(q, 0), [1.0, 0, 0, 0, 0])
    no_osc = SwimmerNCAP(oscillator=False)
    assert no_osc.act(np.zeros(5), 0).tolist() == [0.0] * 5


def test_batched_act_equals_single_steps():
    pol = SwimmerNCAP(init="uniform", seed=2, weight_sharing=False)
    rng = np.random.default_rng(0)
    q = rng.uniform(-1, 1, (7, 5))
    t = rng.integers(0, 200, 7)
    batched = pol.act(q, t)
    for k in range(7):
        np.testing.assert_array_equal(batched[k], pol.act(q[k], int(t[k])))


def test_torch_module_gives_identical_torques():
    torch = pytest.importorskip("torch")
    from ncap.torch import SwimmerModule

    rng = np.random.default_rng(1)
    for shared in (True, False):
        for signed in (True, False):
            pol = SwimmerNCAP(weight_sharing=shared, sign_constraints=signed, init="uniform", seed=4)
            pol.set_params(rng.uniform(-1.5, 1.5, pol.n_params))
            module = SwimmerModule.from_numpy(pol)
            q = rng.uniform(-1.2, 1.2, (16, 5))
            t = rng.integers(0, 1000, 16)
            got = module(torch.as_tensor(q), torch.as_tensor(t)).detach().numpy()
            np.testing.assert_allclose(got, pol.act(q, t), atol=1e-12)
    # gradients flow to the unconstrained parameters
    module = SwimmerModule()
    module(torch.full((1, 5), 0.3, dtype=torch.float64), torch.tensor([0])).sum().backward()
    assert module.weights.grad is not None and torch.isfinite(module.weights.grad).all()


def test_effective_weights_view():
    w = SwimmerNCAP(n_joints=4).set_params([-0.5, 2.0, 0.7, 0.3]).effective_weights()
    assert w["prop_d"].tolist() == [0.0, 0.0, 0.0]  # excitatory clamped at 0, broadcast over joints 1..3
    assert float(w["osc_v"]) == 2.0
    assert w["ipsi_v"].tolist() == [0.7] * 4
    assert w["contra_d"].tolist() == [0.0] * 4  # inhibitory clamped at 0 from above
    ablated = SwimmerNCAP(proprioception=False, oscillator=False).effective_weights()
    assert ablated["prop_v"].tolist() == [0.0] * 4 and float(ablated["osc_d"]) == 0.0
    assert ablated["ipsi_d"].tolist() == [1.0] * 5
