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

__all__ = [
    "RECORDINGS",
    "load_network_config",
    "load_recording",
    "parse_recording_csv",
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

    Raises
    ------
    ValueError
        If the header lacks a column or a cell is malformed.
    """
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
    """The SpiNNaker recording of experiment 1, 2 or 3 as ``{population: rows (time_ms, index)}``."""
    if experiment not in RECORDINGS:
        raise ValueError(f"experiment must be one of {sorted(RECORDINGS)}, got {experiment!r}")
    name, c, _, _ = RECORDINGS[experiment]
    return parse_recording_csv(_data_dir() / name, c)


def reference_testbench_path(name: str) -> Path:
    """Path of a shipped authors' testbench: ``"tb1"`` (30 operations) or ``"tb2"`` (Experiment 2)."""
    files = {"tb1": "tb1_piramidal_input_spikes.json", "tb2": "tb2_piramidal_cont_input_spikes.json"}
    if name not in files:
        raise ValueError(f"name must be one of {sorted(files)}, got {name!r}")
    return _data_dir() / files[name]


def load_network_config() -> dict[str, object]:
    """The authors' ``network_config.json`` (neuron and synapse parameters), for cross-checks."""
    with open(_data_dir() / "network_config.json") as fh:
        return dict(json.load(fh))
