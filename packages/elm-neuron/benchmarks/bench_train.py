"""Training throughput: elm-neuron vs the reference's TorchScript ELM on the spec's synthetic task.

Setting (the spec's): synthetic SHD-like single task, 32 inputs -> 10 classes, d_m = 32, tau_max = 100, Adam 5e-3,
batch 64, T = 40, last-step cross-entropy. Both models run the same plain training loop (no Lightning), with
equal thread settings, alternating back to back so machine load hits both alike; the ratio of the two
measurements is the result. Not run in CI.

The reference (MIT, not on PyPI) must be a local copy of AaronSpieler/elmneuron:

    python benchmarks/bench_train.py --reference /path/to/elmneuron --steps 20 --threads 1

(``--reference-module`` names the module inside that folder; the default fits a clone,
``src.expressive_leaky_memory_neuron``, which imports seaborn and matplotlib through the reference's data utils.)

Thread settings are equal for both: ``--threads N`` sets torch's intra-op threads and, before numpy is
imported, ``OPENBLAS_NUM_THREADS`` (elm-neuron's CPU loops call numpy's BLAS, or with the numba kernels of
the extra ``fast`` SciPy's, for small products; both read it). ``--adam fused`` uses torch's fused Adam update
for both models (``default``: plain ``torch.optim.Adam``). ``--numpy-loops`` adds elm-neuron with the numpy
loops of 0.2.0 (``elm_neuron.fused.USE_NUMBA = False``) to the same alternating runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time
from typing import Any


def _train_steps(
    model: Any, x: Any, y: Any, steps: int, batch: int, adam: str
) -> tuple[float, float, list[float]]:
    """Wall-clock and process CPU seconds of ``steps`` training steps (fresh optimiser), and each step's time."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    opt = (
        torch.optim.Adam(params, lr=5e-3, fused=True)
        if adam == "fused"
        else torch.optim.Adam(params, lr=5e-3)
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    start, cpu_start = time.perf_counter(), time.process_time()
    per_step = []
    for _ in range(steps):
        t0 = time.perf_counter()
        idx = torch.randint(0, x.shape[0], (batch,), generator=gen)
        xb, yb = x[idx], y[idx]
        opt.zero_grad()
        loss = loss_fn(model(xb)[:, -1], yb)
        loss.backward()
        opt.step()
        if x.is_cuda:
            torch.cuda.synchronize()
        per_step.append(time.perf_counter() - t0)
    return time.perf_counter() - start, time.process_time() - cpu_start, per_step


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", help="folder holding a local copy of the reference repository")
    p.add_argument("--reference-module", default="src.expressive_leaky_memory_neuron")
    p.add_argument("--steps", type=int, default=20, help="timed steps per repeat (default 20)")
    p.add_argument("--repeats", type=int, default=3, help="alternating repeats (default 3)")
    p.add_argument(
        "--threads", type=int, default=1, help="torch intra-op threads (default 1; 0 = torch default)"
    )
    p.add_argument(
        "--reference-threads",
        type=int,
        default=None,
        help="threads while the reference runs (default: as --threads; 0 = torch default, as shipped)",
    )
    p.add_argument(
        "--numpy-loops",
        action="store_true",
        help="also time elm-neuron with the numpy loops of 0.2.0 (elm_neuron.fused.USE_NUMBA = False)",
    )
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument(
        "--adam", choices=["default", "fused"], default="default", help="Adam update for both models"
    )
    args = p.parse_args(argv)
    if args.threads > 0:  # numpy's OpenBLAS reads this when it is first imported (torch does not)
        os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    import torch

    import elm_neuron.fused as fused
    from elm_neuron import ELM, data

    default_threads = torch.get_num_threads()
    ours_threads = args.threads if args.threads > 0 else default_threads
    ref_threads = (
        ours_threads if args.reference_threads is None else (args.reference_threads or default_threads)
    )
    threads = {"elm_neuron": ours_threads, "elm_neuron_numpy_loops": ours_threads, "reference": ref_threads}
    device = torch.device(args.device)
    x_np, y_np = data.synthetic_shd(2048, seed=1)
    x = torch.as_tensor(x_np, device=device)
    y = torch.as_tensor(y_np, device=device)
    models: dict[str, torch.nn.Module] = {}
    torch.manual_seed(0)
    models["elm_neuron"] = ELM(32, 10, num_memory=32, tau_m_max=100.0).to(device)
    if args.numpy_loops:
        torch.manual_seed(0)
        models["elm_neuron_numpy_loops"] = ELM(32, 10, num_memory=32, tau_m_max=100.0).to(device)
    if args.reference:
        sys.path.insert(0, args.reference)
        ref_cls = importlib.import_module(args.reference_module).ELM
        torch.manual_seed(0)
        models["reference"] = ref_cls(num_input=32, num_output=10, num_memory=32, memory_tau_max=100.0).to(
            device
        )
    for name, model in models.items():  # warm-up (TorchScript profiles the first calls)
        torch.set_num_threads(threads[name])
        fused.USE_NUMBA = name != "elm_neuron_numpy_loops"
        _train_steps(model, x, y, 3, args.batch, args.adam)  # warm-up
    times: dict[str, list[float]] = {k: [] for k in models}
    cpu: dict[str, list[float]] = {k: [] for k in models}
    single: dict[str, list[float]] = {k: [] for k in models}
    for _ in range(args.repeats):
        for name, model in models.items():
            torch.set_num_threads(threads[name])
            fused.USE_NUMBA = name != "elm_neuron_numpy_loops"
            wall, cpu_s, per_step = _train_steps(model, x, y, args.steps, args.batch, args.adam)
            times[name].append(wall)
            cpu[name].append(cpu_s)
            single[name].extend(per_step)
    result: dict[str, Any] = {
        "device": str(device),
        "threads": {k: threads[k] for k in models},
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "numba_kernels": fused.numba_available(),
        # register-tiled products in the kernels (AVX-512 CPUs); else SciPy's BLAS (see OPENBLAS_CORETYPE)
        "vector_matmul": bool(fused.numba_available() and fused._kernels().VECTOR_MATMUL),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "adam": args.adam,
        "steps": args.steps,
        "seconds_per_step": {k: min(v) / args.steps for k, v in times.items()},
        # CPU time of this process: less sensitive to other jobs on a shared machine (equal to wall-clock
        # time for one thread on an idle core; larger than it with several busy threads).
        "cpu_seconds_per_step": {k: min(v) / args.steps for k, v in cpu.items()},
        # Median of the single steps: robust when other jobs preempt some steps.
        "median_step_s": {k: statistics.median(v) for k, v in single.items()},
        "all_seconds": times,
    }
    if "reference" in models:
        result["speedup"] = min(times["reference"]) / min(times["elm_neuron"])
        result["speedup_cpu_time"] = min(cpu["reference"]) / min(cpu["elm_neuron"])
        result["speedup_median_step"] = (
            result["median_step_s"]["reference"] / result["median_step_s"]["elm_neuron"]
        )
        result["reference_400_steps_s"] = 400 * result["seconds_per_step"]["reference"]
        if "elm_neuron_numpy_loops" in models:
            result["speedup_numpy_loops"] = min(times["reference"]) / min(times["elm_neuron_numpy_loops"])
            result["speedup_numpy_loops_cpu_time"] = min(cpu["reference"]) / min(
                cpu["elm_neuron_numpy_loops"]
            )
    result["elm_neuron_400_steps_s"] = 400 * result["seconds_per_step"]["elm_neuron"]
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
