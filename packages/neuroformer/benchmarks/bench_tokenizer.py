"""Tokenisation throughput (windows/s): the vectorised ``SpikeTokenizer.encode`` against the per-window
``encode_window`` path (the reference tokenises window by window in its dataset's ``__getitem__``).

Hub simulation, N = 30, the spec's defaults (dt 10 ms, w 50 ms, w_prev 150 ms, blocks of 100). The two paths
alternate ``--repeats`` times; the minimum of each is kept. The spec's target is >= 10k windows/s on one core.

Run: ``uv run --package neuroformer python packages/neuroformer/benchmarks/bench_tokenizer.py``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from neuroformer import SpikeTokenizer, sim


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=120.0)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    raster = sim.hub_network(duration=a.seconds, seed=0).spikes.bin(0.01).counts
    tok = SpikeTokenizer(30)
    anchors = tok.default_anchors(raster.shape[1])
    loop_anchors = anchors[:500]
    vec, loop = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            tok.encode(raster, anchors)
            vec.append((time.perf_counter() - t0) / anchors.size)
            t0 = time.perf_counter()
            for t in loop_anchors:
                tok.encode_window(raster, float(t))
            loop.append((time.perf_counter() - t0) / loop_anchors.size)
    print(f"encode (vectorised): {1 / min(vec):,.0f} windows/s over {anchors.size} windows")
    print(f"encode_window (loop): {1 / min(loop):,.0f} windows/s")
    print(f"ratio: {min(loop) / min(vec):.1f}x")
    assert np.isfinite(min(vec))


if __name__ == "__main__":
    main()
