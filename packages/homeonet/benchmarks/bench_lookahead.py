"""Vectorised homeostatic learner vs the reference's per-sample Python loop (same algorithm, same numbers).

The reference (kingsonman/homeostatic-neural-networks, lrh.py) loops over samples in Python for the forward
and backward pass and loops again over the 20 memory samples for each of the two look-ahead simulations.
``homeonet.train_reference_loop`` is that structure; ``homeonet.train`` vectorises the minibatch and
evaluates both look-aheads in one stacked pass without materialising the updated weights.

Run:  uv run --package homeonet python packages/homeonet/benchmarks/bench_lookahead.py
Timings on a shared machine are noisy: each side is run alternately five times and the minimum is kept.
"""

from __future__ import annotations

import time

from homeonet import run, synthetic_templates


def _time(**kw: object) -> float:
    t = time.perf_counter()
    run(**kw)  # type: ignore[arg-type]
    return time.perf_counter() - t


def main() -> None:
    run(mode="lrh", epochs=1)  # warm up imports and caches
    cases = {
        "digits 64-80-60-10, LRH, 2 swaps/epoch, 3 epochs": {"dataset": "digits", "epochs": 3},
        "MNIST-sized 784-80-60-10 (synthetic 28x28, 3000 samples), LRH, 1 epoch": {
            "dataset": synthetic_templates(n=3750, size=28, noise=1.0, seed=0),
            "epochs": 1,
        },
    }
    for name, kw in cases.items():
        fast, slow = [], []
        for _ in range(5):
            common = {"mode": "lrh", "swaps_per_epoch": 2, "eta0": 0.05, "seed": 0, **kw}
            f = _time(**common)
            s = _time(**common, reference_loop=True)
            fast.append(f)
            slow.append(s)
        print(
            f"{name}: vectorised {min(fast):.3f} s, per-sample loop {min(slow):.3f} s, "
            f"speed-up x{min(slow) / min(fast):.1f} (minimum of 5 alternating runs each)"
        )
    t = time.perf_counter()
    run(mode="lrh", swaps_per_epoch=2, epochs=30, eta0=0.05, seed=0)
    print(f"one 30-epoch digits LRH run: {time.perf_counter() - t:.2f} s (spec target <= 4 s on 2 cores)")


if __name__ == "__main__":
    main()
