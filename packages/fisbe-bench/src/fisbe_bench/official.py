"""The official evaluator's published results and FISBe's sample lists, shipped inside the package.

Files (unchanged, MIT, from Kainmueller-Lab/evaluate-instance-segmentation at commit cc34f4d; see
``data/official/SOURCE.md``): the official output for the real image R14A02-20180905_65_A6, its
23-image summary of FISBe's test split (``summary_brainbow_combined.csv``) and FISBe's list of
completely / partly labelled samples per split.
"""

from __future__ import annotations

import csv
import io as _io
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "R14A02_TOML",
    "SUMMARY_23",
    "fisbe_split",
    "official_text",
    "r14a02_official",
    "read_summary_csv",
]

#: The official FlyLight-preset output for R14A02-20180905_65_A6.
R14A02_TOML = "R14A02-20180905_65_A6_volumes_gmm_label_cleaned_cldice_greedy_rm800.toml"
#: The official summary of the 23 test-split images (per-image rows, ``mean``, ``sum``, ``avg_inst``).
SUMMARY_23 = "summary_brainbow_combined.csv"
#: FISBe's sample lists per split.
SPLIT_LIST = "sample_list_per_split.txt"

_FILES = (R14A02_TOML, SUMMARY_23, SPLIT_LIST, "summary.csv", "SOURCE.md", "LICENSE-evaluator.txt")


def official_text(name: str) -> str:
    """Text of one shipped file (one of ``R14A02_TOML``, ``SUMMARY_23``, ``summary.csv``, ...).

    Raises
    ------
    ValueError
        If ``name`` is not a shipped file.
    """
    if name not in _FILES:
        raise ValueError(f"name must be one of {_FILES}, got {name!r}")
    return resources.files("fisbe_bench").joinpath("data", "official", name).read_text(encoding="utf-8")


def r14a02_official() -> dict[str, Any]:
    """The official evaluator's TOML output for R14A02 (FlyLight preset) as a nested dict."""
    return tomllib.loads(official_text(R14A02_TOML))


def read_summary_csv(
    source: str | os.PathLike[str] | None = None,
) -> tuple[list[str], list[tuple[str, dict[str, float]]]]:
    """Read an official ``summary.csv`` (``;``-separated; first column the sample name).

    Parameters
    ----------
    source : path, optional
        A summary file; default: the shipped 23-image summary (:data:`SUMMARY_23`).

    Returns
    -------
    columns, rows
        The metric column names, and ``(name, {column: value})`` per row in file order (the
        dataset rows ``mean``, ``sum``, ``avg_inst`` included).

    Raises
    ------
    ValueError
        If the header does not start with ``sample`` or a row has the wrong number of cells.
    """
    text = official_text(SUMMARY_23) if source is None else Path(source).read_text(encoding="utf-8")
    reader = csv.reader(_io.StringIO(text), delimiter=";")
    lines = [r for r in reader if r]
    if not lines or lines[0][0] != "sample":
        raise ValueError(
            f"{source or SUMMARY_23} is not an official summary (first header cell must be 'sample')"
        )
    cols = lines[0][1:]
    rows = []
    for r in lines[1:]:
        if len(r) != len(cols) + 1:
            raise ValueError(f"row {r[0]!r} has {len(r) - 1} values for {len(cols)} columns")
        rows.append((r[0], {c: float(v) for c, v in zip(cols, r[1:], strict=True)}))
    return cols, rows


def fisbe_split(source: str | os.PathLike[str] | None = None) -> dict[str, tuple[str, bool]]:
    """FISBe's sample lists: sample name -> (split, partly labelled).

    Parameters
    ----------
    source : path, optional
        A file in the format of the evaluator's ``sample_list_per_split.txt`` (sections
        ``(1) samples for FlyLight completely:`` / ``(2) samples for FlyLight partly:``, each with
        ``train:``, ``val:``, ``test:`` lists); default: the shipped copy.

    Raises
    ------
    ValueError
        If the file has no section header before its first sample.
    """
    text = official_text(SPLIT_LIST) if source is None else Path(source).read_text(encoding="utf-8")
    out: dict[str, tuple[str, bool]] = {}
    partly: bool | None = None
    split = ""
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if "samples for FlyLight completely" in line:
            partly = False
        elif "samples for FlyLight partly" in line:
            partly = True
        elif line.endswith(":") and line[:-1] in ("train", "val", "test"):
            split = line[:-1]
        else:
            if partly is None:
                raise ValueError(f"{source or SPLIT_LIST}: sample {line!r} before any section header")
            out[line] = (split, partly)
    return out
