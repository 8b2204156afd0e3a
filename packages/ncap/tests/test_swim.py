"""The paper's swim task: untrained circuits, ablations, transfer, ES training (spec tests 3-5, 8)."""

from __future__ import annotations

import numpy as np
import pytest

from ncap import RandomPolicy, SwimmerNCAP, ZeroPolicy, cma_es, envs, evaluate, openai_es, rollout
from ncap.baselines import MLPPolicy
from ncap.train import centred_ranks, episode_returns

SEEDS = [0, 1, 2, 3, 4]


def test_swim_task_observation_and_episode_length():
    env = envs.make_swim(seed=0)
    ts = env.reset()
    assert ts.observation["joints"].shape == (5,)
    assert ts.observation["body_velocities"].shape == (18,)
    assert envs.observation_size(6) == 23
    ro = rollout(ZeroPolicy(), env)
    assert ro.rewards.shape == (1000,) and ro.obs.shape == (1000, 23) and ro.dt == pytest.approx(0.03)


def test_reward_is_linear_tolerance_of_forward_head_velocity():
    env = envs.make_swim(seed=0)
    env.reset()
    task, physics = env.task, env.physics
    for v in (-0.05, 0.0, 0.03, 0.07, 0.1, 0.4):
        physics.named.data.sensordata["head_vel"][1] = -v  # forward velocity is -head_vel[1]
        expected = min(max(v / 0.1, 0.0), 1.0)
        assert task.get_reward(physics) == pytest.approx(expected)


def test_constant_init_swims_and_ablations_do_not():
    r_const = episode_returns(SwimmerNCAP(), SEEDS, workers=2)
    r_open = episode_returns(SwimmerNCAP(proprioception=False), SEEDS, workers=2)
    r_noosc = episode_returns(SwimmerNCAP(oscillator=False), SEEDS, workers=2)
    assert 750 <= r_const.mean() <= 850
    assert r_const.std() < 0.05 * 1000  # very consistent across seeds
    assert r_open.mean() < 200
    assert r_noosc.mean() < 150
    assert r_const.mean() >= 4 * r_open.mean()
    assert evaluate(ZeroPolicy(), seed=0) == 0.0


def test_random_torques_reach_about_a_tenth():
    assert 0.0 < evaluate(RandomPolicy(seed=0), seed=0) < 250


def test_evaluate_is_deterministic_and_parallel_equals_serial():
    pol = SwimmerNCAP(init="uniform", seed=7)
    serial = episode_returns(pol, [0, 1], workers=1)
    parallel = episode_returns(pol, [0, 1], workers=2)
    np.testing.assert_array_equal(serial, parallel)


@pytest.mark.parametrize("n_joints", [3, 13])
def test_transfer_smoke_other_bodies(n_joints):
    env = envs.make_swim(n_links=n_joints + 1, seed=0)
    pol = SwimmerNCAP(n_joints=n_joints)
    ts = env.reset()
    for step in range(100):
        ts = env.step(pol(ts.observation, step))
    assert np.isfinite(ts.reward)


def test_gym_adapter_runs_ncap():
    pytest.importorskip("gymnasium")
    adapter = envs.GymSwimAdapter(seed=0)
    pol = SwimmerNCAP(n_joints=adapter.n_joints)
    pol.theta_max = adapter.joint_limit
    obs = adapter.reset()
    total = 0.0
    for step in range(50):
        obs, reward, _done = adapter.step(pol(obs, step))
        total += reward
    assert np.isfinite(total)
    adapter.close()


def test_centred_ranks():
    np.testing.assert_allclose(centred_ranks([10.0, -1.0, 3.0]), [0.5, -0.5, 0.0])


def test_openai_es_budget_and_improvement_signal():
    mlp = MLPPolicy((23, 8, 5), seed=0)
    res = openai_es(mlp, gens=2, pop=4, seed=0, workers=2)
    assert res.history[-1]["episodes"] == 2 * (4 + 1) + 1  # (pop + centre) per generation + final evaluation
    assert res.best_return == max(h["best_so_far"] for h in res.history)
    assert not np.array_equal(mlp.get_params(), MLPPolicy((23, 8, 5), seed=0).get_params())


def test_cma_es_keeps_best_and_is_seeded():
    pol_a = SwimmerNCAP(init="uniform", seed=0)
    pol_b = SwimmerNCAP(init="uniform", seed=0)
    a = cma_es(pol_a, gens=1, popsize=4, seed=0, workers=2)
    b = cma_es(pol_b, gens=1, popsize=4, seed=0, workers=1)
    assert a.best_return == b.best_return
    np.testing.assert_array_equal(pol_a.get_params(), a.best_params)
    assert evaluate(pol_a, seed=0) == pytest.approx(a.best_return)


def test_cma_es_held_out_scores_are_independent_episodes():
    pol = SwimmerNCAP(init="uniform", seed=1)
    res = cma_es(pol, gens=2, popsize=4, seed=1, workers=2, eval_seeds=[1000, 1001])
    assert res.eval_seeds == (1000, 1001)
    assert res.history[-1]["episodes"] == 8  # held-out episodes are not training episodes
    expected = episode_returns(
        SwimmerNCAP(init="uniform", seed=1), [1000, 1001], params=[res.best_params] * 2
    )
    assert res.heldout_return == pytest.approx(expected.mean())
    assert res.history[-1]["heldout"] == pytest.approx(res.heldout_return)
    assert res.best_return == pytest.approx(evaluate(pol, seed=1))  # training episode = the run's seed
    assert res.episodes_to_reach(-1.0, heldout=True) == 4
    with pytest.raises(ValueError, match="no held-out episodes"):
        cma_es(SwimmerNCAP(), gens=1, popsize=2, seed=0).episodes_to_reach(1.0, heldout=True)
