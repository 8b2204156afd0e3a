"""CPU backends (``"numba"``, ``"numpy"``): the whole ELM neuron with one hidden layer as one autograd function.

For one hidden layer the per-step computation of :class:`elm_neuron.ELM` is (``g = 1.7159 * gain``,
``gain = lambda (1 - kappa_m)`` in version 1, ``1 - kappa_lambda`` in version 2)::

    c_t   = ks c_{t-1} + x_t                     (trace of the raw inputs, one decay per input)
    pre_t = c_t Wc^T + b1                        (Wc: routing, synapse weights, branch sums and W_b in one)
    h_t   = m_{t-1} (diag(kappa) W1m^T) + pre_t
    o_t   = act(h_t) (2/3 W2^T) + 2/3 b2
    m_t   = kappa m_{t-1} + g tanh(o_t)
    y_t   = m_t W_y^T + b_y

which is the reference's ``s_t = kappa_s s_{t-1} + w_s route(x_t)``, ``b_t = branch sums of s_t``,
``m_t = kappa m_{t-1} + lambda (1 - kappa) 1.7159 tanh(2/3 MLP([b_t, kappa m_{t-1}]))`` with the constants
folded into the weights. The traces are linear: when all synapses reading an input share one decay, the
synapse traces of that input are its own trace ``c_t`` times the synapse weights, so the input routing (an
index and a mask), the synapse weights and the branch sums fold into one input-to-hidden matrix
``Wc^T [n_in, H]``, built once per call from the synapse map (:class:`elm_neuron.routing.SynapseMap`):
``Wc[:, i] = sum over the valid synapses k reading input i of w_s[k] W_b[:, branch(k)]``. For NeuronIO
(1278 inputs, 45 branches x 100 synapses) that replaces the ``[B, T, 4500]`` synapse traces by nothing at
all. The backward pass unfolds ``dWc`` into ``dW_b`` and ``dw_s`` over the same synapses.
When the trace decays differ between the synapses of an input, the caller passes the branch input ``b``
itself (``kappa_s=None``; the features are then ``b`` and the first layer's input part is ``W_b``).

The memory update keeps the reference's order of floating-point operations (``kappa m`` plus ``g tanh``),
so float32 results round like the reference's. The backward pass (back-propagation through time) carries
``dL/dm`` backwards with two small matrix products per step; the readout's backward pass only touches the
time steps whose output gradient is non-zero.

Backends:

* ``"numba"`` (extra ``fast``): both time loops as compiled kernels (:mod:`elm_neuron._numba_loops`: one
  fused pass for the element-wise work per step; the small products in register-tiled AVX-512 code where the
  CPU has it, else SciPy's BLAS). Raw inputs that are mostly zeros (spikes) with one decay for all inputs
  enter through their non-zero entries only (:func:`spike_index`): the input part's trace is carried in the
  hidden space, ``P_t = ks P_{t-1} + x_t Wc^T`` (one row update per spike), and ``dWc = sum_t x_t^T D_t``
  with the reverse trace ``D_t = dH_t + ks D_{t+1}``. No dense trace, no dense input product, no routed
  copy of the inputs. The kernels also fold and unfold the weights, run the readout and its backward pass,
  and with the tiled products accumulate the weight gradients step by step inside the backward loop.
* ``"numpy"``: the same equations with numpy time loops and torch (MKL) products over all steps.

Both give the same results to rounding (``tests/test_numba.py``); checked against
``torch.autograd.gradcheck`` (float64) and against plain autograd through the step-by-step equations in
``tests/test_fused.py`` and ``tests/test_routing_kernels.py``.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

import numpy as np
import torch

from .recurrence import TANH_A as _TANH_A
from .recurrence import TANH_C as _TANH_C
from .routing import SynapseMap

__all__ = [
    "ELMCoreCPU",
    "SpikeIndex",
    "elm_core_cpu",
    "numba_available",
    "resolve_cpu_backend",
    "spike_index",
]

_log = logging.getLogger(__name__)

_KERNELS: Any = (
    None  # the imported kernel module, False when numba is not available, None before the first try
)


def numba_available() -> bool:
    """Whether the numba kernels can be used (numba and SciPy importable)."""
    return _kernels() is not None


def _kernels() -> Any:
    """The kernel module, imported on first use (numba's import takes a while), or None."""
    global _KERNELS
    if _KERNELS is None:
        try:
            import scipy.linalg.cython_blas  # noqa: F401  (numba's np.dot needs SciPy's BLAS)

            from . import _numba_loops
        except ImportError:
            _KERNELS = False
        except Exception as err:  # e.g. numba finds no writable cache folder: run the numpy loops
            _log.warning("numba kernels unavailable (%s: %s); using the numpy loops", type(err).__name__, err)
            _KERNELS = False
        else:
            _KERNELS = _numba_loops
    return _KERNELS or None


def resolve_cpu_backend(backend: str, batch: int, d_m: int, hidden: int) -> str:
    """``"numba"`` or ``"numpy"`` for a CPU backend argument (``"auto"``, ``"numba"`` or ``"numpy"``).

    ``"auto"`` takes the kernels when numba is installed and the per-step products are small enough for one
    thread (``batch * d_m * (hidden + 1) <= NUMPY_MAX_MNK``; larger ones run faster through torch's threaded
    products in the numpy loops).

    Raises
    ------
    ImportError
        For ``"numba"`` without numba and SciPy (the extra ``fast``).
    """
    if backend == "numba":
        if _kernels() is None:
            raise ImportError(
                "backend='numba' needs numba and SciPy: pip install 'elm-neuron[fast]' (or use backend='numpy')"
            )
        return "numba"
    if backend == "numpy":
        return "numpy"
    if backend != "auto":
        raise ValueError(f"backend must be 'auto', 'numba' or 'numpy' for the CPU core, got {backend!r}")
    if batch * d_m * (hidden + 1) <= NUMPY_MAX_MNK and _kernels() is not None:
        return "numba"
    return "numpy"


def _np(t: torch.Tensor, dtype: np.dtype[Any]) -> np.ndarray:
    """A numpy view of a CPU tensor (no copy unless the dtype differs)."""
    return np.asarray(t.detach().numpy(), dtype=dtype)


def _full(v: np.ndarray, rows: int) -> np.ndarray:
    """``v`` repeated over ``rows`` rows, contiguous (numpy broadcasts a row vector several times slower)."""
    return np.ascontiguousarray(np.broadcast_to(v, (rows, v.shape[0])))


def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for large 2-D arrays through torch (MKL; honours ``torch.set_num_threads``)."""
    return (torch.from_numpy(a) @ torch.from_numpy(b)).numpy()


#: Largest ``m * k * n`` for which numpy's bundled OpenBLAS multiplies on one thread (its threshold is
#: 65536 * 4). Larger products go through torch, which honours ``torch.set_num_threads``; numpy's BLAS
#: threads do not, and on a busy machine they can make a product 100x slower.
NUMPY_MAX_MNK = 262144

#: With the numba kernels, raw inputs with at most this fraction of non-zero entries (spikes) and one synapse
#: decay for all inputs enter through their non-zero entries only (no dense trace, no dense input products).
SPARSE_MAX_DENSITY = 0.2


def _torch_mm_out(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    torch.mm(torch.from_numpy(a), torch.from_numpy(b), out=torch.from_numpy(out))
    return out


def _step_matmul(m: int, k: int, n: int) -> Any:
    """``matmul(a, b, out=...)`` for the per-step products of shape ``[m, k] @ [k, n]``."""
    return np.matmul if m * k * n <= NUMPY_MAX_MNK else _torch_mm_out


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b``: numpy for small products (lowest overhead), torch for large ones."""
    if a.shape[0] * a.shape[1] * b.shape[1] <= NUMPY_MAX_MNK:
        return np.matmul(a, b)
    return _mm(np.ascontiguousarray(a), np.ascontiguousarray(b))


class SpikeIndex(NamedTuple):
    """The non-zero entries of raw inputs ``x`` ``[B, T, n_in]`` grouped by time step (see :func:`spike_index`).

    The entries of step ``t`` are ``ptr[t]:ptr[t + 1]``; each has its batch row, input column and value.
    """

    ptr: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray


def spike_index(x: np.ndarray, max_density: float | None = None) -> SpikeIndex | None:
    """The non-zero entries of ``x`` ``[B, T, n]`` by time step, or None when more than ``max_density`` of them
    are non-zero (default :data:`SPARSE_MAX_DENSITY`) or the numba kernels are not installed.

    NaN and inf count as non-zero: checking ``vals`` checks every value of ``x`` that is not 0.
    """
    kernels = _kernels()
    if kernels is None or x.ndim != 3 or x.dtype not in (np.float32, np.float64):
        return None
    density = SPARSE_MAX_DENSITY if max_density is None else max_density
    got = kernels.spike_index(np.ascontiguousarray(x), int(density * x.size))
    return None if got is None else SpikeIndex(*got)


def _no_index(dtype: np.dtype[Any]) -> tuple[np.ndarray, ...]:
    """An empty spike index (the kernels' arguments when the inputs are not sparse)."""
    empty = np.zeros(0, np.int64)
    return np.zeros(1, np.int64), empty, empty, np.zeros(0, dtype)


def _forward_numpy(
    pre: np.ndarray,
    mem: np.ndarray,
    acts: np.ndarray,
    th: np.ndarray,
    w_mem: np.ndarray,
    w_out: np.ndarray,
    b2c: np.ndarray,
    kap: np.ndarray,
    g: np.ndarray,
    relu: bool,
) -> np.ndarray:
    """The forward recurrence in numpy (see :func:`elm_neuron._numba_loops.forward_loop`); returns ``hs``."""
    steps, batch, width = pre.shape
    d_m = kap.shape[0]
    dtype = pre.dtype
    o = np.empty((batch, d_m), dtype)
    upd = np.empty((batch, d_m), dtype)
    k_full, g_full = _full(kap, batch), _full(g, batch)
    mm1, mm2 = _step_matmul(batch, d_m, width), _step_matmul(batch, width, d_m)
    add, mul, tanh = np.add, np.multiply, np.tanh
    if relu:
        zeros = np.zeros((batch, width), dtype)
        hs = acts  # act'(h) = (h > 0) = (relu(h) > 0): the pre-activations need not be kept
        for t in range(steps):
            h = mm1(mem[t], w_mem, out=acts[t])
            add(h, pre[t], out=h)
            a = np.maximum(h, zeros, out=h)
            tt = tanh(mm2(a, w_out, out=o), out=th[t])
            nxt = mul(mem[t], k_full, out=mem[t + 1])
            add(nxt, mul(tt, g_full, out=upd), out=nxt)
    else:
        hs = np.empty((steps, batch, width), dtype)
        ones = np.ones((batch, width), dtype)
        den = np.empty((batch, width), dtype)
        b2_full = _full(b2c, batch)
        with np.errstate(over="ignore"):  # exp(-h) may overflow to inf: silu -> the right limit 0
            for t in range(steps):
                h = mm1(mem[t], w_mem, out=hs[t])
                add(h, pre[t], out=h)
                np.negative(h, out=den)
                np.exp(den, out=den)
                add(den, ones, out=den)
                a = np.divide(h, den, out=acts[t])
                mm2(a, w_out, out=o)
                tt = tanh(add(o, b2_full, out=o), out=th[t])
                nxt = mul(mem[t], k_full, out=mem[t + 1])
                add(nxt, mul(tt, g_full, out=upd), out=nxt)
    return hs


def _backward_numpy(
    eps: np.ndarray,
    idx: np.ndarray,
    th: np.ndarray,
    g: np.ndarray,
    hs: np.ndarray,
    relu: bool,
    w_out_t: np.ndarray,
    w_mem_t: np.ndarray,
    kap: np.ndarray,
    e_all: np.ndarray | None,
    d_o: np.ndarray,
    d_h: np.ndarray,
) -> None:
    """Back-propagation through the recurrence in numpy (see :func:`elm_neuron._numba_loops.backward_loop`).

    ``eps[j]`` is the direct ``dL/dm`` at step ``idx[j]``; fills ``d_o``, ``d_h`` and (unless None) ``e_all``.
    """
    steps, batch, d_m = th.shape
    dtype = th.dtype
    slot = dict(zip(idx.tolist(), range(idx.size), strict=True))
    factor = np.multiply(th, th)
    np.subtract(1.0, factor, out=factor)
    factor *= g  # d m_t / d o_t = g (1 - tanh^2)
    width = hs.shape[2]
    if relu:
        act_grad = (hs > 0).astype(dtype)
    else:
        with np.errstate(over="ignore"):
            sig = np.exp(-hs)
        sig += 1.0
        np.reciprocal(sig, out=sig)
        act_grad = sig * (1.0 + hs * (1.0 - sig))
    carries = (np.zeros((batch, d_m), dtype), np.empty((batch, d_m), dtype))
    e_buf = np.empty((batch, d_m), dtype)
    tmp = np.empty((batch, d_m), dtype)
    k_full = _full(kap, batch)
    mm1, mm2 = _step_matmul(batch, d_m, width), _step_matmul(batch, width, d_m)
    add, mul = np.add, np.multiply
    carry = carries[0]
    for t in range(steps - 1, -1, -1):
        # e = total d L / d m_t (from the output at t and through m_{t+1}).
        j = slot.get(t)
        if j is not None:
            e = add(eps[j], carry, out=e_all[t] if e_all is not None else e_buf)
        else:
            e = carry
            if e_all is not None:
                e_all[t] = carry
        dh = mm1(mul(e, factor[t], out=d_o[t]), w_out_t, out=d_h[t])
        mul(dh, act_grad[t], out=dh)
        new = carries[1] if carry is carries[0] else carries[0]
        mm2(dh, w_mem_t, out=new)
        add(new, mul(e, k_full, out=tmp), out=new)
        carry = new


def _features(x: np.ndarray, ks_np: np.ndarray | None) -> np.ndarray:
    """Time-major features ``[T, B, n + 1]``: ``[c_t, 1]`` (``c``: the branch input ``x`` ``[B, T, n]``, or
    with decays ``ks_np`` its synapse trace ``c_t = ks c_{t-1} + x_t``)."""
    batch, steps, n = x.shape
    dtype = x.dtype
    c = np.empty((steps, batch, n + 1), dtype)
    np.copyto(c[:, :, :n], x.transpose(1, 0, 2))
    c[:, :, n] = 1.0
    if ks_np is not None and steps > 1:
        ks = np.zeros((batch, n + 1), dtype)  # decay 0 keeps the constant column at 1
        ks[:, :n] = ks_np
        tmp_c = np.empty((batch, n + 1), dtype)
        for t in range(1, steps):
            np.multiply(c[t - 1], ks, out=tmp_c)
            np.add(c[t], tmp_c, out=c[t])
    return c


_NP_DTYPES: dict[torch.dtype, np.dtype[Any]] = {
    torch.float32: np.dtype(np.float32),
    torch.float64: np.dtype(np.float64),
}
_EMPTY: dict[np.dtype[Any], tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]] = {}
_NO_SYNAPSES = np.zeros(0, np.int64)
_NO_SYNAPSES.flags.writeable = False
_IDENTITY: dict[int, np.ndarray] = {}


