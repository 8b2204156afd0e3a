"""Helpers shared by the tests: the spec's formula weights and input pattern."""

from __future__ import annotations

import math

import torch


def formula(shape: tuple[int, ...], phase: float, amp: float) -> torch.Tensor:
    """``amp * sin(0.37 k + phase)`` over the row-major flat index ``k`` (PyTorch ``(out, in)`` layout)."""
    k = torch.arange(math.prod(shape), dtype=torch.float64)
    return (amp * torch.sin(0.37 * k + phase)).reshape(shape).float()


def set_formula_weights(model: torch.nn.Module) -> None:
    linears = [m for m in model.mlp.network if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for i, layer in enumerate(linears):
            layer.weight.copy_(formula(tuple(layer.weight.shape), 1 + 2 * i, 0.3))
            layer.bias.copy_(formula(tuple(layer.bias.shape), 2 + 2 * i, 0.1))
        model._proto_w_s.copy_(formula(tuple(model._proto_w_s.shape), 10, 0.5))
        model.w_y.weight.copy_(formula(tuple(model.w_y.weight.shape), 20, 0.3))
        model.w_y.bias.copy_(formula(tuple(model.w_y.bias.shape), 21, 0.1))


def pattern(batch: int, steps: int, n_in: int) -> torch.Tensor:
    """``X[b, t, i] = 1 if (7b + 13t + 31i) mod 97 < 5 else 0``."""
    b = torch.arange(batch).view(batch, 1, 1)
    t = torch.arange(steps).view(1, steps, 1)
    i = torch.arange(n_in).view(1, 1, n_in)
    return (((7 * b + 13 * t + 31 * i) % 97) < 5).float()
