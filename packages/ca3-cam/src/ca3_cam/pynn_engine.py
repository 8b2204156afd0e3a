"""The same :class:`~ca3_cam.model.Network` built and run through PyNN (NEST, sPyNNaker, any backend).

Only standard PyNN API is used (``IF_curr_exp``, ``SpikeSourceArray``, ``FromListConnector``,
``StaticSynapse``, ``STDPMechanism``, ``SpikePairRule``, ``AdditiveWeightDependence``), so a backend is a
``sim`` module: ``pyNN.nest`` (extra ``nest``) or ``pyNN.spiNNaker`` (extra ``spinnaker``).
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ca3_cam.model import Network

__all__ = ["PYNN_MODULES", "build_pynn_network", "import_backend", "run_pynn"]

#: Engine name -> PyNN backend module.
PYNN_MODULES = {"nest": "pyNN.nest", "spinnaker": "pyNN.spiNNaker"}

#: pyNN.nest moves source spikes min_delay earlier and NEST refuses a spike at 0 ms: PyNN runs are shifted.
TIME_OFFSET_MS = 2


def import_backend(engine: str) -> Any:
    """Import the PyNN backend for ``engine`` ("nest" or "spinnaker"), with a clear error if missing.

    Parameters
    ----------
    engine : {"nest", "spinnaker"}
        The backend.

    Returns
    -------
    module
        ``pyNN.nest`` or ``pyNN.spiNNaker``.

    Raises
    ------
    ValueError
        If ``engine`` is unknown.
    ImportError
        If its extra is not installed (the message names the extra).

    Examples
    --------
    >>> sim = import_backend("nest")  # doctest: +SKIP
    """
    if engine not in PYNN_MODULES:
        raise ValueError(f"engine must be one of {sorted(PYNN_MODULES)}, got {engine!r}")
    # NEST prints a banner on import unless PYNEST_QUIET is set: that is the user's choice (environment), not ours.
    try:
        return importlib.import_module(PYNN_MODULES[engine])
    except ImportError as err:
        raise ImportError(
            f"engine {engine!r} needs the extra: pip install 'ca3-cam[{engine}]' ({PYNN_MODULES[engine]} failed: {err})"
        ) from err


def _source_times(input_rows: NDArray[np.int64], n: int, offset: int) -> list[list[float]]:
    times: list[list[float]] = [[] for _ in range(n)]
    for t, i in input_rows:
        times[int(i)].append(float(t + offset))
    return [sorted(ts) for ts in times]


def _inhibitory_sign(sim: Any, receptor: str) -> float:
    # PyNN's convention for current-based synapses is a negative inhibitory weight, and pyNN.nest passes it
    # through as is; sPyNNaker (and the authors' scripts) take positive weights on the inhibitory receptor.
    if receptor == "inhibitory" and "spiNNaker" not in getattr(sim, "__name__", ""):
        return -1.0
    return 1.0


def build_pynn_network(
    sim: Any, network: Network, input_rows: ArrayLike | None = None, *, time_offset_ms: int = 0
) -> dict[str, Any]:
    """Build ``network`` with the PyNN module ``sim`` (after ``sim.setup(timestep=1.0)``).

    Parameters
    ----------
    sim : module
        A PyNN backend, e.g. ``pyNN.nest`` or ``pyNN.spiNNaker``.
    network : Network
        From :func:`ca3_cam.build_network`; the same description the numpy engine runs.
    input_rows : array_like of int, shape (n, 2), optional
        Input spikes ``(time_ms, input_index)``.
    time_offset_ms : int
        Added to every input spike time.

    Returns
    -------
    dict
        ``{"populations": {name: Population}, "projections": {name: Projection}}``; every population
        records spikes.

    Examples
    --------
    >>> from ca3_cam import build_network, testbench
    >>> import pyNN.nest as sim  # doctest: +SKIP
    >>> sim.setup(timestep=1.0)  # doctest: +SKIP
    >>> built = build_pynn_network(sim, build_network(5, 10), testbench.functional().input_spikes())  # doctest: +SKIP

    Notes
    -----
    The STDP step is passed as ``A / w_max`` when ``params.stdp.a_scaled_by_wmax`` is False, because PyNN
    defines (and NEST and sPyNNaker implement) the additive step as ``A * w_max``; the weight change is
    then ``A`` nA times the trace, as in the numpy engine. The delay is fully dendritic
    (``dendritic_delay_fraction=1``).
    """
    rows = np.asarray(input_rows if input_rows is not None else np.zeros((0, 2)), dtype=np.int64).reshape(
        -1, 2
    )
    pops: dict[str, Any] = {}
    for p in network.populations:
        if p.neuron is None:
            cell = sim.SpikeSourceArray(spike_times=_source_times(rows, p.size, time_offset_ms))
            pops[p.name] = sim.Population(p.size, cell, label=p.name)
        else:
            pops[p.name] = sim.Population(
                p.size,
                sim.IF_curr_exp(**p.neuron.as_pynn()),
                initial_values={"v": p.neuron.v_rest},
                label=p.name,
            )
        pops[p.name].record("spikes")
    s = network.params.stdp
    scale = 1.0 if s.a_scaled_by_wmax else 1.0 / s.w_max
    projs: dict[str, Any] = {}
    for pr in network.projections:
        conn_list = [(int(a), int(b)) for a, b in pr.pairs]
        connector = sim.FromListConnector(conn_list)
        if pr.plastic:
            synapse = sim.STDPMechanism(
                timing_dependence=sim.SpikePairRule(
                    tau_plus=s.tau_plus,
                    tau_minus=s.tau_minus,
                    A_plus=s.A_plus * scale,
                    A_minus=s.A_minus * scale,
                ),
                weight_dependence=sim.AdditiveWeightDependence(w_min=s.w_min, w_max=s.w_max),
                weight=pr.weight,
                delay=float(pr.delay),
                dendritic_delay_fraction=1.0,
            )
        else:
            synapse = sim.StaticSynapse(
                weight=pr.weight * _inhibitory_sign(sim, pr.receptor), delay=float(pr.delay)
            )
        projs[pr.name] = sim.Projection(
            pops[pr.pre], pops[pr.post], connector, synapse, receptor_type=pr.receptor, label=pr.name
        )
    return {"populations": pops, "projections": projs}


def _spike_rows(pop: Any, offset: int) -> NDArray[np.int64]:
    """A population's recorded spikes as rows ``(time_ms, index)``, read through ``SpikeTrains.from_neo``.

    PyNN hands back a neo ``Block``; times are floored to the millisecond and shifted back by ``offset``.
    """
    from neurotypes import SpikeTrains

    block = pop.get_data("spikes", clear=False)
    st = SpikeTrains.from_neo(block.segments[0], n_units=pop.size)
    ms = np.floor(st.times * 1000.0 + 1e-6).astype(np.int64) - offset
    rows = np.stack([ms, st.units.astype(np.int64)], axis=1)
    order = np.lexsort((rows[:, 1], rows[:, 0]))
    return np.asarray(rows[order], dtype=np.int64).reshape(-1, 2)


def run_pynn(
    engine: str,
    network: Network,
    input_rows: ArrayLike,
    t_stop_ms: int,
    *,
    setup_kwargs: dict[str, Any] | None = None,
) -> dict[str, NDArray[np.int64]]:
    """Build ``network`` on a PyNN backend, run ``t_stop_ms`` and return ``{population: rows (time_ms, i)}``.

    Times are shifted by :data:`TIME_OFFSET_MS` inside the backend and shifted back in the result; spike
    times are floored to the millisecond (pyNN.nest spikes off the grid by default). On a SpiNNaker virtual
    board the spike lists come back empty (mapping only).

    Parameters
    ----------
    engine : {"nest", "spinnaker"}
        The PyNN backend (extra ``nest`` or ``spinnaker``).
    network : Network
        From :func:`ca3_cam.build_network`.
    input_rows : array_like of int, shape (n, 2)
        Input spikes ``(time_ms, input_index)``.
    t_stop_ms : int
        Duration (ms), >= 1.
    setup_kwargs : dict, optional
        Extra keyword arguments for ``sim.setup``.

    Returns
    -------
    dict of str to ndarray of int64, shape (n, 2)
        Spikes ``(time_ms, index)`` of every population.

    Raises
    ------
    TypeError, ValueError
        If an argument breaks its rule.
    ImportError
        If the engine's extra is not installed.

    Examples
    --------
    >>> from ca3_cam import build_network, testbench
    >>> s = testbench.functional()
    >>> rows = run_pynn("nest", build_network(5, 10), s.input_spikes(), s.t_stop_ms)  # doctest: +SKIP
    """
    from neurotypes.validation import check_array, check_int

    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network (build_network), got {type(network).__name__}")
    t_stop_ms = check_int("t_stop_ms", t_stop_ms, minimum=1)
    rows_in = check_array("input_rows", input_rows, dtype="int")
    if rows_in.size and (rows_in.ndim != 2 or rows_in.shape[1] != 2):
        raise ValueError(f"input_rows must be rows (time_ms, input_index), got shape {rows_in.shape}")
    if setup_kwargs is not None and not isinstance(setup_kwargs, dict):
        raise TypeError(f"setup_kwargs must be a dict or None, got {type(setup_kwargs).__name__}")
    sim = import_backend(engine)
    kwargs = dict(setup_kwargs or {})
    if engine == "nest":
        # pyNN.nest defaults to precise (off-grid) spike times (iaf_psc_exp_ps); SpiNNaker is on the 1-ms grid
        kwargs.setdefault("spike_precision", "off_grid")
    sim.setup(timestep=1.0, min_delay=1.0, **kwargs)
    try:
        built = build_pynn_network(sim, network, input_rows, time_offset_ms=TIME_OFFSET_MS)
        sim.run(float(t_stop_ms + TIME_OFFSET_MS))
        return {name: _spike_rows(pop, TIME_OFFSET_MS) for name, pop in built["populations"].items()}
    finally:
        sim.end()
