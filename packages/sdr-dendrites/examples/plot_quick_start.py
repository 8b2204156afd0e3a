"""
Quick start: how reliably does a dendritic segment recognise a sparse pattern?
===============================================================================

A segment with ``s`` synapses on the active cells of one pattern fires an NMDA spike when at least ``theta`` of
them see active cells. For a random pattern of ``a`` active cells out of ``n`` this happens by chance with the
false-match probability ``P_fm(n, a, s, theta)`` (Ahmad & Hawkins 2016), computed here exactly; noise that
removes ``v`` of the pattern's cells makes the segment miss it with ``P_fn(a, s, theta, v)``. A Monte-Carlo run
checks one value, and ``min_synapses`` answers the design question "how many synapses for an error below 1e-9".
"""

# %%
# Exact values: integer arithmetic, a ``fractions.Fraction`` (``float()`` on demand).
import matplotlib.pyplot as plt
import numpy as np

from sdr_dendrites import (
    false_match_probability,
    false_negative_probability,
    log_false_match_probability,
    min_synapses,
    simulate,
)

p = false_match_probability(n=10_000, a=300, s=24, theta=12)
print(f"P_fm(n=10000, a=300, s=24, theta=12) = {float(p):.6e}")  # 8.375845e-13, the paper's value
print(f"P_fn at 50% noise, theta=8: {float(false_negative_probability(a=128, s=30, theta=8, v=64)):.3e}")

# %%
# A Monte-Carlo check where the probability is large enough to count.
r = simulate("false_match", n=300, a=64, s=24, theta=12, n_trials=200_000, seed=0)
exact = float(false_match_probability(300, 64, 24, 12))
print(f"Monte-Carlo {r.estimate:.5f} +- {r.stderr:.5f}, exact {exact:.5f}, z = {r.zscore(exact):+.2f}")

# %%
# How many synapses (and which threshold) keep false matches and 30%-noise misses below 1e-9?
design = min_synapses(n=10_000, a=300, target_err=1e-9, noise_frac=0.3)
print(design)

# %%
# The error against the threshold for a sparse and a dense code (vectorised log-space path).
thetas = np.arange(1, 25)
fig, ax = plt.subplots(figsize=(6, 4))
for n, a, label in ((10_000, 300, "sparse: n=10000, a=300"), (10_000, 5000, "dense: n=10000, a=5000")):
    ax.semilogy(thetas, np.exp(log_false_match_probability(n, a, 24, thetas)), "o-", label=label)
ax.set(xlabel="NMDA threshold theta (s = 24 synapses)", ylabel="P(false match)")
ax.legend()
plt.show()
