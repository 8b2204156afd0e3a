"""The NCAP circuit against the reference's own ``SwimmerModule`` (nikhilxb/ncap, ``neurobo/ncap/swimmer.py``):
identical torques, and the time per control step and per swim episode with each policy in the loop.

The reference module is imported from a checkout given with ``--reference DIR`` (nothing of it is copied here).
Its file imports garage and tonic at the top for classes this benchmark does not use; neither installs today, so
empty stand-in modules are registered under those names before the import. The reference runs on the same
torch as this package's ``ncap[torch]`` extra, one thread.

Measured, alternating back to back ``--repeats`` times and keeping the minimum of each:

- per step: one observation -> torques (the reference: ``SwimmerModule.forward`` on a torch tensor with its step
  counter, as its ES policy calls it; the package: ``SwimmerNCAP.act`` on numpy);
- per episode: a 1000-step swim episode with the policy in the loop, and with zero torque (physics alone).

Run: ``uv run --package ncap --extra torch python packages/ncap/benchmarks/bench_reference.py --reference DIR``.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import importlib.util
import sys
import time
import types
from typing import Any

import numpy as np
import torch

from ncap import SwimmerNCAP, ZeroPolicy, envs
from neurotypes.reproduction import machine_summary


def load_reference(checkout: str) -> Any:
    """The reference's SwimmerModule class, imported from ``checkout/neurobo/ncap/swimmer.py``."""
    for name in (
        "garage",
        "garage.torch",
        "garage.torch.policies",
        "garage.torch.policies.policy",
        "tonic",
        "tonic.torch",
    ):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["garage.torch"].global_device = lambda: "cpu"  # type: ignore[attr-defined]
    sys.modules["garage.torch.policies.policy"].Policy = object  # type: ignore[attr-defined]
    for attr in ("agents", "models", "normalizers"):
        setattr(sys.modules["tonic.torch"], attr, types.SimpleNamespace())
    spec = importlib.util.spec_from_file_location(
        "ncap_reference_swimmer", f"{checkout}/neurobo/ncap/swimmer.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SwimmerModule


class ReferencePolicy:
    """The reference module behind this package's policy interface (observation dict, step)."""

    def __init__(self, module_cls: Any, params: np.ndarray, n_joints: int = 5) -> None:
        self.module = module_cls(n_joints=n_joints)
        with torch.no_grad():
            for name, value in zip(
                ("bneuron_prop", "bneuron_osc", "muscle_ipsi", "muscle_contra"), params, strict=True
            ):
                self.module.params[name].fill_(float(value))
        self.theta_max = 2 * np.pi / (n_joints + 1)

    def reset(self) -> None:
        self.module.reset()

    def __call__(self, observation: Any, step: int) -> np.ndarray:
        q = torch.as_tensor(np.clip(observation["joints"] / self.theta_max, -1, 1))
        with torch.no_grad():
            return self.module(q).numpy()


def check_equal(module_cls: Any, rng: np.random.Generator, n: int = 2000) -> float:
    """Largest |torque difference| over random joint angles, steps and parameters (shared weights)."""
    worst = 0.0
    for _ in range(20):
        params = np.concatenate([rng.uniform(-1, 2, 3), rng.uniform(-2, 1, 1)])  # some cross the clamps
        ours = SwimmerNCAP(period=60).set_params(params)
        ref = ReferencePolicy(module_cls, params)
        q = rng.uniform(-1.2, 1.2, (n, 5))
        t = rng.integers(0, 1000, n)
        with torch.no_grad():
            theirs = ref.module(
                torch.as_tensor(np.clip(q, -1, 1)), timesteps=torch.as_tensor(t, dtype=torch.float64)[:, None]
            ).numpy()
        worst = max(worst, float(np.abs(ours.act(q, t) - theirs).max()))
    return worst


def best_time(fn: Any, repeats: int, number: int = 1) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def episode(policy: Any, seed: int = 0) -> float:
    env = envs.make_swim(seed=seed)
    policy.reset()
    ts = env.reset()
    total, step = 0.0, 0
    while not ts.last():
        ts = env.step(policy(ts.observation, step))
        total += float(ts.reward)
        step += 1
    return total


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", required=True, help="checkout of nikhilxb/ncap")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    torch.set_num_threads(1)
    module_cls = load_reference(args.reference)
    rng = np.random.default_rng(0)
    print(
        f"max |torque difference| package vs reference, 40,000 random inputs: {check_equal(module_cls, rng):.2e}"
    )
    ours = SwimmerNCAP()
    ref = ReferencePolicy(module_cls, ours.get_params())
    obs = {"joints": rng.uniform(-0.5, 0.5, 5)}
    step_times: dict[str, float] = {"reference SwimmerModule": float("inf"), "ncap SwimmerNCAP": float("inf")}
    episode_times: dict[str, float] = {
        "zero torque (physics alone)": float("inf"),
        "reference SwimmerModule": float("inf"),
        "ncap SwimmerNCAP": float("inf"),
    }
    returns = {"reference SwimmerModule": episode(ref), "ncap SwimmerNCAP": episode(ours)}
    for _ in range(args.repeats):  # alternate the sides, keep the minimum of each
        step_times["reference SwimmerModule"] = min(
            step_times["reference SwimmerModule"], best_time(lambda: ref(obs, 7), 1, 2000)
        )
        step_times["ncap SwimmerNCAP"] = min(
            step_times["ncap SwimmerNCAP"], best_time(lambda: ours(obs, 7), 1, 2000)
        )
        episode_times["zero torque (physics alone)"] = min(
            episode_times["zero torque (physics alone)"], best_time(lambda: episode(ZeroPolicy()), 1)
        )
        episode_times["reference SwimmerModule"] = min(
            episode_times["reference SwimmerModule"], best_time(lambda: episode(ref), 1)
        )
        episode_times["ncap SwimmerNCAP"] = min(
            episode_times["ncap SwimmerNCAP"], best_time(lambda: episode(ours), 1)
        )
    print(
        f"episode returns (seed 0): reference {returns['reference SwimmerModule']:.3f}, ncap {returns['ncap SwimmerNCAP']:.3f}"
    )
    for name, t in step_times.items():
        print(f"per step   {name:28s} {1e6 * t:8.1f} us")
    print(
        f"per step   reference / ncap: {step_times['reference SwimmerModule'] / step_times['ncap SwimmerNCAP']:.1f}x"
    )
    physics = episode_times["zero torque (physics alone)"]
    for name, t in episode_times.items():
        print(f"episode    {name:28s} {t:7.3f} s   policy overhead {t / physics - 1:6.0%} of the physics")
    print(
        f"episode    reference / ncap: {episode_times['reference SwimmerModule'] / episode_times['ncap SwimmerNCAP']:.2f}x"
    )
    versions = {d: md.version(d) for d in ("ncap", "torch", "mujoco", "dm_control", "numpy")}
    print(
        f"versions {versions}; reference {args.reference}; machine {machine_summary()}; min of {args.repeats}"
    )


if __name__ == "__main__":
    main()
