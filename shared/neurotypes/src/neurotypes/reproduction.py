"""The reproduction kit: run a package's claims, record the run, save figures, build the index.

A package's ``reproduce`` is one small function per claim (each takes a :class:`ClaimContext` and returns a
:class:`~neurotypes.Claim`) and one call to :func:`run_claims`::

    def claim_worked_example(ctx: ClaimContext) -> Claim:
        value = false_match_probability(1024, 8, 4, 2)
        return Claim(
            "Worked example n=1024, a=8, s=4, theta=2",
            paper=3.18241665415146e-4,
            measured={"relative error": abs(value - 3.18241665415146e-4) / 3.18241665415146e-4},
            criteria=Criterion("relative error", "<=", 1e-9),
        )

    def reproduce(out_dir, quick=True, *, seed=0, progress=False, threads=None) -> Report:
        return run_claims("sdr-dendrites", __version__, out_dir, [claim_worked_example, ...],
                          quick=quick, seed=seed, threads=threads, progress=progress)

The kit needs numpy only. Figures are any object with matplotlib's ``savefig`` (use an object-oriented
``matplotlib.figure.Figure``: no pyplot, no backend switch); :meth:`ClaimContext.figure` saves them atomically.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from neurotypes._base import FormatError, atomic_write_bytes
from neurotypes.report import VERDICTS, Claim, Report, format_value
from neurotypes.validation import check_int, check_rng

__all__ = [
    "ClaimContext",
    "ClaimFunction",
    "collect_reports",
    "machine_summary",
    "render_index",
    "run_claims",
    "save_figure",
    "write_index",
]

T = TypeVar("T")


class _SavesFigures(Protocol):
    def savefig(self, fname: Any, **kwargs: Any) -> Any: ...


def save_figure(fig: _SavesFigures, path: str | os.PathLike[str], *, dpi: int = 90) -> Path:
    """Save a matplotlib figure as PNG at ``path`` atomically (rendered in memory, then written and renamed).

    ``fig`` is any object with matplotlib's ``savefig`` (an object-oriented ``matplotlib.figure.Figure`` needs
    no backend). Keep ``dpi`` modest: committed report figures should stay small.
    """
    if not hasattr(fig, "savefig"):
        raise TypeError(f"fig must be a matplotlib Figure (with savefig), got {type(fig).__name__}")
    dpi = check_int("dpi", dpi, minimum=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return atomic_write_bytes(path, buf.getvalue())


@dataclass
class ClaimContext:
    """What a claim function gets: where to write, the mode, the seeds, the resources.

    Attributes
    ----------
    out : pathlib.Path
        The report folder (figures go here).
    quick : bool
        Quick mode (laptop minutes) or the paper's full scale.
    seed : int
        The run's base seed; claims draw theirs from :meth:`seeds`, fixed before the run.
    progress : bool
        Whether long loops should show a progress bar.
    threads : int or None
        The thread budget the caller asked for (recorded in the report).
    device : str or None
        Accelerator choice for torch packages (``"cpu"``, ``"cuda"``, ``"auto"``), recorded in the report.
    """

    out: Path
    quick: bool = True
    seed: int = 0
    progress: bool = False
    threads: int | None = None
    device: str | None = None
    used_seeds: dict[str, list[int]] = field(default_factory=dict)
    current: str = ""

    @property
    def mode(self) -> str:
        """``"quick"`` or ``"full"``."""
        return "quick" if self.quick else "full"

    def seeds(self, n: int, *, offset: int = 0) -> list[int]:
        """``n`` consecutive seeds ``seed + offset, seed + offset + 1, ...`` (recorded in the report)."""
        n = check_int("n", n, minimum=1)
        offset = check_int("offset", offset, minimum=0)
        chosen = [self.seed + offset + i for i in range(n)]
        self.used_seeds.setdefault(self.current or "run", []).extend(chosen)
        return chosen

    def rng(self, offset: int = 0) -> np.random.Generator:
        """A generator seeded with ``seed + offset`` (recorded in the report)."""
        return check_rng(self.seeds(1, offset=offset)[0])

    def figure(self, fig: _SavesFigures, name: str, *, dpi: int = 90) -> str:
        """Save ``fig`` as ``out/name`` (PNG, atomic) and return ``name`` for :class:`~neurotypes.Claim`."""
        if not isinstance(name, str) or not name.endswith(".png") or "/" in name or name.startswith("."):
            raise ValueError(f"name must be a plain file name ending in .png, got {name!r}")
        save_figure(fig, self.out / name, dpi=dpi)
        return name

    def track(self, items: Iterable[T], desc: str = "", total: int | None = None) -> Iterator[T]:
        """Iterate ``items`` with a tqdm progress bar when ``progress`` is on and tqdm is installed."""
        if self.progress:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # pragma: no cover - tqdm is a dependency of every method package
                pass
            else:
                yield from tqdm(items, desc=desc or self.current, total=total, leave=False)
                return
        yield from items


ClaimFunction = Callable[[ClaimContext], Claim | Sequence[Claim]]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_summary() -> dict[str, Any]:
    """A short description of the machine: OS, CPU, cores available to this process, memory, Python, numpy."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 0
    memory = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    memory = round(int(line.split()[1]) / 2**20, 1)
                    break
    except (OSError, ValueError):
        pass
    return {
        "os": f"{platform.system()} {platform.release()}",
        "cpu": _cpu_model(),
        "cores": cores,
        "memory_gib": memory,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def _library_versions(names: Iterable[str]) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_claims(
    package: str,
    version: str,
    out_dir: str | os.PathLike[str],
    claims: Sequence[ClaimFunction],
    *,
    quick: bool = True,
    seed: int = 0,
    progress: bool = False,
    threads: int | None = None,
    device: str | None = None,
    params: Mapping[str, Any] | None = None,
    libraries: Iterable[str] = (),
) -> Report:
    """Run each claim function in order, record the run, write ``report.json``/``report.md`` and return the report.

    Parameters
    ----------
    package, version : str
        The distribution name and its version.
    out_dir : path-like
        The report folder (created if needed).
    claims : sequence of callables
        One function per claim (or per small group of claims that share one measurement), each taking a
        :class:`ClaimContext` and returning a :class:`~neurotypes.Claim` or a sequence of them.
    quick : bool
        Quick mode (default) or the paper's full scale.
    seed : int
        Base seed (default 0); the claims' seeds derive from it and are recorded.
    progress : bool
        Show a progress bar over the claims (and let claims show theirs).
    threads, device : optional
        Recorded in the run (the caller applies them).
    params : mapping, optional
        Settings of the run to record (sizes, epochs).
    libraries : iterable of str
        Distribution names whose installed versions the run record should list (e.g. ``("torch",)``).
    """
    if not isinstance(claims, Sequence) or isinstance(claims, str):
        raise TypeError("claims must be a sequence of claim functions")
    for i, fn in enumerate(claims):
        if not callable(fn):
            raise TypeError(f"claims[{i}] must be callable, got {type(fn).__name__}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = ClaimContext(
        out=out,
        quick=bool(quick),
        seed=check_int("seed", seed, minimum=0),
        progress=bool(progress),
        threads=None if threads is None else check_int("threads", threads, minimum=1),
        device=device,
    )
    start = time.perf_counter()
    seconds: dict[str, float] = {}
    results: list[Claim] = []
    for fn in ctx.track(claims, desc=f"{package} claims", total=len(claims)):
        ctx.current = getattr(fn, "__name__", "claim")
        t0 = time.perf_counter()
        got = fn(ctx)
        if isinstance(got, Claim):
            batch: tuple[Any, ...] = (got,)
        elif isinstance(got, list | tuple):
            batch = tuple(got)
        else:
            raise TypeError(
                f"{ctx.current} returned {type(got).__name__}, expected a Claim or a tuple of Claims"
            )
        for c in batch:
            if not isinstance(c, Claim):
                raise TypeError(f"{ctx.current} returned {type(c).__name__}, expected Claim")
        seconds[ctx.current] = round(time.perf_counter() - t0, 3)
        results.extend(batch)
    run = {
        "mode": ctx.mode,
        "package_version": version,
        "seed": ctx.seed,
        "seeds": ctx.used_seeds,
        "threads": ctx.threads,
        "device": device,
        "wall_time_s": round(time.perf_counter() - start, 2),
        "claim_seconds": seconds,
        "machine": machine_summary(),
        "libraries": _library_versions(["neurotypes", *libraries]),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else "",
    }
    report = Report(package, version, results, run=run, params=params)
    report.write(out)
    return report


# --------------------------------------------------------------------------------------------------- index


@dataclass(frozen=True)
class PackageReports:
    """The reports of one package folder: the quick run and, where one was made, the full-scale run."""

    folder: str
    quick: Report | None
    full: Report | None


def collect_reports(reports_dir: str | os.PathLike[str]) -> list[PackageReports]:
    """Read ``<reports_dir>/<package>/report.json`` (quick) and ``<package>/full/report.json`` (full)."""
    root = Path(reports_dir)
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        quick = folder / "report.json"
        full = folder / "full" / "report.json"
        if not quick.is_file() and not full.is_file():
            continue
        found.append(
            PackageReports(
                folder.name,
                Report.load(quick) if quick.is_file() else None,
                Report.load(full) if full.is_file() else None,
            )
        )
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _short(value: Any, limit: int = 160) -> str:
    text = format_value(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _stamp(report: Report) -> str:
    return f"{report.created[:10]}, {report.version}"


def render_index(reports_dir: str | os.PathLike[str], failures: Mapping[str, str] | None = None) -> str:
    """The Markdown of ``reports/index.md``: totals, then one row per claim with its quick and full verdicts."""
    packages = collect_reports(reports_dir)
    totals = {mode: dict.fromkeys(VERDICTS, 0) for mode in ("quick", "full")}
    rows = []
    for pkg in packages:
        quick_claims = {c.name: c for c in pkg.quick.claims} if pkg.quick else {}
        full_claims = {c.name: c for c in pkg.full.claims} if pkg.full else {}
        for mode, claims in (("quick", quick_claims), ("full", full_claims)):
            for c in claims.values():
                totals[mode][c.verdict] += 1
        names = list(quick_claims) + [n for n in full_claims if n not in quick_claims]
        label = pkg.quick.package if pkg.quick else pkg.full.package if pkg.full else pkg.folder
        for name in names:
            q = quick_claims.get(name)
            f = full_claims.get(name)
            ref = q or f
            assert ref is not None
            quick_cell = q.verdict if q else "(full only)"
            if f is not None and pkg.full is not None:
                full_cell = f"[{f.verdict}]({pkg.folder}/full/report.md) ({_stamp(pkg.full)}): {_short(f.measured, 100)}"
            else:
                full_cell = "no full run"
            figs = []
            if q:
                figs += [f"[{Path(x).stem}]({pkg.folder}/{x})" for x in q.figures]
            if f:
                figs += [f"[{Path(x).stem} (full)]({pkg.folder}/full/{x})" for x in f.figures]
            report_link = f"{pkg.folder}/report.md" if q else f"{pkg.folder}/full/report.md"
            cells = [
                f"[{label}]({report_link})",
                name,
                _short(ref.paper),
                _short(q.measured) if q else "",
                quick_cell,
                full_cell,
                " ".join(dict.fromkeys(figs)),
            ]
            rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines = [
        "# neurozoo reproduction index",
        "",
        "Every claim of every package: the paper's statement, what the package measured on its embedded default "
        "data in quick mode, the verdict of the pre-registered criterion, and the verdict of the paper-scale "
        "(`--full`) run where one was made (with its date and package version). Written by "
        "`uvx nox -s reproduce` from the reports' JSON; do not edit by hand.",
        "",
        "| verdict | quick | full |",
        "|---|---|---|",
    ]
    for v in VERDICTS:
        lines.append(f"| {v} | {totals['quick'][v]} | {totals['full'][v]} |")
    lines.append(f"| **claims** | {sum(totals['quick'].values())} | {sum(totals['full'].values())} |")
    lines += [
        "",
        "| package | claim | paper | measured (quick) | quick | full | figures |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ]
    if failures:
        lines += ["", "Packages whose reproduction did not run:", ""]
        lines += [f"- {name}: {why}" for name, why in sorted(failures.items())]
    return "\n".join(lines) + "\n"


def write_index(reports_dir: str | os.PathLike[str], failures: Mapping[str, str] | None = None) -> Path:
    """Write ``<reports_dir>/index.md`` atomically (see :func:`render_index`)."""
    root = Path(reports_dir)
    return atomic_write_bytes(root / "index.md", render_index(root, failures).encode())


def _main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m neurotypes.reproduction",
        description="Write reports/index.md from the packages' report.json files.",
    )
    parser.add_argument("command", choices=["index"], help="what to do")
    parser.add_argument("reports", help="the reports folder (reports/<package>/report.json)")
    parser.add_argument("--failures", default=None, help="JSON object of package -> why its run failed")
    args = parser.parse_args(argv)
    failures = json.loads(args.failures) if args.failures else None
    try:
        path = write_index(args.reports, failures)
    except (FormatError, OSError) as exc:
        print(f"neurotypes.reproduction: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
