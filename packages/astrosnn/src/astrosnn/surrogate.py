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

from neurotypes.validation import check_choice, check_positive

__all__ = ["SURROGATES", "spike", "surrogate_grad"]

#: surrogate name -> default shape parameter (α for atan, slope k otherwise)
SURROGATES: dict[str, float] = {"atan": 2.0, "sigmoid": 25.0, "fast_sigmoid": 25.0}


def _check_x(x: object) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}")
    return x


def _param(name: str, param: float | None) -> float:
    name = _check_name(name)
    return SURROGATES[name] if param is None else check_positive("param", param)


def surrogate_grad(x: torch.Tensor, name: str = "atan", param: float | None = None) -> torch.Tensor:
    """Closed-form pseudo-derivative ``∂s/∂x`` of the named surrogate at ``x = u − θ_th``.

    Parameters
    ----------
    x : torch.Tensor
        Membrane potential minus threshold (floating point).
    name : {"atan", "sigmoid", "fast_sigmoid"}
        The surrogate.
    param : float, optional
        Shape parameter > 0 (α for ``atan``, slope k otherwise); defaults in :data:`SURROGATES`.

    Returns
    -------
    torch.Tensor
        ``∂s/∂x`` at every element of ``x``.

    Examples
    --------
    >>> float(surrogate_grad(torch.tensor(0.0), "atan"))  # α/2 at x = 0
    1.0
    """
    x = _check_x(x)
    p = _param(name, param)
    if name == "atan":
        return (p / 2.0) / (1.0 + (math.pi / 2.0 * p * x) ** 2)
    if name == "sigmoid":
        sg = torch.sigmoid(p * x)
        return p * sg * (1.0 - sg)
    return 1.0 / (p * x.abs() + 1.0) ** 2


def _check_name(name: str) -> str:
    out: str = check_choice("name", name, tuple(SURROGATES))
    return out


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

    Examples
    --------
    >>> spike(torch.tensor([-0.5, 0.0, 0.5]))
    tensor([0., 0., 1.])
    """
    x = _check_x(x)
    p = _param(name, param)
    out: torch.Tensor = _Spike.apply(x, name, p)
    return out
