"""homeonet against the authors' reference code (kingsonman/homeostatic-neural-networks, ``lrh.py``).

Both train the paper's MNIST learner (784-80-60-10 ELU, minibatch 10, eta0 = 0.001, 50 epochs, homeostatic
regulation with 2 label swaps per epoch) on the same MNIST-format CSV files (synthetic 28x28 images written
here: the reference reads ``mnist_train.csv`` / ``mnist_val.csv`` from its working directory and nothing is
downloaded). The reference is run unmodified, in a subprocess, from a clone you provide; its code is not part
of this repository (it has no licence). Timings: the minimum of alternating runs (load-robust).

Run:  uv run --package homeonet python packages/homeonet/benchmarks/bench_reference.py /path/to/clone [n_train]
(the reference needs pandas in the same environment).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from homeonet import synthetic_templates


def _write_csv(path: Path, X: np.ndarray, y: np.ndarray) -> None:
    pix = np.clip(np.round(X * 255), 0, 255).astype(np.int64)
    rows = np.column_stack([y, pix])
    np.savetxt(path, rows, fmt="%d", delimiter=",")


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    ref = Path(argv[0])
    n_train = int(argv[1]) if len(argv) > 1 else 500
    work = Path(tempfile.mkdtemp(prefix="homeonet-bench-"))
    for f in ("lrh.py", "mnist_utils.py"):
        shutil.copy(ref / f, work / f)
    Xtr, ytr, Xva, yva = synthetic_templates(
        n=n_train + n_train // 5, size=28, noise=1.0, seed=0, n_val=n_train // 5
    )
    _write_csv(work / "mnist_train.csv", Xtr, ytr)
    _write_csv(work / "mnist_val.csv", Xva, yva)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def reference() -> float:
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "from lrh import lrh; lrh(2)"],
            cwd=work,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - t

    def ours() -> float:
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-c",
                (
                    "import sys, numpy as np; from homeonet import load_csv, run; "
                    "a = load_csv('mnist_train.csv'); b = load_csv('mnist_val.csv'); "
                    "run(mode='lrh', dataset=(*a, *b), swaps_per_epoch=2, epochs=50, eta0=0.001, seed=0)"
                ),
            ],
            cwd=work,
            env=env,
            check=True,
        )
        return time.perf_counter() - t

    ref_t, our_t = [], []
    for _ in range(3):
        our_t.append(ours())
        ref_t.append(reference())
    print(
        f"n_train = {n_train}, n_val = {n_train // 5}, 50 epochs, LRH, 2 swaps/epoch, eta0 = 0.001, 1 thread"
    )
    print(f"reference lrh.py : min {min(ref_t):.2f} s  (runs {', '.join(f'{t:.2f}' for t in ref_t)})")
    print(f"homeonet.run     : min {min(our_t):.2f} s  (runs {', '.join(f'{t:.2f}' for t in our_t)})")
    print(
        f"speed-up x{min(ref_t) / min(our_t):.1f} (minimum of 3 alternating runs each, process start included)"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
