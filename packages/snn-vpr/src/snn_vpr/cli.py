"""Command line: ``snn-vpr reproduce | fit | run | info``.

Built on :class:`neurotypes.cli.CommandLine` (the flags and the one-line error policy every neurozoo package
shares). Nothing heavy is imported at module level: torch, PIL and the model load inside the handlers, so
``--help`` is instant.

- ``snn-vpr fit spring/ fall/ --out net.npz``: train a modular network on frame-aligned reference traverses
  (folders of images); ``--calibration autumn/`` chooses the hyperactive threshold on a separate traverse.
- ``snn-vpr run net.npz summer/ --out matches.csv``: answer every image of a query traverse; writes the best
  match per query (CSV) and, with ``--responses``, the spike counts (a neurotypes ``SpikeCounts`` ``.npz``);
  prints Recall@N and AUC-PR when the traverse is frame-aligned with the reference (``--aligned``).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping, Sequence

from neurotypes.cli import CommandLine, UserError

__all__ = ["cli", "main"]

log = logging.getLogger(__name__)

cli = CommandLine(
    "snn-vpr",
    "Ensembles of compact, region-specific and regularised spiking networks for visual place recognition\n"
    "(Hussaini, Milford & Fischer, ICRA 2023): Diehl & Cook modules in vectorised torch, with a compiled\n"
    "query engine (extra 'fast').",
    torch=True,
)
cli.add_reproduce(
    "snn_vpr.reproduce:reproduce",
    full_help="the paper's 60 training epochs (3 seeds: about 40 min of CPU per seed on 2 cores)",
)


def _frame_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--names", default=None, help="VPRSNN-style image-name list: the frames to keep (positions)"
    )
    p.add_argument("--skip", type=int, default=1, help="keep every n-th frame (Nordland: 8)")
    p.add_argument("--places", type=int, default=None, help="keep the first n places (default: all)")


_fit = cli.add_command(
    "fit",
    "train a modular network on reference traverses (folders of images); write a safe network file",
    description="Train one Diehl & Cook module per region of consecutive places on frame-aligned reference "
    "traverses (one folder of images each, sorted by file name; frame k of every folder is place k) and write "
    "the network as an .npz file (arrays and JSON metadata, no pickle) that `snn-vpr run` reads.",
    out="snn-vpr-net.npz",
    out_help="network file to write (.npz)",
    seed=True,
    threads=True,
    device=True,
)
_fit.add_argument("references", nargs="+", help="reference traverse folders (e.g. spring/ fall/)")
_frame_args(_fit)
_fit.add_argument(
    "--calibration", default=None, help="traverse folder to choose the hyperactive threshold T on"
)
_fit.add_argument("--region-size", type=int, default=25, help="places per module")
_fit.add_argument("--n-e", type=int, default=400, help="excitatory neurons per module")
_fit.add_argument("--epochs", type=int, default=60, help="training epochs")
_fit.add_argument("--present-ms", type=float, default=350.0, help="presentation time (ms)")
_fit.add_argument("--dt", type=float, default=0.5, help="time step (ms; the reference uses 0.1)")
_fit.add_argument("--delay-max", type=float, default=10.0, help="input delays U(0, max) ms; 0 disables")

_run = cli.add_command(
    "run",
    "answer a query traverse with a trained network; write the best matches (CSV) and spike counts",
    description="Read a network written by `snn-vpr fit`, simulate every module for every image of the query "
    "traverse (a folder of images) and write the best-matching place of each query as CSV (query file, place, "
    "score). With --aligned (frame k of the query folder shows place k), also print Recall@N and AUC-PR.",
    out="snn-vpr-matches.csv",
    out_help="CSV of the best match per query",
    seed=True,
    threads=True,
    device=True,
)
_run.add_argument("model", help="network file written by `snn-vpr fit` (.npz; never unpickled)")
_run.add_argument("query", help="query traverse folder (images)")
_frame_args(_run)
_run.add_argument("--threshold", type=int, default=None, help="hyperactive threshold T (default: as saved)")
_run.add_argument(
    "--engine", choices=["auto", "fast", "reference"], default="auto", help="query engine (fast needs numba)"
)
_run.add_argument(
    "--aligned", action="store_true", help="query frame k shows place k: print Recall@N, AUC-PR"
)
_run.add_argument(
    "--responses", default=None, help="also write the spike counts (neurotypes SpikeCounts .npz)"
)


def _info_extra() -> Mapping[str, str]:
    import torch

    from snn_vpr import _fast

    return {
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available",
        "fast engine (numba)": "installed"
        if _fast.available()
        else "not installed: pip install 'snn-vpr[fast]'",
    }


cli.add_info(_info_extra)


def _device(name: str) -> str:
    if name == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def _positive(args: argparse.Namespace, names: Sequence[str]) -> None:
    for name in names:
        value = getattr(args, name.replace("-", "_"))
        if value is not None and not value > 0:
            raise UserError(f"--{name} must be > 0, got {value}")


def _frames(args: argparse.Namespace) -> list[int] | None:
    from snn_vpr.data import read_name_list

    return read_name_list(args.names) if args.names else None


def _fit_command(args: argparse.Namespace) -> int:
    _positive(args, ("skip", "places", "region-size", "n-e", "epochs", "present-ms", "dt"))
    if args.delay_max < 0:
        raise UserError(f"--delay-max must be >= 0, got {args.delay_max}")
    from snn_vpr.data import load_traverses  # numpy + PIL: a bad folder is reported before torch loads

    ref = load_traverses(args.references, _frames(args), skip=args.skip, n_places=args.places)
    cal = None
    if args.calibration is not None:
        cal = load_traverses([args.calibration], _frames(args), skip=args.skip, n_places=args.places)
    from snn_vpr.model import ModularSNN
    from snn_vpr.network import DiehlCookParams
    from snn_vpr.preprocess import process_images

    net = ModularSNN(
        args.region_size,
        args.n_e,
        args.epochs,
        DiehlCookParams(t_present=args.present_ms, dt=args.dt, delay_max=args.delay_max),
        seed=args.seed,
        device=_device(args.device),
    ).fit(process_images(ref.images), ref.place_id, progress=not args.quiet)
    if cal is not None:
        t = net.calibrate_hyperactive(process_images(cal.images), cal.place_id)
        print(f"hyperactive threshold T = {t} (chosen on {args.calibration})")
    net.save(args.out)
    print(f"saved {len(net.regions_)} modules x {args.n_e} neurons ({net.places_.size} places) to {args.out}")
    return 0


def _run_command(args: argparse.Namespace) -> int:
    _positive(args, ("skip", "places"))
    if args.threshold is not None and args.threshold < 0:
        raise UserError(f"--threshold must be >= 0, got {args.threshold}")
    from pathlib import Path

    from snn_vpr.model import ModularSNN

    net = ModularSNN.load(args.model, device=_device(args.device))
    from snn_vpr.data import IMAGE_SUFFIXES, load_traverses
    from snn_vpr.metrics import auc_pr, recall_at_n
    from snn_vpr.preprocess import process_images

    qry = load_traverses([args.query], _frames(args), skip=args.skip, n_places=args.places)
    counts = net.respond(process_images(qry.images), engine=args.engine, seed=args.seed)
    scores = net.scores_from_responses(counts.counts.T, args.threshold)
    best = scores.argmax(axis=1)
    files = sorted(f.name for f in Path(args.query).iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    kept = [files[i] for i in _kept(len(files), args)]
    from neurotypes import atomic_write_bytes

    lines = ["query_file,place,score"]
    lines += [
        f"{n},{int(net.places_[b])},{scores[i, b]:.6g}"
        for i, (n, b) in enumerate(zip(kept, best, strict=True))
    ]
    atomic_write_bytes(args.out, ("\n".join(lines) + "\n").encode())
    print(f"best matches of {len(kept)} queries written to {args.out}")
    if args.responses:
        counts.save(args.responses)
        print(f"spike counts (units x queries) written to {args.responses}")
    if args.aligned:
        known = qry.place_id <= net.places_.max()
        gt = net.place_index(qry.place_id[known])
        for n, r in recall_at_n(scores[known], gt).items():
            print(f"R@{n}: {r:.3f}")
        print(f"AUC-PR: {auc_pr(scores[known], gt):.3f}")
    return 0


def _kept(n: int, args: argparse.Namespace) -> list[int]:
    from snn_vpr.data import select_every_nth

    frames = _frames(args)
    idx = list(range(n)) if frames is None else frames
    idx = select_every_nth(idx, args.skip)
    return idx if args.places is None else idx[: args.places]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``snn-vpr`` command; returns the exit status (2 for a user error)."""
    return cli.main(argv, {"fit": _fit_command, "run": _run_command})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
