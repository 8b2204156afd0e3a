"""The ``milan-neurons`` command line: ``reproduce``, ``fit``, ``run`` and ``info``.

Only the standard library and neurotypes are imported here; torch, Lightning and the package's modules are
imported inside the handlers, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from neurotypes.cli import CommandLine

__all__ = ["cli", "main"]

log = logging.getLogger(__name__)

cli = CommandLine(
    "milan-neurons",
    "MILAN (Hernandez et al., ICLR 2022): natural-language descriptions of the units of vision models, by "
    "pointwise mutual information between a description and a unit's top-activating image regions.",
    torch=True,
)
cli.add_reproduce("milan.reproduce:reproduce")

_fit = cli.add_command(
    "fit",
    "train a MILAN describer on the shapes world and save it (.npz: arrays + JSON, no pickle)",
    out="milan-describer.npz",
    out_help="describer file to write",
    seed=True,
    threads=True,
    device=True,
)
_fit.add_argument("--images", type=int, default=1500, help="images of the training world")
_fit.add_argument("--units-per-concept", type=int, default=6, help="planted training units per concept")

_run = cli.add_command(
    "run",
    "describe the units of a layer from its activation maps (an .npz written from any framework)",
    description=(
        "Describe the units of one layer of your model. ACTIVATIONS is an .npz file holding 'activations' "
        "[N, units, h, w] (the layer's output on N probe images) and optionally 'images' [N, 3, H, W] (float in "
        "[0, 1] or uint8); otherwise give the probe images with --images (a folder of PNG/JPEG files in name order, "
        "or an .npz with 'images'). Writes one description per unit as CSV."
    ),
    out="descriptions.csv",
    out_help="CSV file to write (layer, unit, description, log_p_caption, log_p_lm)",
    threads=True,
)
_run.add_argument("activations", help="the layer's activations: .npz with an 'activations' array")
_run.add_argument(
    "--images",
    default=None,
    help="probe images: a folder of image files or an .npz (default: from ACTIVATIONS)",
)
_run.add_argument(
    "--describer",
    default=None,
    help="describer file written by 'fit' (default: the shapes-world describer that ships with the package)",
)
_run.add_argument("--layer", default="layer", help="layer name recorded in the output")
_run.add_argument("--k", type=int, default=15, help="exemplars per unit")
_run.add_argument("--quantile", type=float, default=0.99, help="activation quantile of the exemplar masks")
_run.add_argument("--lam", type=float, default=0.2, help="PMI weight lambda (0: likelihood decoding)")
_run.add_argument("--beam", type=int, default=50, help="beam width")
_run.add_argument("--exemplars", default=None, help="also write the exemplars to this .npz file")


def _cuda() -> dict[str, str]:
    import torch

    return {"torch": torch.__version__, "cuda available": str(torch.cuda.is_available())}


cli.add_info(_cuda)


def _handle_fit(args: argparse.Namespace) -> int:
    from milan.train import train_shapes_milan

    log.info("training MILAN on the shapes world (%d images)", args.images)
    sm = train_shapes_milan(
        n_images=args.images,
        units_per_concept=args.units_per_concept,
        seed=args.seed,
        progress=not args.quiet,
        device=args.device,
    )
    path = sm.milan.save(args.out)
    print(
        f"wrote {path} (vocabulary {len(sm.vocab)} words, trained on {len(sm.train.concepts)} planted units)"
    )
    return 0


def _handle_run(args: argparse.Namespace) -> int:
    from milan.data import read_activations, read_images
    from milan.decoding import Milan
    from milan.exemplars import exemplars_from_activations

    milan = Milan.load(args.describer) if args.describer is not None else None
    acts, images = read_activations(args.activations)
    if args.images is not None:
        images = read_images(args.images)
    if images is None:
        raise ValueError(
            f"activations file {args.activations!r} holds no 'images'; give the probe images with --images"
        )
    if len(images) != len(acts):
        raise ValueError(
            f"--images holds {len(images)} images but the activations file {len(acts)} activation maps"
        )
    if images.shape[1] != 3:
        raise ValueError(f"probe images must have 3 (RGB) channels, got {images.shape[1]}")
    if milan is None:
        milan = Milan.pretrained()
    milan = Milan(
        milan.captioner,
        milan.lm,
        milan.vocab,
        encoder=milan.encoder,
        lam=args.lam,
        beam=args.beam,
        strategy=milan.strategy,
        max_len=milan.max_len,
        min_len=milan.min_len,
    )
    ex = exemplars_from_activations(acts, images, k=args.k, quantile=args.quantile, layer=args.layer)
    if args.exemplars is not None:
        ex.save(args.exemplars)
    desc = milan.describe(ex)
    path = desc.to_csv(args.out)
    for row in desc.to_rows():
        print(f"unit {row['unit']:4d}: {row['description']}")
    print(f"wrote {Path(path)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``milan-neurons`` (and ``milan``) command."""
    return cli.main(argv, {"fit": _handle_fit, "run": _handle_run})


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
