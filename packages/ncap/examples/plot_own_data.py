"""
Your own weights, bodies and analyses
=====================================

NCAP needs no dataset: what users bring is their own trained weights, other bodies, and analyses of the
circuit's activity. A policy saves to one ``.npz`` file (parameters plus JSON settings, no pickle) that
``ncap run`` and :func:`ncap.load_policy` read; an episode and the circuit's units leave as
``neurotypes.Traces``, written here to **NWB** (the field's format; extra ``neurotypes[nwb]``) and read back.
"""

# %%
# Save weights (here: the paper's constant initialisation with a slower oscillator) and load them back, as
# weights trained with ``ncap fit --out policy.npz`` would be.
import tempfile
from pathlib import Path

from ncap import SwimmerNCAP, envs, evaluate, load_policy, rollout, save_policy
from ncap.plots import plot_sweep
from neurotypes import Traces

work = Path(tempfile.mkdtemp())
save_policy(SwimmerNCAP(period=80), work / "policy.npz", note="slower oscillator")
policy, meta = load_policy(work / "policy.npz")
print(policy, meta["note"])

# %%
# The same 4 weights on other bodies: a swimmer with N joints has N + 1 links.
joints = [3, 5, 7, 9]
returns = [evaluate(SwimmerNCAP(n_joints=n, period=80), seed=0) for n in joints]
fig = plot_sweep(joints, {"NCAP, same 4 weights": returns}, "joints N", "other bodies")

# %%
# One episode's joint angles and the circuit's B-neurons and muscles, written to NWB and read back (pynwb and any
# NWB tool read the file). ``ncap run policy.npz --out joints.nwb --activity activity.nwb`` does the same.
episode = rollout(policy, envs.make_swim(seed=0))
episode.to_traces("joints").to_nwb(work / "joints.nwb")
policy.activity_traces(episode).to_nwb(work / "activity.nwb")
activity = Traces.from_nwb(work / "activity.nwb")
print(activity.n_units, "units,", activity.n_samples, "samples at", round(activity.rate, 2), "Hz")
print(activity.unit_ids[:5], "...")
