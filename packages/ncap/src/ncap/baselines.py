"""Baseline policies: MLPs of the paper's sizes, zero torque and uniform random torques."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurotypes.validation import check_array, check_choice, check_int, check_rng

__all__ = ["MLPPolicy", "RandomPolicy", "ZeroPolicy", "flatten_observation"]


def flatten_observation(observation: Mapping[str, ArrayLike]) -> NDArray[np.float64]:
    """Concatenate a swim-task observation (joints, then body velocities) into one vector."""
    if not isinstance(observation, Mapping) or not observation:
        raise TypeError("observation must be a non-empty mapping of arrays (the swim task's observation)")
    return np.concatenate([np.ravel(check_array(f"observation[{k!r}]", v)) for k, v in observation.items()])


class MLPPolicy:
    """A fully connected policy on the flattened observation: ``tanh`` hidden layers, ``tanh`` output torques.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output. The paper's PPO actor is ``(23, 64, 64, 5)`` (6,021 parameters);
        its DDPG/D4PG actor ``(23, 256, 256, 5)`` with ReLU (73,221 parameters).
    activation : {"tanh", "relu"}
        Hidden-layer non-linearity.
    seed : int
        Initialisation seed; weights ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` as torch's ``nn.Linear``.

    Examples
    --------
    >>> MLPPolicy((23, 64, 64, 5)).n_params, MLPPolicy((23, 256, 256, 5), activation="relu").n_params
    (6021, 73221)
    """

    def __init__(
        self, sizes: Sequence[int] = (23, 64, 64, 5), activation: str = "tanh", seed: int | None = 0
    ) -> None:
        if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence) or len(sizes) < 2:
            raise ValueError(f"sizes must be at least two positive integers, got {sizes!r}")
        sizes = tuple(check_int(f"sizes[{i}]", s, minimum=1) for i, s in enumerate(sizes))
        self.sizes = sizes
        self.activation = check_choice("activation", activation, ("tanh", "relu"))
        rng = check_rng(seed)
        chunks = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            bound = 1.0 / np.sqrt(fan_in)
            chunks.append(rng.uniform(-bound, bound, fan_in * fan_out + fan_out))
        self._params = np.concatenate(chunks)

    @property
    def n_params(self) -> int:
        """Number of weights and biases."""
        return int(sum(i * o + o for i, o in zip(self.sizes[:-1], self.sizes[1:], strict=True)))

    def get_params(self) -> NDArray[np.float64]:
        """A copy of the flat parameter vector (layer by layer: weights row-major, then biases)."""
        return self._params.copy()

    def set_params(self, params: ArrayLike) -> MLPPolicy:
        """Set the flat parameter vector (length :attr:`n_params`, finite); returns ``self``."""
        self._params = check_array("params", params, shape=(self.n_params,))
        return self

    def forward(self, x: ArrayLike) -> NDArray[np.float64]:
        """Torques for flattened observations ``x`` of shape ``(..., sizes[0])``."""
        h = check_array("x", x, copy=False)
        if h.shape[-1:] != (self.sizes[0],):
            raise ValueError(f"observation must have last dimension {self.sizes[0]}, got shape {h.shape}")
        offset = 0
        for layer, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            w = self._params[offset : offset + fan_in * fan_out].reshape(fan_in, fan_out)
            offset += fan_in * fan_out
            b = self._params[offset : offset + fan_out]
            offset += fan_out
            h = h @ w + b
            last = layer == len(self.sizes) - 2
            h = np.tanh(h) if (last or self.activation == "tanh") else np.maximum(h, 0.0)
        return h

    def __call__(self, observation: Mapping[str, Any], step: int) -> NDArray[np.float64]:
        return self.forward(flatten_observation(observation))

    def reset(self) -> None:
        """No state between steps."""


class ZeroPolicy:
    """Zero torque on every joint (the swimmer drifts): return 0 on the swim task."""

    def __init__(self, n_joints: int = 5) -> None:
        self.n_joints = check_int("n_joints", n_joints, minimum=1)

    @property
    def n_params(self) -> int:
        """No parameters."""
        return 0

    def get_params(self) -> NDArray[np.float64]:
        """An empty vector."""
        return np.zeros(0)

    def set_params(self, params: ArrayLike) -> ZeroPolicy:
        """Only an empty vector is accepted."""
        check_array("params", params, shape=(0,))
        return self

    def __call__(self, observation: Mapping[str, Any], step: int) -> NDArray[np.float64]:
        return np.zeros(self.n_joints)

    def reset(self) -> None:
        """No state."""


class RandomPolicy:
    """Independent uniform torques in ``[-1, 1]`` each step (seeded; :meth:`reset` restarts the stream)."""

    def __init__(self, n_joints: int = 5, seed: int = 0) -> None:
        self.n_joints = check_int("n_joints", n_joints, minimum=1)
        self.seed = check_int("seed", seed, minimum=0)
        self._rng = np.random.default_rng(self.seed)

    @property
    def n_params(self) -> int:
        """No parameters."""
        return 0

    def get_params(self) -> NDArray[np.float64]:
        """An empty vector."""
        return np.zeros(0)

    def set_params(self, params: ArrayLike) -> RandomPolicy:
        """Only an empty vector is accepted."""
        check_array("params", params, shape=(0,))
        return self

    def __call__(self, observation: Mapping[str, Any], step: int) -> NDArray[np.float64]:
        return self._rng.uniform(-1.0, 1.0, self.n_joints)

    def reset(self) -> None:
        self._rng = np.random.default_rng(self.seed)
