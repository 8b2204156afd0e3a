"""The numba kernels (extra ``fast``) against the numpy loops of 0.2.0, plain autograd and numpy's tanh."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import elm_neuron.fused as fused
from elm_neuron import ELM

pytest.importorskip("numba")
pytest.importorskip("scipy")
nb = pytest.importorskip("elm_neuron._numba_loops")


def _ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance in units in the last place between float32 arrays of equal sign."""
    return np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))


def _tanh_points() -> np.ndarray:
    return np.concatenate(
        [
            np.linspace(-25.0, 25.0, 200_001),
            np.logspace(-40, 1.5, 20_000),
            -np.logspace(-40, 1.5, 20_000),
            [0.0, -0.0, 1e300, -1e300, np.log(2) / 2, -np.log(2) / 2],
        ]
    )


def test_tanh_float64_within_three_ulp_of_numpy() -> None:
    x = _tanh_points()
    out = np.empty_like(x)
    nb.tanh(x, out)
    ref = np.tanh(x)
    rel = np.abs(out - ref) / np.maximum(np.abs(ref), np.finfo(float).tiny)
    assert rel.max() <= 3 * np.finfo(float).eps
    assert np.array_equal(np.sign(out), np.sign(ref))


def test_tanh_float32_within_three_ulp_of_the_rounded_value() -> None:
    x = np.clip(_tanh_points(), -1e30, 1e30).astype(np.float32)
    out = np.empty_like(x)
    nb.tanh(x, out)
    ref = np.tanh(x.astype(np.float64)).astype(np.float32)  # correctly rounded (up to double rounding)
    assert _ulps(out, ref).max() <= 3
    assert out.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tanh_special_values(dtype: type) -> None:
    x = np.array([np.nan, np.inf, -np.inf, 0.0, 30.0, -30.0], dtype)
    out = np.empty_like(x)
    nb.tanh(x, out)
    assert np.isnan(out[0])
    np.testing.assert_array_equal(out[1:], [1.0, -1.0, 0.0, 1.0, -1.0])


@pytest.mark.parametrize("n", [4, 63, 64, 65, 130])
def test_spike_index_lists_the_nonzero_entries_by_time_step(n: int) -> None:
    """Rows of up to 64 inputs go through bit masks, wider ones through counts: both list every entry."""
    rng = np.random.default_rng(n)
    x = ((rng.random((5, 7, n)) < 0.2) * rng.integers(1, 4, (5, 7, n))).astype(np.float32)
    x[1, 2, :] = 1.0  # a full row (bit 63 set for n >= 64)
    x[3, 4, -1] = -2.5
    x[0, 6, :] = 0.0  # an empty row
    index = nb.spike_index(x, x.size)
    assert index is not None
    ptr, rows, cols, vals = index
    assert ptr[0] == 0 and ptr[-1] == np.count_nonzero(x)
    for t in range(7):
        span = slice(ptr[t], ptr[t + 1])
        got = sorted(zip(rows[span], cols[span], vals[span], strict=True))
        b, q = np.nonzero(x[:, t])
        assert got == sorted(zip(b, q, x[b, t, q], strict=True))
        assert list(zip(rows[span], cols[span], strict=True)) == list(zip(b, q, strict=True))  # row-major
    assert nb.spike_index(x, np.count_nonzero(x) - 1) is None


