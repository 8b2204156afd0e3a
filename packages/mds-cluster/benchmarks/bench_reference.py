"""mds-cluster against the reference implementation (ecker-lab/most-discriminative-stimuli), same machine.

Two comparisons on the reference's shipped example (the on/off toy: 42 neurons, 18 x 18 stimuli, K_init = 5,
seed 42, SGD lr 100, 50 steps per round, split step, 100 final steps, tau 1.6), one CPU thread on both sides
(``OMP_NUM_THREADS=1``; ``torch.set_num_threads(1)`` where we control the process), the two sides alternated
back to back ``--repeats`` times, the minimum of each kept:

1. **end to end**: the reference's ``scripts/run_kmeans_example.py --device cpu`` (its imports, clustering,
   plots and pickled results) against ``mds-cluster fit --twin onoff --k-init 5 --seed 42 --steps 50`` (imports,
   clustering, result files), each as a fresh process: wall time from start to exit;
2. **clustering alone**: inside each process, the clustering calls of the example (reference: ``KMeans.run`` +
   ``run_split_cluster`` + the final 100-step optimisation and loss, with its plotting switched off; package:
   ``MDSClustering(...).fit()``), run once to warm up (torch imports parts of itself, e.g. ``torch._dynamo``,
   on the first optimiser step: about 40 s on a loaded machine) and then timed with ``time.perf_counter``.

The reference runs in its own environment outside this repository (it needs datajoint 0.13.8 with
``setuptools<70``, nnfabrik at the commit its requirements pin, neuralpredictors 0.3.0, numpy < 2); see the
package README for the recipe. Run::

    python packages/mds-cluster/benchmarks/bench_reference.py --reference-python /path/to/ref-venv/bin/python \\
        --reference-example /path/to/most-discriminative-stimuli/scripts/run_kmeans_example.py --repeats 5

from an environment where ``mds-cluster`` is installed. Prints the times, the ratios and both final losses.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

# The reference's clustering calls, as its example makes them, with plotting off (our driver, their API).
REFERENCE_DRIVER = r"""
import json, os, sys, tempfile, time
from functools import partial
import numpy as np
import torch
torch.set_num_threads(1)
from controversialstimuli.clustering.kmeans import KMeans
from controversialstimuli.models.clustering_model import TestOnOffModel
from controversialstimuli.models.optimization_clipper import OptimizationClipperNoop
from controversialstimuli.optimization.controversial_objectives import ContrastiveNeuronUnif
from controversialstimuli.optimization.stoppers import EMALossStopper
from controversialstimuli.optimization.torch_transform_image import ActMaxTorchTransfBaseUni

def cluster():
    n, k, seed = 42, 5, 42
    model = TestOnOffModel(n)
    objective = ContrastiveNeuronUnif(on_clust_idx=np.array([0]), off_clust_idc=np.array([1]),
                                      clust_assignments=np.zeros(n, dtype=int), temperature=1.6, device="cpu")
    optim = ActMaxTorchTransfBaseUni(model=model, seed=seed, canvas_size=(18, 18), verbose=False,
                                     optimizer_init_fn=partial(torch.optim.SGD, lr=100.0),
                                     stopper=EMALossStopper(verbose=False), objective_fct=objective,
                                     postprocessing=OptimizationClipperNoop(), max_iter=50, num_imgs=1, device="cpu")
    out = tempfile.mkdtemp()
    kmeans = KMeans(img_optimizer=optim, unit_idc=np.arange(n), cluster_idc=np.arange(k),
                    init_cluster_assignments=None, seed=seed, max_iter=10, verbose=False, output_folder=out,
                    disable_progress_bar=True, reinitialize_stimuli=False, plot=False, device="cpu")
    kmeans.run()
    kmeans.run_split_cluster(k, use_rgc_init=False, optim_steps_to_estimate_loss=20, use_self_plot=False)
    kmeans._img_optimizer.max_iter = 100
    kmeans._optim_images(reinitialize_stimuli=False)
    return float(kmeans.evaluate_training_loss()), int(kmeans._num_clusters)


