"""The Diehl & Cook network as a bank of independent modules, simulated together in vectorised torch.

One module is 784 Poisson inputs -> ``n_e`` excitatory conductance LIF neurons with adaptive thresholds ->
``n_e`` inhibitory neurons (E -> I one-to-one, I -> E all-but-self), STDP on the input weights and weight
normalisation before every training example (Diehl & Cook 2015, as used by Hussaini et al. 2023).

Several modules (one per region in the modular network) share the time loop: the state carries a leading
module axis, and every step is a handful of batched tensor operations.

Input -> excitatory synapses carry random delays (uniform in [0, 10] ms per synapse, seeded, quantised to the
time step), as in the VPRSNN Brian2 code; a delayed input spike reaches each synapse (conductance and the STDP
pre-synaptic pathway) at its own arrival step.

Units: milliseconds and millivolts inside the simulator; responses leave it as spike counts per presentation.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from tqdm.auto import tqdm

from snn_vpr import _rng

__all__ = [
    "ENGINES",
    "DiehlCookParams",
    "ModuleBank",
    "as_rates",
    "delayed_arrivals",
    "exp_query",
    "network_size",
    "resolve_engine",
    "stdp_step",
]

#: inference engines: "reference" (spike-level torch simulation), "fast" (compiled, numba), "auto" (fast when
#: numba is installed and the bank is on the CPU, else reference)
ENGINES = ("auto", "fast", "reference")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiehlCookParams:
    """Constants of the network (ms, mV); defaults are the reference's.

    Attributes
    ----------
    dt : float
        Time step (ms). The reference runs Brian2 at its default 0.1 ms; 0.5 ms is the fast default here
        (``dt=0.1`` for fidelity checks). Conductances and traces decay exactly, and the membrane uses
        exponential Euler, so the step is stable at 0.5 ms.
    t_present, t_rest : float
        Presentation (350 ms) and rest (150 ms) per image. The rest is applied in closed form (no input, no
        spikes: every variable decays).
    intensity : float
        Input rate = pixel / intensity (Hz).
    tau_e, tau_i : float
        Membrane time constants (100, 10 ms).
    v_rest_e, v_reset_e, v_thresh_e : float
        -65, -65, -52 mV. The threshold is ``v_thresh_e + theta - theta_offset`` with ``theta_offset`` 20 mV.
    v_rest_i, v_reset_i, v_thresh_i : float
        -60, -45, -40 mV.
    e_exc, e_inh_e, e_inh_i : float
        Reversal potentials: 0 mV; -100 mV (onto E), -85 mV (onto I).
    refrac_e, refrac_i : float
        Refractory periods (5, 2 ms).
    timer_rate : float
        The reference's E threshold also needs ``timer > refrac_e`` with ``dtimer/dt = 0.1``: a neuron may fire
        again only ``refrac_e / timer_rate`` = 50 ms after its last spike.
    tau_ge, tau_gi : float
        Synaptic conductance decay (1, 0.5 ms).
    w_ei, w_ie : float
        E -> I (one-to-one) 10.4 and I -> E (all-but-self) 17.
    theta_plus, tau_theta, theta_init : float
        Adaptive threshold increment 0.05 mV, decay 1e7 ms, initial 20 mV.
    tau_pre, tau_post1, tau_post2 : float
        STDP traces (20, 20, 40 ms).
    nu_pre, nu_post : float
        STDP rates: on a pre-synaptic arrival ``w += nu_pre * post1``; on a post spike
        ``w += nu_post * pre * post2_before``. ``nu_pre`` carries its sign: the VPRSNN code adds
        ``+1e-4 * post1`` (the default here); Diehl & Cook (2015) subtract it (``nu_pre=-1e-4``).
    delay_max : float
        Input -> excitatory delays are drawn per synapse from ``U(0, delay_max)`` ms (reference: 10 ms) and
        rounded to whole steps; 0 disables delays (every input spike arrives in the step it is emitted).
    w_max, w_init : float
        Weights clipped to [0, w_max]; initial ``U(0.01, 1.01) * w_init``.
    weight_sum : float
        Each excitatory neuron's incoming weights are scaled to this sum before every training example (78).
    min_spikes, max_retries : int
        If a presentation draws fewer than ``min_spikes`` excitatory spikes, present it again with the input
        rate multiplied by ``1 + retry`` (up to ``max_retries`` times). The reference disables retries (0).
    """

    dt: float = 0.5
    t_present: float = 350.0
    t_rest: float = 150.0
    intensity: float = 4.0
    tau_e: float = 100.0
    tau_i: float = 10.0
    v_rest_e: float = -65.0
    v_reset_e: float = -65.0
    v_thresh_e: float = -52.0
    theta_offset: float = 20.0
    v_rest_i: float = -60.0
    v_reset_i: float = -45.0
    v_thresh_i: float = -40.0
    e_exc: float = 0.0
    e_inh_e: float = -100.0
    e_inh_i: float = -85.0
    refrac_e: float = 5.0
    refrac_i: float = 2.0
    timer_rate: float = 0.1
    tau_ge: float = 1.0
    tau_gi: float = 0.5
    w_ei: float = 10.4
    w_ie: float = 17.0
    theta_plus: float = 0.05
    tau_theta: float = 1e7
    theta_init: float = 20.0
    tau_pre: float = 20.0
    tau_post1: float = 20.0
    tau_post2: float = 40.0
    nu_pre: float = 1e-4
    nu_post: float = 1e-2
    delay_max: float = 10.0
    w_max: float = 1.0
    w_init: float = 0.3
    weight_sum: float = 78.0
    min_spikes: int = 5
    max_retries: int = 0

    def __post_init__(self) -> None:
        for name in (
            "dt",
            "t_present",
            "tau_e",
            "tau_i",
            "tau_ge",
            "tau_gi",
            "tau_theta",
            "tau_pre",
            "tau_post1",
            "tau_post2",
            "intensity",
            "w_max",
            "weight_sum",
            "timer_rate",
        ):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive finite number, got {v!r}")
        if self.t_rest < 0:
            raise ValueError(f"t_rest must be >= 0, got {self.t_rest!r}")
        if not (math.isfinite(self.delay_max) and self.delay_max >= 0):
            raise ValueError(f"delay_max must be a finite number >= 0, got {self.delay_max!r}")
        if not (math.isfinite(self.nu_pre) and math.isfinite(self.nu_post) and self.nu_post >= 0):
            raise ValueError(
                f"nu_pre must be finite and nu_post finite and >= 0, got {self.nu_pre}, {self.nu_post}"
            )
        if self.dt > self.t_present:
            raise ValueError(f"dt must be <= t_present, got dt={self.dt}, t_present={self.t_present}")
        if self.max_retries < 0 or self.min_spikes < 0:
            raise ValueError("max_retries and min_spikes must be >= 0")

    @property
    def n_steps(self) -> int:
        """Time steps per presentation."""
        return max(1, round(self.t_present / self.dt))

    @property
    def delay_steps_max(self) -> int:
        """Longest input delay in steps (0: no delays)."""
        return round(self.delay_max / self.dt)

    def quick(self, t_present: float = 100.0) -> DiehlCookParams:
        """The same constants with a shorter presentation (the spec's quick setting)."""
        return replace(self, t_present=t_present)


def network_size(n_in: int = 784, n_e: int = 400) -> tuple[int, int]:
    """Neurons and synapses of one module: ``(n_in + 2 n_e, n_in n_e + n_e + n_e (n_e - 1))``.

    >>> network_size(784, 400)
    (1584, 473600)
    """
    for name, v in (("n_in", n_in), ("n_e", n_e)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return n_in + 2 * n_e, n_in * n_e + n_e + n_e * (n_e - 1)


@contextlib.contextmanager
def _threads(device: torch.device, n: int | None) -> Iterator[None]:
    """Run torch CPU ops with ``n`` intra-op threads, then restore the previous setting.

    The time loop is a long chain of small tensor operations: on a shared CPU, extra threads spin and wait more
    than they compute (measured: a 2-thread run under load was ~10x slower than a 1-thread run).
    """
    if n is None or device.type != "cpu":
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


#: float32 constants of :func:`exp_query` (shared with the fast engine, which evaluates the same operations)
EXP_LO = -87.0  # below: exp(EXP_LO) = 1.6e-38, the smallest normal float32 region
EXP_INV_LN2 = 1.4426950408889634
EXP_LN2_HI = 0.693359375  # 355 / 512: n * EXP_LN2_HI is exact in float32 for |n| < 2**15
EXP_LN2_LO = -2.12194440e-4  # ln 2 - EXP_LN2_HI
#: Taylor coefficients 1 / k!, k = 7 .. 0 (|r| <= ln(2) / 2: truncation below 5e-9, a tenth of a float32 ulp)
EXP_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(7, -1, -1))
#: bits of k and the factor 2**-bit they contribute to 2**-k (k <= 126; the compiled engine's exact 2**n)
EXP_POW2 = tuple((1 << b, 2.0 ** -(1 << b)) for b in range(7))


def exp_query(x: torch.Tensor) -> torch.Tensor:
    """``exp(x)`` for float32 ``x <= 0`` as both query engines evaluate it, operation by operation in float32.

    Cody-Waite reduction ``x = n ln2 + r`` (|r| <= ln2 / 2), a degree-7 Taylor polynomial for ``exp(r)``
    (Horner, one rounding per operation), times ``2**n`` (exact); ``x`` below -87 is clamped (the result is then
    below 1.7e-38). Within 2 ulp of the exact value. The compiled engine performs the same float32 operations in
    the same order (building ``2**n`` by exact multiplications instead of from its bits), so both engines get
    identical membrane factors.
    """
    x = torch.clamp(x, min=EXP_LO)
    n = torch.floor(x * EXP_INV_LN2 + 0.5)
    r = (x - n * EXP_LN2_HI).sub_(n * EXP_LN2_LO)
    p = (r * EXP_TAYLOR[0]).add_(EXP_TAYLOR[1])
    for c in EXP_TAYLOR[2:]:
        p.mul_(r).add_(c)
    # 2**n for n in [-126, 0] from its float32 bits: biased exponent 127 + n, zero mantissa
    two_n = ((n.to(torch.int32) + 127) << 23).view(torch.float32)
    return p.mul_(two_n)


def _flush(x: torch.Tensor) -> torch.Tensor:
    return x.masked_fill_(x.abs() < 1e-20, 0.0)


def _decay(dt: float, tau: float) -> float:
    return math.exp(-dt / tau)


def _mean_factor(dt: float, tau: float) -> float:
    """Mean of ``exp(-t / tau)`` over one step: the conductance an exactly decaying pulse applies on average."""
    return tau / dt * (1.0 - math.exp(-dt / tau))


def stdp_step(
    w: torch.Tensor,
    x: torch.Tensor,
    post: torch.Tensor,
    traces: dict[str, torch.Tensor],
    params: DiehlCookParams,
    learn_mask: torch.Tensor | None = None,
) -> None:
    """One step of the Diehl & Cook STDP rule on ``w`` [M, n_in, n_e], in place (traces already decayed).

    Without input delays. On a pre spike (``x`` [M, 1, n_in]): ``pre = 1`` and ``w += nu_pre * post1``
    (``nu_pre`` signed, see :class:`DiehlCookParams`). On a post spike (``post``
    [M, 1, n_e]): ``w += nu_post * pre * post2_before``, then ``post1 = post2 = 1``. Weights are clipped to
    ``[0, w_max]``. ``traces`` holds ``pre`` [M, 1, n_in], ``post1`` and ``post2`` [M, 1, n_e].
    """
    traces["pre"] = torch.where(x > 0, torch.ones_like(x), traces["pre"])
    mask = None if learn_mask is None else learn_mask.reshape(-1).to(w.dtype)
    # only the rows of inputs that spiked and the columns of neurons that spiked change: index them, so a
    # step costs O(spikes x neurons) instead of touching the whole [M, n_in, n_e] weight tensor
    pm, _, pi = torch.nonzero(x > 0, as_tuple=True)
    if pm.numel():
        dec = params.nu_pre * traces["post1"][pm, 0, :]  # [k, n_e]
        if mask is not None:
            dec = dec * mask[pm, None]
        w[pm, pi] = (w[pm, pi] + dec).clamp(0.0, params.w_max)
    qm, _, qj = torch.nonzero(post > 0, as_tuple=True)
    if qm.numel():
        inc = params.nu_post * traces["pre"][qm, 0, :] * traces["post2"][qm, 0, qj][:, None]  # [k, n_in]
        if mask is not None:
            inc = inc * mask[qm, None]
        w[qm, :, qj] = (w[qm, :, qj] + inc).clamp(0.0, params.w_max)
        traces["post1"] = torch.where(post > 0, torch.ones_like(post), traces["post1"])
        traces["post2"] = torch.where(post > 0, torch.ones_like(post), traces["post2"])


def delayed_arrivals(
    hist: torch.Tensor, slot: int, delay_steps: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Synapses whose delayed input spike arrives now: ``(module, batch, input, neuron)`` index tensors.

    ``hist`` [D, M, B, n_in] (bool) holds the input spikes of the last ``D`` steps in a ring (the current step
    in ``slot``); a spike emitted ``d`` steps ago reaches synapse ``(i, j)`` now when ``delay_steps[m, i, j]``
    [M, n_in, n_e] equals ``d``. Each synapse has one delay, so a synapse appears at most once per batch row.
    """
    n_slots = hist.shape[0]
    ks, km, kb, ki = torch.nonzero(hist, as_tuple=True)
    age = (slot - ks) % n_slots  # steps since emission
    hit = delay_steps[km, ki] == age[:, None]  # [K, n_e]
    k, j = torch.nonzero(hit, as_tuple=True)
    return km[k], kb[k], ki[k], j


class ModuleBank:
    """``n_modules`` independent Diehl & Cook modules sharing one simulation loop.

    State: input weights ``w`` [M, n_in, n_e], adaptive thresholds ``theta`` [M, n_e] (mV) and, when
    ``params.delay_max > 0``, the fixed input delays ``delay_steps`` [M, n_in, n_e] (in steps of ``dt``).

    Parameters
    ----------
    n_modules, n_in, n_e : int
        Number of modules, inputs and excitatory (= inhibitory) neurons per module.
    params : DiehlCookParams
    seed : int
        Seeds the initial weights, the input delays and every Poisson draw.
    device : str or torch.device
    threads : int or None
        CPU intra-op threads while simulating (default 1: the loop is latency-bound); None leaves torch's setting.
    """

    def __init__(
        self,
        n_modules: int,
        n_in: int,
        n_e: int,
        params: DiehlCookParams | None = None,
        seed: int = 0,
        device: str | torch.device = "cpu",
        threads: int | None = 1,
    ) -> None:
        self.threads = threads
        for name, v in (("n_modules", n_modules), ("n_in", n_in), ("n_e", n_e)):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if n_e < 2:
            raise ValueError(f"n_e must be >= 2 (lateral inhibition needs two neurons), got {n_e}")
        self.params = params if params is not None else DiehlCookParams()
        self.n_modules, self.n_in, self.n_e = int(n_modules), int(n_in), int(n_e)
        self.device = torch.device(device)
        self.gen = torch.Generator(device=self.device)
        self.gen.manual_seed(int(seed))
        p = self.params
        w = torch.rand(self.n_modules, self.n_in, self.n_e, generator=self.gen, device=self.device)
        self.w = (w + 0.01) * p.w_init
        self.theta = torch.full((self.n_modules, self.n_e), p.theta_init, device=self.device)
        self.n_slots = p.delay_steps_max + 1
        self.delays = self.n_slots > 1
        if self.delays:
            u = torch.rand(self.n_modules, self.n_in, self.n_e, generator=self.gen, device=self.device)
            self.delay_steps = torch.round(u * p.delay_max / p.dt).clamp_(0, self.n_slots - 1).to(torch.int16)
            self._index_delays()
        else:
            self.delay_steps = torch.zeros(self.n_modules, self.n_in, self.n_e, dtype=torch.int16)

    def adapt_theta(self, rates: torch.Tensor) -> None:
        """Start ``theta`` at the value where the mean input drive just reaches threshold (a warm start).

        With weights normalised to ``weight_sum`` the mean input conductance is
        ``g = tau_ge * 1e-3 * mean(sum(rates)) * weight_sum / n_in``; its steady membrane potential is
        ``v_inf = (v_rest + g E_exc) / (1 + g)``, and ``theta = v_inf - v_thresh + theta_offset`` puts the
        threshold there. Long training (60 epochs in the paper) drives theta to such a value through
        ``theta_plus``; this shortcut lets short runs start from it. ``rates`` [M, N, n_in] (Hz).
        """
        p = self.params
        total = rates.to(self.device, dtype=self.w.dtype).sum(dim=2).mean(dim=1)  # [M]
        g = p.tau_ge * 1e-3 * total * p.weight_sum / self.n_in
        v_inf = (p.v_rest_e + g * p.e_exc) / (1.0 + g)
        theta = (v_inf - p.v_thresh_e + p.theta_offset).clamp_min(0.0)
        self.theta = theta[:, None].expand(-1, self.n_e).clone()

    # ------------------------------------------------------------------ helpers
    def _index_delays(self) -> None:
        """Bucket every input's synapses by delay (CSR): the neurons reached ``d`` steps after input ``i`` of
        module ``m`` fires are ``_order[m, i, _start[m, i, d] : _start[m, i, d + 1]]``."""
        d = self.delay_steps.long()
        self._order = torch.argsort(d, dim=2, stable=True)
        counts = torch.zeros(self.n_modules, self.n_in, self.n_slots, dtype=torch.long, device=self.device)
        counts.scatter_add_(2, d, torch.ones_like(d))
        self._start = torch.cat([torch.zeros_like(counts[:, :, :1]), counts.cumsum(dim=2)], dim=2)
        # flat views for cheap 1-D gathers
        self._start_flat = self._start.reshape(-1)
        self._order_flat = self._order.reshape(-1)

    def _arrivals(
        self, s: dict[str, Any], x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Record this step's input spikes ``x`` [M, 1, n_in] and return the synapses ``(m, i, j)`` that receive
        a spike now (the same set as :func:`delayed_arrivals`, from the delay buckets instead of a full scan)."""
        n_slots = self.n_slots
        slot = s["step"] % n_slots
        em, _, ei = torch.nonzero(x > 0, as_tuple=True)
        s["events"][slot] = (em, ei)
        parts = [(k, e) for k, e in enumerate(s["events"]) if e[0].numel()]
        if not parts:
            z = torch.zeros(0, dtype=torch.long, device=self.device)
            return z, z, z
        km = torch.cat([e[0] for _, e in parts])
        ki = torch.cat([e[1] for _, e in parts])
        ages = torch.tensor(
            [(slot - k) % n_slots for k, _ in parts], device=self.device
        )  # steps since emission
        age = torch.repeat_interleave(
            ages, torch.tensor([e[0].numel() for _, e in parts], device=self.device)
        )
        row = km * self.n_in + ki
        base = row * (n_slots + 1) + age
        st = self._start_flat[base]
        length = self._start_flat[base + 1] - st
        rep_ = torch.repeat_interleave(torch.arange(km.numel(), device=self.device), length)
        first = torch.cumsum(length, 0) - length
        pos = st[rep_] + torch.arange(rep_.numel(), device=self.device) - first[rep_]
        r = row[rep_]
        return km[rep_], ki[rep_], self._order_flat[r * self.n_e + pos]

    def normalise_weights(self) -> None:
        """Scale each excitatory neuron's incoming weights to sum ``weight_sum`` (before every example)."""
        s = self.w.sum(dim=1, keepdim=True).clamp_min(1e-12)
        self.w.mul_(self.params.weight_sum / s)

    def _fresh_state(self, b: int, learn: bool = False) -> dict[str, Any]:
        p, m, dev = self.params, self.n_modules, self.device
        z_e = torch.zeros(m, b, self.n_e, device=dev)
        extra: dict[str, Any] = {"step": 0, "t_ms": 0.0}
        if self.delays or not learn:
            extra["gbuf"] = torch.zeros(self.n_slots, m, b, self.n_e, device=dev)
            if learn:
                # input spikes of the last n_slots steps, per slot: (module, input) index tensors
                empty = torch.zeros(0, dtype=torch.long, device=dev)
                extra["events"] = [(empty, empty)] * self.n_slots
                # per-synapse pre trace, stored as the time (ms) of the last arrival
                extra["last_arr"] = torch.full((m, self.n_in, self.n_e), -math.inf, device=dev)
        return extra | {
            "v_e": torch.full_like(z_e, p.v_rest_e),
            "v_i": torch.full_like(z_e, p.v_rest_i),
            "ge_e": z_e.clone(),
            "gi_e": z_e.clone(),
            "ge_i": z_e.clone(),
            # time since the last spike (ms); large = long ago
            "ts_e": torch.full_like(z_e, 1e9),
            "ts_i": torch.full_like(z_e, 1e9),
            "pre": torch.zeros(m, b, self.n_in, device=dev),
            "post1": z_e.clone(),
            "post2": z_e.clone(),
        }

    def _rest(self, s: dict[str, Any], learn: bool) -> None:
        """The rest period: delayed input spikes still in flight are delivered (simulated, no new input), then
        closed-form decay for the remainder (no input, so no spikes)."""
        p = self.params
        t = p.t_rest
        if t <= 0:
            return
        if self.delays:
            n_fly = min(self.n_slots - 1, max(0, round(t / p.dt)))
            if n_fly:
                zero = torch.zeros(self.n_modules, s["v_e"].shape[1], self.n_in, device=self.device)
                self._present(s, zero, learn, n_steps=n_fly)
                t = t - n_fly * p.dt
            if "events" in s:
                empty = torch.zeros(0, dtype=torch.long, device=self.device)
                s["events"] = [(empty, empty)] * self.n_slots
            s["gbuf"].zero_()
            if t <= 0:
                return
        # conductances vanish within a few ms, so the membranes relax to rest with their own time constants
        s["v_e"] = p.v_rest_e + (s["v_e"] - p.v_rest_e) * _decay(t, p.tau_e)
        s["v_i"] = p.v_rest_i + (s["v_i"] - p.v_rest_i) * _decay(t, p.tau_i)
        for g, tau in (("ge_e", p.tau_ge), ("gi_e", p.tau_gi), ("ge_i", p.tau_ge)):
            s[g] = s[g] * _decay(t, tau)
        s["ts_e"] = s["ts_e"] + t
        s["ts_i"] = s["ts_i"] + t
        s["t_ms"] = s["t_ms"] + t
        s["pre"] = s["pre"] * _decay(t, p.tau_pre)
        s["post1"] = s["post1"] * _decay(t, p.tau_post1)
        s["post2"] = s["post2"] * _decay(t, p.tau_post2)
        if learn:
            self.theta.mul_(_decay(t, p.tau_theta))

    def _present(
        self,
        s: dict[str, Any],
        rates: torch.Tensor,
        learn: bool,
        learn_mask: torch.Tensor | None = None,
        record: list[tuple[int, torch.Tensor]] | None = None,
        n_steps: int | None = None,
        inputs: tuple[NDArray[np.int64], torch.Tensor] | None = None,
        query_exp: bool = False,
    ) -> torch.Tensor:
        """Present input ``rates`` [M, B, n_in] (Hz) for ``t_present``; returns E spike counts [M, B, n_e].

        With ``learn`` (B must be 1) STDP changes ``w`` and spikes raise ``theta``; ``learn_mask`` [M] selects
        which modules learn (the others still run).

        ``inputs`` replaces the Poisson draws from the bank's generator by given input spikes:
        ``(start, flat)`` where the spikes of step ``k`` are ``flat[start[k]:start[k + 1]]``, flat indices into
        [M, B, n_in] (see :mod:`snn_vpr._rng`). ``query_exp`` computes the membrane factors
        ``exp(-dt g / tau)`` with :func:`exp_query` (the query engines; training uses ``torch.exp``).
        """
        p = self.params
        dt = p.dt
        n_steps = p.n_steps if n_steps is None else n_steps
        delays = self.delays
        if delays and learn and rates.shape[1] != 1:
            raise ValueError("training presents one image at a time (batch size 1)")
        prob = (rates * (dt * 1e-3)).clamp(max=1.0)
        de, di = dt / p.tau_e, dt / p.tau_i
        k_ge, k_gi = _decay(dt, p.tau_ge), _decay(dt, p.tau_gi)
        f_ge, f_gi = _mean_factor(dt, p.tau_ge), _mean_factor(dt, p.tau_gi)
        k_pre, k_p1, k_p2 = _decay(dt, p.tau_pre), _decay(dt, p.tau_post1), _decay(dt, p.tau_post2)
        k_theta = _decay(dt, p.tau_theta)
        refrac_timer = p.refrac_e / p.timer_rate
        counts = torch.zeros_like(s["v_e"])
        theta = self.theta[:, None, :]
        lm = None if learn_mask is None else learn_mask.to(self.w.dtype)[:, None, None]
        w = self.w
        xbuf = torch.zeros(prob.shape, device=self.device) if inputs is not None else None

        _exp = exp_query if query_exp else torch.exp

        for step in range(n_steps):
            if inputs is None:
                x = (torch.rand(prob.shape, generator=self.gen, device=self.device) < prob).to(w.dtype)
            else:
                assert xbuf is not None
                x = xbuf.zero_()
                lo, hi = int(inputs[0][step]), int(inputs[0][step + 1])
                if hi > lo:
                    x.view(-1)[inputs[1][lo:hi]] = 1.0
            # --- membranes: exponential Euler with the step-averaged conductances (exact for constant g)
            ge, gi = s["ge_e"] * f_ge, s["gi_e"] * f_gi
            g_tot = 1.0 + ge + gi
            v_inf = (p.v_rest_e + ge * p.e_exc + gi * p.e_inh_e) / g_tot
            v_new = v_inf + (s["v_e"] - v_inf) * _exp(-de * g_tot)
            s["v_e"] = torch.where(s["ts_e"] >= p.refrac_e, v_new, s["v_e"])
            gei = s["ge_i"] * f_ge
            g_tot_i = 1.0 + gei
            v_inf_i = (p.v_rest_i + gei * p.e_exc) / g_tot_i
            v_new_i = v_inf_i + (s["v_i"] - v_inf_i) * _exp(-di * g_tot_i)
            s["v_i"] = torch.where(s["ts_i"] >= p.refrac_i, v_new_i, s["v_i"])
            # decayed conductances are flushed below 1e-20: subnormal floats make CPU arithmetic crawl
            s["ge_e"] = _flush(s["ge_e"] * k_ge)
            s["gi_e"] = _flush(s["gi_e"] * k_gi)
            s["ge_i"] = _flush(s["ge_i"] * k_ge)
            s["ts_e"] = s["ts_e"] + dt
            s["ts_i"] = s["ts_i"] + dt
            # --- thresholds and resets
            spk_e = (s["v_e"] > theta - p.theta_offset + p.v_thresh_e) & (s["ts_e"] > refrac_timer)
            spk_i = s["v_i"] > p.v_thresh_i
            fe, fi = spk_e.to(w.dtype), spk_i.to(w.dtype)
            s["v_e"] = torch.where(spk_e, torch.full_like(s["v_e"], p.v_reset_e), s["v_e"])
            s["ts_e"] = torch.where(spk_e, torch.zeros_like(s["ts_e"]), s["ts_e"])
            s["v_i"] = torch.where(spk_i, torch.full_like(s["v_i"], p.v_reset_i), s["v_i"])
            s["ts_i"] = torch.where(spk_i, torch.zeros_like(s["ts_i"]), s["ts_i"])
            counts += fe
            if record is not None and bool(spk_e.any()):
                record.append((step, spk_e.nonzero()))
            # --- synaptic transmission (spikes of this step act from the next one on); test mode sums each
            # step's arrivals in a fixed order (the scheduled buffer), training without delays uses a matmul
            if not delays and learn:
                s["ge_e"] = s["ge_e"] + torch.bmm(x, w)
            elif learn:
                am, ai, aj = self._arrivals(s, x)
                flat = (am * self.n_in + ai) * self.n_e + aj
                wv = w.view(-1)[flat]
                s["ge_e"].view(-1).index_add_(0, am * self.n_e + aj, wv)  # batch size 1
            else:
                self._schedule(s, x)
            s["ge_i"] = s["ge_i"] + p.w_ei * fe
            s["gi_e"] = s["gi_e"] + p.w_ie * (fi.sum(dim=2, keepdim=True) - fi)
            if learn:
                self.theta.mul_(k_theta)
                theta_inc = p.theta_plus * fe[:, 0, :]
                if lm is not None:
                    theta_inc = theta_inc * lm[:, 0, :]
                self.theta.add_(theta_inc)
                theta = self.theta[:, None, :]
                s["post1"] = _flush(s["post1"] * k_p1)
                s["post2"] = _flush(s["post2"] * k_p2)
                if delays:
                    self._stdp_delayed(s, am, ai, aj, flat, wv, fe, lm)
                else:
                    s["pre"] = _flush(s["pre"] * k_pre)
                    stdp_step(w, x, fe, s, p, lm)
            s["step"] += 1
            s["t_ms"] += dt
        return counts

    def _schedule(self, s: dict[str, Any], x: torch.Tensor) -> None:
        """Test mode with delays: add each input spike's weights to the conductance buffer at its arrival step,
        then deliver this step's slot (the weights are fixed, so scheduling at emission is exact)."""
        slot = s["step"] % self.n_slots
        gbuf = s["gbuf"]
        m_, b_ = x.shape[0], x.shape[1]
        em, eb, ei = torch.nonzero(x > 0, as_tuple=True)
        if em.numel():
            when = (slot + self.delay_steps[em, ei].long()) % self.n_slots  # [K, n_e]
            j = torch.arange(self.n_e, device=self.device)
            idx = ((when * m_ + em[:, None]) * b_ + eb[:, None]) * self.n_e + j
            gbuf.view(-1).index_add_(0, idx.reshape(-1), self.w[em, ei].reshape(-1))
        s["ge_e"] = s["ge_e"] + gbuf[slot]
        gbuf[slot].zero_()

    def _stdp_delayed(
        self,
        s: dict[str, Any],
        am: torch.Tensor,
        ai: torch.Tensor,
        aj: torch.Tensor,
        flat: torch.Tensor,
        wv: torch.Tensor,
        post: torch.Tensor,
        lm: torch.Tensor | None,
    ) -> None:
        """STDP with per-synapse arrivals ``(am, ai, aj)`` (flat indices ``flat``, weights before ``wv``).

        Pre pathway at each arrival: ``pre = 1`` (the arrival time is stored) and ``w += nu_pre * post1``.
        Post pathway at each E spike: ``w += nu_post * pre * post2_before`` with the per-synapse
        ``pre = exp(-(t - t_arrival) / tau_pre)``; then ``post1 = post2 = 1``. Weights clipped to [0, w_max].
        """
        p, w = self.params, self.w
        t_now = float(s["t_ms"])
        if flat.numel():
            s["last_arr"].view(-1)[flat] = t_now
            dw = p.nu_pre * s["post1"][am, 0, aj]
            if lm is not None:
                dw = dw * lm[am, 0, 0]
            w.view(-1)[flat] = (wv + dw).clamp(0.0, p.w_max)
        qm, _, qj = torch.nonzero(post > 0, as_tuple=True)
        if qm.numel():
            pre = torch.exp((s["last_arr"][qm, :, qj] - t_now) / p.tau_pre)  # [k, n_in]
            inc = p.nu_post * pre * s["post2"][qm, 0, qj][:, None]
            if lm is not None:
                inc = inc * lm[qm, 0, 0][:, None]
            w[qm, :, qj] = (w[qm, :, qj] + inc).clamp(0.0, p.w_max)
            s["post1"] = torch.where(post > 0, torch.ones_like(post), s["post1"])
            s["post2"] = torch.where(post > 0, torch.ones_like(post), s["post2"])

    # ------------------------------------------------------------------ public
    def train(self, rates: torch.Tensor, progress: bool = False) -> None:
        """Train every module on its own sequence: ``rates`` [M, N, n_in] (Hz), presented in order.

        Before each presentation the input weights are normalised; after it comes the closed-form rest.
        """
        if rates.ndim != 3 or rates.shape[0] != self.n_modules or rates.shape[2] != self.n_in:
            raise ValueError(
                f"rates must be [n_modules={self.n_modules}, N, n_in={self.n_in}], got {tuple(rates.shape)}"
            )
        rates = rates.to(self.device, dtype=self.w.dtype)
        s = self._fresh_state(1, learn=True)
        p = self.params
        with torch.no_grad(), _threads(self.device, getattr(self, "threads", 1)):
            for j in tqdm(range(rates.shape[1]), desc="train", disable=not progress, leave=False):
                self.normalise_weights()
                r = rates[:, j : j + 1, :]
                counts = self._present(s, r, learn=True)
                retry = 0
                while retry < p.max_retries:
                    need = counts.sum(dim=(1, 2)) < p.min_spikes
                    if not bool(need.any()):
                        break
                    retry += 1
                    self._rest(s, learn=True)
                    counts = self._present(s, r * (1 + retry), learn=True, learn_mask=need)
                self._rest(s, learn=True)

    def query_seed(self) -> int:
        """Draw the seed of one query call from the bank's generator (so successive calls see new input)."""
        return int(torch.randint(0, _rng.SEED_MAX, (1,), generator=self.gen, device=self.device).item())

    def respond(
        self,
        rates: torch.Tensor,
        batch_size: int = 256,
        progress: bool = False,
        engine: str = "auto",
        seed: int | None = None,
    ) -> torch.Tensor:
        """Spike counts [M, Q, n_e] of every module to every input in ``rates`` [Q, n_in] or [M, Q, n_in].

        Test mode: theta frozen, no plasticity; each input starts from rest. The Poisson input of image ``q``,
        module ``m`` comes from a counter-based stream keyed by ``(seed, m, q)`` (:mod:`snn_vpr._rng`), so the
        two engines, and any batch size, give the same spike counts for the same ``seed``.

        Parameters
        ----------
        rates : Tensor
            Input rates (Hz), [Q, n_in] (every module sees the same images) or [M, Q, n_in].
        batch_size : int
            Images simulated together by the reference engine.
        engine : {"auto", "fast", "reference"}
            "reference": the spike-level torch simulation (any device); "fast": the compiled event-driven
            engine (CPU, needs numba); "auto": fast when numba is installed and the bank is on the CPU.
        seed : int, optional
            Seed of the input spikes; by default drawn from the bank's generator (:meth:`query_seed`).
        """
        if rates.ndim == 2:
            rates = rates[None].expand(self.n_modules, -1, -1)
        if rates.ndim != 3 or rates.shape[0] != self.n_modules or rates.shape[2] != self.n_in:
            raise ValueError(f"rates must be [Q, n_in={self.n_in}] or [M, Q, n_in], got {tuple(rates.shape)}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        eng = resolve_engine(engine, self.device)
        if seed is None:
            seed = self.query_seed()
        elif isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**64:
            raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
        rates = rates.to(self.device, dtype=self.w.dtype)
        q = rates.shape[1]
        if eng == "fast":
            from snn_vpr import _fast

            r_np = rates.detach().cpu().numpy()
            chunk = max(1, min(q, 64)) if progress else q
            parts = []
            for a in tqdm(range(0, q, chunk), desc="respond", disable=not progress, leave=False):
                c, _ = _fast.respond(self, np.ascontiguousarray(r_np[:, a : a + chunk]), int(seed), a)
                parts.append(c)
            return torch.from_numpy(np.concatenate(parts, axis=1).astype(np.float32)).to(self.device)
        out = []
        p = self.params
        # input spikes are held per batch (about 9k per module and image at 350 ms): bound the batch
        bs = max(1, min(int(batch_size), 512 // self.n_modules))
        with torch.no_grad(), _threads(self.device, getattr(self, "threads", 1)):
            for a in tqdm(range(0, q, bs), desc="respond", disable=not progress, leave=False):
                r = rates[:, a : a + bs]
                counts = self._present_query(r, int(seed), a, 0)
                retry = 0
                while retry < p.max_retries:
                    need = counts.sum(dim=2, keepdim=True) < p.min_spikes
                    if not bool(need.any()):
                        break
                    retry += 1
                    c2 = self._present_query(r, int(seed), a, retry)
                    counts = torch.where(need, c2, counts)
                out.append(counts)
        return torch.cat(out, dim=1)

    def query_inputs(
        self, rates: torch.Tensor, seed: int, image_offset: int = 0, retry: int = 0
    ) -> tuple[NDArray[np.int64], torch.Tensor]:
        """Input spikes of a query batch ``rates`` [M, B, n_in] for :meth:`_present`: ``(start, flat)``."""
        p = self.params
        prob = _rng.spike_probability(rates.detach().cpu().numpy(), p.dt, retry)
        steps, stream = _rng.poisson_streams(int(seed), prob, p.n_steps, image_offset, retry)
        start = np.searchsorted(steps, np.arange(p.n_steps + 1), side="left")
        return start, torch.from_numpy(stream).to(self.device)

    def _present_query(self, r: torch.Tensor, seed: int, image_offset: int, retry: int) -> torch.Tensor:
        inputs = self.query_inputs(r, seed, image_offset, retry)
        return self._present(self._fresh_state(r.shape[1]), r, learn=False, inputs=inputs, query_exp=True)

    def respond_trains(
        self, rates: torch.Tensor, module: int = 0, seed: int | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Spike times (ms from presentation start) and neuron indices of one module for one input [n_in].

        The reference engine with the query input of image 0 of ``seed`` (drawn from the bank's generator by
        default): the trains' counts equal ``respond(rates[None], seed=seed)[module, 0]``. Retries are not
        applied here.
        """
        if rates.ndim != 1 or rates.shape[0] != self.n_in:
            raise ValueError(f"rates must be [n_in={self.n_in}], got {tuple(rates.shape)}")
        r = rates.to(self.device, dtype=self.w.dtype)[None, None].expand(self.n_modules, 1, -1)
        seed = self.query_seed() if seed is None else int(seed)
        rec: list[tuple[int, torch.Tensor]] = []
        with torch.no_grad():
            inputs = self.query_inputs(r, seed)
            self._present(self._fresh_state(1), r, learn=False, record=rec, inputs=inputs, query_exp=True)
        times: list[float] = []
        units: list[int] = []
        for step, idx in rec:
            for mi, _, ni in idx.tolist():
                if mi == module:
                    times.append(step * self.params.dt)
                    units.append(ni)
        return np.asarray(times, dtype=np.float64), np.asarray(units, dtype=np.int64)

    def with_dt(self, dt: float) -> ModuleBank:
        """A copy of this bank simulated at time step ``dt`` (ms): same weights, thresholds and delays in ms.

        ``dt`` must divide the current step (e.g. 0.5 -> 0.1), so every delay stays a whole number of steps.
        The copy's generator starts from this bank's state.
        """
        p = self.params
        ratio = p.dt / dt if dt > 0 else math.nan
        if not (math.isfinite(ratio) and ratio >= 1 and abs(ratio - round(ratio)) < 1e-9):
            raise ValueError(f"dt must divide the bank's step {p.dt} ms (e.g. {p.dt / 5:g}), got {dt!r}")
        k = round(ratio)
        new = ModuleBank.__new__(ModuleBank)
        new.__dict__.update(self.__dict__)
        new.params = replace(p, dt=float(dt))
        new.w = self.w.clone()
        new.theta = self.theta.clone()
        new.n_slots = new.params.delay_steps_max + 1
        new.delays = new.n_slots > 1
        new.delay_steps = (self.delay_steps.long() * k).to(torch.int16)
        if int(new.delay_steps.max()) >= new.n_slots:
            raise ValueError("delays do not fit the new step (delay_max / dt)")
        new.gen = torch.Generator(device=self.device)
        new.gen.set_state(self.gen.get_state())
        if new.delays:
            new._index_delays()
        return new

    def state_dict(self) -> dict[str, Any]:
        """Learned state as numpy arrays."""
        return {"w": self.w.cpu().numpy(), "theta": self.theta.cpu().numpy()}


def resolve_engine(engine: str, device: torch.device | str = "cpu") -> str:
    """The engine that ``engine`` ("auto", "fast" or "reference") means on ``device``."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    from snn_vpr import _fast

    dev = torch.device(device)
    if engine == "auto":
        return "fast" if _fast.available() and dev.type == "cpu" else "reference"
    if engine == "fast":
        if dev.type != "cpu":
            raise ValueError(
                f"engine='fast' runs on the CPU; this network is on {dev} (use engine='reference')"
            )
        if not _fast.available():
            raise ImportError(
                "engine='fast' needs numba: pip install 'snn-vpr[fast]' (or use engine='reference')"
            )
    return engine


def as_rates(x: ArrayLike, intensity: float, name: str = "X") -> torch.Tensor:
    """Flatten processed images [N, H, W] (pixels 0..255) to input rates [N, H*W] in Hz."""
    arr = np.asarray(x)
    if arr.ndim != 3:
        raise ValueError(f"{name} must be a stack of processed images [N, H, W], got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one image")
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    f = arr.astype(np.float64)
    if not np.all(np.isfinite(f)) or f.min() < 0 or f.max() > 255:
        raise ValueError(f"{name} must hold pixel values in [0, 255] (use preprocess.process_images)")
    return torch.from_numpy((f.reshape(arr.shape[0], -1) / intensity).astype(np.float32))
