"""Helpers shared by the tests: the spec's formula weights and input pattern, the equations step by step."""

from __future__ import annotations

import math

import torch

from elm_neuron import ELM, fused


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


def available_backends(model: ELM) -> list[str]:
    """The explicit backends that can run ``model`` here (``"numba"`` only with numba installed)."""
    names = ["torch"]
    if model.mlp_layers == 1:
        names.append("numpy")
        if fused.numba_available():
            names.append("numba")
    return names


def brute_force(model: ELM, x: torch.Tensor) -> torch.Tensor:
    """The spec's equations, one time step at a time, written independently of the package's fast path."""
    x = x.double()
    if model.routing is not None:
        x = x[:, :, model.input_to_synapse_indices] * model.valid_indices_mask.double()
    w_s = torch.relu(model._proto_w_s.double())
    tau = (model.tau_s if model.version == 1 else model.tau_b).double()
    k_s = torch.exp(-model.delta_t / tau)
    tau_m = model.tau_m_min + (model.tau_m_max - model.tau_m_min) * torch.sigmoid(model._proto_tau_m.double())
    k_m = torch.exp(-model.delta_t / tau_m)
    k_lam = torch.exp(-model.lambda_value * model.delta_t / tau_m)
    layers = [m for m in model.mlp.network if isinstance(m, torch.nn.Linear)]
    act = torch.relu if model.activation == "relu" else torch.nn.functional.silu
    batch, steps, _ = x.shape
    s = torch.zeros(batch, model.num_synapse if model.version == 1 else model.num_branch, dtype=torch.float64)
    m = torch.zeros(batch, model.num_memory, dtype=torch.float64)
    out = []
    for t in range(steps):
        if model.version == 1:
            s = k_s * s + w_s * x[:, t]
            b = s.view(batch, model.num_branch, -1).sum(-1)
        else:
            s = k_s * s + (w_s * x[:, t]).view(batch, model.num_branch, -1).sum(-1)
            b = s
        h = torch.cat([b, k_m * m], dim=-1)
        for i, layer in enumerate(layers):
            h = h @ layer.weight.double().t() + layer.bias.double()
            if i < len(layers) - 1:
                h = act(h)
        delta = 1.7159 * torch.tanh(2.0 / 3.0 * h)
        gain = model.lambda_value * (1 - k_m) if model.version == 1 else 1 - k_lam
        m = k_m * m + gain * delta
        out.append(m @ model.w_y.weight.double().t() + model.w_y.bias.double())
    return torch.stack(out, dim=1)