cluster()  # warm-up
t0 = time.perf_counter()
loss, k = cluster()
print(json.dumps({"clustering_s": time.perf_counter() - t0, "loss": loss, "k": k}))
"""

PACKAGE_DRIVER = r"""
import json, time
import torch
torch.set_num_threads(1)
from mds_cluster import MDSClustering, twins

def cluster():
    toy = twins.OnOffToy(42, 18)
    return MDSClustering(toy, (18, 18), 5, optimizer="sgd", lr=100.0, stim_constraint=None, steps_per_round=50,
                         seed=42, device="cpu").fit()


cluster()  # warm-up
t0 = time.perf_counter()
mc = cluster()
print(json.dumps({"clustering_s": time.perf_counter() - t0, "loss": mc.loss_, "k": mc.n_clusters_}))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = "1"
    env["MPLBACKEND"] = "Agg"
    return env


def _timed(cmd: list[str], cwd: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=cwd, check=False)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({res.returncode}):\n{res.stderr[-3000:]}")
    return wall, res.stdout


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference-python", required=True, help="python of the reference's environment")
    p.add_argument("--reference-example", required=True, help="the reference's scripts/run_kmeans_example.py")
    p.add_argument("--repeats", type=int, default=5, help="alternating rounds (minimum kept)")
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="mds-bench-")
    ours_cli = [sys.executable, "-m", "mds_cluster.cli"]
    best = {
        "ref end to end": float("inf"),
        "ours end to end": float("inf"),
        "ref clustering": float("inf"),
        "ours clustering": float("inf"),
    }
    losses: dict[str, float] = {}
    for r in range(args.repeats):
        wall, _ = _timed(
            [
                args.reference_python,
                args.reference_example,
                "--device",
                "cpu",
                "--save_data_path",
                f"{work}/ref{r}",
            ],
            work,
        )
        best["ref end to end"] = min(best["ref end to end"], wall)
        wall, _ = _timed(
            [
                *ours_cli,
                "fit",
                "--twin",
                "onoff",
                "--k-init",
                "5",
                "--seed",
                "42",
                "--steps",
                "50",
                "--device",
                "cpu",
                "--threads",
                "1",
                "-q",
                "--out",
                f"{work}/ours{r}",
            ],
            work,
        )
        best["ours end to end"] = min(best["ours end to end"], wall)
        _, out = _timed([args.reference_python, "-c", REFERENCE_DRIVER], work)
        ref = json.loads(out.strip().splitlines()[-1])
        best["ref clustering"] = min(best["ref clustering"], ref["clustering_s"])
        _, out = _timed([sys.executable, "-c", PACKAGE_DRIVER], work)
        ours = json.loads(out.strip().splitlines()[-1])
        best["ours clustering"] = min(best["ours clustering"], ours["clustering_s"])
        losses = {
            "reference": ref["loss"],
            "package": ours["loss"],
            "reference K": ref["k"],
            "package K": ours["k"],
        }
        print(f"round {r + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in best.items()), flush=True)
    versions = subprocess.run(
        [
            args.reference_python,
            "-c",
            "import importlib.metadata as m, torch, numpy; "
            "print(m.version('controversialstimuli'), torch.__version__, numpy.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"reference controversialstimuli / torch / numpy: {versions}")
    import numpy
    import torch

    from mds_cluster import __version__

    print(f"package mds-cluster {__version__}, torch {torch.__version__}, numpy {numpy.__version__}")
    print(f"final losses: {losses}")
    print(
        f"end to end: reference {best['ref end to end']:.2f} s, package {best['ours end to end']:.2f} s, "
        f"ratio {best['ref end to end'] / best['ours end to end']:.1f}x; clustering alone: reference "
        f"{best['ref clustering']:.2f} s, package {best['ours clustering']:.2f} s, ratio "
        f"{best['ref clustering'] / best['ours clustering']:.1f}x (minimum of {args.repeats} alternating runs)"
    )


if __name__ == "__main__":
    main()
