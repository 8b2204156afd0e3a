"""Time and peak memory of fisbe-bench vs the official evaluator (evalinstseg) on real FISBe images.

Each measurement runs in a fresh subprocess (peak RSS is per process).  The official evaluator is
measured too when ``evalinstseg`` is importable (it is not on PyPI: install it from a local clone of
Kainmueller-Lab/evaluate-instance-segmentation); otherwise the issue's numbers are printed
(R14A02: 302 s, ~8 GB on 2 cores; VT011145: killed at 24 GB).  Not run in CI.

Usage: python benchmarks/bench_real.py [--data DIR] [--synthetic]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

OURS = r"""
import json, resource, sys, time
from fisbe_bench.io import read_fisbe_zarr, read_labels
from fisbe_bench import evaluate
data, name = sys.argv[1], sys.argv[2]
t0, c0 = time.perf_counter(), time.process_time()
s = read_fisbe_zarr(f"{data}/{name}.zarr")
p = read_labels(f"{data}/pred/{name}.hdf", "volumes/gmm_label_cleaned")
sc = evaluate(s.gt, p, min_instance_size=800, dim_instances=s.dim_neurons)
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, "S": sc.S}))
"""

REFERENCE = r"""
import json, resource, sys, time, tempfile
from evalinstseg.evaluate import evaluate_file
data, name = sys.argv[1], sys.argv[2]
t0, c0 = time.perf_counter(), time.process_time()
m = evaluate_file(f"{data}/pred/{name}.hdf", f"{data}/{name}.zarr", 3, tempfile.mkdtemp(),
                  res_key="volumes/gmm_label_cleaned", gt_key="volumes/gt_instances",
                  localization_criterion="cldice", assignment_strategy="greedy", remove_small_components=800,
                  add_general_metrics=["avg_gt_skel_coverage", "avg_f1_cov_score", "false_merge", "false_split"],
                  from_scratch=True)
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
                  "S": float(m["general"]["avg_f1_cov_score"])}))
"""

SYNTH = r"""
import json, resource, time
import numpy as np
from fisbe_bench import evaluate, synth
rng = np.random.default_rng(0)
shape = (200, 400, 400)
lines = [rng.uniform([5, 5, 5], np.array(shape) - 6, size=(6, 3)) for _ in range(20)]
gt = synth.tubes(shape, lines, 2.0)
pred = np.roll(gt, 1, axis=1)
t0, c0 = time.perf_counter(), time.process_time()
sc = evaluate(gt, pred, min_instance_size=None)
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, "S": sc.S}))
"""


def _run(code: str, *args: str) -> dict[str, float] | None:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(proc.stderr.strip().splitlines()[-1] if proc.stderr else f"exit {proc.returncode}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    here = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(here / "tests" / "data" / "fisbe-sample"))
    ap.add_argument("--synthetic", action="store_true", help="also time a 200x400x400 volume with 20 tubes")
    args = ap.parse_args()
    try:
        import evalinstseg  # noqa: F401

        have_ref = True
    except ImportError:
        have_ref = False
    for name in ("R14A02-20180905_65_A6", "VT011145-20171222_63_I2"):
        ours = _run(OURS, args.data, name)
        print(f"{name}: fisbe-bench {ours}")
        if have_ref:
            ref = _run(REFERENCE, args.data, name)
            print(f"{name}: evalinstseg {ref}")
            if ours and ref:
                print(
                    f"  speed-up x{ref['wall_s'] / ours['wall_s']:.1f}, memory x{ref['peak_gb'] / ours['peak_gb']:.1f}"
                )
        else:
            print("  evalinstseg not importable; issue #17: R14A02 302 s / ~8 GB, VT011145 killed at 24 GB")
    if args.synthetic:
        print("synthetic 200x400x400, 20 tubes:", _run(SYNTH))


if __name__ == "__main__":
    main()
