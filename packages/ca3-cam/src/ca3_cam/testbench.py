"""Testbench generators for the paper's three experiments, and a loader for the authors' JSON testbenches."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ca3_cam.schedule import LEARN_STEPS, Operation, Schedule

__all__ = ["STATE_MAP", "from_reference_json", "functional", "state_map", "stress"]

#: The 4x4 map of states of Experiment 3 (row-major cells are the cues; states are one-hot content bits).
STATE_MAP: tuple[tuple[int, ...], ...] = ((0, 5, 1, 3), (0, 3, 4, 5), (0, 5, 4, 3), (2, 4, 4, 3))


def functional() -> Schedule:
    """Experiment 1 (c = 5, m = 10, 90 ms): learn, recall by cue and by content, forget by re-learning."""
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
    """
    if c < 1 or m < 1:
        raise ValueError(f"c and m must be >= 1, got c={c}, m={m}")
    if c + 1 >= 2**m:
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
    {1, 2, 4}, {3}, {5}, {0} 6 ms apart from 112 ms, 140 ms in all.
    """
    cells = [int(s) for row in grid for s in row]
    if not cells:
        raise ValueError("grid must not be empty")
    if min(cells) < 0:
        raise ValueError(f"grid states must be >= 0, got {min(cells)}")
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

    Raises
    ------
    ValueError
        On a malformed file or spikes that do not form operations.
    """
    try:
        data = json.loads(Path(path).read_text())
        sim_time = int(data["simTime"])
        cue_times = [[int(t) for t in ts] for ts in data["cue"]]
        cont_times = [[int(t) for t in ts] for ts in data["cont"]]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(
            f"{path} is not a testbench (needs simTime, cue, cont lists of ints): {err}"
        ) from err
    c, m = len(cue_times), len(cont_times)
    if c < 1 or m < 1:
        raise ValueError(f"{path}: cue and cont must list at least one input each")
    at: dict[int, tuple[set[int], set[int]]] = {}
    for i, ts in enumerate(cue_times):
        for t in ts:
            at.setdefault(t, (set(), set()))[0].add(i)
    for b, ts in enumerate(cont_times):
        for t in ts:
            at.setdefault(t, (set(), set()))[1].add(b)
    ops: list[Operation] = []
    times = sorted(at)
    k = 0
    while k < len(times):
        t = times[k]
        cues, bits = at[t]
        if len(cues) > 1:
            raise ValueError(f"{path}: more than one cue spikes at {t} ms")
        if cues and bits:
            same = all(at.get(t + d) == (cues, bits) for d in range(1, LEARN_STEPS))
            if not same:
                raise ValueError(
                    f"{path}: a learn at {t} ms must repeat its inputs on {LEARN_STEPS} consecutive ms"
                )
            ops.append(Operation("learn", t, next(iter(cues)), frozenset(bits)))
            k += LEARN_STEPS
            continue
        if cues:
            ops.append(Operation("recall_cue", t, next(iter(cues))))
        else:
            ops.append(Operation("recall_content", t, None, frozenset(bits)))
        k += 1
    return Schedule(c, m, tuple(ops), t_stop_ms=max(sim_time, ops[-1].t_ms + 8), warn_spacing=False)
