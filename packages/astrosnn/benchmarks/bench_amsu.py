"""AM-SU multi-step forward + backward against an snntorch ``Leaky`` step loop at equal sizes.

The peer is the same computation written with snntorch 1.0.0 (``nn.Linear`` + ``snntorch.Leaky`` stepped over
time, learnable β, reset to zero), the LIF neuron the AM-SU reduces to. Both sides run back to back in each of
``--repeats`` rounds after a warm-up, and each side's minimum is kept (load-robust on a shared machine); the
ratio is AM-SU time / snntorch time. Not run in CI. Usage::

    uv run --package astrosnn --group test python packages/astrosnn/benchmarks/bench_amsu.py [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn


def alternating_min(fns: list[Callable[[], None]], repeats: int) -> list[float]:
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--T", type=int, default=64, help="time steps")
    p.add_argument("--B", type=int, default=32, help="batch")
    p.add_argument("--C", type=int, default=256, help="channels (in = out)")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=None, help="write the results as JSON here")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    import snntorch

    from astrosnn import AMSU
    from neurotypes.reproduction import machine_summary

    torch.manual_seed(0)
    x = torch.randn(args.T, args.B, args.C)
    res: dict[str, object] = {
        "sizes": {"T": args.T, "B": args.B, "C": args.C, "threads": args.threads, "repeats": args.repeats},
        "versions": {"snntorch": snntorch.__version__, "torch": torch.__version__},
        "machine": machine_summary(),
        "method": "minimum of alternating back-to-back runs (forward + backward)",
    }
    for mod in ("none", "current", "gain", "gate"):
        amsu = AMSU(args.C, args.C, mod=mod)
        lin = nn.Linear(args.C, args.C)
        leaky = snntorch.Leaky(beta=0.5, threshold=1.0, reset_mechanism="zero", learn_beta=True)

        def ours(amsu: AMSU = amsu) -> None:
            amsu.zero_grad()
            amsu(x)[0].sum().backward()

        def ref(lin: nn.Linear = lin, leaky: snntorch.Leaky = leaky) -> None:
            lin.zero_grad()
            mem = leaky.init_leaky()
            cur = lin(x)
            out = []
            for t in range(args.T):
                s, mem = leaky(cur[t], mem)
                out.append(s)
            torch.stack(out).sum().backward()

        t_ours, t_ref = alternating_min([ours, ref], args.repeats)
        res[f"amsu_{mod}"] = {
            "amsu_ms": round(t_ours * 1e3, 2),
            "snntorch_leaky_ms": round(t_ref * 1e3, 2),
            "ratio": round(t_ours / t_ref, 3),
        }
    text = json.dumps(res, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
