"""Environment steps per second with the policy in the loop, and CMA-ES wall time with 1 vs 2 workers.

Run: uv run --package ncap python packages/ncap/benchmarks/bench_steps.py
Compares each policy's episode time with the zero-torque episode (physics + dm_control only) on the same machine,
and CMA-ES (15 generations x 8) evaluated serially and in 2 worker processes. Numbers go to the README.
"""

from __future__ import annotations

import time

from ncap import MLPPolicy, SwimmerNCAP, ZeroPolicy, cma_es, envs, rollout


def episode_time(policy: object, repeats: int = 5) -> float:
    env = envs.make_swim(seed=0)
    rollout(policy, env)  # warm up
    best = float("inf")
    for _ in range(repeats):  # minimum of repeats: robust to other load on the machine
        start = time.perf_counter()
        rollout(policy, env)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    t_zero = episode_time(ZeroPolicy())
    t_ncap = episode_time(SwimmerNCAP())
    t_mlp = episode_time(MLPPolicy((23, 64, 64, 5)))
    print(f"zero-torque episode (physics + dm_control): {t_zero:.3f} s = {1000 / t_zero:,.0f} steps/s")
    print(
        f"NCAP episode: {t_ncap:.3f} s = {1000 / t_ncap:,.0f} steps/s; policy overhead {t_ncap / t_zero - 1:.0%}"
    )
    print(f"MLP 23-64-64-5 episode: {t_mlp:.3f} s = {1000 / t_mlp:,.0f} steps/s")
    for workers in (1, 2):
        start = time.perf_counter()
        cma_es(SwimmerNCAP(init="uniform", seed=0), gens=15, popsize=8, seed=0, workers=workers)
        print(f"CMA-ES 15 gens x 8 episodes, {workers} worker(s): {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
