"""Input-to-synapse routing: the reference's NeuronIO routing, and the synapse map the fast paths are built from.

The reference routes inputs to synapses by an index (``index_select``) and a validity mask, scales every
synapse by its weight ``w_s``, keeps one trace per synapse and sums the traces of a branch. The trace is
linear, so with one decay for all synapses of an input the same branch input follows from the inputs through
one ``[n_in, B]`` matrix ``R[i, j] = sum of w_s over the valid synapses of branch j that read input i``
(:func:`routing_matrix`), built once per step from the synapse map (:class:`SynapseMap`): that is what the
torch backend multiplies with, and what the CPU core folds into the first MLP layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from neurotypes.validation import check_int

__all__ = [
    "SynapseMap",
    "input_decay",
    "interlocking_indices",
    "neuronio_routing",
    "overlapping_window_indices",
    "route",
    "routing_matrix",
    "synapse_map",
]


def interlocking_indices(num_input: int) -> torch.Tensor:
    """Interleave the two halves of the inputs: ``[0, n/2, 1, n/2 + 1, ...]``.

    NeuronIO lists the 639 excitatory inputs first and the 639 inhibitory inputs second; interleaving pairs
    input ``i`` with input ``i + n/2`` so a window of neighbours holds both kinds. For odd ``num_input`` the
    reference's formula is kept as is (the last index repeats ``n // 2``).
    """
    k = torch.arange(num_input)
    return (k % 2) * (num_input // 2) + torch.div(k, 2, rounding_mode="floor")


def overlapping_window_indices(
    num_input: int, num_windows: int, window_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Overlapping windows of ``window_size`` positions with stride ``ceil(num_input / num_windows)``.

    Returns the flat positions (clipped to ``num_input - 1``) and the mask of positions inside the range.
    """
    stride = math.ceil(num_input / num_windows)
    idx = torch.arange(num_windows).unsqueeze(1) * stride + torch.arange(window_size).unsqueeze(0)
    valid = idx < num_input
    return idx.clamp(max=num_input - 1).flatten(), valid.flatten()


