"""Command line: ``sdr-dendrites reproduce | run | table | min-synapses | info``.

Built on :class:`neurotypes.cli.CommandLine` (shared flags, one-line errors with exit status 2). Only the
standard library and neurotypes' CLI scaffold are imported here; the method is imported by the handlers.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from neurotypes.cli import CommandLine, UserError

if TYPE_CHECKING:
    from .data import ParameterRow

__all__ = ["cli", "main"]

cli = CommandLine(
    "sdr-dendrites",
    "Sparse distributed representations and active dendrites (Ahmad & Hawkins 2016): exact false-match, noise "
    "and union probabilities of dendritic segments, the synapse/threshold design question, and the false-match "
    "rate of segments on your own recorded activity.",
)
cli.add_reproduce("sdr_dendrites.reproduce:reproduce", full_help="1e6 Monte-Carlo comparisons per case")

_run = cli.add_command(
    "run",
    "exact probabilities for a CSV of parameter points, or segment false matches on recorded activity",
    description="For each FILE: a .csv of parameter points (header n,a,s,theta[,v,m]) gets P_fm, P_fn and "
    "the union values per row; any other file (.nwb Units table, a neo format, a neurotypes .npz of SDR, "
    "SpikeCounts or SpikeTrains) is read as activity patterns, one per time bin (units that fired), and each "
    "pattern with at least --s active cells teaches a segment that is compared with every other pattern: the "
    "observed false-match rate is written next to the rate expected for random patterns of the same sizes. "
    "Results go to one CSV file (--out).",
    out="sdr-dendrites-run.csv",
    out_help="CSV file for the results",
    seed=True,
)
_run.add_argument("files", nargs="+", metavar="FILE", help="parameter CSV or recording (.nwb, neo, .npz)")
_run.add_argument("--s", type=int, default=None, help="synapses per segment (recordings)")
_run.add_argument("--theta", type=int, default=None, help="NMDA threshold (recordings)")
_run.add_argument("--bin-size", type=float, default=0.05, help="bin width in seconds for spike trains")

_tab = cli.add_command(
    "table",
    "print P_fm, P_fn and union probabilities for parameter points",
    description="Exact probabilities for one point (--n --a --s --theta [--noise-cells V] [--m]) or for every row of a "
    "CSV file with columns n,a,s,theta[,v,m] (--csv). P_fm: false match; P_fn: false negative when v of "
    "the a active cells are replaced by noise; union: false match of a segment storing m patterns "
    "(expected-size plug-in and exact mixture).",
)
_tab.add_argument("--n", type=int, help="population size")
_tab.add_argument("--a", type=int, help="active cells per pattern")
_tab.add_argument("--s", type=int, help="synapses on the segment")
_tab.add_argument("--theta", type=int, help="NMDA threshold")
_tab.add_argument(
    "--noise-cells", dest="v", type=int, default=None, help="active cells replaced by noise, v (for P_fn)"
)
_tab.add_argument("--m", type=int, default=None, help="patterns stored on the segment (for unions)")
_tab.add_argument("--csv", default=None, help="CSV of points with header n,a,s,theta[,v,m]")

_ms = cli.add_command(
    "min-synapses",
    "smallest number of synapses (and threshold) meeting an error target",
    description="Answers 'how many synapses, at what NMDA threshold, for false matches (and, with --noise, "
    "false negatives) below --target?'.",
)
_ms.add_argument("--n", type=int, required=True, help="population size")
_ms.add_argument("--a", type=int, required=True, help="active cells per pattern")
_ms.add_argument("--target", type=float, required=True, help="target error probability, e.g. 1e-9")
_ms.add_argument("--noise", type=float, default=0.0, help="fraction of active cells replaced")
_ms.add_argument("--theta", type=int, default=None, help="fix the NMDA threshold instead of choosing it")

cli.add_info()

_TABLE_COLUMNS = ("n", "a", "s", "theta", "P_fm", "v", "P_fn", "m", "union_plug_in", "union_mixture")
_RUN_COLUMNS = (
    "file",
    "n",
    "patterns",
    "mean_active",
    "s",
    "theta",
    "segments",
    "comparisons",
    "observed_false_match",
    "random_patterns_false_match",
)


def _table_rows(args: argparse.Namespace) -> list[ParameterRow]:
    from .data import ParameterRow, read_parameter_csv

    if args.csv is not None:
        return read_parameter_csv(args.csv)
    missing = [k for k in ("n", "a", "s", "theta") if getattr(args, k) is None]
    if missing:
        raise UserError(
            f"table needs --csv or all of --n --a --s --theta (missing: {', '.join('--' + k for k in missing)})"
        )
    return [ParameterRow(args.n, args.a, args.s, args.theta, args.v, args.m)]


def _values(rows: list[ParameterRow]) -> list[dict[str, object]]:
    from .probability import false_match_probability, false_negative_probability
    from .union import union_false_match_probability

    out: list[dict[str, object]] = []
    for r in rows:
        rec: dict[str, object] = {"n": r.n, "a": r.a, "s": r.s, "theta": r.theta, "v": r.v, "m": r.m}
        rec["P_fm"] = float(false_match_probability(r.n, r.a, r.s, r.theta))
        rec["P_fn"] = None if r.v is None else float(false_negative_probability(r.a, r.s, r.theta, r.v))
        if r.m is None:
            rec["union_plug_in"] = rec["union_mixture"] = None
        else:
            rec["union_plug_in"] = float(
                union_false_match_probability(r.n, r.a, r.s, r.theta, r.m, "expected")
            )
            rec["union_mixture"] = float(
                union_false_match_probability(r.n, r.a, r.s, r.theta, r.m, "exact_mixture")
            )
        out.append(rec)
    return out


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _print_table(rows: list[ParameterRow]) -> None:
    header = f"{'n':>7} {'a':>6} {'s':>5} {'theta':>5} {'P_fm':>12} {'v':>5} {'P_fn':>12} {'m':>4} "
    header += f"{'union(plug-in)':>15} {'union(mixture)':>15}"
    print(header)
    for r in _values(rows):
        print(
            f"{r['n']:>7} {r['a']:>6} {r['s']:>5} {r['theta']:>5} {_fmt(r['P_fm']):>12} {_fmt(r['v']):>5} "
            f"{_fmt(r['P_fn']):>12} {_fmt(r['m']):>4} {_fmt(r['union_plug_in']):>15} "
            f"{_fmt(r['union_mixture']):>15}"
        )


def _csv_bytes(columns: Sequence[str], records: list[dict[str, object]]) -> bytes:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for rec in records:
        writer.writerow([_fmt(rec.get(c)) for c in columns])
    return buf.getvalue().encode()


def _handle_run(args: argparse.Namespace) -> int:
    from neurotypes import atomic_write_bytes

    from .data import read_parameter_csv, read_patterns
    from .dendrites import segment_false_matches

    points = [f for f in args.files if Path(f).suffix.lower() == ".csv"]
    recordings = [f for f in args.files if Path(f).suffix.lower() != ".csv"]
    if points and recordings:
        raise UserError("run takes either parameter CSV files or recordings, not both in one call")
    if points:
        rows = [row for f in points for row in read_parameter_csv(f)]
        atomic_write_bytes(args.out, _csv_bytes(_TABLE_COLUMNS, _values(rows)))
        print(f"{len(rows)} parameter points -> {args.out}")
        return 0
    read = [(f, read_patterns(f, bin_size=args.bin_size)) for f in recordings]
    if args.s is None or args.theta is None:
        raise UserError("run on recordings needs --s and --theta (synapses per segment, NMDA threshold)")
    records: list[dict[str, object]] = []
    for f, patterns in read:
        try:
            r = segment_false_matches(patterns, args.s, args.theta, seed=args.seed)
        except ValueError as exc:
            raise UserError(f"{Path(f).name}: {exc}") from exc
        records.append(
            {
                "file": Path(f).name,
                "n": r.n,
                "patterns": r.n_patterns,
                "mean_active": r.mean_active,
                "s": r.s,
                "theta": r.theta,
                "segments": r.n_segments,
                "comparisons": r.n_comparisons,
                "observed_false_match": r.observed,
                "random_patterns_false_match": r.predicted,
            }
        )
        print(
            f"{Path(f).name}: n={r.n} cells, {r.n_patterns} patterns (mean {r.mean_active:.3g} active); "
            f"false matches observed {r.observed:.4g}, random patterns {r.predicted:.4g}"
        )
    atomic_write_bytes(args.out, _csv_bytes(_RUN_COLUMNS, records))
    print(f"results -> {args.out}")
    return 0


def _handle_table(args: argparse.Namespace) -> int:
    _print_table(_table_rows(args))
    return 0


def _handle_min_synapses(args: argparse.Namespace) -> int:
    from .design import min_synapses

    d = min_synapses(args.n, args.a, args.target, noise_frac=args.noise, theta=args.theta)
    print(
        f"s = {d.s} synapses, theta = {d.theta}: P_fm = {d.false_match:.3g}, "
        f"P_fn = {d.false_negative:.3g} (v = {d.v} of a = {args.a} cells replaced)"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sdr-dendrites`` command; returns the exit status."""
    return cli.main(argv, {"run": _handle_run, "table": _handle_table, "min-synapses": _handle_min_synapses})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
