"""Export a trained module to PyNN (inference only) and run it on NEST or map it with sPyNNaker.

At query time a Diehl & Cook module is a static network: theta is frozen, so each excitatory neuron has a fixed
threshold ``v_thresh_e + theta_j - theta_offset``, and no synapse learns. It maps onto standard PyNN cells and
synapses (``IF_cond_exp``, ``StaticSynapse``, ``FromListConnector``, ``SpikeSourceArray``):

- inputs: one ``SpikeSourceArray`` per input pixel, fed the very Poisson spikes the package's engines draw for
  the same seed (:mod:`snn_vpr._rng`), so both simulators see the same input;
- excitatory population: conductance LIF with leak conductance 1 uS (``cm = tau_m`` nF), so the package's
  dimensionless conductances are PyNN weights in uS; per-neuron thresholds from the trained theta;
- inhibitory population: the same with ``tau_i``; E -> I one-to-one (``w_ei``), I -> E all-but-self (``w_ie``,
  inhibitory receptor, reversal ``e_inh_e``);
- input -> E synapses carry the trained weights and delays (``(delay_steps + 1) * dt``: the package applies an
  arrival at the end of a step, so the membrane sees it one step later); E -> I and I -> E take one step.

Known differences from the package's engine (stated, not hidden):

- integration: the package uses exponential Euler with the step-averaged conductance at ``dt``; NEST
  integrates the conductance ODE within the step (GSL RK45) on the same grid;
- the firing timer: the package (as the VPRSNN reference) lets a neuron fire again only 50 ms after its last
  spike (``refrac_e / timer_rate``) while its membrane integrates from 5 ms on; a standard PyNN cell has no such
  timer, so the exported refractory period is 50 ms (the same maximum rate; the membrane is clamped at reset for
  the whole 50 ms instead of 5 ms);
- NEST's refractory period and delays are counted in whole steps of its resolution.

Everything needing PyNN is imported lazily: the core install does not need it (extras ``nest``, ``spinnaker``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from snn_vpr import _rng
from snn_vpr.network import as_rates, network_size

__all__ = [
    "BACKENDS",
    "ExportedModule",
    "build_pynn_module",
    "export_module",
    "import_backend",
    "module_scores",
    "query_spike_times",
    "run_pynn",
]

#: backend name -> PyNN module
BACKENDS = {"nest": "pyNN.nest", "spinnaker": "pyNN.spiNNaker"}


@dataclass(frozen=True)
class ExportedModule:
    """One trained module as PyNN needs it (plain numpy; no PyNN import).

    Attributes
    ----------
    weights : ndarray, shape (n_in, n_e)
        Input -> excitatory conductances (uS, with a leak conductance of 1 uS).
    delays_ms : ndarray, shape (n_in, n_e)
        Input -> excitatory delays (ms).
    v_thresh : ndarray, shape (n_e,)
        Per-neuron thresholds (mV): ``v_thresh_e + theta - theta_offset``.
    cell_e, cell_i : dict
        ``IF_cond_exp`` parameters of the excitatory and inhibitory cells (``v_thresh`` of E is per neuron).
    w_ei, w_ie : float
        E -> I (one-to-one) and I -> E (all-but-self) conductances (uS).
    dt : float
        The module's time step (ms); one-step delays of E -> I and I -> E.
    t_present : float
        Presentation time (ms).
    """

    weights: NDArray[np.float64]
    delays_ms: NDArray[np.float64]
    v_thresh: NDArray[np.float64]
    cell_e: dict[str, float]
    cell_i: dict[str, float]
    w_ei: float
    w_ie: float
    dt: float
    t_present: float

    @property
    def n_in(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_e(self) -> int:
        return int(self.weights.shape[1])

    def size(self) -> tuple[int, int]:
        """Neurons and synapses: ``(n_in + 2 n_e, n_in n_e + n_e + n_e (n_e - 1))`` (see ``network_size``)."""
        return network_size(self.n_in, self.n_e)

    def input_connections(self) -> list[tuple[int, int, float, float]]:
        """``(input, neuron, weight uS, delay ms)`` for every input -> excitatory synapse."""
        i, j = np.meshgrid(np.arange(self.n_in), np.arange(self.n_e), indexing="ij")
        return list(
            zip(
                i.ravel().tolist(),
                j.ravel().tolist(),
                self.weights.ravel().tolist(),
                self.delays_ms.ravel().tolist(),
                strict=True,
            )
        )


def export_module(net: Any, module: int = 0) -> ExportedModule:
    """Export module ``module`` of a fitted :class:`~snn_vpr.model.ModularSNN` (or a ``ModuleBank``)."""
    from snn_vpr.model import ModularSNN
    from snn_vpr.network import ModuleBank

    if isinstance(net, ModularSNN):
        net._check_fitted()
        bank = net.bank_
    elif isinstance(net, ModuleBank):
        bank = net
    else:
        raise TypeError(f"net must be a fitted ModularSNN or a ModuleBank, got {type(net).__name__}")
    if (
        isinstance(module, bool)
        or not isinstance(module, int | np.integer)
        or not 0 <= module < bank.n_modules
    ):
        raise ValueError(f"module must be an integer in [0, {bank.n_modules}), got {module!r}")
    p = bank.params
    w = bank.w[module].detach().cpu().numpy().astype(np.float64)
    d = bank.delay_steps[module].detach().cpu().numpy().astype(np.float64)
    theta = bank.theta[module].detach().cpu().numpy().astype(np.float64)
    cell_e = {
        "cm": p.tau_e * 1e-3 * 1e3,  # nF: tau_m (ms) x g_leak (1 uS)
        "tau_m": p.tau_e,
        "v_rest": p.v_rest_e,
        "v_reset": p.v_reset_e,
        "tau_refrac": p.refrac_e / p.timer_rate,  # the timer's 50 ms (see the module docstring)
        "tau_syn_E": p.tau_ge,
        "tau_syn_I": p.tau_gi,
        "e_rev_E": p.e_exc,
        "e_rev_I": p.e_inh_e,
        "i_offset": 0.0,
    }
    cell_i = {
        "cm": p.tau_i * 1e-3 * 1e3,
        "tau_m": p.tau_i,
        "v_rest": p.v_rest_i,
        "v_reset": p.v_reset_i,
        "v_thresh": p.v_thresh_i,
        "tau_refrac": p.refrac_i,
        "tau_syn_E": p.tau_ge,
        "tau_syn_I": p.tau_gi,
        "e_rev_E": p.e_exc,
        "e_rev_I": p.e_inh_i,
        "i_offset": 0.0,
    }
    return ExportedModule(
        weights=w,
        delays_ms=(d + 1.0) * p.dt,
        v_thresh=p.v_thresh_e + theta - p.theta_offset,
        cell_e=cell_e,
        cell_i=cell_i,
        w_ei=p.w_ei,
        w_ie=p.w_ie,
        dt=p.dt,
        t_present=p.t_present,
    )


def query_spike_times(net: Any, images: ArrayLike, seed: int, module: int = 0) -> list[list[list[float]]]:
    """Input spike times (ms from presentation start) of each image for one module, per input neuron.

    The same spikes the package's engines draw for ``respond(images, seed=seed)`` (first presentation; the
    retry rule is not exported): ``times[image][input]`` is a sorted list of step starts ``k * dt``.
    """
    from snn_vpr.model import ModularSNN

    if not isinstance(net, ModularSNN):
        raise TypeError(f"net must be a fitted ModularSNN, got {type(net).__name__}")
    net._check_fitted()
    bank = net.bank_
    p = bank.params
    imgs = np.asarray(images)
    rates = as_rates(imgs, p.intensity, "images")
    if rates.shape[1] != bank.n_in:
        raise ValueError(f"images must have {bank.n_in} pixels, got {rates.shape[1]}")
    r = rates[None].expand(bank.n_modules, -1, -1).numpy()
    prob = _rng.spike_probability(r, p.dt)
    steps, m, b, i = _rng.poisson_events(int(seed), prob, p.n_steps)
    out: list[list[list[float]]] = []
    for q in range(imgs.shape[0]):
        sel = (m == module) & (b == q)
        per: list[list[float]] = [[] for _ in range(bank.n_in)]
        for s, k in zip(steps[sel].tolist(), i[sel].tolist(), strict=True):
            per[k].append(s * p.dt)
        out.append(per)
    return out


def import_backend(backend: str) -> Any:
    """Import the PyNN module of ``backend`` ("nest" or "spinnaker"), with a clear error if the extra is missing."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {sorted(BACKENDS)}, got {backend!r}")
    try:
        return importlib.import_module(BACKENDS[backend])
    except ImportError as err:
        raise ImportError(
            f"backend {backend!r} needs the extra: pip install 'snn-vpr[{backend}]' ({BACKENDS[backend]}: {err})"
        ) from err


