"""The high-level memory: :class:`CA3CAM` (the spiking network) and :class:`IdealCAM` (its set semantics)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ca3_cam.model import CA3Params, Network, build_network
from ca3_cam.schedule import RECOMMENDED_SPACING_MS, Operation, Schedule, as_bits, as_cue
from ca3_cam.simulator import NumpySimulator

__all__ = [
    "CA3CAM",
    "ENGINES",
    "Answer",
    "IdealCAM",
    "decode_answers",
    "ideal_answers",
    "rows_to_spiketrains",
    "run_schedule",
]

ENGINES = ("numpy", "nest", "spinnaker")


class IdealCAM:
    """The set semantics of the memory (the oracle): a map cue -> set of content bits.

    ``learn`` replaces a cue's set; ``recall_by_cue(c)`` returns it (empty if never learned);
    ``recall_by_content(B)`` returns every cue whose set meets ``B``.

    Parameters
    ----------
    n_cues : int
        Number of cues, >= 1.
    n_content : int
        Number of content bits, >= 1.

    Raises
    ------
    ValueError, TypeError
        If a size is not an int >= 1, or a cue or bit is out of range.

    Examples
    --------
    >>> cam = IdealCAM(5, 10)
    >>> cam.learn(0, {0, 1, 8, 9}); cam.learn(4, {1, 5, 6})
    >>> sorted(cam.recall_by_content({1}))
    [0, 4]
    """

    def __init__(self, n_cues: int, n_content: int) -> None:
        from neurotypes.validation import check_int

        self.n_cues = check_int("n_cues", n_cues, minimum=1)
        self.n_content = check_int("n_content", n_content, minimum=1)
        self.memory_: dict[int, frozenset[int]] = {}

    def learn(self, cue: int, content_bits: object) -> None:
        """Store ``cue -> content_bits`` (an int, ints or a ``neurotypes.SDR``), replacing the cue's old set."""
        self.memory_[as_cue(cue, self.n_cues)] = as_bits(content_bits, self.n_content, "content_bits")

    def recall_by_cue(self, cue: int) -> set[int]:
        """The set stored under ``cue`` (empty if never learned)."""
        return set(self.memory_.get(as_cue(cue, self.n_cues), frozenset()))

    def recall_by_content(self, bits: object) -> set[int]:
        """Every cue whose set shares at least one bit with ``bits``."""
        b = as_bits(bits, self.n_content)
        return {c for c, s in self.memory_.items() if s & b}


@dataclass(frozen=True)
class Answer:
    """The answer of one recall: the Output neurons (cues or bits) and the ms at which they fired.

    Parameters
    ----------
    operation : Operation
        The recall.
    answer : frozenset of int
        Content bits (recall by cue) or cues (recall by content) that fired after the query.
    times_ms : tuple of int
        The distinct latencies (ms after the query) of the answer's spikes (6 in the paper).
    echo : frozenset of int
        The queried cue or bits, echoed at the Output (5 ms after the query).
    """

    operation: Operation
    answer: frozenset[int]
    times_ms: tuple[int, ...]
    echo: frozenset[int]


