"""Command line: ``snn-vpr reproduce``, ``snn-vpr train`` and ``snn-vpr eval``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="snn-vpr",
        description=(
            "Ensembles of compact, region-specific spiking networks for visual place recognition "
            "(Hussaini, Milford & Fischer, ICRA 2023): Diehl & Cook modules in vectorised torch."
        ),
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("reproduce", help="measure the paper's claims on synthetic traverses; write a report")
    r.add_argument("--out", default="reports/snn-vpr", help="output folder (default: %(default)s)")
    r.add_argument("--full", action="store_true", help="350 ms presentations and a larger scaling sweep")

    def data_args(a: argparse.ArgumentParser) -> None:
        a.add_argument("--data", default=None, help="root of traverse folders (default: synthetic traverses)")
        a.add_argument(
            "--reference", nargs="+", default=["spring", "fall"], help="reference traverse folders"
        )
        a.add_argument("--query", default="summer", help="query traverse folder")
        a.add_argument(
            "--names", default=None, help="VPRSNN-style image-name list (frames kept after filtering)"
        )
        a.add_argument("--skip", type=int, default=8, help="keep every n-th frame (default: %(default)s)")
        a.add_argument("--places", type=int, default=40, help="number of places (default: %(default)s)")
        a.add_argument("--seed", type=int, default=0)
        a.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")

    t = sub.add_parser("train", help="train a modular network and save it (.npz arrays + JSON metadata)")
    data_args(t)
    t.add_argument("--region-size", type=int, default=25, help="places per module (default: %(default)s)")
    t.add_argument(
        "--n-e", type=int, default=400, help="excitatory neurons per module (default: %(default)s)"
    )
    t.add_argument("--epochs", type=int, default=60, help="training epochs (default: %(default)s)")
    t.add_argument("--present-ms", type=float, default=350.0, help="presentation time in ms")
    t.add_argument(
        "--dt", type=float, default=0.5, help="time step in ms (reference: 0.1; default: %(default)s)"
    )
    t.add_argument(
        "--delay-max",
        type=float,
        default=10.0,
        help="input delays U(0, max) ms, 0 disables (default: %(default)s)",
    )
    t.add_argument("--out", required=True, help="file to write the trained network to (e.g. net.npz)")

    e = sub.add_parser("eval", help="evaluate a saved network on the query traverse: Recall@N and AUC-PR")
    data_args(e)
    e.add_argument(
        "--model",
        required=True,
        help="network file written by `snn-vpr train` (.npz; read without unpickling, other formats are refused)",
    )
    e.add_argument(
        "--engine",
        default="auto",
        choices=["auto", "fast", "reference"],
        help="inference engine (default: %(default)s = fast when numba is installed)",
    )
    e.add_argument("--threshold", type=int, default=None, help="hyperactive threshold T (default: as saved)")
    return p


def _load(args: argparse.Namespace) -> tuple[object, object]:
    from snn_vpr.data import load_image_folders, read_name_list, synthetic_traverses

    if args.data is None:
        d = synthetic_traverses(args.places, 64, seed=args.seed)
        return d.select("ref_a", "ref_b"), d.select("query")
    frames = read_name_list(args.names) if args.names else None
    d = load_image_folders(
        args.data, tuple(args.reference), (args.query,), frames=frames, skip=args.skip, n_places=args.places
    )
    return d.select(*args.reference), d.select(args.query)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``snn-vpr`` command."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from snn_vpr.metrics import auc_pr, recall_at_n
    from snn_vpr.model import ModularSNN
    from snn_vpr.network import DiehlCookParams
    from snn_vpr.preprocess import process_images
    from snn_vpr.reproduce import reproduce

    if args.command == "reproduce":
        report = reproduce(args.out, quick=not args.full, progress=True)
        print(report.to_markdown())
        return 0
    ref, qry = _load(args)
    if args.command == "train":
        net = ModularSNN(
            args.region_size,
            args.n_e,
            args.epochs,
            DiehlCookParams(t_present=args.present_ms, dt=args.dt, delay_max=args.delay_max),
            seed=args.seed,
            device=args.device,
        ).fit(process_images(ref.images), ref.place_id, progress=True)  # type: ignore[attr-defined]
        net.save(args.out)
        print(f"saved {len(net.regions_)} modules to {args.out}")
        return 0
    from snn_vpr.io import NetworkFileError

    try:
        net = ModularSNN.load(args.model, device=args.device)
    except (NetworkFileError, FileNotFoundError, IsADirectoryError, PermissionError, TypeError) as exc:
        print(f"snn-vpr eval: error: --model: {exc}", file=sys.stderr)
        return 2
    scores = net.predict_scores(process_images(qry.images), args.threshold, engine=args.engine)  # type: ignore[attr-defined]
    gt = net.place_index(qry.place_id)  # type: ignore[attr-defined]
    for n, r in recall_at_n(scores, gt).items():
        print(f"R@{n}: {r:.3f}")
    print(f"AUC-PR: {auc_pr(scores, gt):.3f}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