def _empties(dtype: np.dtype[Any]) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Cached (empty 1-D array, ``[2/3, 1.7159]``, empty spike index) in ``dtype`` for the kernels' arguments."""
    got = _EMPTY.get(dtype)
    if got is None:
        got = (np.zeros(0, dtype), np.array([_TANH_C, _TANH_A], dtype), _no_index(dtype))
        for a in (got[0], got[1], *got[2]):
            a.flags.writeable = False
        _EMPTY[dtype] = got
    return got


def _synapse_arrays(smap: SynapseMap | None, n: int, fold: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(inputs, synapses, branches)`` of the valid synapses for the kernels (identity: ``arange(n)`` thrice)."""
    if not fold:
        return _NO_SYNAPSES, _NO_SYNAPSES, _NO_SYNAPSES
    if smap is not None:
        return smap.inputs, smap.synapses, smap.branches
    ident = _IDENTITY.get(n)
    if ident is None:
        ident = np.arange(n, dtype=np.int64)
        ident.flags.writeable = False
        _IDENTITY[n] = ident
    return ident, ident, ident


def _fold_numpy(w_b: np.ndarray, ws: np.ndarray | None, smap: SynapseMap | None, out: np.ndarray) -> None:
    """``out`` ``[n, H]`` (zeros) ``= Wc^T``: ``W_b^T`` without synapse weights, else folded over the synapses."""
    if ws is None:
        out[:] = w_b.T
    elif smap is None or smap.identity:
        np.multiply(w_b.T, ws[:, None], out=out)
    else:
        np.add.at(out, smap.inputs, w_b.T[smap.branches] * ws[smap.synapses, None])


def _unfold_numpy(
    d_wc: np.ndarray, w_b: np.ndarray, ws: np.ndarray | None, smap: SynapseMap | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """``dW_b`` ``[H, B]`` and ``dw_s`` (None without synapse weights) from ``dWc^T`` ``[n, H]``."""
    if ws is None:
        return d_wc.T, None
    if smap is None or smap.identity:
        return d_wc.T * ws[None, :], (d_wc * w_b.T).sum(1)
    rows = d_wc[smap.inputs]
    d_wb_t = np.zeros((w_b.shape[1], w_b.shape[0]), d_wc.dtype)
    np.add.at(d_wb_t, smap.branches, rows * ws[smap.synapses, None])
    d_ws = np.zeros(ws.shape[0], d_wc.dtype)
    d_ws[smap.synapses] = (rows * w_b.T[smap.branches]).sum(1)
    return d_wb_t.T, d_ws


def _forward_kernels(
    ctx: Any,
    kernels: Any,
    x: np.ndarray,
    feats_dtype: torch.dtype,
    tensors: tuple[torch.Tensor, ...],
    w_s: torch.Tensor | None,
    kappa_s: torch.Tensor | None,
    activation: str,
    smap: SynapseMap | None,
    index: SpikeIndex | bool | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:meth:`ELMCoreCPU.forward` with the numba kernels (see :mod:`elm_neuron._numba_loops`)."""
    w1, b1, w2, b2, kappa, gain, w_y, b_y = tensors
    dtype = x.dtype
    batch, steps, n = x.shape
    hidden = w1.shape[0]
    d_m = kappa.shape[0]
    relu = activation == "relu"
    empty, consts, no_index = _empties(dtype)
    w1n = _np(w1, dtype)
    kap = np.ascontiguousarray(_np(kappa, dtype))
    ws = empty if w_s is None else _np(w_s, dtype)
    syn = _synapse_arrays(smap, n, w_s is not None)
    w_mem, w_mem_t, w_in, w_out, w_out_t, b2c, g = kernels.prepare(
        w1n, _np(b1, dtype), _np(w2, dtype), _np(b2, dtype), ws, *syn, n, kap, _np(gain, dtype), consts
    )
    mem = np.empty((steps + 1, batch, d_m), dtype)  # mem[t + 1] = m_t, mem[0] = 0
    mem[0] = 0.0
    acts = np.empty((steps, batch, hidden), dtype)
    hs = acts if relu else np.empty((steps, batch, hidden), dtype)  # ReLU: act'(h) = (relu(h) > 0)
    th = np.empty((steps, batch, d_m), dtype)
    ks_np = None if kappa_s is None else _np(kappa_s, dtype)
    # Sparse raw inputs with one decay for all inputs: the kernels take the input part from the spikes directly.
    sparse_ok = ks_np is not None and n > 0 and bool((ks_np == ks_np[0]).all())
    if index is None and sparse_ok:
        index = spike_index(x)
    c = None
    if isinstance(index, SpikeIndex) and sparse_ok:
        assert ks_np is not None
        pre = np.empty((0, 0, 0), dtype)
        ks_k = np.ascontiguousarray(ks_np[:1])
        idx: tuple[np.ndarray, ...] = tuple(index)
    else:
        index = None
        c = _features(x, ks_np)
        pre = _mm(c.reshape(steps * batch, n + 1), w_in).reshape(steps, batch, hidden)
        idx, ks_k = no_index, consts[:1]
    sparse = index is not None
    kernels.forward_loop(pre, sparse, *idx, w_in, ks_k, w_mem, w_out, b2c, kap, g, relu, mem, acts, hs, th)
    wy = _np(w_y, dtype)
    n_out = wy.shape[0]
    if batch * d_m * n_out <= NUMPY_MAX_MNK:
        out_np = np.empty((batch, steps, n_out), dtype)
        kernels.readout(mem, np.ascontiguousarray(wy.T), np.ascontiguousarray(_np(b_y, dtype)), out_np)
        outputs = torch.from_numpy(out_np)
    else:
        y_t = torch.addmm(
            b_y.detach().to(w1.dtype)[:, None],
            w_y.detach().to(w1.dtype),
            torch.from_numpy(mem[1:].reshape(steps * batch, d_m)).t(),
        )
        outputs = y_t.view(n_out, steps, batch).permute(2, 1, 0).contiguous()
    ctx.set_materialize_grads(False)
    ctx.activation = activation
    ctx.arrays = (c, mem, hs, acts, th, w_mem_t, w_out_t, w1n, ws, syn, kap, g, wy, w_in)
    ctx.sparse = (idx, ks_k) if sparse else None
    ctx.kernels = kernels
    ctx.dims = (batch, steps, n, hidden, d_m, feats_dtype)
    return outputs, torch.from_numpy(mem[1:].transpose(1, 0, 2))


def _backward_kernels(
    ctx: Any, grad_outputs: torch.Tensor | None, grad_memory: torch.Tensor | None
) -> tuple[torch.Tensor | None, ...]:
    """:meth:`ELMCoreCPU.backward` with the numba kernels."""
    c, mem, hs, acts, th, w_mem_t, w_out_t, w1n, ws, syn, kap, g, wy, w_in = ctx.arrays
    batch, steps, n, hidden, d_m, feats_dtype = ctx.dims
    kernels = ctx.kernels
    dtype = mem.dtype
    rows = steps * batch
    needs = ctx.needs_input_grad
    empty, consts, no_index = _empties(dtype)
    empty3 = empty.reshape(0, 0, 0)
    gy = empty3 if grad_outputs is None else _np(grad_outputs, dtype)
    gm = empty3 if grad_memory is None else _np(grad_memory, dtype)
    slot, eps, d_wy, d_by = kernels.readout_backward(gy, gm, mem, wy)
    e_all = np.empty((steps, batch, d_m), dtype)
    d_o = np.empty((steps, batch, d_m), dtype)
    d_h = np.empty((steps, batch, hidden), dtype)
    sparse = ctx.sparse is not None
    if sparse:
        index, ks_k = ctx.sparse
        d_win = np.zeros((n + 1, hidden), dtype)
    else:
        index, ks_k, d_win = no_index, consts[:1], np.zeros((1, hidden), dtype)
    relu = ctx.activation == "relu"
    # Weight gradients accumulated in the loop when both products fit the tiles (whole vectors of 64 bytes);
    # else one product each over all steps through torch's BLAS after it.
    lanes = 64 // dtype.itemsize
    in_loop = kernels.VECTOR_MATMUL and hidden % lanes == 0 and d_m % lanes == 0
    d_wm = np.zeros((d_m, hidden) if in_loop else (0, 0), dtype)  # d / d (diag(kappa) W1m^T)
    d_wout = np.zeros((hidden, d_m) if in_loop else (0, 0), dtype)  # d / d w_out
    kernels.backward_loop(
        eps,
        slot,
        th,
        g,
        acts,
        hs,
        relu,
        w_out_t,
        w_mem_t,
        kap,
        e_all,
        d_o,
        d_h,
        sparse,
        *index,
        ks_k,
        d_win,
        mem,
        d_wm,
        d_wout,
    )
    d_h2 = d_h.reshape(rows, hidden)
    if not in_loop:
        d_wm = _mm(mem[:steps].reshape(rows, d_m).T, d_h2)
        d_wout = _mm(acts.reshape(rows, hidden).T, d_o.reshape(rows, d_m))
    if not sparse:
        d_win = _mm(c.reshape(rows, n + 1).T, d_h2)  # d / d [Wc^T ; b1]
    d_w1, d_b1, d_w2, d_b2, d_ws, d_kap_w = kernels.finish(
        d_wm, d_wout, d_win, d_o.reshape(rows, d_m), w1n, ws, *syn, kap, consts
    )
    d_kappa = d_gain = None
    if needs[6]:
        d_kappa = d_kap_w + np.einsum("tbd,tbd->d", e_all, mem[:steps])
    if needs[7]:
        d_gain = _TANH_A * np.einsum("tbd,tbd->d", e_all, th)
    d_feats = None
    if needs[0]:
        d_c = torch.from_numpy(d_h2) @ torch.from_numpy(np.ascontiguousarray(w_in[:n].T))
        d_feats = d_c.reshape(steps, batch, n).transpose(0, 1).to(feats_dtype)

    def out(a: np.ndarray | None, need: bool) -> torch.Tensor | None:
        return torch.from_numpy(a) if need and a is not None else None

    return (
        d_feats,
        out(d_w1, needs[1]),
        out(d_b1, needs[2]),
        out(d_w2, needs[3]),
        out(d_b2, needs[4]),
        out(d_ws if ws.size else None, needs[5]),
        out(d_kappa, needs[6]),
        out(d_gain, needs[7]),
        None,
        out(d_wy, needs[9]),
        out(d_by, needs[10]),
        None,
        None,
        None,
        None,
    )


class ELMCoreCPU(torch.autograd.Function):
    """Outputs ``y`` ``[B, T, n_out]`` and memory ``m`` ``[B, T, d_m]`` of an ELM neuron with one hidden layer.

    Arguments of :meth:`apply` (all tensors on the CPU; use :func:`elm_core_cpu`):

    * ``feats`` ``[B, T, n]``: the branch input ``b`` (``n = B``; ``kappa_s`` None), or the raw inputs ``x``
      (``n = n_in``) when ``kappa_s`` ``[n_in]`` gives each input's trace decay: then the trace is computed
      here and ``w_s`` ``[n_syn]`` (or None: the trace itself) scales it, routed by ``synapses``;
    * ``w1`` ``[H, B + d_m]``, ``b1`` ``[H]``, ``w2`` ``[d_m, H]``, ``b2`` ``[d_m]``: the MLP;
    * ``w_s``: synapse weights (after the ReLU) or None; ``kappa``, ``gain`` ``[d_m]``: memory decay and gain;
    * ``kappa_s``: see ``feats``; ``w_y`` ``[n_out, d_m]``, ``b_y`` ``[n_out]``: the readout;
    * ``activation`` (``"relu"`` or ``"silu"``), ``backend`` (``"auto"``, ``"numba"`` or ``"numpy"``);
    * ``synapses``: a :class:`elm_neuron.routing.SynapseMap` (raw inputs with routing or several synapses per
      branch) or None (synapse ``k`` reads input ``k`` and is branch ``k``);
    * ``index``: the :class:`SpikeIndex` of ``feats`` when the caller has it (raw inputs, one decay for all),
      False when the caller found the inputs too dense for one, else None (the numba backend then tries to
      build it).

    Gradients flow to every tensor argument except ``kappa_s`` (and ``feats`` when ``kappa_s`` is given: the
    raw inputs must not require gradients then).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        feats: torch.Tensor,
        w1: torch.Tensor,
        b1: torch.Tensor,
        w2: torch.Tensor,
        b2: torch.Tensor,
        w_s: torch.Tensor | None,
        kappa: torch.Tensor,
        gain: torch.Tensor,
        kappa_s: torch.Tensor | None,
        w_y: torch.Tensor,
        b_y: torch.Tensor,
        activation: str,
        backend: str = "auto",
        synapses: SynapseMap | None = None,
        index: SpikeIndex | bool | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        dtype: np.dtype[Any] = _NP_DTYPES.get(w1.dtype) or np.dtype(str(w1.dtype).removeprefix("torch."))
        x = _np(feats, dtype)
        batch, steps, n = x.shape
        hidden = w1.shape[0]
        d_m = kappa.shape[0]
        rows = steps * batch
        relu = activation == "relu"
        if resolve_cpu_backend(backend, batch, d_m, hidden) == "numba":
            tensors = (w1, b1, w2, b2, kappa, gain, w_y, b_y)
            return _forward_kernels(
                ctx, _kernels(), x, feats.dtype, tensors, w_s, kappa_s, activation, synapses, index
            )
        # The numpy loops. With ReLU the output bias rides on a constant hidden unit: its pre-activation is
        # exactly 1 (a zero weight column in W1m, a bias of 1), relu(1) = 1, and its outgoing weights are b2.
        # (Not in the kernels: they add b2 in the tanh pass, and a width of H keeps the products aligned.)
        const_unit = relu
        width = hidden + 1 if const_unit else hidden
        w1n = _np(w1, dtype)
        n_b = w1n.shape[1] - d_m
        w_b, w1m = w1n[:, :n_b], w1n[:, n_b:]
        kap = np.ascontiguousarray(_np(kappa, dtype))
        g = _TANH_A * _np(gain, dtype)
        ws = None if w_s is None else _np(w_s, dtype)

        w_mem = np.zeros((d_m, width), dtype)  # (kappa m) W1m^T = m (diag(kappa) W1m^T)
        np.multiply(w1m.T, kap[:, None], out=w_mem[:, :hidden])
        # [Wc^T ; b1] (routing and synapse weights folded into Wc when given); c carries a constant-1 column.
        w_in = np.zeros((n + 1, width), dtype)
        _fold_numpy(w_b, ws, synapses, w_in[:n, :hidden])
        w_in[n, :hidden] = _np(b1, dtype)
        if const_unit:
            w_in[n, hidden] = 1.0
        w_out = np.empty((width, d_m), dtype)  # 2/3 [W2^T ; b2]
        np.multiply(_np(w2, dtype).T, _TANH_C, out=w_out[:hidden])
        b2c = _TANH_C * _np(b2, dtype)
        if const_unit:
            w_out[hidden] = b2c

        mem = np.empty((steps + 1, batch, d_m), dtype)  # mem[t + 1] = m_t, mem[0] = 0
        mem[0] = 0.0
        acts = np.empty((steps, batch, width), dtype)
        th = np.empty((steps, batch, d_m), dtype)
        ks_np = None if kappa_s is None else _np(kappa_s, dtype)
        c = _features(x, ks_np)
        # Input part of the first layer for all steps at once: pre = [c, 1] [Wc^T ; b1].
        pre = _mm(c.reshape(rows, n + 1), w_in).reshape(steps, batch, width)
        hs = _forward_numpy(pre, mem, acts, th, w_mem, w_out, b2c, kap, g, relu)
        wy = _np(w_y, dtype)
        n_out = wy.shape[0]
        # y^T = W_y m^T + b_y as [n_out, T B] (MKL is faster this way round), then [B, T, n_out].
        y_t = torch.addmm(
            b_y.detach().to(w1.dtype)[:, None],
            w_y.detach().to(w1.dtype),
            torch.from_numpy(mem[1:].reshape(rows, d_m)).t(),
        )
        outputs = y_t.view(n_out, steps, batch).permute(2, 1, 0).contiguous()
        ctx.set_materialize_grads(False)
        ctx.activation = activation
        ctx.arrays = (c, mem, hs, acts, th, w_mem, w_out, w_in, w_b, w1m, ws, kap, g, wy)
        ctx.synapses = synapses
        ctx.kernels = None
        ctx.const_unit = const_unit
        ctx.dims = (batch, steps, n, hidden, d_m, feats.dtype)
        # The memory is returned as a [B, T, d_m] view of the time-major buffer.
        return outputs, torch.from_numpy(mem[1:].transpose(1, 0, 2))

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(
        ctx: Any, grad_outputs: torch.Tensor | None, grad_memory: torch.Tensor | None
    ) -> tuple[torch.Tensor | None, ...]:
        if ctx.kernels is not None:
            return _backward_kernels(ctx, grad_outputs, grad_memory)
        c, mem, hs, acts, th, w_mem, w_out, w_in, w_b, w1m, ws, kap, g, wy = ctx.arrays
        batch, steps, n, hidden, d_m, feats_dtype = ctx.dims
        n_b = w_b.shape[1]
        dtype = w_mem.dtype
        rows = steps * batch
        needs = ctx.needs_input_grad
        n_out = wy.shape[0]
        # Time steps with a non-zero gradient from the outputs or the memory, and dL/dm_t (direct) there.
        gy = None if grad_outputs is None else _np(grad_outputs, dtype)
        gm = None if grad_memory is None else _np(grad_memory, dtype)
        nonzero = np.zeros(steps, bool)
        for grad in (gy, gm):
            if grad is not None:  # (faster than grad.any(axis=(0, 2)))
                nonzero |= (grad.reshape(batch, -1) != 0).any(0).reshape(steps, -1).any(1)
        idx = np.flatnonzero(nonzero)
        k = idx.size
        eps = np.zeros((k, batch, d_m), dtype)  # eps[j] = direct dL/dm at step idx[j]
        d_wy = np.zeros((n_out, d_m), dtype)
        d_by = np.zeros(n_out, dtype)
        if k and gy is not None:
            gy_k = np.ascontiguousarray(gy[:, idx].transpose(1, 0, 2)).reshape(k * batch, n_out)
            eps[:] = _dot(gy_k, wy).reshape(k, batch, d_m)
            if needs[9]:
                d_wy = _dot(gy_k.T, mem[idx + 1].reshape(k * batch, d_m))
            d_by = gy_k.sum(0)
        if k and gm is not None:
            eps += gm[:, idx].transpose(1, 0, 2)
        width = hs.shape[2]  # H + 1 with the constant unit (its gradient is computed but unused)
        w_out_t = np.ascontiguousarray(w_out.T)  # [d_m, width]
        w_mem_t = np.ascontiguousarray(w_mem.T)  # [width, d_m] (zero row for the constant unit)
        need_e = needs[6] or needs[7]
        d_o = np.empty((steps, batch, d_m), dtype)
        d_h = np.empty((steps, batch, width), dtype)
        e_all = np.empty((steps, batch, d_m), dtype) if need_e else None
        _backward_numpy(eps, idx, th, g, hs, ctx.activation == "relu", w_out_t, w_mem_t, kap, e_all, d_o, d_h)

        d_h2 = d_h.reshape(rows, width)
        d_o2 = d_o.reshape(rows, d_m)
        d_wm = _mm(mem[:steps].reshape(rows, d_m).T, d_h2)[:, :hidden]  # d / d (diag(kappa) W1m^T)
        d_kap_w = (d_wm * w1m.T).sum(1)
        d_wout = _mm(acts.reshape(rows, -1).T, d_o2)  # d / d w_out  [width, d_m]
        d_w1 = d_w_s = None
        d_win = _mm(c.reshape(rows, n + 1).T, d_h2)  # d / d [Wc^T ; b1]
        d_wb, d_ws_all = _unfold_numpy(d_win[:n, :hidden], w_b, ws, ctx.synapses)
        if needs[1]:
            d_w1 = np.empty((hidden, n_b + d_m), dtype)
            np.multiply(d_wm.T, kap[None, :], out=d_w1[:, n_b:])
            d_w1[:, :n_b] = d_wb
        if ws is not None and needs[5]:
            d_w_s = d_ws_all
        d_b2: np.ndarray | None = None
        if needs[4]:
            d_b2 = _TANH_C * (d_wout[hidden] if ctx.const_unit else d_o2.sum(0))
        d_kappa = d_gain = None
        if needs[6]:
            assert e_all is not None
            d_kappa = d_kap_w + np.einsum("tbd,tbd->d", e_all, mem[:steps])
        if needs[7]:
            assert e_all is not None
            d_gain = _TANH_A * np.einsum("tbd,tbd->d", e_all, th)
        d_feats = None
        if needs[0]:
            d_c = torch.from_numpy(d_h2) @ torch.from_numpy(np.ascontiguousarray(w_in[:n].T))
            d_feats = d_c.reshape(steps, batch, n).transpose(0, 1).to(feats_dtype)

        def out(a: np.ndarray | None, need: bool) -> torch.Tensor | None:
            return torch.from_numpy(np.ascontiguousarray(a)) if need and a is not None else None

        return (
            d_feats,
            out(d_w1, needs[1]),
            out(d_win[n, :hidden], needs[2]),
            out(_TANH_C * d_wout[:hidden].T, needs[3]),
            out(d_b2, needs[4]),
            out(d_w_s, needs[5]),
            out(d_kappa, needs[6]),
            out(d_gain, needs[7]),
            None,
            out(d_wy, needs[9]),
            out(d_by, needs[10]),
            None,
            None,
            None,
            None,
        )


def elm_core_cpu(
    feats: torch.Tensor,
    w1: torch.Tensor,
    b1: torch.Tensor,
    w2: torch.Tensor,
    b2: torch.Tensor,
    w_s: torch.Tensor | None,
    kappa: torch.Tensor,
    gain: torch.Tensor,
    kappa_s: torch.Tensor | None,
    w_y: torch.Tensor,
    b_y: torch.Tensor,
    activation: str,
    backend: str = "auto",
    synapses: SynapseMap | None = None,
    index: SpikeIndex | bool | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Outputs and memory through :class:`ELMCoreCPU` (see there for the arguments), after checking them."""
    if kappa_s is None:
        if w_s is not None or synapses is not None or isinstance(index, SpikeIndex):
            raise ValueError("w_s, synapses and index need raw inputs: pass their trace decays kappa_s")
    else:
        if feats.requires_grad:
            raise ValueError("feats must not require gradients when kappa_s is given (raw inputs)")
        if kappa_s.shape != (feats.shape[2],):
            raise ValueError(
                f"kappa_s must have one decay per input [{feats.shape[2]}], got {tuple(kappa_s.shape)}"
            )
    d_m = kappa.shape[0]
    n_b = w1.shape[1] - d_m
    if synapses is not None:
        if w_s is None:
            raise ValueError("synapses need the synapse weights w_s")
        if (synapses.num_input, synapses.num_branch, synapses.num_synapse) != (
            feats.shape[2],
            n_b,
            w_s.shape[0],
        ):
            raise ValueError(
                f"synapses map {synapses.num_input} inputs to {synapses.num_branch} branches of "
                f"{synapses.num_synapse} synapses; got {feats.shape[2]} inputs, {n_b} branches, {w_s.shape[0]} synapse weights"
            )
    elif feats.shape[2] != n_b or (w_s is not None and w_s.shape != (n_b,)):
        raise ValueError(
            f"without a synapse map feats [.., {feats.shape[2]}] and w_s must match the first layer's "
            f"{n_b} branch columns"
        )
    y, m = ELMCoreCPU.apply(
        feats, w1, b1, w2, b2, w_s, kappa, gain, kappa_s, w_y, b_y, activation, backend, synapses, index
    )
    return y, m
