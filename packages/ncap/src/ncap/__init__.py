"""ncap: neural circuit architectural priors for embodied control (Bhattasali, Zador & Engel, NeurIPS 2022).

The C. elegans swimmer circuit (head oscillator, proprioceptive travelling wave, antagonistic muscles with
excitatory/inhibitory sign constraints) as a 4-parameter controller for dm_control's swimmer, with CMA-ES and
OpenAI-ES training, MLP baselines and the paper's reproduction.

The circuit, the baselines and :class:`Rollout` are numpy-only; the swim task and the trainers (which import
dm_control and MuJoCo) load on first use, so ``import ncap`` and ``ncap --help`` stay light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import neurotypes
from ncap.baselines import MLPPolicy, RandomPolicy, ZeroPolicy
from ncap.circuit import SwimmerNCAP, joint_limit, oscillator, time_feature_to_step
from ncap.data import Rollout

if TYPE_CHECKING:
    from ncap import baselines, envs, train
    from ncap.train import (
        ESResult,
        cma_es,
        episode_returns,
        evaluate,
        load_policy,
        openai_es,
        rollout,
        save_policy,
    )

__version__ = neurotypes.package_version("ncap")

_WHERE = {
    "ESResult": "ncap.train",
    "cma_es": "ncap.train",
    "episode_returns": "ncap.train",
    "evaluate": "ncap.train",
    "load_policy": "ncap.train",
    "openai_es": "ncap.train",
    "rollout": "ncap.train",
    "save_policy": "ncap.train",
}
_MODULES = ("baselines", "envs", "train")


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    if name in _MODULES:
        return importlib.import_module(f"ncap.{name}")
    raise AttributeError(f"module 'ncap' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE, *_MODULES])


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
    "episode_returns",
    "evaluate",
    "joint_limit",
    "load_policy",
    "openai_es",
    "oscillator",
    "rollout",
    "save_policy",
    "time_feature_to_step",
    "train",
]
