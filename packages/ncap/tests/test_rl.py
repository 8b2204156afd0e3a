"""PPO (extra torch): GAE against a hand computation, and a short training run."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ncap.rl import MLPActor, NCAPActor, RunningNorm, gae, ppo  # noqa: E402


def test_gae_hand_computed():
    # two-step episode then a one-step (truncated) episode; gamma = 0.5, lambda = 0.5
    r = np.array([1.0, 0.0, 2.0])
    v = np.array([0.5, 1.0, 1.0])
    nxt = np.array([1.0, 4.0, 2.0])  # V(s1), V(final of episode 1), V(final of episode 2)
    ends = np.array([False, True, True])
    adv, ret = gae(r, v, nxt, ends, gamma=0.5, lam=0.5)
    d = [1 + 0.5 * 1 - 0.5, 0 + 0.5 * 4 - 1, 2 + 0.5 * 2 - 1]  # deltas: 1.0, 1.0, 2.0
    expected = [d[0] + 0.25 * d[1], d[1], d[2]]
    np.testing.assert_allclose(adv, expected)
    np.testing.assert_allclose(ret, np.array(expected) + v)


def test_running_norm_matches_numpy():
    rng = np.random.default_rng(0)
    data = rng.normal(3.0, 2.0, (500, 4))
    norm = RunningNorm(4)
    for chunk in np.array_split(data, 7):
        norm.update(chunk)
    np.testing.assert_allclose(norm.mean, data.mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(norm.var, data.var(axis=0), rtol=1e-6)


def test_ncap_actor_mean_is_the_circuit():
    from ncap import SwimmerNCAP, joint_limit

    actor = NCAPActor()
    obs = np.zeros((2, 23))
    obs[:, :5] = np.array([[0.2, -0.4, 0.0, 0.1, 0.3], [0.0, 0.0, 0.5, -0.5, 0.0]])
    got = actor(torch.as_tensor(obs), torch.tensor([0, 30])).detach().numpy()
    ref = SwimmerNCAP().act(obs[:, :5] / joint_limit(5), np.array([0, 30]))
    np.testing.assert_allclose(got, ref, atol=1e-12)


@pytest.mark.parametrize("make_actor", [NCAPActor, MLPActor])
def test_short_ppo_run_updates_the_actor(make_actor):
    actor = make_actor()
    before = [p.detach().clone() for p in actor.parameters()]
    result = ppo(actor, total_steps=1200, steps_per_update=600, epochs=2, minibatch=200, seed=0)
    assert result.steps == 1200
    assert len(result.episode_returns) == 1 and 0.0 <= result.episode_returns[0] <= 1000.0
    assert all(np.isfinite(result.losses))
    assert any(not torch.equal(b, p) for b, p in zip(before, actor.parameters(), strict=True))


def test_ppo_bad_input():
    with pytest.raises(ValueError, match="total_steps must be positive"):
        ppo(NCAPActor(), total_steps=0)
    with pytest.raises(ValueError, match="action_std must be > 0"):
        ppo(NCAPActor(), total_steps=10, action_std=0.0)
