"""Command line: ``fisbe-bench reproduce|eval|toy`` and ``fisbe-eval`` (same as ``fisbe-bench eval``)."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["eval_main", "main"]

EVAL_DESCRIPTION = """\
Evaluate instance segmentations with the FISBe metrics (clDice localisation, greedy one-to-one
matching, avF1, coverage C, S = (avF1 + C) / 2, false splits/merges).

--pred and --gt are single files or folders (matched by file-name stem, e.g. pred/X.hdf <-> gt/X.zarr).
Formats: zarr groups (FISBe layout: volumes/gt_instances, volumes/raw), HDF5 (.hdf/.h5/.hdf5), TIFF.
The FISBe leaderboard setting is `--app flylight` (3-D, greedy, clDice, predicted instances of <= 800
voxels removed); without it no instances are removed unless --min-instance-size is given.
`--ndim 2` evaluates 2-D images (YX or CYX), thinned in 2-D as the official evaluator does.
Writes <out>/fisbe_scores.json (per image, in the official evaluator's keys, plus the dataset
aggregate computed from summed counts), <out>/fisbe_scores.md (a table) and <out>/summary.csv (the
official summary layout: per-image rows, then mean, sum and avg_inst; avg_inst is FISBe's combined
score when completely and partly labelled images are mixed, see --split-file).
"""


def _eval_parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog, description=EVAL_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _add_eval_args(p)
    return p


def _add_eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pred", required=True, help="prediction file or folder")
    p.add_argument("--gt", required=True, help="ground-truth file or folder")
    p.add_argument(
        "--pred-key", default=None, help="array key in prediction zarr/HDF5 (e.g. volumes/gmm_label_cleaned)"
    )
    p.add_argument(
        "--gt-key", default="volumes/gt_instances", help="array key in GT zarr/HDF5 (default: %(default)s)"
    )
    p.add_argument(
        "--min-instance-size",
        type=int,
        default=None,
        help="remove predicted instances with <= N voxels (FISBe preset: 800; default: keep all)",
    )
    p.add_argument(
        "--matching",
        choices=["greedy", "hungarian"],
        default="greedy",
        help="one-to-one matching (default: greedy)",
    )
    p.add_argument(
        "--criterion",
        choices=["cldice", "iou"],
        default="cldice",
        help="localisation criterion (default: cldice)",
    )
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
        help="spatial dimensions: 3 = ZYX/CZYX volumes (default), 2 = YX/CYX images",
    )
    p.add_argument(
        "--no-background-coverage",
        action="store_true",
        help="do not let the prediction background count as covering a GT neuron (matters only with "
        "--criterion iou; the official evaluator counts it)",
    )
    p.add_argument(
        "--fs-threshold", type=float, default=0.05, help="clRecall threshold for false splits (default: 0.05)"
    )
    p.add_argument(
        "--fm-threshold", type=float, default=0.1, help="clRecall threshold for false merges (default: 0.1)"
    )
    p.add_argument(
        "--app",
        choices=["flylight"],
        default=None,
        help="preset: flylight = greedy, cldice, min-instance-size 800",
    )
    p.add_argument("--out", default="fisbe_eval", help="output folder (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4f}"
    return str(v)


def run_eval(args: argparse.Namespace) -> dict[str, Any]:
    """Evaluate all (pred, gt) pairs described by parsed CLI arguments and write JSON + Markdown."""
    from tqdm import tqdm

    from .dataset import aggregate, aggregate_combined, record_from_scores, summary_table
    from .io import atomic_write_text, find_pairs, read_labels
    from .official import fisbe_split
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
    results = []
    names = []
    flags = []
    for pred_path, gt_path in tqdm(pairs, desc="images", unit="image", disable=args.no_progress):
        name = pred_path.name.split(".")[0]
        partly = split[name][1] if name in split else bool(args.partly)
        gt = read_labels(gt_path, args.gt_key, ndim=ndim)
        dim: tuple[int, ...] | None = None
        if gt_path.suffix == ".zarr" or gt_path.name.endswith(".zarr"):
            import zarr

            node: Any = zarr.open(str(gt_path), mode="r")[args.gt_key]
            attrs = dict(node.attrs)
            dim = tuple(int(v) for v in attrs.get("dim_neurons", ())) or None
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
            "partly": {n: f for n, f in zip(names, flags, strict=True)},
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
    head = "| image | nGT | nPred | S | avF1 | C | clDiceTP | tp | FS | FM |"
    lines = [head, "|" + "---|" * 10]
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
    text = (
        "# FISBe scores\n\n"
        + "\n".join(lines)
        + f"\n\nSettings: {settings}. Dataset row: counts summed over images.\n"
    )
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


def eval_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``fisbe-eval``."""
    args = _eval_parser("fisbe-eval").parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        payload = run_eval(args)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"fisbe-eval: error: {err}", file=sys.stderr)
        return 2
    print(Path(args.out) / "fisbe_scores.md")
    print(f"dataset S = {payload['dataset']['S']:.4f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``fisbe-bench``."""
    parser = argparse.ArgumentParser(
        prog="fisbe-bench",
        description="FISBe benchmark tooling: reproduce the package's claims, evaluate segmentations, make toy data.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rp = sub.add_parser(
        "reproduce", help="measure every claim of the spec and write report.json/report.md + figures"
    )
    rp.add_argument("--full", action="store_true", help="paper-scale setting (more, larger toy volumes)")
    rp.add_argument("--out", default="reports/fisbe-bench", help="output folder (default: %(default)s)")
    rp.add_argument(
        "--data",
        default=None,
        help="folder with the real FISBe sample (<name>.zarr, pred/<name>.hdf; default: $FISBE_SAMPLE_DIR); "
        "without it the claims that need the images are reported 'not testable offline'",
    )
    rp.add_argument("--quiet", action="store_true", help="hide the progress bar")
    ev = sub.add_parser(
        "eval",
        help="evaluate predictions (same as fisbe-eval)",
        description=EVAL_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_eval_args(ev)
    ty = sub.add_parser(
        "toy", help="write a toy FISBe volume (zarr, FISBe layout) and its colour-clustering segmentation"
    )
    ty.add_argument("--out", default="toy_fisbe", help="output folder (default: %(default)s)")
    ty.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    ty.add_argument("--shape", type=int, nargs=3, default=[40, 128, 128], metavar=("Z", "Y", "X"))
    ty.add_argument("--neurons", type=int, default=5, help="number of neurons (default: 5)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.command == "reproduce":
            from .reproduce import reproduce

            report = reproduce(args.out, quick=not args.full, data_dir=args.data, progress=not args.quiet)
            print(report.to_markdown())
            return 0
        if args.command == "eval":
            payload = run_eval(args)
            print(Path(args.out) / "fisbe_scores.md")
            print(f"dataset S = {payload['dataset']['S']:.4f}")
            return 0
        return _toy(args)
    except (ValueError, TypeError, FileNotFoundError, ImportError) as err:
        print(f"fisbe-bench: error: {err}", file=sys.stderr)
        return 2


def _toy(args: argparse.Namespace) -> int:
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
