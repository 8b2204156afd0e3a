"""Episodes as data: Rollout, its Traces, the circuit's activity, policy files and NWB output."""

from __future__ import annotations

import numpy as np
import pytest

from ncap import Rollout, SwimmerNCAP, envs, load_policy, rollout, save_policy
from ncap.baselines import MLPPolicy
from neurotypes import Traces


@pytest.fixture(scope="module")
def episode():
    pol = SwimmerNCAP()
    return pol, rollout(pol, envs.make_swim(seed=0))


def test_rollout_records_the_episode(episode):
    pol, ro = episode
    assert ro.n_steps == 1000 and ro.n_joints == 5 and ro.dt == pytest.approx(0.03)
    np.testing.assert_allclose(ro.joints, ro.obs[:, :5])
    # the recorded actions are what the policy does with the recorded observations
    for t in (0, 17, 500, 999):
        np.testing.assert_allclose(ro.actions[t], pol.act(ro.joints[t] / pol.theta_max, t))
    with pytest.raises(ValueError):
        ro.obs[0, 0] = 1.0  # read-only


def test_traces_of_an_episode(episode, tmp_path):
    _, ro = episode
    tr = ro.to_traces("joints")
    assert tr.unit_ids == tuple(f"joint{i}" for i in range(5)) and tr.signal_units == "rad"
    assert tr.rate == pytest.approx(1 / 0.03) and tr.n_samples == 1000
    np.testing.assert_array_equal(tr.data, ro.joints.T)
    back = Traces.load(tr.save(tmp_path / "joints.npz"))
    np.testing.assert_array_equal(back.data, tr.data)
    assert ro.to_traces("reward").data.sum() == pytest.approx(ro.total_return)
    assert ro.window(10, 20).n_steps == 10


def test_activity_matches_the_torques_and_the_equations(episode):
    pol, ro = episode
    tr = pol.activity_traces(ro)
    assert tr.n_units == 20 and tr.unit_ids[:2] == ("B_d0", "B_d1") and tr.unit_ids[-1] == "M_v4"
    b_d, b_v, m_d, m_v = np.split(tr.data, 4)
    np.testing.assert_allclose((m_d - m_v).T, ro.actions, atol=1e-12)
    # hand check at step 0 and 30: the head B-neurons follow the square wave (constant init: w_osc = 1)
    assert (b_d[0, 0], b_v[0, 0]) == (1.0, 0.0) and (b_d[0, 30], b_v[0, 30]) == (0.0, 1.0)
    q = ro.joints / pol.theta_max
    np.testing.assert_allclose(b_d[1:, :].T, np.clip(q[:, :-1], 0, 1))  # w_prop = 1 relays the previous joint
    assert np.all((tr.data >= 0) & (tr.data <= 1))


def test_policy_files_round_trip(tmp_path):
    pol = SwimmerNCAP(n_joints=7, period=40, init="uniform", seed=3, weight_sharing=False)
    path = save_policy(pol, tmp_path / "p.npz", heldout_return=812.5)
    with np.load(path, allow_pickle=False) as z:
        assert set(z.files) == {"params", "__schema__", "__version__", "__meta__"}
        assert str(z["__schema__"]) == "ncap.policy" and int(z["__version__"]) == 1
    back, meta = load_policy(path)
    assert isinstance(back, SwimmerNCAP) and repr(back) == repr(pol)
    np.testing.assert_array_equal(back.get_params(), pol.get_params())
    assert meta["heldout_return"] == 812.5 and meta["kind"] == "SwimmerNCAP"
    mlp = MLPPolicy((23, 8, 5), activation="relu", seed=2)
    back_mlp, _ = load_policy(save_policy(mlp, tmp_path / "m.npz"))
    assert isinstance(back_mlp, MLPPolicy) and back_mlp.activation == "relu"
    np.testing.assert_array_equal(back_mlp.get_params(), mlp.get_params())


def test_nwb_output_reads_back(episode, tmp_path):
    pytest.importorskip("pynwb")
    _, ro = episode
    path = tmp_path / "episode.nwb"
    ro.to_traces("joints").to_nwb(path)
    back = Traces.from_nwb(path)
    np.testing.assert_allclose(back.data, ro.joints.T)
    assert back.rate == pytest.approx(1 / 0.03)


def test_rollout_validates():
    with pytest.raises(ValueError, match="one row per step"):
        Rollout(np.zeros((3, 4)), np.zeros((2, 2)), np.zeros(3), 0.03)
    with pytest.raises(ValueError, match="obs must start with the 3 joint angles"):
        Rollout(np.zeros((3, 2)), np.zeros((3, 3)), np.zeros(3), 0.03)
