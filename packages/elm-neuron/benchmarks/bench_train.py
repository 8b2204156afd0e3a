"""Training throughput: elm-neuron vs the reference's TorchScript ELM, in two configurations.

* ``--config small`` (the spec's synthetic task): 32 inputs -> 10 classes, d_m = 32, tau_max = 100, Adam 5e-3,
  batch 64, T = 40, last-step cross-entropy.
* ``--config neuronio`` (the configuration the paper fits to NeuronIO, issue 29): 1278 inputs routed by the
  reference's ``neuronio_routing`` to 45 branches x 100 synapses, d_m = 32, tau_max = 150, Adam 5e-4, batch 8,
  T = 500, the NeuronIO loss (0.5 BCE on the spike logit + 0.5 MSE on the soma output) on every step. Inputs
  are Bernoulli spikes with 1% of the inputs active per step (``--input-rate``); the targets are random
  (spikes at 1%, soma Gaussian noise): throughput does not depend on what is learnt.

Both models run the same plain training loop (no Lightning), with equal thread settings, alternating back to back
so machine load hits both alike; the result is the ratio of the minima over the repeats (wall clock and process
CPU time per step), and of the median single steps. Not run in CI.

The reference (MIT, not on PyPI) must be a local copy of AaronSpieler/elmneuron (its ``src`` folder, which
imports numpy, matplotlib and seaborn through its NeuronIO utilities), importable as ``--reference-module``
from the folder ``--reference``:

    python benchmarks/bench_train.py --reference /path/to/copy --reference-module src.expressive_leaky_memory_neuron \\
        --config neuronio --steps 10 --repeats 6 --threads 1 --backends numba,numpy,torch --check

``--backends`` lists elm-neuron's backends to time (``auto``, ``numba``, ``numpy``, ``torch``; default
``auto``). ``--check`` first compares one training step's outputs and every parameter gradient of each backend
with the reference's in float64 (same weights: the state dicts have the same names) and records the largest
relative differences. ``--threads N`` sets torch's intra-op threads and, before numpy is imported,
``OPENBLAS_NUM_THREADS`` for both. ``--adam fused`` uses torch's fused Adam update for both models.
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

CONFIGS: dict[str, dict[str, Any]] = {
    "small": {
        "model": {"num_input": 32, "num_output": 10, "num_memory": 32, "memory_tau_max": 100.0},
        "batch": 64,
        "lr": 5e-3,
    },
    "neuronio": {
        "model": {
            "num_input": 1278,
            "num_output": 2,
            "num_memory": 32,
            "num_branch": 45,
            "num_synapse_per_branch": 100,
            "input_to_synapse_routing": "neuronio_routing",
            "memory_tau_max": 150.0,
        },
        "batch": 8,
        "steps_per_sample": 500,
        "lr": 5e-4,
    },
}


def _data(config: str, input_rate: float, pool: int, device: Any) -> tuple[Any, ...]:
    """Training data of a configuration: (x, targets...) as tensors on ``device``."""
    import torch

    from elm_neuron import data

    if config == "small":
        x_np, y_np = data.synthetic_shd(2048, seed=1)
        return torch.as_tensor(x_np, device=device), torch.as_tensor(y_np, device=device)
    gen = torch.Generator().manual_seed(1)
    steps = CONFIGS["neuronio"]["steps_per_sample"]
    x = (torch.rand(pool, steps, 1278, generator=gen) < input_rate).float()
    y_spike = (torch.rand(pool, steps, generator=gen) < 0.01).float()
    y_soma = torch.randn(pool, steps, generator=gen)
    return x.to(device), y_spike.to(device), y_soma.to(device)


def _loss(config: str, outputs: Any, targets: tuple[Any, ...]) -> Any:
    import torch

    if config == "small":
        return torch.nn.functional.cross_entropy(outputs[:, -1], targets[0])
    from elm_neuron.train import NeuronIOModule

    return NeuronIOModule.loss(outputs, targets[0], targets[1])


def _train_steps(
    model: Any, config: str, tensors: tuple[Any, ...], steps: int, batch: int, lr: float, adam: str
) -> tuple[float, float, list[float]]:
    """Wall-clock and process CPU seconds of ``steps`` training steps (fresh optimiser), and each step's time."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr, fused=True) if adam == "fused" else torch.optim.Adam(params, lr=lr)
    x = tensors[0]
    gen = torch.Generator().manual_seed(0)
    start, cpu_start = time.perf_counter(), time.process_time()
    per_step = []
    for _ in range(steps):
        t0 = time.perf_counter()
        idx = torch.randint(0, x.shape[0], (batch,), generator=gen).to(x.device)
        xb = x[idx]
        targets = tuple(t[idx] for t in tensors[1:])
        opt.zero_grad()
        loss = _loss(config, model(xb), targets)
        loss.backward()
        opt.step()
        if x.is_cuda:
            torch.cuda.synchronize()
        per_step.append(time.perf_counter() - t0)
    return time.perf_counter() - start, time.process_time() - cpu_start, per_step


