"""Command line: ``ca3-cam reproduce | run | info``.

Built on :class:`neurotypes.cli.CommandLine` (shared flags, one-line errors with exit status 2); the handlers
import what they need when they run, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from neurotypes.cli import CommandLine

__all__ = ["cli", "main"]

cli = CommandLine(
    "ca3-cam",
    "Spike-based hippocampal CA3 content-addressable memory (Casanueva-Morato et al., Neural Networks 2024): "
    "one-shot learning, recall by cue and by any fragment of the content, forgetting, on an exact 1-ms numpy "
    "simulator or through PyNN (NEST, SpiNNaker).",
)
cli.add_reproduce(
    "ca3_cam.reproduce:reproduce", full_help="scaling sweep up to 100 cues x 1000 bits (minutes)"
)

_run = cli.add_command(
    "run",
    "run a schedule of memory operations on an engine; write every population's spikes and the answers",
    description="Run a schedule on an engine and write raster.png, answers.txt (every recall next to IdealCAM's "
    "answer), spikes.npz per population (neurotypes SpikeTrains, seconds) and, with --nwb, spikes.nwb (one Units "
    "table, a 'population' column). The schedule is a file (the authors' testbench .json/.txt; an operations "
    ".csv with header op,t_ms,cue,bits and --cues/--content; input spike trains as .npz or .nwb with --cues) or, "
    "without a file, one of the paper's experiments (--experiment).",
    out="ca3-cam-run",
    out_help="output folder",
)
_run.add_argument("schedule", nargs="?", default=None, help="schedule file (.json, .txt, .csv, .npz, .nwb)")
_run.add_argument(
    "--experiment", type=int, choices=(1, 2, 3), default=None, help="run one of the paper's experiments"
)
_run.add_argument("--cues", type=int, default=None, help="number of cues (for .csv, .npz, .nwb schedules)")
_run.add_argument("--content", type=int, default=None, help="number of content bits (for .csv schedules)")
_run.add_argument(
    "--engine",
    choices=("numpy", "nest", "spinnaker"),
    default="numpy",
    help="numpy (the package's simulator), nest (extra 'nest') or spinnaker (extra 'spinnaker'; a board configured)",
)
_run.add_argument("--nwb", action="store_true", help="also write spikes.nwb (extra 'nwb')")
cli.add_info()


def _run_schedule(args: argparse.Namespace) -> int:
    from pathlib import Path

    import numpy as np

    from ca3_cam.data import read_schedule
    from ca3_cam.memory import decode_answers, ideal_answers, rows_to_spiketrains, run_schedule
    from ca3_cam.model import build_network
    from ca3_cam.plots import plot_raster
    from ca3_cam.reproduce import experiment_schedule
    from neurotypes import SpikeTrains, atomic_write_bytes
    from neurotypes.reproduction import save_figure

    if (args.schedule is None) == (args.experiment is None):
        raise ValueError("give a schedule file or --experiment 1|2|3 (one of the two)")
    if args.schedule is not None:
        sched = read_schedule(args.schedule, n_cues=args.cues, n_content=args.content)
        label = Path(args.schedule).name
    else:
        sched = experiment_schedule(args.experiment)
        label = f"Experiment {args.experiment}"
    network = build_network(sched.n_cues, sched.n_content)
    rows = run_schedule(network, sched, args.engine, progress=not args.quiet)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_figure(plot_raster(rows, f"{label} on {args.engine}"), out / "raster.png", dpi=90)
    lines = []
    for a, w in zip(decode_answers(sched, rows["Output"]), ideal_answers(sched), strict=True):
        op = a.operation
        q = op.cue if op.kind == "recall_cue" else sorted(op.bits)
        mark = "" if set(a.answer) == w else "   <- differs"
        lines.append(
            f"{op.t_ms:5d} ms {op.kind:15s} {q!s:20s} -> {sorted(a.answer)!s:25s} ideal {sorted(w)}{mark}"
        )
    atomic_write_bytes(out / "answers.txt", ("\n".join(lines) + "\n").encode())
    trains = rows_to_spiketrains(rows, network, sched.t_stop_ms)
    for name, st in trains.items():
        assert isinstance(st, SpikeTrains)
        st.save(out / f"spikes_{name}.npz")
    written = ["raster.png", "answers.txt", "spikes_<population>.npz"]
    if args.nwb:
        names = list(trains)
        sizes = [network.population(n).size for n in names]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        times = np.concatenate([trains[n].times for n in names])  # type: ignore[attr-defined]
        units = np.concatenate([trains[n].units + off for n, off in zip(names, offsets, strict=True)])  # type: ignore[attr-defined]
        order = np.argsort(times, kind="stable")
        merged = SpikeTrains(
            times[order],
            units[order],
            int(sum(sizes)),
            0.0,
            t_stop=max(sched.t_stop_ms, 1) / 1000.0,
            unit_ids=[f"{n}:{i}" for n, size in zip(names, sizes, strict=True) for i in range(size)],
            unit_metadata={"population": np.repeat(names, sizes)},
        )
        merged.to_nwb(out / "spikes.nwb", description=f"ca3-cam {label} on {args.engine}", overwrite=True)
        written.append("spikes.nwb")
    wrong = sum("<- differs" in line for line in lines)
    print(f"{len(lines)} recalls ({wrong} differ from IdealCAM); wrote {', '.join(written)} in {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ca3-cam`` command; returns the exit status."""
    return cli.main(argv, {"run": _run_schedule})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
