"""Training and query throughput (images per second) and Recall@1: VPRTempo vs snn-vpr, same synthetic traverses.

Dev-only, not run in CI. VPRTempo (Hines et al., ICRA 2024; ``pip install vprtempo``, MIT) is *not* a dependency
of snn-vpr: run this script in an environment that has both, e.g.::

    uv venv .venv-vprtempo --python 3.11
    uv pip install --python .venv-vprtempo/bin/python vprtempo==1.1.10 numba -e packages/snn-vpr -e shared/neurotypes
    .venv-vprtempo/bin/python packages/snn-vpr/benchmarks/bench_vprtempo.py --places 40 100 --work WORK \
        --rounds 7 --json out.json

Training runs once per number of places and is kept in ``--work`` (VPRTempo's model file, the snn-vpr network
as ``.npz``, and each side's training time); later calls only time the queries. The query timing alternates
the two sides back to back for ``--rounds`` rounds and reports the minimum of each (load-robust on a shared
machine), plus the median.

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
assignment). Query images/s = query images / wall time from the query PNG files to the place scores, the
trained model already in memory (both read the same PNGs; VPRTempo through its ``CustomImageDataset`` +
``ProcessImage`` loader, snn-vpr through PIL + ``process_images``; snn-vpr's query engine is the compiled
``engine="fast"``, compiled before timing). snn-vpr's R@1 is also computed with the spike-level reference
engine on the same input seed (identical counts, so identical R@1) and over several input seeds.
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


def _vprtempo_args(
    root: Path, P: int, epochs: int, dims: int, patches: int, train: bool
) -> argparse.Namespace:
    return argparse.Namespace(
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
        train_new_model=train,
        quantize=False,
        PR_curve=False,
        sim_mat=False,
        demo=False,
    )


def train_vprtempo(root: Path, P: int, epochs: int, dims: int, patches: int) -> dict[str, Any]:
    """Train VPRTempo with its own ``train_new_model`` (cwd must hold ./vprtempo/); the model file stays there."""
    import vprtempo.VPRTempoTrain as vt_train
    from torch.utils.data import DataLoader
    from vprtempo.VPRTempoTrain import VPRTempoTrain, train_new_model

    def single_process_loader(dataset: Any, **kw: Any) -> DataLoader:
        kw.pop("num_workers", None)
        kw.pop("persistent_workers", None)
        return DataLoader(dataset, num_workers=0, **kw)

    vt_train.DataLoader = single_process_loader  # type: ignore[attr-defined]  # one process, one thread
    args = _vprtempo_args(root, P, epochs, dims, patches, train=True)
    n_mod, out_dim, last = _module_sizes(P, args.max_module)
    torch.manual_seed(0)
    np.random.seed(0)  # noqa: NPY002  (VPRTempo draws its connection masks from the legacy global RNG)
    models = [
        VPRTempoTrain(
            args,
            [dims, dims],
            logging.getLogger("VPRTempo"),
            n_mod,
            out_dim,
            out_dim_remainder=last if m == n_mod - 1 else None,
        )
        for m in range(n_mod)
    ]
    t0 = time.perf_counter()
    train_new_model(models, f"bench_P{P}.pth")
    t_train = time.perf_counter() - t0
    return {
        "settings": (
            f"{n_mod} module(s) x {out_dim} places; input {dims}x{dims}={dims * dims}, feature {2 * dims * dims}, "
            f"patch norm {patches}, {epochs} epochs, 2 reference traverses, filter 1"
        ),
        "train_s": round(t_train, 2),
        "train_images_per_s": round(2 * P * epochs / t_train, 3),
    }


class VPRTempoQuery:
    """VPRTempo's trained modules loaded once (``VPRTempo.load_model``); :meth:`run` queries the PNG folder."""

    def __init__(
        self, root: Path, P: int, epochs: int, dims: int, patches: int, trained: bool = True
    ) -> None:
        from vprtempo.VPRTempo import VPRTempo

        args = _vprtempo_args(root, P, epochs, dims, patches, train=False)
        n_mod, out_dim, last = _module_sizes(P, args.max_module)
        self.models = [
            VPRTempo(
                args,
                [dims, dims],
                logging.getLogger("VPRTempo"),
                n_mod,
                ".",
                out_dim,
                out_dim_remainder=last if m == n_mod - 1 else None,
            )
            for m in range(n_mod)
        ]
        for m in self.models:
            m.eval()
        self.head = self.models[0]
        if trained:  # else the modules keep their initial weights: same layers, same query cost
            self.head.load_model(self.models, os.path.join("./vprtempo/models", f"bench_P{P}.pth"))
        self.head.inferences = [
            torch.nn.Sequential(m.feature_layer.w, m.output_layer.w).to(torch.device(self.head.device))
            for m in self.models
        ]
        self.P = P

    def run(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Scores [queries, places], labels and the wall time from the PNG files to the scores."""
        from torch.utils.data import DataLoader
        from vprtempo.src.dataset import CustomImageDataset, ProcessImage

        h = self.head
        t0 = time.perf_counter()
        ds = CustomImageDataset(
            annotations_file=h.dataset_file,
            base_dir=h.data_dir,
            img_dirs=h.query_dir,
            transform=ProcessImage(h.dims, h.patches),
            max_samples=self.P,
            filter=1,
            skip=0,
        )
        out, labels = [], []
        with torch.no_grad():
            for spikes, label in DataLoader(ds, batch_size=1, num_workers=0):
                out.append(h.forward(spikes.to(h.device)).detach().cpu())
                labels.append(int(label.item()))
        dt = time.perf_counter() - t0
        S = torch.stack(out, dim=2).squeeze(0).numpy()  # [database places, queries], as evaluate() builds it
        return S.T, np.asarray(labels), dt


def train_snn_vpr(data: Any, P: int) -> tuple[ModularSNN, dict[str, Any]]:
    """snn-vpr's quick reproduce settings on the same traverses; T calibrated on the calibration traverse."""
    st = Settings.quick()
    prm = DiehlCookParams(t_present=st.t_present)
    ref, cal = data.select("ref_a", "ref_b"), data.select("calibration")
    X = process_images(ref.images)
    net = ModularSNN(st.region_size, st.n_e, st.epochs, prm, seed=st.net_seed)
    t0 = time.perf_counter()
    net.fit(X, ref.place_id)
    t_train = time.perf_counter() - t0
    net.calibrate_hyperactive(process_images(cal.images), cal.place_id)
    return net, {
        "settings": (
            f"{len(net.regions_)} modules x {st.region_size} places x {st.n_e} neurons; 28x28, patch norm 7, "
            f"{st.epochs} epochs, {st.t_present:g} ms, delays, dt {prm.dt:g} ms"
        ),
        "train_s": round(t_train, 2),
        "train_images_per_s": round(len(X) * st.epochs / t_train, 3),
        "hyperactive T (calibration)": int(net.threshold_),
    }


def _read_pngs(folder: Path, n: int) -> np.ndarray:
    return np.stack(
        [np.asarray(Image.open(folder / f"{k:05d}.png"), dtype=np.float64) / 255.0 for k in range(n)]
    )


def query_snn_vpr(
    net: ModularSNN, root: Path, P: int, seed: int, engine: str = "fast"
) -> tuple[np.ndarray, float]:
    """Scores [queries, places] from the query PNG files (read, preprocessed, simulated, scored) and the wall time."""
    t0 = time.perf_counter()
    Q = process_images(_read_pngs(root / "query", P))
    R = net.respond(Q, engine=engine, seed=seed).counts.T
    S = net.scores_from_responses(R)
    return S, time.perf_counter() - t0


def _r1(S: np.ndarray, gt: np.ndarray) -> float:
    return float(metrics.recall_at_n(S, gt, ns=(1,))[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--places", type=int, nargs="+", default=[40, 100], help="numbers of places (default 40 100)"
    )
    ap.add_argument("--seed", type=int, default=Settings().data_seed, help="synthetic data seed")
    ap.add_argument("--epochs", type=int, default=4, help="VPRTempo epochs (its default 4)")
    ap.add_argument("--dims", type=int, default=56, help="VPRTempo image side (its default 56)")
    ap.add_argument("--patches", type=int, default=15, help="VPRTempo patch-normalisation size (default 15)")
    ap.add_argument("--work", type=Path, required=True, help="folder for the datasets and trained models")
    ap.add_argument(
        "--rounds", type=int, default=7, help="alternating query rounds (default 7; 0: train only)"
    )
    ap.add_argument("--input-seeds", type=int, default=5, help="snn-vpr input seeds for the R@1 spread")
    ap.add_argument(
        "--vprtempo-untrained",
        action="store_true",
        help="time VPRTempo's queries with its modules untrained (its query cost does not depend on the weights: "
        "two dense layers); no VPRTempo training, no VPRTempo R@1",
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    results: list[dict[str, Any]] = []
    for P in a.places:
        data = synthetic_traverses(P, 64, seed=a.seed)
        work = (a.work / f"P{P}").resolve()
        work.mkdir(parents=True, exist_ok=True)
        root = work / "images"
        if not (root / "query").is_dir():
            write_vprtempo_dataset(data, work)
        row: dict[str, Any] = {"places": P, "torch_threads": torch.get_num_threads(), "device": "cpu"}
        with _chdir(work):
            info = work / "vprtempo_train.json"
            if a.vprtempo_untrained:
                row["vprtempo"] = {"trained": False}
            else:
                if not info.is_file():
                    info.write_text(json.dumps(train_vprtempo(root, P, a.epochs, a.dims, a.patches)))
                row["vprtempo"] = {"trained": True, **json.loads(info.read_text())}
            vq = VPRTempoQuery(root, P, a.epochs, a.dims, a.patches, trained=not a.vprtempo_untrained)
        snn_file, snn_info = work / "snn_vpr.npz", work / "snn_vpr_train.json"
        if not snn_file.is_file():
            net, sinfo = train_snn_vpr(data, P)
            net.save(snn_file)
            snn_info.write_text(json.dumps(sinfo))
        net = ModularSNN.load(snn_file)
        row["snn_vpr"] = json.loads(snn_info.read_text())
        # warm up both sides (numba compiles or loads its cache; first torch calls), then alternate
        if a.rounds < 1:  # training only
            continue
        query_snn_vpr(net, root, 1, seed=0)
        with _chdir(work):
            vq.run()
        t_v, t_s = [], []
        for _ in range(a.rounds):
            with _chdir(work):
                S_v, labels, dt_v = vq.run()
            S_s, dt_s = query_snn_vpr(net, root, P, seed=1)
            t_v.append(dt_v)
            t_s.append(dt_s)
        gt_v = labels
        gt_s = net.place_index(data.select("query").place_id)
        S_ref, dt_ref = query_snn_vpr(net, root, P, seed=1, engine="reference")
        seeds_r1 = [_r1(query_snn_vpr(net, root, P, seed=k)[0], gt_s) for k in range(1, a.input_seeds + 1)]
        row["vprtempo"].update(
            {
                "query_s_min": round(min(t_v), 4),
                "query_s_median": round(float(np.median(t_v)), 4),
                "query_images_per_s": round(P / min(t_v), 2),
                "R@1": _r1(S_v, gt_v) if not a.vprtempo_untrained else None,
            }
        )
        row["snn_vpr"].update(
            {
                "query_engine": "fast (numba)",
                "query_s_min": round(min(t_s), 4),
                "query_s_median": round(float(np.median(t_s)), 4),
                "query_images_per_s": round(P / min(t_s), 2),
                "R@1 (input seed 1)": _r1(S_s, gt_s),
                "R@1 reference engine (input seed 1)": _r1(S_ref, gt_s),
                "same scores as the reference engine": bool(np.array_equal(S_s, S_ref)),
                "reference engine query_images_per_s": round(P / dt_ref, 2),
                f"R@1 over input seeds 1..{a.input_seeds}": seeds_r1,
                "R@1 (T = 0, input seed 1)": _r1(
                    net.scores_from_responses(
                        net.respond(process_images(_read_pngs(root / "query", P)), seed=1).counts.T, 0
                    ),
                    gt_s,
                ),
            }
        )
        row["rounds"] = a.rounds
        if not a.vprtempo_untrained:
            row["ratio_train_images_per_s (snn-vpr / VPRTempo)"] = round(
                row["snn_vpr"]["train_images_per_s"] / row["vprtempo"]["train_images_per_s"], 3
            )
        row["ratio_query_images_per_s (snn-vpr / VPRTempo)"] = round(
            row["snn_vpr"]["query_images_per_s"] / row["vprtempo"]["query_images_per_s"], 3
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
