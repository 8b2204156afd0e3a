"""Reproduction reports: each claim of a paper, what the paper says, what we measured, and the verdict."""

from __future__ import annotations

import datetime as _dt
import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurotypes._base import SchemaError, atomic_write_bytes

__all__ = ["VERDICTS", "Claim", "Report"]

SCHEMA = "neurotypes.Report"
VERSION = 1

#: The verdict a claim gets by default from ``passed`` (True, False, None).
VERDICTS: dict[bool | None, str] = {
    True: "reproduced",
    False: "not reproduced at this scale",
    None: "not testable offline",
}

JSONValue = str | int | float | bool | None | list[Any] | dict[str, Any]


def _jsonable(name: str, value: Any) -> JSONValue:
    """Convert numpy scalars/arrays and tuples to plain JSON values; refuse what JSON cannot hold."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        if not math.isfinite(f):
            # NaN/inf are legitimate measurements (e.g. a diverged fit); JSON has no literal for them.
            return str(f)
        return f
    if isinstance(value, np.ndarray):
        return [_jsonable(f"{name}[{i}]", v) for i, v in enumerate(value.tolist())]
    if isinstance(value, list | tuple):
        return [_jsonable(f"{name}[{i}]", v) for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{name} keys must be strings, got {type(k).__name__} {k!r}")
            out[k] = _jsonable(f"{name}[{k!r}]", v)
        return out
    raise TypeError(
        f"{name} must be JSON-like (str, number, bool, None, list, dict), got {type(value).__name__}"
    )


def _text(name: str, value: object, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r}")
    if not empty and not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value


@dataclass(frozen=True, init=False)
class Claim:
    """One claim of a paper and its measured outcome.

    Parameters
    ----------
    name : str
        Short name of the claim (e.g. ``"false-match probability at n=2048"``).
    paper : str or float
        What the paper reports (a number, or a statement).
    measured : JSON-like
        What we measured: a number, a string, or a small list/dict of numbers. Numpy values are converted.
    criterion : str
        The test that decides ``passed``, fixed before measuring (e.g. ``"|measured - paper| < 1e-3"``).
    passed : bool or None
        True if the criterion holds, False if not, None if the claim cannot be tested offline.
    verdict : str, optional
        Defaults to "reproduced", "not reproduced at this scale" or "not testable offline" from ``passed``.
    figures : sequence of str
        Figure paths relative to the report folder.
    notes : str
        Anything a reader needs to judge the verdict (scale, deviations, reasons).
    """

    name: str
    paper: JSONValue
    measured: JSONValue
    criterion: str
    passed: bool | None
    verdict: str
    figures: tuple[str, ...] = field(default=())
    notes: str = ""

    def __init__(
        self,
        name: str,
        paper: Any,
        measured: Any,
        criterion: str,
        passed: bool | np.bool_ | None,
        verdict: str | None = None,
        figures: Iterable[str] = (),
        notes: str = "",
    ) -> None:
        object.__setattr__(self, "name", _text("name", name))
        object.__setattr__(self, "paper", _jsonable("paper", paper))
        object.__setattr__(self, "measured", _jsonable("measured", measured))
        object.__setattr__(self, "criterion", _text("criterion", criterion))
        if passed is not None and not isinstance(passed, bool | np.bool_):
            raise TypeError(f"passed must be True, False or None, got {type(passed).__name__} {passed!r}")
        ok = None if passed is None else bool(passed)
        object.__setattr__(self, "passed", ok)
        object.__setattr__(self, "verdict", VERDICTS[ok] if verdict is None else _text("verdict", verdict))
        if isinstance(figures, str):
            raise TypeError("figures must be a sequence of paths, not a single string")
        figs = tuple(str(f) if isinstance(f, os.PathLike) else f for f in figures)
        for i, f in enumerate(figs):
            _text(f"figures[{i}]", f)
            if os.path.isabs(f):
                raise ValueError(
                    f"figures[{i}] must be relative to the report folder, got absolute path {f!r}"
                )
        object.__setattr__(self, "figures", figs)
        object.__setattr__(self, "notes", _text("notes", notes, empty=True))

    def to_dict(self) -> dict[str, Any]:
        """The claim as a JSON-ready dict."""
        return {
            "name": self.name,
            "paper": self.paper,
            "measured": self.measured,
            "criterion": self.criterion,
            "passed": self.passed,
            "verdict": self.verdict,
            "figures": list(self.figures),
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Claim:
        """Inverse of :meth:`to_dict`."""
        missing = [k for k in ("name", "paper", "measured", "criterion", "passed") if k not in d]
        if missing:
            raise ValueError(f"claim is missing field(s) {missing}")
        return cls(
            d["name"],
            d["paper"],
            d["measured"],
            d["criterion"],
            d["passed"],
            verdict=d.get("verdict"),
            figures=d.get("figures", ()),
            notes=d.get("notes", ""),
        )


def _fmt(value: JSONValue) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(", ", ": "), default=str)
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


@dataclass(frozen=True, init=False)
class Report:
    """A package's reproduction report: its claims with paper vs measured values and verdicts.

    Parameters
    ----------
    package : str
        Distribution name (e.g. ``"sdr-dendrites"``).
    version : str
        The package version that measured the claims.
    claims : sequence of Claim
        At least one claim, with unique names.
    created : str, optional
        ISO 8601 time; defaults to now (UTC).
    params : dict, optional
        Settings of the run (quick/full, seeds, sizes), JSON-like.

    Examples
    --------
    >>> r = Report("demo", "0.1.0", [Claim("x", 1.0, 1.02, "|m - p| < 0.05", True)])
    >>> r.claims[0].verdict
    'reproduced'
    >>> "| x | 1 | 1.02 |" in r.to_markdown()
    True
    """

    package: str
    version: str
    claims: tuple[Claim, ...]
    created: str
    params: dict[str, Any]

    def __init__(
        self,
        package: str,
        version: str,
        claims: Iterable[Claim],
        created: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        object.__setattr__(self, "package", _text("package", package))
        object.__setattr__(self, "version", _text("version", version))
        items = tuple(claims)
        if not items:
            raise ValueError("claims must hold at least one Claim")
        for i, c in enumerate(items):
            if not isinstance(c, Claim):
                raise TypeError(f"claims[{i}] must be a Claim, got {type(c).__name__}")
        names = [c.name for c in items]
        dup = [n for n in names if names.count(n) > 1]
        if dup:
            raise ValueError(f"claims must have unique names, {dup[0]!r} appears more than once")
        object.__setattr__(self, "claims", items)
        if created is None:
            created = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
        else:
            _text("created", created)
            try:
                _dt.datetime.fromisoformat(created)
            except ValueError:
                raise ValueError(f"created must be an ISO 8601 time, got {created!r}") from None
        object.__setattr__(self, "created", created)
        p = _jsonable("params", dict(params or {}))
        object.__setattr__(self, "params", p)

    @property
    def n_passed(self) -> int:
        """Number of claims reproduced."""
        return sum(c.passed is True for c in self.claims)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (with schema name and version)."""
        return {
            "schema": SCHEMA,
            "schema_version": VERSION,
            "package": self.package,
            "version": self.version,
            "created": self.created,
            "params": self.params,
            "claims": [c.to_dict() for c in self.claims],
        }

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Report:
        """Read a report from JSON text written by :meth:`to_json`."""
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"text is not valid JSON: {exc}") from exc
        if not isinstance(d, dict):
            raise ValueError("text must hold a JSON object")
        schema = d.get("schema", SCHEMA)
        if schema != SCHEMA:
            raise SchemaError(f"JSON holds schema {schema!r}, not {SCHEMA!r}")
        version = d.get("schema_version", 1)
        if not isinstance(version, int) or version < 1:
            raise SchemaError(f"invalid report schema_version {version!r}")
        if version > VERSION:
            raise SchemaError(
                f"report schema version {version} is newer than the version {VERSION} this neurotypes reads; "
                "upgrade neurotypes"
            )
        for key in ("package", "version", "claims"):
            if key not in d:
                raise ValueError(f"report JSON is missing field {key!r}")
        return cls(
            d["package"],
            d["version"],
            [Claim.from_dict(c) for c in d["claims"]],
            created=d.get("created"),
            params=d.get("params"),
        )

    def to_markdown(self) -> str:
        """The report as a Markdown section: a table of claims, then notes and figures."""
        lines = [
            f"## {self.package} {self.version}",
            "",
            f"Created {self.created}. {self.n_passed} of {len(self.claims)} claims reproduced.",
            "",
            "| claim | paper | measured | criterion | verdict | figures |",
            "|---|---|---|---|---|---|",
        ]
        for c in self.claims:
            figs = " ".join(f"[{Path(f).name}]({f})" for f in c.figures)
            cells = [c.name, _fmt(c.paper), _fmt(c.measured), c.criterion, c.verdict, figs]
            lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
        noted = [c for c in self.claims if c.notes]
        if noted:
            lines += ["", "Notes:", ""]
            lines += [f"- **{c.name}**: {c.notes}" for c in noted]
        if self.params:
            lines += ["", f"Settings: `{json.dumps(self.params, default=str)}`"]
        figures = [f for c in self.claims for f in c.figures]
        if figures:
            lines += [""]
            lines += [f"![{Path(f).stem}]({f})" for f in dict.fromkeys(figures)]
        return "\n".join(lines) + "\n"

    def write(self, out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write ``report.json`` and ``report.md`` into ``out_dir`` (created if needed), atomically.

        Returns
        -------
        (Path, Path)
            The JSON and Markdown paths.
        """
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        js = atomic_write_bytes(folder / "report.json", self.to_json().encode())
        md = atomic_write_bytes(folder / "report.md", self.to_markdown().encode())
        return js, md

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the report as JSON to ``path``, atomically."""
        return atomic_write_bytes(path, self.to_json().encode())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Report:
        """Read a report written by :meth:`save` or :meth:`write` (``report.json``)."""
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"no file at path {str(p)!r}")
        return cls.from_json(p.read_text(encoding="utf-8"))
