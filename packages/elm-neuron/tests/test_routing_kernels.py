"""The routed fast path (issue 29): routing, synapse traces and branch sums folded into the first layer.

Checked against the plain torch statement of the reference (index, mask, per-synapse trace, branch sums, step
by step; float64 to 1e-10), against finite differences (``gradcheck``) for the hand-written backward pass, and
the spike index against numpy for rows of any width.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from elm_neuron_testing import available_backends, brute_force

from elm_neuron import ELM, fused
from elm_neuron.routing import input_decay, routing_matrix, synapse_map
from elm_neuron.train import NeuronIOModule

NEURONIO = {
    "num_input": 1278,
    "num_output": 2,
    "num_branch": 45,
    "synapses_per_branch": 100,
    "routing": "neuronio",
    "tau_m_max": 150.0,
}


def _randomise(model: ELM, seed: int, scale: float = 0.5) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.copy_(scale * torch.randn(p.shape, generator=gen, dtype=p.dtype))


def _routed_statement(model: ELM, x: torch.Tensor, w_s: torch.Tensor) -> torch.Tensor:
    """``sum_{k in branch j} w_s[k] x[idx[k]] mask[k]``: the reference's index, mask and branch sum."""
    batch, steps, _ = x.shape
    if model.routing is None:
        routed = x
    else:
        routed = x[:, :, model.input_to_synapse_indices] * model.valid_indices_mask.to(x.dtype)
    return (w_s * routed).reshape(batch, steps, model.num_branch, model.synapses_per_branch).sum(-1)


ROUTED_CONFIGS = [
    NEURONIO,
    {"num_input": 10, "num_output": 2, "num_branch": 3, "synapses_per_branch": 5, "routing": "random"},
    {"num_input": 12, "num_output": 2, "num_branch": 3, "synapses_per_branch": 4},
    {"num_input": 23, "num_output": 2, "num_branch": 4, "synapses_per_branch": 7, "routing": "neuronio"},
]


@pytest.mark.parametrize("cfg", ROUTED_CONFIGS)
def test_routing_matrix_equals_index_mask_and_branch_sums(cfg: dict[str, object]) -> None:
    model = ELM(**cfg, num_memory=2, routing_seed=4).double()  # type: ignore[arg-type]
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 7, model.num_input, generator=gen, dtype=torch.float64)
    w_s = torch.randn(model.num_synapse, generator=gen, dtype=torch.float64, requires_grad=True)
    expected = _routed_statement(model, x, w_s)
    (expected * torch.arange(expected.numel()).reshape(expected.shape).sin()).sum().backward()
    expected_grad = w_s.grad.clone()  # type: ignore[union-attr]
    w_s.grad = None
    got = x @ routing_matrix(model.synapse_map(), w_s)
    (got * torch.arange(got.numel()).reshape(got.shape).sin()).sum().backward()
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(w_s.grad, expected_grad, rtol=1e-12, atol=1e-12)


