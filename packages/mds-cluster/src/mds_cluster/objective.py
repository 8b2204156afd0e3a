"""The contrastive MDS objective (Burg et al. 2024, Eq. 1), batched over all cluster stimuli.

For a stimulus ``s`` let ``r̄_j(s)`` be the mean normalised response of the neurons in cluster ``j``.
The objective of the "on" cluster ``k`` is

    J_k(s) = r̄_k(s)/τ − logsumexp_j( r̄_j(s)/τ ) + log K,

the log-probability that a softmax over cluster means picks cluster ``k``, offset by ``log K`` so that
chance (all means equal) gives 0 for every number of clusters ``K`` and ``J ≤ log K`` always.
"""

from __future__ import annotations

import math

import torch

__all__ = ["cluster_means", "contrastive_objective", "normalise_responses", "one_hot_means_matrix"]


def normalise_responses(
    responses: torch.Tensor, offset: torch.Tensor | float = 0.0, scale: torch.Tensor | float = 1.0
) -> torch.Tensor:
    """Per-neuron normalisation ``r̃_i = (r_i − subt_i) / div_i``.

    Parameters
    ----------
    responses
        Raw responses ``[..., N]``.
    offset, scale
        ``subt`` and ``div`` of the paper's objective: scalars or ``[N]`` tensors (``scale`` > 0).

    Returns
    -------
    torch.Tensor
        The normalised responses, same shape as ``responses``.
    """
    return (responses - offset) / scale


def one_hot_means_matrix(labels: torch.Tensor, n_clusters: int) -> torch.Tensor:
    """Matrix ``A[N, K]`` whose column ``j`` averages the neurons of cluster ``j``.

    ``responses @ A`` gives the cluster means. Columns of empty clusters are all zero.

    Parameters
    ----------
    labels
        Integer cluster label per neuron, ``[N]``, values in ``0..n_clusters-1``.
    n_clusters
        Number of clusters ``K``.
    """
    one_hot = torch.nn.functional.one_hot(labels.long(), n_clusters).to(torch.get_default_dtype())
    counts = one_hot.sum(0).clamp_min(1.0)
    return one_hot / counts


def cluster_means(responses: torch.Tensor, labels: torch.Tensor, n_clusters: int) -> torch.Tensor:
    """Mean response of every cluster to every stimulus.

    Parameters
    ----------
    responses
        ``[S, N]`` (normalised) responses of N neurons to S stimuli.
    labels
        ``[N]`` cluster labels in ``0..n_clusters-1``.
    n_clusters
        ``K``.

    Returns
    -------
    torch.Tensor
        ``M[S, K]``: ``M[s, j]`` is the mean response of cluster ``j`` to stimulus ``s``.
    """
    a = one_hot_means_matrix(labels, n_clusters).to(dtype=responses.dtype, device=responses.device)
    return responses @ a


def contrastive_objective(
    cluster_means: torch.Tensor, on_idx: int | torch.Tensor | None = None, tau: float = 1.6
) -> torch.Tensor:
    """Contrastive objective ``J_k`` of Eq. 1.

    Parameters
    ----------
    cluster_means
        Either ``[K]`` (the cluster means for one stimulus; then ``on_idx`` is the on-cluster index) or
        ``[S, K]`` (row ``s`` holds the cluster means for stimulus ``s``). For ``[S, K]`` with
        ``on_idx=None`` the on-cluster of row ``s`` is ``s`` (requires ``S == K``): the batched form used
        during MDS optimisation, the diagonal of the row-wise log-softmax plus ``log K``.
    on_idx
        On-cluster index (int) or ``[S]`` integer tensor of on-cluster indices, one per row.
    tau
        Softmax temperature τ (> 0); 1.6 in the reference example.

    Returns
    -------
    torch.Tensor
        A scalar for 1-D input, otherwise ``[S]`` objective values, each ``≤ log K``.

    Raises
    ------
    ValueError
        If ``tau`` is not positive, ``cluster_means`` is not 1-D/2-D, or ``on_idx`` is out of range.

    Examples
    --------
    >>> import torch
    >>> float(contrastive_objective(torch.tensor([1.0, 1.0, 1.0]), 0))
    0.0
    """
    if not (isinstance(tau, int | float) and math.isfinite(tau) and tau > 0):
        raise ValueError(f"tau must be a positive finite number, got {tau!r}")
    if cluster_means.ndim not in (1, 2):
        raise ValueError(
            f"cluster_means must be 1-D [K] or 2-D [S, K], got shape {tuple(cluster_means.shape)}"
        )
    k = cluster_means.shape[-1]
    log_p = torch.log_softmax(cluster_means / tau, dim=-1) + math.log(k)
    if cluster_means.ndim == 1:
        if on_idx is None:
            raise ValueError("on_idx is required for 1-D cluster_means")
        idx = int(on_idx)
        if not 0 <= idx < k:
            raise ValueError(f"on_idx must be in [0, {k}), got {idx}")
        return log_p[idx]
    s = cluster_means.shape[0]
    if on_idx is None:
        if s != k:
            raise ValueError(f"on_idx=None needs a square [K, K] cluster_means, got shape {(s, k)}")
        return torch.diagonal(log_p)
    idx_t = torch.as_tensor(on_idx, device=cluster_means.device).long().reshape(-1)
    if idx_t.numel() == 1:
        idx_t = idx_t.expand(s)
    if idx_t.numel() != s or bool((idx_t < 0).any()) or bool((idx_t >= k).any()):
        raise ValueError(f"on_idx must hold {s} indices in [0, {k})")
    return log_p.gather(1, idx_t[:, None])[:, 0]
