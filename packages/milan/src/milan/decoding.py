"""Beam search and PMI decoding: ``argmax_d log p(d|E) - lam log p(d)``."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from milan.exemplars import Exemplars
from milan.models import Captioner, LanguageModel, MaskedPyramidEncoder, Vocabulary

__all__ = ["Descriptions", "Milan", "beam_search", "pmi_select"]

StepFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def beam_search(
    step: StepFn,
    n: int,
    beam: int,
    max_len: int,
    bos: int,
    eos: int,
    on_select: Callable[[torch.Tensor], None] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Batched beam search for ``n`` independent problems.

    Parameters
    ----------
    step : ``step(prefixes [N, t], problem [N]) -> log-probabilities [N, V]`` of the next token.
    n, beam, max_len : problems, beam width and the maximum number of generated tokens (``<eos>`` included).
    bos, eos : start and end token ids. A finished hypothesis is extended only by ``<eos>`` at no cost.
    on_select : called after each step with the flat indices [n * width] of the parent rows (into the
        ``N`` rows of the last ``step`` call) of the kept hypotheses, so a stateful ``step`` can reorder its
        cached state and consume only the newest token next time.

    Returns
    -------
    seqs : int64 [n, beam, 1 + max_len] (``bos`` first, padded with ``eos``), best first.
    scores : float [n, beam] summed log-probabilities (``-inf`` for unused beam slots).
    """
    if beam < 1 or max_len < 1 or n < 1:
        raise ValueError(f"n, beam and max_len must be >= 1, got n={n}, beam={beam}, max_len={max_len}")
    seqs = torch.full((n, 1, 1), bos, dtype=torch.int64)
    scores = torch.zeros(n, 1, dtype=torch.float64)
    for _ in range(max_len):
        b = seqs.shape[1]
        flat = seqs.reshape(n * b, -1)
        problem = torch.arange(n).repeat_interleave(b)
        lp = step(flat, problem).double().reshape(n, b, -1)
        v = lp.shape[-1]
        done = seqs[:, :, -1] == eos
        frozen = torch.full_like(lp, -torch.inf)
        frozen[..., eos] = 0.0
        lp = torch.where(done[..., None], frozen, lp)
        cand = (scores[..., None] + lp).reshape(n, b * v)
        width = min(beam, b * v)
        # stable descending sort: ties keep the lower (beam, token) index, so results are deterministic
        order = torch.sort(cand, dim=1, descending=True, stable=True).indices[:, :width]
        scores = torch.gather(cand, 1, order)
        src, tok = order // v, order % v
        if on_select is not None:
            on_select((src + torch.arange(n)[:, None] * b).reshape(-1))
        seqs = torch.cat(
            [torch.gather(seqs, 1, src[..., None].expand(-1, -1, seqs.shape[2])), tok[..., None]], 2
        )
        if bool((seqs[:, :, -1] == eos).all()):
            break
    pad = 1 + max_len - seqs.shape[2]
    if pad > 0:
        seqs = torch.cat([seqs, torch.full((*seqs.shape[:2], pad), eos, dtype=torch.int64)], dim=2)
    return seqs, scores


def pmi_select(log_p_caption: torch.Tensor, log_p_lm: torch.Tensor, lam: float) -> torch.Tensor:
    """Index along the last axis maximising ``log p(d|E) - lam log p(d)`` (non-finite scores never win)."""
    score = torch.as_tensor(log_p_caption).double() - lam * torch.as_tensor(log_p_lm).double()
    score = torch.where(torch.isfinite(score), score, torch.full_like(score, -torch.inf))
    return score.argmax(dim=-1)


