"""Command line: ``homeonet reproduce | run | info``.

Built on :class:`neurotypes.cli.CommandLine` (the flags and error policy every neurozoo package shares). Only
the standard library and neurotypes load at module level, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from neurotypes.cli import CommandLine, UserError

__all__ = ["cli", "main"]

cli = CommandLine(
    "homeonet",
    "Homeostatic neural networks under concept shift (Man, Damasio & Neven 2022). A classifier's learning rate "
    "is a vulnerable internal state moved by the classes it learns from; the homeostatic learner (LRH) decides "
    "by look-ahead whether to take a sample. Baselines: random regulation (LRR) and a constant rate (LRC).",
)
cli.add_reproduce(
    "homeonet.reproduce:reproduce", full_help="8 seeds and swap rates {0, 1, 2, 5, 10, 20, 40} (slower)"
)

_run = cli.add_command(
    "run",
    "train one learner under label-swap concept shift on your data (or sklearn digits); write its curves",
    description="Train one learner (LRH, LRR or LRC) on a labelled data set while labels are swapped at a "
    "given rate, print per-epoch online (prequential) accuracy, validation accuracy and mean eta, and write "
    "the curves to --out (.json or .npz). DATA: a .csv/.tsv/.txt table (a header with a label column, or the "
    "MNIST CSV with the label first), an .npz with arrays x and y, or IDX images (*-ubyte, .idx, .gz) with "
    "--labels. Without DATA: sklearn digits.",
    out="homeonet-run.json",
    out_help="learning curves (.json or .npz)",
    seed=True,
    threads=True,
)
_run.add_argument("data", nargs="?", default=None, help="data file (.csv/.tsv/.txt, .npz, or IDX images)")
_run.add_argument("--labels", default=None, help="IDX label file (with IDX images)")
_run.add_argument("--label", default="label", help="label column of a table with a header")
_run.add_argument("--mode", choices=("lrh", "lrr", "lrc"), default="lrh", help="regulation")
_run.add_argument("--swaps", type=float, default=0.0, help="label swaps per epoch")
_run.add_argument("--eta0", type=float, default=0.05, help="initial learning rate")
_run.add_argument("--epochs", type=int, default=30, help="epochs")
_run.add_argument("--val", type=float, default=0.2, help="fraction of DATA held out for validation")
cli.add_info()


def _run_command(args: argparse.Namespace) -> int:
    if args.epochs < 1:
        raise UserError(f"--epochs must be a positive integer, got {args.epochs}")
    if not args.eta0 > 0 or args.eta0 == float("inf"):
        raise UserError(f"--eta0 must be a finite number > 0, got {args.eta0}")
    if not 0 <= args.swaps < float("inf"):
        raise UserError(f"--swaps must be a finite number >= 0, got {args.swaps}")
    out = Path(args.out)
    if out.suffix.lower() not in (".json", ".npz"):
        raise UserError(f"--out must end in .json or .npz, got {args.out!r}")

    import numpy as np

    from neurotypes import atomic_write_bytes

    from .data import digits, load_file
    from .train import run

    if args.data is not None:
        dataset = load_file(args.data, labels=args.labels, label=args.label, n_val=args.val, seed=args.seed)
    else:
        dataset = digits()
    res = run(
        mode=args.mode,
        dataset=dataset,
        swaps_per_epoch=args.swaps,
        epochs=args.epochs,
        eta0=args.eta0,
        seed=args.seed,
        progress=not args.quiet,
    )
    print("epoch  online_acc  val_acc  mean_eta")
    for e in range(args.epochs):
        print(
            f"{e + 1:5d}  {res['online_acc'][e]:10.4f}  {res['val_acc'][e]:7.4f}  {res['eta_epoch_mean'][e]:.5g}"
        )
    tail = min(10, args.epochs)
    print(
        f"last-{tail}-epoch online accuracy {np.mean(res['online_acc'][-tail:]):.4f}; "
        f"{res['n_taken']} of {res['n_decisions']} decisions taken"
    )
    arrays = {
        k: np.asarray(res[k], dtype=np.float64)
        for k in ("online_acc", "val_acc", "eta_epoch_mean", "eta_trace")
    }
    params = dict(res["params"], data=str(args.data) if args.data else "sklearn digits")
    if out.suffix.lower() == ".json":
        payload = {k: v.tolist() for k, v in arrays.items()} | {"params": params}
        atomic_write_bytes(out, json.dumps(payload, indent=1).encode())
    else:
        import io

        buf = io.BytesIO()
        np.savez(buf, params=np.array(json.dumps(params)), **arrays)  # type: ignore[arg-type]
        atomic_write_bytes(out, buf.getvalue())
    print(f"curves written to {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``homeonet`` command; returns the exit status."""
    return cli.main(argv, {"run": _run_command})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
