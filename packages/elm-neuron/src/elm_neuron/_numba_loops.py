"""numba kernels for the two time loops of :class:`elm_neuron.fused.ELMCoreCPU` (optional extra ``fast``).

Each kernel runs one whole time loop in compiled code: per step the two small matrix products go to BLAS
(``np.dot`` with an output array; numba calls SciPy's BLAS for it) and the element-wise work between them is
one fused pass over the ``batch x width`` block, instead of five to eight numpy calls with their dispatch
overhead. The arrays and the order of operations are those of the numpy loops in :mod:`elm_neuron.fused`, so
both paths agree to float32 rounding (exactly in the memory update's float32 arithmetic, to an ulp in tanh).

numba's ``np.tanh`` calls the scalar C library function for every element (about 8 ns each, an order of
magnitude more than numpy's vectorised tanh); :func:`_tanh` below is written with arithmetic that the compiler
vectorises instead (about 1 ns per element): ``tanh|x| = -u / (u + 2)`` with ``u = expm1(-2|x|)`` in float64,
where ``expm1`` is evaluated by the usual reduction ``-2|x| = k ln 2 + r`` (``|r| <= ln 2 / 2``, ``ln 2`` split
in a high and a low part) and the Taylor series of ``expm1(r)`` to ``r^14`` (truncation error below
``4e-18``). Measured: at most 2.2 ulp from ``numpy.tanh`` in float64, and in float32 (computed in float64, then
rounded) equal to the correctly rounded value on 2.2 million test points.

All kernels use ``error_model="numpy"`` (no Python-style zero-division checks), without which the element-wise
loops are not vectorised, and ``cache=True`` (compiled once per dtype, then loaded from ``__pycache__``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import overload

__all__ = ["backward_loop", "forward_loop", "readout", "spike_index", "tanh"]

_LN2_HI = 6.93147180369123816490e-01  # ln 2 = _LN2_HI + _LN2_LO; k * _LN2_HI is exact for |k| < 2^11
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
# 1 / n! for the Taylor series of expm1 (n = 2 .. 14)
_C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13, _C14 = (
    1.0 / math.factorial(n) for n in range(2, 15)
)


@njit(inline="always", error_model="numpy")
def _tanh64(x):  # type: ignore[no-untyped-def]
    """tanh of one number, computed in float64 with vectorisable arithmetic (see the module docstring)."""
    ax = abs(np.float64(x))
    z = -2.0 * (ax if ax < 20.0 else 20.0)  # tanh(20) == 1 in float64
    kf = np.floor(z * _INV_LN2 + 0.5)  # z = kf ln 2 + r, kf in [-58, 0]
    r = z - kf * _LN2_HI - kf * _LN2_LO
    q = _C14  # expm1(r) = r (1 + r (1/2! + r (1/3! + ...))) by Horner's rule
    q = _C13 + r * q
    q = _C12 + r * q
    q = _C11 + r * q
    q = _C10 + r * q
    q = _C9 + r * q
    q = _C8 + r * q
    q = _C7 + r * q
    q = _C6 + r * q
    q = _C5 + r * q
    q = _C4 + r * q
    q = _C3 + r * q
    q = _C2 + r * q
    p = r * (1.0 + r * q)
    k = np.int64(-kf)
    scale = 1.0 / np.float64(np.int64(1) << k)  # 2^kf
    u = p if k == 0 else (p + 1.0) * scale - 1.0  # expm1(z)
    t = -u / (u + 2.0)
    if not ax >= 7.5e-9:  # tanh(x) rounds to x (keeps the sign of zero); NaN in, NaN out
        return np.float64(x)
    return t if x >= 0 else -t


_F = np.float32
_LN2_HI32 = _F(0.693145751953125)  # 8 significant bits fewer than float32: k * _LN2_HI32 exact for |k| < 2^8
_LN2_LO32 = _F(1.428606765330187045e-06)
_INV_LN2_32 = _F(_INV_LN2)
_ONE32, _TWO32, _HALF32, _MTWO32, _TEN32 = _F(1.0), _F(2.0), _F(0.5), _F(-2.0), _F(10.0)
_SMALL32 = _F(1.2e-4)
_D2, _D3, _D4, _D5, _D6, _D7, _D8 = (_F(1.0 / math.factorial(n)) for n in range(2, 9))


@njit(inline="always", error_model="numpy")
def _tanh32(x):  # type: ignore[no-untyped-def]
    """tanh of a float32 in float32 arithmetic (16 lanes per AVX-512 vector; at most 3 ulp from tanh)."""
    ax = abs(x)
    z = _MTWO32 * (ax if ax < _TEN32 else _TEN32)  # tanh(10) == 1 in float32
    kf = np.floor(z * _INV_LN2_32 + _HALF32)  # kf in [-29, 0]
    r = z - kf * _LN2_HI32 - kf * _LN2_LO32
    q = _D8  # Taylor series of expm1(r) to r^8 (truncation error below 6e-9 relative)
    q = _D7 + r * q
    q = _D6 + r * q
    q = _D5 + r * q
    q = _D4 + r * q
    q = _D3 + r * q
    q = _D2 + r * q
    p = r * (_ONE32 + r * q)
    k = np.int32(-kf)
    scale = _ONE32 / np.float32(np.int32(1) << k)
    u = p if k == 0 else (p + _ONE32) * scale - _ONE32
    t = -u / (u + _TWO32)
    if not ax >= _SMALL32:  # tanh(x) rounds to x (keeps the sign of zero); NaN in, NaN out
        return x
    return t if x >= 0 else -t


def _tanh(x):  # type: ignore[no-untyped-def]  # pragma: no cover - replaced in compiled code
    """tanh of one number in compiled code: :func:`_tanh32` for float32, :func:`_tanh64` otherwise."""
    return math.tanh(x)


@overload(_tanh, inline="always")
def _tanh_overload(x):  # type: ignore[no-untyped-def]
    if isinstance(x, types.Float) and x.bitwidth == 32:
        return lambda x: _tanh32(x)
    return lambda x: _tanh64(x)


@njit(cache=True, error_model="numpy")
def tanh(x, out):  # type: ignore[no-untyped-def]
    """``out[:] = tanh(x)`` for 1-D arrays with :func:`_tanh` (for tests)."""
    for i in range(x.shape[0]):
        out[i] = _tanh(x[i])


@njit(cache=True, error_model="numpy")
def spike_index(x, max_count):  # type: ignore[no-untyped-def]
    """The non-zero entries of ``x`` ``[B, T, n]`` grouped by time step, or ``None`` beyond ``max_count``.

    Returns ``(ptr, rows, cols, vals)``: the entries of step ``t`` are ``ptr[t]:ptr[t + 1]``, each with its
    batch row, input column and value.
    """
    batch, steps, n = x.shape
    ptr = np.zeros(steps + 1, np.int64)
    for b in range(batch):
        for t in range(steps):
            xt = x[b, t]
            cnt = 0
            for q in range(n):
                cnt += xt[q] != 0
            ptr[t + 1] += cnt
    for t in range(steps):
        ptr[t + 1] += ptr[t]
    total = ptr[steps]
    if total > max_count:
        return None
    rows = np.empty(total, np.int64)
    cols = np.empty(total, np.int64)
    vals = np.empty(total, x.dtype)
    pos = ptr[:steps].copy()
    for b in range(batch):
        for t in range(steps):
            xt = x[b, t]
            for q in range(n):
                v = xt[q]
                if v != 0:
                    k = pos[t]
                    rows[k] = b
                    cols[k] = q
                    vals[k] = v
                    pos[t] = k + 1
    return ptr, rows, cols, vals


@njit(cache=True, error_model="numpy")
def forward_loop(  # type: ignore[no-untyped-def]
    pre, sparse, ptr, rows, cols, vals, w_in, ks, w_mem, w_out, b2c, kap, g, relu, mem, acts, hs, th
):
    """The forward recurrence of :class:`elm_neuron.fused.ELMCoreCPU`, in place.

    Per step ``t``: ``h = mem[t] w_mem + pre[t]``, ``a = act(h)``, ``th[t] = tanh(a w_out + b2c)`` and
    ``mem[t + 1] = kap mem[t] + g th[t]``. With ReLU ``hs`` may be ``acts`` (the pre-activations are not
    kept: ``act'(h) = (act(h) > 0)``); with SiLU ``hs`` keeps them.
    Shapes: ``pre``, ``acts``, ``hs`` ``[T, B, width]``; ``mem`` ``[T + 1, B, d_m]`` (``mem[0]`` the initial
    memory); ``th`` ``[T, B, d_m]``; ``w_mem`` ``[d_m, width]``; ``w_out`` ``[width, d_m]``.

    With ``sparse``, ``pre`` is not used: the input part comes from the raw inputs (mostly zeros, e.g. spikes;
    their non-zero entries from :func:`spike_index` as ``ptr, rows, cols, vals``) through a synapse trace with
    one decay ``ks[0]`` for all inputs, whose product with the weights is itself a trace:
    ``pre_t = P_t + w_in[n]`` with ``P_t = ks P_{t-1} + x_t w_in[:n]``; each non-zero input costs one row
    update.
    """
    steps, batch, width = acts.shape
    d_m = kap.shape[0]
    n = w_in.shape[0] - 1
    o = np.empty((batch, d_m), acts.dtype)
    state = np.zeros((batch, width), acts.dtype)  # P_t (sparse inputs)
    inp = np.empty((batch, width), acts.dtype)
    decay = ks[0]
    bias = w_in[n]
    for t in range(steps):
        if sparse:
            flat = state.reshape(batch * width)
            for j in range(batch * width):
                flat[j] = flat[j] * decay
            for k in range(ptr[t], ptr[t + 1]):
                st = state[rows[k]]
                v = vals[k]
                wq = w_in[cols[k]]
                for j in range(width):
                    st[j] = st[j] + v * wq[j]
            for i in range(batch):
                for j in range(width):
                    inp[i, j] = state[i, j] + bias[j]
            p = inp
        else:
            p = pre[t]
        a = acts[t]
        if relu:
            np.dot(mem[t], w_mem, a)
            for i in range(batch):
                for j in range(width):
                    v = a[i, j] + p[i, j]
                    a[i, j] = v if v > 0 else 0.0
            np.dot(a, w_out, o)
        else:
            h = hs[t]
            np.dot(mem[t], w_mem, h)
            for i in range(batch):
                for j in range(width):
                    v = h[i, j] + p[i, j]
                    h[i, j] = v
                    a[i, j] = v / (math.exp(-v) + 1.0)  # silu; exp overflow -> inf -> the limit 0
            np.dot(a, w_out, o)
        th_t = th[t]
        m_old = mem[t]
        m_new = mem[t + 1]
        for i in range(batch):
            for j in range(d_m):
                th_t[i, j] = _tanh(o[i, j] + b2c[j])
                m_new[i, j] = m_old[i, j] * kap[j] + th_t[i, j] * g[j]


@njit(cache=True, error_model="numpy")
def readout(mem, w_y_t, b_y, out):  # type: ignore[no-untyped-def]
    """``out[:, t] = mem[t + 1] w_y_t + b_y`` for every step: ``out`` ``[B, T, n_out]``, ``mem`` time-major."""
    batch, steps, n_out = out.shape
    tmp = np.empty((batch, n_out), out.dtype)
    for t in range(steps):
        np.dot(mem[t + 1], w_y_t, tmp)
        for i in range(batch):
            for j in range(n_out):
                out[i, t, j] = tmp[i, j] + b_y[j]


@njit(cache=True, error_model="numpy")
def backward_loop(  # type: ignore[no-untyped-def]
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
    ptr,
    rows,
    cols,
    vals,
    ks,
    d_in,
):
    """Back-propagation through the recurrence of :func:`forward_loop`, in place.

    ``eps[slot[t]]`` is the direct ``dL/dm_t`` at the steps with ``slot[t] >= 0``. Per step, backwards:
    ``e_all[t] = eps[slot[t]] + carry`` (the total ``dL/dm_t``), ``d_o[t] = e g (1 - th[t]^2)``,
    ``d_h[t] = (d_o[t] w_out_t) act'(h)`` and ``carry = d_h[t] w_mem_t + kap e``. ``act'`` is ``acts > 0`` for
    ReLU and the SiLU derivative of ``hs`` otherwise.

    With ``sparse`` (see :func:`forward_loop`) the gradient of ``w_in`` goes to ``d_in`` ``[n + 1, width]``
    (zeros on entry): ``d_in[:n] = sum_t c_t^T d_h[t] = sum_t x_t^T D_t`` with the reverse trace
    ``D_t = d_h[t] + ks D_{t+1}``, and ``d_in[n] = sum_t d_h[t]`` (the bias).
    """
    steps, batch, d_m = th.shape
    width = d_h.shape[2]
    n = d_in.shape[0] - 1
    carry = np.zeros((batch, d_m), th.dtype)
    new = np.empty((batch, d_m), th.dtype)
    state = np.zeros((batch, width), th.dtype)  # D_t (sparse inputs)
    decay = ks[0]
    for t in range(steps - 1, -1, -1):
        e = e_all[t]
        s = slot[t]
        if s >= 0:
            eps_t = eps[s]
            for i in range(batch):
                for j in range(d_m):
                    e[i, j] = eps_t[i, j] + carry[i, j]
        else:
            e[:, :] = carry
        th_t = th[t]
        do = d_o[t]
        for i in range(batch):
            for j in range(d_m):
                f = 1.0 - th_t[i, j] * th_t[i, j]
                do[i, j] = e[i, j] * (f * g[j])
        dh = d_h[t]
        np.dot(do, w_out_t, dh)
        if relu:
            a = acts[t]
            for i in range(batch):
                for j in range(width):
                    dh[i, j] = dh[i, j] if a[i, j] > 0 else 0.0
        else:
            h = hs[t]
            for i in range(batch):
                for j in range(width):
                    v = h[i, j]
                    sig = 1.0 / (math.exp(-v) + 1.0)
                    dh[i, j] = dh[i, j] * (sig * (1.0 + v * (1.0 - sig)))
        np.dot(dh, w_mem_t, new)
        for i in range(batch):
            for j in range(d_m):
                new[i, j] = new[i, j] + e[i, j] * kap[j]
        carry, new = new, carry
        if sparse:
            d_bias = d_in[n]
            for i in range(batch):
                st = state[i]
                dhi = dh[i]
                for j in range(width):
                    st[j] = st[j] * decay + dhi[j]
                    d_bias[j] = d_bias[j] + dhi[j]
            for k in range(ptr[t], ptr[t + 1]):
                v = vals[k]
                st = state[rows[k]]
                dq = d_in[cols[k]]
                for j in range(width):
                    dq[j] = dq[j] + v * st[j]
