"""Wall time of the stress experiment (Exp. 2, 840 ms of model time): numpy engine vs PyNN + NEST.

Run from the workspace root with the ``nest`` extra installed:

    PYNEST_QUIET=1 uv run --package ca3-cam --extra nest python packages/ca3-cam/benchmarks/bench_engines.py

Each engine runs ``--repeats`` times, alternating, and the best time of each is kept; NEST is timed without
its import and network build (``sim.run`` only) and with them. Timings on a shared machine are noisy: compare
the ratio of measurements taken back to back, not absolute times. Also prints the numpy engine's time per
simulated second for growing memories (c x m).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("PYNEST_QUIET", "1")
warnings.filterwarnings("ignore")


def _numpy(sched):  # type: ignore[no-untyped-def]
    from ca3_cam import NumpySimulator, build_network

    t0 = time.perf_counter()
    NumpySimulator(build_network(sched.n_cues, sched.n_content)).run(sched.input_spikes(), sched.t_stop_ms)
    return time.perf_counter() - t0


def _nest(sched):  # type: ignore[no-untyped-def]
    import pyNN.nest as sim

    from ca3_cam import build_network
    from ca3_cam.pynn_engine import TIME_OFFSET_MS, build_pynn_network

    t0 = time.perf_counter()
    sim.setup(timestep=1.0, min_delay=1.0)
    build_pynn_network(
        sim, build_network(sched.n_cues, sched.n_content), sched.input_spikes(), time_offset_ms=2
    )
    t1 = time.perf_counter()
    sim.run(float(sched.t_stop_ms + TIME_OFFSET_MS))
    t2 = time.perf_counter()
    sim.end()
    return t2 - t1, t2 - t0


def main() -> None:
    from ca3_cam import testbench

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    import platform
    from importlib import metadata

    import numpy

    versions = {d: metadata.version(d) for d in ("ca3-cam", "PyNN", "nest-simulator")}
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {numpy.__version__}, {versions}"
    )
    sched = testbench.stress()
    np_t, nest_run, nest_all = [], [], []
    for _ in range(args.repeats):
        np_t.append(_numpy(sched))
        r, a = _nest(sched)
        nest_run.append(r)
        nest_all.append(a)
    print(f"stress experiment ({sched.t_stop_ms} ms model time, {len(sched)} operations)")
    print(f"numpy engine (build + run): {min(np_t):.3f} s")
    print(
        f"NEST sim.run only:          {min(nest_run):.3f} s  (numpy / NEST run = {min(np_t) / min(nest_run):.2f})"
    )
    print(
        f"NEST setup + build + run:   {min(nest_all):.3f} s  (numpy / NEST all = {min(np_t) / min(nest_all):.2f})"
    )
    from ca3_cam.reproduce import scaling_accuracy

    for c, m in [(5, 10), (20, 200), (100, 1000)]:
        r = scaling_accuracy(c, m, max(1, m // 10))
        print(
            f"numpy {c:4d} x {m:5d}: {r['wall_s_per_model_s']:.2f} s per model second, accuracy {r['accuracy']:.2f}"
        )


if __name__ == "__main__":
    main()
