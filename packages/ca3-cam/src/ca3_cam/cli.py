"""Command line: ``ca3-cam reproduce [--full] [--out DIR]`` and ``ca3-cam run --experiment 1|2|3``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ca3-cam",
        description="Spike-based hippocampal CA3 content-addressable memory (Casanueva-Morato et al. 2024).",
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser(
        "reproduce",
        help="measure the paper's claims and write report.md, report.json and figures",
        description="Run Experiments 1-3 on the numpy engine, compare with the SpiNNaker recordings and "
        "IdealCAM, sweep the memory size, and write a report.",
    )
    r.add_argument("--full", action="store_true", help="scaling sweep up to 100 cues x 1000 bits (minutes)")
    r.add_argument(
        "--out", type=Path, default=Path("reports/ca3-cam"), help="output folder (default: %(default)s)"
    )
    x = sub.add_parser(
        "run",
        help="run one experiment on an engine and write a raster plot and the answers",
        description="Run Experiment 1 (functional), 2 (stress) or 3 (state map) and write <out>/exp<N>_<engine>.png "
        "and a text file with every recall's answer next to IdealCAM's.",
    )
    x.add_argument("--experiment", type=int, choices=(1, 2, 3), required=True, help="which experiment")
    x.add_argument(
        "--engine",
        choices=("numpy", "nest", "spinnaker"),
        default="numpy",
        help="numpy (default), nest (extra 'nest') or spinnaker (extra 'spinnaker'; needs a board configured)",
    )
    x.add_argument("--out", type=Path, default=Path("."), help="output folder (default: current folder)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ca3-cam`` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if args.command == "reproduce":
        from ca3_cam.reproduce import reproduce

        report = reproduce(args.out, quick=not args.full)
        sys.stdout.write(report.to_markdown() + "\n")
        return 0
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ca3_cam.memory import decode_answers, ideal_answers, run_schedule
    from ca3_cam.model import CA3_POPULATIONS, build_network
    from ca3_cam.reproduce import _raster, experiment_schedule

    sched = experiment_schedule(args.experiment)
    rows = run_schedule(build_network(sched.n_cues, sched.n_content), sched, args.engine)
    args.out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(10, 6))
    _raster(ax, rows, ["Input", *CA3_POPULATIONS, "Output"], s=6, c="k")
    ax.set_xlabel("time (ms)")
    ax.set_title(f"Experiment {args.experiment} on {args.engine}")
    fig.tight_layout()
    png = args.out / f"exp{args.experiment}_{args.engine}.png"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    lines = []
    for a, w in zip(decode_answers(sched, rows["Output"]), ideal_answers(sched), strict=True):
        op = a.operation
        q = op.cue if op.kind == "recall_cue" else sorted(op.bits)
        lines.append(f"{op.t_ms:5d} ms {op.kind:15s} {q!s:20s} -> {sorted(a.answer)!s:25s} ideal {sorted(w)}")
    txt = args.out / f"exp{args.experiment}_{args.engine}_answers.txt"
    txt.write_text("\n".join(lines) + "\n")
    sys.stdout.write(f"wrote {png} and {txt}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
