"""Embedded data: the SpiNNaker recordings of the paper's three experiments.

The files under ``ca3_cam/data/spinnaker/`` are spike recordings, input testbenches and the network
configuration from the authors' public repository
(dancasmor/An-aproach-to-a-spike-based-Content-Addressable-Memory-bio-inspired-in-the-Hippocampus, commit
08b415b), GPL-3.0 (``LICENSE-GPL-3.0.txt`` and ``SOURCE.md`` alongside); data only, no code.
"""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ca3_cam.schedule import Operation, Schedule

__all__ = [
    "RECORDINGS",
    "activity_patterns",
    "load_network_config",
    "load_recording",
    "parse_recording_csv",
    "read_schedule",
    "reference_testbench_path",
]

#: Experiment number -> (csv file name, n_cues, n_content, duration in ms).
RECORDINGS: dict[int, tuple[str, int, int, int]] = {
    1: ("1_learn_recall_by_cue_and_cont_forget.csv", 5, 10, 90),
    2: ("2_tb2_piramidal_sequence_cont.csv", 5, 10, 851),
    3: ("3_state_map_app.csv", 16, 6, 140),
}

_COLUMNS = {
    "CA3cueCueRecall": "CA3cueCueRecall",
    "CA3contCueRecall": "CA3contCueRecall",
    "CA3contCond": "CA3contCond",
    "CA3contCondInt": "CA3contCondInt",
    "CA3cueContRecall": "CA3cueContRecall",
    "CA3contContRecall": "CA3contContRecall",
    "CA3MergeCue": "CA3mergeCue",
    "CA3MergeCont": "CA3mergeCont",
}


def _data_dir() -> Path:
    return Path(str(resources.files("ca3_cam") / "data" / "spinnaker"))


def _cell(text: str, column: str, row: int) -> list[int]:
    text = text.strip()
    if text == "-":
        return []
    if not (text.startswith("[") and text.endswith("]")):
        raise ValueError(
            f"recording cell in column {column!r}, row {row} must be '-' or '[i, j, ...]', got {text!r}"
        )
    inner = text[1:-1].strip()
    try:
        return [int(x) for x in inner.split(",")] if inner else []
    except ValueError as err:
        raise ValueError(
            f"recording cell in column {column!r}, row {row} holds a non-integer: {text!r}"
        ) from err


def parse_recording_csv(path: str | Path, n_cues: int) -> dict[str, NDArray[np.int64]]:
    """Read a decoded SpiNNaker recording (one row per ms) into ``{population: rows (time_ms, index)}``.

    ``INcue``/``INcont`` become ``Input`` (content bits offset by ``n_cues``) and ``OUTcue``/``OUTcont``
    become ``Output`` likewise, matching :func:`ca3_cam.build_network`.

    Parameters
    ----------
    path : str or path-like
        A CSV file with the columns ``TimeStamp (ms)``, ``INcue``, ``INcont``, one per CA3 population,
        ``OUTcue`` and ``OUTcont``; each cell a bracketed list of neuron indices.
    n_cues : int
        Number of cues (>= 1): the offset of content bits in ``Input`` and ``Output``.

    Returns
    -------
    dict of str to ndarray of int64, shape (n, 2)

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        If the header lacks a column or a cell is malformed.

    Examples
    --------
    >>> from ca3_cam.data import RECORDINGS, _data_dir
    >>> rows = parse_recording_csv(_data_dir() / RECORDINGS[1][0], 5)
    >>> rows["Output"][:2].tolist()
    [[5, 0], [5, 5]]
    """
    from neurotypes.validation import check_int, check_path

    path = check_path("path", path)
    n_cues = check_int("n_cues", n_cues, minimum=1)
    out: dict[str, list[tuple[int, int]]] = {k: [] for k in [*_COLUMNS.values(), "Input", "Output"]}
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        needed = ["TimeStamp (ms)", "INcue", "INcont", *_COLUMNS, "OUTcue", "OUTcont"]
        if header is None or any(h not in header for h in needed):
            raise ValueError(f"recording {path} must have the columns {needed}, got {header}")
        col = {h: k for k, h in enumerate(header)}
        for r, row in enumerate(reader, start=2):
            if len(row) != len(header):
                raise ValueError(f"recording {path} row {r} has {len(row)} cells, expected {len(header)}")
            t = int(row[col["TimeStamp (ms)"]])
            for h, pop in _COLUMNS.items():
                out[pop].extend((t, i) for i in _cell(row[col[h]], h, r))
            out["Input"].extend((t, i) for i in _cell(row[col["INcue"]], "INcue", r))
            out["Input"].extend((t, n_cues + i) for i in _cell(row[col["INcont"]], "INcont", r))
            out["Output"].extend((t, i) for i in _cell(row[col["OUTcue"]], "OUTcue", r))
            out["Output"].extend((t, n_cues + i) for i in _cell(row[col["OUTcont"]], "OUTcont", r))
    return {k: _sorted(v) for k, v in out.items()}


