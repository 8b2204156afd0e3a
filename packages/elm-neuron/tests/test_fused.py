"""The fused CPU core (elm_neuron.fused): hand-written BPTT against gradcheck and against plain autograd."""

from __future__ import annotations

import pytest
import torch
from elm_neuron_testing import available_backends, brute_force

import elm_neuron.fused as fused
from elm_neuron import ELM
from elm_neuron.fused import ELMCoreCPU, elm_core_cpu


def _randomise(model: ELM, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))


def _core_inputs(
    special: bool, seed: int, batch: int = 2, steps: int = 7, n: int = 3, hidden: int = 5, d_m: int = 4
) -> list[torch.Tensor | None]:
    gen = torch.Generator().manual_seed(seed)

    def rnd(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    feats = (torch.rand(batch, steps, n, generator=gen, dtype=torch.float64) < 0.4).double()
    if not special:
        feats = rnd(batch, steps, n).requires_grad_()
    return [
        feats,
        rnd(hidden, n + d_m).requires_grad_(),
        rnd(hidden).requires_grad_(),
        rnd(d_m, hidden).requires_grad_(),
        rnd(d_m).requires_grad_(),
        (torch.rand(n, generator=gen, dtype=torch.float64) + 0.1).requires_grad_() if special else None,
        (0.3 + 0.6 * torch.rand(d_m, generator=gen, dtype=torch.float64)).requires_grad_(),
        torch.rand(d_m, generator=gen, dtype=torch.float64).requires_grad_(),
        0.2 + 0.7 * torch.rand(n, generator=gen, dtype=torch.float64) if special else None,
        rnd(2, d_m).requires_grad_(),
        rnd(2).requires_grad_(),
    ]


def _by_hand(args: list[torch.Tensor | None], activation: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The core's equations step by step in plain torch (autograd gives the reference gradients)."""
    feats, w1, b1, w2, b2, w_s, kappa, gain, kappa_s, w_y, b_y = args
    assert feats is not None and w1 is not None and b1 is not None and w2 is not None and b2 is not None
    assert kappa is not None and gain is not None and w_y is not None and b_y is not None
    batch, steps, n = feats.shape
    act = torch.relu if activation == "relu" else torch.nn.functional.silu
    m = feats.new_zeros(batch, kappa.shape[0])
    s = feats.new_zeros(batch, n)
    mems = []
    for t in range(steps):
        if kappa_s is not None:
            assert w_s is not None
            s = kappa_s * s + feats[:, t]
            c = w_s * s
        else:
            c = feats[:, t]
        h = torch.cat([c, kappa * m], dim=-1) @ w1.t() + b1
        o = act(h) @ w2.t() + b2
        m = kappa * m + gain * 1.7159 * torch.tanh(2.0 / 3.0 * o)
        mems.append(m)
    mem = torch.stack(mems, dim=1)
    return mem @ w_y.t() + b_y, mem


@pytest.mark.parametrize("special", [False, True])
def test_gradcheck_silu(special: bool) -> None:
    args = _core_inputs(special, seed=3)

    def f(*a: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        y, m = ELMCoreCPU.apply(*a, "silu")
        return y, m

    assert torch.autograd.gradcheck(f, args)


@pytest.mark.parametrize("activation", ["relu", "silu"])
@pytest.mark.parametrize("special", [False, True])
@pytest.mark.parametrize("last_step_only", [False, True])
def test_gradients_equal_autograd(activation: str, special: bool, last_step_only: bool) -> None:
    args = _core_inputs(special, seed=5)
    gen = torch.Generator().manual_seed(6)
    weights = torch.randn(2, 7, 2, generator=gen, dtype=torch.float64)
    mem_weights = torch.randn(2, 7, 4, generator=gen, dtype=torch.float64)
    if last_step_only:  # a loss on the last output only (the classifier's): sparse output gradient
        weights[:, :-1] = 0
    y, m = elm_core_cpu(*args, activation)  # type: ignore[arg-type]
    ((y * weights).sum() + (0 if last_step_only else (m * mem_weights).sum())).backward()
    mine = [a.grad.clone() if a is not None and a.grad is not None else None for a in args]
    for a in args:
        if a is not None:
            a.grad = None
    y_ref, m_ref = _by_hand(args, activation)
    torch.testing.assert_close(y, y_ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(m, m_ref, rtol=1e-12, atol=1e-12)
    ((y_ref * weights).sum() + (0 if last_step_only else (m_ref * mem_weights).sum())).backward()
    for i, (a, got) in enumerate(zip(args, mine, strict=True)):
        if a is None or not a.requires_grad:
            continue
        assert got is not None, f"argument {i} received no gradient"
        torch.testing.assert_close(got, a.grad, rtol=1e-9, atol=1e-11, msg=f"argument {i}")


def test_raw_inputs_must_not_require_grad() -> None:
    args = _core_inputs(True, seed=1)
    assert args[0] is not None
    args[0].requires_grad_()
    with pytest.raises(ValueError, match="feats must not require gradients"):
        elm_core_cpu(*args, "relu")  # type: ignore[arg-type]


def _model_grads(
    model: ELM, x: torch.Tensor, last_step_only: bool
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    model.zero_grad()
    y = model(x)
    weights = torch.linspace(-1, 1, y.shape[-1], dtype=y.dtype)
    (y[:, -1] * weights).sum().backward() if last_step_only else (y * weights).sum().backward()
    return y.detach(), [p.grad.clone() for p in model.parameters() if p.requires_grad]


@pytest.mark.parametrize(
    "cfg",
    [
        {"num_input": 6, "num_output": 3, "num_memory": 5},
        {"num_input": 6, "num_output": 3, "num_memory": 5, "activation": "silu", "learn_tau_m": True},
        {"num_input": 6, "num_output": 2, "num_memory": 4, "version": 2, "delta_t": 2.0, "learn_tau_m": True},
        {
            "num_input": 10,
            "num_output": 2,
            "num_memory": 4,
            "num_branch": 3,
            "synapses_per_branch": 4,
            "routing": "neuronio",
        },
    ],
)
@pytest.mark.parametrize("last_step_only", [False, True])
def test_model_fast_path_equals_autograd_path(cfg: dict[str, object], last_step_only: bool) -> None:
    model = ELM(**cfg, tau_m_max=40.0).double()  # type: ignore[arg-type]
    _randomise(model, 2)
    x = (torch.rand(3, 60, int(cfg["num_input"]), generator=torch.Generator().manual_seed(4)) < 0.3).double()  # type: ignore[call-overload]
    model.zero_grad()
    y_ref = brute_force(model, x)
    weights = torch.linspace(-1, 1, y_ref.shape[-1], dtype=y_ref.dtype)
    (y_ref[:, -1] * weights).sum().backward() if last_step_only else (y_ref * weights).sum().backward()
    g_ref = [p.grad.clone() for p in model.parameters() if p.requires_grad]
    for backend in available_backends(model):
        model.backend = backend
        y_fast, g_fast = _model_grads(model, x, last_step_only)
        torch.testing.assert_close(y_fast, y_ref.detach(), rtol=1e-10, atol=1e-12, msg=backend)
        for a, b in zip(g_fast, g_ref, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-11, msg=backend)


def test_input_gradients_flow_through_the_general_path() -> None:
    model = ELM(5, 2, num_memory=3).double()
    _randomise(model, 7)
    x = torch.rand(2, 30, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(8))
    x_ref = x.clone().requires_grad_()
    brute_force(model, x_ref).sum().backward()
    assert x_ref.grad is not None
    for backend in available_backends(model):
        model.backend = backend
        x_fast = x.clone().requires_grad_()
        model(x_fast).sum().backward()
        assert x_fast.grad is not None
        torch.testing.assert_close(x_fast.grad, x_ref.grad, rtol=1e-9, atol=1e-12, msg=backend)


def test_large_products_go_through_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Products above numpy's single-thread BLAS size use torch; both give the same numbers."""
    model = ELM(6, 3, num_memory=5, learn_tau_m=True).double()
    _randomise(model, 3)
    x = (torch.rand(4, 50, 6, generator=torch.Generator().manual_seed(1)) < 0.3).double()
    y_np, g_np = _model_grads(model, x, False)
    monkeypatch.setattr(fused, "NUMPY_MAX_MNK", 0)
    y_t, g_t = _model_grads(model, x, False)
    torch.testing.assert_close(y_np, y_t, rtol=1e-12, atol=1e-12)
    for a, b in zip(g_np, g_t, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_simulate_and_forward_agree_in_float32() -> None:
    """forward (synapse weights folded into the first layer) and simulate (branch input kept) agree."""
    torch.manual_seed(0)
    model = ELM(32, 10, num_memory=32, tau_m_max=100.0)
    x = (torch.rand(8, 40, 32) < 0.05).float()
    states = model.simulate(x)
    torch.testing.assert_close(model(x), states.outputs, rtol=1e-5, atol=1e-6)
    assert states.branch_input.shape == (8, 40, 32)
    assert states.memory.shape == (8, 40, 32)


def test_cached_timescale_constants_follow_parameter_changes() -> None:
    model = ELM(4, 2, num_memory=3, tau_m_max=50.0).double()
    x = (torch.rand(2, 20, 4, generator=torch.Generator().manual_seed(0)) < 0.3).double()
    before = model(x)
    with torch.no_grad():
        model._proto_tau_m.add_(1.0)  # in place: the cache must notice
        model.tau_s.mul_(2.0)
    after = model(x)
    torch.testing.assert_close(after, brute_force(model, x), rtol=1e-10, atol=1e-12)
    assert not torch.allclose(before, after)


def test_half_precision_inputs_take_the_neuron_dtype() -> None:
    model = ELM(5, 2, num_memory=3)
    x = (torch.rand(2, 15, 5, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    torch.testing.assert_close(model(x.half()), model(x))
    torch.testing.assert_close(model(x.bfloat16()), model(x))
