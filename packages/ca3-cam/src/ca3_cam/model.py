"""The CA3 content-addressable memory, described once for every engine.

The network (Casanueva-Morato et al. 2024, Neural Networks 178:106474, Fig. 2 and Table 1) is a list of
populations of PyNN ``IF_curr_exp`` neurons and a list of projections, each with an explicit list of
(pre, post) index pairs, a weight (nA), a delay (ms) and a receptor. :func:`build_network` produces it;
the numpy engine (:mod:`ca3_cam.simulator`) and the PyNN builder (:mod:`ca3_cam.pynn_engine`) both consume
the same :class:`Network`, so the model is never forked per engine.

Internally the model uses milliseconds and a 1-ms time step (as on SpiNNaker); the public API of
:class:`ca3_cam.CA3CAM` speaks seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CA3_POPULATIONS",
    "CA3Params",
    "Network",
    "NeuronParams",
    "Population",
    "Projection",
    "STDPParams",
    "build_network",
]

#: The eight internal CA3 populations, in the order used for neuron counts and recording.
CA3_POPULATIONS: tuple[str, ...] = (
    "CA3cueCueRecall",
    "CA3cueContRecall",
    "CA3contCueRecall",
    "CA3contContRecall",
    "CA3contCond",
    "CA3contCondInt",
    "CA3mergeCue",
    "CA3mergeCont",
)

Receptor = Literal["excitatory", "inhibitory"]


@dataclass(frozen=True)
class NeuronParams:
    """Parameters of a PyNN ``IF_curr_exp`` neuron (PyNN units: nF, ms, mV, nA).

    ``tau_m dV/dt = (v_rest - V) + (tau_m / cm) (I_E - I_I + i_offset)``; ``I_E``, ``I_I`` decay with
    ``tau_syn_E``, ``tau_syn_I``; at ``V >= v_thresh`` a spike, reset to ``v_reset`` and ``tau_refrac`` ms
    of refractoriness.

    Parameters
    ----------
    cm : float
        Membrane capacitance (nF), > 0.
    tau_m, tau_syn_E, tau_syn_I : float
        Membrane and synaptic time constants (ms), > 0.
    tau_refrac : float
        Refractory period (ms), >= 0.
    v_rest, v_reset, v_thresh : float
        Potentials (mV), finite, with ``v_thresh > v_reset``.
    i_offset : float
        Constant input current (nA).

    Raises
    ------
    TypeError, ValueError
        If a parameter is not a finite number or breaks its rule.

    Examples
    --------
    >>> NeuronParams(cm=0.14, tau_m=0.5).as_pynn()["tau_m"]
    0.5
    """

    cm: float = 0.27
    tau_m: float = 3.0
    tau_syn_E: float = 0.3
    tau_syn_I: float = 0.3
    tau_refrac: float = 1.0
    v_rest: float = -60.0
    v_reset: float = -60.0
    v_thresh: float = -57.0
    i_offset: float = 0.0

    def __post_init__(self) -> None:
        from neurotypes.validation import check_float

        for name in ("cm", "tau_m", "tau_syn_E", "tau_syn_I"):
            check_float(name, getattr(self, name), positive=True)
        check_float("tau_refrac", self.tau_refrac, minimum=0.0)
        for name in ("v_rest", "v_reset", "v_thresh", "i_offset"):
            check_float(name, getattr(self, name))
        if not self.v_thresh > self.v_reset:
            raise ValueError(f"v_thresh must be > v_reset, got {self.v_thresh} <= {self.v_reset}")

    def as_pynn(self) -> dict[str, float]:
        """The parameters as a PyNN ``IF_curr_exp`` keyword dictionary."""
        return {
            "cm": self.cm,
            "tau_m": self.tau_m,
            "tau_syn_E": self.tau_syn_E,
            "tau_syn_I": self.tau_syn_I,
            "tau_refrac": self.tau_refrac,
            "v_rest": self.v_rest,
            "v_reset": self.v_reset,
            "v_thresh": self.v_thresh,
            "i_offset": self.i_offset,
        }


@dataclass(frozen=True)
class STDPParams:
    """Pair-based additive STDP of the two memory projections, and the semantics of its evaluation.

    PyNN ``STDPMechanism(SpikePairRule(tau_plus, tau_minus, A_plus, A_minus),
    AdditiveWeightDependence(w_min, w_max))``, evaluated as sPyNNaker does on a 1-ms grid: lazily, when a
    presynaptic spike is processed (see :func:`ca3_cam.simulator.stdp_update`). The defaults are the ones
    that reproduce the paper's SpiNNaker recordings spike for spike (all three experiments):

    a_scaled_by_wmax : bool, default False
        Weight step ``A`` (nA) times the trace; True multiplies it by ``w_max`` as PyNN's definition and
        NEST's ``stdp_synapse`` do (36 nA steps here), which over-potentiates (cross-talk between learns
        7 ms apart in Experiment 3).
    backprop_delay : bool, default True
        The synaptic delay is dendritic: a postsynaptic spike at ``t`` pairs as if at ``t + delay``.
    nearest : bool, default False
        Nearest-spike traces (reset to 1) instead of all-to-all (accumulating) traces.
    zero_lag : bool, default True
        Pairs with zero lag count (full trace, ``exp(0) = 1``); False ignores them.
    clip_each : bool, default True
        Clip the weight to ``[w_min, w_max]`` after every pairing (potentiations in time order, then the
        depression); False sums all of them and clips once.
    post_history : int, default 16
        Postsynaptic spikes remembered per neuron (sPyNNaker: a time-0 placeholder and 15 spikes); older
        spikes are forgotten before they can potentiate, which limits capacity when a content bit belongs to
        many memories.

    The rule's own parameters: ``tau_plus``, ``tau_minus`` (ms, > 0), ``A_plus``, ``A_minus`` (nA, >= 0),
    ``w_min`` and ``w_max`` (nA, finite, ``w_min < w_max``); ``post_history`` (int, >= 2).

    Raises
    ------
    TypeError, ValueError
        If a parameter breaks its rule.

    Examples
    --------
    >>> STDPParams(post_history=64).post_history
    64
    """

    tau_plus: float = 3.0
    tau_minus: float = 3.0
    A_plus: float = 6.0
    A_minus: float = 6.0
    w_min: float = 0.0
    w_max: float = 6.0
    a_scaled_by_wmax: bool = False
    backprop_delay: bool = True
    nearest: bool = False
    zero_lag: bool = True
    clip_each: bool = True
    post_history: int = 16
    depress_first: bool = True

    def __post_init__(self) -> None:
        from neurotypes.validation import check_bool, check_float, check_int

        check_float("tau_plus", self.tau_plus, positive=True)
        check_float("tau_minus", self.tau_minus, positive=True)
        check_float("A_plus", self.A_plus, minimum=0.0)
        check_float("A_minus", self.A_minus, minimum=0.0)
        check_float("w_min", self.w_min)
        check_float("w_max", self.w_max)
        if not self.w_max > self.w_min:
            raise ValueError(f"w_max must be > w_min, got {self.w_max} <= {self.w_min}")
        check_int("post_history", self.post_history, minimum=2)
        for name in (
            "a_scaled_by_wmax",
            "backprop_delay",
            "nearest",
            "zero_lag",
            "clip_each",
            "depress_first",
        ):
            check_bool(name, getattr(self, name))

    @property
    def step_plus(self) -> float:
        """Weight step of one fully correlated causal pairing (nA)."""
        return self.A_plus * (self.w_max if self.a_scaled_by_wmax else 1.0)

    @property
    def step_minus(self) -> float:
        """Weight step of one fully correlated anti-causal pairing (nA)."""
        return self.A_minus * (self.w_max if self.a_scaled_by_wmax else 1.0)


_FAST = NeuronParams(cm=0.14, tau_m=0.5)
_DEFAULT = NeuronParams()
_OUTPUT = NeuronParams(v_thresh=-57.5)


@dataclass(frozen=True)
class CA3Params:
    """All parameters of the CA3 memory (paper's Table 1, the authors' ``network_config.json``).

    Weights are in nA and delays in ms; ``w_lateral_per_bit`` is multiplied by the number of content bits
    ``m`` for the lateral inhibition between CueContRecall neurons.

    Parameters
    ----------
    default_neuron, fast_neuron, output_neuron : NeuronParams
        The three neuron types (the fast one for CueContRecall, ContCond and ContCondInt).
    stdp : STDPParams
        The memory's plasticity.
    w_exc, w_cont_cue_to_cond, w_cond_int_to_cond, w_lateral_per_bit, w_init_plastic : float
        Weights (nA), >= 0.
    delay_plastic : int
        Delay of the plastic synapses (ms), >= 1.
    ring_buffer_saturation : bool
        Saturate summed input as sPyNNaker's fixed-point ring buffers do.

    Raises
    ------
    TypeError, ValueError
        If a parameter has the wrong type or breaks its rule.

    Examples
    --------
    >>> p = CA3Params.default().with_stdp(post_history=64)
    >>> p.stdp.post_history, p.w_exc
    (64, 6.0)
    """

    default_neuron: NeuronParams = _DEFAULT
    fast_neuron: NeuronParams = _FAST
    output_neuron: NeuronParams = _OUTPUT
    stdp: STDPParams = field(default_factory=STDPParams)
    w_exc: float = 6.0
    w_cont_cue_to_cond: float = 9.0
    w_cond_int_to_cond: float = 2.0
    w_lateral_per_bit: float = 6.0
    w_init_plastic: float = 0.0
    delay_plastic: int = 1
    ring_buffer_saturation: bool = True

    def __post_init__(self) -> None:
        from neurotypes.validation import check_bool, check_float, check_int

        for name in ("default_neuron", "fast_neuron", "output_neuron"):
            if not isinstance(getattr(self, name), NeuronParams):
                raise TypeError(f"{name} must be a NeuronParams, got {type(getattr(self, name)).__name__}")
        if not isinstance(self.stdp, STDPParams):
            raise TypeError(f"stdp must be an STDPParams, got {type(self.stdp).__name__}")
        for name in (
            "w_exc",
            "w_cont_cue_to_cond",
            "w_cond_int_to_cond",
            "w_lateral_per_bit",
            "w_init_plastic",
        ):
            check_float(name, getattr(self, name), minimum=0.0)
        check_int("delay_plastic", self.delay_plastic, minimum=1)
        check_bool("ring_buffer_saturation", self.ring_buffer_saturation)

    @classmethod
    def default(cls) -> CA3Params:
        """The published parameters."""
        return cls()

    def with_stdp(self, **changes: float | bool) -> CA3Params:
        """A copy with some STDP parameters changed."""
        return replace(self, stdp=replace(self.stdp, **changes))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Population:
    """A population: its name, size and ``IF_curr_exp`` parameters (``None`` for a spike source).

    Parameters
    ----------
    name : str
        Its name (``Input``, ``Output`` or one of :data:`CA3_POPULATIONS`).
    size : int
        Number of neurons.
    neuron : NeuronParams or None
        The neuron model; ``None`` for the input spike sources.
    """

    name: str
    size: int
    neuron: NeuronParams | None


@dataclass(frozen=True)
class Projection:
    """A projection with its explicit connection list.

    Attributes
    ----------
    name : str
        Unique name ``"pre->post[:tag]"``.
    pre, post : str
        Population names.
    pairs : ndarray of int, shape (n, 2)
        (pre index, post index) of every synapse.
    weight : float
        Weight (nA) of every synapse (the initial weight where ``plastic``).
    delay : int
        Delay in ms (whole time steps).
    receptor : {"excitatory", "inhibitory"}
    plastic : bool
        True for the two STDP memory projections.
    connector : str
        The PyNN connector the authors used (``"one_to_one"``, ``"all_to_all"``, ``"from_list"``); the
        ``pairs`` are the same whichever connector builds them.
    """

    name: str
    pre: str
    post: str
    pairs: NDArray[np.int64]
    weight: float
    delay: int
    receptor: Receptor
    plastic: bool = False
    connector: str = "from_list"

    @property
    def n_synapses(self) -> int:
        return int(self.pairs.shape[0])


@dataclass(frozen=True)
class Network:
    """The whole network for ``n_cues`` cues and ``n_content`` content bits (made by :func:`build_network`).

    Parameters
    ----------
    n_cues, n_content : int
        Size of the memory.
    params : CA3Params
        The parameters it was built with.
    populations : tuple of Population
        ``Input``, the eight CA3 populations, ``Output``.
    projections : tuple of Projection
        Every projection with its connection list.

    Examples
    --------
    >>> net = build_network(5, 10)
    >>> net.population("CA3contCondInt").size, net.n_synapses()
    (1, 295)
    """

    n_cues: int
    n_content: int
    params: CA3Params
    populations: tuple[Population, ...]
    projections: tuple[Projection, ...]

    def population(self, name: str) -> Population:
        for p in self.populations:
            if p.name == name:
                return p
        raise KeyError(f"no population named {name!r}")

    def n_internal_neurons(self) -> int:
        """Neurons of the eight CA3 populations: ``3c + 4m + 1``."""
        return sum(p.size for p in self.populations if p.name in CA3_POPULATIONS)

    def n_synapses(self, *, internal_only: bool = False) -> int:
        """Number of synapses, counted from the connection lists."""
        return sum(
            pr.n_synapses
            for pr in self.projections
            if not internal_only or (pr.pre in CA3_POPULATIONS and pr.post in CA3_POPULATIONS)
        )


def _one_to_one(n: int, pre_offset: int = 0, post_offset: int = 0) -> NDArray[np.int64]:
    i = np.arange(n, dtype=np.int64)
    return np.stack([i + pre_offset, i + post_offset], axis=1)


def _all_to_all(n_pre: int, n_post: int, *, allow_self: bool = True) -> NDArray[np.int64]:
    pre, post = np.meshgrid(np.arange(n_pre), np.arange(n_post), indexing="ij")
    pairs = np.stack([pre.ravel(), post.ravel()], axis=1).astype(np.int64)
    if not allow_self:
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return pairs


def _check_size(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if int(value) < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def build_network(n_cues: int, n_content: int, params: CA3Params | None = None) -> Network:
    """Describe the CA3 memory network for ``n_cues`` cues and ``n_content`` content bits.

    Parameters
    ----------
    n_cues : int
        Number of cues ``c`` (one-hot addresses), >= 1.
    n_content : int
        Number of content bits ``m``, >= 1.
    params : CA3Params, optional
        Defaults to :meth:`CA3Params.default`.

    Returns
    -------
    Network
        Populations ``Input`` (``c + m`` spike sources, cues first), the eight CA3 populations, ``Output``
        (``c + m`` neurons, cues first) and every projection with its connection list.

    Examples
    --------
    >>> net = build_network(5, 10)
    >>> net.n_internal_neurons()
    56
    """
    c = _check_size("n_cues", n_cues)
    m = _check_size("n_content", n_content)
    if params is not None and not isinstance(params, CA3Params):
        raise TypeError(f"params must be a CA3Params or None, got {type(params).__name__}")
    p = params if params is not None else CA3Params.default()
    if not isinstance(p, CA3Params):
        raise TypeError(f"params must be a CA3Params, got {type(p).__name__}")
    fast, default, out = p.fast_neuron, p.default_neuron, p.output_neuron
    pops = (
        Population("Input", c + m, None),
        Population("CA3cueCueRecall", c, default),
        Population("CA3cueContRecall", c, fast),
        Population("CA3contCueRecall", m, default),
        Population("CA3contContRecall", m, default),
        Population("CA3contCond", m, fast),
        Population("CA3contCondInt", 1, fast),
        Population("CA3mergeCue", c, default),
        Population("CA3mergeCont", m, default),
        Population("Output", c + m, out),
    )
    w = p.w_exc
    e: Receptor = "excitatory"
    i: Receptor = "inhibitory"
    one_c, one_m = _one_to_one(c), _one_to_one(m)
    projs = (
        Projection(
            "Input->CA3cueCueRecall", "Input", "CA3cueCueRecall", one_c, w, 1, e, connector="one_to_one"
        ),
        Projection(
            "Input->CA3contCueRecall",
            "Input",
            "CA3contCueRecall",
            _one_to_one(m, pre_offset=c),
            w,
            1,
            e,
            connector="from_list",
        ),
        Projection(
            "CA3cueCueRecall->CA3cueContRecall",
            "CA3cueCueRecall",
            "CA3cueContRecall",
            one_c,
            w,
            2,
            e,
            connector="one_to_one",
        ),
        Projection(
            "CA3cueCueRecall->CA3cueContRecall:inh",
            "CA3cueCueRecall",
            "CA3cueContRecall",
            _all_to_all(c, c, allow_self=False),
            w,
            3,
            i,
            connector="all_to_all_no_self",
        ),
        Projection(
            "CA3cueCueRecall->CA3contCond",
            "CA3cueCueRecall",
            "CA3contCond",
            _all_to_all(c, m),
            w,
            2,
            i,
            connector="all_to_all",
        ),
        Projection(
            "CA3contCueRecall->CA3contCond",
            "CA3contCueRecall",
            "CA3contCond",
            one_m,
            p.w_cont_cue_to_cond,
            1,
            e,
            connector="one_to_one",
        ),
        Projection(
            "CA3contCond->CA3contContRecall",
            "CA3contCond",
            "CA3contContRecall",
            one_m,
            w,
            1,
            e,
            connector="one_to_one",
        ),
        Projection(
            "CA3contCueRecall->CA3contCondInt",
            "CA3contCueRecall",
            "CA3contCondInt",
            _all_to_all(m, 1),
            w,
            1,
            e,
            connector="all_to_all",
        ),
        Projection(
            "CA3contCondInt->CA3contCond",
            "CA3contCondInt",
            "CA3contCond",
            _all_to_all(1, m),
            p.w_cond_int_to_cond,
            1,
            e,
            connector="all_to_all",
        ),
        Projection(
            "CA3cueContRecall->CA3cueContRecall",
            "CA3cueContRecall",
            "CA3cueContRecall",
            _all_to_all(c, c, allow_self=False),
            p.w_lateral_per_bit * m,
            2,
            i,
            connector="all_to_all_no_self",
        ),
        Projection(
            "CA3cueCueRecall->CA3mergeCue",
            "CA3cueCueRecall",
            "CA3mergeCue",
            one_c,
            w,
            3,
            e,
            connector="one_to_one",
        ),
        Projection(
            "CA3cueContRecall->CA3mergeCue",
            "CA3cueContRecall",
            "CA3mergeCue",
            one_c,
            w,
            1,
            e,
            connector="one_to_one",
        ),
        Projection(
            "CA3contCueRecall->CA3mergeCont",
            "CA3contCueRecall",
            "CA3mergeCont",
            one_m,
            w,
            3,
            e,
            connector="one_to_one",
        ),
        Projection(
            "CA3contContRecall->CA3mergeCont",
            "CA3contContRecall",
            "CA3mergeCont",
            one_m,
            w,
            1,
            e,
            connector="one_to_one",
        ),
        Projection("CA3mergeCue->Output", "CA3mergeCue", "Output", one_c, w, 1, e, connector="from_list"),
        Projection(
            "CA3mergeCont->Output",
            "CA3mergeCont",
            "Output",
            _one_to_one(m, post_offset=c),
            w,
            1,
            e,
            connector="from_list",
        ),
        Projection(
            "CA3cueCueRecall->CA3contCueRecall:stdp",
            "CA3cueCueRecall",
            "CA3contCueRecall",
            _all_to_all(c, m),
            p.w_init_plastic,
            p.delay_plastic,
            e,
            plastic=True,
            connector="all_to_all",
        ),
        Projection(
            "CA3contContRecall->CA3cueContRecall:stdp",
            "CA3contContRecall",
            "CA3cueContRecall",
            _all_to_all(m, c),
            p.w_init_plastic,
            p.delay_plastic,
            e,
            plastic=True,
            connector="all_to_all",
        ),
    )
    for pr in projs:
        if pr.delay < 1:
            raise ValueError(f"delay of {pr.name} must be >= 1 ms, got {pr.delay}")
    return Network(c, m, p, pops, projs)


def expected_synapse_count(n_cues: int, n_content: int) -> int:
    """Synapse count derived by hand from the connection table (an independent check of the builder)."""
    c, m = n_cues, n_content
    static = (
        c  # Input -> CueCue
        + m  # Input -> ContCue
        + c  # CueCue -> CueCont (exc)
        + c * (c - 1)  # CueCue -> CueCont (inh, no self)
        + c * m  # CueCue -> ContCond (inh)
        + m  # ContCue -> ContCond
        + m  # ContCond -> ContCont
        + m  # ContCue -> ContCondInt
        + m  # ContCondInt -> ContCond
        + c * (c - 1)  # lateral inhibition
        + 2 * c  # -> MergeCue
        + 2 * m  # -> MergeCont
        + c
        + m  # Merge -> Output
    )
    return static + 2 * c * m
