"""Speed and precision of sdr-dendrites against scipy.stats.hypergeom (not run in CI).

Run: ``uv run --package sdr-dendrites --group test python packages/sdr-dendrites/benchmarks/bench_probabilities.py``

The two sides of each ratio are timed alternately (ours, theirs, ours, theirs, ... 7 rounds) and each side
keeps its minimum, which is robust to load from other jobs on a shared machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from scipy.stats import hypergeom

from sdr_dendrites import (
    DEFAULT_GRID,
    false_match_probability,
    log_false_match_probability,
    optimal_theta_curve,
    simulate,
)


def best(fn: Callable[[], object], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def alternating(
    ours: Callable[[], object], theirs: Callable[[], object], rounds: int = 7
) -> tuple[float, float]:
    """Minimum time of each side over ``rounds`` alternating runs."""
    a, b = [], []
    for _ in range(rounds):
        a.append(best(ours, repeats=1))
        b.append(best(theirs, repeats=1))
    return min(a), min(b)


def main() -> None:
    import scipy

    print(f"scipy {scipy.__version__}, numpy {np.__version__}")
    n, a, s = DEFAULT_GRID.points()
    thetas = np.arange(1, 31)
    nn, aa, ss, tt = (np.broadcast_to(x, (30, n.size)) for x in (n, a, s, thetas[:, None]))
    mask = tt <= ss

    t_log, t_scipy = alternating(
        lambda: log_false_match_probability(nn[mask], aa[mask], ss[mask], tt[mask]),
        lambda: hypergeom.sf(tt[mask] - 1, nn[mask], ss[mask], aa[mask]),
    )
    t_curve = best(optimal_theta_curve)
    print(f"grid of {int(mask.sum())} points (210 x 30 thresholds, theta <= s):")
    print(f"  log-space path      {t_log * 1e3:8.1f} ms")
    print(f"  scipy hypergeom.sf  {t_scipy * 1e3:8.1f} ms   ratio scipy/log = {t_scipy / t_log:.2f}")
    print(f"  optimal_theta_curve {t_curve * 1e3:8.1f} ms (whole analysis)")

    idx = np.flatnonzero(mask.ravel())[::25]
    flat = [x.ravel()[idx] for x in (nn, aa, ss, tt)]
    t_exact = best(
        lambda: [
            false_match_probability(int(a_), int(b_), int(c_), int(d_))
            for a_, b_, c_, d_ in zip(*flat, strict=True)
        ],
        repeats=2,
    )
    print(f"  exact path: {t_exact / idx.size * 1e3:.2f} ms per value ({idx.size} values)")

    exact = np.array(
        [
            float(false_match_probability(int(a_), int(b_), int(c_), int(d_)))
            for a_, b_, c_, d_ in zip(*flat, strict=True)
        ]
    )
    ours = np.exp(log_false_match_probability(*flat))
    theirs = hypergeom.sf(flat[3] - 1, flat[0], flat[2], flat[1])
    ok = exact > 0
    print("precision vs the exact path (max relative error):")
    print(f"  log-space path      {np.max(np.abs(ours[ok] / exact[ok] - 1)):.2e}")
    print(f"  scipy hypergeom.sf  {np.max(np.abs(theirs[ok] / exact[ok] - 1)):.2e}")

    t_big = best(lambda: false_match_probability(200_000, 2000, 40, 20), repeats=3)
    print(f"exact P_fm at n=200000, a=2000, s=40, theta=20: {t_big * 1e3:.2f} ms")

    for kind, kw in (
        ("false_match", {"n": 1000, "a": 64, "s": 24, "theta": 6}),
        ("false_negative", {"n": 1000, "a": 128, "s": 30, "theta": 12, "v": 64}),
        ("union", {"n": 1000, "a": 200, "s": 25, "theta": 15, "m": 2}),
    ):
        r = simulate(kind, n_trials=1_000_000, seed=0, **kw)  # type: ignore[arg-type]
        t = best(lambda kind=kind, kw=kw: simulate(kind, n_trials=1_000_000, seed=0, **kw), repeats=2)  # type: ignore[misc]
        print(f"Monte-Carlo {kind:15s} {r.n_trials / t:.2e} comparisons/s")


if __name__ == "__main__":
    main()