def ideal_answers(schedule: Schedule) -> list[set[int]]:
    """What :class:`IdealCAM` answers to every recall of ``schedule``, in order.

    Parameters
    ----------
    schedule : Schedule
        The operations.

    Returns
    -------
    list of set of int
        One set per recall (content bits for a recall by cue, cues for a recall by content).

    Raises
    ------
    TypeError
        If ``schedule`` is not a :class:`Schedule`.

    Examples
    --------
    >>> from ca3_cam import testbench
    >>> ideal_answers(testbench.functional())[:2]
    [{0, 1, 8, 9}, {3, 4}]
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a Schedule, got {type(schedule).__name__}")
    cam = IdealCAM(schedule.n_cues, schedule.n_content)
    out: list[set[int]] = []
    for op in schedule.operations:
        if op.kind == "learn":
            cam.learn(int(op.cue), op.bits)  # type: ignore[arg-type]
        elif op.kind == "recall_cue":
            out.append(cam.recall_by_cue(int(op.cue)))  # type: ignore[arg-type]
        else:
            out.append(cam.recall_by_content(op.bits))
    return out


def decode_answers(schedule: Schedule, output_rows: NDArray[np.int64], *, window_ms: int = 7) -> list[Answer]:
    """Read every recall's answer from the Output spikes ``(time_ms, index)``.

    The answer to a recall at ``t`` is the set of Output neurons of the other kind (content bits for a recall
    by cue, cues for a recall by content) that fire in ``(t, t + window_ms]``; the echo is the queried kind.

    Parameters
    ----------
    schedule : Schedule
        The operations that were run.
    output_rows : array_like of int, shape (n, 2)
        Output spikes ``(time_ms, index)``: cues first, then content bits.
    window_ms : int, default 7
        How long after a query its answer is read, >= 1.

    Returns
    -------
    list of Answer
        One per recall, in order.

    Raises
    ------
    TypeError, ValueError
        If ``schedule`` is not a Schedule, ``output_rows`` is not integer rows of two columns, or
        ``window_ms`` < 1.

    Examples
    --------
    >>> from ca3_cam import build_network, run_schedule, testbench
    >>> sched = testbench.functional()
    >>> rows = run_schedule(build_network(5, 10), sched)
    >>> first = decode_answers(sched, rows["Output"])[0]
    >>> sorted(first.answer), first.times_ms, sorted(first.echo)
    ([0, 1, 8, 9], (6,), [0])
    """
    from neurotypes.validation import check_array, check_int

    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a Schedule, got {type(schedule).__name__}")
    window_ms = check_int("window_ms", window_ms, minimum=1)
    rows = check_array("output_rows", output_rows, dtype="int")
    if rows.size and (rows.ndim != 2 or rows.shape[1] != 2):
        raise ValueError(f"output_rows must be rows (time_ms, index), got shape {rows.shape}")
    rows = rows.reshape(-1, 2)
    c = schedule.n_cues
    res: list[Answer] = []
    for op in schedule.operations:
        if op.kind == "learn":
            continue
        sel = rows[(rows[:, 0] > op.t_ms) & (rows[:, 0] <= op.t_ms + window_ms)]
        cues = sel[sel[:, 1] < c]
        bits = sel[sel[:, 1] >= c]
        bits = np.stack([bits[:, 0], bits[:, 1] - c], axis=1) if bits.size else bits
        ans, echo = (bits, cues) if op.kind == "recall_cue" else (cues, bits)
        res.append(
            Answer(
                op,
                frozenset(int(i) for i in ans[:, 1]),
                tuple(sorted({int(t) - op.t_ms for t in ans[:, 0]})),
                frozenset(int(i) for i in echo[:, 1]),
            )
        )
    return res


def rows_to_spiketrains(
    rows: Mapping[str, NDArray[np.int64]], network: Network, t_stop_ms: int
) -> dict[str, object]:
    """Convert ``{population: rows (time_ms, index)}`` to ``{population: neurotypes.SpikeTrains}`` (seconds).

    Parameters
    ----------
    rows : mapping of str to array_like of int, shape (n, 2)
        Spikes per population, as :func:`run_schedule` returns them.
    network : Network
        The network that produced them (population sizes).
    t_stop_ms : int
        End of the recording (ms), >= 0.

    Returns
    -------
    dict of str to neurotypes.SpikeTrains
        Times in seconds (ms / 1000, exact on the 1-ms grid).

    Raises
    ------
    TypeError, ValueError
        If ``rows`` is not a mapping of known populations to integer rows, or ``t_stop_ms`` < 0.

    Examples
    --------
    >>> from ca3_cam import build_network, run_schedule, testbench
    >>> net = build_network(5, 10)
    >>> trains = rows_to_spiketrains(run_schedule(net, testbench.functional()), net, 90)
    >>> trains["Output"].unit_times(0).tolist()
    [0.005, 0.007, 0.035, 0.056]
    """
    from neurotypes import SpikeTrains
    from neurotypes.validation import check_array, check_int

    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network (build_network), got {type(network).__name__}")
    if not isinstance(rows, Mapping):
        raise TypeError(
            f"rows must be a mapping population -> rows (time_ms, index), got {type(rows).__name__}"
        )
    t_stop_ms = check_int("t_stop_ms", t_stop_ms, minimum=0)
    names = {p.name for p in network.populations}
    out: dict[str, object] = {}
    for name, r in rows.items():
        if name not in names:
            raise ValueError(f"rows: unknown population {name!r} (known: {sorted(names)})")
        r = check_array(f"rows[{name!r}]", r, dtype="int")
        if r.size and (r.ndim != 2 or r.shape[1] != 2):
            raise ValueError(f"rows[{name!r}] must be rows (time_ms, index), got shape {r.shape}")
        r = r.astype(np.int64).reshape(-1, 2)
        size = network.population(name).size
        out[name] = SpikeTrains(r[:, 0] / 1000.0, r[:, 1], n_units=size, t_stop=max(t_stop_ms, 1) / 1000.0)
    return out


def _check_engine(engine: object) -> str:
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    return str(engine)


def run_schedule(
    network: Network, schedule: Schedule, engine: str = "numpy", *, progress: bool = False
) -> dict[str, NDArray[np.int64]]:
    """Run ``schedule`` on a fresh ``network`` with ``engine``; spikes as ``{population: rows (time_ms, i)}``.

    Parameters
    ----------
    network : Network
        From :func:`build_network`, with the schedule's sizes.
    schedule : Schedule
        The operations (see :mod:`ca3_cam.testbench` and :func:`ca3_cam.data.read_schedule`).
    engine : {"numpy", "nest", "spinnaker"}
        The numpy engine, or a PyNN backend (extras ``nest``/``spinnaker``).
    progress : bool, default False
        Show a progress bar over the simulated milliseconds (numpy engine).

    Returns
    -------
    dict of str to ndarray of int64, shape (n, 2)
        Spikes ``(time_ms, index)`` of every population (``Input``, the eight CA3 populations, ``Output``).

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type, the sizes differ or ``engine`` is unknown.

    Examples
    --------
    >>> from ca3_cam import build_network, testbench
    >>> rows = run_schedule(build_network(5, 10), testbench.functional())
    >>> rows["Output"][:3].tolist()
    [[5, 0], [5, 5], [5, 6]]
    """
    from neurotypes.validation import check_bool

    engine = _check_engine(engine)
    progress = check_bool("progress", progress)
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network (build_network), got {type(network).__name__}")
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a Schedule, got {type(schedule).__name__}")
    if (schedule.n_cues, schedule.n_content) != (network.n_cues, network.n_content):
        raise ValueError(
            f"schedule is for {schedule.n_cues} cues x {schedule.n_content} bits, network for "
            f"{network.n_cues} x {network.n_content}"
        )
    if engine == "numpy":
        return NumpySimulator(network).run(schedule.input_spikes(), schedule.t_stop_ms, progress=progress)
    from ca3_cam.pynn_engine import run_pynn

    return run_pynn(engine, network, schedule.input_spikes(), schedule.t_stop_ms)


class CA3CAM:
    """A spiking CA3 content-addressable memory (Casanueva-Morato et al. 2024).

    Parameters
    ----------
    n_cues : int
        Number of cues (one-hot addresses), >= 1.
    n_content : int
        Number of content bits, >= 1.
    params : CA3Params, optional
        Network parameters; the published ones by default.
    engine : {"numpy", "nest", "spinnaker"}
        ``"numpy"``: the package's exact 1-ms simulator (state carries over between operations);
        ``"nest"``/``"spinnaker"``: PyNN backends (extras ``nest``/``spinnaker``); each recall re-runs the
        whole operation history on a freshly built network.
    spacing_ms : int
        Time given to each operation (ms); 14 by default, as in the paper's stress test.

    Examples
    --------
    >>> mem = CA3CAM(n_cues=5, n_content=10)
    >>> mem.learn(0, {0, 1, 8, 9}).learn(4, {1, 5, 6})
    CA3CAM(n_cues=5, n_content=10, engine='numpy', operations=2)
    >>> sorted(mem.recall_by_cue(0))
    [0, 1, 8, 9]
    >>> sorted(mem.recall_by_content({1}))
    [0, 4]
    """

    def __init__(
        self,
        n_cues: int,
        n_content: int,
        params: CA3Params | None = None,
        engine: str = "numpy",
        spacing_ms: int = RECOMMENDED_SPACING_MS,
    ) -> None:
        self.network = build_network(n_cues, n_content, params)
        self.n_cues, self.n_content = self.network.n_cues, self.network.n_content
        self.engine = _check_engine(engine)
        if isinstance(spacing_ms, bool) or not isinstance(spacing_ms, int) or spacing_ms < 8:
            raise ValueError(
                f"spacing_ms must be an int >= 8 (an answer comes 6 ms after the query), got {spacing_ms!r}"
            )
        self.spacing_ms = spacing_ms
        self.operations_: list[Operation] = []
        self._sim = NumpySimulator(self.network) if self.engine == "numpy" else None
        self._rows: dict[str, list[NDArray[np.int64]]] = {p.name: [] for p in self.network.populations}

    def __repr__(self) -> str:
        return (
            f"CA3CAM(n_cues={self.n_cues}, n_content={self.n_content}, engine={self.engine!r}, "
            f"operations={len(self.operations_)})"
        )

    # ------------------------------------------------------------------------------------ operations
    @property
    def t_ms(self) -> int:
        """The model time (ms) at which the next operation starts."""
        return len(self.operations_) * self.spacing_ms

    def _apply(self, op: Operation) -> Answer | None:
        self.operations_.append(op)
        if self._sim is not None:
            rows = self._sim.run(op.input_spikes(self.n_cues), self.spacing_ms)
            for k, v in rows.items():
                self._rows[k].append(v)
            out_rows = rows["Output"]
        else:
            sched = self.schedule()
            all_rows = run_schedule(self.network, sched, self.engine)
            self._rows = {k: [v] for k, v in all_rows.items()}
            out_rows = all_rows["Output"]
        if op.kind == "learn":
            return None
        single = Schedule(
            self.n_cues, self.n_content, (op,), t_stop_ms=op.t_ms + self.spacing_ms, warn_spacing=False
        )
        return decode_answers(single, out_rows)[0]

    def learn(self, cue: int, content_bits: object) -> CA3CAM:
        """Store (or overwrite) the association ``cue -> content_bits`` in one shot; returns ``self``.

        ``content_bits``: an int, an iterable of ints or a ``neurotypes.SDR`` with ``n == n_content``.
        Re-learning a cue replaces its content (the network forgets the old bits).
        """
        c = as_cue(cue, self.n_cues)
        bits = as_bits(content_bits, self.n_content, "content_bits")
        self._apply(Operation("learn", self.t_ms, c, bits))
        return self

    def recall_by_cue(self, cue: int) -> set[int]:
        """The content bits stored under ``cue`` (read from the Output layer 6 ms after the query)."""
        c = as_cue(cue, self.n_cues)
        ans = self._apply(Operation("recall_cue", self.t_ms, c))
        return set(ans.answer) if ans is not None else set()

    def recall_by_content(self, bits: object) -> set[int]:
        """Every cue whose content shares at least one bit with ``bits`` (any fragment of a memory)."""
        b = as_bits(bits, self.n_content)
        ans = self._apply(Operation("recall_content", self.t_ms, None, b))
        return set(ans.answer) if ans is not None else set()

    def schedule(self) -> Schedule:
        """The operations so far as a :class:`Schedule`."""
        return Schedule(
            self.n_cues,
            self.n_content,
            tuple(self.operations_),
            t_stop_ms=max(self.t_ms, 8),
            warn_spacing=False,
        )

    def run(self, schedule: Schedule) -> dict[str, object]:
        """Run ``schedule`` on a fresh copy of the network (this memory is untouched).

        Returns
        -------
        dict[str, neurotypes.SpikeTrains]
            Spikes of every population (``Input``, the eight CA3 populations, ``Output``), times in seconds.
        """
        if not isinstance(schedule, Schedule):
            raise TypeError(f"schedule must be a Schedule, got {type(schedule).__name__}")
        rows = run_schedule(self.network, schedule, self.engine)
        return rows_to_spiketrains(rows, self.network, schedule.t_stop_ms)

    def spike_trains(self) -> dict[str, object]:
        """All spikes of this memory's history, ``{population: neurotypes.SpikeTrains}`` (seconds)."""
        rows = {k: (np.concatenate(v) if v else np.zeros((0, 2), np.int64)) for k, v in self._rows.items()}
        return rows_to_spiketrains(rows, self.network, max(self.t_ms, 1))

    # ---------------------------------------------------------------------------------- introspection
    def weights(self) -> dict[str, NDArray[np.float64]]:
        """The plastic (memory) weights in nA: ``cue_to_content`` [c, m] and ``content_to_cue`` [m, c].

        Only the numpy engine keeps weights between operations.
        """
        if self._sim is None:
            raise RuntimeError(f"weights() needs the numpy engine; this memory runs on {self.engine!r}")
        w = self._sim.weights()
        return {
            "cue_to_content": w["CA3cueCueRecall->CA3contCueRecall:stdp"],
            "content_to_cue": w["CA3contContRecall->CA3cueContRecall:stdp"],
        }

    def n_neurons(self, *, internal_only: bool = True) -> int:
        """Neurons of the eight CA3 populations (``3c + 4m + 1``), or all neurons with ``internal_only=False``."""
        if internal_only:
            return self.network.n_internal_neurons()
        return sum(p.size for p in self.network.populations if p.neuron is not None)

    def n_synapses(self, *, internal_only: bool = False) -> int:
        """Synapses counted from the built connection lists."""
        return self.network.n_synapses(internal_only=internal_only)
