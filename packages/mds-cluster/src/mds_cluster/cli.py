"""Command line: ``mds-cluster reproduce | fit | run | info``.

Built on :class:`neurotypes.cli.CommandLine` (shared flags, one-line errors with exit status 2). torch is imported
by the handlers, never here, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from neurotypes.cli import CommandLine

__all__ = ["cli", "main"]

cli = CommandLine(
    "mds-cluster",
    "Most discriminative stimuli (MDS) for functional cell-type clustering (Burg et al., ICLR 2024): cluster the "
    "neurons of a digital twin by optimising one stimulus per cluster, then type recorded cells on the fly from "
    "their responses to the K MDS.",
    torch=True,
)
cli.add_reproduce("mds_cluster.reproduce:reproduce")

_fit = cli.add_command(
    "fit",
    "cluster the neurons of an embedded twin; write the MDS and the clustering",
    description="Cluster the neurons of an embedded digital twin and write result.npz (the fitted clustering: "
    "MDS, labels, objective; versioned, no pickle; mds-cluster run --model reads it), mds.npz (a neurotypes "
    "Stimulus with the K MDS), partition.npz (a neurotypes Partition of the twin's neurons) and summary.json.",
    out="mds-cluster-fit",
    out_help="output folder",
    seed=True,
    threads=True,
    device=True,
)
_fit.add_argument(
    "--twin",
    choices=["ln", "onoff", "cnn"],
    default="ln",
    help="ln: LN population (4 types); onoff: the reference's on/off toy; cnn: a CNN twin fitted to the LN population",
)
_fit.add_argument("--k-init", type=int, default=8, help="initial number of clusters")
_fit.add_argument("--merge", action="store_true", help="enable the merge step (extension)")
_fit.add_argument("--no-split", action="store_true", help="disable the split step")
_fit.add_argument("--steps", type=int, default=200, help="optimiser steps per EM round")
_fit.add_argument("--tau", type=float, default=1.6, help="softmax temperature of the objective")
_fit.add_argument("--radius", type=float, default=5.0, help="L2 norm of every stimulus")

_run = cli.add_command(
    "run",
    "type recorded cells from their responses to the K MDS",
    description="Type recorded cells on the fly: each cell goes to the MDS it responds to most. The recording is "
    "read by suffix: a .csv/.tsv table of responses (cells x MDS, --layout), a neurotypes .npz (SpikeCounts with "
    "one bin per MDS; SpikeTrains or Traces with --presentations), an NWB file (the Units table of spike-sorted "
    "cells or a TimeSeries, with --presentations) or a neo format. Writes a neurotypes Partition (cell names as "
    "item ids) and types.json; with --nwb and an NWB Units recording, a copy of it with the type as a unit column.",
    out="mds-cluster-types.npz",
    out_help="output Partition (.npz); types.json and units.nwb go next to it",
)
_run.add_argument(
    "recording", help="responses or recording of the cells (.csv, .tsv, .npz, .nwb, neo formats)"
)
_run.add_argument(
    "--presentations", default=None, help="CSV with header mds,start,stop (seconds): when each MDS was shown"
)
_run.add_argument(
    "--layout",
    default="units-by-samples",
    choices=["units-by-samples", "samples-by-units"],
    help="orientation of a table: one row per cell (name, then one column per MDS) or one row per MDS",
)
_run.add_argument(
    "--model", default=None, help="result.npz of mds-cluster fit: checks K and names the clusters"
)
_run.add_argument("--series", default=None, help="name of the NWB TimeSeries to read")
_run.add_argument("--segment", type=int, default=None, help="segment of a multi-segment neo file")
_run.add_argument(
    "--nwb", action="store_true", help="also write units.nwb: the NWB recording with a type column"
)
cli.add_info()


def _torch_setup(args: argparse.Namespace) -> str:
    import torch

    if args.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(args.device)


def _run_fit(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from neurotypes import atomic_write_bytes

    from . import twins
    from .clustering import MDSClustering
    from .constraints import L2Sphere

    device = _torch_setup(args)
    pop = twins.LNPopulation(seed=args.seed)
    model = pop
    labels = pop.labels
    kw: dict[str, object] = {"stim_constraint": L2Sphere(args.radius)}
    if args.twin == "onoff":
        model = twins.OnOffToy()  # type: ignore[assignment]
        labels = model.labels
        kw = {"optimizer": "sgd", "lr": 100.0, "stim_constraint": None}
    elif args.twin == "cnn":
        from .train import train_cnn_twin

        model, _ = train_cnn_twin(pop, pop.stim_shape, seed=args.seed, device=device, progress=not args.quiet)  # type: ignore[assignment]
    mc = MDSClustering(
        model,
        (18, 18),
        args.k_init,
        tau=args.tau,
        steps_per_round=args.steps,
        split=not args.no_split,
        merge=args.merge,
        seed=args.seed,
        device=device,
        progress=not args.quiet,
        **kw,  # type: ignore[arg-type]
    ).fit()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mc.save(out / "result.npz")
    mc.mds().save(out / "mds.npz")
    mc.partition().save(out / "partition.npz")
    from neurotypes import Partition

    summary = {
        "twin": args.twin,
        "k_init": args.k_init,
        "k_final": mc.n_clusters_,
        "ari_vs_true_types": Partition(labels).adjusted_rand_index(mc.partition()),
        "loss": mc.loss_,
        "cluster_sizes": [int((mc.labels_ == k).sum()) for k in range(mc.n_clusters_)],
    }
    atomic_write_bytes(out / "summary.json", json.dumps(summary, indent=2).encode())
    print(json.dumps(summary, indent=2))
    return 0


def _run_types(args: argparse.Namespace) -> int:
    import json
    import shutil
    from pathlib import Path

    import numpy as np

    from neurotypes import Partition, atomic_write_bytes

    from .data import load_responses

    responses = load_responses(
        args.recording,
        presentations=args.presentations,
        layout=args.layout,
        series=args.series,
        segment=args.segment,
    )
    if args.model is not None:
        from .clustering import MDSClustering

        mc = MDSClustering.load(args.model)
        if responses.n_stimuli != mc.n_clusters_:
            raise ValueError(
                f"--model {args.model} has {mc.n_clusters_} MDS, the recording {args.recording} responses to "
                f"{responses.n_stimuli}"
            )
        types = mc.assign(responses.values)
    else:
        types = np.argmax(responses.values, axis=1).astype(np.int64)
    part = Partition(types, item_ids=responses.cell_ids)
    out = Path(args.out)
    if out.suffix.lower() != ".npz":
        raise ValueError(f"--out must end in .npz (a neurotypes Partition), got {str(out)!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    part.save(out)
    summary = {
        "recording": str(args.recording),
        "cells": responses.n_cells,
        "stimuli": responses.n_stimuli,
        "cell_ids": list(responses.cell_ids) if responses.cell_ids else None,
        "types": types.tolist(),
        "cells_per_type": np.bincount(types, minlength=responses.n_stimuli).tolist(),
    }
    atomic_write_bytes(out.with_name("types.json"), json.dumps(summary, indent=1).encode())
    written = [out.name, "types.json"]
    if args.nwb:
        if Path(args.recording).suffix.lower() != ".nwb":
            raise ValueError("--nwb needs an NWB recording (a Units table of spike-sorted cells)")
        from neurotypes.io import add_unit_columns

        copy = out.with_name("units.nwb")
        tmp = out.with_name(".units.nwb.copy")
        shutil.copyfile(args.recording, tmp)
        tmp.replace(copy)
        add_unit_columns(
            copy, {"mds_cluster_type": part}, description="mds-cluster type (MDS the cell responds to most)"
        )
        written.append("units.nwb")
    print(
        f"{responses.n_cells} cells typed from {responses.n_stimuli} MDS: {summary['cells_per_type']}; wrote {', '.join(written)}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mds-cluster`` command; returns the exit status."""
    return cli.main(argv, {"fit": _run_fit, "run": _run_types})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
