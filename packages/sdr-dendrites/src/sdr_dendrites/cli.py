"""Command line: ``sdr-dendrites reproduce | table | min-synapses``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from .data import ParameterRow, read_parameter_csv
from .design import min_synapses
from .probability import false_match_probability, false_negative_probability
from .union import union_false_match_probability

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sdr-dendrites",
        description="Sparse distributed representations and active dendrites (Ahmad & Hawkins 2016): exact "
        "false-match, noise and union probabilities of dendritic segments.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    rep = sub.add_parser("reproduce", help="measure the paper's claims; write figures and report.{json,md}")
    rep.add_argument("--full", action="store_true", help="paper-scale Monte-Carlo (5x more trials)")
    rep.add_argument("--out", default="reports/sdr-dendrites", help="output folder (default: %(default)s)")

    tab = sub.add_parser(
        "table",
        help="print P_fm, P_fn and union probabilities for parameter points",
        description="Exact probabilities for one point (--n --a --s --theta [--v] [--m]) or for every row of a "
        "CSV file with columns n,a,s,theta[,v,m] (--csv). P_fm: false match; P_fn: false negative when v of "
        "the a active cells are replaced by noise; union: false match of a segment storing m patterns "
        "(expected-size plug-in and exact mixture).",
    )
    tab.add_argument("--n", type=int, help="population size")
    tab.add_argument("--a", type=int, help="active cells per pattern")
    tab.add_argument("--s", type=int, help="synapses on the segment")
    tab.add_argument("--theta", type=int, help="NMDA threshold")
    tab.add_argument("--v", type=int, default=None, help="active cells replaced by noise (for P_fn)")
    tab.add_argument("--m", type=int, default=None, help="patterns stored on the segment (for unions)")
    tab.add_argument("--csv", default=None, help="CSV of points with header n,a,s,theta[,v,m]")

    ms = sub.add_parser(
        "min-synapses",
        help="smallest number of synapses (and threshold) meeting an error target",
        description="Answers 'how many synapses, at what NMDA threshold, for false matches (and, with --noise, "
        "false negatives) below --target?'.",
    )
    ms.add_argument("--n", type=int, required=True, help="population size")
    ms.add_argument("--a", type=int, required=True, help="active cells per pattern")
    ms.add_argument("--target", type=float, required=True, help="target error probability, e.g. 1e-9")
    ms.add_argument("--noise", type=float, default=0.0, help="fraction of active cells replaced (default 0)")
    ms.add_argument("--theta", type=int, default=None, help="fix the NMDA threshold instead of choosing it")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    return parser


def _table_rows(args: argparse.Namespace) -> list[ParameterRow]:
    if args.csv is not None:
        return read_parameter_csv(args.csv)
    missing = [k for k in ("n", "a", "s", "theta") if getattr(args, k) is None]
    if missing:
        raise ValueError(f"table needs --csv or all of --n --a --s --theta (missing: {', '.join(missing)})")
    return [ParameterRow(args.n, args.a, args.s, args.theta, args.v, args.m)]


def _table(rows: list[ParameterRow]) -> str:
    header = f"{'n':>7} {'a':>6} {'s':>5} {'theta':>5} {'P_fm':>12} {'v':>5} {'P_fn':>12} {'m':>4} "
    header += f"{'union(plug-in)':>15} {'union(mixture)':>15}"
    lines = [header]
    for r in rows:
        fm = float(false_match_probability(r.n, r.a, r.s, r.theta))
        fn = "" if r.v is None else f"{float(false_negative_probability(r.a, r.s, r.theta, r.v)):.6g}"
        if r.m is None:
            plug = mix = ""
        else:
            plug = f"{float(union_false_match_probability(r.n, r.a, r.s, r.theta, r.m, 'expected')):.6g}"
            mix = f"{float(union_false_match_probability(r.n, r.a, r.s, r.theta, r.m, 'exact_mixture')):.6g}"
        v = "" if r.v is None else str(r.v)
        m = "" if r.m is None else str(r.m)
        lines.append(
            f"{r.n:>7} {r.a:>6} {r.s:>5} {r.theta:>5} {fm:>12.6g} {v:>5} {fn:>12} {m:>4} {plug:>15} {mix:>15}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sdr-dendrites`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        if args.command == "reproduce":
            from .reproduce import reproduce

            report = reproduce(args.out, quick=not args.full, progress=True)
            for claim in report.claims:
                print(f"{claim.verdict:>30}  {claim.name}")
            print(
                f"{report.n_passed} of {len(report.claims)} claims reproduced; report.json, report.md and figures in {args.out}"
            )
        elif args.command == "table":
            print(_table(_table_rows(args)))
        else:
            d = min_synapses(args.n, args.a, args.target, noise_frac=args.noise, theta=args.theta)
            print(
                f"s = {d.s} synapses, theta = {d.theta}: P_fm = {d.false_match:.3g}, "
                f"P_fn = {d.false_negative:.3g} (v = {d.v} of a = {args.a} cells replaced)"
            )
    except (ValueError, TypeError, OSError) as err:
        print(f"sdr-dendrites: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
