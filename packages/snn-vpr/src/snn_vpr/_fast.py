"""The fast inference engine: a compiled (numba) event-driven simulation of the trained modules at query time.

At query time the weights, delays and thresholds are static, so each (module, image) pair is an independent
simulation. This engine runs them one after the other in compiled code, with the same float32 arithmetic, in
the same order, as the spike-level reference engine (:meth:`snn_vpr.network.ModuleBank.respond` with
``engine="reference"``):

- the Poisson input comes from the same counter-based streams (:mod:`snn_vpr._rng`), generated here;
- each input spike adds its synapses' weights to a per-step conductance buffer at its arrival step (the
  reference's scheduled ring buffer), in the same order (by emission step, then input index), so every buffer
  sum is the same float32 number;
- membranes, conductances, resets, the firing timer and the E -> I -> E inhibition follow the reference step
  op by op in float32, including the membrane factors ``exp(-dt g / tau)``, which both engines evaluate with the
  same float32 operations (:func:`snn_vpr.network.exp_query`) instead of library exps that differ in the last
  bit. The spike counts are therefore identical, not merely close.

The cost is the synaptic events (input spikes x fan-out: about 9 million per query image for ten modules of
100 neurons at 350 ms), which the reference spends in tensor indexing and this engine in a scalar loop; the
neuron updates run on whole SIMD vectors. numba is an optional dependency (``pip install snn-vpr[fast]``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from snn_vpr._rng import GOLDEN, M1, M2
from snn_vpr.network import EXP_INV_LN2, EXP_LN2_HI, EXP_LN2_LO, EXP_LO, EXP_POW2, EXP_TAYLOR

if TYPE_CHECKING:  # pragma: no cover
    from snn_vpr.network import ModuleBank

__all__ = ["available", "exp32", "poisson_events_fast", "respond"]

try:  # pragma: no cover - exercised when numba is installed
    import numba
    from numba import njit
except ImportError:  # pragma: no cover - the core install has no numba
    numba = None


def available() -> bool:
    """Whether numba is installed (the fast engine needs it)."""
    return numba is not None


def _require() -> None:
    if numba is None:
        raise ImportError(
            "the fast inference engine needs numba: pip install 'snn-vpr[fast]' (or use engine='reference')"
        )


# indices into the float32 constant vector passed to the kernel
_C_NAMES = (
    "f_ge",
    "f_gi",
    "one",
    "v_rest_e",
    "e_exc",
    "e_inh_e",
    "neg_de",
    "refrac_e",
    "v_rest_i",
    "neg_di",
    "refrac_i",
    "k_ge",
    "k_gi",
    "flush",
    "dt",
    "refrac_timer",
    "v_thresh_i",
    "v_reset_e",
    "v_reset_i",
    "w_ei",
    "w_ie",
    "zero",
    "dt_s",
    "big",
)


def _constants(bank: ModuleBank) -> NDArray[np.float32]:
    from snn_vpr.network import _decay, _mean_factor

    p = bank.params
    dt = p.dt
    values = {
        "f_ge": _mean_factor(dt, p.tau_ge),
        "f_gi": _mean_factor(dt, p.tau_gi),
        "one": 1.0,
        "v_rest_e": p.v_rest_e,
        "e_exc": p.e_exc,
        "e_inh_e": p.e_inh_e,
        "neg_de": -(dt / p.tau_e),
        "refrac_e": p.refrac_e,
        "v_rest_i": p.v_rest_i,
        "neg_di": -(dt / p.tau_i),
        "refrac_i": p.refrac_i,
        "k_ge": _decay(dt, p.tau_ge),
        "k_gi": _decay(dt, p.tau_gi),
        "flush": 1e-20,
        "dt": dt,
        "refrac_timer": p.refrac_e / p.timer_rate,
        "v_thresh_i": p.v_thresh_i,
        "v_reset_e": p.v_reset_e,
        "v_reset_i": p.v_reset_i,
        "w_ei": p.w_ei,
        "w_ie": p.w_ie,
        "zero": 0.0,
        "dt_s": dt * 1e-3,
        "big": 1e9,
    }
    return np.array([values[k] for k in _C_NAMES], dtype=np.float32)


if numba is not None:
    _G = np.uint64(GOLDEN)
    _M1 = np.uint64(M1)
    _M2 = np.uint64(M2)
    _S30 = np.uint64(30)
    _S27 = np.uint64(27)
    _S31 = np.uint64(31)
    _S11 = np.uint64(11)

    @njit(inline="always", cache=True, error_model="numpy")
    def _fin(z: Any) -> Any:
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
        return z ^ (z >> _S31)

    @njit(inline="always", cache=True, error_model="numpy")
    def _mix(x: Any) -> Any:
        return _fin(x + _G)

    _F = np.float32
    _E_LO = _F(EXP_LO)
    _E_INV_LN2 = _F(EXP_INV_LN2)
    _E_HALF = _F(0.5)
    _E_HI = _F(EXP_LN2_HI)
    _E_LO2 = _F(EXP_LN2_LO)
    _E_ONE = _F(1.0)
    _C7, _C6, _C5, _C4, _C3, _C2, _C1, _C0 = (_F(c) for c in EXP_TAYLOR)
    _P1, _P2, _P4, _P8, _P16, _P32, _P64 = (_F(f) for _, f in EXP_POW2)

    @njit(inline="always", cache=True, error_model="numpy")
    def _exp32(x: Any) -> Any:
        """:func:`snn_vpr.network.exp_query`: the same float32 operations in the same order (vectorises)."""
        x = x if x > _E_LO else _E_LO
        n = np.floor(x * _E_INV_LN2 + _E_HALF)
        r = (x - n * _E_HI) - n * _E_LO2
        p = r * _C7 + _C6
        p = p * r + _C5
        p = p * r + _C4
        p = p * r + _C3
        p = p * r + _C2
        p = p * r + _C1
        p = p * r + _C0
        k = np.int32(-n)
        s = _E_ONE
        s = s * (_P1 if k & 1 else _E_ONE)
        s = s * (_P2 if k & 2 else _E_ONE)
        s = s * (_P4 if k & 4 else _E_ONE)
        s = s * (_P8 if k & 8 else _E_ONE)
        s = s * (_P16 if k & 16 else _E_ONE)
        s = s * (_P32 if k & 32 else _E_ONE)
        s = s * (_P64 if k & 64 else _E_ONE)
        return p * s

    @njit(cache=True, error_model="numpy")
    def _exp32_array(x: Any) -> Any:  # pragma: no cover - compiled
        out = np.empty_like(x)
        for k in range(x.shape[0]):
            out[k] = _exp32(x[k])
        return out

    @njit(cache=True, nogil=True, error_model="numpy")
    def _events(lam: Any, h0: Any, n_steps: int, ev_t: Any, ev_i: Any) -> int:  # pragma: no cover - compiled
        """Spike steps of every input of one (module, image) stream family, input-major; returns the count."""
        scale = 1.0 / 9007199254740992.0
        ne = 0
        for i in range(lam.shape[0]):
            lm = lam[i]
            if not lm < 0.0:
                continue
            h = _mix(h0 + np.uint64(i))
            t = -1.0
            k = np.uint64(0)
            while True:
                k += np.uint64(1)
                z = _fin(h + k * _G)
                u = (np.float64(z >> _S11) + 1.0) * scale
                t = t + 1.0 + np.floor(math.log(u) / lm)
                if t >= n_steps:
                    break
                ev_t[ne] = np.int32(t)
                ev_i[ne] = i
                ne += 1
        return ne

    @njit(cache=True, nogil=True, error_model="numpy")
    def _kernel(  # pragma: no cover - compiled
        w: Any,
        off: Any,
        thr: Any,
        rates: Any,
        seed: Any,
        image_offset: int,
        n_steps: int,
        n_slots: int,
        c: Any,
        max_retries: int,
        min_spikes: int,
        out: Any,
        n_events: Any,
    ) -> None:
        n_mod, n_img, n_in = rates.shape
        n = out.shape[2]  # neurons
        npad = thr.shape[
            1
        ]  # state vectors padded to a multiple of 16 (whole SIMD vectors; padding never fires)
        f_ge, f_gi, one, v_rest_e, e_exc, e_inh_e = c[0], c[1], c[2], c[3], c[4], c[5]
        neg_de, refrac_e, v_rest_i, neg_di, refrac_i = c[6], c[7], c[8], c[9], c[10]
        k_ge, k_gi, flush, dt, refrac_timer = c[11], c[12], c[13], c[14], c[15]
        v_thresh_i, v_reset_e, v_reset_i, w_ei, w_ie, zero, dt_s, big = (
            c[16],
            c[17],
            c[18],
            c[19],
            c[20],
            c[21],
            c[22],
            c[23],
        )
        cap = n_in * n_steps
        ev_t = np.empty(cap, np.int32)
        ev_i = np.empty(cap, np.int32)
        order = np.empty(cap, np.int32)
        start = np.zeros(n_steps + 1, np.int64)
        buf = np.zeros((n_steps + n_slots) * npad, np.float32)
        lam = np.empty(n_in, np.float64)
        v_e = np.empty(npad, np.float32)
        v_i = np.empty(npad, np.float32)
        ge_e = np.empty(npad, np.float32)
        gi_e = np.empty(npad, np.float32)
        ge_i = np.empty(npad, np.float32)
        ts_e = np.empty(npad, np.float32)
        ts_i = np.empty(npad, np.float32)
        fe = np.empty(npad, np.float32)
        fi = np.empty(npad, np.float32)
        cnt = np.empty(npad, np.int32)
        s0 = _mix(np.uint64(seed))
        for m in range(n_mod):
            thr_m = thr[m]
            for b in range(n_img):
                retry = 0
                while True:
                    # --- input events of this (module, image, retry), bucketed by step (stable: input order)
                    sr = _mix(s0 + np.uint64(retry))
                    hm = _mix(sr + np.uint64(m))
                    hb = _mix(hm + np.uint64(image_offset + b))
                    mult = np.float32(1 + retry)
                    for i in range(n_in):
                        r = rates[m, b, i]
                        if retry > 0:
                            r = r * mult
                        pr = r * dt_s
                        pr = pr if pr < one else one
                        lam[i] = math.log1p(-np.float64(pr))
                    ne = _events(lam, hb, n_steps, ev_t, ev_i)
                    n_events[0] += ne
                    start[:] = 0
                    for e in range(ne):
                        start[ev_t[e] + 1] += 1
                    for s in range(n_steps):
                        start[s + 1] += start[s]
                    for e in range(ne):
                        pos = start[ev_t[e]]
                        order[pos] = ev_i[e]
                        start[ev_t[e]] = pos + 1
                    for s in range(n_steps, 0, -1):
                        start[s] = start[s - 1]
                    start[0] = 0
                    # --- fresh state (every query starts from rest)
                    for j in range(npad):
                        v_e[j] = v_rest_e
                        v_i[j] = v_rest_i
                        ge_e[j] = zero
                        gi_e[j] = zero
                        ge_i[j] = zero
                        ts_e[j] = big
                        ts_i[j] = big
                        cnt[j] = 0
                    for s in range(n_steps):
                        # membranes (exponential Euler, step-averaged conductances), decay, timers, thresholds
                        nsp = 0
                        for j in range(npad):
                            ge = ge_e[j] * f_ge
                            gi = gi_e[j] * f_gi
                            gt = (ge + one) + gi
                            vinf = ((v_rest_e + ge * e_exc) + gi * e_inh_e) / gt
                            a = _exp32(gt * neg_de)
                            vn = vinf + (v_e[j] - vinf) * a
                            ve = vn if ts_e[j] >= refrac_e else v_e[j]
                            gei = ge_i[j] * f_ge
                            gti = gei + one
                            vinfi = (v_rest_i + gei * e_exc) / gti
                            ai = _exp32(gti * neg_di)
                            vni = vinfi + (v_i[j] - vinfi) * ai
                            vi = vni if ts_i[j] >= refrac_i else v_i[j]
                            x = ge_e[j] * k_ge
                            ge_e[j] = x if abs(x) >= flush else zero
                            x = gi_e[j] * k_gi
                            gi_e[j] = x if abs(x) >= flush else zero
                            x = ge_i[j] * k_ge
                            ge_i[j] = x if abs(x) >= flush else zero
                            te = ts_e[j] + dt
                            ti = ts_i[j] + dt
                            se = (ve > thr_m[j]) & (te > refrac_timer)
                            si = vi > v_thresh_i
                            v_e[j] = v_reset_e if se else ve
                            ts_e[j] = zero if se else te
                            v_i[j] = v_reset_i if si else vi
                            ts_i[j] = zero if si else ti
                            fe[j] = one if se else zero
                            fi[j] = one if si else zero
                            cnt[j] += 1 if se else 0
                            nsp += 1 if si else 0
                        # input spikes of this step: each synapse's weight lands in the buffer at its arrival step
                        # (unsigned flat indices: no negative-index wrap-around in the innermost loop)
                        base = np.uint64(s * npad)
                        for e in range(start[s], start[s + 1]):
                            row = np.uint64((m * n_in + order[e]) * n)
                            for j in range(n):
                                k = row + np.uint64(j)
                                buf[base + np.uint64(off[k])] += w[k]
                        fn = np.float32(nsp)
                        for j in range(npad):
                            kb = base + np.uint64(j)
                            ge_e[j] = ge_e[j] + buf[kb]
                            buf[kb] = zero
                            ge_i[j] = ge_i[j] + w_ei * fe[j]
                            gi_e[j] = gi_e[j] + w_ie * (fn - fi[j])
                    for kk in range(n_steps * npad, (n_steps + n_slots) * npad):
                        buf[kk] = zero
                    total = 0
                    for j in range(n):
                        total += cnt[j]
                    for j in range(n):  # a retry replaces the counts, as in the reference
                        out[m, b, j] = cnt[j]
                    if total >= min_spikes or retry >= max_retries:
                        break
                    retry += 1


def exp32(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """The fast engine's membrane-factor exp (for tests): :func:`snn_vpr.network.exp_query` in compiled code."""
    _require()
    return np.asarray(_exp32_array(np.ascontiguousarray(x, dtype=np.float32)))