def _core_args(
    mode: str,
    seed: int,
    dtype: torch.dtype,
    batch: int = 3,
    steps: int = 9,
    n: int = 5,
    hidden: int = 6,
    d_m: int = 4,
    fan_in_scaled: bool = False,
) -> list[torch.Tensor | None]:
    """Arguments of the fused core. mode: "dense" (branch input, gradient to it), "trace" (raw inputs, one decay
    per input), "sparse" (raw sparse inputs, one decay for all inputs: the kernels' spike path).
    ``fan_in_scaled``: weights of standard deviation 1/sqrt(fan-in), as in trained networks (with unit weights
    wide layers make the float32 recurrence chaotic)."""
    gen = torch.Generator().manual_seed(seed)

    def rnd(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen, dtype=dtype)

    raw = mode != "dense"
    if raw:
        feats = (torch.rand(batch, steps, n, generator=gen, dtype=dtype) < 0.1).to(dtype)
        feats[0, 0, 0] = 2.0  # a non-binary value
    else:
        feats = rnd(batch, steps, n).requires_grad_()
    if mode == "trace":
        kappa_s: torch.Tensor | None = 0.2 + 0.7 * torch.rand(n, generator=gen, dtype=dtype)
    elif mode == "sparse":
        kappa_s = torch.full((n,), 0.8, dtype=dtype)
    else:
        kappa_s = None
    return [
        feats,
        (rnd(hidden, n + d_m) / ((n + d_m) ** 0.5 if fan_in_scaled else 1.0)).requires_grad_(),
        rnd(hidden).requires_grad_(),
        (rnd(d_m, hidden) / (hidden**0.5 if fan_in_scaled else 1.0)).requires_grad_(),
        rnd(d_m).requires_grad_(),
        (torch.rand(n, generator=gen, dtype=dtype) + 0.1).requires_grad_() if raw else None,
        (0.3 + 0.6 * torch.rand(d_m, generator=gen, dtype=dtype)).requires_grad_(),
        torch.rand(d_m, generator=gen, dtype=dtype).requires_grad_(),
        kappa_s,
        (rnd(2, d_m) / (d_m**0.5 if fan_in_scaled else 1.0)).requires_grad_(),
        rnd(2).requires_grad_(),
    ]


def _run_core(
    args: list[torch.Tensor | None], activation: str, last_step_only: bool, use_numba: bool
) -> list[torch.Tensor]:
    for a in args:
        if a is not None:
            a.grad = None
    backend = "numba" if use_numba else "numpy"
    y, m = fused.elm_core_cpu(*args, activation, backend)  # type: ignore[arg-type]
    gen = torch.Generator().manual_seed(1)
    wy = torch.randn(y.shape, generator=gen, dtype=torch.float64).to(y.dtype)
    wm = torch.randn(m.shape, generator=gen, dtype=torch.float64).to(y.dtype)
    loss = (y[:, -1] * wy[:, -1]).sum() if last_step_only else (y * wy).sum() + (m * wm).sum()
    loss.backward()
    grads = [a.grad.clone() for a in args if a is not None and a.requires_grad and a.grad is not None]
    return [y.detach().clone(), m.detach().clone(), *grads]


@pytest.mark.parametrize("mode", ["dense", "trace", "sparse"])
@pytest.mark.parametrize("activation", ["relu", "silu"])
@pytest.mark.parametrize("last_step_only", [False, True])
def test_numba_path_equals_numpy_path_float64(mode: str, activation: str, last_step_only: bool) -> None:
    args = _core_args(mode, seed=11, dtype=torch.float64)
    fast = _run_core(args, activation, last_step_only, use_numba=True)
    slow = _run_core(args, activation, last_step_only, use_numba=False)
    assert len(fast) == len(slow) == 11  # y, m and nine gradients
    for i, (a, b) in enumerate(zip(fast, slow, strict=True)):
        torch.testing.assert_close(a, b, rtol=1e-11, atol=1e-13, msg=f"output/gradient {i}")


@pytest.mark.parametrize("mode", ["dense", "sparse"])
@pytest.mark.parametrize("activation", ["relu", "silu"])
def test_numba_path_equals_numpy_path_at_vector_widths(mode: str, activation: str) -> None:
    """Widths that are multiples of a vector (d_m = 32, H = 64, batch 6: 4-row and 1-row tiles) take the
    register-tiled products of ``matmul`` on AVX-512 CPUs; float64 results equal the numpy loops' to rounding."""
    args = _core_args(mode, seed=13, dtype=torch.float64, batch=6, steps=7, n=9, hidden=64, d_m=32)
    fast = _run_core(args, activation, False, use_numba=True)
    slow = _run_core(args, activation, False, use_numba=False)
    for i, (a, b) in enumerate(zip(fast, slow, strict=True)):
        # (sums over time x batch in another order: measured below 3e-13 of the largest entry)
        scale = b.abs().max().item()
        torch.testing.assert_close(a, b, rtol=1e-11, atol=1e-11 * scale, msg=f"output/gradient {i}")


