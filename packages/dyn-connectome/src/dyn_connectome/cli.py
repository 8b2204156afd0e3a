"""Command line: ``dyn-connectome reproduce | fit | info``.

Built on :class:`neurotypes.cli.CommandLine` (shared flags, one-line errors with exit status 2). Nothing heavy is
imported here: the handlers import the package when they run, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from neurotypes.cli import CommandLine

__all__ = ["cli", "main"]

cli = CommandLine(
    "dyn-connectome",
    "Dynamic functional connectomes from calcium imaging (Dyballa et al., ICLR 2024): windowed affinities -> "
    "non-negative tensor factorisation (neuron pairs x windows x animals) -> weighted SBM communities per "
    "component.",
)
cli.add_reproduce("dyn_connectome.reproduce:reproduce")

_fit = cli.add_command(
    "fit",
    "fit the pipeline to one recording per animal",
    description="Fit DynamicConnectome to one recording per animal and write components.json (time and animal "
    "profiles, communities), model.npz (the fitted model, versioned, no pickle), partition_<k>.npz (neurotypes "
    "Partitions) and, with --nwb, components.nwb. Formats by suffix: .csv/.tsv tables (--layout), .nwb "
    "(a TimeSeries/RoiResponseSeries, --series; or a Units table of spike-sorted units with --bin-size), .npz "
    "(neurotypes Traces/SpikeTrains/SpikeCounts), .mat, and the neo formats (.abf, .smr, ...).",
    out="dyn-connectome-fit",
    out_help="output folder",
    seed=True,
    threads=True,
)
_fit.add_argument("files", nargs="+", help="one recording per animal")
_fit.add_argument(
    "--layout",
    default="units-by-samples",
    choices=["units-by-samples", "samples-by-units"],
    help="orientation of CSV/TSV tables: one row per neuron (name, then samples; header = times) or one row per "
    "sample (time, then values; header = neuron names); a table that looks transposed is refused",
)
_fit.add_argument(
    "--rate", type=float, default=None, help="sampling rate in Hz for tables without a time axis"
)
_fit.add_argument(
    "--series", default=None, help="name of the NWB TimeSeries to read (when a file holds several)"
)
_fit.add_argument(
    "--bin-size",
    type=float,
    default=None,
    help="read spike-sorted units (NWB Units, SpikeTrains) as rates in bins of S seconds",
)
_fit.add_argument("--segment", type=int, default=None, help="segment (sweep) of a multi-segment neo file")
_fit.add_argument("--signal", default=None, help="signal (name or index) of a neo segment that holds several")
_fit.add_argument(
    "--tau", type=float, default=None, help="smooth binned rates with exp(-t/tau), tau in seconds"
)
_fit.add_argument("--rank", type=int, default=3, help="number of NTF components")
_fit.add_argument("--window", type=int, default=50, help="window length in samples")
_fit.add_argument(
    "--kind",
    default="corise",
    choices=["corise", "pearson_window"],
    help="affinity (corise: stand-in for the paper's)",
)
_fit.add_argument(
    "--backend", default="wsbm", choices=["wsbm", "graph-tool", "leiden", "louvain"], help="community backend"
)
_fit.add_argument(
    "--align", default="union", choices=["union", "intersection"], help="neuron alignment across animals"
)
_fit.add_argument("--restarts", type=int, default=5, help="NTF restarts")
_fit.add_argument(
    "--nwb",
    action="store_true",
    help="also write components.nwb (and, for one NWB file of spike-sorted units, units.nwb: a copy of it with "
    "one community column per component); needs dyn-connectome[nwb]",
)
cli.add_info()


def _run_fit(args: argparse.Namespace) -> int:
    import json
    import shutil
    from pathlib import Path

    from neurotypes import atomic_write_bytes

    from .data import load_many
    from .model import DynamicConnectome

    for name in ("rate", "bin_size", "tau"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise ValueError(f"--{name.replace('_', '-')} must be > 0, got {value}")
    signal: int | str | None = args.signal
    if isinstance(signal, str) and signal.isdigit():
        signal = int(signal)
    traces = load_many(
        args.files,
        rate=args.rate,
        layout=args.layout,
        series=args.series,
        bin_size=args.bin_size,
        tau=args.tau,
        segment=args.segment,
        signal=signal,
    )
    model = DynamicConnectome(
        window=args.window,
        rank=args.rank,
        kind=args.kind,
        backend=args.backend,
        n_restarts=args.restarts,
        align=args.align,
        seed=args.seed,
        progress=not args.quiet,
    ).fit(traces)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "files": [str(f) for f in args.files],
        "unit_ids": list(model.unit_ids_),
        "window_seconds": model.window_seconds_,
        "rel_error": model.ntf_.rel_error,
        "missing_fraction": model.missing_fraction_,
        "affinity": args.kind
        + (" (stand-in for the paper's unconfirmed differential affinity)" if args.kind == "corise" else ""),
        "components": [
            {
                "weight": c.weight,
                "window_start_s": c.window_times.tolist(),
                "time_profile": c.time_profile.tolist(),
                "animal_profile": c.worm_profile.tolist(),
                "communities": c.partition.labels.tolist(),
            }
            for c in model.components_
        ],
    }
    atomic_write_bytes(out / "components.json", json.dumps(payload, indent=1).encode())
    model.save(out / "model.npz")
    for k, c in enumerate(model.components_):
        c.partition.save(out / f"partition_{k}.npz")
    parts = (
        "partition_0.npz" if len(model.components_) == 1 else f"partition_0..{len(model.components_) - 1}.npz"
    )
    written = ["components.json", "model.npz", parts]
    if args.nwb:
        model.to_nwb(out / "components.nwb", overwrite=True)
        written.append("components.nwb")
        if (
            len(args.files) == 1
            and args.bin_size is not None
            and Path(args.files[0]).suffix.lower() == ".nwb"
        ):
            from neurotypes.io import add_unit_columns

            copy = out / "units.nwb"
            tmp = out / ".units.nwb.copy"
            shutil.copyfile(args.files[0], tmp)
            tmp.replace(copy)
            add_unit_columns(copy, model.unit_columns(), description="dyn-connectome community of each unit")
            written.append("units.nwb")
    print(
        f"{len(model.components_)} components (relative error {model.ntf_.rel_error:.3f}); wrote {', '.join(written)} in {out}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dyn-connectome`` command; returns the exit status."""
    return cli.main(argv, {"fit": _run_fit})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
