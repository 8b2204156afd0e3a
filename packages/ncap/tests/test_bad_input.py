"""Bad input over the public API: hand-picked cases with their messages, then property-based draws (hypothesis)
for every public function; every draw must raise TypeError or ValueError."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ncap import (
    MLPPolicy,
    RandomPolicy,
    Rollout,
    SwimmerNCAP,
    ZeroPolicy,
    cma_es,
    envs,
    episode_returns,
    evaluate,
    joint_limit,
    load_policy,
    openai_es,
    oscillator,
    rollout,
    save_policy,
    time_feature_to_step,
)
from ncap.plots import plot_gait, plot_learning_curves, plot_returns, plot_sweep
from ncap.reproduce import reproduce
from ncap.train import centred_ranks
from neurotypes.io import save_arrays


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda: SwimmerNCAP(period=1), ValueError, "period must be >= 2"),
        (lambda: SwimmerNCAP(period=2.5), TypeError, "period must be an integer"),
        (lambda: SwimmerNCAP(n_joints=0), ValueError, "n_joints must be positive"),
        (lambda: SwimmerNCAP(init="zeros"), ValueError, "init must be one of 'constant', 'uniform'"),
        (lambda: SwimmerNCAP(weight_sharing="yes"), TypeError, "weight_sharing must be True or False"),
        (lambda: SwimmerNCAP().act(np.zeros(4), 0), ValueError, "last dimension n_joints=5"),
        (lambda: SwimmerNCAP().act([np.nan] * 5, 0), ValueError, "joint_pos_norm must be finite"),
        (lambda: SwimmerNCAP().act(np.zeros(5), -1), ValueError, "step must be non-negative"),
        (lambda: SwimmerNCAP().act(np.zeros(5), 2.5), ValueError, "step must hold integers"),
        (
            lambda: SwimmerNCAP()({"joints": np.zeros(6)}, 0),
            ValueError,
            r"observation\['joints'\] must have shape",
        ),
        (lambda: SwimmerNCAP().set_params([1.0, 2.0]), ValueError, r"params must have shape \(4\)"),
        (lambda: SwimmerNCAP().set_params([1.0, np.inf, 0, 0]), ValueError, "params must be finite"),
        (lambda: time_feature_to_step(np.nan), ValueError, "feature must be finite"),
        (lambda: time_feature_to_step([0.5, 1.5]), ValueError, "feature must be <= 1"),
        (lambda: time_feature_to_step(0.0, episode_steps=0), ValueError, "episode_steps must be positive"),
        (lambda: oscillator([0, 1], period=1), ValueError, "period must be >= 2"),
        (lambda: MLPPolicy((23, 64, 5)).forward(np.zeros(22)), ValueError, "last dimension 23"),
        (lambda: MLPPolicy((23,)), ValueError, "sizes must be at least two"),
        (lambda: envs.make_swim(n_links=2), ValueError, "n_links must be >= 3"),
        (lambda: envs.make_swim(desired_speed=0), ValueError, "desired_speed must be > 0"),
        (lambda: envs.make_swim(seed=-1), ValueError, "seed must be non-negative"),
        (lambda: evaluate(SwimmerNCAP(), episodes=0), ValueError, "episodes must be positive"),
        (lambda: cma_es(SwimmerNCAP(), gens=0), ValueError, "gens must be positive"),
        (lambda: cma_es(SwimmerNCAP(), sigma0=-1.0), ValueError, "sigma0 must be > 0"),
        (lambda: cma_es(SwimmerNCAP(), seed=3, eval_seeds=[3, 4]), ValueError, "eval_seeds must be held out"),
        (lambda: openai_es(SwimmerNCAP(), pop=7), ValueError, "pop must be even"),
        (lambda: evaluate(SwimmerNCAP(), workers=0), ValueError, "workers must be positive"),
        (lambda: episode_returns(SwimmerNCAP(), []), ValueError, "seeds must hold at least one seed"),
        (lambda: centred_ranks([1.0, np.nan]), ValueError, "x must be finite"),
    ],
)
def test_bad_input_messages(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_joint_count_mismatch_between_policy_and_body():
    env = envs.make_swim(n_links=4, seed=0)  # 3 joints
    ts = env.reset()
    with pytest.raises(ValueError, match="n_joints=5"):
        SwimmerNCAP(n_joints=5)(ts.observation, 0)


SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
not_an_int = st.one_of(
    st.floats(allow_nan=True),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
bad_positive_int = st.one_of(not_an_int, st.integers(max_value=0))
bad_seed = st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.text(max_size=2), st.booleans())
non_finite = st.sampled_from([np.nan, np.inf, -np.inf])
bad_float = st.one_of(non_finite, st.text(max_size=2), st.none())


@SETTINGS
@given(
    n=bad_positive_int,
    value=non_finite,
    index=st.integers(0, 4),
    feature=st.one_of(non_finite, st.floats(min_value=1.0001, max_value=1e9)),
)
def test_circuit(n, value, index, feature):
    with pytest.raises((TypeError, ValueError)):
        SwimmerNCAP(n_joints=n)
    with pytest.raises((TypeError, ValueError)):
        joint_limit(n)
    q = np.zeros(5)
    q[index] = value
    with pytest.raises(ValueError):
        SwimmerNCAP().act(q, 0)
    with pytest.raises(ValueError):
        SwimmerNCAP().activity(q, 0)
    with pytest.raises(ValueError):
        SwimmerNCAP().set_params(np.where(np.arange(4) == index % 4, value, 1.0))
    with pytest.raises(ValueError):
        time_feature_to_step(feature)
    with pytest.raises(ValueError):
        time_feature_to_step(-feature)


@SETTINGS
@given(
    t=st.one_of(
        st.integers(max_value=-1),
        st.floats(allow_nan=True).filter(lambda x: not float(x).is_integer()),
        non_finite,
    ),
    period=st.one_of(not_an_int, st.integers(max_value=1)),
)
def test_oscillator(t, period):
    with pytest.raises((TypeError, ValueError)):
        oscillator([0, t], 60)
    with pytest.raises((TypeError, ValueError)):
        oscillator([0, 1], period)
    with pytest.raises((TypeError, ValueError)):
        SwimmerNCAP().act(np.zeros(5), np.array([t]))


@SETTINGS
@given(size=st.one_of(bad_positive_int, st.just(0)), value=non_finite, seed=bad_seed)
def test_baselines(size, value, seed):
    with pytest.raises((TypeError, ValueError)):
        MLPPolicy((23, size, 5))
    with pytest.raises((TypeError, ValueError)):
        MLPPolicy((23, 8, 5), activation="sigmoid")
    mlp = MLPPolicy((3, 4, 2))
    with pytest.raises(ValueError):
        mlp.forward(np.array([0.0, value, 1.0]))
    with pytest.raises(ValueError):
        mlp.set_params(np.full(mlp.n_params, value))
    with pytest.raises((TypeError, ValueError)):
        ZeroPolicy(n_joints=size)
    with pytest.raises((TypeError, ValueError)):
        RandomPolicy(seed=seed)


@SETTINGS
@given(value=non_finite, dt=st.one_of(bad_float, st.floats(max_value=0.0)), n=st.integers(1, 5))
def test_rollout_and_plots(value, dt, n):
    obs, act, rew = np.zeros((n, 4)), np.zeros((n, 2)), np.ones(n)
    with pytest.raises((TypeError, ValueError)):
        Rollout(obs, act, rew, dt)
    bad = obs.copy()
    bad[0, 0] = value
    with pytest.raises(ValueError):
        Rollout(bad, act, rew, 0.03)
    with pytest.raises(ValueError):
        Rollout(obs, act + 2.0, rew, 0.03)  # torques outside [-1, 1]
    with pytest.raises(ValueError):
        Rollout(obs, act, np.ones(n + 1), 0.03)
    ro = Rollout(obs, act, rew, 0.03)
    with pytest.raises(ValueError):
        ro.to_traces("velocity")
    with pytest.raises(ValueError):
        SwimmerNCAP().activity_traces(ro)  # 2 joints, not 5
    with pytest.raises(TypeError):
        plot_gait("rollout")
    with pytest.raises(ValueError):
        plot_returns({"a": [value]})
    with pytest.raises(ValueError):
        plot_sweep([1, 2], {"a": [1.0]}, "x")
    with pytest.raises(ValueError):
        plot_learning_curves({"a": [([1, 2], [value, 0.0])]})


@SETTINGS
@given(gens=bad_positive_int, seed=bad_seed, sigma=st.one_of(bad_float, st.floats(max_value=0.0)))
def test_trainers(gens, seed, sigma):
    pol = SwimmerNCAP()
    for kwargs in ({"gens": gens}, {"seed": seed}, {"sigma0": sigma}, {"popsize": 1}, {"eval_seeds": [seed]}):
        with pytest.raises((TypeError, ValueError)):
            cma_es(pol, **kwargs)
    for kwargs in ({"gens": gens}, {"seed": seed}, {"sigma": sigma}, {"lr": sigma}, {"weight_decay": -1.0}):
        with pytest.raises((TypeError, ValueError)):
            openai_es(pol, **kwargs)
    with pytest.raises((TypeError, ValueError)):
        evaluate(pol, seed=seed)
    with pytest.raises((TypeError, ValueError)):
        episode_returns(pol, [0, seed])
    with pytest.raises(TypeError):
        episode_returns("policy", [0])
    with pytest.raises(TypeError):
        rollout(pol, "env")
    with pytest.raises(ValueError):
        episode_returns(pol, [0], params=[np.zeros(3)])  # wrong length


@SETTINGS
@given(threads=st.one_of(st.integers(max_value=0), st.text(max_size=2)), seed=bad_seed)
def test_reproduce_arguments(threads, seed, tmp_path):
    with pytest.raises((TypeError, ValueError)):
        reproduce(tmp_path, quick="yes")
    with pytest.raises((TypeError, ValueError)):
        reproduce(tmp_path, seed=seed)
    with pytest.raises((TypeError, ValueError)):
        reproduce(tmp_path, threads=threads)


def test_policy_files(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"x\.npz"):
        load_policy(tmp_path / "x.npz")
    np.savez(tmp_path / "y.npz", params=np.zeros(4), meta=np.frombuffer(b'{"format": "other"}', np.uint8))
    with pytest.raises(ValueError, match=r"y\.npz.*not a ncap\.policy file"):
        load_policy(tmp_path / "y.npz")
    (tmp_path / "t.npz").write_text("a text file renamed .npz")
    with pytest.raises(ValueError, match=r"t\.npz") as info:
        load_policy(tmp_path / "t.npz")
    assert "allow_pickle" not in str(info.value)
    # a policy file of another kind, or of a newer version, names the file
    save_arrays(
        tmp_path / "k.npz", {"params": np.zeros(4)}, {"kind": "Other", "config": {}}, format="ncap.policy"
    )
    with pytest.raises(ValueError, match=r"k\.npz.*unknown policy kind"):
        load_policy(tmp_path / "k.npz")
    save_arrays(tmp_path / "v.npz", {"params": np.zeros(4)}, {}, format="ncap.policy", version=2)
    with pytest.raises(ValueError, match=r"v\.npz.*version 2"):
        load_policy(tmp_path / "v.npz")
    # parameters that do not fit the settings
    save_arrays(
        tmp_path / "w.npz",
        {"params": np.zeros(3)},
        {"kind": "SwimmerNCAP", "config": {}},
        format="ncap.policy",
    )
    with pytest.raises(ValueError, match=r"w\.npz"):
        load_policy(tmp_path / "w.npz")
    np.savez(tmp_path / "z.npz", params=np.array([object()], dtype=object), meta=np.zeros(1, np.uint8))
    with pytest.raises(ValueError, match=r"z\.npz"):
        load_policy(tmp_path / "z.npz")
    with pytest.raises(FileNotFoundError):
        load_policy(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match=r"\.npz"):
        save_policy(SwimmerNCAP(), tmp_path / "policy.json")
    with pytest.raises(TypeError):
        save_policy(ZeroPolicy(), tmp_path / "zero.npz")
    with pytest.raises(TypeError, match="JSON"):
        save_policy(SwimmerNCAP(), tmp_path / "p.npz", note=object())
    with pytest.raises(ValueError, match="reserved"):
        save_policy(SwimmerNCAP(), tmp_path / "p.npz", kind="other")