class _CachedStep:
    """A beam-search step function that caches its recurrent state and consumes only the newest token."""

    def __init__(
        self,
        advance: Callable[[torch.Tensor, torch.Tensor, Any], tuple[torch.Tensor, Any]],
        reorder: Callable[[Any, torch.Tensor], Any],
    ) -> None:
        self.advance, self.reorder, self.state = advance, reorder, None

    def __call__(self, prefix: torch.Tensor, problem: torch.Tensor) -> torch.Tensor:
        logits, self.state = self.advance(prefix, problem, self.state)
        return torch.log_softmax(logits, -1)

    def select(self, idx: torch.Tensor) -> None:
        self.state = self.reorder(self.state, idx)


@dataclass(frozen=True)
class Descriptions:
    """One description per unit, with its caption and LM log-probabilities."""

    units: tuple[int, ...]
    texts: tuple[str, ...]
    log_p_caption: np.ndarray
    log_p_lm: np.ndarray
    layer: str = ""

    def __len__(self) -> int:
        return len(self.texts)

    def to_rows(self) -> list[dict[str, object]]:
        """Table rows ``{layer, unit, description, log_p_caption, log_p_lm}``."""
        return [
            {
                "layer": self.layer,
                "unit": u,
                "description": t,
                "log_p_caption": float(a),
                "log_p_lm": float(b),
            }
            for u, t, a, b in zip(self.units, self.texts, self.log_p_caption, self.log_p_lm, strict=True)
        ]

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the table as CSV (atomically)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["layer", "unit", "description", "log_p_caption", "log_p_lm"])
            w.writeheader()
            w.writerows(self.to_rows())
        os.replace(tmp, path)
        return path


