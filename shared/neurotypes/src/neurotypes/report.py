"""Reproduction reports: each claim of a paper, its pre-registered criterion, what was measured, the verdict.

A :class:`Claim` is declared with the paper's statement, the measured values and one or more
:class:`Criterion` legs fixed *before* the run (comparator, threshold or the baseline/control it must beat, the
number of seeds it needs and the rule for their spread). The verdict is **computed** from the measured values,
never typed by hand, and comes from one vocabulary (:data:`VERDICTS`):

``reproduced``
    every leg holds, beyond the spread of seeds where the rule asks for it;
``not reproduced``
    at least one leg fails;
``inconclusive``
    no leg fails but at least one cannot be decided: seeds disagree, the margin lies within ±2 standard errors, or
    fewer seeds were measured than the criterion needs;
``not testable offline``
    a resource the claim needs is missing (the claim names it);
``measured``
    there is nothing to compare with (the paper gives no value): the number is reported.

A :class:`Report` collects the claims of one package's run together with a record of the run (mode, version,
seeds, threads, wall time, machine) and writes ``report.json`` and ``report.md`` so that they cannot disagree.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from neurotypes._base import FileMissingError, FormatError, SchemaError, atomic_write_bytes, atomic_write_pair
from neurotypes.validation import check_float, check_int

__all__ = [
    "COMPARATORS",
    "SPREAD_RULES",
    "VERDICTS",
    "Claim",
    "Criterion",
    "LegResult",
    "Report",
    "format_value",
]

SCHEMA = "neurotypes.Report"
VERSION = 2

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
INCONCLUSIVE = "inconclusive"
NOT_TESTABLE = "not testable offline"
MEASURED = "measured"

#: The verdict vocabulary, in the order reports list totals.
VERDICTS: tuple[str, ...] = (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_TESTABLE, MEASURED)

_PASSED: dict[str, bool | None] = {
    REPRODUCED: True,
    NOT_REPRODUCED: False,
    INCONCLUSIVE: None,
    NOT_TESTABLE: None,
    MEASURED: None,
}

#: Comparators of a criterion: the measured value against the threshold or baseline.
COMPARATORS: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "within")
#: Rules for several seeds: ``each`` (every seed must pass; mixed outcomes are inconclusive), ``mean-2se`` (the
#: mean advantage must clear zero by two standard errors), ``at-least`` (at least ``min_passing`` seeds pass).
SPREAD_RULES: tuple[str, ...] = ("each", "mean-2se", "at-least")

JSONValue = str | int | float | bool | None | list[Any] | dict[str, Any]


def _jsonable(name: str, value: Any, depth: int = 0) -> JSONValue:
    """Convert numpy scalars/arrays and tuples to plain JSON values; refuse what JSON cannot hold."""
    if depth > 32:
        raise ValueError(f"{name} is nested more than 32 levels deep")
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
        return [_jsonable(f"{name}[{i}]", v, depth + 1) for i, v in enumerate(value.tolist())]
    if isinstance(value, list | tuple):
        return [_jsonable(f"{name}[{i}]", v, depth + 1) for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{name} keys must be strings, got {type(k).__name__} {k!r}")
            out[k] = _jsonable(f"{name}[{k!r}]", v, depth + 1)
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


def _as_number(value: Any) -> float:
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        return float(value)
    raise TypeError(f"a criterion's metric must hold numbers, got {type(value).__name__} {value!r}")


def _metric_values(measured: Mapping[str, Any], metric: str) -> list[float]:
    if metric not in measured:
        raise ValueError(f"criterion metric {metric!r} is not a key of measured (keys: {sorted(measured)})")
    value = measured[metric]
    if isinstance(value, list | tuple | np.ndarray):
        values = [_as_number(v) for v in value]
        if not values:
            raise ValueError(f"measured[{metric!r}] is an empty list")
        return values
    return [_as_number(value)]


# ------------------------------------------------------------------------------------------------ criteria


@dataclass(frozen=True, init=False)
class Criterion:
    """One pre-registered, machine-readable test of a claim (one *leg*).

    The measured value ``measured[metric]`` (a number, or a list with one number per seed) is compared with
    either a fixed ``threshold`` or the values of a ``baseline`` metric (the control the paper's claim implies,
    e.g. a bigram model, an ablation, chance), paired seed by seed when both have one value per seed.

    Parameters
    ----------
    metric : str
        Key of the claim's ``measured`` dict holding the value(s) to test.
    comparator : {"<", "<=", ">", ">=", "==", "within"}
        ``metric <comparator> reference``; ``"within"`` means ``|metric - reference| <= tolerance``.
    threshold : float, optional
        A fixed reference value (the paper's number, a chance level, a target).
    baseline : str, optional
        Key of ``measured`` holding the reference (a baseline or control measured in the same run).
    margin : float
        The advantage required beyond the reference, in the metric's units (``metric > reference + margin``,
        ``metric < reference - margin``). Default 0.
    tolerance : float, optional
        For ``"within"`` only: the allowed absolute difference.
    seeds : int
        The number of independent values (seeds) the verdict needs; fewer gives ``inconclusive``.
    spread : {"each", "mean-2se", "at-least"}
        How several seeds decide: ``"each"``: every seed must pass (all fail: not reproduced; mixed:
        inconclusive); ``"mean-2se"``: the mean advantage over seeds must clear zero by two standard errors (falls
        short by two: not reproduced; otherwise inconclusive); ``"at-least"``: at least ``min_passing`` seeds pass.
    min_passing : int, optional
        For ``"at-least"``: how many seeds must pass.

    Examples
    --------
    >>> c = Criterion("ari", ">=", 0.9, seeds=8, spread="at-least", min_passing=7)
    >>> c.describe()
    'ari >= 0.9 in at least 7 of >= 8 seeds'
    >>> c.evaluate({"ari": [0.95] * 7 + [0.6]}).outcome
    'reproduced'
    >>> Criterion("nll", "<", baseline="bigram nll", seeds=3).evaluate(
    ...     {"nll": [2.1, 2.2, 2.0], "bigram nll": [2.15, 2.1, 2.3]}).outcome
    'inconclusive'
    """

    metric: str
    comparator: str
    threshold: float | None
    baseline: str | None
    margin: float
    tolerance: float | None
    seeds: int
    spread: str
    min_passing: int | None

    def __init__(
        self,
        metric: str,
        comparator: Literal["<", "<=", ">", ">=", "==", "within"],
        threshold: float | None = None,
        *,
        baseline: str | None = None,
        margin: float = 0.0,
        tolerance: float | None = None,
        seeds: int = 1,
        spread: Literal["each", "mean-2se", "at-least"] = "each",
        min_passing: int | None = None,
    ) -> None:
        object.__setattr__(self, "metric", _text("metric", metric))
        if comparator not in COMPARATORS:
            raise ValueError(f"comparator must be one of {', '.join(COMPARATORS)}; got {comparator!r}")
        object.__setattr__(self, "comparator", comparator)
        if (threshold is None) == (baseline is None):
            raise ValueError("give exactly one of threshold (a fixed value) and baseline (a measured metric)")
        object.__setattr__(
            self,
            "threshold",
            None if threshold is None else check_float("threshold", threshold, allow_inf=True),
        )
        object.__setattr__(self, "baseline", None if baseline is None else _text("baseline", baseline))
        if baseline is not None and baseline == metric:
            raise ValueError("baseline must name another metric than metric")
        object.__setattr__(self, "margin", check_float("margin", margin, minimum=0.0))
        if comparator == "within":
            if tolerance is None:
                raise ValueError("comparator 'within' needs a tolerance")
            object.__setattr__(self, "tolerance", check_float("tolerance", tolerance, minimum=0.0))
        else:
            if tolerance is not None:
                raise ValueError(f"tolerance is only for comparator 'within', not {comparator!r}")
            object.__setattr__(self, "tolerance", None)
        if comparator == "==" and margin:
            raise ValueError("comparator '==' takes no margin")
        object.__setattr__(self, "seeds", check_int("seeds", seeds, minimum=1))
        if spread not in SPREAD_RULES:
            raise ValueError(f"spread must be one of {', '.join(SPREAD_RULES)}; got {spread!r}")
        if spread == "mean-2se" and (self.seeds < 2 or comparator == "=="):
            raise ValueError("spread 'mean-2se' needs seeds >= 2 and a numeric comparator")
        object.__setattr__(self, "spread", spread)
        if spread == "at-least":
            if min_passing is None:
                raise ValueError("spread 'at-least' needs min_passing")
            mp = check_int("min_passing", min_passing, minimum=1)
            if mp > self.seeds:
                raise ValueError(f"min_passing ({mp}) must be <= seeds ({self.seeds})")
            object.__setattr__(self, "min_passing", mp)
        else:
            if min_passing is not None:
                raise ValueError("min_passing is only for spread 'at-least'")
            object.__setattr__(self, "min_passing", None)

    # ------------------------------------------------------------------------------------------ text
    def describe(self) -> str:
        """The criterion in words, e.g. ``"nll < bigram nll (paired; each of >= 3 seeds)"``."""
        ref = f"{self.threshold:g}" if self.threshold is not None else str(self.baseline)
        if self.comparator == "within":
            core = f"|{self.metric} - {ref}| <= {self.tolerance:g}"
        elif self.margin:
            sign = "+" if self.comparator in (">", ">=") else "-"
            core = f"{self.metric} {self.comparator} {ref} {sign} {self.margin:g}"
        else:
            core = f"{self.metric} {self.comparator} {ref}"
        if self.seeds == 1 and self.spread == "each":
            return core
        if self.spread == "each":
            return f"{core} on each of >= {self.seeds} seeds"
        if self.spread == "at-least":
            return f"{core} in at least {self.min_passing} of >= {self.seeds} seeds"
        return f"{core}: mean over >= {self.seeds} seeds beyond 2 standard errors"

    def to_dict(self) -> dict[str, Any]:
        """The criterion as a JSON-ready dict (keys with default values are kept, for readers)."""
        return {
            "metric": self.metric,
            "comparator": self.comparator,
            "threshold": self.threshold,
            "baseline": self.baseline,
            "margin": self.margin,
            "tolerance": self.tolerance,
            "seeds": self.seeds,
            "spread": self.spread,
            "min_passing": self.min_passing,
            "text": self.describe(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Criterion:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(d, Mapping):
            raise TypeError(f"a criterion must be a JSON object, got {type(d).__name__}")
        for key in ("metric", "comparator"):
            if key not in d:
                raise ValueError(f"criterion is missing field {key!r}")
        return cls(
            d["metric"],
            d["comparator"],
            d.get("threshold"),
            baseline=d.get("baseline"),
            margin=d.get("margin", 0.0),
            tolerance=d.get("tolerance"),
            seeds=d.get("seeds", 1),
            spread=d.get("spread", "each"),
            min_passing=d.get("min_passing"),
        )

    # ------------------------------------------------------------------------------------ evaluation
    def _reference(self, measured: Mapping[str, Any], n: int) -> list[float]:
        if self.threshold is not None:
            return [self.threshold] * n
        assert self.baseline is not None
        ref = _metric_values(measured, self.baseline)
        if len(ref) == n:
            return ref
        if len(ref) == 1:
            return ref * n
        if n == 1:
            raise ValueError(
                f"measured[{self.metric!r}] has 1 value but baseline {self.baseline!r} has {len(ref)}: "
                "report the metric per seed too"
            )
        raise ValueError(
            f"measured[{self.metric!r}] has {n} values and baseline {self.baseline!r} has {len(ref)}: "
            "paired seeds need equal lengths"
        )

    def evaluate(self, measured: Mapping[str, Any]) -> LegResult:
        """Compute this leg's outcome from the measured values (see the class docstring for the rules)."""
        values = _metric_values(measured, self.metric)
        if self.baseline is not None and len(values) == 1:
            base_len = len(_metric_values(measured, self.baseline))
            values = values * base_len
        ref = self._reference(measured, len(values))
        v = np.asarray(values, dtype=np.float64)
        r = np.asarray(ref, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            if self.comparator == "within":
                assert self.tolerance is not None
                adv = self.tolerance - np.abs(v - r)
                ok = adv >= 0
            elif self.comparator == "==":
                adv = -np.abs(v - r)
                ok = v == r
            elif self.comparator in (">", ">="):
                adv = v - r - self.margin
                ok = adv > 0 if self.comparator == ">" else adv >= 0
            else:
                adv = r - v - self.margin
                ok = adv > 0 if self.comparator == "<" else adv >= 0
        ok = ok & np.isfinite(adv)
        n = int(v.size)
        n_pass = int(ok.sum())
        mean = float(np.mean(adv)) if n else math.nan
        se = float(np.std(adv, ddof=1) / math.sqrt(n)) if n >= 2 else math.nan
        reason = ""
        if self.spread == "mean-2se":
            strict = self.comparator in ("<", ">")
            if not np.isfinite(adv).all():
                outcome, reason = NOT_REPRODUCED, "a measured value is NaN or infinite"
            elif n < 2:
                outcome, reason = INCONCLUSIVE, "one value: no spread to judge the margin by"
            elif (mean - 2 * se > 0) if strict else (mean - 2 * se >= 0):
                outcome = REPRODUCED
            elif mean + 2 * se < 0:
                outcome = NOT_REPRODUCED
            else:
                outcome, reason = INCONCLUSIVE, "the mean margin lies within 2 standard errors of zero"
        elif self.spread == "at-least":
            assert self.min_passing is not None
            outcome = REPRODUCED if n_pass >= self.min_passing else NOT_REPRODUCED
        else:
            if n_pass == n:
                outcome = REPRODUCED
            elif n_pass == 0:
                outcome = NOT_REPRODUCED
            else:
                outcome, reason = INCONCLUSIVE, f"{n_pass} of {n} seeds pass: the seeds disagree"
        if n < self.seeds:
            outcome, reason = INCONCLUSIVE, f"{n} value(s) measured, the criterion needs {self.seeds} seeds"
        return LegResult(
            criterion=self,
            outcome=outcome,
            values=tuple(float(x) for x in v),
            reference=tuple(float(x) for x in r),
            advantage=tuple(float(x) for x in adv),
            n_passing=n_pass,
            mean_advantage=mean,
            se_advantage=se,
            reason=reason,
        )


@dataclass(frozen=True)
class LegResult:
    """The outcome of one :class:`Criterion` on the measured values, with the numbers that decided it."""

    criterion: Criterion
    outcome: str
    values: tuple[float, ...]
    reference: tuple[float, ...]
    advantage: tuple[float, ...]
    n_passing: int
    mean_advantage: float
    se_advantage: float
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (non-finite numbers become strings)."""
        return {
            "criterion": self.criterion.describe(),
            "outcome": self.outcome,
            "values": _jsonable("values", list(self.values)),
            "reference": _jsonable("reference", list(self.reference)),
            "advantage": _jsonable("advantage", list(self.advantage)),
            "n_passing": self.n_passing,
            "mean_advantage": _jsonable("mean", self.mean_advantage),
            "se_advantage": _jsonable("se", self.se_advantage),
            "reason": self.reason,
        }


def combine(outcomes: Sequence[str]) -> str:
    """Verdict of a claim from its legs: any failing leg fails it; else any undecided leg leaves it
    inconclusive; else it is reproduced."""
    if NOT_REPRODUCED in outcomes:
        return NOT_REPRODUCED
    if INCONCLUSIVE in outcomes:
        return INCONCLUSIVE
    return REPRODUCED


# --------------------------------------------------------------------------------------------------- claims


@dataclass(frozen=True, init=False)
class Claim:
    """One claim of a paper, its pre-registered criteria, what was measured, and the computed verdict.

    Parameters
    ----------
    name : str
        Short name of the claim (e.g. ``"false-match probability at n=2048"``).
    paper : str, number or JSON-like
        What the paper states or reports.
    measured : mapping
        What was measured: a dict whose criterion metrics are numbers or per-seed lists of numbers, plus any
        other JSON-like context (numpy values are converted).
    criteria : Criterion or sequence of Criterion
        The legs, fixed before measuring. Every leg must hold for ``reproduced``. Empty: the claim is only
        ``measured`` (no paper value to compare with).
    figures : sequence of str
        Figure paths relative to the report folder.
    notes : str
        What a reader needs to judge the verdict: scale, deviations, why a criterion is what it is.
    missing : str, optional
        The resource the claim needs and cannot find (a file, a GPU, a dataset) and how to get it: the verdict is
        then ``not testable offline`` and nothing is evaluated.

    Attributes
    ----------
    verdict : str
        One of :data:`VERDICTS`, computed.
    passed : bool or None
        True for reproduced, False for not reproduced, None otherwise.
    legs : tuple of LegResult
        Each criterion's outcome.

    Examples
    --------
    >>> c = Claim("worked example", 3.18e-4, {"relative error": 2e-12},
    ...           Criterion("relative error", "<=", 1e-9))
    >>> c.verdict, c.passed
    ('reproduced', True)
    >>> Claim("GPU speed", "5x", {}, missing="a CUDA device").verdict
    'not testable offline'
    """

    name: str
    paper: JSONValue
    measured: dict[str, Any]
    criteria: tuple[Criterion, ...]
    legs: tuple[LegResult, ...] = field(compare=False)  # derived from criteria and measured
    verdict: str
    passed: bool | None
    figures: tuple[str, ...] = field(default=())
    notes: str = ""
    missing: str | None = None

    def __init__(
        self,
        name: str,
        paper: Any,
        measured: Mapping[str, Any],
        criteria: Criterion | Iterable[Criterion] = (),
        *,
        figures: Iterable[str] = (),
        notes: str = "",
        missing: str | None = None,
    ) -> None:
        object.__setattr__(self, "name", _text("name", name))
        object.__setattr__(self, "paper", _jsonable("paper", paper))
        if not isinstance(measured, Mapping):
            raise TypeError(
                f"measured must be a mapping (dict) of metric name to value, got {type(measured).__name__}"
            )
        m = _jsonable("measured", dict(measured))
        assert isinstance(m, dict)
        object.__setattr__(self, "measured", m)
        crit = (criteria,) if isinstance(criteria, Criterion) else tuple(criteria)
        for i, c in enumerate(crit):
            if not isinstance(c, Criterion):
                raise TypeError(f"criteria[{i}] must be a Criterion, got {type(c).__name__}")
        object.__setattr__(self, "criteria", crit)
        if missing is not None:
            _text("missing", missing)
        object.__setattr__(self, "missing", missing)
        if isinstance(figures, str):
            raise TypeError("figures must be a sequence of paths, not a single string")
        figs = tuple(str(f) if isinstance(f, os.PathLike) else f for f in figures)
        for i, f in enumerate(figs):
            _text(f"figures[{i}]", f)
            if os.path.isabs(f) or ".." in Path(f).parts:
                raise ValueError(f"figures[{i}] must be a path inside the report folder, got {f!r}")
        object.__setattr__(self, "figures", figs)
        object.__setattr__(self, "notes", _text("notes", notes, empty=True))
        if missing is not None:
            legs: tuple[LegResult, ...] = ()
            verdict = NOT_TESTABLE
        elif not crit:
            legs = ()
            verdict = MEASURED
        else:
            legs = tuple(c.evaluate(measured) for c in crit)
            verdict = combine([leg.outcome for leg in legs])
        object.__setattr__(self, "legs", legs)
        object.__setattr__(self, "verdict", verdict)
        object.__setattr__(self, "passed", _PASSED[verdict])

    @property
    def criterion(self) -> str:
        """All legs in words (``"; "``-separated), or why nothing was tested."""
        if self.missing is not None:
            return f"not testable: needs {self.missing}"
        if not self.criteria:
            return "measured only (no paper value to compare with)"
        return "; ".join(c.describe() for c in self.criteria)

    def to_dict(self) -> dict[str, Any]:
        """The claim as a JSON-ready dict."""
        return {
            "name": self.name,
            "paper": self.paper,
            "measured": self.measured,
            "criteria": [c.to_dict() for c in self.criteria],
            "criterion": self.criterion,
            "legs": [leg.to_dict() for leg in self.legs],
            "verdict": self.verdict,
            "passed": self.passed,
            "figures": list(self.figures),
            "notes": self.notes,
            "missing": self.missing,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, schema_version: int = VERSION) -> Claim:
        """Inverse of :meth:`to_dict`; the verdict is recomputed and must equal the recorded one."""
        if not isinstance(d, Mapping):
            raise TypeError(f"a claim must be a JSON object, got {type(d).__name__}")
        if schema_version == 1:
            return _legacy_claim(d)
        missing = [k for k in ("name", "paper", "measured", "criteria", "verdict") if k not in d]
        if missing:
            raise ValueError(f"claim is missing field(s) {missing}")
        crits = d["criteria"]
        if not isinstance(crits, list):
            raise TypeError("claim field 'criteria' must be a list")
        claim = cls(
            d["name"],
            d["paper"],
            d["measured"],
            [Criterion.from_dict(c) for c in crits],
            figures=d.get("figures", ()),
            notes=d.get("notes", ""),
            missing=d.get("missing"),
        )
        if claim.verdict != d["verdict"]:
            raise ValueError(
                f"claim {claim.name!r} records verdict {d['verdict']!r} but its criteria give {claim.verdict!r}"
            )
        return claim


_V1_VERDICTS = {"reproduced": REPRODUCED, "not reproduced at this scale": NOT_REPRODUCED}


def _legacy_claim(d: Mapping[str, Any]) -> Claim:
    """A version-1 claim (hand-set ``passed``): kept readable, shown with its recorded verdict."""
    for key in ("name", "paper", "measured", "criterion", "passed"):
        if key not in d:
            raise ValueError(f"claim is missing field {key!r}")
    claim = Claim(
        d["name"],
        d["paper"],
        {"value": d["measured"]},
        figures=d.get("figures", ()),
        notes=d.get("notes", ""),
    )
    by_passed = {True: REPRODUCED, False: NOT_REPRODUCED}
    passed = d["passed"]
    fallback = by_passed[passed] if isinstance(passed, bool) else NOT_TESTABLE
    verdict = _V1_VERDICTS.get(str(d.get("verdict")), fallback)
    object.__setattr__(claim, "verdict", verdict)
    object.__setattr__(claim, "passed", _PASSED[verdict])
    object.__setattr__(
        claim, "notes", (claim.notes + " " if claim.notes else "") + f"[schema 1: {d['criterion']}]"
    )
    return claim


# ----------------------------------------------------------------------------------------------- formatting


def format_value(value: Any, *, digits: int = 4, max_items: int = 8) -> str:
    """A readable one-line rendering of a measured value: numbers to ``digits`` significant digits, per-seed
    lists summarised, dicts as ``key: value`` pairs (used by the Markdown report, the index and the docs)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        if value and numeric and len(value) > max_items:
            arr = np.asarray(value, dtype=float)
            return (
                f"{arr.min():.{digits}g}..{arr.max():.{digits}g} (mean {arr.mean():.{digits}g}, n={arr.size})"
            )
        shown = [format_value(v, digits=digits, max_items=max_items) for v in value[:max_items]]
        more = f", ... ({len(value)} items)" if len(value) > max_items else ""
        return "[" + ", ".join(shown) + more + "]"
    if isinstance(value, dict):
        items = list(value.items())
        shown = [f"{k}: {format_value(v, digits=digits, max_items=max_items)}" for k, v in items[:max_items]]
        more = f"; ... ({len(items)} entries)" if len(items) > max_items else ""
        return "; ".join(shown) + more
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------------------------------------- report


@dataclass(frozen=True, init=False)
class Report:
    """A package's reproduction report: its claims, their verdicts, and the record of the run.

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
    run : dict, optional
        The record of the run (mode, seeds, threads, wall time, machine, library versions);
        :func:`neurotypes.reproduction.run_claims` fills it.
    params : dict, optional
        Settings of the run (sizes, epochs), JSON-like.

    Examples
    --------
    >>> r = Report("demo", "0.1.0", [Claim("x", 1.0, {"x": 1.02}, Criterion("x", "within", 1.0, tolerance=0.05))])
    >>> r.claims[0].verdict, r.totals()["reproduced"]
    ('reproduced', 1)
    """

    package: str
    version: str
    claims: tuple[Claim, ...]
    created: str
    run: dict[str, Any]
    params: dict[str, Any]

    def __init__(
        self,
        package: str,
        version: str,
        claims: Iterable[Claim],
        created: str | None = None,
        run: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        object.__setattr__(self, "package", _text("package", package))
        object.__setattr__(self, "version", _text("version", version))
        if isinstance(claims, Claim):
            raise TypeError("claims must be a sequence of Claim, not a single Claim")
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
        r = _jsonable("run", dict(run or {}))
        p = _jsonable("params", dict(params or {}))
        if not isinstance(r, dict) or not isinstance(p, dict):  # pragma: no cover - dicts stay dicts
            raise TypeError("run and params must be mappings")
        object.__setattr__(self, "run", r)
        object.__setattr__(self, "params", p)

    @property
    def mode(self) -> str:
        """``"quick"`` or ``"full"`` (from the run record; ``"quick"`` when unrecorded)."""
        return str(self.run.get("mode", "quick"))

    @property
    def n_passed(self) -> int:
        """Number of claims reproduced."""
        return sum(c.verdict == REPRODUCED for c in self.claims)

    def totals(self) -> dict[str, int]:
        """Number of claims per verdict (every verdict of :data:`VERDICTS` is a key)."""
        out = dict.fromkeys(VERDICTS, 0)
        for c in self.claims:
            out[c.verdict] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (with schema name and version)."""
        return {
            "schema": SCHEMA,
            "schema_version": VERSION,
            "package": self.package,
            "version": self.version,
            "created": self.created,
            "mode": self.mode,
            "run": self.run,
            "params": self.params,
            "totals": self.totals(),
            "claims": [c.to_dict() for c in self.claims],
        }

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    @classmethod
    def from_json(cls, text: str, *, source: str = "text") -> Report:
        """Read a report from JSON text written by :meth:`to_json` (schema 2, or schema 1 of neurotypes 0.1).

        Raises
        ------
        FormatError
            ``text`` is not a valid report; the message names ``source``.
        SchemaError
            The report's schema is another or newer than this library reads.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise FormatError(f"{source} is not valid JSON: {exc}") from None
        if not isinstance(d, dict):
            raise FormatError(f"{source} must hold a JSON object")
        schema = d.get("schema", SCHEMA)
        if schema != SCHEMA:
            raise SchemaError(f"{source} holds schema {schema!r}, not {SCHEMA!r}")
        version = d.get("schema_version", 1)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise SchemaError(f"{source} has an invalid report schema_version {version!r}")
        if version > VERSION:
            raise SchemaError(
                f"{source} has report schema version {version}, newer than the version {VERSION} this "
                "neurotypes reads; upgrade neurotypes"
            )
        try:
            for key in ("package", "version", "claims"):
                if key not in d:
                    raise ValueError(f"report is missing field {key!r}")
            if not isinstance(d["claims"], list):
                raise TypeError("report field 'claims' must be a list")
            return cls(
                d["package"],
                d["version"],
                [Claim.from_dict(c, schema_version=version) for c in d["claims"]],
                created=d.get("created"),
                run=d.get("run"),
                params=d.get("params"),
            )
        except (ValueError, TypeError, RecursionError) as exc:
            raise FormatError(f"{source} is not a valid report: {exc}") from None

    def to_markdown(self, *, json_digest: str | None = None) -> str:
        """The report as Markdown: a table of claims (paper, measured, criterion, verdict), notes, the run
        record and the figures. ``json_digest`` (the SHA-256 of the JSON written beside it) is embedded so that a
        reader can check that the pair belongs together."""
        totals = self.totals()
        summary = ", ".join(f"{n} {v}" for v, n in totals.items() if n)
        lines = [
            f"## {self.package} {self.version} ({self.mode})",
            "",
            f"Created {self.created}. {len(self.claims)} claims: {summary}.",
            "",
            "| claim | paper | measured | criterion | verdict | figures |",
            "|---|---|---|---|---|---|",
        ]
        for c in self.claims:
            figs = " ".join(f"[{Path(f).name}]({f})" for f in c.figures)
            cells = [c.name, format_value(c.paper), format_value(c.measured), c.criterion, c.verdict, figs]
            lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
        noted = [c for c in self.claims if c.notes or any(leg.reason for leg in c.legs)]
        if noted:
            lines += ["", "Notes:", ""]
            for c in noted:
                reasons = "; ".join(f"{leg.criterion.metric}: {leg.reason}" for leg in c.legs if leg.reason)
                text = " ".join(t for t in (c.notes, f"({reasons})" if reasons else "") if t)
                lines.append(f"- **{c.name}**: {text}")
        if self.run:
            lines += ["", "Run: " + format_value(self.run, max_items=20)]
        if self.params:
            lines += ["", "Settings: " + format_value(self.params, max_items=20)]
        figures = [f for c in self.claims for f in c.figures]
        if figures:
            lines += [""]
            lines += [f"![{Path(f).stem}]({f})" for f in dict.fromkeys(figures)]
        if json_digest is not None:
            lines += ["", f"<!-- report.json sha256 {json_digest} -->"]
        return "\n".join(lines) + "\n"

    def write(self, out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write ``report.json`` and ``report.md`` into ``out_dir`` (created if needed).

        Both files are written completely before either replaces an older one, and if the second cannot be put
        in place the first is restored: the pair never disagrees. The Markdown records the SHA-256 of the JSON
        (:meth:`check_pair` verifies it).

        Returns
        -------
        (Path, Path)
            The JSON and Markdown paths.
        """
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        js = self.to_json().encode()
        md = self.to_markdown(json_digest=hashlib.sha256(js).hexdigest()).encode()
        json_path, md_path = atomic_write_pair([(folder / "report.json", js), (folder / "report.md", md)])
        return json_path, md_path

    @staticmethod
    def check_pair(out_dir: str | os.PathLike[str]) -> bool:
        """True if ``report.md`` in ``out_dir`` records the SHA-256 of the ``report.json`` beside it."""
        folder = Path(out_dir)
        try:
            js = (folder / "report.json").read_bytes()
            md = (folder / "report.md").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        return f"<!-- report.json sha256 {hashlib.sha256(js).hexdigest()} -->" in md

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the report as JSON to ``path``, atomically."""
        return atomic_write_bytes(path, self.to_json().encode())

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, max_bytes: int = 64 * 2**20) -> Report:
        """Read a report written by :meth:`save` or :meth:`write` (``report.json``, or its folder).

        Raises
        ------
        FileMissingError
            No such file.
        FormatError
            Not UTF-8, not JSON, larger than ``max_bytes``, or not a valid report; the message names the file.
        """
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        p = Path(path)
        if p.is_dir():
            p = p / "report.json"
        if not p.is_file():
            raise FileMissingError(f"no report file at path {str(p)!r}")
        size = p.stat().st_size
        if size > max_bytes:
            raise FormatError(
                f"file {str(p)!r} is {size} bytes, over the limit max_bytes={max_bytes} for a report"
            )
        try:
            text = p.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"file {str(p)!r} is not UTF-8 text: {exc}") from None
        except OSError as exc:
            raise FormatError(f"file {str(p)!r} cannot be read: {exc}") from None
        return cls.from_json(text, source=f"file {str(p)!r}")