def neuronio_routing(
    num_input: int, num_branch: int, synapses_per_branch: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Synapse-to-input indices and validity mask of the reference's ``"neuronio_routing"``.

    Branch ``j`` holds the interleaved inputs ``29 j ... 29 j + S - 1`` (stride ``ceil(n_in / B)``), so
    neighbouring branches overlap; slots past the last input are masked out.

    Raises
    ------
    ValueError
        When ``ceil(num_input / num_branch) > synapses_per_branch`` (some inputs would reach no branch).
    """
    num_input = check_int("num_input", num_input, minimum=1)
    num_branch = check_int("num_branch", num_branch, minimum=1)
    synapses_per_branch = check_int("synapses_per_branch", synapses_per_branch, minimum=1)
    stride = math.ceil(num_input / num_branch)
    if stride > synapses_per_branch:
        raise ValueError(
            f"synapses_per_branch must be >= ceil(num_input / num_branch) = {stride} for neuronio routing "
            f"(got synapses_per_branch={synapses_per_branch}, num_input={num_input}, num_branch={num_branch})"
        )
    order = interlocking_indices(num_input)
    positions, valid = overlapping_window_indices(num_input, num_branch, synapses_per_branch)
    return order[positions], valid


def route(x: torch.Tensor, indices: torch.Tensor | None, mask: torch.Tensor | None) -> torch.Tensor:
    """Inputs ``[B, T, n_in]`` to synapses ``[B, T, n_syn]``: index, then mask (the reference's statement).

    ``indices`` ``None`` means no routing (synapse ``k`` reads input ``k``).
    """
    if indices is None:
        return x
    assert mask is not None
    return torch.index_select(x, 2, indices) * mask


@dataclass(frozen=True, eq=False)
class SynapseMap:
    """The valid synapses of a neuron: synapse ``synapses[v]`` of branch ``branches[v]`` reads input ``inputs[v]``.

    Masked-out synapses (the reference's ``valid_indices_mask``) are left out: they never receive input.
    ``identity`` is True when synapse ``k`` reads input ``k`` and is its own branch (no routing, one synapse
    per branch): then ``R = diag(w_s)``.
    """

    inputs: np.ndarray
    synapses: np.ndarray
    branches: np.ndarray
    num_input: int
    num_branch: int
    num_synapse: int
    identity: bool


def synapse_map(
    indices: torch.Tensor | None,
    mask: torch.Tensor | None,
    num_input: int,
    num_branch: int,
    synapses_per_branch: int,
) -> SynapseMap:
    """The :class:`SynapseMap` of routing ``indices`` / ``mask`` (``None``: synapse ``k`` reads input ``k``).

    Synapse ``k`` belongs to branch ``k // synapses_per_branch`` (the reference's ``view(B, -1).sum(-1)``).

    Raises
    ------
    ValueError
        When an index lies outside ``[0, num_input)`` or the sizes do not match.
    """
    num_synapse = num_branch * synapses_per_branch
    if indices is None:
        if num_synapse != num_input:
            raise ValueError(f"without routing, num_synapse={num_synapse} must equal num_input={num_input}")
        idx = np.arange(num_synapse, dtype=np.int64)
        valid = np.ones(num_synapse, dtype=bool)
    else:
        idx = indices.detach().cpu().numpy().astype(np.int64, copy=False).reshape(-1)
        valid = np.ones(idx.shape, bool) if mask is None else mask.detach().cpu().numpy().reshape(-1) != 0
        if idx.shape != (num_synapse,) or valid.shape != (num_synapse,):
            raise ValueError(
                f"input_to_synapse_indices and valid_indices_mask must have num_synapse={num_synapse} entries, "
                f"got {idx.shape} and {valid.shape}"
            )
        if idx.size and (idx.min() < 0 or idx.max() >= num_input):
            raise ValueError(f"input_to_synapse_indices must lie in [0, num_input={num_input})")
    synapses = np.flatnonzero(valid).astype(np.int64)
    inputs = np.ascontiguousarray(idx[synapses])
    branches = synapses // synapses_per_branch
    identity = (
        synapses_per_branch == 1 and num_synapse == num_input and np.array_equal(inputs, np.arange(num_input))
    )
    for a in (inputs, synapses, branches):
        a.flags.writeable = False
    return SynapseMap(inputs, synapses, branches, num_input, num_branch, num_synapse, bool(identity))


def routing_matrix(smap: SynapseMap, w_s: torch.Tensor) -> torch.Tensor:
    """``R`` ``[n_in, B]`` with ``R[i, j] = sum of w_s[k]`` over the valid synapses ``k`` of branch ``j`` reading ``i``.

    Differentiable in ``w_s``; then ``x_t R`` is the branch sum of ``w_s * route(x_t)`` (the synapse input
    summed per branch), and with one trace decay for all synapses its trace is the reference's branch input.
    """
    flat = torch.tensor(smap.inputs * smap.num_branch + smap.branches, device=w_s.device)
    syn = torch.tensor(smap.synapses, device=w_s.device)
    out = w_s.new_zeros(smap.num_input * smap.num_branch).index_add(0, flat, w_s[syn])
    return out.view(smap.num_input, smap.num_branch)


def input_decay(smap: SynapseMap, synapse_decay: np.ndarray) -> np.ndarray | None:
    """One trace decay per input when all synapses reading an input share it (else None).

    ``synapse_decay`` ``[n_syn]``: the decay of each synapse's trace (version 1: ``kappa_s``; version 2: the
    branch's ``kappa_b``). With a decay per input the synapse traces of
    an input are its own trace times the synapse weights, so routing, weights and branch sums fold into one
    matrix after the trace. Inputs that reach no synapse get the first synapse's decay (any value would do).
    """
    per_synapse = synapse_decay[smap.synapses]
    # Inputs that reach no synapse contribute nothing: give them the first synapse's decay (keeps a uniform
    # decay uniform, e.g. for inputs that a random routing leaves out).
    out = np.full(smap.num_input, per_synapse[0] if per_synapse.size else 0.0, dtype=synapse_decay.dtype)
    out[smap.inputs] = per_synapse
    if not np.array_equal(out[smap.inputs], per_synapse):
        return None
    return out
