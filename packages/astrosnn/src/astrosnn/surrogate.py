"""Heaviside spike with surrogate gradients.

The forward pass is the Heaviside step ``Θ(x) = 1 if x > 0 else 0`` (strict, as snntorch); the backward pass
replaces ``δ(x)`` by a smooth pseudo-derivative. ``x = u − θ_th``. The three forms match snntorch's surrogates of
the same names:

- ``atan`` (α = 2):            ``∂s/∂x = (α/2) / (1 + (π/2 · α · x)²)``
- ``sigmoid`` (slope k = 25):  ``∂s/∂x = k · σ(kx) (1 − σ(kx))``
- ``fast_sigmoid`` (k = 25):   ``∂s/∂x = 1 / (k|x| + 1)²``

Which surrogate the paper uses is not confirmed (its method section could not be read); ``atan`` is the default.
"""

from __future__ import annotations

import math
from typing import Any

import torch

__all__ = ["SURROGATES", "spike", "surrogate_grad"]

#: surrogate name -> default shape parameter (α for atan, slope k otherwise)
SURROGATES: dict[str, float] = {"atan": 2.0, "sigmoid": 25.0, "fast_sigmoid": 25.0}


def surrogate_grad(x: torch.Tensor, name: str = "atan", param: float | None = None) -> torch.Tensor:
    """Closed-form pseudo-derivative ``∂s/∂x`` of the named surrogate at ``x = u − θ_th``."""
    p = SURROGATES[_check_name(name)] if param is None else float(param)
    if name == "atan":
        return (p / 2.0) / (1.0 + (math.pi / 2.0 * p * x) ** 2)
    if name == "sigmoid":
        sg = torch.sigmoid(p * x)
        return p * sg * (1.0 - sg)
    return 1.0 / (p * x.abs() + 1.0) ** 2


def _check_name(name: str) -> str:
    if name not in SURROGATES:
        raise ValueError(f"surrogate must be one of {sorted(SURROGATES)}, got {name!r}")
    return name


class _Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, name: str, param: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.name = name
        ctx.param = param
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, *grad_outputs: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        (x,) = ctx.saved_tensors
        return grad_outputs[0] * surrogate_grad(x, ctx.name, ctx.param), None, None


def spike(x: torch.Tensor, name: str = "atan", param: float | None = None) -> torch.Tensor:
    """Heaviside spike ``Θ(x)`` with the named surrogate gradient.

    Parameters
    ----------
    x : torch.Tensor
        Membrane potential minus threshold, ``u − θ_th``.
    name : {"atan", "sigmoid", "fast_sigmoid"}
        Surrogate used in the backward pass.
    param : float, optional
        Shape parameter (α for ``atan``, slope k otherwise); defaults in :data:`SURROGATES`.

    Returns
    -------
    torch.Tensor
        Binary spikes (same dtype as ``x``).
    """
    p = SURROGATES[_check_name(name)] if param is None else float(param)
    if not p > 0:
        raise ValueError(f"surrogate param must be > 0, got {p}")
    out: torch.Tensor = _Spike.apply(x, name, p)
    return out
