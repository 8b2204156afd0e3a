"""Training and query throughput (images per second) and Recall@1: VPRTempo vs snn-vpr, same synthetic traverses.

Dev-only, not run in CI. VPRTempo (Hines et al., ICRA 2024; ``pip install vprtempo``, MIT) is *not* a dependency
of snn-vpr: run this script in an environment that has both, e.g.::

    uv venv .venv-vprtempo --python 3.11 && uv pip install --python .venv-vprtempo/bin/python vprtempo
    uv pip install --python .venv-vprtempo/bin/python -e packages/snn-vpr -e shared/neurotypes
    .venv-vprtempo/bin/python packages/snn-vpr/benchmarks/bench_vprtempo.py --places 40 100 --json out.json

What runs (CPU, one torch thread each, the same images):

- Data: ``snn_vpr.synthetic_traverses(P, 64, seed=7)`` (the seed of snn-vpr's reproduce): reference traverses
  ``ref_a``, ``ref_b`` (training), ``query`` (test), ``calibration`` (snn-vpr's hyperactivity threshold only).
  For VPRTempo the images are written as 8-bit grey PNGs to a temporary folder ``<tmp>/<traverse>/00000.png``
  with the image-name lists it reads (``./vprtempo/dataset/<dataset>-<traverse>.csv``: ``Image_name,index``);
  the script runs inside that temporary folder because VPRTempo's paths are relative to the working directory.
- VPRTempo 1.1.10, through its public classes and its own code paths: ``VPRTempoTrain`` modules trained by
  ``vprtempo.VPRTempoTrain.train_new_model`` (layer by layer, spike forcing on the output layer, weights saved
  under ``./vprtempo/models``), then ``VPRTempo`` modules loaded with ``load_model`` and queried through
  ``VPRTempo.forward`` on a ``CustomImageDataset`` + ``ProcessImage`` loader (what ``run_inference`` /
  ``evaluate`` do; ``evaluate`` itself is not called because it only logs a table). Its defaults / paper
  settings: 56 x 56 input, patch normalisation 15, 4 epochs, 2 reference traverses; ``filter = 1`` (its
  default 8 subsamples Nordland frames; here every image is a place) and ``max_module = P`` (one module of P
  output neurons; its default 500 exceeds these databases, and ``main.py`` then divides by zero). Its ``DataLoader`` worker
  processes (8 for training, 4 for queries) are replaced by in-process loading (``num_workers=0``) so that each
  side uses one thread; everything else is VPRTempo's code.
- snn-vpr: the quick reproduce settings: ``ModularSNN(region_size=10, n_e=100, epochs=5)``, 350 ms
  presentations, random input delays, dt 0.5 ms, 28 x 28 input, patch normalisation 7, P / 10 modules run as one
  batched bank; hyperactive threshold T calibrated on the calibration traverse (not timed).

Throughput: training images/s = reference images x epochs / training wall time (VPRTempo: both layers, each
trained for all epochs; snn-vpr: all modules, incl. recording the reference responses used for neuron
assignment). Query images/s = query images / wall time from image to place scores (VPRTempo incl. reading the
PNG and its preprocessing; snn-vpr incl. preprocessing, every module answering every query).
The two networks do very different work per image: VPRTempo is a supervised, one-neuron-per-place network whose
"spikes" are one matrix-vector product per layer; snn-vpr simulates 350 ms of conductance-based LIF dynamics with
STDP (700 time steps) per image. Timings on a shared machine are noisy: compare numbers taken back to back.
"""

from __future__ import annotations

import os

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # CPU on both sides, set before torch is imported

import argparse
import contextlib
import json
import logging
import math
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from snn_vpr import DiehlCookParams, ModularSNN, metrics, synthetic_traverses
from snn_vpr.preprocess import process_images
from snn_vpr.reproduce import Settings

log = logging.getLogger("bench_vprtempo")
TRAVERSES = ("ref_a", "ref_b", "query", "calibration")
DATASET = "synthetic"


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def write_vprtempo_dataset(data: Any, work: Path) -> Path:
    """Write each traverse as PNGs under ``work/images/<traverse>/`` and VPRTempo's name lists; return the root."""
    root = work / "images"
    lists = work / "vprtempo" / "dataset"
    lists.mkdir(parents=True, exist_ok=True)
    (work / "vprtempo" / "models").mkdir(parents=True, exist_ok=True)
    for trav in TRAVERSES:
        sel = data.select(trav)
        (root / trav).mkdir(parents=True, exist_ok=True)
        rows = ["Image_name,index"]
        for k, (img, pid) in enumerate(zip(sel.images, sel.place_id, strict=True)):
            name = f"{k:05d}.png"
            Image.fromarray(np.round(np.clip(img, 0, 1) * 255).astype(np.uint8), mode="L").save(
                root / trav / name
            )
            rows.append(f"{name},{int(pid)}")
        (lists / f"{DATASET}-{trav}.csv").write_text("\n".join(rows) + "\n")
    return root


