"""Test 3 and 6: the equations against closed forms, a brute-force step-by-step loop, and autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from elm_neuron_testing import available_backends, brute_force
from hypothesis import given, settings
from hypothesis import strategies as st

from elm_neuron import ELM, fused, leaky_integrate
from elm_neuron.recurrence import MemoryRecurrence, memory_recurrence_autograd


def _randomise(model: ELM, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    "cfg",
    [
        {"num_input": 6, "num_output": 2, "num_memory": 5},
        {
            "num_input": 10,
            "num_output": 3,
            "num_memory": 4,
            "num_branch": 3,
            "synapses_per_branch": 4,
            "routing": "neuronio",
            "activation": "silu",
        },
        {
            "num_input": 7,
            "num_output": 2,
            "num_memory": 3,
            "num_branch": 2,
            "synapses_per_branch": 5,
            "routing": "random",
            "routing_seed": 3,
        },
        {
            "num_input": 6,
            "num_output": 2,
            "num_memory": 3,
            "mlp_layers": 2,
            "mlp_hidden": 7,
            "delta_t": 2.5,
            "lambda_value": 2.0,
        },
    ],
)
def test_fast_path_equals_brute_force(version: int, cfg: dict[str, object]) -> None:
    model = ELM(**cfg, version=version, tau_m_max=50.0).double()  # type: ignore[arg-type]
    _randomise(model, 1)
    x = (torch.rand(3, 150, int(cfg["num_input"]), generator=torch.Generator().manual_seed(2)) < 0.2).double()  # type: ignore[call-overload]
    with torch.no_grad():
        expected = brute_force(model, x)
        for backend in available_backends(model):
            model.backend = backend
            torch.testing.assert_close(model(x), expected, rtol=1e-9, atol=1e-9, msg=backend)


def test_v1_per_synapse_timescales_use_the_general_trace() -> None:
    model = ELM(8, 2, num_memory=3, num_branch=2, synapses_per_branch=4).double()
    _randomise(model, 4)
    with torch.no_grad():
        model.tau_s.copy_(torch.linspace(1.0, 9.0, 8, dtype=torch.float64))
    x = (torch.rand(2, 130, 8, generator=torch.Generator().manual_seed(5)) < 0.3).double()
    with torch.no_grad():
        expected = brute_force(model, x)
        for backend in available_backends(model):
            model.backend = backend
            torch.testing.assert_close(model(x), expected, rtol=1e-9, atol=1e-9, msg=backend)


@pytest.mark.parametrize("version", [1, 2])
def test_zero_mlp_output_keeps_memory_at_zero(version: int) -> None:
    model = ELM(5, 2, num_memory=4, version=version)
    with torch.no_grad():
        model.mlp.network[2].weight.zero_()
        model.mlp.network[2].bias.zero_()
    states = model.simulate(torch.ones(2, 30, 5))
    assert torch.count_nonzero(states.memory) == 0
    torch.testing.assert_close(states.outputs, model.w_y.bias.expand(2, 30, 2))


@pytest.mark.parametrize("version", [1, 2])
def test_single_spike_trace_is_kappa_power(version: int) -> None:
    model = ELM(1, 1, num_memory=2, version=version, delta_t=1.0)
    with torch.no_grad():
        model._proto_w_s.fill_(1.0)
    x = torch.zeros(1, 60, 1)
    x[0, 0, 0] = 1.0
    b = model.branch_input(x)[0, :, 0].double()
    t = torch.arange(60, dtype=torch.float64)
    torch.testing.assert_close(b, math.exp(-1 / 5) ** t, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("version", [1, 2])
def test_constant_update_has_closed_form(version: int) -> None:
    c = 0.8
    model = ELM(3, 1, num_memory=4, version=version, tau_m_max=30.0, lambda_value=5.0).double()
    with torch.no_grad():
        model.mlp.network[2].weight.zero_()
        model.mlp.network[2].bias.fill_(1.5 * math.atanh(c / 1.7159))  # 1.7159 tanh(2/3 o) = c
    m = model.simulate(torch.zeros(1, 400, 3, dtype=torch.float64)).memory[0]
    k = model.kappa_m.detach()
    t = torch.arange(1, 401, dtype=torch.float64)[:, None]
    if version == 1:
        expected = 5.0 * c * (1 - k**t)  # m_t = lambda c (1 - kappa^t) -> lambda c
        limit = torch.full_like(k, 5.0 * c)
    else:
        k_lam = model.kappa_lambda.detach()
        expected = (1 - k_lam) * c * (1 - k**t) / (1 - k)
        limit = (1 - k_lam) * c / (1 - k)
    torch.testing.assert_close(m, expected, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(m[-1, :2], limit[:2], rtol=1e-6, atol=1e-8)  # fast units reached the limit


@settings(max_examples=25, deadline=None)
@given(
    steps=st.integers(1, 300),
    channels=st.integers(1, 5),
    chunk=st.integers(1, 80),
    uniform=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_vectorised_trace_equals_recurrence(
    steps: int, channels: int, chunk: int, uniform: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    u = torch.from_numpy(rng.normal(size=(2, steps, channels)))
    kappa = torch.from_numpy(np.full(channels, rng.uniform(0, 1)) if uniform else rng.uniform(0, 1, channels))
    expected = torch.empty_like(u)
    s = torch.zeros(2, channels, dtype=torch.float64)
    for t in range(steps):
        s = kappa * s + u[:, t]
        expected[:, t] = s
    torch.testing.assert_close(leaky_integrate(u, kappa, chunk=chunk), expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_vectorised_trace_long_sequence(dtype: torch.dtype) -> None:
    steps = 10_000
    rng = np.random.default_rng(0)
    u = torch.from_numpy((rng.random((1, steps, 3)) < 0.05).astype(np.float64))
    kappa = torch.tensor([math.exp(-1 / 5), math.exp(-1 / 500), 0.0], dtype=torch.float64)
    expected = torch.empty_like(u)
    s = torch.zeros(1, 3, dtype=torch.float64)
    for t in range(steps):
        s = kappa * s + u[:, t]
        expected[:, t] = s
    got = leaky_integrate(u.to(dtype), kappa.to(dtype)).double()
    rel = 1e-6 if dtype == torch.float64 else 1e-4
    torch.testing.assert_close(got, expected, rtol=rel, atol=rel)


@pytest.mark.parametrize("activation", ["relu", "silu"])
def test_fused_recurrence_gradients(activation: str) -> None:
    gen = torch.Generator().manual_seed(11)
    batch, steps, hidden, d_m = 3, 9, 6, 4
    pre = torch.randn(batch, steps, hidden, generator=gen, dtype=torch.float64)
    w1 = torch.randn(hidden, d_m, generator=gen, dtype=torch.float64)
    w2 = torch.randn(d_m, hidden, generator=gen, dtype=torch.float64)
    b2 = torch.randn(d_m, generator=gen, dtype=torch.float64)
    kappa = torch.rand(d_m, generator=gen, dtype=torch.float64)
    gain = torch.rand(d_m, generator=gen, dtype=torch.float64)
    inputs = [t.clone().requires_grad_() for t in (pre, w1, w2, b2, kappa, gain)]
    if activation == "silu":  # smooth: finite differences apply
        assert torch.autograd.gradcheck(lambda *a: MemoryRecurrence.apply(*a, activation), inputs)
    # against plain autograd through the step-by-step loop (relu too)
    weights = torch.randn(batch, steps, d_m, generator=gen, dtype=torch.float64)
    (MemoryRecurrence.apply(*inputs, activation) * weights).sum().backward()
    other = [t.clone().requires_grad_() for t in (pre, w1, w2, b2, kappa, gain)]
    layer = torch.nn.Linear(hidden, d_m).double()
    layer.weight = torch.nn.Parameter(other[2])
    layer.bias = torch.nn.Parameter(other[3])
    out = memory_recurrence_autograd(other[0], other[1], [layer], other[4], other[5], activation)
    (out * weights).sum().backward()
    ref_grads = [
        other[0].grad,
        other[1].grad,
        layer.weight.grad,
        layer.bias.grad,
        other[4].grad,
        other[5].grad,
    ]
    for mine, ref in zip(inputs, ref_grads, strict=True):
        torch.testing.assert_close(mine.grad, ref, rtol=1e-9, atol=1e-10)


def test_learned_timescales_receive_gradients_and_match_autograd() -> None:
    model = ELM(6, 2, num_memory=4, learn_tau_m=True).double()
    x = (torch.rand(2, 40, 6, generator=torch.Generator().manual_seed(0)) < 0.3).double()
    brute_force(model, x).sum().backward()
    expected = model._proto_tau_m.grad.clone()
    assert torch.count_nonzero(expected) > 0
    for backend in available_backends(model):
        model.zero_grad()
        model.backend = backend
        model(x).sum().backward()
        torch.testing.assert_close(model._proto_tau_m.grad, expected, rtol=1e-8, atol=1e-10, msg=backend)


@pytest.mark.parametrize("activation", ["relu", "silu"])
def test_all_backends_give_the_same_outputs_and_gradients(activation: str) -> None:
    """The torch loops (used on GPUs), the numpy loops and the numba kernels (CPU) agree in float64."""
    model = ELM(7, 3, num_memory=5, activation=activation, learn_tau_m=True).double()
    _randomise(model, 9)
    x = (torch.rand(4, 70, 7, generator=torch.Generator().manual_seed(1)) < 0.3).double()
    results = []
    for backend in available_backends(model):
        model.backend = backend
        assert model.resolved_backend(x) == backend
        model.zero_grad()
        y = model(x)
        (y * torch.linspace(-1, 1, 3, dtype=torch.float64)).sum().backward()
        results.append((y.detach(), [p.grad.clone() for p in model.parameters() if p.requires_grad]))
    assert len(results) == (3 if fused.numba_available() else 2)
    for other in results[1:]:
        torch.testing.assert_close(other[0], results[0][0], rtol=1e-12, atol=1e-12)
        for a, b in zip(other[1], results[0][1], strict=True):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
