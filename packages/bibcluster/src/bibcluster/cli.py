"""Command line: ``bibcluster reproduce`` and ``bibcluster fit``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bibcluster",
        description=(
            "Bayesian bi-clustering of spike counts (Wei 2023, arXiv:2309.02213): neuron clusters sharing latent "
            "trajectories x time points clustered by synchronous switching dynamics, sampled by MCMC."
        ),
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("reproduce", help="run the paper's simulation study and write a report with figures")
    r.add_argument("--out", default="reports/bibcluster", help="output folder (default: %(default)s)")
    r.add_argument("--full", action="store_true", help="paper scale: T = 500, 10,000 sweeps (hours)")
    r.add_argument("--seed", type=int, default=0, help="seed (default: %(default)s)")
    r.add_argument("--jobs", type=int, default=2, help="parallel chain processes (default: %(default)s)")
    r.add_argument(
        "--peer-python",
        default=os.environ.get("BIBCLUSTER_PEER_PYTHON") or None,
        help="Python of an environment with the reference's stack (pyhsmm, autoregressive, statsmodels; built by "
        "benchmarks/setup_peer_env.sh): the speed claim is then timed against the reference's iteration on it "
        "(default: $BIBCLUSTER_PEER_PYTHON, else none)",
    )

    f = sub.add_parser(
        "fit", help="fit a neurotypes.SpikeCounts .npz file and print the point estimates as JSON"
    )
    f.add_argument("counts", help="SpikeCounts file written by neurotypes (SpikeCounts.save)")
    f.add_argument("--iters", type=int, default=2000, help="sweeps per chain (default: %(default)s)")
    f.add_argument("--burn-in", type=int, default=None, help="burn-in sweeps (default: a quarter of --iters)")
    f.add_argument("--chains", type=int, default=2, help="independent chains (default: %(default)s)")
    f.add_argument("--p", type=int, default=2, help="latent dimension per cluster (default: %(default)s)")
    f.add_argument("--family", choices=["nb", "poisson"], default="nb")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--out", default=None, help="also write the JSON to this file")
    f.add_argument(
        "--idata",
        default="posterior.nc",
        help="write the posterior as ArviZ InferenceData (netCDF) to this file (default: %(default)s; '' to skip)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bibcluster`` command."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "reproduce":
        from bibcluster.reproduce import reproduce

        report = reproduce(
            args.out, quick=not args.full, seed=args.seed, n_jobs=args.jobs, peer_python=args.peer_python
        )
        print(report.to_markdown())
        return 0
    from bibcluster import BiClusterSampler
    from neurotypes import SpikeCounts

    Y = SpikeCounts.load(args.counts)
    burn = args.burn_in if args.burn_in is not None else args.iters // 4
    post = BiClusterSampler(p=args.p, family=args.family, n_jobs=args.chains, progress=args.chains == 1).fit(
        Y, n_iter=args.iters, burn_in=burn, chains=args.chains, seed=args.seed
    )
    diag = post.diagnostics()
    result = {
        "neuron_clusters": post.point_estimate().labels.tolist(),
        "states": post.state_estimate().tolist(),
        "n_clusters_trace_mean": float(post.n_clusters_trace.mean()),
        "diagnostics": {k: {m: (None if v != v else v) for m, v in row.items()} for k, row in diag.items()},
    }
    sys.stderr.write(_diagnostics_table(diag, len(post.chains), post.chains[0].z.shape[0]))
    if args.idata:
        path = post.save_inference_data(args.idata)
        sys.stderr.write(f"posterior written to {path} (ArviZ InferenceData, netCDF)\n")
    text = json.dumps(result)
    if args.out:
        from pathlib import Path

        path = Path(args.out)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.write_text(text)
            tmp.replace(path)
        finally:
            if tmp.exists():
                tmp.unlink()
    sys.stdout.write(text + "\n")
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
