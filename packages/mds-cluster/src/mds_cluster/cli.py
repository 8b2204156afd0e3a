"""Command line: ``mds-cluster reproduce`` and ``mds-cluster fit``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mds-cluster",
        description="Most discriminative stimuli (MDS) for functional cell-type clustering "
        "(Burg et al., ICLR 2024) on embedded ground-truth digital twins.",
    )
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: the twins are tiny)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress of the clustering")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser(
        "reproduce", help="measure the paper's claims; write report.json, report.md and PNG figures"
    )
    r.add_argument(
        "--full", action="store_true", help="10 seeds and a larger CNN twin fit instead of the quick run"
    )
    r.add_argument("--out", type=Path, default=Path("reports/mds-cluster"), help="output folder")
    f = sub.add_parser("fit", help="cluster the neurons of an embedded twin and print the result as JSON")
    f.add_argument(
        "--twin",
        choices=["ln", "onoff", "cnn"],
        default="ln",
        help="ln: LN population (4 types); "
        "onoff: the reference's on/off toy; cnn: a CNN twin fitted to the LN population",
    )
    f.add_argument("--k-init", type=int, default=8, help="initial number of clusters")
    f.add_argument("--seed", type=int, default=0, help="seed of the twin and of the clustering")
    f.add_argument("--merge", action="store_true", help="enable the merge step (extension)")
    f.add_argument("--no-split", action="store_true", help="disable the split step")
    f.add_argument("--steps", type=int, default=200, help="optimiser steps per EM round")
    f.add_argument("--tau", type=float, default=1.6, help="softmax temperature of the objective")
    f.add_argument("--radius", type=float, default=5.0, help="L2 norm of every stimulus")
    f.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    f.add_argument("--save", type=Path, default=None, help="save the MDS as a neurotypes.Stimulus .npz here")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mds-cluster`` command."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    import torch

    torch.set_num_threads(max(1, args.threads))
    if args.command == "reproduce":
        from tqdm.auto import tqdm

        from .reproduce import reproduce

        bar = tqdm(total=8, desc="mds-cluster reproduce", unit="claim")

        stages: list[str] = []

        def step(msg: str) -> None:  # called when a stage starts: count the one that just finished
            if stages:
                bar.update(1)
            stages.append(msg)
            bar.set_postfix_str(msg)

        report = reproduce(args.out, quick=not args.full, progress=step)
        bar.update(1)
        bar.close()
        sys.stdout.write(report.to_markdown() + "\n")
        sys.stdout.write(f"wrote {args.out / 'report.md'} and {args.out / 'report.json'}\n")
        return 0

    from sklearn.metrics import adjusted_rand_score

    from . import twins
    from .clustering import MDSClustering
    from .constraints import L2Sphere

    pop = twins.LNPopulation(seed=args.seed)
    model: torch.nn.Module = pop
    labels = pop.labels
    kw: dict[str, object] = {}
    if args.twin == "onoff":
        toy = twins.OnOffToy()
        model, labels = toy, toy.labels
        kw = {"optimizer": "sgd", "lr": 100.0, "stim_constraint": None}
    elif args.twin == "cnn":
        model, _ = twins.train_cnn_twin(pop, pop.stim_shape, seed=args.seed, progress=True)
    else:
        kw = {"stim_constraint": L2Sphere(args.radius)}
    mc = MDSClustering(
        model,
        (18, 18),
        args.k_init,
        tau=args.tau,
        steps_per_round=args.steps,
        split=not args.no_split,
        merge=args.merge,
        seed=args.seed,
        device=args.device,
        progress=True,
        **kw,  # type: ignore[arg-type]
    ).fit()
    result = {
        "twin": args.twin,
        "k_init": args.k_init,
        "k_final": mc.n_clusters_,
        "ari_vs_true_types": float(adjusted_rand_score(labels, mc.labels_)),
        "loss": mc.loss_,
        "cluster_sizes": [int(c) for c in (mc.labels_[:, None] == range(mc.n_clusters_)).sum(0)],
    }
    if args.save is not None:
        mc.mds().save(args.save)
        result["saved"] = str(args.save)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