def _sorted(rows: list[tuple[int, int]]) -> NDArray[np.int64]:
    a = np.asarray(sorted(set(rows)), dtype=np.int64).reshape(-1, 2)
    return a


def load_recording(experiment: int) -> dict[str, NDArray[np.int64]]:
    """The SpiNNaker recording of experiment 1, 2 or 3 as ``{population: rows (time_ms, index)}``.

    Parameters
    ----------
    experiment : {1, 2, 3}
        The paper's experiment.

    Returns
    -------
    dict of str to ndarray of int64, shape (n, 2)
        Spikes of ``Input``, the eight CA3 populations and ``Output``.

    Raises
    ------
    ValueError
        If ``experiment`` is not 1, 2 or 3.

    Examples
    --------
    >>> rec = load_recording(1)
    >>> sum(len(r) for r in rec.values())
    322
    """
    if isinstance(experiment, bool) or experiment not in RECORDINGS:
        raise ValueError(f"experiment must be one of {sorted(RECORDINGS)}, got {experiment!r}")
    name, c, _, _ = RECORDINGS[experiment]
    return parse_recording_csv(_data_dir() / name, c)


def reference_testbench_path(name: str) -> Path:
    """Path of a shipped authors' testbench: ``"tb1"`` (30 operations) or ``"tb2"`` (Experiment 2).

    Parameters
    ----------
    name : {"tb1", "tb2"}
        The testbench.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        If ``name`` is not one of the two.

    Examples
    --------
    >>> reference_testbench_path("tb2").suffix
    '.json'
    """
    files = {"tb1": "tb1_piramidal_input_spikes.json", "tb2": "tb2_piramidal_cont_input_spikes.json"}
    if not isinstance(name, str) or name not in files:
        raise ValueError(f"name must be one of {sorted(files)}, got {name!r}")
    return _data_dir() / files[name]


def load_network_config() -> dict[str, object]:
    """The authors' ``network_config.json`` (neuron and synapse parameters), for cross-checks.

    Returns
    -------
    dict
        The parsed JSON.

    Examples
    --------
    >>> isinstance(load_network_config(), dict)
    True
    """
    with open(_data_dir() / "network_config.json") as fh:
        return dict(json.load(fh))


def _read_operations_csv(path: Path, n_cues: int, n_content: int) -> Schedule:
    from neurotypes import FormatError

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"file {str(path)!r} is not a text table (not UTF-8)") from None
    rows = [r for r in csv.reader(text.splitlines()) if r and any(c.strip() for c in r)]
    if not rows or [c.strip().lower() for c in rows[0]] != ["op", "t_ms", "cue", "bits"]:
        raise FormatError(f"file {str(path)!r}: an operations table needs the header 'op,t_ms,cue,bits'")
    ops: list[Operation] = []
    for r, row in enumerate(rows[1:], start=2):
        if len(row) != 4:
            raise FormatError(f"file {str(path)!r}, row {r}: expected 4 cells (op, t_ms, cue, bits)")
        kind, t, cue, bits = (c.strip() for c in row)
        try:
            cue_i = int(cue) if cue else None
            bit_set = frozenset(int(b) for b in bits.replace(";", " ").split()) if bits else frozenset()
            ops.append(Operation(kind, int(t), cue_i, bit_set))  # type: ignore[arg-type]
        except ValueError:
            raise FormatError(f"file {str(path)!r}, row {r}: t_ms, cue and bits must be integers") from None
    if not ops:
        raise FormatError(f"file {str(path)!r} lists no operation")
    try:
        return Schedule(n_cues, n_content, tuple(ops), t_stop_ms=ops[-1].t_ms + 14, warn_spacing=False)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"file {str(path)!r}: {exc}") from None