def _check(factories: dict[str, Any], config: str, tensors: tuple[Any, ...], batch: int) -> dict[str, Any]:
    """Largest relative differences of each elm-neuron backend's outputs and gradients from the reference's
    (float64, one batch, the configuration's loss; fresh models from the same seed, so the same weights)."""
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # the reference makes its initial states in the default dtype
    try:
        idx = torch.arange(min(batch, tensors[0].shape[0]))
        x = tensors[0][idx].double()
        targets = tuple(t[idx].double() if t.is_floating_point() else t[idx] for t in tensors[1:])
        results: dict[str, Any] = {}
        for name, factory in factories.items():
            m = factory().double()
            y = m(x)
            _loss(config, y, targets).backward()
            grads = {k: p.grad.detach().clone() for k, p in m.named_parameters() if p.grad is not None}
            results[name] = (y.detach(), grads)
    finally:
        torch.set_default_dtype(previous)
    ref_y, ref_g = results.pop("reference")
    out: dict[str, Any] = {}
    for name, (y, grads) in results.items():
        rel = {"outputs": float((y - ref_y).abs().max() / ref_y.abs().max())}
        for key, g in ref_g.items():
            rel[key] = float((grads[key] - g).abs().max() / max(g.abs().max().item(), 1e-300))
        out[name] = {"max_relative": max(rel.values()), "by_tensor": rel}
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", choices=sorted(CONFIGS), default="small")
    p.add_argument("--reference", help="folder holding a local copy of the reference repository")
    p.add_argument("--reference-module", default="src.expressive_leaky_memory_neuron")
    p.add_argument("--steps", type=int, default=20, help="timed steps per repeat (default 20)")
    p.add_argument("--repeats", type=int, default=3, help="alternating repeats (default 3)")
    p.add_argument(
        "--threads", type=int, default=1, help="torch intra-op threads (default 1; 0 = torch default)"
    )
    p.add_argument(
        "--backends", default="auto", help="elm-neuron backends to time, comma-separated (default auto)"
    )
    p.add_argument("--check", action="store_true", help="compare float64 outputs and gradients first")
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=None, help="batch size (default: the configuration's)")
    p.add_argument("--input-rate", type=float, default=0.01, help="neuronio: active fraction per step")
    p.add_argument("--pool", type=int, default=64, help="neuronio: samples drawn from (default 64)")
    p.add_argument(
        "--adam", choices=["default", "fused"], default="default", help="Adam update for both models"
    )
    args = p.parse_args(argv)
    if args.threads > 0:  # numpy's OpenBLAS reads this when it is first imported (torch does not)
        os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    import torch

    import elm_neuron
    import elm_neuron.fused as fused
    from elm_neuron import ELM

    threads = args.threads if args.threads > 0 else torch.get_num_threads()
    torch.set_num_threads(threads)
    cfg = CONFIGS[args.config]
    batch = args.batch or cfg["batch"]
    device = torch.device(args.device)
    tensors = _data(args.config, args.input_rate, args.pool, device)
    factories: dict[str, Any] = {}
    for backend in args.backends.split(","):
        factories[f"elm_neuron_{backend}"] = lambda b=backend: ELM(**cfg["model"], backend=b).to(device)
    if args.reference:
        sys.path.insert(0, args.reference)
        ref_cls = importlib.import_module(args.reference_module).ELM
        factories["reference"] = lambda: ref_cls(**cfg["model"]).to(device)
    models: dict[str, torch.nn.Module] = {}
    for name, factory in factories.items():
        torch.manual_seed(0)  # equal seeds give equal initial weights (same creation order as the reference)
        models[name] = factory()
    result: dict[str, Any] = {
        "config": args.config,
        "model": cfg["model"],
        "batch": batch,
        "steps_per_sample": int(tensors[0].shape[1]),
        "input_rate": args.input_rate if args.config == "neuronio" else None,
        "elm_neuron_version": elm_neuron.__version__,
        "torch": torch.__version__,
        "device": str(device),
        "threads": threads,
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "numba_kernels": fused.numba_available(),
        # register-tiled products in the kernels (AVX-512 CPUs); else SciPy's BLAS (see OPENBLAS_CORETYPE)
        "vector_matmul": bool(fused.numba_available() and fused._kernels().VECTOR_MATMUL),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "resolved_backends": {
            k: m.resolved_backend(tensors[0][:batch]) for k, m in models.items() if isinstance(m, ELM)
        },
        "adam": args.adam,
        "steps": args.steps,
        "repeats": args.repeats,
    }
    if args.check and "reference" in models:

        def seeded(factory: Any) -> Any:
            def make() -> Any:
                torch.manual_seed(0)
                return factory()

            return make

        result["float64_check"] = _check(
            {k: seeded(f) for k, f in factories.items()}, args.config, tensors, batch
        )
    for model in models.values():  # warm-up (TorchScript profiles the first calls; numba loads its cache)
        _train_steps(model, args.config, tensors, 3, batch, cfg["lr"], args.adam)
    times: dict[str, list[float]] = {k: [] for k in models}
    cpu: dict[str, list[float]] = {k: [] for k in models}
    single: dict[str, list[float]] = {k: [] for k in models}
    for _ in range(args.repeats):
        for name, model in models.items():
            wall, cpu_s, per_step = _train_steps(
                model, args.config, tensors, args.steps, batch, cfg["lr"], args.adam
            )
            times[name].append(wall)
            cpu[name].append(cpu_s)
            single[name].extend(per_step)
    result["seconds_per_step"] = {k: min(v) / args.steps for k, v in times.items()}
    # CPU time of this process: less sensitive to other jobs on a shared machine (equal to wall-clock time for
    # one thread on an idle core).
    result["cpu_seconds_per_step"] = {k: min(v) / args.steps for k, v in cpu.items()}
    # Median of the single steps: robust when other jobs preempt some steps.
    result["median_step_s"] = {k: statistics.median(v) for k, v in single.items()}
    result["all_seconds"] = times
    if "reference" in models:
        for name in models:
            if name == "reference":
                continue
            result.setdefault("speedup", {})[name] = min(times["reference"]) / min(times[name])
            result.setdefault("speedup_cpu_time", {})[name] = min(cpu["reference"]) / min(cpu[name])
            result.setdefault("speedup_median_step", {})[name] = (
                result["median_step_s"]["reference"] / result["median_step_s"][name]
            )
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
