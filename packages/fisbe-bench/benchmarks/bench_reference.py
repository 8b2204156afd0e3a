"""fisbe-bench against the official evaluator (evalinstseg) on the same machine: time and peak memory.

Both sides get the same label arrays (``.npy`` files) and evaluate them with the FlyLight preset (clDice,
greedy, predicted instances of <= 800 voxels removed); each run is a fresh subprocess; the two sides
alternate and the minimum over ``--repeats`` runs is reported (load-robust), with each side's peak RSS.

evalinstseg is not on PyPI: give a Python that imports it (``--reference-python``), e.g. a venv made with
``pip install ./evaluate-instance-segmentation`` from a clone of Kainmueller-Lab/evaluate-instance-segmentation.

Cases:
  synthetic   a 96 x 256 x 256 volume with 16 radius-2 tubes; the prediction shifts, splits and merges them
  real-crop   64 z-slices of the real image R14A02 (7 GT channels) and its GMM baseline segmentation
              (needs --data DIR, the real FISBe sample); the full image needs 8-21 GB in the evaluator

Usage: python benchmarks/bench_reference.py --reference-python /path/to/venv/bin/python [--data DIR]
       [--repeats 3] [--cases synthetic real-crop]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

OURS = r"""
import json, resource, sys, time
import numpy as np
from fisbe_bench import evaluate
gt, pred = np.load(sys.argv[1]), np.load(sys.argv[2])
t0, c0 = time.perf_counter(), time.process_time()
s = evaluate(gt, pred, min_instance_size=800)
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, "S": s.S}))
"""

REFERENCE = r"""
import json, resource, sys, tempfile, time
import numpy as np
from evalinstseg.evaluate import evaluate_volume
gt, pred = np.load(sys.argv[1]), np.load(sys.argv[2])
t0, c0 = time.perf_counter(), time.process_time()
m = evaluate_volume(gt, pred, 3, tempfile.mkdtemp() + "/x", localization_criterion="cldice",
                    assignment_strategy="greedy", remove_small_components=800, evaluate_false_labels=True,
                    add_general_metrics=["avg_gt_skel_coverage", "avg_f1_cov_score", "false_merge", "false_split",
                                         "avg_gt_cov_overlap"]).metricsDict
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
                  "S": float(m["general"]["avg_f1_cov_score"])}))
"""


def synthetic(folder: Path) -> tuple[Path, Path]:
    from fisbe_bench import synth

    rng = np.random.default_rng(0)
    shape = (96, 256, 256)
    lines = [rng.uniform([4, 4, 4], np.array(shape) - 5, size=(5, 3)) for _ in range(16)]
    gt = synth.tubes(shape, lines, 2.0)
    pred = np.roll(gt, 1, axis=1)
    pred[:, :, 120:124] = 0  # splits every tube crossing x = 120..123
    pred[pred == 3] = 2  # a merge
    np.save(folder / "syn_gt.npy", gt)
    np.save(folder / "syn_pred.npy", pred)
    return folder / "syn_gt.npy", folder / "syn_pred.npy"


def real_crop(folder: Path, data: Path) -> tuple[Path, Path]:
    import h5py
    import zarr

    name = "R14A02-20180905_65_A6"
    z0, z1 = 160, 224
    gt = np.asarray(zarr.open(str(data / f"{name}.zarr"), mode="r")["volumes/gt_instances"][:, z0:z1])
    with h5py.File(data / "pred" / f"{name}.hdf", "r") as f:
        pred = np.asarray(f["volumes/gmm_label_cleaned"][..., z0:z1, :, :])
    np.save(folder / "real_gt.npy", gt)
    np.save(folder / "real_pred.npy", np.squeeze(pred))
    return folder / "real_gt.npy", folder / "real_pred.npy"


def _run(python: str, code: str, gt: Path, pred: Path) -> dict[str, float]:
    proc = subprocess.run(
        [python, "-c", code, str(gt), str(pred)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr else f"exit {proc.returncode}")
    out: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference-python", required=True, help="a Python that imports evalinstseg")
    ap.add_argument("--data", default=None, help="the real FISBe sample (for real-crop)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--cases", nargs="+", default=["synthetic", "real-crop"], choices=["synthetic", "real-crop"]
    )
    args = ap.parse_args()
    version = subprocess.run(
        [args.reference_python, "-c", "import skimage, numpy; print(skimage.__version__, numpy.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    print(
        f"evalinstseg with scikit-image {version[0]}, numpy {version[1]}; fisbe-bench with {sys.executable}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for case in args.cases:
            if case == "real-crop" and args.data is None:
                print("real-crop: skipped (give --data DIR)")
                continue
            gt, pred = synthetic(folder) if case == "synthetic" else real_crop(folder, Path(args.data))
            shape = np.load(gt, mmap_mode="r").shape
            ours, ref = [], []
            for _ in range(args.repeats):  # alternate the two sides
                ours.append(_run(sys.executable, OURS, gt, pred))
                ref.append(_run(args.reference_python, REFERENCE, gt, pred))
            best_o = {k: min(r[k] for r in ours) for k in ("wall_s", "cpu_s", "peak_gb")}
            best_r = {k: min(r[k] for r in ref) for k in ("wall_s", "cpu_s", "peak_gb")}
            same = all(abs(o["S"] - r["S"]) <= 1e-12 for o, r in zip(ours, ref, strict=True))
            print(
                f"{case} {shape}: fisbe-bench wall {best_o['wall_s']:.1f} s, CPU {best_o['cpu_s']:.1f} s, "
                f"peak {best_o['peak_gb']:.2f} GB | evalinstseg wall {best_r['wall_s']:.1f} s, "
                f"CPU {best_r['cpu_s']:.1f} s, peak {best_r['peak_gb']:.2f} GB | "
                f"ratio wall {best_r['wall_s'] / best_o['wall_s']:.1f}x, CPU {best_r['cpu_s'] / best_o['cpu_s']:.1f}x, "
                f"memory {best_r['peak_gb'] / best_o['peak_gb']:.1f}x | same S: {same} (S = {ours[0]['S']:.6f})"
            )


if __name__ == "__main__":
    main()
