"""Command line: ``fisbe-bench reproduce | run | toy | info`` and ``fisbe-eval`` (the spec's name for ``run``).

Built on :class:`neurotypes.cli.CommandLine` (shared flags, one-line errors with exit status 2); nothing heavy
is imported before a command runs.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from neurotypes.cli import CommandLine

__all__ = ["cli", "eval_main", "main", "run_eval"]

RUN_DESCRIPTION = """\
Evaluate instance segmentations with the FISBe metrics (clDice localisation, greedy one-to-one matching,
avF1, coverage C, S = (avF1 + C) / 2, false splits/merges).

PRED and GT are single files or folders (matched by file-name stem, e.g. pred/X.hdf <-> gt/X.zarr).
Formats: zarr groups (FISBe layout: volumes/gt_instances, volumes/raw), HDF5 (.hdf/.h5/.hdf5), TIFF.
The FISBe leaderboard setting is `--app flylight` (3-D, greedy, clDice, predicted instances of <= 800
voxels removed); without it no instances are removed unless --min-instance-size is given.
`--ndim 2` evaluates 2-D images (YX or CYX), thinned in 2-D as the official evaluator does.
Writes <out>/fisbe_scores.json (per image, in the official evaluator's keys, plus the dataset
aggregate computed from summed counts), <out>/fisbe_scores.md (a table) and <out>/summary.csv (the
official summary layout: per-image rows, then mean, sum and avg_inst; avg_inst is FISBe's combined
score when completely and partly labelled images are mixed, see --split-file).
"""

cli = CommandLine(
    "fisbe-bench",
    "The FISBe instance-segmentation metrics (Mais et al., CVPR 2024): clDice localisation, avF1, coverage, "
    "S, false splits and merges, equal to the official evaluator; readers for the FISBe formats, a toy-FISBe "
    "generator and a colour-clustering baseline.",
)
_rep = cli.add_reproduce("fisbe_bench.reproduce:reproduce")
_rep.add_argument(
    "--data",
    default=None,
    help="folder of the real FISBe sample (<name>.zarr, pred/<name>.hdf; default: $FISBE_SAMPLE_DIR); without it "
    "the claims that need the images are reported 'not testable offline'",
)
_run = cli.add_command(
    "run",
    "evaluate predictions against ground truth (files or folders)",
    description=RUN_DESCRIPTION,
    out="fisbe_eval",
    out_help="output folder",
)
_toy = cli.add_command(
    "toy",
    "write a toy FISBe volume (zarr, FISBe layout) and its colour-clustering segmentation",
    out="toy_fisbe",
    out_help="output folder",
    seed=True,
)
_info = cli.add_info()


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("pred", help="prediction file or folder")
    p.add_argument("gt", help="ground-truth file or folder")
    p.add_argument(
        "--pred-key", default=None, help="array key in prediction zarr/HDF5 (e.g. volumes/gmm_label_cleaned)"
    )
    p.add_argument("--gt-key", default="volumes/gt_instances", help="array key in GT zarr/HDF5")
    p.add_argument(
        "--min-instance-size",
        type=int,
        default=None,
        help="remove predicted instances with <= N voxels (FISBe preset: 800; default: keep all)",
    )
    p.add_argument(
        "--matching", choices=["greedy", "hungarian"], default="greedy", help="one-to-one matching"
    )
    p.add_argument("--criterion", choices=["cldice", "iou"], default="cldice", help="localisation criterion")
    p.add_argument(
        "--partly",
        action="store_true",
        help="GT is partly labelled: unmatched predictions on unlabelled structure are not FPs",
    )
    p.add_argument(
        "--split-file",
        default=None,
        help="set --partly per image from a FISBe sample list (the official sample_list_per_split.txt format); "
        "'fisbe' uses the list shipped with the package; images it does not name use --partly",
    )
    p.add_argument(
        "--ndim",
        type=int,
        choices=[2, 3],
        default=3,
        help="spatial dimensions: 3 = ZYX/CZYX, 2 = YX/CYX images",
    )
    p.add_argument(
        "--no-background-coverage",
        action="store_true",
        help="do not let the prediction background count as covering a GT neuron (matters only with "
        "--criterion iou; the official evaluator counts it)",
    )
    p.add_argument("--fs-threshold", type=float, default=0.05, help="clRecall threshold for false splits")
    p.add_argument("--fm-threshold", type=float, default=0.1, help="clRecall threshold for false merges")
    p.add_argument(
        "--app",
        choices=["flylight"],
        default=None,
        help="preset: flylight = 3-D, greedy, cldice, size filter 800",
    )


_add_run_args(_run)


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    """Errors of a verb's options start with ``fisbe-bench: error:`` (the shared policy's prefix).

    neurotypes 0.2.0's sub-parsers print their own prog (``fisbe-bench run: error: ...``); this keeps the
    prefix of the policy until neurotypes does it for every package.
    """

    def error(message: str) -> Any:
        parser.exit(2, f"{cli.dist}: error: {message} (see {parser.prog} --help)\n")

    parser.error = error  # type: ignore[method-assign]


_toy.add_argument(
    "--shape", type=int, nargs=3, default=[40, 128, 128], metavar=("Z", "Y", "X"), help="volume shape"
)
_toy.add_argument("--neurons", type=int, default=5, help="number of neurons")
for _p in (_rep, _run, _toy, _info):
    _one_line_errors(_p)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4f}"
    return str(v)


def run_eval(args: argparse.Namespace) -> dict[str, Any]:
    """Evaluate all (pred, gt) pairs described by parsed ``run`` arguments; write JSON, Markdown and CSV."""
    from tqdm.auto import tqdm

    from .data import fisbe_split
    from .dataset import aggregate, aggregate_combined, record_from_scores, summary_table
    from .io import atomic_write_text, find_pairs, read_dim_neurons, read_labels
    from .scores import evaluate

    min_size = args.min_instance_size
    matching, criterion, ndim = args.matching, args.criterion, args.ndim
    if args.app == "flylight":
        min_size, matching, criterion = 800 if min_size is None else min_size, "greedy", "cldice"
        ndim = 3
    split: dict[str, tuple[str, bool]] = {}
    if args.split_file is not None:
        split = fisbe_split(None if args.split_file == "fisbe" else args.split_file)
    pairs = find_pairs(args.pred, args.gt)
    results, names, flags = [], [], []
    bar = tqdm(pairs, desc="images", unit="image", disable=args.quiet or len(pairs) < 2, delay=1.0)
    for pred_path, gt_path in bar:
        name = pred_path.name.split(".")[0]
        partly = split[name][1] if name in split else bool(args.partly)
        gt = read_labels(gt_path, args.gt_key, ndim=ndim)
        dim = read_dim_neurons(gt_path, args.gt_key) or None
        pred = read_labels(pred_path, args.pred_key, ndim=ndim)
        s = evaluate(
            gt,
            pred,
            matching=matching,
            min_instance_size=min_size,
            partly=partly,
            criterion=criterion,
            fs_threshold=args.fs_threshold,
            fm_threshold=args.fm_threshold,
            dim_instances=dim,
            ndim=ndim,
            background_covers=not args.no_background_coverage,
        )
        results.append(s)
        names.append(name)
        flags.append(partly)
    records = [record_from_scores(s, n) for s, n in zip(results, names, strict=True)]
    if len(set(flags)) > 1:
        agg = aggregate_combined([r for r in records if not r.partly], [r for r in records if r.partly])
    else:
        agg = aggregate(records)
    payload = {
        "settings": {
            "matching": matching,
            "criterion": criterion,
            "min_instance_size": min_size,
            "ndim": ndim,
            "partly": dict(zip(names, flags, strict=True)),
            "fs_threshold": args.fs_threshold,
            "fm_threshold": args.fm_threshold,
            "background_covers": not args.no_background_coverage,
        },
        "images": {n: s.to_reference_dict() for n, s in zip(names, results, strict=True)},
        "dataset": agg.to_dict(),
    }
    out = Path(args.out)
    atomic_write_text(out / "fisbe_scores.json", json.dumps(payload, indent=1, default=float))
    atomic_write_text(out / "summary.csv", _summary_csv(summary_table(records)))
    lines = ["| image | nGT | nPred | S | avF1 | C | clDiceTP | tp | FS | FM |", "|" + "---|" * 10]
    for n, s in zip(names, results, strict=True):
        vals = [n, s.n_gt, s.n_pred, s.S, s.avF1, s.C, s.cldice_tp, s.tp, s.fs, s.fm]
        lines.append("| " + " | ".join(_fmt(v) for v in vals) + " |")
    vals = [
        "**dataset**",
        agg.n_gt,
        agg.n_pred,
        agg.S,
        agg.avF1,
        agg.C,
        agg.cldice_tp,
        agg.tp,
        agg.fs,
        agg.fm,
    ]
    lines.append("| " + " | ".join(_fmt(v) for v in vals) + " |")
    settings = ", ".join(f"{k}={v}" for k, v in payload["settings"].items())
    kind = (
        "FISBe's combined score (complete and partly labelled sets averaged)"
        if agg.combined
        else "counts summed"
    )
    text = "# FISBe scores\n\n" + "\n".join(lines) + f"\n\nSettings: {settings}. Dataset row: {kind}.\n"
    atomic_write_text(out / "fisbe_scores.md", text)
    return payload


def _summary_csv(rows: list[tuple[str, dict[str, float]]]) -> str:
    """The official summary.csv text (``;``-separated, header ``sample;<columns>``)."""
    import csv
    import io

    cols = list(rows[0][1])
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\n")
    w.writerow(["sample", *cols])
    for name, row in rows:
        w.writerow([name, *(repr(float(row[c])) for c in cols)])
    return buf.getvalue()


def _run_handler(args: argparse.Namespace) -> int:
    payload = run_eval(args)
    print(Path(args.out) / "fisbe_scores.md")
    print(f"dataset S = {payload['dataset']['S']:.4f}")
    return 0


def _reproduce_handler(args: argparse.Namespace) -> int:
    from .reproduce import reproduce

    out = args.out or ("reports/fisbe-bench/full" if args.full else "reports/fisbe-bench")
    report = reproduce(
        out,
        quick=not args.full,
        seed=args.seed,
        progress=not args.quiet,
        threads=args.threads,
        data_dir=args.data,
    )
    width = len("not testable offline")
    for claim in report.claims:
        print(f"{claim.verdict:>{width}}  {claim.name}")
    totals = ", ".join(f"{n} {v}" for v, n in report.totals().items() if n)
    print(f"{len(report.claims)} claims ({totals}); report.json, report.md and figures in {out}")
    return 0


def _toy_handler(args: argparse.Namespace) -> int:
    import numpy as np
    import zarr

    from .baselines import colour_clustering
    from .synth import toy_fisbe

    toy = toy_fisbe(tuple(args.shape), n_neurons=args.neurons, seed=args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    g = zarr.open_group(str(out / f"toy_{args.seed}.zarr"), mode="w", zarr_format=2)
    raw = g.create_array("volumes/raw", shape=toy.raw.shape, dtype=np.float32, chunks=(3, 32, 64, 64))
    raw[:] = toy.raw
    gt = g.create_array(
        "volumes/gt_instances", shape=toy.gt.shape, dtype=np.uint8, chunks=(toy.gt.shape[0], 32, 64, 64)
    )
    gt[:] = toy.gt
    gt.attrs["dim_neurons"] = []
    seg = colour_clustering(toy.raw, seed=args.seed)
    p = zarr.open_group(str(out / "pred" / f"toy_{args.seed}.zarr"), mode="w", zarr_format=2)
    arr = p.create_array("volumes/labels", shape=seg.shape, dtype=np.int32, chunks=(32, 64, 64))
    arr[:] = seg
    print(out)
    return 0


HANDLERS = {"run": _run_handler, "reproduce": _reproduce_handler, "toy": _toy_handler}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``fisbe-bench``; returns the exit status."""
    return cli.main(argv, HANDLERS)


def eval_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``fisbe-eval --pred P --gt G [options]`` (the spec's name): ``fisbe-bench run P G [options]``."""
    import sys

    parser = argparse.ArgumentParser(prog="fisbe-eval", add_help=False)
    parser.add_argument("--pred")
    parser.add_argument("--gt")
    known, rest = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    if known.pred is None or known.gt is None:
        if any(a in ("-h", "--help") for a in rest):
            return main(["run", "--help"])
        print("fisbe-eval: error: --pred and --gt are required (see fisbe-bench run --help)", file=sys.stderr)
        return 2
    return main(["run", known.pred, known.gt, *rest])
