"""The description model: masked pyramid exemplar encoder, attention-LSTM captioner p(d|E), LSTM LM p(d)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from milan.exemplars import get_layer

__all__ = ["Captioner", "LanguageModel", "MaskedPyramidEncoder", "ShapesBackbone", "Vocabulary"]

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"


class Vocabulary:
    """Word <-> id map; ids 0-3 are ``<pad> <bos> <eos> <unk>``. Tokenisation: lower-case whitespace split."""

    def __init__(self, words: Sequence[str]) -> None:
        self.itos: list[str] = [PAD, BOS, EOS, UNK]
        for w in words:
            if w not in self.itos:
                self.itos.append(w)
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> Vocabulary:
        """Vocabulary of every token in ``texts`` (sorted, for determinism)."""
        return cls(sorted({t for s in texts for t in cls.tokenize(s)}))

    @staticmethod
    def tokenize(text: str) -> list[str]:
        """Lower-case whitespace tokens."""
        return text.lower().split()

    def __len__(self) -> int:
        return len(self.itos)

    pad, bos, eos, unk = 0, 1, 2, 3

    def encode(self, text: str) -> list[int]:
        """``[bos] ids [eos]``."""
        return [self.bos, *(self.stoi.get(t, self.unk) for t in self.tokenize(text)), self.eos]

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``, stopping at ``<eos>`` and skipping ``<bos>``/``<pad>``."""
        out = []
        for i in ids:
            i = int(i)
            if i == self.eos:
                break
            if i in (self.bos, self.pad):
                continue
            out.append(self.itos[i])
        return " ".join(out)

    def batch(self, texts: Sequence[str]) -> torch.Tensor:
        """Padded [batch, max_len] int64 tensor of encoded texts."""
        enc = [self.encode(t) for t in texts]
        n = max(len(e) for e in enc)
        out = torch.full((len(enc), n), self.pad, dtype=torch.int64)
        for i, e in enumerate(enc):
            out[i, : len(e)] = torch.tensor(e)
        return out


