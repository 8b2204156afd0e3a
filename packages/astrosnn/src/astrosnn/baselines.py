"""Baselines at equal parameter count: the LIF-only SNN and a small causal Transformer (GPT-2 style).

The Transformer is built from a ``transformers.GPT2Config`` (no weights are downloaded); its width is the
multiple of ``n_head`` whose parameter count is closest to the target.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from astrosnn.model import AstroSNNLM, LMConfig

__all__ = ["TransformerLM", "gpt2_n_params", "lif_baseline", "transformer_baseline"]


def lif_baseline(config: LMConfig, seed: int | None = None) -> AstroSNNLM:
    """The same network with the astrocyte switched off (``mod="none"``): same parameter count, LIF neurons."""
    ck = dict(config.cell_kwargs)
    ck["mod"] = "none"
    c = LMConfig(config.vocab_size, config.d_model, config.n_layers, config.ffn_mult, config.max_len, ck)
    return AstroSNNLM(c, seed=seed)


def gpt2_n_params(vocab_size: int, n_embd: int, n_layer: int, n_positions: int) -> int:
    """Closed-form parameter count of a tied GPT-2 LM: ``V e + P e + L (12 e² + 13 e) + 2 e``."""
    e = n_embd
    return vocab_size * e + n_positions * e + n_layer * (12 * e * e + 13 * e) + 2 * e


def _cache_kw() -> str:
    import inspect

    from transformers import GPT2LMHeadModel

    # transformers 5 renamed ``past_key_values`` to ``cache``; accept both
    return "cache" if "cache" in inspect.signature(GPT2LMHeadModel.forward).parameters else "past_key_values"


_CACHE_KW = _cache_kw()


def _cache_of(out: Any) -> Any:
    return out.get("cache") if out.get("cache") is not None else out.get("past_key_values")


class TransformerLM(nn.Module):
    """A GPT-2 causal LM from a config, with the same call signature as :class:`AstroSNNLM` (tokens → logits)."""

    def __init__(
        self,
        vocab_size: int,
        n_embd: int,
        n_layer: int,
        n_head: int,
        n_positions: int,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        from transformers import GPT2Config, GPT2LMHeadModel

        cfg = GPT2Config(
            vocab_size=vocab_size,
            n_positions=n_positions,
            n_embd=n_embd,
            n_layer=n_layer,
            n_head=n_head,
            resid_pdrop=0.0,
            embd_pdrop=0.0,
            attn_pdrop=0.0,
            bos_token_id=0,
            eos_token_id=0,
            tie_word_embeddings=True,
        )
        with torch.random.fork_rng():
            if seed is not None:
                torch.manual_seed(seed)
            self.model = GPT2LMHeadModel(cfg)
        self.max_len = n_positions
        self.vocab_size = vocab_size

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.ndim != 2 or tokens.shape[1] > self.max_len:
            raise ValueError(
                f"tokens must have shape [B, T] with T <= {self.max_len}, got {tuple(tokens.shape)}"
            )
        out: torch.Tensor = self.model(input_ids=tokens.long()).logits
        return out

    @torch.no_grad()
    def generate(
        self, prompt: torch.Tensor, n: int, temperature: float = 0.0, seed: int | None = None
    ) -> torch.Tensor:
        """Greedy (``temperature = 0``) or sampled continuation with a key/value cache."""
        squeeze = prompt.ndim == 1
        toks = (prompt[None] if squeeze else prompt).long()
        if toks.shape[1] + n > self.max_len:
            raise ValueError(f"prompt length {toks.shape[1]} + n={n} exceeds max_len {self.max_len}")
        gen = torch.Generator(device=toks.device)
        gen.manual_seed(0 if seed is None else seed)
        out = self.model(input_ids=toks, use_cache=True)
        past: Any = _cache_of(out)
        last = out.logits[:, -1]
        res = [toks]
        for _ in range(n):
            if temperature == 0:
                nxt = last.argmax(-1, keepdim=True)
            else:
                nxt = torch.multinomial(torch.softmax(last / temperature, -1), 1, generator=gen)
            res.append(nxt)
            out = self.model(input_ids=nxt, use_cache=True, **{_CACHE_KW: past})
            past, last = _cache_of(out), out.logits[:, -1]
        r = torch.cat(res, 1)
        return r[0] if squeeze else r


def transformer_baseline(
    vocab_size: int,
    n_params: int,
    n_layer: int = 2,
    n_head: int = 4,
    n_positions: int = 256,
    seed: int | None = None,
) -> TransformerLM:
    """GPT-2 style Transformer whose parameter count is closest to ``n_params`` (width a multiple of ``n_head``)."""
    if n_params < 1:
        raise ValueError(f"n_params must be >= 1, got {n_params}")
    widths = range(n_head, 4097, n_head)
    best = min(widths, key=lambda e: abs(gpt2_n_params(vocab_size, e, n_layer, n_positions) - n_params))
    return TransformerLM(vocab_size, best, n_layer, n_head, n_positions, seed=seed)
