"""The Neuroformer model in plain torch (no Lightning here).

Current-window tokens are embedded as ``tok_emb(id) + LearntTemporalEmbedding(dt) + pos``; they pass a causal
self-attention feature encoder (the "state" stack), cross-attend to the past window (the "state-history"
stack), to stimulus tokens (the "stimulus" stack) and to behaviour tokens, then run through causal
self-attention blocks; two bias-free heads predict the next neuron ID and its time offset.
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from neurotypes import FormatError, atomic_write_bytes
from neurotypes.validation import check_bool, check_float, check_int, check_path

MODEL_FORMAT = "neuroformer.Neuroformer"
MODEL_VERSION = 1

__all__ = [
    "MODEL_FORMAT",
    "MODEL_VERSION",
    "LearntTemporalEmbedding",
    "Neuroformer",
    "NeuroformerConfig",
    "clip_loss",
    "filter_logits",
    "info_nce",
    "load_model",
    "resolve_device",
]


@dataclass
class NeuroformerConfig:
    """Hyper-parameters (defaults: the reference's V1AL configuration).

    Parameters
    ----------
    id_vocab_size, dt_vocab_size : int
        Vocabulary sizes from :class:`~neuroformer.SpikeTokenizer` (``N + 3`` and ``grid + 3``).
    id_block_size, prev_id_block_size : int
        Sequence lengths of the current and past windows (100, 100).
    n_embd, n_head : int
        Width and heads (256, 8).
    n_state_layers, n_state_history_layers, n_stimulus_layers, n_self_layers : int
        Causal feature encoder over current tokens, cross-attention to the past window, cross-attention to
        stimulus tokens, final causal self-attention (6 each).
    n_behaviour_layers : int
        Cross-attention blocks to behaviour tokens (used when ``behaviour_vars`` is non-empty).
    dropout : float
        0.2.
    stimulus_dim : int or None
        Feature size of each stimulus token (``None``: no stimulus stream).
    stimulus_block_size : int
        Maximum number of stimulus tokens (446 in V1AL after the Conv3d encoder).
    n_stimulus_encoder_layers : int
        Non-causal self-attention blocks over stimulus tokens.
    behaviour_vars : tuple of str
        Names of input behaviour variables (each ``ProjectNorm(1 -> n)`` + Fourier time embedding).
    finetune_vars : dict of str to int
        Prediction heads: 0 for regression (Linear n -> 1, MSE), k > 1 for k-way classification.
    contrastive : bool
        Train the contrastive alignment jointly.
    clip_embd, clip_temp : int, float
        Projection size (1024) and temperature tau (0.5) of the InfoNCE loss.
    contrastive_symmetric : bool
        Use the symmetric CLIP loss instead of the row-direction InfoNCE.
    w_id, w_dt, w_contrastive : float
        Loss weights: ``(1 - w_c) (w_id CE_id + w_dt CE_dt) + w_c L_contrastive`` when contrastive.
    reference_compat : bool
        Scale the id/dt losses by 0.75 always, as the reference does (its condition is always true).
    sparse_topk : int or None
        Keep only the top-k attention scores per query (the reference's optional sparse mask).
    hf_backbone : bool
        Unimodal variant: replace the state, state-history and self-attention stacks by a Hugging Face
        ``GPT2Model(add_cross_attention=True)`` with ``n_self_layers`` layers (needs the ``hf`` extra). GPT-2
        interleaves self- and cross-attention in every layer.
    id_pad, dt_pad : int
        PAD indices (targets ignored in the loss); default ``vocab - 1``.
    """

    id_vocab_size: int = 33
    dt_vocab_size: int = 19
    id_block_size: int = 100
    prev_id_block_size: int = 100
    n_embd: int = 256
    n_head: int = 8
    n_state_layers: int = 6
    n_state_history_layers: int = 6
    n_stimulus_layers: int = 6
    n_self_layers: int = 6
    n_behaviour_layers: int = 1
    dropout: float = 0.2
    stimulus_dim: int | None = None
    stimulus_block_size: int = 446
    n_stimulus_encoder_layers: int = 1
    behaviour_vars: tuple[str, ...] = ()
    finetune_vars: dict[str, int] = field(default_factory=dict)
    contrastive: bool = False
    clip_embd: int = 1024
    clip_temp: float = 0.5
    contrastive_symmetric: bool = False
    w_id: float = 0.6
    w_dt: float = 0.4
    w_contrastive: float = 0.25
    reference_compat: bool = False
    sparse_topk: int | None = None
    hf_backbone: bool = False
    id_pad: int | None = None
    dt_pad: int | None = None

    def __post_init__(self) -> None:
        for name in (
            "id_vocab_size",
            "dt_vocab_size",
            "id_block_size",
            "prev_id_block_size",
            "n_embd",
            "n_head",
            "stimulus_block_size",
            "clip_embd",
        ):
            check_int(name, getattr(self, name), minimum=1)
        for name in ("id_vocab_size", "dt_vocab_size"):
            check_int(name, getattr(self, name), minimum=4)  # at least one token + SOS, EOS, PAD
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")
        if self.n_embd < 2:
            raise ValueError(
                f"n_embd must be >= 2 (the temporal embedding is n_embd // 2 wide), got {self.n_embd}"
            )
        for name in (
            "n_state_layers",
            "n_state_history_layers",
            "n_stimulus_layers",
            "n_self_layers",
            "n_behaviour_layers",
            "n_stimulus_encoder_layers",
        ):
            check_int(name, getattr(self, name), minimum=0)
        check_float("dropout", self.dropout, minimum=0.0)
        if self.dropout >= 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        check_float("clip_temp", self.clip_temp, positive=True)
        check_float("w_id", self.w_id, minimum=0.0)
        check_float("w_dt", self.w_dt, minimum=0.0)
        check_float("w_contrastive", self.w_contrastive, minimum=0.0)
        if self.w_contrastive >= 1.0:
            raise ValueError(f"w_contrastive must be in [0, 1), got {self.w_contrastive}")
        for name in ("contrastive", "contrastive_symmetric", "reference_compat", "hf_backbone"):
            check_bool(name, getattr(self, name))
        if self.stimulus_dim is not None:
            check_int("stimulus_dim", self.stimulus_dim, minimum=1)
        if self.sparse_topk is not None:
            check_int("sparse_topk", self.sparse_topk, minimum=1)
        if not isinstance(self.finetune_vars, dict):
            raise TypeError(
                f"finetune_vars must be a dict of name to class count, got {type(self.finetune_vars).__name__}"
            )
        for k, v in self.finetune_vars.items():
            if not isinstance(k, str) or not k:
                raise TypeError(f"finetune_vars keys must be non-empty strings, got {k!r}")
            if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v == 1:
                raise ValueError(
                    f"finetune_vars[{k!r}] must be 0 (regression) or a class count >= 2, got {v!r}"
                )
        if isinstance(self.behaviour_vars, str):
            raise TypeError("behaviour_vars must be a sequence of names, not a single string")
        self.behaviour_vars = tuple(self.behaviour_vars)
        for name in self.behaviour_vars:
            if not isinstance(name, str) or not name or "." in name:
                raise ValueError(f"behaviour_vars must hold non-empty names without '.', got {name!r}")
        if self.id_pad is None:
            self.id_pad = self.id_vocab_size - 1
        if self.dt_pad is None:
            self.dt_pad = self.dt_vocab_size - 1
        check_int("id_pad", self.id_pad, minimum=0, maximum=self.id_vocab_size - 1)
        check_int("dt_pad", self.dt_pad, minimum=0, maximum=self.dt_vocab_size - 1)

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, **kwargs: Any) -> NeuroformerConfig:
        """A config whose vocabularies, block sizes and PAD indices come from a :class:`SpikeTokenizer`.

        Parameters
        ----------
        tokenizer : SpikeTokenizer
        **kwargs
            Any other field of :class:`NeuroformerConfig`.

        Returns
        -------
        NeuroformerConfig

        Examples
        --------
        >>> from neuroformer import SpikeTokenizer
        >>> cfg = NeuroformerConfig.from_tokenizer(SpikeTokenizer(30), n_embd=64, n_head=4)
        >>> cfg.id_vocab_size, cfg.dt_vocab_size, cfg.id_pad
        (33, 19, 32)
        """
        for attr in (
            "id_vocab_size",
            "dt_vocab_size",
            "id_block_size",
            "prev_id_block_size",
            "pad_id",
            "pad_dt",
        ):
            if not hasattr(tokenizer, attr):
                raise TypeError(f"tokenizer must be a SpikeTokenizer, got {type(tokenizer).__name__}")
        return cls(
            id_vocab_size=tokenizer.id_vocab_size,
            dt_vocab_size=tokenizer.dt_vocab_size,
            id_block_size=tokenizer.id_block_size,
            prev_id_block_size=tokenizer.prev_id_block_size,
            id_pad=tokenizer.pad_id,
            dt_pad=tokenizer.pad_dt,
            **kwargs,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for checkpoints and YAML/JSON)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NeuroformerConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error naming them."""
        if not isinstance(d, dict):
            raise TypeError(f"a config must be a dict, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown NeuroformerConfig field(s) {unknown}")
        kw = dict(d)
        if "behaviour_vars" in kw and isinstance(kw["behaviour_vars"], list):
            kw["behaviour_vars"] = tuple(kw["behaviour_vars"])
        return cls(**kw)


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; other strings as ``torch.device`` reads them.

    Raises
    ------
    ValueError
        An unknown device string, or CUDA asked for where there is none.
    """
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(
            f"device must be a string such as 'auto', 'cpu' or 'cuda', got {type(device).__name__}"
        )
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: CUDA is not available on this machine")
    return dev


class LearntTemporalEmbedding(nn.Module):
    """MLP ``1 -> n/2 -> GELU -> n`` applied to the dt index as a scalar."""

    def __init__(self, n_embd: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, n_embd // 2), nn.GELU(), nn.Linear(n_embd // 2, n_embd))

    def forward(self, dt: Tensor) -> Tensor:
        out: Tensor = self.net(dt.to(torch.float32).unsqueeze(-1))
        return out


class FourierTimeEmbedding(nn.Module):
    """Sinusoidal embedding of continuous times (the behaviour streams' temporal embedding)."""

    def __init__(self, n_embd: int, max_period: float = 10.0) -> None:
        super().__init__()
        half = n_embd // 2
        freqs = torch.exp(-math.log(max_period * 1000.0) * torch.arange(half) / max(half, 1))
        self.register_buffer("freqs", freqs, persistent=False)
        self.n_embd = n_embd

    def forward(self, t: Tensor) -> Tensor:
        freqs: Tensor = self.freqs  # type: ignore[assignment]
        ang = t.to(torch.float32).unsqueeze(-1) * freqs * 1000.0
        emb = torch.cat([torch.sin(ang), torch.cos(ang)], dim=-1)
        if emb.shape[-1] < self.n_embd:
            emb = F.pad(emb, (0, self.n_embd - emb.shape[-1]))
        return emb


class ProjectNorm(nn.Module):
    """Linear projection followed by LayerNorm (behaviour values ``1 -> n``)."""

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.proj = nn.Linear(d_in, d_out)
        self.norm = nn.LayerNorm(d_out)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.norm(self.proj(x))
        return out


class MultiHeadAttention(nn.Module):
    """Hand-written multi-head attention that keeps its last attention map for analysis."""

    def __init__(
        self, n_embd: int, n_head: int, dropout: float, causal: bool, sparse_topk: int | None
    ) -> None:
        super().__init__()
        self.q = nn.Linear(n_embd, n_embd)
        self.k = nn.Linear(n_embd, n_embd)
        self.v = nn.Linear(n_embd, n_embd)
        self.proj = nn.Linear(n_embd, n_embd)
        self.attn_drop = nn.Dropout(dropout)
        self.resid_drop = nn.Dropout(dropout)
        self.n_head = n_head
        self.causal = causal
        self.sparse_topk = sparse_topk
        self.keep_attention = False
        self.last_attention: Tensor | None = None

    def forward(self, x: Tensor, kv: Tensor, key_pad: Tensor | None = None) -> Tensor:
        b, tq, c = x.shape
        tk = kv.shape[1]
        h = self.n_head
        q = self.q(x).view(b, tq, h, c // h).transpose(1, 2)
        k = self.k(kv).view(b, tk, h, c // h).transpose(1, 2)
        v = self.v(kv).view(b, tk, h, c // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // h)
        mask = torch.zeros(b, 1, tq, tk, dtype=torch.bool, device=x.device)
        if self.causal:
            mask = mask | torch.ones(tq, tk, dtype=torch.bool, device=x.device).triu(1)
        if key_pad is not None:
            mask = mask | key_pad[:, None, None, :]
        att = att.masked_fill(mask, float("-inf"))
        if self.sparse_topk is not None and self.sparse_topk < tk:
            kth = torch.topk(att, self.sparse_topk, dim=-1).values[..., -1:]
            att = att.masked_fill(att < kth, float("-inf"))
        att = torch.softmax(att, dim=-1)
        att = torch.nan_to_num(att, nan=0.0)
        if self.keep_attention:
            self.last_attention = att.detach()
        y = self.attn_drop(att) @ v
        y = y.transpose(1, 2).contiguous().view(b, tq, c)
        out: Tensor = self.resid_drop(self.proj(y))
        return out


class Block(nn.Module):
    """Pre-LayerNorm block: (cross- or self-) attention + MLP (4n hidden, GELU), then a final LayerNorm."""

    def __init__(self, cfg: NeuroformerConfig, causal: bool, cross: bool) -> None:
        super().__init__()
        n = cfg.n_embd
        self.ln1 = nn.LayerNorm(n)
        self.ln_kv = nn.LayerNorm(n) if cross else None
        self.ln2 = nn.LayerNorm(n)
        self.ln_f = nn.LayerNorm(n)
        self.attn = MultiHeadAttention(n, cfg.n_head, cfg.dropout, causal, cfg.sparse_topk)
        self.mlp = nn.Sequential(nn.Linear(n, 4 * n), nn.GELU(), nn.Linear(4 * n, n), nn.Dropout(cfg.dropout))

    def forward(self, x: Tensor, kv: Tensor | None = None, key_pad: Tensor | None = None) -> Tensor:
        xn = self.ln1(x)
        kvn = xn if kv is None or self.ln_kv is None else self.ln_kv(kv)
        x = x + self.attn(xn, kvn, key_pad)
        x = x + self.mlp(self.ln2(x))
        out: Tensor = self.ln_f(x)
        return out


def _check_pair(a: object, b: object, temperature: object) -> float:
    for name, t in (("a", a), ("b", b)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.ndim != 2 or t.shape[0] < 1 or t.shape[1] < 1:
            raise ValueError(f"{name} must be a 2-D [batch, features] tensor, got shape {tuple(t.shape)}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must hold floating-point values, got {t.dtype}")
    assert isinstance(a, Tensor) and isinstance(b, Tensor)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape (paired rows: row i of a matches row i of b), got "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )
    if not bool(torch.isfinite(a).all()) or not bool(torch.isfinite(b).all()):
        raise ValueError("a and b must be finite (no NaN or infinity)")
    return check_float("temperature", temperature, positive=True)


def info_nce(a: Tensor, b: Tensor, temperature: float) -> Tensor:
    r"""Row-direction InfoNCE: ``mean_i(-s_ii / tau + logsumexp_j s_ij / tau)`` with ``s = a b^T``.

    Parameters
    ----------
    a, b : Tensor, shape (B, d)
        Paired embeddings (row i of ``a`` matches row i of ``b``), usually L2-normalised by the caller.
    temperature : float
        tau > 0 (the reference's ``clip_temp``, 0.5).

    Returns
    -------
    Tensor
        A scalar: the cross-entropy of picking row i of ``b`` for row i of ``a``.

    Raises
    ------
    TypeError
        Not float tensors.
    ValueError
        Shapes differ or are not 2-D, non-finite values, ``temperature <= 0``.

    Examples
    --------
    >>> import torch
    >>> round(float(info_nce(torch.eye(4), torch.eye(4), 0.5)), 4)  # -2 + log(e^2 + 3)
    0.3408
    """
    tau = _check_pair(a, b, temperature)
    logits = a @ b.T / tau
    return (-logits.diagonal() + torch.logsumexp(logits, dim=1)).mean()


def clip_loss(a: Tensor, b: Tensor, temperature: float) -> Tensor:
    """Symmetric CLIP loss: the mean of the row- and column-direction InfoNCE.

    Parameters
    ----------
    a, b : Tensor, shape (B, d)
        Paired embeddings.
    temperature : float
        tau > 0.

    Returns
    -------
    Tensor
        ``(info_nce(a, b) + info_nce(b, a)) / 2``.

    Raises
    ------
    TypeError, ValueError
        As :func:`info_nce`.
    """
    tau = _check_pair(a, b, temperature)
    return 0.5 * (info_nce(a, b, tau) + info_nce(b, a, tau))


def filter_logits(logits: Tensor, top_k: int | None = None, top_p: float | None = None) -> Tensor:
    """Top-k then nucleus (top-p) filtering over the last axis; removed entries become ``-inf``.

    Parameters
    ----------
    logits : Tensor, shape (..., V)
    top_k : int, optional
        Keep the ``top_k`` largest logits (ties at the k-th value are kept).
    top_p : float, optional
        In (0, 1]: keep the smallest set of largest logits whose probability reaches ``top_p`` (the token that
        crosses it is kept).

    Returns
    -------
    Tensor
        A filtered copy.

    Examples
    --------
    >>> import torch
    >>> filter_logits(torch.tensor([1.0, 3.0, 2.0]), top_k=2).tolist()
    [-inf, 3.0, 2.0]
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"logits must be a torch.Tensor, got {type(logits).__name__}")
    if logits.ndim < 1 or logits.shape[-1] < 1:
        raise ValueError(f"logits must have a non-empty last axis, got shape {tuple(logits.shape)}")
    if bool(torch.isnan(logits).any()):
        raise ValueError("logits must not contain NaN")
    out = logits.clone()
    if top_k is not None:
        top_k = check_int("top_k", top_k, minimum=1)
        k = min(top_k, out.shape[-1])
        kth = torch.topk(out, k, dim=-1).values[..., -1:]
        out = out.masked_fill(out < kth, float("-inf"))
    if top_p is not None:
        top_p = check_float("top_p", top_p)
        if not 0.0 < top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {top_p}")
        sorted_logits, idx = torch.sort(out, descending=True, dim=-1)
        cum = torch.softmax(sorted_logits, dim=-1).cumsum(-1)
        remove = cum - torch.softmax(sorted_logits, dim=-1) >= top_p  # keep the token that crosses top_p
        sorted_logits = sorted_logits.masked_fill(remove, float("-inf"))
        out = torch.full_like(out, float("-inf")).scatter(-1, idx, sorted_logits)
    return out


class Neuroformer(nn.Module):
    """The multimodal generative spike transformer.

    Parameters
    ----------
    config : NeuroformerConfig
    seed : int, optional
        Seed of the weight initialisation, drawn from a private generator (the caller's global torch random
        state is left as it was). ``None``: the global torch generator, as torch modules do.

    Attributes
    ----------
    meta : dict
        JSON-like metadata saved with the model (e.g. the tokenizer settings and unit ids of the data it was
        trained on; see :meth:`save`).

    Examples
    --------
    >>> import torch
    >>> from neuroformer import Neuroformer, NeuroformerConfig
    >>> cfg = NeuroformerConfig(id_vocab_size=8, dt_vocab_size=9, id_block_size=6, prev_id_block_size=6,
    ...                         n_embd=16, n_head=2, n_state_layers=1, n_state_history_layers=1,
    ...                         n_stimulus_layers=0, n_self_layers=1)
    >>> model = Neuroformer(cfg, seed=0)
    >>> batch = {k: torch.zeros(2, 6, dtype=torch.long) for k in ("x_id", "x_dt", "x_id_prev", "x_dt_prev")}
    >>> logits_id, logits_dt, losses = model(batch)
    >>> tuple(logits_id.shape), tuple(logits_dt.shape)
    ((2, 6, 8), (2, 6, 9))

    Notes
    -----
    ``forward(batch)`` takes a dict of tensors: ``x_id, x_dt`` ``[B, T]``, ``x_id_prev, x_dt_prev`` ``[B, Tp]``,
    optionally ``y_id, y_dt`` (targets), ``stimulus`` ``[B, Ts, stimulus_dim]``, ``behaviour`` ``[B, Tb, V]``
    with ``behaviour_t`` ``[B, Tb]`` (seconds) and finetuning targets ``target_<name>``. It returns
    ``(logits_id, logits_dt, losses)``.
    """

    def __init__(self, config: NeuroformerConfig, seed: int | None = None) -> None:
        super().__init__()
        if not isinstance(config, NeuroformerConfig):
            raise TypeError(f"config must be a NeuroformerConfig, got {type(config).__name__}")
        self.meta: dict[str, Any] = {}
        if seed is None:
            self._build(config)
        else:
            seed = check_int("seed", seed, minimum=0)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                self._build(config)

    def _build(self, config: NeuroformerConfig) -> None:
        cfg = self.config = config
        n = cfg.n_embd
        self.tok_emb = nn.Embedding(cfg.id_vocab_size, n)
        self.tok_emb_prev = nn.Embedding(cfg.id_vocab_size, n)
        self.temporal = LearntTemporalEmbedding(n)
        self.temporal_prev = LearntTemporalEmbedding(n)
        self.pos = nn.Parameter(torch.zeros(1, cfg.id_block_size, n))
        self.pos_prev = nn.Parameter(torch.zeros(1, cfg.prev_id_block_size, n))
        self.drop = nn.Dropout(cfg.dropout)
        self.state_encoder = nn.ModuleList([Block(cfg, True, False) for _ in range(cfg.n_state_layers)])
        self.state_history = nn.ModuleList(
            [Block(cfg, False, True) for _ in range(cfg.n_state_history_layers)]
        )
        self.stimulus_proj: nn.Module | None = None
        if cfg.stimulus_dim is not None:
            self.stimulus_proj = nn.Linear(cfg.stimulus_dim, n)
            self.pos_stim = nn.Parameter(torch.zeros(1, cfg.stimulus_block_size, n))
            self.stimulus_encoder = nn.ModuleList(
                [Block(cfg, False, False) for _ in range(cfg.n_stimulus_encoder_layers)]
            )
            self.stimulus_cross = nn.ModuleList(
                [Block(cfg, False, True) for _ in range(cfg.n_stimulus_layers)]
            )
        self.behaviour_proj = nn.ModuleDict({v: ProjectNorm(1, n) for v in cfg.behaviour_vars})
        self.behaviour_time = FourierTimeEmbedding(n)
        self.behaviour_cross = nn.ModuleList(
            [Block(cfg, False, True) for _ in range(cfg.n_behaviour_layers if cfg.behaviour_vars else 0)]
        )
        self.self_blocks = nn.ModuleList([Block(cfg, True, False) for _ in range(cfg.n_self_layers)])
        self.hf: nn.Module | None = None
        self._hf_maps: dict[str, list[Tensor]] = {}
        self._keep_att = False
        if cfg.hf_backbone:
            try:
                from transformers import GPT2Config, GPT2Model
            except ImportError as err:  # pragma: no cover - depends on the optional extra
                raise ImportError(
                    "hf_backbone=True needs transformers: pip install 'neuroformer[hf]'"
                ) from err
            self.state_encoder = nn.ModuleList()
            self.state_history = nn.ModuleList()
            self.self_blocks = nn.ModuleList()
            gcfg = GPT2Config(
                vocab_size=1,
                n_positions=cfg.id_block_size,
                n_embd=n,
                n_layer=max(cfg.n_self_layers, 1),
                n_head=cfg.n_head,
                add_cross_attention=True,
                resid_pdrop=cfg.dropout,
                attn_pdrop=cfg.dropout,
                embd_pdrop=cfg.dropout,
            )
            gcfg._attn_implementation = "eager"
            self.hf = GPT2Model(gcfg)
        self.ln_f = nn.LayerNorm(n)
        self.head_id = nn.Linear(n, cfg.id_vocab_size, bias=False)
        self.head_dt = nn.Linear(n, cfg.dt_vocab_size, bias=False)
        self.clip_proj = nn.ModuleDict()
        if cfg.contrastive:
            self.clip_proj["id"] = nn.Linear(n, cfg.clip_embd)
            if cfg.stimulus_dim is not None:
                self.clip_proj["stimulus"] = nn.Linear(n, cfg.clip_embd)
            if cfg.behaviour_vars:
                self.clip_proj["behaviour"] = nn.Linear(n, cfg.clip_embd)
        self.finetune_heads = nn.ModuleDict(
            {k: nn.Linear(n, max(v, 1)) for k, v in cfg.finetune_vars.items()}
        )
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        if isinstance(m, nn.Linear | nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    # ---- attention maps -----------------------------------------------------------------------------------
    def keep_attention(self, flag: bool = True) -> None:
        """Switch on/off storing every attention map of the next forward passes."""
        self._keep_att = flag
        if not flag:
            self._hf_maps = {}
        for mod in self.modules():
            if isinstance(mod, MultiHeadAttention):
                mod.keep_attention = flag
                if not flag:
                    mod.last_attention = None

    def attention_maps(self) -> dict[str, list[Tensor]]:
        """Attention maps of the last forward pass per stack, each a list over layers of ``[B, H, Tq, Tk]``.

        Call :meth:`keep_attention` first; stacks: ``state``, ``state_history``, ``stimulus``, ``behaviour``,
        ``self``.
        """
        stacks = {
            "state": self.state_encoder,
            "state_history": self.state_history,
            "behaviour": self.behaviour_cross,
            "self": self.self_blocks,
        }
        if self.stimulus_proj is not None:
            stacks["stimulus"] = self.stimulus_cross
        out: dict[str, list[Tensor]] = {}
        for name, blocks in stacks.items():
            maps: list[Tensor] = [
                b.attn.last_attention  # type: ignore[union-attr,misc]
                for b in blocks
                if b.attn.last_attention is not None  # type: ignore[union-attr]
            ]
            if maps:
                out[name] = maps
        out.update(self._hf_maps)
        return out

    # ---- forward ------------------------------------------------------------------------------------------
    def _check_batch(self, batch: dict[str, Tensor]) -> None:
        if not isinstance(batch, dict):
            raise TypeError(f"batch must be a dict of tensors, got {type(batch).__name__}")
        for key in ("x_id", "x_dt", "x_id_prev", "x_dt_prev"):
            if key not in batch:
                raise ValueError(f"batch is missing {key!r}")
        cfg = self.config
        for key, block in (
            ("x_id", cfg.id_block_size),
            ("x_dt", cfg.id_block_size),
            ("x_id_prev", cfg.prev_id_block_size),
            ("x_dt_prev", cfg.prev_id_block_size),
        ):
            t = batch[key]
            if not isinstance(t, Tensor):
                raise TypeError(f"batch[{key!r}] must be a torch.Tensor, got {type(t).__name__}")
            if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
                raise TypeError(f"batch[{key!r}] must hold integer tokens, got {t.dtype}")
            if t.ndim != 2 or t.shape[1] < 1:
                raise ValueError(f"batch[{key!r}] must be [batch, tokens], got shape {tuple(t.shape)}")
            if t.shape[1] > block:
                raise ValueError(f"batch[{key!r}] has {t.shape[1]} tokens > its block size {block}")
        b = batch["x_id"].shape[0]
        for key in ("x_dt", "x_id_prev", "x_dt_prev"):
            if batch[key].shape[0] != b:
                raise ValueError(f"batch[{key!r}] holds {batch[key].shape[0]} windows, batch['x_id'] {b}")
        if batch["x_dt"].shape != batch["x_id"].shape or batch["x_dt_prev"].shape != batch["x_id_prev"].shape:
            raise ValueError("batch: each dt sequence must have the shape of its id sequence")
        for key, vocab in (
            ("x_id", cfg.id_vocab_size),
            ("x_id_prev", cfg.id_vocab_size),
            ("x_dt", cfg.dt_vocab_size),
            ("x_dt_prev", cfg.dt_vocab_size),
        ):
            t = batch[key]
            if t.numel() and (int(t.min()) < 0 or int(t.max()) >= vocab):
                kind = "ID" if "id" in key else "dt"
                raise ValueError(f"batch[{key!r}] holds tokens outside the {kind} vocabulary [0, {vocab})")

    def encode_state(self, batch: dict[str, Tensor]) -> Tensor:
        """Current-window features after the causal feature encoder (used for contrastive pooling)."""
        x_id, x_dt = batch["x_id"], batch["x_dt"]
        t = x_id.shape[1]
        x: Tensor = self.drop(self.tok_emb(x_id) + self.temporal(x_dt) + self.pos[:, :t])
        for blk in self.state_encoder:
            x = blk(x)
        return x

    def _features(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        cfg = self.config
        feats: dict[str, Tensor] = {}
        x = self.encode_state(batch)
        feats["state"] = x
        p_id, p_dt = batch["x_id_prev"], batch["x_dt_prev"]
        tp = p_id.shape[1]
        prev = self.drop(self.tok_emb_prev(p_id) + self.temporal_prev(p_dt) + self.pos_prev[:, :tp])
        prev_pad = torch.eq(p_id, int(cfg.id_pad or 0))
        for blk in self.state_history:
            x = blk(x, prev, prev_pad)
        if self.hf is not None:
            res = self.hf(
                inputs_embeds=x,
                encoder_hidden_states=prev,
                encoder_attention_mask=(~prev_pad).long(),
                output_attentions=self._keep_att,
            )
            x = res.last_hidden_state
            if self._keep_att:
                self._hf_maps = {
                    "self": [a.detach() for a in res.attentions],
                    "state_history": [a.detach() for a in res.cross_attentions],
                }
        if self.stimulus_proj is not None and "stimulus" in batch:
            s = batch["stimulus"].to(torch.float32)
            if s.ndim != 3 or s.shape[-1] != cfg.stimulus_dim or s.shape[1] > cfg.stimulus_block_size:
                raise ValueError(
                    f"batch['stimulus'] must be [B, <= {cfg.stimulus_block_size}, {cfg.stimulus_dim}], got {tuple(s.shape)}"
                )
            s = self.drop(self.stimulus_proj(s) + self.pos_stim[:, : s.shape[1]])
            for blk in self.stimulus_encoder:
                s = blk(s)
            feats["stimulus"] = s
            for blk in self.stimulus_cross:
                x = blk(x, s)
        if cfg.behaviour_vars and "behaviour" in batch:
            bv = batch["behaviour"].to(torch.float32)
            if bv.ndim != 3 or bv.shape[-1] != len(cfg.behaviour_vars):
                raise ValueError(f"batch['behaviour'] must be [B, T, {len(cfg.behaviour_vars)}]")
            bt = batch.get("behaviour_t", torch.zeros(bv.shape[:2], device=bv.device))
            tokens = [
                self.behaviour_proj[v](bv[..., i : i + 1]) + self.behaviour_time(bt)
                for i, v in enumerate(cfg.behaviour_vars)
            ]
            b = torch.cat(tokens, dim=1)
            feats["behaviour"] = b
            for blk in self.behaviour_cross:
                x = blk(x, b)
        for blk in self.self_blocks:
            x = blk(x)
        feats["out"] = self.ln_f(x)
        return feats

    @staticmethod
    def _masked_mean(x: Tensor, valid: Tensor) -> Tensor:
        w = valid.to(x.dtype).unsqueeze(-1)
        return (x * w).sum(1) / w.sum(1).clamp_min(1.0)

    def pooled(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Mean-pooled features per modality (``id`` over non-PAD current tokens, ``stimulus``, ``behaviour``)."""
        feats = self._features(batch)
        valid = torch.ne(batch["x_id"], int(self.config.id_pad or 0))
        out = {"id": self._masked_mean(feats["state"], valid), "out": self._masked_mean(feats["out"], valid)}
        for k in ("stimulus", "behaviour"):
            if k in feats:
                out[k] = feats[k].mean(1)
        return out

    def contrastive_embeddings(self, pooled: dict[str, Tensor]) -> dict[str, Tensor]:
        """L2-normalised ``clip_embd`` projections of the pooled modalities."""
        return {k: F.normalize(self.clip_proj[k](pooled[k]), dim=-1) for k in self.clip_proj if k in pooled}

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        self._check_batch(batch)
        cfg = self.config
        feats = self._features(batch)
        h = feats["out"]
        logits_id, logits_dt = self.head_id(h), self.head_dt(h)
        losses: dict[str, Tensor] = {}
        valid = torch.ne(batch["x_id"], int(cfg.id_pad or 0))
        if "y_id" in batch and "y_dt" in batch:
            ce_id = F.cross_entropy(
                logits_id.flatten(0, 1), batch["y_id"].flatten().long(), ignore_index=int(cfg.id_pad or 0)
            )
            ce_dt = F.cross_entropy(
                logits_dt.flatten(0, 1), batch["y_dt"].flatten().long(), ignore_index=int(cfg.dt_pad or 0)
            )
            scale = 1.0
            if cfg.reference_compat:
                scale = 0.75
            elif cfg.contrastive:
                scale = 1.0 - cfg.w_contrastive
            losses["id"] = scale * cfg.w_id * ce_id
            losses["dt"] = scale * cfg.w_dt * ce_dt
        if cfg.contrastive and len(self.clip_proj) >= 2:
            pooled = {"id": self._masked_mean(feats["state"], valid)}
            for k in ("stimulus", "behaviour"):
                if k in feats:
                    pooled[k] = feats[k].mean(1)
            emb = self.contrastive_embeddings(pooled)
            keys = list(emb)
            pair_losses = []
            fn = clip_loss if cfg.contrastive_symmetric else info_nce
            for i in range(len(keys)):
                for j in range(i + 1, len(keys)):
                    pair_losses.append(fn(emb[keys[i]], emb[keys[j]], cfg.clip_temp))
            if pair_losses:
                losses["contrastive"] = cfg.w_contrastive * torch.stack(pair_losses).mean()
        if self.finetune_heads:
            pooled_out = self._masked_mean(h, valid)
            for name, head in self.finetune_heads.items():
                key = f"target_{name}"
                if key not in batch:
                    continue
                pred = head(pooled_out)
                if cfg.finetune_vars[name] == 0:
                    losses[name] = F.mse_loss(pred.squeeze(-1), batch[key].to(pred.dtype))
                else:
                    losses[name] = F.cross_entropy(pred, batch[key].long())
        return logits_id, logits_dt, losses

    def predict_finetune(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Outputs of the fine-tuning heads (regression values or class logits)."""
        feats = self._features(batch)
        valid = torch.ne(batch["x_id"], int(self.config.id_pad or 0))
        pooled_out = self._masked_mean(feats["out"], valid)
        out = {}
        for name, head in self.finetune_heads.items():
            pred = head(pooled_out)
            out[name] = pred.squeeze(-1) if self.config.finetune_vars[name] == 0 else pred
        return out

    def add_finetune_head(self, name: str, n_classes: int = 0, seed: int | None = None) -> None:
        """Add a new behaviour head after pretraining (the reference's ``load_state_dict(strict=False)``).

        Parameters
        ----------
        name : str
            The variable; its targets are read from ``batch["target_<name>"]``.
        n_classes : int
            0 for regression (Linear n -> 1, MSE), k >= 2 for k-way classification.
        seed : int, optional
            Seed of the head's initialisation (private generator).
        """
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"name must be a non-empty string without '.', got {name!r}")
        n_classes = check_int("n_classes", n_classes, minimum=0)
        if n_classes == 1:
            raise ValueError("n_classes must be 0 (regression) or >= 2, got 1")
        self.config.finetune_vars[name] = n_classes
        dev = self.head_id.weight.device
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(check_int("seed", seed, minimum=0))
            head = nn.Linear(self.config.n_embd, max(n_classes, 1)).to(dev)
            self._init_weights(head)
        self.finetune_heads[name] = head

    # ---- generation ---------------------------------------------------------------------------------------
    @torch.no_grad()
    def generate(
        self,
        context: dict[str, Tensor],
        n_tokens: int,
        top_k: int | None = None,
        top_p: float | None = None,
        temperature: float = 1.0,
        sample: bool = True,
        seed: int | None = None,
        sos_id: int | None = None,
        eos_id: int | None = None,
        n_dt_grid: int | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Autoregressively sample up to ``n_tokens`` (neuron id, dt index) pairs for one window.

        Parameters
        ----------
        context : dict of tensors
            ``x_id_prev, x_dt_prev`` of shape ``[1, Tp]`` (and optional ``stimulus``/``behaviour``).
        n_tokens : int
            Maximum number of spikes; generation stops early at EOS.
        top_k, top_p, temperature : optional
            Sampling filters; ``top_k=1`` is greedy.
        sample : bool
            ``False``: greedy argmax.
        seed : int, optional
            Seed of a private ``torch.Generator`` (same seed -> same samples).
        sos_id, eos_id, n_dt_grid : int, optional
            Special indices (default: ``V_id - 3``, ``V_id - 2``, ``V_dt - 3``).

        Returns
        -------
        ids, dts : Tensor of int64, shape ``[n]``
            Generated neuron ids and dt indices (SOS/EOS excluded).
        """
        temperature = check_float("temperature", temperature, positive=True)
        cfg = self.config
        n_tokens = check_int("n_tokens", n_tokens, minimum=0, maximum=cfg.id_block_size - 1)
        if not isinstance(context, dict) or "x_id_prev" not in context or "x_dt_prev" not in context:
            raise ValueError(
                "context must be a dict with tensors 'x_id_prev' and 'x_dt_prev' of shape [1, Tp]"
            )
        if context["x_id_prev"].ndim != 2 or context["x_id_prev"].shape[0] != 1:
            raise ValueError(
                f"context['x_id_prev'] must have shape [1, Tp], got {tuple(context['x_id_prev'].shape)}"
            )
        check_bool("sample", sample)
        if seed is not None:
            seed = check_int("seed", seed, minimum=0)
        sos = cfg.id_vocab_size - 3 if sos_id is None else sos_id
        eos = cfg.id_vocab_size - 2 if eos_id is None else eos_id
        n_grid = cfg.dt_vocab_size - 3 if n_dt_grid is None else n_dt_grid
        dev = self.head_id.weight.device
        gen = torch.Generator(device="cpu")
        if seed is not None:
            gen.manual_seed(int(seed))
        was_training = self.training
        self.eval()
        ids = [sos]
        dts = [0]
        for _ in range(n_tokens):
            batch = {k: v.to(dev) for k, v in context.items()}
            batch["x_id"] = torch.tensor([ids], dtype=torch.long, device=dev)
            batch["x_dt"] = torch.tensor([dts], dtype=torch.long, device=dev)
            logits_id, logits_dt, _ = self.forward(batch)
            lid = logits_id[0, -1].float().cpu() / temperature
            ldt = logits_dt[0, -1].float().cpu() / temperature
            lid[sos] = float("-inf")
            lid[eos + 1 :] = float("-inf")
            ldt[n_grid:] = float("-inf")
            lid = filter_logits(lid, top_k, top_p)
            ldt = filter_logits(ldt, top_k, top_p)
            if sample:
                nid = int(torch.multinomial(torch.softmax(lid, -1), 1, generator=gen))
                ndt = int(torch.multinomial(torch.softmax(ldt, -1), 1, generator=gen))
            else:
                nid, ndt = int(lid.argmax()), int(ldt.argmax())
            if nid == eos:
                break
            ids.append(nid)
            dts.append(ndt)
        self.train(was_training)
        return torch.tensor(ids[1:], dtype=torch.long), torch.tensor(dts[1:], dtype=torch.long)

    def n_parameters(self) -> int:
        """Number of trainable parameters."""
        return int(sum(p.numel() for p in self.parameters() if p.requires_grad))

    # ---- files --------------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the weights, the config and :attr:`meta` as one safe, versioned ``.npz`` (no pickle).

        The archive holds a flat float32 array of every floating-point tensor of the state dict, a flat int64
        array of the others, and a JSON header (format name and version, the config, the tensors' names,
        shapes and offsets, :attr:`meta`). Written atomically. Read it back with :func:`load_model`.

        Parameters
        ----------
        path : path-like
            Target file; must end in ``.npz``.

        Returns
        -------
        pathlib.Path
        """
        p = check_path("path", path, must_exist=False, suffixes=(".npz",))
        state = self.state_dict()
        floats: list[np.ndarray] = []
        ints: list[np.ndarray] = []
        index = []
        n_float = n_int = 0
        for name, tensor in state.items():
            arr = tensor.detach().cpu().numpy()
            if arr.dtype.kind == "f":
                floats.append(arr.astype(np.float32).reshape(-1))
                index.append({"name": name, "shape": list(arr.shape), "kind": "float", "offset": n_float})
                n_float += arr.size
            else:
                ints.append(arr.astype(np.int64).reshape(-1))
                index.append({"name": name, "shape": list(arr.shape), "kind": "int", "offset": n_int})
                n_int += arr.size
        header = {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "config": self.config.to_dict(),
            "tensors": index,
            "meta": self.meta,
        }
        buf = io.BytesIO()
        np.savez(
            buf,
            header=np.array(json.dumps(header)),
            float_params=np.concatenate(floats) if floats else np.zeros(0, np.float32),
            int_params=np.concatenate(ints) if ints else np.zeros(0, np.int64),
        )
        return atomic_write_bytes(p, buf.getvalue())


def load_model(path: str | os.PathLike[str], *, max_bytes: int = 2**31) -> Neuroformer:
    """Read a model written by :meth:`Neuroformer.save` (never unpickles anything).

    Parameters
    ----------
    path : path-like
        The ``.npz`` file.
    max_bytes : int
        Largest uncompressed size accepted (declared sizes are checked before anything is allocated).

    Returns
    -------
    Neuroformer
        In eval mode, on the CPU, with :attr:`Neuroformer.meta` restored.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    neurotypes.FormatError
        Not a neuroformer model file, a newer format version, or damaged; the message names the file.
    """
    from neurotypes._base import read_npz_arrays

    p = check_path("path", path, suffixes=(".npz",))
    arrays = read_npz_arrays(p, max_bytes=check_int("max_bytes", max_bytes, minimum=1))

    def bad(why: str) -> FormatError:
        return FormatError(f"file {str(p)!r} is not a neuroformer model file: {why}")

    if set(arrays) != {"header", "float_params", "int_params"}:
        raise bad(f"members {sorted(arrays)}, expected header, float_params, int_params")
    h = arrays["header"]
    if h.dtype.kind != "U" or h.ndim != 0:
        raise bad("its header is not a JSON text")
    try:
        header = json.loads(str(h))
    except json.JSONDecodeError as exc:
        raise bad(f"its header is not valid JSON ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != MODEL_FORMAT:
        raise bad(
            f"format {header.get('format') if isinstance(header, dict) else None!r}, expected {MODEL_FORMAT!r}"
        )
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise bad(f"invalid format version {version!r}")
    if version > MODEL_VERSION:
        raise bad(f"format version {version} is newer than this neuroformer reads ({MODEL_VERSION}); upgrade")
    fl, it = arrays["float_params"], arrays["int_params"]
    if fl.dtype != np.float32 or it.dtype != np.int64 or fl.ndim != 1 or it.ndim != 1:
        raise bad("its parameter arrays have the wrong dtype or shape")
    try:
        config = NeuroformerConfig.from_dict(header["config"])
        model = Neuroformer(config)
        state: dict[str, Tensor] = {}
        for entry in header["tensors"]:
            shape = tuple(int(x) for x in entry["shape"])
            n = math.prod(shape)
            src = fl if entry["kind"] == "float" else it
            off = int(entry["offset"])
            if off < 0 or off + n > src.size:
                raise ValueError(f"tensor {entry['name']!r} lies outside the stored parameters")
            state[str(entry["name"])] = torch.from_numpy(src[off : off + n].reshape(shape).copy())
        model.load_state_dict(state, strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise bad(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}") from None
    meta = header.get("meta", {})
    model.meta = meta if isinstance(meta, dict) else {}
    return model.eval()
