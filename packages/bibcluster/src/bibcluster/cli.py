"""Command line: ``bibcluster reproduce``, ``bibcluster fit FILE`` and ``bibcluster info``.

Only the standard library and :mod:`neurotypes.cli` are imported here; the sampler is imported when a command runs.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from neurotypes.cli import CommandLine

__all__ = ["cli", "main"]

cli = CommandLine(
    "bibcluster",
    "Bayesian bi-clustering of spike counts (Wei 2023, arXiv:2309.02213): neuron clusters sharing latent "
    "trajectories x time points clustered by synchronous switching dynamics, sampled by MCMC.",
)
cli.add_reproduce(
    "bibcluster.reproduce:reproduce",
    full_help="the paper's scale: T = 500, 10,000 sweeps per fit, long AIS (hours on 2 cores)",
)
_fit = cli.add_command(
    "fit",
    "fit spike counts from a file; write the clusters, states, diagnostics and posterior",
    description="Fit the bi-clustering model to a recording: a neurotypes .npz (SpikeCounts, or SpikeTrains with "
    "--bin-size), an NWB file's Units table, or a spike-train format neo reads (--bin-size needed). Writes "
    "result.json, neuron_clusters.npz and states.npz (neurotypes Partition), posterior.nc (ArviZ) into --out, "
    "prints the convergence diagnostics, and with --nwb-column adds the clusters to the NWB file's Units table.",
    out="bibcluster-fit",
    out_help="output folder",
    seed=True,
    threads=True,
)
_fit.add_argument(
    "counts", help="recording: .npz (neurotypes), .nwb (Units table) or a neo spike-train format"
)
_fit.add_argument("--bin-size", type=float, default=None, help="bin width in seconds for spike trains")
_fit.add_argument("--iters", type=int, default=2000, help="sweeps per chain")
_fit.add_argument("--burn-in", type=int, default=None, help="burn-in sweeps (default: a quarter of --iters)")
_fit.add_argument("--chains", type=int, default=2, help="independent chains")
_fit.add_argument("--p", type=int, default=2, help="latent dimension per cluster")
_fit.add_argument("--family", choices=["nb", "poisson"], default="nb", help="count distribution")
_fit.add_argument(
    "--nwb-column",
    action="store_true",
    help="add the neuron clusters as a Units column of the input NWB file",
)
cli.add_info()


def _fit_command(args: argparse.Namespace) -> int:
    from bibcluster.data import load_counts, save_result
    from bibcluster.sampler import BiClusterSampler
    from neurotypes import atomic_write_bytes

    for name in ("iters", "chains", "p"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} must be a positive integer, got {getattr(args, name)}")
    burn = args.burn_in if args.burn_in is not None else args.iters // 4
    if not 0 <= burn < args.iters:
        raise ValueError(f"--burn-in must lie in [0, --iters), got {burn}")
    if args.nwb_column and Path(args.counts).suffix.lower() != ".nwb":
        raise ValueError(f"--nwb-column needs an .nwb input, got {args.counts!r}")
    Y = load_counts(args.counts, bin_size=args.bin_size)
    jobs = min(args.chains, args.threads or 2)
    post = BiClusterSampler(
        p=args.p, family=args.family, n_jobs=jobs, progress=not args.quiet and jobs == 1
    ).fit(Y, n_iter=args.iters, burn_in=burn, chains=args.chains, seed=args.seed)
    out = Path(args.out)
    written = save_result(post, out, source=args.counts if args.nwb_column else None)
    diag = post.diagnostics()
    result = {
        "input": str(args.counts),
        "neuron_clusters": post.point_estimate().labels.tolist(),
        "states": post.state_estimate().tolist(),
        "n_clusters_trace_mean": float(post.n_clusters_trace.mean()),
        "diagnostics": {k: {m: (None if v != v else v) for m, v in row.items()} for k, row in diag.items()},
    }
    atomic_write_bytes(out / "result.json", json.dumps(result, indent=1).encode())
    post.save_inference_data(out / "posterior.nc")
    print(_diagnostics_table(diag, len(post.chains), post.chains[0].z.shape[0]), end="")
    files = ", ".join(str(p) for p in [*written.values(), out / "result.json", out / "posterior.nc"])
    print(f"{Y.counts.shape[0]} neurons x {Y.counts.shape[1]} bins; wrote {files}")
    return 0


def _diagnostics_table(diag: dict[str, dict[str, float]], chains: int, draws: int) -> str:
    """Plain-text table of the convergence diagnostics (R-hat near 1 and ESS in the hundreds are what to expect)."""
    lines = [f"convergence diagnostics (ArviZ; {chains} chains x {draws} kept draws):"]
    lines.append(f"  {'quantity':40s} {'R-hat':>8s} {'ESS bulk':>9s} {'ESS tail':>9s}")
    for name, row in diag.items():
        cells = [("   const" if v != v else f"{v:8.3f}") for v in (row["r_hat"],)]
        cells += [("    const" if v != v else f"{v:9.0f}") for v in (row["ess_bulk"], row["ess_tail"])]
        lines.append(f"  {name:40s} {cells[0]} {cells[1]} {cells[2]}")
    lines.append(
        "  (const: the quantity did not vary in any draw; R-hat above 1.01 or ESS below 400 call for longer runs)"
    )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bibcluster`` command; returns the exit status."""
    return cli.main(argv, {"fit": _fit_command})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
