"""Command line: ``ap-prune reproduce | run | info``.

Built on :class:`neurotypes.cli.CommandLine` (the flags and error policy every neurozoo package shares). Nothing
heavy is imported at module level: torch, Lightning and scikit-learn load inside the handlers, so ``--help`` is
instant.
"""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

from neurotypes.cli import CommandLine, UserError

__all__ = ["cli", "main"]

cli = CommandLine(
    "ap-prune",
    "Activate-while-Pruning (Liu et al., TMLR 2023): prune ReLU networks while tracking their dynamic dead "
    "neuron rate (DNR).",
    torch=True,
)
cli.add_reproduce(
    "ap_prune.reproduce:reproduce", full_help="the spec's prototype scale: 16 rounds x 20 epochs"
)

_run = cli.add_command(
    "run",
    "iterative pruning (IMP, with AP when --ap > 0) of an MLP on your data; DNR and accuracy per round",
    description="Train an MLP on a classification data set (a CSV/TSV table with a header and a label column, "
    "or an .npz with arrays x and y; or the embedded --task), prune it round by round with global magnitude "
    "pruning (plus AP), print density, dynamic DNR and test accuracy per round and write them to --out "
    "(.json or .csv).",
    out="ap-prune-rounds.json",
    out_help="per-round results (.json or .csv)",
    seed=True,
    threads=True,
    device=True,
)
_run.add_argument(
    "data", nargs="?", default=None, help="data file: .csv/.tsv/.txt with a header, or .npz (x, y)"
)
_run.add_argument("--label", default="label", help="label column of a CSV/TSV table")
_run.add_argument(
    "--task", choices=("digits", "mixture"), default="digits", help="embedded data when no file is given"
)
_run.add_argument("--rounds", type=int, default=16, help="training rounds")
_run.add_argument("--epochs", type=int, default=20, help="epochs per round")
_run.add_argument("--p", type=float, default=0.2, help="pruning rate per round")
_run.add_argument("--ap", type=float, default=0.02, help="AP rate p_ap; 0 = plain IMP")
_run.add_argument(
    "--rewind", choices=("init", "none"), default="init", help="rewind to init (IMP) or fine-tune"
)
_run.add_argument("--hidden", default="128,128", help="hidden layer widths, comma-separated")
_run.add_argument("--lr", type=float, default=0.05, help="SGD learning rate")


def _info_extra() -> Mapping[str, str]:
    import torch

    return {"cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available"}


cli.add_info(_info_extra)


def _hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise UserError(f"--hidden must be comma-separated positive integers, got {text!r}") from None
    if not sizes or any(s < 1 for s in sizes):
        raise UserError(f"--hidden must be comma-separated positive integers, got {text!r}")
    return sizes


def _run_command(args: argparse.Namespace) -> int:
    for name in ("rounds", "epochs"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name} must be a positive integer, got {getattr(args, name)}")
    if not 0 < args.p < 1:
        raise UserError(f"--p must lie strictly between 0 and 1, got {args.p}")
    if not 0 <= args.ap <= args.p:
        raise UserError(f"--ap must lie in [0, --p={args.p}] (0 = plain IMP), got {args.ap}")
    if not args.lr > 0:
        raise UserError(f"--lr must be > 0, got {args.lr}")
    hidden = _hidden(args.hidden)
    out = Path(args.out)
    if out.suffix.lower() not in (".json", ".csv"):
        raise UserError(f"--out must end in .json or .csv, got {args.out!r}")

    from .data import (
        digits,
        gaussian_mixture,
        load_table,
    )  # numpy/sklearn: a bad file fails before torch trains

    if args.data is not None:
        split = load_table(args.data, label=args.label, seed=args.seed)
    else:
        split = digits(seed=args.seed) if args.task == "digits" else gaussian_mixture(seed=args.seed)

    from neurotypes import atomic_write_bytes

    from .reproduce import Settings, run_imp

    settings = Settings(
        rounds=args.rounds,
        epochs=args.epochs,
        p=args.p,
        p_ap=args.ap or min(0.02, args.p / 2),
        lr=args.lr,
        hidden=hidden,
    )
    result = run_imp(
        split, settings, args.seed, "ap" if args.ap > 0 else "imp", rewind=args.rewind, device=args.device
    )
    print("round  density     DNR  DNR w/o struct. deaths  test_acc")
    for i, (d, n, na, a) in enumerate(
        zip(result.density, result.dnr, result.dnr_alive, result.test_acc, strict=True)
    ):
        print(f"{i:5d}  {d:7.4f}  {n:6.3f}  {na:22.3f}  {a:8.4f}")
    if out.suffix.lower() == ".json":
        payload = {"settings": asdict(settings), "data": args.data or args.task, **asdict(result)}
        data = json.dumps(payload, indent=2).encode()
    else:
        buf = io.StringIO()
        buf.write("round,density,dnr,dnr_without_structural_deaths,structural_deaths,test_acc\n")
        for i in range(len(result.density)):
            buf.write(
                f"{i},{result.density[i]:.6f},{result.dnr[i]:.6f},{result.dnr_alive[i]:.6f},"
                f"{result.structural_deaths[i]},{result.test_acc[i]:.6f}\n"
            )
        data = buf.getvalue().encode()
    atomic_write_bytes(out, data)
    print(f"per-round results written to {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ap-prune`` command; returns the exit status."""
    return cli.main(argv, {"run": _run_command})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
