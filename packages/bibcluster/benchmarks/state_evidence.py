"""Settle the state question with evidence: Bayes factors of state paths on the paper's simulation.

For the simulation (seed 0) at T bins, with the neuron clusters fixed at the truth, this estimates by the bridge
AIS of :func:`bibcluster.evidence.log_bayes_factor` (forward and reverse, which bracket the answer)

* ``log p(y | true two-state path) - log p(y | one state)`` under the spec's dynamics prior and under two
  alternatives fixed before any run: a loose prior on A (``K0 = 0.01 I``) and a prior that centres A on zero
  (``M0 = 0``, which favours decaying states);
* with ``--sampler-paths``, the same for the maxPEAR state paths of the valid sampler and of the reference's
  heuristic state step (600 sweeps x 2 chains, as the quick reproduction);

and the log prior odds of the time partitions, ``log[(L - 1) p(xi_true) / p(xi_one)]`` (sticky HDP-HMM weak limit,
beta integrated by Monte Carlo), so that ``log posterior odds = log BF + log prior odds`` for the single paths.
Decision rule, fixed before the runs: the posterior prefers the two-state partition if the forward (low) bracket
of its log posterior odds is above 0, prefers one state if the reverse (high) bracket is below 0, and is
inconclusive otherwise.

Run (hours at T = 500 on 2 busy cores; results go to a JSON file):

    uv run --package bibcluster python packages/bibcluster/benchmarks/state_evidence.py --T 200 --out se200.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from bibcluster import BiClusterSampler, StickyHDPHMM, simulate
from bibcluster.evidence import DynamicsPrior, log_bayes_factor, path_log_prior_marginal
from neurotypes import Partition

PRIORS = {
    "spec (M0 = I, K0 = I)": DynamicsPrior(),
    "loose A (K0 = 0.01 I)": DynamicsPrior(k0_scale=0.01),
    "A centred on 0 (M0 = 0)": DynamicsPrior(m0_scale=0.0),
}


def _task(
    args: tuple[str, str, np.ndarray, np.ndarray, np.ndarray, DynamicsPrior, int, int, int, int],
) -> dict[str, Any]:
    name, prior_name, y, z, xi_b, prior, steps, runs, burn, seed = args
    t0 = time.perf_counter()
    xi_a = np.zeros_like(xi_b)
    res = log_bayes_factor(
        y, z, xi_a, xi_b, p=2, prior=prior, schedule=steps, n_runs=runs, burn_in=burn, seed=seed
    )
    return {
        "path": name,
        "prior": prior_name,
        "log_bf_forward": res.forward,
        "log_bf_forward_se": res.forward_se,
        "log_bf_reverse": res.reverse,
        "log_bf_reverse_se": res.reverse_se,
        "forward_log_weights": res.forward_log_weights.tolist(),
        "reverse_log_weights": res.reverse_log_weights.tolist(),
        "steps": steps,
        "runs_per_direction": runs,
        "burn_in": burn,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _canonical(xi: np.ndarray) -> np.ndarray:
    """Labels renumbered by first appearance (the bridge needs the first state to be the one-state model's 0)."""
    _, first = np.unique(xi, return_index=True)
    order = np.argsort(first)
    remap = np.empty(xi.max() + 1, dtype=np.int64)
    remap[np.unique(xi)[order]] = np.arange(len(order))
    return np.asarray(remap[xi])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--T", type=int, default=200, help="time bins of the simulation (200 quick, 500 paper)")
    ap.add_argument("--steps", type=int, default=4000, help="intermediate distributions per AIS run")
    ap.add_argument("--runs", type=int, default=4, help="AIS runs per direction")
    ap.add_argument("--burn-in", type=int, default=500, help="Gibbs sweeps before each run")
    ap.add_argument("--jobs", type=int, default=2, help="parallel processes")
    ap.add_argument(
        "--sampler-paths", action="store_true", help="also the sampler's and the heuristic's paths"
    )
    ap.add_argument("--priors", default="all", help="'all' or 'spec'")
    ap.add_argument("--out", required=True, help="JSON file for the results")
    args = ap.parse_args()
    Y, truth = simulate.simulate_biclustered(T=args.T, seed=0)
    y, z = Y.counts, truth.z.astype(np.int64)
    xi_true = _canonical(truth.states.astype(np.int64))
    hmm = StickyHDPHMM()
    paths: dict[str, np.ndarray] = {"true two-state path": xi_true}
    extra: dict[str, Any] = {}
    if args.sampler_paths:
        for name, heuristic in (("valid sampler's maxPEAR path", False), ("heuristic's maxPEAR path", True)):
            post = BiClusterSampler(keep_states_heuristic=heuristic).fit(
                Y, n_iter=600, burn_in=200, chains=2, seed=0
            )
            xi = _canonical(post.state_estimate())
            extra[name] = {
                "n_states": int(xi.max() + 1),
                "state ARI": Partition(labels=xi).adjusted_rand_index(Partition(labels=truth.states)),
            }
            if xi.max() > 0:
                paths[name] = xi
    priors = PRIORS if args.priors == "all" else {k: v for k, v in PRIORS.items() if k.startswith("spec")}
    tasks = []
    for k, (pname, prior) in enumerate(priors.items()):
        for j, (name, xi) in enumerate(paths.items()):
            if pname.startswith("spec") or name.startswith("true"):
                tasks.append((name, pname, y, z, xi, prior, args.steps, args.runs, args.burn_in, 100 * k + j))
    prior_one = path_log_prior_marginal(np.zeros(args.T, dtype=np.int64), hmm, n_draws=400_000, seed=1)
    out: dict[str, Any] = {
        "T": args.T,
        "N": int(y.shape[0]),
        "sampler paths": extra,
        "log p(one-state path)": prior_one,
        "path priors": {},
        "bayes factors": [],
        "machine": f"{os.cpu_count()} cores, shared",
    }
    for name, xi in paths.items():
        lp, se = path_log_prior_marginal(xi, hmm, n_draws=400_000, seed=2)
        n_used = int(xi.max() + 1)
        # partitions into n_used blocks: L (L-1) ... labellings each, against L for one block
        log_lab = float(sum(np.log(hmm.L - k) for k in range(1, n_used)))
        out["path priors"][name] = {
            "log p(xi)": lp,
            "se": se,
            "log prior odds of the partition vs one state": lp - prior_one[0] + log_lab,
        }
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for res in pool.map(_task, tasks):
            odds = out["path priors"][res["path"]]["log prior odds of the partition vs one state"]
            res["log posterior odds, forward (low)"] = res["log_bf_forward"] + odds
            res["log posterior odds, reverse (high)"] = res["log_bf_reverse"] + odds
            lo, hi = res["log posterior odds, forward (low)"], res["log posterior odds, reverse (high)"]
            res["verdict"] = (
                "posterior prefers this path's partition"
                if lo > 0
                else "posterior prefers one state"
                if hi < 0
                else "inconclusive at this precision"
            )
            out["bayes factors"].append(res)
            print(json.dumps({k: v for k, v in res.items() if not k.endswith("weights")}), flush=True)
            tmp = f"{args.out}.tmp"
            with open(tmp, "w") as fh:
                json.dump(out, fh, indent=1)
            os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