def _module_sizes(places: int, max_module: int) -> tuple[int, int, int]:
    """Number of modules, output size and last module's output size (VPRTempo main.py's rule)."""
    n_mod = max(1, math.ceil(places / max_module))
    rem = places % max_module
    if rem:
        return n_mod, (places - rem) // (n_mod - 1), rem
    return n_mod, places // n_mod, places // n_mod


def run_vprtempo(root: Path, P: int, epochs: int, dims: int, patches: int) -> dict[str, Any]:
    """Train and query VPRTempo on the traverses written under ``root`` (cwd must hold ./vprtempo/)."""
    import vprtempo.VPRTempoTrain as vt_train
    from torch.utils.data import DataLoader
    from vprtempo.src.dataset import CustomImageDataset, ProcessImage
    from vprtempo.src.metrics import recallAtK
    from vprtempo.VPRTempo import VPRTempo
    from vprtempo.VPRTempoTrain import VPRTempoTrain, train_new_model

    def single_process_loader(dataset: Any, **kw: Any) -> DataLoader:
        kw.pop("num_workers", None)
        kw.pop("persistent_workers", None)
        return DataLoader(dataset, num_workers=0, **kw)

    vt_train.DataLoader = single_process_loader  # type: ignore[attr-defined]  # one process, one thread

    args = argparse.Namespace(
        dataset=DATASET,
        data_dir=str(root),
        database_places=P,
        query_places=P,
        max_module=P,
        database_dirs="ref_a,ref_b",
        query_dir="query",
        GT_tolerance=0,
        skip=0,
        filter=1,
        epoch=epochs,
        patches=patches,
        dims=f"{dims},{dims}",
        train_new_model=True,
        quantize=False,
        PR_curve=False,
        sim_mat=False,
        demo=False,
    )
    dim2 = [dims, dims]
    n_mod, out_dim, last = _module_sizes(P, args.max_module)
    vlog = logging.getLogger("VPRTempo")
    torch.manual_seed(0)
    np.random.seed(0)  # noqa: NPY002  (VPRTempo draws its connection masks from the legacy global RNG)
    models = [
        VPRTempoTrain(args, dim2, vlog, n_mod, out_dim, out_dim_remainder=last if m == n_mod - 1 else None)
        for m in range(n_mod)
    ]
    name = f"bench_P{P}.pth"
    n_ref = 2 * P
    t0 = time.perf_counter()
    train_new_model(models, name)
    t_train = time.perf_counter() - t0

    qargs = argparse.Namespace(**{**vars(args), "train_new_model": False})
    qmodels = [
        VPRTempo(qargs, dim2, vlog, n_mod, ".", out_dim, out_dim_remainder=last if m == n_mod - 1 else None)
        for m in range(n_mod)
    ]
    for m in qmodels:
        m.eval()
    head = qmodels[0]
    t0 = time.perf_counter()
    head.load_model(qmodels, os.path.join("./vprtempo/models", name))
    ds = CustomImageDataset(
        annotations_file=head.dataset_file,
        base_dir=head.data_dir,
        img_dirs=head.query_dir,
        transform=ProcessImage(head.dims, head.patches),
        max_samples=P,
        filter=1,
        skip=0,
    )
    loader = DataLoader(ds, batch_size=1, num_workers=0)
    head.inferences = [
        torch.nn.Sequential(m.feature_layer.w, m.output_layer.w).to(torch.device(head.device))
        for m in qmodels
    ]
    out, labels = [], []
    with torch.no_grad():
        for spikes, label in loader:
            out.append(head.forward(spikes.to(head.device)).detach().cpu())
            labels.append(int(label.item()))
    t_query = time.perf_counter() - t0
    S = torch.stack(out, dim=2).squeeze(0).numpy()  # [database places, queries], as evaluate() builds it
    GT = np.eye(P, P)
    return {
        "settings": (
            f"{n_mod} module(s) x {out_dim} places; input {dims}x{dims}={dims * dims}, feature {2 * dims * dims}, "
            f"patch norm {patches}, {epochs} epochs, 2 reference traverses, filter 1"
        ),
        "train_s": round(t_train, 2),
        "train_images_per_s": round(n_ref * epochs / t_train, 2),
        "reference_images_per_s": round(n_ref / t_train, 3),
        "query_s": round(t_query, 2),
        "query_images_per_s": round(len(labels) / t_query, 2),
        "R@1": metrics.recall_at_n(S.T, np.asarray(labels), ns=(1,))[1],
        "R@1 (vprtempo recallAtK)": float(recallAtK(S, GT, K=1)),
    }


