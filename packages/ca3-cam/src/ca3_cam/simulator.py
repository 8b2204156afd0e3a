"""An exact 1-ms numpy simulator of a :class:`~ca3_cam.model.Network` with SpiNNaker's semantics.

Time is discrete (``dt = 1`` ms). In every step ``t``:

1. the synaptic input scheduled for ``t`` (weights of spikes emitted at ``t - delay``), capped per synapse type
   at the range of sPyNNaker's 16-bit ring buffer (:func:`ring_buffer_range`), is added to the exponential
   synaptic currents scaled by the step average of the kernel, ``alpha = (tau_syn / dt)(1 - exp(-dt / tau_syn))``;
2. non-refractory neurons integrate ``tau_m dV/dt = v_rest - V + R (I_E - I_I + i_offset)`` exactly over the
   step for that (piecewise-constant) current, ``V <- V_inf + (V - V_inf) exp(-dt / tau_m)`` with
   ``V_inf = v_rest + R I`` and ``R = tau_m / cm``; ``V >= v_thresh`` fires, resets to ``v_reset`` and holds
   the neuron for ``round(tau_refrac / dt)`` steps; the currents then decay by ``exp(-dt / tau_syn)``;
3. spikes emitted at ``t`` (neurons and spike sources) are delivered to ``t + delay``; a plastic synapse is
   updated when its presynaptic spike is processed (deferred, event-driven STDP, :func:`stdp_update`) and
   delivers the updated weight.

These are the semantics of sPyNNaker's ``IF_curr_exp`` and ``STDPMechanism`` on a 1-ms time step, the platform
the paper's recordings come from; with them the simulator reproduces every recorded spike of the three
experiments. A fully exact solution of the ODE with exponential currents would differ: with ``tau_syn`` =
0.3 ms the net 5 nA that opens ContCond during forgetting reaches only 2.67 mV of the 3 mV needed at the
grid point (:func:`step_response_mv`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ca3_cam.model import Network, NeuronParams, Projection, STDPParams

__all__ = ["MAX_POST_EVENTS", "NumpySimulator", "ring_buffer_range", "stdp_update", "step_response_mv"]

#: Post-synaptic spike history kept per neuron (as sPyNNaker: a time-0 placeholder plus 15 events).
MAX_POST_EVENTS = 16


def step_response_mv(weight_na: float, neuron: NeuronParams, *, scheme: str = "spinnaker") -> float:
    """Depolarisation (mV) one 1-ms step after a weight ``weight_na`` arrives at a neuron at rest.

    Parameters
    ----------
    weight_na : float
        Net synaptic weight in nA.
    neuron : NeuronParams
    scheme : {"spinnaker", "exact"}
        ``"spinnaker"``: the step-averaged current held constant over the step (this simulator);
        ``"exact"``: the exact solution of the linear ODE with an exponentially decaying current.

    Returns
    -------
    float
        The membrane potential above rest (mV) at the end of the step.

    Raises
    ------
    TypeError, ValueError
        If ``weight_na`` is not finite, ``neuron`` not a NeuronParams or ``scheme`` unknown.

    Examples
    --------
    >>> round(step_response_mv(6.0, NeuronParams()), 2)  # one 6 nA synapse: above the 3 mV to threshold
    5.47
    """
    from neurotypes.validation import check_float

    weight_na = check_float("weight_na", weight_na)
    if not isinstance(neuron, NeuronParams):
        raise TypeError(f"neuron must be a NeuronParams, got {type(neuron).__name__}")
    dt = 1.0
    tm, ts, cm = neuron.tau_m, neuron.tau_syn_E, neuron.cm
    if scheme == "spinnaker":
        alpha = ts / dt * (1.0 - math.exp(-dt / ts))
        return (tm / cm) * weight_na * alpha * (1.0 - math.exp(-dt / tm))
    if scheme == "exact":
        return weight_na / cm * (ts * tm / (tm - ts)) * (math.exp(-dt / tm) - math.exp(-dt / ts))
    raise ValueError(f"scheme must be 'spinnaker' or 'exact', got {scheme!r}")


def ring_buffer_range(max_weight: float) -> float:
    """Largest summed input (nA) one synapse type of a population can receive in one step.

    sPyNNaker accumulates the input of each time step in a 16-bit ring buffer whose fixed-point scale is set
    by the largest incoming weight: the range is the smallest power of two above ``max_weight`` (one power
    more when ``max_weight`` is itself a power of two); larger sums saturate. For the CA3 memory this caps
    CueContRecall's excitation at 8 nA, which is why two stored bits together with the 6 nA cue inhibition
    do not fire a cue neuron in the recordings.

    Parameters
    ----------
    max_weight : float
        The largest weight (nA) onto the population's synapse type; finite.

    Returns
    -------
    float
        The saturation level (nA); 0 for no positive weight.

    Raises
    ------
    TypeError, ValueError
        If ``max_weight`` is not a finite number.

    Examples
    --------
    >>> ring_buffer_range(6.0), ring_buffer_range(4.0)
    (8.0, 8.0)
    """
    from neurotypes.validation import check_float

    max_weight = check_float("max_weight", max_weight)
    if max_weight <= 0:
        return 0.0
    power = max(0, math.ceil(math.log2(max_weight)))
    if 2.0**power <= max_weight:
        power += 1
    return float(2.0**power)


@dataclass
class _PostHistory:
    """Per-neuron post-synaptic event buffers (time, trace), index 0 a placeholder at time 0."""

    times: NDArray[np.int64]
    traces: NDArray[np.float64]
    count: NDArray[np.int64]  # number of real events stored (0..MAX_POST_EVENTS-1)

    @classmethod
    def empty(cls, n: int, size: int = MAX_POST_EVENTS) -> _PostHistory:
        return cls(np.zeros((n, size), np.int64), np.zeros((n, size)), np.zeros(n, np.int64))

    def add(self, neurons: NDArray[np.int64], t: int, tau_minus: float, nearest: bool = False) -> None:
        for j in neurons:
            k = self.count[j]
            last_t, last_tr = self.times[j, k], self.traces[j, k]
            tr = 1.0 if nearest else last_tr * math.exp(-(t - last_t) / tau_minus) + 1.0
            if k < self.times.shape[1] - 1:
                self.count[j] = k + 1
                self.times[j, k + 1], self.traces[j, k + 1] = t, tr
            else:  # shuffle down, keeping the placeholder at index 0
                self.times[j, 1:-1] = self.times[j, 2:]
                self.traces[j, 1:-1] = self.traces[j, 2:]
                self.times[j, -1], self.traces[j, -1] = t, tr


@dataclass
class _Plastic:
    proj: Projection
    weights: NDArray[np.float64]  # [n_pre, n_post]
    last_pre_time: NDArray[np.int64]
    last_pre_trace: NDArray[np.float64]


def stdp_update(
    w: NDArray[np.float64],
    t: int,
    last_t: int,
    last_tr: float,
    hist: _PostHistory,
    delay_bp: int,
    stdp: STDPParams,
) -> NDArray[np.float64]:
    """New weights of one presynaptic neuron's synapses when its spike at ``t`` (ms) is processed.

    Pair-based STDP evaluated lazily, as sPyNNaker does. With ``d`` the back-propagation delay, every
    postsynaptic spike with ``last_t - d < t_post <= t - d`` potentiates by
    ``A+ r(last_t) exp(-(t_post + d - last_t) / tau+)`` (``r`` the presynaptic trace at the previous
    presynaptic spike ``last_t``), then the present spike depresses by
    ``A- o(t_last) exp(-(t - t_last - d) / tau-)`` for the last postsynaptic spike ``t_last <= t - d``
    (``o`` its postsynaptic trace). Pairs with negative lag, and with zero lag unless ``stdp.zero_lag``,
    do nothing. AdditiveWeightDependence: the weight is clipped to ``[w_min, w_max]`` after each pairing
    (``stdp.clip_each``) or once after their sum.

    Parameters
    ----------
    w : ndarray, shape (n_post,)
        Current weights of the synapses from this presynaptic neuron.
    t, last_t : int
        This and the previous presynaptic spike times (ms; ``last_t = 0`` and ``last_tr = 0`` before any).
    last_tr : float
        Presynaptic trace just after the previous spike.
    hist : _PostHistory
        The postsynaptic neurons' spike histories (a time-0 placeholder and up to 15 spikes each).
    delay_bp : int
        Back-propagation (dendritic) delay in ms.
    stdp : STDPParams

    Returns
    -------
    ndarray, shape (n_post,)
        The new weights (nA).
    """
    begin = last_t - delay_bp if last_t >= delay_bp else 0
    end = t - delay_bp if t >= delay_bp else 0
    idx = np.arange(hist.times.shape[1])[None, :]
    real = (idx >= 1) & (idx <= hist.count[:, None])
    times, traces = hist.times, hist.traces
    in_window = real & (times > begin) & (times <= end)
    lag_plus = times + delay_bp - last_t
    pot_terms = np.where(
        in_window & ((lag_plus >= 0) if stdp.zero_lag else (lag_plus > 0)),
        last_tr * np.exp(-np.maximum(lag_plus, 0) / stdp.tau_plus),
        0.0,
    )
    pot = pot_terms.sum(axis=1)
    upto_end = real & (times <= end)
    has_prev = upto_end.any(axis=1)
    last_idx = np.where(upto_end, idx, 0).max(axis=1)
    rows = np.arange(times.shape[0])
    prev_t = times[rows, last_idx]
    prev_tr = traces[rows, last_idx]
    lag_minus = t - (prev_t + delay_bp)
    dep = np.where(
        has_prev & ((lag_minus >= 0) if stdp.zero_lag else (lag_minus > 0)),
        prev_tr * np.exp(-np.maximum(lag_minus, 0) / stdp.tau_minus),
        0.0,
    )
    if stdp.clip_each:
        out = w.copy()
        for k in range(1, hist.times.shape[1]):
            out = np.clip(out + stdp.step_plus * pot_terms[:, k], stdp.w_min, stdp.w_max)
        new = np.clip(out - stdp.step_minus * dep, stdp.w_min, stdp.w_max)
    else:
        new = np.clip(w + stdp.step_plus * pot - stdp.step_minus * dep, stdp.w_min, stdp.w_max)
    return np.asarray(new, dtype=np.float64)


class NumpySimulator:
    """Step-by-step simulation of a :class:`Network`; state persists across :meth:`run` calls.

    Parameters
    ----------
    network : Network
        From :func:`ca3_cam.build_network`.

    Attributes
    ----------
    t : int
        The current time (ms); the next :meth:`run` starts here.

    Raises
    ------
    TypeError
        If ``network`` is not a :class:`Network`.

    Examples
    --------
    >>> from ca3_cam import build_network, testbench
    >>> sched = testbench.functional()
    >>> sim = NumpySimulator(build_network(5, 10))
    >>> rows = sim.run(sched.input_spikes(), sched.t_stop_ms)
    >>> sim.t, len(rows["Output"])
    (90, 57)
    """

    def __init__(self, network: Network) -> None:
        if not isinstance(network, Network):
            raise TypeError(f"network must be a Network (build_network), got {type(network).__name__}")
        self.network = network
        self.t = 0
        self._source = network.population("Input")
        neurons = [p for p in network.populations if p.neuron is not None]
        self._offset: dict[str, int] = {}
        off = 0
        for p in neurons:
            self._offset[p.name] = off
            off += p.size
        self.n = off
        self._sizes = {p.name: p.size for p in network.populations}

        def per_neuron(attr: str) -> NDArray[np.float64]:
            return np.concatenate([np.full(p.size, getattr(p.neuron, attr), float) for p in neurons])

        self._v_rest, self._v_reset = per_neuron("v_rest"), per_neuron("v_reset")
        self._v_thresh, self._i_offset = per_neuron("v_thresh"), per_neuron("i_offset")
        self._r = per_neuron("tau_m") / per_neuron("cm")
        self._decay_m = np.exp(-1.0 / per_neuron("tau_m"))
        self._decay_e, self._decay_i = (
            np.exp(-1.0 / per_neuron("tau_syn_E")),
            np.exp(-1.0 / per_neuron("tau_syn_I")),
        )
        self._alpha_e = per_neuron("tau_syn_E") * (1.0 - self._decay_e)
        self._alpha_i = per_neuron("tau_syn_I") * (1.0 - self._decay_i)
        self._t_refrac = np.rint(per_neuron("tau_refrac")).astype(np.int64)
        self._cap_e = np.full(self.n, np.inf)
        self._cap_i = np.full(self.n, np.inf)
        if network.params.ring_buffer_saturation:
            for name, off in self._offset.items():
                for receptor, cap in (("excitatory", self._cap_e), ("inhibitory", self._cap_i)):
                    ws = [
                        (network.params.stdp.w_max if pr.plastic else pr.weight)
                        for pr in network.projections
                        if pr.post == name and pr.receptor == receptor
                    ]
                    if ws:
                        cap[off : off + self._sizes[name]] = ring_buffer_range(max(ws))
        self.v = self._v_rest.copy()
        self.i_e = np.zeros(self.n)
        self.i_i = np.zeros(self.n)
        self.refrac = np.zeros(self.n, np.int64)
        max_delay = max(pr.delay for pr in network.projections)
        self._slots = max_delay + 1
        self._buf_e = np.zeros((self._slots, self.n))
        self._buf_i = np.zeros((self._slots, self.n))
        self._static = [pr for pr in network.projections if not pr.plastic]
        # per static projection: its targets grouped by presynaptic neuron (CSR), as global indices
        self._csr: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
        for pr in self._static:
            order = np.argsort(pr.pairs[:, 0], kind="stable")
            counts = np.bincount(pr.pairs[:, 0], minlength=self._sizes[pr.pre])
            indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            self._csr.append((indptr, pr.pairs[order, 1] + self._offset[pr.post]))
        stdp = network.params.stdp
        self._stdp = stdp
        self._plastic: dict[str, _Plastic] = {}
        for pr in network.projections:
            if pr.plastic:
                n_pre, n_post = self._sizes[pr.pre], self._sizes[pr.post]
                w = np.zeros((n_pre, n_post))
                w[pr.pairs[:, 0], pr.pairs[:, 1]] = pr.weight
                self._plastic[pr.name] = _Plastic(pr, w, np.zeros(n_pre, np.int64), np.zeros(n_pre))
        self._post_hist = {
            pr.post: _PostHistory.empty(self._sizes[pr.post], stdp.post_history)
            for pr in network.projections
            if pr.plastic
        }

    # ----------------------------------------------------------------------------------------------- run
    def run(
        self, source_spikes: ArrayLike, duration: int, *, progress: bool = False
    ) -> dict[str, NDArray[np.int64]]:
        """Advance ``duration`` ms, driving ``Input`` with ``source_spikes``.

        Parameters
        ----------
        source_spikes : array_like of int, shape (n, 2)
            Rows ``(time_ms, input_index)`` with ``self.t <= time_ms < self.t + duration``.
        duration : int
            Steps (ms) to simulate, >= 1.
        progress : bool, default False
            Show a progress bar over the time steps (tqdm).

        Returns
        -------
        dict[str, ndarray of int, shape (k, 2)]
            For every population (``Input`` included), the rows ``(time_ms, neuron_index)`` of its spikes
            in this interval, sorted by time then index.
        """
        from neurotypes.validation import check_array, check_bool, check_int

        duration = check_int("duration", duration, minimum=1)
        progress = check_bool("progress", progress)
        src = check_array("source_spikes", source_spikes, dtype="int")
        if src.size and (src.ndim != 2 or src.shape[1] != 2):
            raise ValueError(f"source_spikes must be rows (time_ms, input_index), got shape {src.shape}")
        src = src.reshape(-1, 2)
        t0, t1 = self.t, self.t + int(duration)
        if src.size and (src[:, 0].min() < t0 or src[:, 0].max() >= t1):
            raise ValueError(
                f"source_spikes times must lie in [{t0}, {t1}) ms, got [{src[:, 0].min()}, {src[:, 0].max()}]"
            )
        if src.size and (src[:, 1].min() < 0 or src[:, 1].max() >= self._source.size):
            raise ValueError(f"source_spikes indices must lie in [0, {self._source.size})")
        rec: dict[str, list[NDArray[np.int64]]] = {p.name: [] for p in self.network.populations}
        by_time: dict[int, NDArray[np.int64]] = {}
        for tt in np.unique(src[:, 0]) if src.size else []:
            by_time[int(tt)] = np.unique(src[src[:, 0] == tt, 1])
        steps: Iterable[int] = range(t0, t1)
        if progress:
            from tqdm.auto import tqdm

            steps = tqdm(steps, desc="simulating", unit="ms", leave=False)
        for t in steps:
            fired = self._neuron_step(t)
            spikes: dict[str, NDArray[np.int64]] = {}
            if t in by_time:
                spikes["Input"] = by_time[t]
            for name, off in self._offset.items():
                local = fired[(fired >= off) & (fired < off + self._sizes[name])] - off
                if local.size:
                    spikes[name] = local
            for name, ids in spikes.items():
                rec[name].append(np.stack([np.full(ids.size, t, np.int64), ids], axis=1))
                if name in self._post_hist:
                    self._post_hist[name].add(ids, t, self._stdp.tau_minus, self._stdp.nearest)
            self._deliver(t, spikes)
        self.t = t1
        return {k: (np.concatenate(v) if v else np.zeros((0, 2), np.int64)) for k, v in rec.items()}

    def _neuron_step(self, t: int) -> NDArray[np.int64]:
        slot = t % self._slots
        self.i_e += self._alpha_e * np.minimum(self._buf_e[slot], self._cap_e)
        self.i_i += self._alpha_i * np.minimum(self._buf_i[slot], self._cap_i)
        self._buf_e[slot] = 0.0
        self._buf_i[slot] = 0.0
        active = self.refrac <= 0
        v_inf = self._v_rest + self._r * (self.i_e - self.i_i + self._i_offset)
        v_new = v_inf + (self.v - v_inf) * self._decay_m
        self.v = np.where(active, v_new, self.v)
        self.refrac = np.where(active, self.refrac, self.refrac - 1)
        fired = np.flatnonzero(active & (self.v >= self._v_thresh))
        self.v[fired] = self._v_reset[fired]
        self.refrac[fired] = self._t_refrac[fired]
        self.i_e *= self._decay_e
        self.i_i *= self._decay_i
        return fired

    def _deliver(self, t: int, spikes: dict[str, NDArray[np.int64]]) -> None:
        for pr, (indptr, targets) in zip(self._static, self._csr, strict=True):
            ids = spikes.get(pr.pre)
            if ids is None:
                continue
            post = np.concatenate([targets[indptr[i] : indptr[i + 1]] for i in ids])
            if post.size:
                buf = self._buf_e if pr.receptor == "excitatory" else self._buf_i
                np.add.at(buf[(t + pr.delay) % self._slots], post, pr.weight)
        for pl in self._plastic.values():
            pr = pl.proj
            ids = spikes.get(pr.pre)
            if ids is None:
                continue
            d_bp = pr.delay if self._stdp.backprop_delay else 0
            hist = self._post_hist[pr.post]
            buf = self._buf_e if pr.receptor == "excitatory" else self._buf_i
            off = self._offset[pr.post]
            for i in ids:
                last_t, last_tr = int(pl.last_pre_time[i]), float(pl.last_pre_trace[i])
                w = stdp_update(pl.weights[i], t, last_t, last_tr, hist, d_bp, self._stdp)
                pl.weights[i] = w
                pl.last_pre_trace[i] = (
                    1.0
                    if self._stdp.nearest
                    else last_tr * math.exp(-(t - last_t) / self._stdp.tau_plus) + 1.0
                )
                pl.last_pre_time[i] = t
                buf[(t + pr.delay) % self._slots, off : off + w.size] += w

    # ------------------------------------------------------------------------------------------- weights
    def weights(self, *, pending: bool = True) -> dict[str, NDArray[np.float64]]:
        """Plastic weight matrices ``[n_pre, n_post]`` (nA), by projection name.

        Parameters
        ----------
        pending : bool
            sPyNNaker applies STDP lazily, at the next presynaptic spike. With ``pending=True`` the
            potentiation owed to postsynaptic spikes since each synapse's last presynaptic spike is applied
            (without a new presynaptic spike's depression), giving the weight the memory effectively holds;
            ``False`` returns the stored words, as ``Projection.get('weight')`` reads them on SpiNNaker.
        """
        out: dict[str, NDArray[np.float64]] = {}
        for name, pl in self._plastic.items():
            w = pl.weights.copy()
            if pending:
                d_bp = pl.proj.delay if self._stdp.backprop_delay else 0
                hist = self._post_hist[pl.proj.post]
                s = self._stdp
                for i in range(w.shape[0]):
                    last_t, last_tr = int(pl.last_pre_time[i]), float(pl.last_pre_trace[i])
                    begin = last_t - d_bp if last_t >= d_bp else 0
                    idx = np.arange(hist.times.shape[1])[None, :]
                    real = (idx >= 1) & (idx <= hist.count[:, None]) & (hist.times > begin)
                    lag = hist.times + d_bp - last_t
                    pot = np.where(real & (lag > 0), last_tr * np.exp(-np.maximum(lag, 0) / s.tau_plus), 0.0)
                    w[i] = np.clip(w[i] + s.step_plus * pot.sum(axis=1), s.w_min, s.w_max)
            out[name] = w
        return out
