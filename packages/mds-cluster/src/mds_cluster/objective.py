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

from neurotypes.validation import check_float, check_int

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

    Raises
    ------
    TypeError, ValueError
        ``responses`` is not a tensor, ``scale`` is not positive, or a value is not finite.

    Examples
    --------
    >>> normalise_responses(torch.tensor([[3.0, 5.0]]), torch.tensor([1.0, 1.0]), 2.0)
    tensor([[1., 2.]])
    """
    _tensor("responses", responses, min_ndim=1)
    n = responses.shape[-1]
    for name, value in (("offset", offset), ("scale", scale)):
        if isinstance(value, torch.Tensor):
            if value.ndim > 1 or (value.ndim == 1 and value.shape[0] != n):
                raise ValueError(
                    f"{name} must be a scalar or a [N={n}] tensor, got shape {tuple(value.shape)}"
                )
            if not bool(torch.isfinite(value).all()):
                raise ValueError(f"{name} must be finite")
            if name == "scale" and bool((value <= 0).any()):
                raise ValueError("scale must be > 0")
        else:
            check_float(name, value, positive=name == "scale")
    return _normalise(responses, offset, scale)


def _normalise(
    responses: torch.Tensor, offset: torch.Tensor | float, scale: torch.Tensor | float
) -> torch.Tensor:
    """:func:`normalise_responses` without the argument checks (the optimisation loop's hot path)."""
    return (responses - offset) / scale


def _tensor(
    name: str, value: object, *, min_ndim: int = 0, ndim: tuple[int, ...] | None = None
) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if ndim is not None and value.ndim not in ndim:
        want = " or ".join(f"{d}-D" for d in ndim)
        raise ValueError(f"{name} must be {want}, got shape {tuple(value.shape)}")
    if value.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {tuple(value.shape)}")
    if value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return value


def one_hot_means_matrix(labels: torch.Tensor, n_clusters: int) -> torch.Tensor:
    """Matrix ``A[N, K]`` whose column ``j`` averages the neurons of cluster ``j``.

    ``responses @ A`` gives the cluster means. Columns of empty clusters are all zero.

    Parameters
    ----------
    labels
        Integer cluster label per neuron, ``[N]``, values in ``0..n_clusters-1``.
    n_clusters
        Number of clusters ``K``.

    Returns
    -------
    torch.Tensor
        ``A[N, K]``.

    Raises
    ------
    TypeError, ValueError
        Labels that are not integers in ``0..n_clusters-1``, or ``n_clusters < 1``.
    """
    n_clusters = check_int("n_clusters", n_clusters, minimum=1)
    _tensor("labels", labels, ndim=(1,))
    if labels.is_floating_point() or labels.dtype == torch.bool:
        raise TypeError(f"labels must be an integer tensor, got {labels.dtype}")
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= n_clusters):
        raise ValueError(f"labels must lie in [0, n_clusters={n_clusters})")
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

    Examples
    --------
    >>> cluster_means(torch.tensor([[1.0, 3.0, 10.0]]), torch.tensor([0, 0, 1]), 2)
    tensor([[ 2., 10.]])
    """
    _tensor("responses", responses, ndim=(2,))
    if not isinstance(labels, torch.Tensor) or labels.shape != (responses.shape[1],):
        got = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(f"labels must hold one label per neuron ({responses.shape[1]}), got {got}")
    one_hot_means_matrix(labels, n_clusters)  # validates labels and n_clusters
    return _cluster_means(responses, labels, n_clusters)


def _cluster_means(responses: torch.Tensor, labels: torch.Tensor, n_clusters: int) -> torch.Tensor:
    """:func:`cluster_means` without the argument checks (the optimisation loop's hot path)."""
    one_hot = torch.nn.functional.one_hot(labels.long(), n_clusters).to(dtype=responses.dtype)
    a = one_hot / one_hot.sum(0).clamp_min(1.0)
    return responses @ a.to(device=responses.device)


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
    tau = check_float("tau", tau, positive=True)
    _tensor("cluster_means", cluster_means, ndim=(1, 2))
    k = cluster_means.shape[-1]
    if k < 1:
        raise ValueError("cluster_means must hold at least one cluster")
    if on_idx is None and cluster_means.ndim == 2:
        if cluster_means.shape[0] != k:
            raise ValueError(
                f"on_idx=None needs a square [K, K] cluster_means, got shape {tuple(cluster_means.shape)}"
            )
        return _diagonal_objective(cluster_means, tau)
    log_p = torch.log_softmax(cluster_means / tau, dim=-1) + math.log(k)
    if cluster_means.ndim == 1:
        if on_idx is None:
            raise ValueError("on_idx is required for 1-D cluster_means")
        if isinstance(on_idx, torch.Tensor):
            if on_idx.numel() != 1 or on_idx.is_floating_point():
                raise ValueError("on_idx must be one integer index for 1-D cluster_means")
            on_idx = int(on_idx)
        idx = check_int("on_idx", on_idx)
        if not 0 <= idx < k:
            raise ValueError(f"on_idx must be in [0, {k}), got {idx}")
        return log_p[idx]
    s = cluster_means.shape[0]
    if on_idx is None:
        if s != k:
            raise ValueError(f"on_idx=None needs a square [K, K] cluster_means, got shape {(s, k)}")
        return torch.diagonal(log_p)
    idx_t = torch.as_tensor(on_idx, device=cluster_means.device)
    if idx_t.is_floating_point() or idx_t.dtype == torch.bool:
        raise TypeError(f"on_idx must hold integer indices, got {idx_t.dtype}")
    idx_t = idx_t.long().reshape(-1)
    if idx_t.numel() == 1:
        idx_t = idx_t.expand(s)
    if idx_t.numel() != s or bool((idx_t < 0).any()) or bool((idx_t >= k).any()):
        raise ValueError(f"on_idx must hold {s} indices in [0, {k})")
    return log_p.gather(1, idx_t[:, None])[:, 0]


def _diagonal_objective(cluster_means: torch.Tensor, tau: float) -> torch.Tensor:
    """``J_k(s_k)`` for a square ``[K, K]`` matrix of cluster means, without checks (the hot path)."""
    k = cluster_means.shape[-1]
    return torch.diagonal(torch.log_softmax(cluster_means / tau, dim=-1)) + math.log(k)
