"""Command line: ``homeonet reproduce`` and ``homeonet run``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="homeonet",
        description=(
            "Homeostatic neural networks under concept shift (Man, Damasio & Neven 2022). A classifier's "
            "learning rate is a vulnerable internal state moved by the classes it learns from; the "
            "homeostatic learner (LRH) decides by look-ahead whether to take a sample. Baselines: random "
            "regulation (LRR) and a constant learning rate (LRC)."
        ),
    )
    sub = p.add_subparsers(dest="command", required=True)
    rp = sub.add_parser(
        "reproduce",
        help="measure the paper's claims on sklearn digits and write report.md/json + figures",
        description="Sweep swap rates x eta0 for LRC/LRR/LRH on sklearn digits; write a report with verdicts.",
    )
    rp.add_argument("--full", action="store_true", help="8 seeds and eta0 in {0.01, 0.05, 0.2} (slower)")
    rp.add_argument("--out", default="reports/homeonet", help="output folder (default: %(default)s)")
    rr = sub.add_parser(
        "run",
        help="one seeded run; prints per-epoch online/validation accuracy and eta",
        description="Train one learner under label-swap concept shift and print its learning curve.",
    )
    rr.add_argument("--mode", choices=["lrh", "lrr", "lrc"], default="lrh", help="regulation (default: lrh)")
    rr.add_argument("--swaps", type=float, default=0.0, help="label swaps per epoch (default: 0)")
    rr.add_argument("--eta0", type=float, default=0.05, help="initial learning rate (default: 0.05)")
    rr.add_argument("--epochs", type=int, default=30, help="epochs (default: 30)")
    rr.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    rr.add_argument(
        "--dataset",
        choices=["digits", "templates", "mnist", "fashion-mnist"],
        default="digits",
        help="data (mnist / fashion-mnist need --root with the IDX or CSV files; nothing is downloaded)",
    )
    rr.add_argument("--root", default=None, help="folder with MNIST / Fashion-MNIST files")
    rr.add_argument("--json", default=None, help="also write the curves to this JSON file")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``homeonet`` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if args.command == "reproduce":
        from .reproduce import reproduce

        report = reproduce(args.out, quick=not args.full, progress=True)
        print(report.to_markdown())
        print(f"\nwrote {Path(args.out) / 'report.md'}")
        return 0
    from .train import run

    try:
        out = run(
            mode=args.mode,
            dataset=args.dataset,
            swaps_per_epoch=args.swaps,
            epochs=args.epochs,
            eta0=args.eta0,
            seed=args.seed,
            root=args.root,
            progress=True,
        )
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"homeonet run: error: {exc}", file=sys.stderr)
        return 2
    print("epoch  online_acc  val_acc  mean_eta")
    for e in range(args.epochs):
        print(
            f"{e + 1:5d}  {out['online_acc'][e]:10.4f}  {out['val_acc'][e]:7.4f}  {out['eta_epoch_mean'][e]:.5g}"
        )
    tail = min(10, args.epochs)
    print(
        f"last-{tail}-epoch online accuracy: {np.mean(out['online_acc'][-tail:]):.4f}; taken {out['n_taken']} of {out['n_decisions']} decisions"
    )
    if args.json:
        payload = {
            k: np.asarray(out[k]).tolist() for k in ("online_acc", "val_acc", "eta_epoch_mean", "eta_trace")
        } | {"params": out["params"]}
        tmp = Path(args.json + ".tmp")
        tmp.write_text(json.dumps(payload))
        tmp.replace(args.json)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
