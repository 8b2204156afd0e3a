"""Command line: ``ap-prune reproduce [--full] [--out DIR]`` and ``ap-prune run --rounds 16 --epochs 20 --ap 0.02``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ap-prune",
        description="Activate-while-Pruning (Liu et al., TMLR 2023): prune networks while tracking their "
        "dynamic dead neuron rate (DNR).",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser(
        "reproduce",
        help="measure the paper's claims on the embedded data and write a report",
        description="Run IMP and IMP+AP on scikit-learn digits (and a Gaussian-mixture task), write figures, "
        "report.json and report.md. Quick mode: 8 rounds x 10 epochs (~1-2 min on 2 cores); --full: the "
        "16 rounds x 20 epochs prototype setting.",
    )
    r.add_argument("--full", action="store_true", help="paper-prototype scale (16 rounds x 20 epochs)")
    r.add_argument("--out", type=Path, default=Path("reports/ap-prune"), help="output folder")
    r.add_argument("--accelerator", default="cpu", help="Lightning accelerator: cpu, gpu or auto")

    run = sub.add_parser(
        "run",
        help="one iterative pruning run, printing density, DNR and accuracy per round",
        description="Iterative magnitude pruning (rewind to init) of an MLP, with AP when --ap > 0.",
    )
    run.add_argument("--task", choices=("digits", "mixture"), default="digits", help="embedded data set")
    run.add_argument("--rounds", type=int, default=16, help="training rounds (default 16)")
    run.add_argument("--epochs", type=int, default=20, help="epochs per round (default 20)")
    run.add_argument("--p", type=float, default=0.2, help="pruning rate per round (default 0.2)")
    run.add_argument("--ap", type=float, default=0.02, help="AP rate p_ap; 0 = plain IMP (default 0.02)")
    run.add_argument("--rewind", choices=("init", "none"), default="init", help="rewind to init or fine-tune")
    run.add_argument("--seed", type=int, default=0, help="seed of weights and data order")
    run.add_argument("--accelerator", default="cpu", help="Lightning accelerator: cpu, gpu or auto")
    run.add_argument("--json", type=Path, default=None, help="also write the per-round numbers to this file")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ap-prune`` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if args.command == "reproduce":
        from .reproduce import reproduce

        report = reproduce(args.out, quick=not args.full, accelerator=args.accelerator, progress=True)
        print(report.to_markdown())
        print(f"wrote {args.out / 'report.json'} and {args.out / 'report.md'}")
        return 0

    from .data import digits, gaussian_mixture
    from .reproduce import QUICK, run_imp

    if args.rounds < 1 or args.epochs < 1:
        print("error: --rounds and --epochs must be >= 1", file=sys.stderr)
        return 2
    if args.ap < 0:
        print(f"error: --ap must be >= 0 (0 = plain IMP), got {args.ap}", file=sys.stderr)
        return 2
    settings = replace(QUICK, rounds=args.rounds, epochs=args.epochs, p=args.p, p_ap=args.ap or QUICK.p_ap)
    split = digits() if args.task == "digits" else gaussian_mixture()
    try:
        result = run_imp(
            split,
            settings,
            args.seed,
            "ap" if args.ap > 0 else "imp",
            rewind=args.rewind,
            accelerator=args.accelerator,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("round  density     DNR  test_acc")
    for i, (d, n, a) in enumerate(zip(result.density, result.dnr, result.test_acc, strict=True)):
        print(f"{i:5d}  {d:7.4f}  {n:6.3f}  {a:8.4f}")
    if args.json is not None:
        tmp = args.json.with_suffix(args.json.suffix + ".tmp")
        tmp.write_text(json.dumps(asdict(result), indent=2))
        tmp.replace(args.json)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