def test_neuronio_synapse_map_leaves_out_the_masked_slots() -> None:
    model = ELM(**NEURONIO, num_memory=2)  # type: ignore[arg-type]
    smap = model.synapse_map()
    mask = model.valid_indices_mask.numpy()
    # branch j holds the interleaved positions 29 j ... 29 j + 99 that exist (branches 41-44 are cut short)
    assert smap.synapses.size == int(mask.sum()) == sum(min(100, 1278 - 29 * j) for j in range(45)) == 4282
    assert np.array_equal(smap.synapses, np.flatnonzero(mask))
    assert np.array_equal(smap.inputs, model.input_to_synapse_indices.numpy()[smap.synapses])
    assert np.array_equal(smap.branches, smap.synapses // 100)
    assert set(smap.inputs.tolist()) == set(range(1278)) and not smap.identity
    assert ELM(5, 2, num_memory=2).synapse_map().identity


def test_synapse_map_follows_loaded_routing_buffers() -> None:
    model = ELM(6, 2, num_memory=2, num_branch=2, synapses_per_branch=3, routing="random", routing_seed=0)
    before = model.synapse_map()
    with torch.no_grad():
        model.input_to_synapse_indices.copy_(torch.tensor([5, 4, 3, 2, 1, 0]))
    after = model.synapse_map()
    assert after is not before and np.array_equal(after.inputs, [5, 4, 3, 2, 1, 0])


def test_synapse_map_rejects_out_of_range_indices() -> None:
    with pytest.raises(ValueError, match=r"must lie in \[0, num_input=3\)"):
        synapse_map(torch.tensor([0, 3]), torch.tensor([True, True]), 3, 1, 2)


def test_input_decay_per_input() -> None:
    neuronio = ELM(**NEURONIO, num_memory=2)  # type: ignore[arg-type]
    decay = input_decay(neuronio.synapse_map(), neuronio.kappa_s.detach().double().numpy())
    assert decay is not None and np.allclose(decay, np.exp(-1 / 5))
    # per-synapse decays that differ between the synapses of one input: no decay per input
    routed = ELM(4, 2, num_memory=2, num_branch=2, synapses_per_branch=4, routing="random", routing_seed=1)
    varied = np.linspace(0.1, 0.9, 8)
    assert input_decay(routed.synapse_map(), varied) is None
    # without routing every input has its own synapse: any decays work
    plain = ELM(3, 2, num_memory=2)
    assert np.array_equal(input_decay(plain.synapse_map(), np.array([0.1, 0.2, 0.3])), [0.1, 0.2, 0.3])  # type: ignore[arg-type]


def test_unused_inputs_keep_a_uniform_decay_uniform() -> None:
    model = ELM(9, 2, num_memory=2, num_branch=1, synapses_per_branch=3, routing="random", routing_seed=2)
    assert len(set(model.synapse_map().inputs.tolist())) < 9  # some inputs reach no synapse
    decay, uniform = model._input_decay(torch.float32)
    assert decay is not None and uniform


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_kernel_fold_and_unfold_equal_the_routing_matrix(dtype: torch.dtype) -> None:
    """``prepare`` builds ``Wc^T = R W_b^T`` (R by explicit loops here); ``finish`` returns its gradients."""
    nb = pytest.importorskip("elm_neuron._numba_loops")
    model = ELM(23, 2, num_memory=3, num_branch=4, synapses_per_branch=7, routing="neuronio").to(dtype)
    _randomise(model, 3)
    smap = model.synapse_map()
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    w_s = model.w_s.detach().numpy()
    w1 = model.mlp.network[0].weight.detach().numpy()
    r = np.zeros((23, 4))
    idx, mask = model.input_to_synapse_indices.numpy(), model.valid_indices_mask.numpy()
    for k in range(28):
        if mask[k]:
            r[idx[k], k // 7] += float(w_s[k])
    expected = r @ w1[:, :4].astype(np.float64).T
    hidden, d_m = w1.shape[0], 3
    consts = np.array([2 / 3, 1.7159], np_dtype)
    zeros = np.zeros(d_m, np_dtype)
    kap = np.full(d_m, 0.5, np_dtype)
    b1 = np.zeros(hidden, np_dtype)
    w2 = np.zeros((d_m, hidden), np_dtype)
    syn = (smap.inputs, smap.synapses, smap.branches)
    w_in = nb.prepare(w1, b1, w2, zeros, w_s, *syn, 23, kap, zeros, consts)[2]
    tol = 1e-13 if dtype == torch.float64 else 1e-5
    np.testing.assert_allclose(w_in[:23], expected, rtol=tol, atol=tol)
    # gradients: L = sum(G * (R(w_s) W_b^T)) through autograd
    gen = np.random.default_rng(0)
    d_win = gen.standard_normal((24, hidden)).astype(np_dtype)
    w_s_t = model.w_s.detach().double().requires_grad_()
    w_b_t = torch.from_numpy(w1[:, :4].astype(np.float64)).requires_grad_()
    loss = (torch.from_numpy(d_win[:23].astype(np.float64)) * (routing_matrix(smap, w_s_t) @ w_b_t.T)).sum()
    loss.backward()
    d_w1, d_b1, _, _, d_ws, _ = nb.finish(
        np.zeros((d_m, hidden), np_dtype),
        np.zeros((hidden, d_m), np_dtype),
        d_win,
        np.zeros((1, d_m), np_dtype),
        w1,
        w_s,
        *syn,
        kap,
        consts,
    )
    np.testing.assert_allclose(d_w1[:, :4], w_b_t.grad.numpy(), rtol=tol, atol=tol)  # type: ignore[union-attr]
    np.testing.assert_allclose(d_ws, w_s_t.grad.numpy(), rtol=tol, atol=tol)  # type: ignore[union-attr]
    np.testing.assert_array_equal(d_b1, d_win[23])
    assert np.all(d_ws[~mask] == 0)  # masked synapses get no gradient


def _neuronio_targets(batch: int, steps: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    spikes = (torch.rand(batch, steps, generator=gen) < 0.1).double()
    soma = torch.randn(batch, steps, generator=gen, dtype=torch.float64)
    return spikes, soma


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("activation", ["relu", "silu"])
def test_neuronio_neuron_equals_the_step_by_step_statement(version: int, activation: str) -> None:
    """The issue's configuration (1278 inputs, 45 x 100 synapses, neuronio routing, tau_max 150) at d_m = 8,
    T = 40, with the NeuronIO loss on every step: outputs and every gradient, each backend, float64."""
    model = ELM(**NEURONIO, num_memory=8, version=version, activation=activation).double()  # type: ignore[arg-type]
    _randomise(model, 11, scale=0.3)
    x = (torch.rand(2, 40, 1278, generator=torch.Generator().manual_seed(5)) < 0.02).double()
    y_spike, y_soma = _neuronio_targets(2, 40, 6)
    expected = brute_force(model, x)
    NeuronIOModule.loss(expected, y_spike, y_soma).backward()
    expected_grads = [p.grad.clone() for p in model.parameters() if p.requires_grad]
    assert any(bool((g != 0).any()) for g in expected_grads[4:5])  # synapse weights receive gradients
    for backend in available_backends(model):
        model.zero_grad()
        model.backend = backend
        y = model(x)
        NeuronIOModule.loss(y, y_spike, y_soma).backward()
        torch.testing.assert_close(y, expected.detach(), rtol=1e-10, atol=1e-12, msg=backend)
        grads = [p.grad for p in model.parameters() if p.requires_grad]
        for i, (got, want) in enumerate(zip(grads, expected_grads, strict=True)):
            assert got is not None
            torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-13, msg=f"{backend}: gradient {i}")


def test_pretrained_neuron_float32_backends_agree() -> None:
    """float32 (the pretrained neuron, d_m = 10): every backend within float32 rounding of the float64 result."""
    import elm_neuron

    model = elm_neuron.pretrained("neuronio", num_memory=10).train()
    x = (torch.rand(2, 60, 1278, generator=torch.Generator().manual_seed(2)) < 0.01).float()
    y_spike, y_soma = _neuronio_targets(2, 60, 3)
    exact = brute_force(model, x)
    for backend in available_backends(model):
        model.backend = backend
        y = model(x)
        err = ((y.double() - exact).abs().max() / exact.abs().max()).item()
        assert err < 1e-5, (backend, err)
        model.zero_grad()
        NeuronIOModule.loss(y, y_spike.float(), y_soma.float()).backward()
        assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.requires_grad)


def _routed_core_args(seed: int, uniform: bool) -> tuple[list[torch.Tensor | None], object]:
    """Core arguments for raw inputs routed by a random map with repeats and masked slots (11 inputs, 3 x 4)."""
    gen = torch.Generator().manual_seed(seed)
    n_in, branches, per, d_m, hidden = 11, 3, 4, 3, 5
    idx = torch.randint(n_in, (branches * per,), generator=gen)
    mask = torch.rand(branches * per, generator=gen) < 0.8
    smap = synapse_map(idx, mask, n_in, branches, per)

    def rnd(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen, dtype=torch.float64).requires_grad_()

    x = (torch.rand(2, 6, n_in, generator=gen) < 0.3).double()
    x[0, 1, 2] = 2.5  # a non-binary value
    if uniform:
        kappa_s = torch.full((n_in,), 0.7, dtype=torch.float64)
    else:  # one decay per input (all synapses of an input share it)
        kappa_s = 0.2 + 0.7 * torch.rand(n_in, generator=gen, dtype=torch.float64)
    args: list[torch.Tensor | None] = [
        x,
        rnd(hidden, branches + d_m),
        rnd(hidden),
        rnd(d_m, hidden),
        rnd(d_m),
        (torch.rand(branches * per, generator=gen, dtype=torch.float64) + 0.1).requires_grad_(),
        (0.3 + 0.6 * torch.rand(d_m, generator=gen, dtype=torch.float64)).requires_grad_(),
        torch.rand(d_m, generator=gen, dtype=torch.float64).requires_grad_(),
        kappa_s,
        rnd(2, d_m),
        rnd(2),
    ]
    return args, smap


def _cpu_backends() -> list[str]:
    return ["numba", "numpy"] if fused.numba_available() else ["numpy"]


@pytest.mark.parametrize("backend", _cpu_backends())
@pytest.mark.parametrize("uniform", [True, False])
def test_gradcheck_routed_core(backend: str, uniform: bool) -> None:
    """Finite differences through routing, synapse weights, traces, recurrence and readout (uniform decay:
    the numba backend's spike path; one decay per input: the dense trace)."""
    args, smap = _routed_core_args(seed=3 if uniform else 4, uniform=uniform)

    def f(*a: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        y, m = fused.elm_core_cpu(*a, "silu", backend, smap)  # type: ignore[arg-type]
        return y, m

    assert torch.autograd.gradcheck(f, args)


@pytest.mark.parametrize("density", [0.01, 0.5])
def test_routed_model_sparse_and_dense_inputs(density: float) -> None:
    """Spikes (1% active: the numba spike path) and dense inputs (50%: the dense trace) give the statement's
    outputs and gradients."""
    model = ELM(23, 2, num_memory=4, num_branch=4, synapses_per_branch=7, routing="neuronio").double()
    _randomise(model, 8)
    x = (torch.rand(3, 50, 23, generator=torch.Generator().manual_seed(1)) < density).double()
    expected = brute_force(model, x)
    (expected**2).sum().backward()
    expected_grads = [p.grad.clone() for p in model.parameters() if p.requires_grad]
    for backend in available_backends(model):
        model.zero_grad()
        model.backend = backend
        y = model(x)
        (y**2).sum().backward()
        torch.testing.assert_close(y, expected.detach(), rtol=1e-10, atol=1e-12)
        for got, want in zip(
            (p.grad for p in model.parameters() if p.requires_grad), expected_grads, strict=True
        ):
            torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n", [65, 127, 128, 200, 1278])
def test_spike_index_on_wide_rows(n: int) -> None:
    """Rows wider than 64 inputs go through 64-input blocks (one vector comparison each) and a partial block."""
    rng = np.random.default_rng(n)
    x = ((rng.random((3, 9, n)) < 0.05) * rng.integers(1, 4, (3, 9, n))).astype(np.float32)
    x[1, 2, :] = 1.0  # a full row
    x[2, 3, n - 1] = np.nan
    x[0, 4, 63] = -np.inf
    x[0, 5, 64] = -2.5
    x[2, 8, :] = 0.0
    x[2, 8, 7] = -0.0  # negative zero is zero
    index = fused.spike_index(x, 1.0)
    if index is None:
        pytest.skip("numba is not installed")
    ptr, rows, cols, vals = index
    assert ptr[-1] == np.count_nonzero(x)
    for t in range(9):
        b, q = np.nonzero(x[:, t])
        span = slice(ptr[t], ptr[t + 1])
        assert list(zip(rows[span], cols[span], strict=True)) == list(zip(b, q, strict=True))
        np.testing.assert_array_equal(vals[span], x[b, t, q])
    assert fused.spike_index(x, (np.count_nonzero(x) - 1) / x.size) is None
    assert fused.spike_index(np.asfortranarray(x), 1.0) is not None  # any layout (copied when needed)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_spikes_are_found_on_every_path(bad: float) -> None:
    model = ELM(**NEURONIO, num_memory=3)  # type: ignore[arg-type]
    x = torch.zeros(2, 30, 1278)
    x[1, 17, 900] = bad
    for backend in available_backends(model):
        model.backend = backend
        with pytest.raises(ValueError, match="finite"):
            model(x)
        with pytest.raises(ValueError, match="finite"):
            model.simulate(x)


def test_backend_argument_is_validated() -> None:
    with pytest.raises(ValueError, match=r"backend must be one of \('auto', 'numba', 'numpy', 'torch'\)"):
        ELM(4, 2, backend="cuda")
    with pytest.raises(TypeError, match="backend must be one of"):
        ELM(4, 2, backend=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one hidden layer"):
        ELM(4, 2, mlp_layers=2, backend="numpy")
    model = ELM(4, 2, num_memory=2)
    with pytest.raises(ValueError, match="one hidden layer"):
        ELM(4, 2, mlp_layers=0).backend = "numpy"
    assert ELM(4, 2, mlp_layers=2).resolved_backend(torch.zeros(1, 3, 4)) == "torch"
    half = ELM(4, 2, num_memory=2, backend="numpy").half()
    with pytest.raises(ValueError, match="CPU tensors of float32 or float64"):
        half(torch.zeros(1, 3, 4, dtype=torch.float16))
    half.backend = "auto"
    assert half.resolved_backend(torch.zeros(1, 3, 4)) == "torch"
    assert model.config["backend"] == "auto"
    assert ELM(**{**model.config, "backend": "torch"}).backend == "torch"
