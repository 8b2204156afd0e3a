"""numba kernels for the two time loops of :class:`elm_neuron.fused.ELMCoreCPU` (optional extra ``fast``).

Each kernel runs one whole time loop in compiled code: per step two small matrix products and one fused pass
over the ``batch x width`` block for the element-wise work, instead of five to eight numpy calls with their
dispatch overhead. The arrays and the order of element-wise operations are those of the numpy loops in
:mod:`elm_neuron.fused`, so both paths agree to float32 rounding (exactly in the memory update's float32
arithmetic, to an ulp in tanh; the products sum in another order).

The products (:func:`matmul`) run in register tiles on CPUs with AVX-512 (:data:`VECTOR_MATMUL`): a numba
intrinsic (:func:`_make_tile`) emits LLVM vector code that keeps a ``4 x 64`` float32 block of the result in
16 registers over the whole inner dimension (per step of it: 4 vector loads, 4 broadcasts, 16 fused
multiply-adds). At the per-step shapes (``[64 x 32] @ [32 x 64]`` and ``[64 x 64] @ [64 x 32]``) that is
about 1.0-1.2 us, 250 GFLOP/s on one core, where SciPy's and numpy's OpenBLAS take 2.9 us with their 256-bit
(Haswell) kernels and torch's MKL 2.7 us (measured on the team's AMD EPYC, whose environment pins
``OPENBLAS_CORETYPE=Haswell``; OpenBLAS's own AVX-512 kernels take 1.1 us there when not pinned). Other
shapes (widths that are not a multiple of 16 float32 / 8 float64), other CPUs and column-strided arrays go
through ``np.dot`` (BLAS). Each tiled product is single-threaded.

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

__all__ = [
    "backward_loop",
    "finish",
    "forward_loop",
    "matmul",
    "prepare",
    "readout",
    "readout_backward",
    "spike_index",
    "tanh",
]

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


# ---------------------------------------------------------------------------------------------- matmul
def _host_has_avx512() -> bool:
    """Whether the host CPU has AVX-512F (LLVM then keeps a 16-float vector in one register)."""
    try:
        from llvmlite import binding as llvm

        return bool(llvm.get_host_cpu_features().get("avx512f", False))
    except Exception:  # pragma: no cover - no feature list from LLVM
        return False


#: Use the register-tiled products of :func:`matmul` (True on CPUs with AVX-512; elsewhere ``np.dot``, i.e.
#: SciPy's BLAS, whose 256-bit kernels are then as fast). Read when the kernels are compiled (and cached).
VECTOR_MATMUL = _host_has_avx512()


def _make_tile(rows, vecs):  # type: ignore[no-untyped-def]
    """An intrinsic computing one ``rows x (vecs * lanes)`` block of ``c (+)= a @ b`` in vector registers.

    ``tile(a, b, c, i0, j0, accumulate)``: ``c[i0:i0 + rows, j0:j0 + vecs * lanes]`` is set to (or with
    ``accumulate`` increased by) ``a[i0:i0 + rows] @ b[:, j0:j0 + vecs * lanes]``, with ``lanes = 64 / itemsize``
    (one 512-bit vector: 16 float32 or 8 float64). ``a`` may have any strides; rows of ``b`` and ``c`` must be
    contiguous (the caller checks). The ``rows x vecs`` accumulators stay in registers over the whole inner
    dimension: per step ``k`` it loads ``vecs`` vectors of ``b[k]``, broadcasts ``rows`` scalars of
    ``a[:, k]`` and issues ``rows x vecs`` fused multiply-adds, so each output is
    ``fma(a[i, K-1], b[K-1, j], ... fma(a[i, 0], b[0, j], 0))`` (or starting from ``c[i, j]``).
    """
    from llvmlite import ir
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def tile(typingctx, a, b, c, i0, j0, accumulate):  # type: ignore[no-untyped-def]
        if not (
            isinstance(a, types.Array)
            and a.ndim == 2
            and a.dtype in (types.float32, types.float64)
            and isinstance(b, types.Array)
            and isinstance(c, types.Array)
            and b.dtype == a.dtype
            and c.dtype == a.dtype
        ):
            return None
        sig = types.void(a, b, c, types.intp, types.intp, types.boolean)

        def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
            av, bv, cv, i0v, j0v, acc_flag = args
            aty, bty, cty = signature.args[:3]
            ft = context.get_value_type(aty.dtype)
            size = 4 if aty.dtype == types.float32 else 8
            lanes = 64 // size
            vt = ir.VectorType(ft, lanes)
            pvt = vt.as_pointer()
            i32 = ir.IntType(32)
            arr = [
                cgutils.create_struct_proxy(t)(context, builder, value=v)
                for t, v in zip((aty, bty, cty), (av, bv, cv), strict=True)
            ]
            strides = [cgutils.unpack_tuple(builder, x.strides, 2) for x in arr]
            step = ir.Constant(i0v.type, size)
            sa0, sa1 = (builder.sdiv(s, step) for s in strides[0])  # element strides
            ldb = builder.sdiv(strides[1][0], step)
            ldc = builder.sdiv(strides[2][0], step)
            shape_a = cgutils.unpack_tuple(builder, arr[0].shape, 2)

            def const(v):  # type: ignore[no-untyped-def]
                return ir.Constant(i0v.type, v)

            name = f"llvm.fma.v{lanes}{'f32' if size == 4 else 'f64'}"
            fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vt, [vt, vt, vt]), name)
            zero = ir.Constant(vt, [ir.Constant(ft, 0.0)] * lanes)
            undef = ir.Constant(vt, ir.Undefined)
            splat = ir.Constant(ir.VectorType(i32, lanes), [ir.Constant(i32, 0)] * lanes)
            accs = [[cgutils.alloca_once(builder, vt) for _ in range(vecs)] for _ in range(rows)]
            c_ptr = []
            for r in range(rows):
                base = builder.add(builder.mul(builder.add(i0v, const(r)), ldc), j0v)
                c_ptr.append(
                    [
                        builder.bitcast(builder.gep(arr[2].data, [builder.add(base, const(v * lanes))]), pvt)
                        for v in range(vecs)
                    ]
                )
            with builder.if_else(acc_flag) as (then, otherwise):
                with then:
                    for r in range(rows):
                        for v in range(vecs):
                            builder.store(builder.load(c_ptr[r][v], align=size), accs[r][v])
                with otherwise:
                    for r in range(rows):
                        for v in range(vecs):
                            builder.store(zero, accs[r][v])
            a_row = [builder.mul(builder.add(i0v, const(r)), sa0) for r in range(rows)]
            with cgutils.for_range(builder, shape_a[1]) as loop:
                k = loop.index
                b_base = builder.add(builder.mul(k, ldb), j0v)
                b_vec = [
                    builder.load(
                        builder.bitcast(
                            builder.gep(arr[1].data, [builder.add(b_base, const(v * lanes))]), pvt
                        ),
                        align=size,
                    )
                    for v in range(vecs)
                ]
                a_k = builder.mul(k, sa1)
                for r in range(rows):
                    x = builder.load(builder.gep(arr[0].data, [builder.add(a_row[r], a_k)]))
                    xs = builder.shuffle_vector(
                        builder.insert_element(undef, x, ir.Constant(i32, 0)), undef, splat
                    )
                    for v in range(vecs):
                        builder.store(builder.call(fma, [xs, b_vec[v], builder.load(accs[r][v])]), accs[r][v])
            for r in range(rows):
                for v in range(vecs):
                    builder.store(builder.load(accs[r][v]), c_ptr[r][v], align=size)
            return context.get_dummy_value()

        return sig, codegen

    return tile


def _dot_into(a, b, c):  # type: ignore[no-untyped-def]  # pragma: no cover - replaced in compiled code
    """``c[:] = a @ b`` through BLAS (``np.dot`` writes into ``c`` directly when it is C-contiguous)."""
    c[:] = a @ b


@overload(_dot_into, inline="always")
def _dot_into_overload(a, b, c):  # type: ignore[no-untyped-def]
    if isinstance(c, types.Array) and c.layout == "C":

        def direct(a, b, c):  # type: ignore[no-untyped-def]
            np.dot(np.ascontiguousarray(a), np.ascontiguousarray(b), c)

        return direct

    def copy(a, b, c):  # type: ignore[no-untyped-def]
        c[:, :] = np.dot(np.ascontiguousarray(a), np.ascontiguousarray(b))

    return copy


_TILE_4x4 = _make_tile(4, 4)
_TILE_4x2 = _make_tile(4, 2)
_TILE_4x1 = _make_tile(4, 1)
_TILE_1x4 = _make_tile(1, 4)
_TILE_1x2 = _make_tile(1, 2)
_TILE_1x1 = _make_tile(1, 1)


@njit(cache=True, error_model="numpy")
def matmul(a, b, c, accumulate=False):  # type: ignore[no-untyped-def]
    """``c = a @ b`` (``accumulate``: ``c += a @ b``) for 2-D arrays of one float dtype.

    With :data:`VECTOR_MATMUL`, when the columns of ``b`` and ``c`` are contiguous and their number is a
    multiple of one vector (16 float32 or 8 float64), the product runs in register tiles of 4 rows and up
    to 4 vectors (see :func:`_make_tile`; about 2.5x the speed of SciPy's BLAS with 256-bit kernels at
    ``64 x 32 x 64``, and single-threaded at every size); otherwise through ``np.dot`` (BLAS).
    """
    m, k = a.shape
    n = b.shape[1]
    size = a.itemsize
    lanes = 64 // size
    tiles = (
        VECTOR_MATMUL
        and n % lanes == 0
        and b.strides[1] == size
        and c.strides[1] == size
        and c.shape[0] == m
        and c.shape[1] == n
        and b.shape[0] == k
    )
    if not tiles:
        if accumulate:
            c += np.dot(np.ascontiguousarray(a), np.ascontiguousarray(b))
        else:
            _dot_into(a, b, c)
        return
    m4 = m - m % 4
    j0 = 0
    while j0 < n:
        rest = n - j0
        if rest >= 4 * lanes:
            for i0 in range(0, m4, 4):
                _TILE_4x4(a, b, c, i0, j0, accumulate)
            for i0 in range(m4, m):
                _TILE_1x4(a, b, c, i0, j0, accumulate)
            j0 += 4 * lanes
        elif rest >= 2 * lanes:
            for i0 in range(0, m4, 4):
                _TILE_4x2(a, b, c, i0, j0, accumulate)
            for i0 in range(m4, m):
                _TILE_1x2(a, b, c, i0, j0, accumulate)
            j0 += 2 * lanes
        else:
            for i0 in range(0, m4, 4):
                _TILE_4x1(a, b, c, i0, j0, accumulate)
            for i0 in range(m4, m):
                _TILE_1x1(a, b, c, i0, j0, accumulate)
            j0 += lanes


@njit(cache=True, error_model="numpy")
def tanh(x, out):  # type: ignore[no-untyped-def]
    """``out[:] = tanh(x)`` for 1-D arrays with :func:`_tanh` (for tests)."""
    for i in range(x.shape[0]):
        out[i] = _tanh(x[i])


def _make_nonzero_mask():  # type: ignore[no-untyped-def]
    """An intrinsic ``nonzero_mask64(row, start)``: bit ``q`` set where ``row[start + q] != 0`` (or NaN), q < 64.

    ``row`` is a C-contiguous 1-D float array with at least ``start + 64`` entries. One vector load of 64
    numbers, one unordered comparison with zero and the 64 result bits as one integer (on AVX-512: four
    compares into mask registers; elsewhere LLVM's lowering with packed compares and move-masks).
    """
    from llvmlite import ir
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def nonzero_mask64(typingctx, row, start):  # type: ignore[no-untyped-def]
        if not (
            isinstance(row, types.Array)
            and row.ndim == 1
            and row.layout == "C"
            and row.dtype in (types.float32, types.float64)
        ):
            return None
        sig = types.uint64(row, types.intp)

        def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
            rv, sv = args
            rty = signature.args[0]
            ft = context.get_value_type(rty.dtype)
            arr = cgutils.create_struct_proxy(rty)(context, builder, value=rv)
            vt = ir.VectorType(ft, 64)
            ptr = builder.bitcast(builder.gep(arr.data, [sv]), vt.as_pointer())
            v = builder.load(ptr, align=4 if rty.dtype == types.float32 else 8)
            zero = ir.Constant(vt, [ir.Constant(ft, 0.0)] * 64)
            return builder.bitcast(builder.fcmp_unordered("!=", v, zero), ir.IntType(64))

        return sig, codegen

    return nonzero_mask64


_NONZERO_MASK64 = _make_nonzero_mask()
_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)  # (2^q * _DEBRUIJN) >> 58 differs for q = 0 .. 63
_CTZ_TABLE = np.zeros(64, np.int64)  # trailing zeros of 2^q from that hash
for _q in range(64):
    _CTZ_TABLE[((1 << _q) * int(_DEBRUIJN) & 0xFFFFFFFFFFFFFFFF) >> 58] = _q


@njit(cache=True, error_model="numpy")
def spike_index(x, max_count):  # type: ignore[no-untyped-def]
    """The non-zero entries of ``x`` ``[B, T, n]`` (C-contiguous) grouped by time step, or ``None`` beyond ``max_count``.

    Returns ``(ptr, rows, cols, vals)``: the entries of step ``t`` are ``ptr[t]:ptr[t + 1]``, each with its
    batch row, input column and value (in the order of rows, then columns). NaN counts as non-zero (so the
    caller can check the values on the entries alone). One pass over ``x`` in time-major order: each row is
    read in blocks of 64 inputs, each block becomes a bit mask in one vector comparison
    (:func:`_make_nonzero_mask`; the last, partial block by a loop) whose set bits are then visited directly
    (lowest first, by a de Bruijn hash): no branch per input, one per non-zero entry.
    """
    batch, steps, n = x.shape
    ptr = np.zeros(steps + 1, np.int64)
    size = min(max(max_count, 0), x.size)
    rows = np.empty(size, np.int64)
    cols = np.empty(size, np.int64)
    vals = np.empty(size, x.dtype)
    k = 0
    one = np.uint64(1)
    shift = np.uint64(58)
    full = n - n % 64
    for t in range(steps):
        for b in range(batch):
            xt = x[b, t]
            if n <= 64:  # one block: a loop the compiler vectorises
                m = np.uint64(0)
                for q in range(n):
                    m |= np.uint64(xt[q] != 0) << np.uint64(q)  # (NaN != 0)
                while m != 0:
                    low = m & (~m + one)
                    q = _CTZ_TABLE[(low * _DEBRUIJN) >> shift]
                    if k >= max_count:
                        return None
                    rows[k] = b
                    cols[k] = q
                    vals[k] = xt[q]
                    k += 1
                    m ^= low
                continue
            for q0 in range(0, n, 64):
                if q0 < full:
                    m = _NONZERO_MASK64(xt, q0)
                else:  # the last, partial block
                    m = np.uint64(0)
                    for q in range(n - q0):
                        m |= np.uint64(xt[q0 + q] != 0) << np.uint64(q)
                while m != 0:
                    low = m & (~m + one)
                    q = q0 + _CTZ_TABLE[(low * _DEBRUIJN) >> shift]
                    if k >= max_count:
                        return None
                    rows[k] = b
                    cols[k] = q
                    vals[k] = xt[q]
                    k += 1
                    m ^= low
        ptr[t + 1] = k
    return ptr, rows[:k], cols[:k], vals[:k]


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
    state = np.zeros((batch, width), acts.dtype)  # P_t without the bias (sparse inputs)
    decay = ks[0]
    bias = w_in[n]
    for t in range(steps):
        if sparse:  # P_t = ks P_{t-1} (decayed in the previous step's pass) + x_t w_in[:n]
            for k in range(ptr[t], ptr[t + 1]):
                st = state[rows[k]]
                v = vals[k]
                wq = w_in[cols[k]]
                for j in range(width):
                    st[j] = st[j] + v * wq[j]
        a = acts[t]
        h = a if relu else hs[t]
        matmul(mem[t], w_mem, h)
        # h += pre_t (sparse: P_t + bias, and P_t decays for the next step in the same pass), a = act(h)
        if sparse and relu:
            for i in range(batch):
                st = state[i]
                ai = a[i]
                for j in range(width):
                    sj = st[j]
                    v = ai[j] + (sj + bias[j])
                    st[j] = sj * decay
                    ai[j] = v if v > 0 else 0.0
        elif sparse:
            for i in range(batch):
                st = state[i]
                hi = h[i]
                ai = a[i]
                for j in range(width):
                    sj = st[j]
                    v = hi[j] + (sj + bias[j])
                    st[j] = sj * decay
                    hi[j] = v
                    ai[j] = v / (math.exp(-v) + 1.0)  # silu; exp overflow -> inf -> the limit 0
        elif relu:
            p = pre[t]
            for i in range(batch):
                for j in range(width):
                    v = h[i, j] + p[i, j]
                    a[i, j] = v if v > 0 else 0.0
        else:
            p = pre[t]
            for i in range(batch):
                for j in range(width):
                    v = h[i, j] + p[i, j]
                    h[i, j] = v
                    a[i, j] = v / (math.exp(-v) + 1.0)
        matmul(a, w_out, o)
        th_t = th[t]
        m_old = mem[t]
        m_new = mem[t + 1]
        for i in range(batch):
            for j in range(d_m):
                th_t[i, j] = _tanh(o[i, j] + b2c[j])
                m_new[i, j] = m_old[i, j] * kap[j] + th_t[i, j] * g[j]


#: Largest ``m * k * n`` of one BLAS call in the kernels: OpenBLAS multiplies on one thread up to here
#: (above, on ``OPENBLAS_NUM_THREADS`` threads, which ``torch.set_num_threads`` does not bound).
_MAX_MNK = 262144


@njit(cache=True, error_model="numpy")
def readout(mem, w_y_t, b_y, out):  # type: ignore[no-untyped-def]
    """``out[:, t] = mem[t + 1] w_y_t + b_y`` for every step: ``out`` ``[B, T, n_out]``, ``mem`` time-major.

    With :data:`VECTOR_MATMUL` one product over all ``T x B`` rows, with ``w_y_t``'s columns padded with zeros
    to a whole number of vectors (:func:`matmul`'s tiles; the padding does not change the other columns);
    otherwise BLAS products over blocks of several steps (one thread each).
    """
    batch, steps, n_out = out.shape
    d_m = w_y_t.shape[0]
    lanes = 64 // out.itemsize
    if VECTOR_MATMUL:
        per = steps
        width = (n_out + lanes - 1) // lanes * lanes
        w = np.zeros((d_m, width), out.dtype)
        w[:, :n_out] = w_y_t
    else:
        per = min(max(1, _MAX_MNK // max(1, batch * d_m * n_out)), steps)  # steps per product
        width = n_out
        w = w_y_t
    flat = mem.reshape((steps + 1) * batch, d_m)
    tmp = np.empty((per * batch, width), out.dtype)
    for t0 in range(0, steps, per):
        cnt = min(per, steps - t0)
        blk = tmp[: cnt * batch]
        matmul(flat[(t0 + 1) * batch : (t0 + 1 + cnt) * batch], w, blk)
        for s in range(cnt):
            for i in range(batch):
                src = blk[s * batch + i]
                dst = out[i, t0 + s]
                for j in range(n_out):
                    dst[j] = src[j] + b_y[j]


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
    mem,
    d_wm,
    d_wout,
):
    """Back-propagation through the recurrence of :func:`forward_loop`, in place.

    ``eps[slot[t]]`` is the direct ``dL/dm_t`` at the steps with ``slot[t] >= 0``. Per step, backwards:
    ``e_all[t] = eps[slot[t]] + carry`` (the total ``dL/dm_t``), ``d_o[t] = e g (1 - th[t]^2)``,
    ``d_h[t] = (d_o[t] w_out_t) act'(h)`` and ``carry = d_h[t] w_mem_t + kap e``. ``act'`` is ``acts > 0`` for
    ReLU and the SiLU derivative of ``hs`` otherwise. The carry is written straight into ``e_all[t - 1]`` (and
    not computed out of step 0: the initial memory is fixed).

    With ``sparse`` (see :func:`forward_loop`) the gradient of ``w_in`` goes to ``d_in`` ``[n + 1, width]``
    (zeros on entry): ``d_in[:n] = sum_t c_t^T d_h[t] = sum_t x_t^T D_t`` with the reverse trace
    ``D_t = d_h[t] + ks D_{t+1}``, and ``d_in[n] = sum_t d_h[t]`` (the bias).

    With ``d_wm`` ``[d_m, width]`` and ``d_wout`` ``[width, d_m]`` non-empty (zeros on entry; with
    :data:`VECTOR_MATMUL`) the weight gradients ``sum_t mem[t]^T d_h[t]`` and ``sum_t acts[t]^T d_o[t]`` are
    accumulated step by step while the step's arrays are in cache; ``mem`` is the forward memory
    ``[T + 1, B, d_m]``.
    """
    steps, batch, d_m = th.shape
    width = d_h.shape[2]
    n = d_in.shape[0] - 1
    state = np.zeros((batch, width), th.dtype)  # D_t (sparse inputs)
    decay = ks[0]
    d_bias = d_in[n]
    if steps > 0:
        e_all[steps - 1] = 0.0  # no carry into the last step
    for t in range(steps - 1, -1, -1):
        e = e_all[t]  # the carry from step t + 1 (written there), plus the direct gradient here
        s = slot[t]
        if s >= 0:
            eps_t = eps[s]
            for i in range(batch):
                ei = e[i]
                epi = eps_t[i]
                for j in range(d_m):
                    ei[j] = epi[j] + ei[j]
        th_t = th[t]
        do = d_o[t]
        for i in range(batch):
            for j in range(d_m):
                f = 1.0 - th_t[i, j] * th_t[i, j]
                do[i, j] = e[i, j] * (f * g[j])
        dh = d_h[t]
        matmul(do, w_out_t, dh)
        if relu:
            a = acts[t]
            for i in range(batch):
                ai = a[i]
                dhi = dh[i]
                for j in range(width):
                    dhi[j] = dhi[j] if ai[j] > 0 else 0.0
        else:
            h = hs[t]
            for i in range(batch):
                for j in range(width):
                    v = h[i, j]
                    sig = 1.0 / (math.exp(-v) + 1.0)
                    dh[i, j] = dh[i, j] * (sig * (1.0 + v * (1.0 - sig)))
        if sparse:
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
        if d_wm.size > 0:
            matmul(mem[t].T, dh, d_wm, True)
            matmul(acts[t].T, do, d_wout, True)
        if t > 0:  # the carry into step t - 1: dL/dm_{t-1} through m_t
            nxt = e_all[t - 1]
            matmul(dh, w_mem_t, nxt)
            for i in range(batch):
                for j in range(d_m):
                    nxt[i, j] = nxt[i, j] + e[i, j] * kap[j]


@njit(cache=True, error_model="numpy")
def prepare(w1, b1, w2, b2, ws, syn_in, syn_k, syn_br, n_in, kap, gain, consts):  # type: ignore[no-untyped-def]
    """The folded weights of :class:`elm_neuron.fused.ELMCoreCPU` (one pass instead of a dozen numpy calls).

    ``w1`` ``[H, B + d_m]``, ``w2`` ``[d_m, H]``, ``consts = [2/3, 1.7159]`` in the dtype of the weights.
    Without synapse weights (``ws`` empty) the features are the branch input itself (``n = B``); with them
    the features are the ``n = n_in`` raw inputs and the valid synapses ``v`` (synapse ``syn_k[v]`` of branch
    ``syn_br[v]`` reading input ``syn_in[v]``) fold routing, synapse weights and branch sums into the input
    weights: ``Wc[:, q] = sum over the synapses v of input q of ws[syn_k[v]] W_b[:, syn_br[v]]``. Returns
    ``w_mem = diag(kap) W1m^T`` ``[d_m, H]`` and its transpose, ``w_in = [Wc^T ; b1]`` ``[n + 1, H]``,
    ``w_out = 2/3 W2^T`` ``[H, d_m]`` and its transpose, ``b2c = 2/3 b2`` and ``g = 1.7159 gain``.
    """
    hidden = w1.shape[0]
    d_m = kap.shape[0]
    n_b = w1.shape[1] - d_m
    c23 = consts[0]
    dt = w1.dtype
    fold = ws.shape[0] > 0
    n = n_in if fold else n_b
    w_mem = np.empty((d_m, hidden), dt)
    w_mem_t = np.empty((hidden, d_m), dt)
    w_in = np.zeros((n + 1, hidden), dt)
    w_out = np.empty((hidden, d_m), dt)
    w_out_t = np.empty((d_m, hidden), dt)
    for h in range(hidden):
        row = w1[h]
        if not fold:
            for q in range(n_b):
                w_in[q, h] = row[q]
        w_in[n, h] = b1[h]
        for j in range(d_m):
            v = row[n_b + j] * kap[j]
            w_mem[j, h] = v
            w_mem_t[h, j] = v
    if fold:
        w_b_t = np.empty((n_b, hidden), dt)  # W_b^T: rows of contiguous hidden weights
        for h in range(hidden):
            for j in range(n_b):
                w_b_t[j, h] = w1[h, j]
        for v in range(syn_in.shape[0]):
            dst = w_in[syn_in[v]]
            src = w_b_t[syn_br[v]]
            w = ws[syn_k[v]]
            for h in range(hidden):
                dst[h] += w * src[h]
    for j in range(d_m):
        for h in range(hidden):
            v = w2[j, h] * c23
            w_out[h, j] = v
            w_out_t[j, h] = v
    b2c = b2 * c23
    g = gain * consts[1]
    return w_mem, w_mem_t, w_in, w_out, w_out_t, b2c, g


@njit(cache=True, error_model="numpy")
def readout_backward(gy, gm, mem, w_y):  # type: ignore[no-untyped-def]
    """The readout's backward pass over the steps with a non-zero output or memory gradient.

    ``gy`` ``[B, T, n_out]`` and ``gm`` ``[B, T, d_m]`` are the gradients of the outputs and the memory
    (either may be empty: none), ``mem`` ``[T + 1, B, d_m]`` time-major, ``w_y`` ``[n_out, d_m]``. Returns
    ``slot`` ``[T]`` (``j`` at the ``j``-th step with a non-zero gradient, else -1), ``eps`` ``[k, B, d_m]``
    (the direct ``dL/dm`` at those steps: ``gy w_y + gm``), ``d_wy = sum gy^T m`` and ``d_by = sum gy``.
    """
    steps = mem.shape[0] - 1
    batch, d_m = mem.shape[1], mem.shape[2]
    n_out = w_y.shape[0]
    dt = mem.dtype
    has_y = gy.size > 0
    has_m = gm.size > 0
    slot = np.full(steps, -1, np.int64)
    cnt = np.zeros(steps, np.int64)  # non-zero entries per step (scanned in memory order)
    if has_y:
        for b in range(batch):
            for t in range(steps):
                gt = gy[b, t]
                for o in range(n_out):
                    cnt[t] += gt[o] != 0
    if has_m:
        for b in range(batch):
            for t in range(steps):
                gt = gm[b, t]
                for j in range(d_m):
                    cnt[t] += gt[j] != 0
    k = 0
    for t in range(steps):
        if cnt[t] > 0:
            slot[t] = k
            k += 1
    eps = np.zeros((k, batch, d_m), dt)
    d_wy = np.zeros((n_out, d_m), dt)
    d_by = np.zeros(n_out, dt)
    for t in range(steps):
        s = slot[t]
        if s < 0:
            continue
        ep = eps[s]
        m = mem[t + 1]
        if has_y:
            for b in range(batch):
                er = ep[b]
                mb = m[b]
                for o in range(n_out):
                    v = gy[b, t, o]
                    d_by[o] += v
                    wo = w_y[o]
                    dw = d_wy[o]
                    for j in range(d_m):
                        er[j] += v * wo[j]
                        dw[j] += v * mb[j]
        if has_m:
            for b in range(batch):
                er = ep[b]
                for j in range(d_m):
                    er[j] += gm[b, t, j]
    return slot, eps, d_wy, d_by


@njit(cache=True, error_model="numpy")
def finish(d_wm, d_wout, d_win, d_o, w1, ws, syn_in, syn_k, syn_br, kap, consts):  # type: ignore[no-untyped-def]
    """Parameter gradients from the gradients of the folded weights (see :func:`prepare`).

    ``d_wm`` ``[d_m, H]`` (of ``w_mem``), ``d_wout`` ``[H, d_m]`` (of ``w_out``), ``d_win`` ``[n + 1, H]``,
    ``d_o`` ``[rows, d_m]`` (the output bias's gradient is ``2/3`` its column sums). With synapse weights
    ``ws`` the input weights' gradient unfolds over the valid synapses: ``dW_b[:, syn_br[v]] += ws[syn_k[v]]
    dWc[:, syn_in[v]]`` and ``d ws[syn_k[v]] = dWc[:, syn_in[v]] . W_b[:, syn_br[v]]`` (zero for masked
    synapses). Returns the gradients of ``w1`` ``[H, B + d_m]``, ``b1``, ``w2`` ``[d_m, H]``, ``b2``, ``ws``
    (empty without synapse weights) and the weight part of ``d kappa`` (``sum_h d_wm W1m^T``).
    """
    d_m, hidden = d_wm.shape
    n_b = w1.shape[1] - d_m
    n = d_win.shape[0] - 1
    c23 = consts[0]
    dt = w1.dtype
    fold = ws.shape[0] > 0
    d_w1 = np.empty((hidden, n_b + d_m), dt)
    d_b1 = np.empty(hidden, dt)
    d_w2 = np.empty((d_m, hidden), dt)
    d_ws = np.zeros(ws.shape[0], dt)
    d_kap = np.zeros(d_m, dt)
    for h in range(hidden):
        row = w1[h]
        out = d_w1[h]
        if not fold:
            for q in range(n_b):
                out[q] = d_win[q, h]
        d_b1[h] = d_win[n, h]
        for j in range(d_m):
            v = d_wm[j, h]
            out[n_b + j] = v * kap[j]
            d_kap[j] += v * row[n_b + j]
    if fold:
        w_b_t = np.empty((n_b, hidden), dt)
        for h in range(hidden):
            for j in range(n_b):
                w_b_t[j, h] = w1[h, j]
        d_wb_t = np.zeros((n_b, hidden), dt)
        for v in range(syn_in.shape[0]):
            src = d_win[syn_in[v]]
            j = syn_br[v]
            dst = d_wb_t[j]
            wb = w_b_t[j]
            k = syn_k[v]
            w = ws[k]
            acc = d_ws[k]  # (zero: each synapse appears once)
            for h in range(hidden):
                dst[h] += w * src[h]
                acc += src[h] * wb[h]
            d_ws[k] = acc
        for h in range(hidden):
            for j in range(n_b):
                d_w1[h, j] = d_wb_t[j, h]
    for j in range(d_m):
        for h in range(hidden):
            d_w2[j, h] = c23 * d_wout[h, j]
    d_b2 = c23 * np.dot(np.ones(d_o.shape[0], dt), d_o)  # (a BLAS call; a loop here is slower)
    return d_w1, d_b1, d_w2, d_b2, d_ws, d_kap
