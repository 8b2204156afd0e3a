"""
Quick start
===========

The C. elegans swimmer circuit drives dm_control's 6-link swimmer with **4 parameters** and swims before any
training: a head oscillator bends the first joint, proprioceptive coupling passes each bend to the next joint,
and antagonistic dorsal/ventral muscles (excitatory/inhibitory sign constraints) turn it into torques.
"""

# %%
# An untrained circuit (constant initialisation: +1, +1, +1, -1) on the paper's swim task. Returns are out of a
# maximum of 1000 (one per 0.03-s step at 0.1 m/s or faster).
from ncap import SwimmerNCAP, cma_es, envs, evaluate, rollout
from ncap.plots import plot_gait

policy = SwimmerNCAP(n_joints=5, period=60)
print(policy.named_params())
print("constant init:", evaluate(policy, seed=0))
print("open loop (no proprioception):", evaluate(SwimmerNCAP(proprioception=False), seed=0))

# %%
# One episode, recorded: the joint angles show the travelling wave running from the head down the body.
episode = rollout(policy, envs.make_swim(seed=0))
fig = plot_gait(episode)

# %%
# From a random (uniform) initialisation, CMA-ES finds good weights in a few generations. The optimiser sees one
# training episode (seed 0); the result is scored on held-out episodes it never saw.
learner = SwimmerNCAP(init="uniform", seed=0)
result = cma_es(learner, gens=4, popsize=8, sigma0=0.3, seed=0, eval_seeds=[1000, 1001])
print(f"training episode {result.best_return:.0f}, held-out {result.heldout_return:.0f}")
print(learner.named_params())
