"""Command line: ``milan reproduce``, ``milan exemplars`` and ``milan describe``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="milan",
        description=(
            "MILAN: natural-language descriptions of neurons in vision models (Hernandez et al., ICLR 2022), "
            "on a self-contained shapes world."
        ),
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("reproduce", help="measure the paper's claims on the shapes world and write a report")
    r.add_argument("--out", default="reports/milan", help="output folder (default: %(default)s)")
    r.add_argument("--full", action="store_true", help="larger shapes world and more planted units (slower)")
    e = sub.add_parser(
        "exemplars", help="exemplars of a layer of a shapes-world target CNN (trained briefly), as JSON"
    )
    e.add_argument(
        "--model", choices=["target-cnn"], default="target-cnn", help="model (default: %(default)s)"
    )
    e.add_argument("--layer", default="features.relu3", help="layer name (default: %(default)s)")
    e.add_argument(
        "--images", type=int, default=1000, help="shapes-world probe images (default: %(default)s)"
    )
    e.add_argument("-k", type=int, default=15, help="exemplars per unit (default: %(default)s)")
    e.add_argument("--quantile", type=float, default=0.99, help="mask quantile (default: %(default)s)")
    d = sub.add_parser(
        "describe", help="train MILAN on the shapes world and describe a target CNN's units as CSV"
    )
    d.add_argument("--layer", default="features.relu3", help="layer of the target CNN (default: %(default)s)")
    d.add_argument("--lam", type=float, default=0.2, help="PMI weight lambda (default: %(default)s)")
    d.add_argument("--beam", type=int, default=50, help="beam width (default: %(default)s)")
    d.add_argument("--out", default="milan_descriptions.csv", help="CSV file (default: %(default)s)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``milan`` command."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import torch

    from milan import compute_exemplars, reproduce
    from milan.datasets import shapes_world
    from milan.pipeline import TargetCNN, train_shapes_milan
    from milan.train import train_classifier

    if args.command == "reproduce":
        report = reproduce(args.out, quick=not args.full, progress=True)
        print(report.to_markdown())
        return 0
    torch.set_num_threads(1)
    world = shapes_world(1500, seed=0, glyph_prob=0.15)
    net = TargetCNN()
    train_classifier(net, world.images, world.labels, epochs=3)  # Lightning bars would go to stdout
    probe = shapes_world(args.images if args.command == "exemplars" else 1000, seed=1, glyph_prob=0.15)
    if args.command == "exemplars":
        ex = compute_exemplars(net, args.layer, probe.images, k=args.k, quantile=args.quantile, progress=True)
        rows = [
            {"unit": u, "threshold": float(ex.thresholds[u]), "top_images": ex.indices[u].tolist()}
            for u in range(ex.n_units)
        ]
        json.dump(rows, sys.stdout, indent=1)
        print()
        return 0
    logging.getLogger(__name__).info("training MILAN on the shapes world (about a minute)")
    sm = train_shapes_milan()
    sm.milan.lam, sm.milan.beam = args.lam, args.beam
    ex = compute_exemplars(net, args.layer, probe.images, k=15, progress=True)
    desc = sm.milan.describe(ex)
    path = desc.to_csv(args.out)
    for row in desc.to_rows():
        print(f"unit {row['unit']:3d}: {row['description']}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