class Milan:
    """MILAN describer: beam search under p(d|E) with PMI decoding ``log p(d|E) - lam log p(d)``.

    Parameters
    ----------
    captioner, lm, vocab : trained captioner p(d|E), language model p(d) and their vocabulary.
    encoder : exemplar encoder (needed by :meth:`describe` on :class:`Exemplars`).
    lam : PMI weight lambda (paper: 0.2; 0 is plain likelihood decoding).
    beam : beam width (paper: 50).
    strategy : ``"rerank"`` (beam search under p(d|E), rescore the final beam) or ``"mi"`` (per-token
        ``log p(w|..., E) - lam log p_LM(w|...)``).
    max_len : maximum description length in tokens (``<eos>`` included).
    """

    def __init__(
        self,
        captioner: Captioner,
        lm: LanguageModel,
        vocab: Vocabulary,
        encoder: MaskedPyramidEncoder | None = None,
        lam: float = 0.2,
        beam: int = 50,
        strategy: str = "rerank",
        max_len: int = 8,
    ) -> None:
        if strategy not in ("rerank", "mi"):
            raise ValueError(f"strategy must be 'rerank' or 'mi', got {strategy!r}")
        if not lam >= 0:
            raise ValueError(f"lam must be >= 0, got {lam!r}")
        if not isinstance(beam, int) or beam < 1:
            raise ValueError(f"beam must be a positive integer, got {beam!r}")
        if captioner.vocab_size != len(vocab) or lm.vocab_size != len(vocab):
            raise ValueError("captioner, lm and vocab must share one vocabulary size")
        self.captioner, self.lm, self.vocab, self.encoder = captioner, lm, vocab, encoder
        self.lam, self.beam, self.strategy, self.max_len = float(lam), beam, strategy, max_len

    def _cap_step(self, feats: torch.Tensor) -> _CachedStep:
        cap = self.captioner

        def advance(prefix: torch.Tensor, problem: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
            if state is None:
                f = feats[problem]
                hc = cap.init_state(f)
                for t in range(prefix.shape[1]):
                    logits, hc, _ = cap.step(prefix[:, t], hc, f)
                return logits, (hc, f)
            hc, f = state
            logits, hc, _ = cap.step(prefix[:, -1], hc, f)
            return logits, (hc, f)

        def reorder(state: Any, idx: torch.Tensor) -> Any:
            (h, c), f = state
            return (h[idx], c[idx]), f[idx]

        return _CachedStep(advance, reorder)

    def _lm_step(self) -> _CachedStep:
        lm = self.lm

        def advance(prefix: torch.Tensor, _problem: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
            if state is None:
                logits, hc = lm(prefix)
            else:
                logits, hc = lm(prefix[:, -1:], state)
            return logits[:, -1], hc

        def reorder(state: Any, idx: torch.Tensor) -> Any:
            h, c = state
            return h[:, idx].contiguous(), c[:, idx].contiguous()

        return _CachedStep(advance, reorder)

    @torch.no_grad()
    def caption_log_prob(self, feats: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """log p(d|E) [B] of padded token sequences ``tokens`` [B, T] given features [B, k, D]."""
        logits, _ = self.captioner(feats, tokens)
        lp = torch.log_softmax(logits, -1).gather(-1, tokens[:, 1:, None]).squeeze(-1)
        return (lp * (tokens[:, 1:] != self.vocab.pad)).sum(1)

    @torch.no_grad()
    def describe_features(self, feats: torch.Tensor, layer: str = "") -> Descriptions:
        """Describe units from their exemplar features [units, k, D]."""
        feats = torch.as_tensor(feats).float()
        if feats.ndim != 3 or feats.shape[2] != self.captioner.feature_dim:
            raise ValueError(
                f"feats must be [units, k, {self.captioner.feature_dim}], got shape {tuple(feats.shape)}"
            )
        self.captioner.eval()
        self.lm.eval()
        n = feats.shape[0]
        cap = self._cap_step(feats)
        v = self.vocab
        if self.strategy == "mi" and self.lam > 0:
            lm = self._lm_step()

            def step(prefix: torch.Tensor, problem: torch.Tensor) -> torch.Tensor:
                return cap(prefix, problem) - self.lam * lm(prefix, problem)

            def select(idx: torch.Tensor) -> None:
                cap.select(idx)
                lm.select(idx)

            seqs, _ = beam_search(step, n, self.beam, self.max_len, v.bos, v.eos, on_select=select)
        else:
            seqs, _ = beam_search(cap, n, self.beam, self.max_len, v.bos, v.eos, on_select=cap.select)
        b = seqs.shape[1]
        flat = seqs.reshape(n * b, -1).clone()
        is_eos = (flat == self.vocab.eos).long()
        flat[(is_eos.cumsum(1) - is_eos) > 0] = self.vocab.pad  # pad everything after the first <eos>
        rep = feats.repeat_interleave(b, dim=0)
        lp_cap = self.caption_log_prob(rep, flat).reshape(n, b).double()
        lp_lm = self.lm.log_prob(flat, pad=self.vocab.pad).reshape(n, b).double()
        # both strategies pick the final hypothesis by the full PMI score (rerank: the final beam of p(d|E))
        best = pmi_select(lp_cap, lp_lm, self.lam)
        ar = torch.arange(n)
        texts = tuple(self.vocab.decode(seqs[i, int(best[i])].tolist()) for i in range(n))
        return Descriptions(
            units=tuple(range(n)),
            texts=texts,
            log_p_caption=lp_cap[ar, best].numpy(),
            log_p_lm=lp_lm[ar, best].numpy(),
            layer=layer,
        )

    def describe(self, exemplars: Exemplars) -> Descriptions:
        """Describe every unit of ``exemplars`` (needs ``encoder`` and exemplar images)."""
        if not isinstance(exemplars, Exemplars):
            raise TypeError(f"exemplars must be milan.Exemplars, got {type(exemplars).__name__}")
        if self.encoder is None:
            raise ValueError("Milan.describe needs an encoder; pass encoder= or use describe_features")
        if exemplars.images is None:
            raise ValueError("exemplars.images is None; compute exemplars with keep_images=True")
        feats = self.encoder.encode_exemplars(exemplars.images, exemplars.masks)
        return self.describe_features(feats, layer=exemplars.layer)