def poisson_events_fast(
    seed: int,
    prob_rates: NDArray[np.float32],
    dt: float,
    n_steps: int,
    image: int,
    module: int,
    retry: int = 0,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The fast engine's input spikes ``(steps, inputs)`` of one (module, image) stream family (for tests)."""
    _require()
    r = np.asarray(prob_rates, dtype=np.float32)
    pr = (r * np.float32(1 + retry)) if retry else r
    pr = np.minimum(pr * np.float32(dt * 1e-3), np.float32(1.0))
    with np.errstate(divide="ignore"):
        lam = np.log1p(-pr.astype(np.float64))
    from snn_vpr import _rng

    u64 = np.uint64
    hb = _rng._mix(
        _rng._mix(_rng._mix(_rng._mix(np.array([seed], u64)) + u64(retry)) + u64(module)) + u64(image)
    )
    ev_t = np.empty(r.size * n_steps, np.int32)
    ev_i = np.empty(r.size * n_steps, np.int32)
    ne = _events(lam, u64(hb[0]), n_steps, ev_t, ev_i)
    t, i = ev_t[:ne].astype(np.int64), ev_i[:ne].astype(np.int64)
    order = np.lexsort((i, t))
    return t[order], i[order]


def _prepared(bank: ModuleBank) -> tuple[Any, ...]:
    """Kernel inputs derived from the bank's weights, delays and thresholds, cached until any of them changes."""
    tensors = (bank.w, bank.delay_steps, bank.theta)
    versions = tuple(t._version for t in tensors)  # bumped by every in-place change
    cached = getattr(bank, "_fast_cache", None)
    if (
        cached is not None
        and all(
            a is b for a, b in zip(cached[0], tensors, strict=True)
        )  # the cache holds them: ids stay unique
        and cached[1] == versions
        and cached[2] == bank.params
    ):
        return cached[3]  # type: ignore[no-any-return]
    p = bank.params
    w = bank.w.detach().cpu().numpy().astype(np.float32, copy=False)
    d = bank.delay_steps.detach().cpu().numpy().astype(np.int64)
    n = bank.n_e
    npad = -(-n // 16) * 16
    off = d * npad + np.arange(n, dtype=np.int64)[None, None, :]  # buffer offset of each synapse's arrival
    # sort each input's synapses by buffer offset (row-major writes); every synapse still adds to its own target
    perm = np.argsort(off, axis=2, kind="stable")
    off_dtype = np.uint16 if int(off.max()) < 2**16 else np.uint32
    off_s = np.ascontiguousarray(np.take_along_axis(off, perm, axis=2).ravel(), dtype=off_dtype)
    w_s = np.ascontiguousarray(np.take_along_axis(w, perm, axis=2).ravel(), dtype=np.float32)
    thr = np.full((bank.n_modules, npad), np.inf, dtype=np.float32)
    thr[:, :n] = ((bank.theta - p.theta_offset) + p.v_thresh_e).detach().cpu().numpy().astype(np.float32)
    prepared = (w_s, off_s, np.ascontiguousarray(thr), _constants(bank))
    bank._fast_cache = (tensors, versions, bank.params, prepared)  # type: ignore[attr-defined]
    return prepared


def respond(
    bank: ModuleBank, rates: NDArray[np.float32], seed: int, image_offset: int = 0
) -> tuple[NDArray[np.int32], int]:
    """Spike counts [M, B, n_e] of every module to ``rates`` [M, B, n_in] (Hz, float32); also the input spikes drawn.

    Test mode (theta frozen, no plasticity), every image from rest, retries as in the reference.
    """
    _require()
    p = bank.params
    w_s, off_s, thr, consts = _prepared(bank)
    r = np.ascontiguousarray(rates, dtype=np.float32)
    out = np.zeros((*r.shape[:2], bank.n_e), dtype=np.int32)
    n_events = np.zeros(1, dtype=np.int64)
    _kernel(
        w_s,
        off_s,
        thr,
        r,
        np.uint64(seed),
        int(image_offset),
        int(p.n_steps),
        int(bank.n_slots),
        consts,
        int(p.max_retries),
        int(p.min_spikes),
        out,
        n_events,
    )
    return out, int(n_events[0])