def build_pynn_module(
    sim: Any,
    exported: ExportedModule,
    spike_times: list[list[float]] | None = None,
    offset_ms: float = 0.0,
    recurrent_delay_ms: float | None = None,
) -> dict[str, Any]:
    """Build the module with the PyNN backend ``sim`` (after ``sim.setup(timestep=exported.dt, ...)``).

    Parameters
    ----------
    sim : module
        ``pyNN.nest``, ``pyNN.spiNNaker`` or another PyNN backend.
    exported : ExportedModule
    spike_times : list of lists of float, optional
        Input spike times per input neuron (ms), e.g. one image of :func:`query_spike_times`.
    offset_ms : float
        Added to every input spike time.
    recurrent_delay_ms : float, optional
        Delay of the E -> I and I -> E synapses (default ``exported.dt``; at least the backend's resolution).

    Returns
    -------
    dict
        ``{"populations": {"input", "exc", "inh"}, "projections": {"input_exc", "exc_inh", "inh_exc"}}``;
        the excitatory population records spikes.
    """
    n_in, n_e = exported.n_in, exported.n_e
    times = spike_times if spike_times is not None else [[] for _ in range(n_in)]
    if len(times) != n_in:
        raise ValueError(f"spike_times must hold one list per input ({n_in}), got {len(times)}")
    inp = sim.Population(
        n_in, sim.SpikeSourceArray(spike_times=[[t + offset_ms for t in ts] for ts in times]), label="input"
    )
    exc = sim.Population(
        n_e,
        sim.IF_cond_exp(**exported.cell_e, v_thresh=exported.v_thresh.tolist()),
        initial_values={"v": exported.cell_e["v_rest"]},
        label="exc",
    )
    inh = sim.Population(
        n_e, sim.IF_cond_exp(**exported.cell_i), initial_values={"v": exported.cell_i["v_rest"]}, label="inh"
    )
    exc.record("spikes")
    dt = exported.dt if recurrent_delay_ms is None else float(recurrent_delay_ms)
    projs = {
        "input_exc": sim.Projection(
            inp,
            exc,
            sim.FromListConnector(exported.input_connections(), column_names=["weight", "delay"]),
            sim.StaticSynapse(),
            receptor_type="excitatory",
            label="input_exc",
        ),
        "exc_inh": sim.Projection(
            exc,
            inh,
            sim.OneToOneConnector(),
            sim.StaticSynapse(weight=exported.w_ei, delay=dt),
            receptor_type="excitatory",
            label="exc_inh",
        ),
        "inh_exc": sim.Projection(
            inh,
            exc,
            sim.FromListConnector([(a, b) for a in range(n_e) for b in range(n_e) if a != b]),
            sim.StaticSynapse(weight=exported.w_ie, delay=dt),
            receptor_type="inhibitory",
            label="inh_exc",
        ),
    }
    return {"populations": {"input": inp, "exc": exc, "inh": inh}, "projections": projs}


