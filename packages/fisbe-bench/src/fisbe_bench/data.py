"""The package's data: what ships in the wheel, and where the real FISBe sample (not shipped) is found.

Shipped (``data/official/``, see its ``SOURCE.md``):

- unchanged from Kainmueller-Lab/evaluate-instance-segmentation at commit cc34f4d (MIT): the official
  output for the real image R14A02-20180905_65_A6, the official 23-image summary of FISBe's test split
  (``summary_brainbow_combined.csv``) and FISBe's lists of completely / partly labelled samples;
- ``evalinstseg_cases.json``: small 2-D / 3-D cases and the synthetic cases A and B with the official
  evaluator's complete output for each (made with ``tools/make_official_cases.py``).

Not shipped: two real FISBe images with baseline segmentations (about 14 MB, CC BY 4.0).  They are named
by a folder (``--data DIR`` / ``data_dir=``) or the environment variable :data:`DATA_ENV`; the synthetic
generators live in :mod:`fisbe_bench.synth`, the file readers in :mod:`fisbe_bench.io`.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import json
import os
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurotypes.validation import check_int

__all__ = [
    "DATA_ENV",
    "HOW_TO_GET",
    "PRED_KEY",
    "R14A02_TOML",
    "REAL_IMAGES",
    "SUMMARY_23",
    "array_sha256",
    "decode_runs",
    "evalinstseg_cases",
    "fisbe_split",
    "missing_sample_files",
    "official_text",
    "r14a02_official",
    "read_summary_csv",
    "sample_dir",
]

#: The two real FISBe images of the sample (ground truth ``<name>.zarr``, prediction ``pred/<name>.hdf``).
REAL_IMAGES: tuple[str, str] = ("R14A02-20180905_65_A6", "VT011145-20171222_63_I2")
#: Key of the GMM colour-baseline segmentation in the sample's HDF5 predictions.
PRED_KEY = "volumes/gmm_label_cleaned"
#: Environment variable naming the folder of the real FISBe sample.
DATA_ENV = "FISBE_SAMPLE_DIR"
#: Where the real sample can be had (said whenever it is missing).
HOW_TO_GET = (
    "get the two-image FISBe sample (about 14 MB: <name>.zarr ground truth and pred/<name>.hdf) from the "
    "neurozoo repository (packages/fisbe-bench/tests/data/fisbe-sample) or from "
    "Kainmueller-Lab/evaluate-instance-segmentation (tests/gt/<name>.zarr at commit fdea924, "
    f"tests/pred/<name>.hdf at cc34f4d), then pass --data DIR or set {DATA_ENV}=DIR"
)

#: The official FlyLight-preset output for R14A02-20180905_65_A6.
R14A02_TOML = "R14A02-20180905_65_A6_volumes_gmm_label_cleaned_cldice_greedy_rm800.toml"
#: The official summary of the 23 test-split images (per-image rows, ``mean``, ``sum``, ``avg_inst``).
SUMMARY_23 = "summary_brainbow_combined.csv"
#: FISBe's sample lists per split.
SPLIT_LIST = "sample_list_per_split.txt"

#: The official evaluator's output for small cases (2-D, 3-D, the synthetic cases A and B).
CASES_JSON = "evalinstseg_cases.json"

_FILES = (
    R14A02_TOML,
    SUMMARY_23,
    SPLIT_LIST,
    CASES_JSON,
    "summary.csv",
    "SOURCE.md",
    "LICENSE-evaluator.txt",
)


def _read_text(source: Any, name: str) -> str:
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"{name} must be a path, got {type(source).__name__}")
    p = Path(source)
    if not p.is_file():
        raise FileNotFoundError(f"{name} is not a file: {p}")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{p} is not a text file") from None


def official_text(name: str) -> str:
    """Text of one shipped file (one of ``R14A02_TOML``, ``SUMMARY_23``, ``summary.csv``, ...).

    Raises
    ------
    ValueError
        If ``name`` is not a shipped file.
    """
    if not isinstance(name, str) or name not in _FILES:
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
    text = official_text(SUMMARY_23) if source is None else _read_text(source, "source")
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
            raise ValueError(
                f"{source or SUMMARY_23}: row {r[0]!r} has {len(r) - 1} values for {len(cols)} columns"
            )
        try:
            rows.append((r[0], {c: float(v) for c, v in zip(cols, r[1:], strict=True)}))
        except ValueError:
            raise ValueError(
                f"{source or SUMMARY_23}: row {r[0]!r} holds a value that is not a number"
            ) from None
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
    text = official_text(SPLIT_LIST) if source is None else _read_text(source, "source")
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


@cache
def _cases_json() -> dict[str, Any]:
    out: dict[str, Any] = json.loads(official_text(CASES_JSON))
    return out


def evalinstseg_cases() -> dict[str, Any]:
    """The official evaluator's recorded output for small cases (``evalinstseg_cases.json``).

    Returns
    -------
    dict
        ``provenance`` (how the numbers were made), ``cases`` (name -> ``options``, run-length coded ``gt`` and
        ``pred`` (see :func:`decode_runs`), ``official`` metrics) and ``synthetic`` (name -> ``case`` ("A", "B",
        "A_channels"), ``options``, ``gt_sha256`` / ``pred_sha256`` of the arrays of :mod:`fisbe_bench.synth`
        (see :func:`array_sha256`), ``official`` metrics).
    """
    return json.loads(json.dumps(_cases_json()))  # a copy the caller may change


def decode_runs(encoded: dict[str, Any]) -> NDArray[Any]:
    """Array of a run-length coded label image: ``{"shape", "dtype", "runs": [[start, length, value], ...]}``."""
    if not isinstance(encoded, dict):
        raise TypeError(f"encoded must be a dict, got {type(encoded).__name__}")
    for key in ("shape", "dtype", "runs"):
        if key not in encoded:
            raise ValueError(f"encoded must hold 'shape', 'dtype' and 'runs'; {key!r} is missing")
    shape = tuple(check_int("encoded shape entries", v, minimum=0) for v in encoded["shape"])
    dtype = np.dtype(encoded["dtype"])
    if dtype.kind not in "iub":
        raise ValueError(f"encoded dtype must be an integer or boolean dtype, got {dtype}")
    size = int(np.prod(shape))
    if size > 2**28:
        raise ValueError(f"encoded shape {shape} is too large for a recorded case")
    flat = np.zeros(size, dtype=dtype)
    for run in encoded["runs"]:
        start, length, value = (check_int("encoded runs", v) for v in run)
        if start < 0 or length < 0 or start + length > size:
            raise ValueError(f"encoded run {run} lies outside an array of {size} elements")
        flat[start : start + length] = value
    return flat.reshape(shape)


def array_sha256(arr: NDArray[Any]) -> str:
    """SHA-256 of an array's dtype, shape and C-order bytes (identifies the synthetic cases' arrays)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"arr must be a numpy array, got {type(arr).__name__}")
    a = np.ascontiguousarray(arr)
    return hashlib.sha256(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes()).hexdigest()


def sample_dir(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder of the real FISBe sample: ``data_dir`` if given, else ``$FISBE_SAMPLE_DIR``, else None.

    The sample does not ship in the wheel; nothing looks for it in a source tree.
    """
    if data_dir is not None:
        if not isinstance(data_dir, str | os.PathLike):
            raise TypeError(f"data_dir must be a path, got {type(data_dir).__name__}")
        return Path(data_dir)
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else None


def missing_sample_files(data_dir: str | os.PathLike[str] | None) -> list[str]:
    """The files of the real sample (``<name>.zarr``, ``pred/<name>.hdf``) absent from ``data_dir``."""
    if data_dir is not None and not isinstance(data_dir, str | os.PathLike):
        raise TypeError(f"data_dir must be a path or None, got {type(data_dir).__name__}")
    if data_dir is None:
        return [f"{n}.zarr" for n in REAL_IMAGES] + [f"pred/{n}.hdf" for n in REAL_IMAGES]
    d = Path(data_dir)
    need = [d / f"{n}.zarr" for n in REAL_IMAGES] + [d / "pred" / f"{n}.hdf" for n in REAL_IMAGES]
    return [str(p) for p in need if not p.exists()]