class ShapesBackbone(nn.Module):
    """Small CNN (stem + 3 stages) used as the exemplar encoder's backbone on the shapes world.

    ``head`` predicts shapes-world attributes (multi-label) so the backbone can be trained from scratch.
    """

    def __init__(self, n_outputs: int = 10, width: int = 32) -> None:
        super().__init__()
        w = width
        self.stem = nn.Sequential(nn.Conv2d(3, w // 2, 3, padding=1), nn.ReLU())
        self.stage1 = nn.Sequential(nn.Conv2d(w // 2, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.stage2 = nn.Sequential(nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.stage3 = nn.Sequential(nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(2 * w, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stage3(self.stage2(self.stage1(self.stem(x))))
        out: torch.Tensor = self.head(h.amax(dim=(2, 3)))
        return out


class MaskedPyramidEncoder(nn.Module):
    """Mask-weighted sum-pooling of several backbone feature maps, concatenated (one vector per exemplar).

    For each named layer the feature map ``F`` [B, C, h, w] is weighted by the exemplar mask resized to (h, w)
    (bilinear, ``align_corners=False``), with weights normalised to sum to 1; the pooled vectors of all layers
    are concatenated. ``include_pixels`` prepends the mask-weighted mean of the image itself. The backbone is
    frozen (eval mode, no gradients).
    """

    def __init__(self, backbone: nn.Module, layers: Sequence[str], include_pixels: bool = True) -> None:
        super().__init__()
        if not layers:
            raise ValueError("layers must name at least one submodule of the backbone")
        for name in layers:
            get_layer(backbone, name)
        self.backbone = backbone
        self.layers = list(layers)
        self.include_pixels = include_pixels
        for p in self.backbone.parameters():
            p.requires_grad_(False)
        self.register_buffer("shift", torch.zeros(0))
        self.register_buffer("scale", torch.zeros(0))

    def fit_normalization(self, feats: torch.Tensor) -> None:
        """Standardise future outputs with the per-dimension mean and std of ``feats`` [..., D]."""
        flat = feats.reshape(-1, feats.shape[-1]).float()
        self.shift = flat.mean(0)
        self.scale = flat.std(0).clamp_min(1e-6)

    @staticmethod
    def pool(features: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """Sum-pool ``features`` [B, C, h, w] with ``masks`` [B, H, W] resized to (h, w) and normalised to sum 1."""
        m = F.interpolate(
            masks[:, None].float(), size=features.shape[-2:], mode="bilinear", align_corners=False
        )
        m = m / m.sum(dim=(2, 3), keepdim=True).clamp_min(1e-8)
        return (features * m).sum(dim=(2, 3))

    @torch.no_grad()
    def forward(self, images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """Feature vectors [B, D] of images [B, C, H, W] under masks [B, H, W]."""
        if images.ndim != 4 or masks.ndim != 3 or images.shape[0] != masks.shape[0]:
            raise ValueError(
                f"images must be [B, C, H, W] and masks [B, H, W] with the same B, got {tuple(images.shape)} "
                f"and {tuple(masks.shape)}"
            )
        feats: dict[str, torch.Tensor] = {}
        handles = [
            get_layer(self.backbone, n).register_forward_hook(
                lambda _m, _i, out, n=n: feats.__setitem__(n, out)
            )
            for n in self.layers
        ]
        was = self.backbone.training
        self.backbone.eval()
        try:
            self.backbone(images.float())
        finally:
            for h in handles:
                h.remove()
            self.backbone.train(was)
        parts = [self.pool(images.float(), masks)] if self.include_pixels else []
        parts += [self.pool(feats[n], masks) for n in self.layers]
        out = torch.cat(parts, dim=1)
        if self.shift.numel():
            out = (out - self.shift) / self.scale
        return out

    def encode_exemplars(self, images: np.ndarray, masks: np.ndarray, batch_size: int = 512) -> torch.Tensor:
        """Features [units, k, D] of exemplar ``images`` [units, k, C, H, W] and ``masks`` [units, k, H, W]."""
        u, k = images.shape[:2]
        x = torch.as_tensor(images).reshape(u * k, *images.shape[2:])
        m = torch.as_tensor(masks).reshape(u * k, *masks.shape[2:])
        out = [self(x[i : i + batch_size], m[i : i + batch_size]) for i in range(0, u * k, batch_size)]
        return torch.cat(out).reshape(u, k, -1)


class Captioner(nn.Module):
    """Show-Attend-Tell captioner p(d | E) over a set of exemplar feature vectors.

    LSTMCell decoder; ``h0``, ``c0`` are linear maps of the mean exemplar feature; additive attention over the
    exemplar vectors; a sigmoid gate ``beta = sigmoid(W h)`` scales the attended context; the LSTM input is
    ``[word embedding, gated context]``.
    """

    def __init__(
        self,
        feature_dim: int,
        vocab_size: int,
        embed_dim: int = 128,
        hidden_dim: int = 512,
        attention_dim: int = 128,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.feature_dim, self.vocab_size, self.hidden_dim = feature_dim, vocab_size, hidden_dim
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.init_h = nn.Linear(feature_dim, hidden_dim)
        self.init_c = nn.Linear(feature_dim, hidden_dim)
        self.att_feat = nn.Linear(feature_dim, attention_dim)
        self.att_hid = nn.Linear(hidden_dim, attention_dim)
        self.att_out = nn.Linear(attention_dim, 1)
        self.gate = nn.Linear(hidden_dim, feature_dim)
        self.cell = nn.LSTMCell(embed_dim + feature_dim, hidden_dim)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_dim, vocab_size)

    def init_state(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(h0, c0)`` from the mean exemplar feature of ``feats`` [B, k, D]."""
        mean = feats.mean(dim=1)
        return torch.tanh(self.init_h(mean)), torch.tanh(self.init_c(mean))

    def step(
        self, tokens: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], feats: torch.Tensor
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        """One decoding step: logits [B, V], new state, attention weights [B, k]."""
        h, c = state
        scores = self.att_out(torch.tanh(self.att_feat(feats) + self.att_hid(h)[:, None])).squeeze(-1)
        alpha = torch.softmax(scores, dim=1)
        context = (alpha[..., None] * feats).sum(dim=1) * torch.sigmoid(self.gate(h))
        h, c = self.cell(torch.cat([self.embed(tokens), context], dim=1), (h, c))
        return self.out(self.drop(h)), (h, c), alpha

    def forward(self, feats: torch.Tensor, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced logits [B, T-1, V] predicting ``tokens[:, 1:]`` and attention [B, T-1, k]."""
        state = self.init_state(feats)
        logits, alphas = [], []
        for t in range(tokens.shape[1] - 1):
            lo, state, a = self.step(tokens[:, t], state, feats)
            logits.append(lo)
            alphas.append(a)
        return torch.stack(logits, 1), torch.stack(alphas, 1)


class LanguageModel(nn.Module):
    """LSTM language model p(d) over descriptions (2 layers)."""

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int = 128,
        hidden_dim: int = 512,
        layers: int = 2,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=layers, batch_first=True, dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_dim, vocab_size)

    def forward(
        self, tokens: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Logits [B, T, V] for the next token after each position of ``tokens`` [B, T]."""
        h, state = self.lstm(self.embed(tokens), state)
        return self.out(self.drop(h)), state

    @torch.no_grad()
    def log_prob(self, tokens: torch.Tensor, pad: int = 0) -> torch.Tensor:
        """log p(d) [B] of padded ``[bos] ... [eos]`` sequences ``tokens`` [B, T]."""
        logits, _ = self(tokens[:, :-1])
        lp = torch.log_softmax(logits, -1).gather(-1, tokens[:, 1:, None]).squeeze(-1)
        return (lp * (tokens[:, 1:] != pad)).sum(1)
