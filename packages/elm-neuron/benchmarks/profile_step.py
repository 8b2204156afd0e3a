"""Where one training step of elm-neuron goes: phases of the benchmark's loop and the numba kernels inside them.

Same loop, data and model as ``bench_train.py`` (``--config small`` or ``neuronio``), one thread. Each phase is
timed with ``time.thread_time`` (CPU time of this thread: time the thread waits while other jobs run is not
counted, which matters on a shared machine); the kernels of :mod:`elm_neuron._numba_loops` are wrapped with timers (their
times are part of the forward and backward phases). Prints the median over the measured steps, in microseconds.
Not run in CI.

    python benchmarks/profile_step.py --config neuronio --steps 200
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import defaultdict
from typing import Any


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", choices=["small", "neuronio"], default="neuronio")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--backend", default="numba")
    args = p.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import torch
    from bench_train import CONFIGS, _data, _loss

    import elm_neuron.fused as fused
    from elm_neuron import ELM

    torch.set_num_threads(1)
    cfg = CONFIGS[args.config]
    tensors = _data(args.config, 0.01, 64, torch.device("cpu"))
    torch.manual_seed(0)
    model = ELM(**cfg["model"], backend=args.backend)
    opt = torch.optim.Adam([q for q in model.parameters() if q.requires_grad], lr=cfg["lr"])
    times: dict[str, list[float]] = defaultdict(list)
    kernels = fused._kernels()
    if kernels is not None:
        for name in (
            "spike_index",
            "prepare",
            "forward_loop",
            "readout",
            "readout_backward",
            "backward_loop",
            "finish",
        ):
            real = getattr(kernels, name)

            def timed(*a: Any, _real: Any = real, _name: str = name) -> Any:
                t0 = time.thread_time()
                out = _real(*a)
                times[f"kernel {_name}"].append(time.thread_time() - t0)
                return out

            setattr(kernels, name, timed)
    gen = torch.Generator().manual_seed(0)
    x = tensors[0]
    for _ in range(args.steps):
        t = time.thread_time()
        idx = torch.randint(0, x.shape[0], (cfg["batch"],), generator=gen)
        xb, targets = x[idx], tuple(v[idx] for v in tensors[1:])
        t1 = time.thread_time()
        opt.zero_grad()
        t2 = time.thread_time()
        out = model(xb)
        t3 = time.thread_time()
        loss = _loss(args.config, out, targets)
        t4 = time.thread_time()
        loss.backward()
        t5 = time.thread_time()
        opt.step()
        t6 = time.thread_time()
        for key, a, b in (
            ("batch gather", t, t1),
            ("zero_grad", t1, t2),
            ("forward", t2, t3),
            ("loss", t3, t4),
            ("backward", t4, t5),
            ("adam", t5, t6),
            ("step", t, t6),
        ):
            times[key].append(b - a)
    skip = min(10, args.steps // 5)  # warm-up
    result = {k: round(1e6 * statistics.median(v[skip:]), 1) for k, v in times.items()}
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