def read_schedule(path: str | Path, *, n_cues: int | None = None, n_content: int | None = None) -> Schedule:
    """Read a schedule of memory operations from a file, chosen by its suffix.

    - ``.json``/``.txt``: the authors' testbench format (:func:`ca3_cam.experiments.from_reference_json`);
    - ``.csv``: an operations table with header ``op,t_ms,cue,bits`` (``op`` is ``learn``, ``recall_cue`` or
      ``recall_content``; ``bits`` space-separated content bits; needs ``n_cues`` and ``n_content``);
    - ``.npz`` (neurotypes ``SpikeTrains``) or ``.nwb`` (a Units table): spikes of the ``n_cues + n_content``
      inputs on the 1-ms grid (cues first), decoded into operations
      (:func:`ca3_cam.experiments.schedule_from_input_times`; needs ``n_cues``).

    Parameters
    ----------
    path : str or path-like
        The file.
    n_cues, n_content : int, optional
        Size of the memory (>= 1) where the format does not say it.

    Returns
    -------
    Schedule

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    neurotypes.FormatError
        The file is not what its suffix says (a ``ValueError`` naming it).
    ValueError, TypeError
        A missing or bad ``n_cues``/``n_content``.

    Examples
    --------
    >>> s = read_schedule(reference_testbench_path("tb2"))
    >>> s.n_cues, s.n_content, len(s)
    (5, 10, 60)
    """
    from ca3_cam.experiments import from_reference_json, schedule_from_input_times
    from neurotypes import FormatError, SpikeTrains
    from neurotypes.validation import check_int, check_path

    p = check_path("path", path)
    if n_cues is not None:
        n_cues = check_int("n_cues", n_cues, minimum=1)
    if n_content is not None:
        n_content = check_int("n_content", n_content, minimum=1)
    suffix = p.suffix.lower()
    if suffix in (".json", ".txt"):
        return from_reference_json(p)
    if suffix == ".csv":
        if n_cues is None or n_content is None:
            raise ValueError(
                f"n_cues and n_content: an operations table ({str(p)!r}) needs both (CLI: --cues, --content)"
            )
        return _read_operations_csv(p, n_cues, n_content)
    if suffix in (".npz", ".nwb"):
        if suffix == ".npz":
            import neurotypes

            st = neurotypes.load(p)
            if not isinstance(st, SpikeTrains):
                raise FormatError(
                    f"file {str(p)!r} holds a {type(st).__name__}, not SpikeTrains of the inputs"
                )
        else:
            st = SpikeTrains.from_nwb(p)
        if n_cues is None:
            raise ValueError(
                f"n_cues: the input spikes of {str(p)!r} do not say which inputs are cues (CLI: --cues)"
            )
        if not 0 < n_cues < st.n_units:
            raise ValueError(
                f"n_cues must lie in [1, {st.n_units - 1}] for {st.n_units} inputs, got {n_cues}"
            )
        ms = st.times * 1000.0
        if not np.allclose(ms, np.round(ms), atol=1e-6):
            raise FormatError(f"file {str(p)!r}: input spikes must lie on the 1-ms grid")
        per = [np.round(ms[st.units == u]).astype(np.int64).tolist() for u in range(st.n_units)]
        try:
            return schedule_from_input_times(per[:n_cues], per[n_cues:], round(st.t_stop * 1000.0))
        except ValueError as exc:
            raise FormatError(f"file {str(p)!r}: {exc}") from None
    raise FormatError(
        f"file {str(p)!r}: unknown format {suffix or '(no suffix)'}; ca3-cam reads schedules from .json/.txt "
        "(authors' testbenches), .csv (op,t_ms,cue,bits), .npz and .nwb (input spike trains)"
    )


def activity_patterns(
    spikes: object, bin_size: float, *, max_patterns: int | None = None
) -> tuple[list[frozenset[int]], NDArray[np.float64]]:
    """The distinct co-activity patterns of a recording: memories for the CAM, with the units as content bits.

    The spikes are counted in bins of ``bin_size`` seconds (``SpikeTrains.bin``); each bin in which at least
    one unit fires gives the set of units that fire in it. Distinct sets are kept in the order they first
    occur. Storing pattern ``k`` under cue ``k`` (``CA3CAM(len(patterns), spikes.n_units)``) makes the memory
    answer "in which of these patterns did unit ``u`` take part" (recall by content) and "which units made up
    pattern ``k``" (recall by cue).

    Parameters
    ----------
    spikes : neurotypes.SpikeTrains
        A recording, e.g. from :func:`neurotypes.io.read_spike_trains` (an NWB Units table, any neo format).
    bin_size : float
        Bin width in seconds, > 0.
    max_patterns : int, optional
        Keep at most this many patterns (the first ones), >= 1.

    Returns
    -------
    patterns : list of frozenset of int
        The distinct non-empty sets of co-active units.
    first_s : ndarray of float64
        For each pattern, the start (s) of the first bin that shows it.

    Raises
    ------
    TypeError, ValueError
        If ``spikes`` is not a SpikeTrains, ``bin_size`` is not a positive finite number or ``max_patterns`` < 1.

    Examples
    --------
    >>> from neurotypes import SpikeTrains
    >>> st = SpikeTrains([0.001, 0.002, 0.013, 0.031, 0.032], [0, 1, 1, 0, 1], n_units=2, t_stop=0.04)
    >>> patterns, first_s = activity_patterns(st, 0.01)
    >>> [sorted(p) for p in patterns], first_s.tolist()
    ([[0, 1], [1]], [0.0, 0.01])
    """
    from neurotypes import SpikeTrains
    from neurotypes.validation import check_float, check_int

    if not isinstance(spikes, SpikeTrains):
        raise TypeError(f"spikes must be a neurotypes.SpikeTrains, got {type(spikes).__name__}")
    bin_size = check_float("bin_size", bin_size, positive=True)
    if max_patterns is not None:
        max_patterns = check_int("max_patterns", max_patterns, minimum=1)
    active = spikes.bin(bin_size).counts > 0
    seen: dict[frozenset[int], float] = {}
    for k in np.flatnonzero(active.any(axis=0)):
        pattern = frozenset(int(u) for u in np.flatnonzero(active[:, k]))
        if pattern not in seen:
            seen[pattern] = spikes.t_start + float(k) * bin_size
            if max_patterns is not None and len(seen) == max_patterns:
                break
    return list(seen), np.asarray(list(seen.values()), dtype=np.float64)