@pytest.mark.parametrize("mode", ["dense", "sparse"])
@pytest.mark.parametrize("activation", ["relu", "silu"])
@pytest.mark.parametrize("vector_widths", [False, True])
def test_numba_path_is_as_accurate_as_numpy_path_in_float32(
    mode: str, activation: str, vector_widths: bool
) -> None:
    """float32: both paths agree with the float64 result to float32 rounding level (vector_widths: d_m = 32,
    H = 64, 18 rows: the register-tiled products on AVX-512 CPUs; weights scaled by 1/sqrt(fan-in))."""
    if vector_widths:
        sizes = {"batch": 18, "hidden": 64, "d_m": 32, "fan_in_scaled": True}
    else:
        sizes = {"batch": 16, "hidden": 16}
    args = _core_args(mode, seed=12, dtype=torch.float32, steps=30, n=8, **sizes)  # type: ignore[arg-type]
    fast = _run_core(args, activation, False, use_numba=True)
    slow = _run_core(args, activation, False, use_numba=False)
    args64 = [None if a is None else a.detach().double().requires_grad_(a.requires_grad) for a in args]
    exact = _run_core(args64, activation, False, use_numba=False)
    for i, (a, b, e) in enumerate(zip(fast, slow, exact, strict=True)):
        assert a.dtype == torch.float32
        scale = e.abs().max().item()
        err_fast = (a.double() - e).abs().max().item() / scale
        err_slow = (b.double() - e).abs().max().item() / scale
        # (measured: both below 2e-6 of the largest entry; sums over time x batch x units in float32)
        assert err_fast < 1e-5 and err_slow < 1e-5, (i, err_fast, err_slow)


