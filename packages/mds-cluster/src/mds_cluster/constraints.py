"""Stimulus constraints (post-step projections), smoothness penalty and gradient preconditioning.

The objective is unbounded for linear-ish twins, so every MDS lives on a constraint set. A constraint is
a callable that projects a batch of stimuli ``S[K, *stim_shape]`` (one stimulus per row) onto the set;
it is applied once at initialisation and after every optimiser step (the reference's "clipper").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from neurotypes.validation import check_float

__all__ = ["Clip", "Constraint", "L2Ball", "L2Sphere", "gaussian_blur", "laplace_penalty"]


class Constraint:
    """Base class: ``constraint(S)`` returns the projection of every stimulus in the batch ``S``."""

    def __call__(self, stimuli: torch.Tensor) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def contains(self, stimuli: torch.Tensor, atol: float = 1e-4) -> torch.Tensor:
        """Boolean ``[K]``: whether each stimulus satisfies the constraint (within ``atol``)."""
        raise NotImplementedError  # pragma: no cover - interface


def _check_stimuli(stimuli: object) -> torch.Tensor:
    if not isinstance(stimuli, torch.Tensor):
        raise TypeError(f"stimuli must be a torch.Tensor [K, *stim_shape], got {type(stimuli).__name__}")
    if stimuli.ndim < 2:
        raise ValueError(f"stimuli must be a batch [K, *stim_shape], got shape {tuple(stimuli.shape)}")
    if not stimuli.is_floating_point():
        raise TypeError(f"stimuli must be a floating-point tensor, got {stimuli.dtype}")
    return stimuli


def _norms(stimuli: torch.Tensor) -> torch.Tensor:
    norms: torch.Tensor = _check_stimuli(stimuli).reshape(stimuli.shape[0], -1).norm(dim=1)
    return norms


def _check_positive(name: str, value: float) -> None:
    check_float(name, value, positive=True)


@dataclass(frozen=True)
class L2Sphere(Constraint):
    """Every stimulus has L2 norm exactly ``radius`` (the paper's fixed-contrast constraint).

    Parameters
    ----------
    radius
        Norm ``‖s‖₂`` of every stimulus (> 0). Every non-zero stimulus, however small its norm, is projected
        onto the sphere; an all-zero stimulus has no direction and stays zero.
    """

    radius: float = 5.0

    def __post_init__(self) -> None:
        _check_positive("radius", self.radius)

    def __call__(self, stimuli: torch.Tensor) -> torch.Tensor:
        # Divide by the largest |entry| first: the rescaled stimulus has a norm in [1, sqrt(n)] whatever the
        # magnitude of the input, so every non-zero stimulus lands on the sphere (a norm of 1e-27 would otherwise
        # underflow or be clamped); an all-zero stimulus has no direction and stays zero.
        flat = _check_stimuli(stimuli).reshape(stimuli.shape[0], -1)
        shape = (-1,) + (1,) * (stimuli.ndim - 1)
        peak = flat.abs().amax(dim=1)
        scale = torch.where(peak > 0, peak, torch.ones_like(peak))  # exact for subnormal peaks too
        unit = stimuli / scale.reshape(shape)
        norms = unit.reshape(stimuli.shape[0], -1).norm(dim=1).clamp_min(1.0)
        return unit * (self.radius / norms).reshape(shape)

    def contains(self, stimuli: torch.Tensor, atol: float = 1e-4) -> torch.Tensor:
        atol = check_float("atol", atol, minimum=0.0)
        return (_norms(stimuli) - self.radius).abs() <= atol * max(1.0, self.radius)


@dataclass(frozen=True)
class L2Ball(Constraint):
    """Every stimulus has L2 norm at most ``radius``.

    Parameters
    ----------
    radius
        Largest allowed ``‖s‖₂`` (> 0).
    """

    radius: float = 5.0

    def __post_init__(self) -> None:
        _check_positive("radius", self.radius)

    def __call__(self, stimuli: torch.Tensor) -> torch.Tensor:
        norms = _norms(stimuli).clamp_min(1e-12)
        factor = torch.clamp(self.radius / norms, max=1.0)
        shape = (-1,) + (1,) * (stimuli.ndim - 1)
        return stimuli * factor.reshape(shape)

    def contains(self, stimuli: torch.Tensor, atol: float = 1e-4) -> torch.Tensor:
        atol = check_float("atol", atol, minimum=0.0)
        return _norms(stimuli) <= self.radius * (1.0 + atol)


@dataclass(frozen=True)
class Clip(Constraint):
    """Every stimulus value lies in ``[low, high]`` (e.g. the display's intensity range).

    Parameters
    ----------
    low, high
        Range of the stimulus values, ``low < high``.
    """

    low: float = -1.0
    high: float = 1.0

    def __post_init__(self) -> None:
        low = check_float("low", self.low)
        high = check_float("high", self.high)
        if not low < high:
            raise ValueError(f"Clip needs low < high, got low={self.low!r}, high={self.high!r}")

    def __call__(self, stimuli: torch.Tensor) -> torch.Tensor:
        return _check_stimuli(stimuli).clamp(self.low, self.high)

    def contains(self, stimuli: torch.Tensor, atol: float = 1e-6) -> torch.Tensor:
        atol = check_float("atol", atol, minimum=0.0)
        flat = _check_stimuli(stimuli).reshape(stimuli.shape[0], -1)
        return ((flat >= self.low - atol) & (flat <= self.high + atol)).all(dim=1)


_LAPLACE = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def _as_images(stimuli: torch.Tensor) -> torch.Tensor:
    """View ``[K, ..., H, W]`` as ``[K*prod(...), 1, H, W]`` (smoothness acts on the last two axes)."""
    _check_stimuli(stimuli)
    if stimuli.ndim < 3:
        raise ValueError(
            f"smoothness needs stimuli with at least two spatial axes, got stimulus shape {tuple(stimuli.shape[1:])}"
        )
    h, w = stimuli.shape[-2:]
    return stimuli.reshape(-1, 1, h, w)


def laplace_penalty(stimuli: torch.Tensor) -> torch.Tensor:
    """Laplace smoothness penalty per stimulus: ``Σ (∇² s)²`` over the last two (spatial) axes.

    Uses the 5-point discrete Laplacian with zero padding. Returns ``[K]``.
    """
    images = _as_images(stimuli)
    kernel = _LAPLACE.to(dtype=stimuli.dtype, device=stimuli.device)[None, None]
    lap = torch.nn.functional.conv2d(images, kernel, padding=1)
    return lap.reshape(stimuli.shape[0], -1).pow(2).sum(dim=1)


def gaussian_blur(stimuli: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of the last two axes (used to precondition the stimulus gradient).

    Parameters
    ----------
    stimuli
        ``[K, ..., H, W]``.
    sigma
        Standard deviation in pixels (> 0); the kernel is truncated at ``3σ`` and normalised to sum 1.
    """
    _check_positive("sigma", sigma)
    images = _as_images(stimuli)
    radius = max(1, math.ceil(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=stimuli.dtype, device=stimuli.device)
    g = torch.exp(-0.5 * (x / sigma) ** 2)
    g = g / g.sum()
    out = torch.nn.functional.conv2d(images, g.reshape(1, 1, -1, 1), padding=(radius, 0))
    out = torch.nn.functional.conv2d(out, g.reshape(1, 1, 1, -1), padding=(0, radius))
    return out.reshape(stimuli.shape)