def run_snn_vpr(data: Any, P: int) -> dict[str, Any]:
    """snn-vpr's quick reproduce settings on the same traverses."""
    st = Settings.quick()
    prm = DiehlCookParams(t_present=st.t_present)
    ref, qry, cal = data.select("ref_a", "ref_b"), data.select("query"), data.select("calibration")
    X = process_images(ref.images)
    net = ModularSNN(st.region_size, st.n_e, st.epochs, prm, seed=st.net_seed)
    t0 = time.perf_counter()
    net.fit(X, ref.place_id)
    t_train = time.perf_counter() - t0
    T = net.calibrate_hyperactive(process_images(cal.images), cal.place_id)
    t0 = time.perf_counter()
    R = net.respond(process_images(qry.images)).counts.T
    t_query = time.perf_counter() - t0
    gt = net.place_index(qry.place_id)
    return {
        "settings": (
            f"{len(net.regions_)} modules x {st.region_size} places x {st.n_e} neurons; 28x28, patch norm 7, "
            f"{st.epochs} epochs, {st.t_present:g} ms, delays, dt {prm.dt:g} ms"
        ),
        "train_s": round(t_train, 2),
        "train_images_per_s": round(len(X) * st.epochs / t_train, 2),
        "reference_images_per_s": round(len(X) / t_train, 3),
        "query_s": round(t_query, 2),
        "query_images_per_s": round(len(gt) / t_query, 2),
        "R@1": metrics.recall_at_n(net.scores_from_responses(R, T), gt, ns=(1,))[1],
        "R@1 (T = 0, unregularised)": metrics.recall_at_n(net.scores_from_responses(R, 0), gt, ns=(1,))[1],
        "hyperactive T (calibration)": int(T),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--places", type=int, nargs="+", default=[40, 100], help="numbers of places (default 40 100)"
    )
    ap.add_argument("--seed", type=int, default=Settings().data_seed, help="synthetic data seed")
    ap.add_argument("--epochs", type=int, default=4, help="VPRTempo epochs (its default 4)")
    ap.add_argument("--dims", type=int, default=56, help="VPRTempo image side (its default 56)")
    ap.add_argument("--patches", type=int, default=15, help="VPRTempo patch-normalisation size (default 15)")
    ap.add_argument("--skip-snn", action="store_true", help="run VPRTempo only")
    ap.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    results: list[dict[str, Any]] = []
    for P in a.places:
        data = synthetic_traverses(P, 64, seed=a.seed)
        row: dict[str, Any] = {"places": P, "torch_threads": torch.get_num_threads(), "device": "cpu"}
        with tempfile.TemporaryDirectory(prefix="bench_vprtempo_") as tmp:
            work = Path(tmp)
            root = write_vprtempo_dataset(data, work)
            with _chdir(work):
                row["vprtempo"] = run_vprtempo(root, P, a.epochs, a.dims, a.patches)
        if not a.skip_snn:
            row["snn_vpr"] = run_snn_vpr(data, P)
            v, s = row["vprtempo"], row["snn_vpr"]
            row["ratio_train_images_per_s (snn-vpr / VPRTempo)"] = round(
                s["train_images_per_s"] / v["train_images_per_s"], 4
            )
            row["ratio_query_images_per_s (snn-vpr / VPRTempo)"] = round(
                s["query_images_per_s"] / v["query_images_per_s"], 4
            )
        results.append(row)
        print(json.dumps(row, indent=2), flush=True)
    if a.json is not None:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = a.json.with_suffix(a.json.suffix + ".tmp")
        tmp_path.write_text(json.dumps(results, indent=2) + "\n")
        tmp_path.replace(a.json)


if __name__ == "__main__":
    main()
