"""ncap: neural circuit architectural priors for embodied control (Bhattasali, Zador & Engel, NeurIPS 2022).

The C. elegans swimmer circuit (head oscillator, proprioceptive travelling wave, antagonistic muscles with
excitatory/inhibitory sign constraints) as a 4-parameter controller for dm_control's swimmer, with CMA-ES and
OpenAI-ES training, MLP baselines and the paper's reproduction.
"""

from importlib.metadata import PackageNotFoundError, version

from ncap import baselines, envs, train
from ncap.baselines import MLPPolicy, RandomPolicy, ZeroPolicy
from ncap.circuit import SwimmerNCAP, joint_limit, oscillator, time_feature_to_step
from ncap.reproduce import reproduce
from ncap.train import ESResult, Rollout, cma_es, evaluate, openai_es, rollout

try:
    __version__ = version("ncap")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0.0.0"

__all__ = [
    "ESResult",
    "MLPPolicy",
    "RandomPolicy",
    "Rollout",
    "SwimmerNCAP",
    "ZeroPolicy",
    "__version__",
    "baselines",
    "cma_es",
    "envs",
    "evaluate",
    "joint_limit",
    "openai_es",
    "oscillator",
    "reproduce",
    "rollout",
    "time_feature_to_step",
    "train",
]
