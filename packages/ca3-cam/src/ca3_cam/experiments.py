"""The schedules of the paper's three experiments, and readers of the authors' JSON testbenches (``ca3_cam.testbench``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ca3_cam.schedule import LEARN_STEPS, Operation, Schedule

__all__ = [
    "STATE_MAP",
    "from_reference_json",
    "functional",
    "schedule_from_input_times",
    "state_map",
    "stress",
]

#: The 4x4 map of states of Experiment 3 (row-major cells are the cues; states are one-hot content bits).
STATE_MAP: tuple[tuple[int, ...], ...] = ((0, 5, 1, 3), (0, 3, 4, 5), (0, 5, 4, 3), (2, 4, 4, 3))


def functional() -> Schedule:
    """Experiment 1 (c = 5, m = 10, 90 ms): learn, recall by cue and by content, forget by re-learning.

    Returns
    -------
    Schedule
        Nine operations 10 ms apart from 0 ms, as recorded on SpiNNaker.

    Examples
    --------
    >>> s = functional()
    >>> len(s), s.t_stop_ms
    (9, 90)
    """
    ops = (
        Operation("learn", 0, 0, frozenset({0, 1, 8, 9})),
        Operation("learn", 10, 4, frozenset({1, 5, 6})),
        Operation("learn", 20, 3, frozenset({4, 5, 6})),
        Operation("recall_cue", 30, 0),
        Operation("recall_content", 40, None, frozenset({6})),
        Operation("recall_content", 50, None, frozenset({0, 4})),
        Operation("learn", 60, 3, frozenset({1, 3, 4, 8})),
        Operation("recall_cue", 70, 3),
        Operation("recall_content", 80, None, frozenset({6})),
    )
    return Schedule(5, 10, ops, t_stop_ms=90, warn_spacing=False)


def _code(value: int, m: int) -> frozenset[int]:
    return frozenset(k for k in range(m) if (value >> k) & 1)


def stress(c: int = 5, m: int = 10, spacing_ms: int = 14, t0_ms: int = 1) -> Schedule:
    """Experiment 2: binary codes, recalls, single-bit probes; then complements; then the originals again.

    Cue ``i`` learns the binary code of ``i + 1`` (bit 0 on content neuron 0); every cue is recalled and every
    content bit probed alone; each cue then re-learns the complement of its code within the ``m`` bits
    (recalls and probes repeated), then its original code (recalls and probes repeated):
    ``3 (2c + m)`` operations, ``spacing_ms`` apart from ``t0_ms`` (60 x 14 ms from 1 ms by default, as
    recorded).

    Parameters
    ----------
    c : int, default 5
        Number of cues, >= 1, with ``c + 1 < 2**m``.
    m : int, default 10
        Number of content bits, >= 1.
    spacing_ms : int, default 14
        Time between operations, >= 3 (a warning below 14).
    t0_ms : int, default 1
        Time of the first operation, >= 0.

    Returns
    -------
    Schedule

    Raises
    ------
    ValueError, TypeError
        If an argument breaks its rule.

    Examples
    --------
    >>> s = stress()
    >>> len(s), s.operations[2].bits
    (60, frozenset({0, 1}))
    """
    from neurotypes.validation import check_int

    c = check_int("c", c, minimum=1)
    m = check_int("m", m, minimum=1)
    spacing_ms = check_int("spacing_ms", spacing_ms, minimum=1)
    t0_ms = check_int("t0_ms", t0_ms, minimum=0)
    if m < 64 and c + 1 >= 2**m:
        raise ValueError(
            f"the binary code of c must fit in m bits with a non-empty complement, got c={c}, m={m}"
        )
    if spacing_ms < LEARN_STEPS:
        raise ValueError(f"spacing_ms must be >= {LEARN_STEPS}, got {spacing_ms}")
    codes = [_code(i + 1, m) for i in range(c)]
    full = frozenset(range(m))
    phases = [codes, [full - s for s in codes], codes]
    ops: list[Operation] = []
    t = t0_ms
    for contents in phases:
        for i, s in enumerate(contents):
            ops.append(Operation("learn", t, i, s))
            t += spacing_ms
        for i in range(c):
            ops.append(Operation("recall_cue", t, i))
            t += spacing_ms
        for b in range(m):
            ops.append(Operation("recall_content", t, None, frozenset({b})))
            t += spacing_ms
    return Schedule(c, m, tuple(ops), t_stop_ms=t + 10, warn_spacing=spacing_ms < 14)


def state_map(
    grid: Sequence[Sequence[int]] = STATE_MAP,
    queries: Sequence[set[int] | frozenset[int]] = ({1, 2, 4}, {3}, {5}, {0}),
    learn_spacing_ms: int = 7,
    query_spacing_ms: int = 6,
) -> Schedule:
    """Experiment 3: every cell of a map learns its state (one-hot), then content queries find the cells.

    Defaults are the recorded run: a 4x4 map (16 cues, 6 states), learns 7 ms apart from 0 ms, the queries
    {1, 2, 4}, {3}, {5}, {0} 6 ms apart from 112 ms (the recording covers 0-139 ms; the schedule runs on to
    10 ms after the last query, 146 ms).

    Parameters
    ----------
    grid : sequence of sequences of int
        The state (>= 0) of every cell; cells are cues, row-major.
    queries : sequence of sets of int
        The states looked up, one recall by content each (non-empty).
    learn_spacing_ms : int, default 7
        Time between learns, >= 3.
    query_spacing_ms : int, default 6
        Time between queries, >= 1.

    Returns
    -------
    Schedule

    Raises
    ------
    ValueError, TypeError
        If an argument breaks its rule.

    Examples
    --------
    >>> s = state_map()
    >>> s.n_cues, s.n_content, s.t_stop_ms
    (16, 6, 146)
    """
    from neurotypes.validation import check_int

    learn_spacing_ms = check_int("learn_spacing_ms", learn_spacing_ms, minimum=LEARN_STEPS)
    query_spacing_ms = check_int("query_spacing_ms", query_spacing_ms, minimum=1)
    if isinstance(grid, str | bytes) or not isinstance(grid, Sequence):
        raise TypeError("grid must be a sequence of rows of state indices")
    cells = [check_int(f"grid[{i}]", s, minimum=0) for i, row in enumerate(grid) for s in row]
    if not cells:
        raise ValueError("grid must not be empty")
    if isinstance(queries, str | bytes) or not isinstance(queries, Sequence):
        raise TypeError("queries must be a sequence of sets of states")
    for i, q in enumerate(queries):
        if not q:
            raise ValueError(f"queries[{i}] must not be empty")
        for b in q:
            check_int(f"queries[{i}]", b, minimum=0)
    m = max(max(cells) + 1, *(max(q) + 1 for q in queries)) if queries else max(cells) + 1
    ops = [Operation("learn", k * learn_spacing_ms, k, frozenset({s})) for k, s in enumerate(cells)]
    t = len(cells) * learn_spacing_ms
    for q in queries:
        ops.append(Operation("recall_content", t, None, frozenset(q)))
        t += query_spacing_ms
    return Schedule(len(cells), m, tuple(ops), t_stop_ms=t + 10, warn_spacing=False)


def from_reference_json(path: str | Path) -> Schedule:
    """Read the authors' testbench format (``tb/*.txt``: ``simTime``, ``cue``/``cont`` spike times per input).

    A cue spiking with content on three consecutive ms is a learn; a cue alone is a recall by cue; content
    alone is a recall by content.

    Parameters
    ----------
    path : str or path-like
        A JSON file.

    Returns
    -------
    Schedule

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    neurotypes.FormatError
        A malformed file (a ``ValueError`` naming it), or spikes that do not form operations.

    Examples
    --------
    >>> from ca3_cam.data import reference_testbench_path
    >>> len(from_reference_json(reference_testbench_path("tb2")))
    60
    """
    from neurotypes import FormatError
    from neurotypes.validation import check_path

    p = check_path("path", path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        sim_time = int(data["simTime"])
        cue_times = [[int(t) for t in ts] for ts in data["cue"]]
        cont_times = [[int(t) for t in ts] for ts in data["cont"]]
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise FormatError(
            f"file {str(p)!r} is not a testbench (needs simTime, cue, cont lists of ints): {type(err).__name__}: {err}"
        ) from None
    try:
        return schedule_from_input_times(cue_times, cont_times, sim_time)
    except ValueError as err:
        raise FormatError(f"file {str(p)!r}: {err}") from None


def schedule_from_input_times(
    cue_times: Sequence[Sequence[int]], content_times: Sequence[Sequence[int]], t_stop_ms: int
) -> Schedule:
    """Decode the operations of a memory from the spike times (ms) of its cue and content inputs.

    Parameters
    ----------
    cue_times : sequence of sequences of int
        For each of the ``c`` cue inputs, its spike times in ms.
    content_times : sequence of sequences of int
        For each of the ``m`` content inputs, its spike times in ms.
    t_stop_ms : int
        Duration of the run (extended to leave 8 ms after the last operation).

    Returns
    -------
    Schedule
        A cue spiking with content on three consecutive ms is a learn; a cue alone a recall by cue; content alone
        a recall by content.

    Raises
    ------
    ValueError
        No inputs, several cues at once, or a learn whose inputs do not repeat on 3 consecutive ms.

    Examples
    --------
    >>> s = schedule_from_input_times([[0, 1, 2, 20]], [[0, 1, 2], []], 40)
    >>> [(op.kind, op.t_ms) for op in s.operations]
    [('learn', 0), ('recall_cue', 20)]
    """
    from neurotypes.validation import check_int

    t_stop_ms = check_int("t_stop_ms", t_stop_ms, minimum=0)
    c, m = len(cue_times), len(content_times)
    if c < 1 or m < 1:
        raise ValueError("cue_times and content_times must list at least one input each")
    at: dict[int, tuple[set[int], set[int]]] = {}
    for i, ts in enumerate(cue_times):
        for t in ts:
            at.setdefault(check_int(f"cue_times[{i}]", t, minimum=0), (set(), set()))[0].add(i)
    for b, ts in enumerate(content_times):
        for t in ts:
            at.setdefault(check_int(f"content_times[{b}]", t, minimum=0), (set(), set()))[1].add(b)
    if not at:
        raise ValueError("the inputs hold no spike: no operation to run")
    ops: list[Operation] = []
    times = sorted(at)
    k = 0
    while k < len(times):
        t = times[k]
        cues, bits = at[t]
        if len(cues) > 1:
            raise ValueError(f"more than one cue spikes at {t} ms")
        if cues and bits:
            same = all(at.get(t + d) == (cues, bits) for d in range(1, LEARN_STEPS))
            if not same:
                raise ValueError(f"a learn at {t} ms must repeat its inputs on {LEARN_STEPS} consecutive ms")
            ops.append(Operation("learn", t, next(iter(cues)), frozenset(bits)))
            k += LEARN_STEPS
            continue
        if cues:
            ops.append(Operation("recall_cue", t, next(iter(cues))))
        else:
            ops.append(Operation("recall_content", t, None, frozenset(bits)))
        k += 1
    return Schedule(c, m, tuple(ops), t_stop_ms=max(t_stop_ms, ops[-1].t_ms + 8), warn_spacing=False)
