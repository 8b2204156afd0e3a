"""AM-SU multi-step forward+backward vs an snntorch ``Leaky`` step loop at equal sizes, and LM efficiency vs GPT-2.

Not run in CI. Timings on a shared machine are noisy: each ratio is taken from two measurements made back to back
(best of ``--repeats``). Usage::

    uv run --package astrosnn --group test python packages/astrosnn/benchmarks/bench_amsu.py
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from torch import nn


def best_time(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--T", type=int, default=64)
    p.add_argument("--B", type=int, default=32)
    p.add_argument("--C", type=int, default=256)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    import snntorch

    from astrosnn import AMSU, AstroSNNLM, LMConfig, transformer_baseline
    from astrosnn.reproduce import measure_efficiency

    x = torch.randn(args.T, args.B, args.C)
    res: dict[str, object] = {"sizes": vars(args), "snntorch": snntorch.__version__}
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

        t_ours = best_time(ours, args.repeats)
        t_ref = best_time(ref, args.repeats)
        res[f"amsu_{mod}_over_snntorch_leaky"] = round(t_ours / t_ref, 3)
        res[f"amsu_{mod}_ms"] = round(t_ours * 1e3, 2)
        res["snntorch_leaky_ms"] = round(t_ref * 1e3, 2)
    snn = AstroSNNLM(LMConfig(16, 64, 2), seed=0)
    trf = transformer_baseline(16, snn.n_params(), n_layer=2, n_positions=256, seed=0)
    res["lm_efficiency_cpu"] = measure_efficiency(snn, trf, 192, 64, 8)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