def _counts(pop: Any, n: int, t0: float, t1: float) -> NDArray[np.int64]:
    block = pop.get_data("spikes", clear=True)
    out = np.zeros(n, dtype=np.int64)
    for k, st in enumerate(block.segments[-1].spiketrains):
        idx = int(st.annotations.get("source_index", k))
        t = np.asarray(st.magnitude, dtype=float)
        out[idx] += int(np.count_nonzero((t > t0) & (t <= t1 + 1e-9)))
    return out


def run_pynn(
    exported: ExportedModule,
    spike_times: list[list[list[float]]],
    backend: str = "nest",
    offset_ms: float | None = None,
    resolution_ms: float | None = None,
) -> NDArray[np.int64]:
    """Spike counts [n_images, n_e] of the exported module on a PyNN backend, each image from rest.

    Each image is a fresh simulation (``setup``, build, ``run(t_present)``, ``end``: NEST cannot reset a network
    exactly) with the input spikes of that image, shifted by ``offset_ms`` (default two steps: NEST refuses
    spikes at time 0). A spike counts when its time lies in ``(offset, offset + t_present]``.
    ``resolution_ms`` is the backend's time step (default the module's ``dt``); the E -> I and I -> E delays
    are one step of it.
    """
    sim = import_backend(backend)
    off = 2 * exported.dt if offset_ms is None else float(offset_ms)
    out = np.zeros((len(spike_times), exported.n_e), dtype=np.int64)
    h = exported.dt if resolution_ms is None else float(resolution_ms)
    for q, times in enumerate(spike_times):
        sim.setup(timestep=h, min_delay=h, max_delay=float(exported.delays_ms.max()) + exported.dt)
        try:
            built = build_pynn_module(sim, exported, times, off, recurrent_delay_ms=h)
            sim.run(exported.t_present + off)
            out[q] = _counts(built["populations"]["exc"], exported.n_e, off, exported.t_present + off)
        finally:
            sim.end()
    return out


def module_scores(
    counts: NDArray[np.int64], assignments: NDArray[np.int64], places: ArrayLike
) -> NDArray[np.float64]:
    """Place scores [n_images, n_places] of one module from its neurons' counts (mean count per assigned neuron)."""
    from snn_vpr.model import place_scores

    return place_scores(np.asarray(counts, dtype=np.float64), assignments, places)
