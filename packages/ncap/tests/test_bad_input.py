"""Clear errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest

from ncap import MLPPolicy, SwimmerNCAP, cma_es, envs, evaluate, openai_es


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda: SwimmerNCAP(period=1), ValueError, "period must be >= 2"),
        (lambda: SwimmerNCAP(period=2.5), TypeError, "period must be an integer"),
        (lambda: SwimmerNCAP(n_joints=0), ValueError, "n_joints must be >= 1"),
        (lambda: SwimmerNCAP(init="zeros"), ValueError, "init must be 'constant' or 'uniform'"),
        (lambda: SwimmerNCAP(weight_sharing="yes"), TypeError, "weight_sharing must be a bool"),
        (lambda: SwimmerNCAP().act(np.zeros(4), 0), ValueError, "last dimension n_joints=5"),
        (lambda: SwimmerNCAP().act([np.nan] * 5, 0), ValueError, "must be finite"),
        (
            lambda: SwimmerNCAP()({"joints": np.zeros(6)}, 0),
            ValueError,
            r"observation\['joints'\] must have shape",
        ),
        (lambda: SwimmerNCAP().set_params([1.0, 2.0]), ValueError, r"params must have shape \(4,\)"),
        (lambda: MLPPolicy((23, 64, 5)).forward(np.zeros(22)), ValueError, "last dimension 23"),
        (lambda: MLPPolicy((23,)), ValueError, "sizes must be at least two"),
        (lambda: envs.make_swim(n_links=2), ValueError, "n_links must be >= 3"),
        (lambda: envs.make_swim(desired_speed=0), ValueError, "desired_speed must be > 0"),
        (lambda: evaluate(SwimmerNCAP(), episodes=0), ValueError, "episodes must be a positive integer"),
        (lambda: cma_es(SwimmerNCAP(), gens=0), ValueError, "gens must be a positive integer"),
        (lambda: cma_es(SwimmerNCAP(), sigma0=-1.0), ValueError, "sigma0 must be > 0"),
        (lambda: openai_es(SwimmerNCAP(), pop=7), ValueError, "pop must be even"),
        (lambda: evaluate(SwimmerNCAP(), workers=0), ValueError, "workers must be a positive integer"),
    ],
)
def test_bad_input(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_joint_count_mismatch_between_policy_and_body():
    env = envs.make_swim(n_links=4, seed=0)  # 3 joints
    ts = env.reset()
    with pytest.raises(ValueError, match="n_joints=5"):
        SwimmerNCAP(n_joints=5)(ts.observation, 0)