@pytest.mark.parametrize("activation", ["relu", "silu"])
def test_gradcheck_numba_spike_path(activation: str) -> None:
    """(test_fused.py's gradcheck covers the kernels' dense path when numba is installed.)"""
    args = _core_args("sparse", seed=3 if activation == "relu" else 4, dtype=torch.float64, batch=2, steps=6)

    def f(*a: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        y, m = fused.ELMCoreCPU.apply(*a, activation, "numba")
        return y, m

    assert fused.numba_available()
    assert torch.autograd.gradcheck(f, args)


def test_sparse_path_is_taken_for_spikes_and_left_for_dense_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The spike path and the dense trace give the same results; the density bound selects between them."""
    args = _core_args("sparse", seed=5, dtype=torch.float64)
    calls: list[bool] = []
    real = nb.forward_loop

    def spy(pre, sparse, *rest):  # type: ignore[no-untyped-def]
        calls.append(bool(sparse))
        return real(pre, sparse, *rest)

    monkeypatch.setattr(fused._kernels(), "forward_loop", spy)
    spikes = _run_core(args, "relu", False, use_numba=True)
    monkeypatch.setattr(fused, "SPARSE_MAX_DENSITY", 0.0)
    dense = _run_core(args, "relu", False, use_numba=True)
    assert calls == [True, False]
    for a, b in zip(spikes, dense, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-11, atol=1e-13)


def test_without_numba_the_numpy_loops_run(monkeypatch: pytest.MonkeyPatch) -> None:
    args = _core_args("sparse", seed=6, dtype=torch.float64)
    fast = _run_core(args, "silu", False, use_numba=True)
    monkeypatch.setattr(fused, "_KERNELS", False)  # as after a failed import of numba
    assert not fused.numba_available()
    with pytest.raises(ImportError, match="backend='numba' needs numba"):
        _run_core(args, "silu", False, use_numba=True)
    y, _ = fused.elm_core_cpu(*args, "silu", "auto")  # type: ignore[arg-type]
    slow = _run_core(args, "silu", False, use_numba=False)
    torch.testing.assert_close(y, slow[0])
    with pytest.raises(ImportError, match="backend='numba' needs numba"):
        ELM(3, 2, num_memory=2, backend="numba")
    assert ELM(3, 2, num_memory=2).resolved_backend(torch.zeros(1, 2, 3)) == "numpy"
    for a, b in zip(fast, slow, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-11, atol=1e-13)


def test_benchmark_model_float32_paths_agree() -> None:
    """The spec's benchmark neuron (32 -> 10, d_m = 32, spikes): one training step's outputs and gradients."""
    torch.manual_seed(0)
    model = ELM(32, 10, num_memory=32, tau_m_max=100.0)
    x = (torch.rand(16, 40, 32, generator=torch.Generator().manual_seed(2)) < 0.03).float()
    res = []
    for backend in ("numba", "numpy"):
        model.backend = backend
        model.zero_grad()
        y = model(x)
        torch.nn.functional.cross_entropy(y[:, -1], torch.arange(16) % 10).backward()
        res.append([y.detach(), *(p.grad.clone() for p in model.parameters() if p.grad is not None)])
    for a, b in zip(*res, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5 * b.abs().max().item())


def test_a_failed_kernel_import_falls_back_to_the_numpy_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import elm_neuron

    monkeypatch.setattr(fused, "_KERNELS", None)
    monkeypatch.delattr(elm_neuron, "_numba_loops", raising=False)
    monkeypatch.setitem(sys.modules, "elm_neuron._numba_loops", None)  # import raises ImportError
    assert not fused.numba_available()
    args = _core_args("dense", seed=7, dtype=torch.float64)
    y, _ = fused.elm_core_cpu(*args, "relu")  # type: ignore[arg-type]
    assert torch.isfinite(y).all()


def _product_bound(a: np.ndarray, b: np.ndarray, c0: np.ndarray, eps: float) -> np.ndarray:
    """Rounding bound of a float product with k terms: (k + 1) eps (|a| |b| + |c0|) (plus a tiny floor)."""
    k = a.shape[1]
    return (k + 1) * eps * (np.abs(a) @ np.abs(b) + np.abs(c0)) + 1e-300


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape", [(64, 32, 64), (64, 64, 32), (6, 7, 16), (3, 9, 48), (5, 0, 32), (6, 5, 10), (1, 3, 128)]
)
@pytest.mark.parametrize("accumulate", [False, True])
def test_matmul_equals_the_exact_product_to_rounding(
    dtype: type, shape: tuple[int, int, int], accumulate: bool
) -> None:
    """Tiles (widths a multiple of 16 float32 / 8 float64; 4-row and 1-row tiles) and the BLAS fallback."""
    m, k, n = shape
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    c0 = rng.standard_normal((m, n)).astype(dtype)
    c = c0.copy()
    nb.matmul(a, b, c, accumulate)
    start = c0.astype(np.float64) if accumulate else np.zeros((m, n))
    exact = start + a.astype(np.float64) @ b.astype(np.float64)
    bound = _product_bound(a.astype(np.float64), b.astype(np.float64), start, float(np.finfo(dtype).eps))
    assert c.dtype == dtype
    assert np.all(np.abs(c - exact) <= bound)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_takes_strided_views(dtype: type) -> None:
    """A transposed left factor, row-strided views of ``b`` and ``c`` (tiles), and column-strided ones (BLAS)."""
    rng = np.random.default_rng(1)
    big_a = rng.standard_normal((40, 12)).astype(dtype)
    a = big_a.T  # [12, 40], Fortran order: the weight-gradient products' layout
    big_b = rng.standard_normal((40, 80)).astype(dtype)
    b = big_b[:, 8:40]  # rows strided, columns contiguous
    big_c = np.full((12, 70), 7.0, dtype)
    c = big_c[:, 3:35]
    nb.matmul(a, b, c)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    bound = _product_bound(
        np.abs(a).astype(np.float64), np.abs(b).astype(np.float64), 0 * exact, float(np.finfo(dtype).eps)
    )
    assert np.all(np.abs(c - exact) <= bound)
    assert np.all(big_c[:, :3] == 7.0) and np.all(big_c[:, 35:] == 7.0)  # nothing written outside the view
    b_cols = big_b[:, ::2][:, :16]  # column-strided: the BLAS fallback
    out = np.empty((12, 16), dtype)
    nb.matmul(a, b_cols, out)
    exact = a.astype(np.float64) @ b_cols.astype(np.float64)
    assert np.allclose(
        out, exact, rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-4 if dtype == np.float32 else 1e-12
    )


def test_matmul_propagates_nan_and_inf() -> None:
    a = np.ones((8, 4), np.float32)
    b = np.ones((4, 32), np.float32)
    a[1, 2] = np.nan
    b[3, 5] = np.inf
    c = np.zeros((8, 32), np.float32)
    nb.matmul(a, b, c)
    assert np.all(np.isnan(c[1]))
    rows = np.arange(8) != 1
    assert np.all(np.isinf(c[rows, 5])) and np.all(c[rows][:, np.arange(32) != 5] == 4.0)
