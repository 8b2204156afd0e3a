"""Baselines the claims are measured against: the LIF-only SNN, a count n-gram table and a GPT-2 Transformer.

- :func:`lif_baseline`: the same network with the astrocyte switched off (equal parameter count): the control
  for "astrocytes help".
- :class:`NGramLM`: a count table of order n with add-α smoothing (numpy only): the floor any trained language
  model must clear (the issue that a "better" SNN was worse than a bigram table is measured with it).
- :func:`transformer_baseline`: a causal Transformer (GPT-2) built from a ``transformers`` config, no weights
  downloaded, whose parameter count is closest to a target. ``transformers`` is an optional extra
  (``pip install 'astrosnn[baselines]'``), imported only when a Transformer is built.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from astrosnn.model import AstroSNNLM, LMConfig
from neurotypes.validation import check_array, check_float, check_int

__all__ = [
    "BASELINES_EXTRA",
    "NGramLM",
    "TransformerLM",
    "cache_bytes",
    "gpt2_n_params",
    "lif_baseline",
    "transformer_baseline",
    "transformers_available",
]

#: The extra that brings the Transformer baseline's dependency.
BASELINES_EXTRA = "astrosnn[baselines]"


def lif_baseline(config: LMConfig, seed: int | None = None) -> AstroSNNLM:
    """The same network with the astrocyte switched off (``mod="none"``): same parameter count, LIF neurons.

    Parameters
    ----------
    config : LMConfig
        The AstroSNN configuration to copy.
    seed : int, optional
        Seed of the parameter initialisation.

    Returns
    -------
    AstroSNNLM
        A model whose AM-SU cells are plain LIF neurons (the astrocyte parameters exist but are unused).

    Examples
    --------
    >>> lif = lif_baseline(LMConfig(8, d_model=4, n_layers=1), seed=0)
    >>> lif.blocks[0].amsu.cell.mod
    'none'
    """
    if not isinstance(config, LMConfig):
        raise TypeError(f"config must be an LMConfig, got {type(config).__name__}")
    ck = dict(config.cell_kwargs)
    ck["mod"] = "none"
    c = LMConfig(config.vocab_size, config.d_model, config.n_layers, config.ffn_mult, config.max_len, ck)
    return AstroSNNLM(c, seed=seed)


# ------------------------------------------------------------------------------------------------- n-grams


class NGramLM:
    """Count n-gram language model with add-α (Lidstone) smoothing.

    ``P(y | ctx) = (count(ctx, y) + α) / (count(ctx) + α V)`` with ``ctx`` the previous ``order − 1`` tokens.

    Parameters
    ----------
    order : int
        n >= 1 (1: unigram, 2: bigram, ...); ``vocab**(order−1)`` contexts, at most 2**22.
    vocab : int
        Vocabulary size V >= 2.
    alpha : float or "holdout"
        The smoothing α > 0, or ``"holdout"``: the α of ``(0.01, 0.03, 0.1, 0.3, 1.0)`` with the lowest
        cross-entropy on the last 10 % of the training tokens (fitted on the first 90 %), then refitted on all.

    Examples
    --------
    >>> lm = NGramLM(2, 3, alpha=1.0).fit(np.array([0, 1, 0, 1, 0]))
    >>> float(lm.prob(np.array([0]), 1))  # (2 + 1) / (2 + 3)
    0.6
    """

    ALPHAS: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0)

    def __init__(self, order: int, vocab: int, alpha: float | str = "holdout") -> None:
        self.order = check_int("order", order, minimum=1)
        self.vocab = check_int("vocab", vocab, minimum=2)
        if self.vocab ** (self.order - 1) > 2**22:
            raise ValueError(
                f"vocab**(order-1) must be <= 2**22 contexts, got {self.vocab}**{self.order - 1}"
            )
        if isinstance(alpha, str):
            if alpha != "holdout":
                raise ValueError(f"alpha must be a number > 0 or 'holdout', got {alpha!r}")
            self.alpha: float | str = alpha
        else:
            self.alpha = check_float("alpha", alpha, positive=True)

    def _tokens(self, name: str, tokens: NDArray[np.integer] | list[int]) -> NDArray[np.int64]:
        arr = check_array(name, tokens, ndim=1, dtype="int", minimum=0, maximum=self.vocab - 1)
        if arr.size < self.order:
            raise ValueError(f"{name} must hold at least order={self.order} tokens, got {arr.size}")
        return arr

    def _contexts(self, tokens: NDArray[np.int64]) -> NDArray[np.int64]:
        """Context index of every target position ``order−1 .. len−1``."""
        n, v = self.order, self.vocab
        ctx = np.zeros(tokens.size - n + 1, dtype=np.int64)
        for i in range(n - 1):
            ctx = ctx * v + tokens[i : tokens.size - n + 1 + i]
        return ctx

    def _count(self, tokens: NDArray[np.int64]) -> NDArray[np.float64]:
        counts = np.zeros((self.vocab ** (self.order - 1), self.vocab))
        np.add.at(counts, (self._contexts(tokens), tokens[self.order - 1 :]), 1.0)
        return counts

    def fit(self, tokens: NDArray[np.integer] | list[int]) -> NGramLM:
        """Count the n-grams of a 1-D token stream (ids in ``[0, vocab)``); returns ``self``."""
        toks = self._tokens("tokens", tokens)
        if self.alpha == "holdout":
            cut = int(0.9 * toks.size)
            if cut < self.order or toks.size - cut < self.order:
                raise ValueError(
                    "tokens are too short to hold out 10% for choosing alpha; give alpha a number"
                )
            head = self._count(toks[:cut])
            scores = [self._ce(head, a, toks[cut:]) for a in self.ALPHAS]
            self.alpha_ = float(self.ALPHAS[int(np.argmin(scores))])
        else:
            self.alpha_ = float(self.alpha)
        self.counts_ = self._count(toks)
        return self

    def _ce(self, counts: NDArray[np.float64], alpha: float, tokens: NDArray[np.int64]) -> float:
        ctx = self._contexts(tokens)
        y = tokens[self.order - 1 :]
        p = (counts[ctx, y] + alpha) / (counts[ctx].sum(1) + alpha * self.vocab)
        return float(-np.log(p).mean())

    def prob(self, context: NDArray[np.integer] | list[int], token: int) -> float:
        """``P(token | context)`` with ``context`` the previous ``order − 1`` tokens."""
        self._check_fitted()
        ctx = check_array("context", context, ndim=1, dtype="int", minimum=0, maximum=self.vocab - 1)
        if ctx.size != self.order - 1:
            raise ValueError(f"context must hold order-1={self.order - 1} tokens, got {ctx.size}")
        token = check_int("token", token, minimum=0, maximum=self.vocab - 1)
        c = 0
        for t in ctx:
            c = c * self.vocab + int(t)
        row = self.counts_[c]
        return float((row[token] + self.alpha_) / (row.sum() + self.alpha_ * self.vocab))

    def token_nll(self, tokens: NDArray[np.integer] | list[int]) -> NDArray[np.float64]:
        """Negative log-probability (nats) of every token from position ``order − 1`` on, given its context."""
        self._check_fitted()
        toks = self._tokens("tokens", tokens)
        ctx = self._contexts(toks)
        y = toks[self.order - 1 :]
        row = self.counts_[ctx]
        p = (row[np.arange(y.size), y] + self.alpha_) / (row.sum(1) + self.alpha_ * self.vocab)
        out: NDArray[np.float64] = -np.log(p)
        return out

    def _check_fitted(self) -> None:
        if not hasattr(self, "counts_"):
            raise ValueError("this NGramLM is not fitted yet: call fit(tokens) first")


# --------------------------------------------------------------------------------------------- Transformer


def transformers_available() -> bool:
    """Whether the optional ``transformers`` dependency (extra ``astrosnn[baselines]``) can be imported."""
    try:
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


def _transformers() -> Any:
    try:
        import transformers
    except ImportError as exc:
        raise ImportError(
            f"the GPT-2 baseline needs transformers: pip install '{BASELINES_EXTRA}' ({exc})"
        ) from None
    return transformers


def gpt2_n_params(vocab_size: int, n_embd: int, n_layer: int, n_positions: int) -> int:
    """Closed-form parameter count of a tied GPT-2 LM: ``V e + P e + L (12 e² + 13 e) + 2 e``.

    Examples
    --------
    >>> gpt2_n_params(16, 8, 1, 32)
    1240
    """
    v = check_int("vocab_size", vocab_size, minimum=1)
    e = check_int("n_embd", n_embd, minimum=1)
    n_layer = check_int("n_layer", n_layer, minimum=1)
    p = check_int("n_positions", n_positions, minimum=1)
    return v * e + p * e + n_layer * (12 * e * e + 13 * e) + 2 * e


@functools.cache
def _cache_kw() -> str:
    import inspect

    gpt2 = _transformers().GPT2LMHeadModel
    # transformers 5 renamed ``past_key_values`` to ``cache``; accept both
    return "cache" if "cache" in inspect.signature(gpt2.forward).parameters else "past_key_values"


def _cache_of(out: Any) -> Any:
    return out.get("cache") if out.get("cache") is not None else out.get("past_key_values")


def cache_bytes(cache: Any) -> int:
    """Bytes held by the tensors of a Transformer's key/value cache (any nesting of tensors, lists, tuples,
    and cache objects exposing ``layers`` with ``keys``/``values`` or ``key_cache``/``value_cache``)."""
    seen: dict[int, int] = {}

    def walk(obj: Any, depth: int = 0) -> None:
        if depth > 8 or obj is None:
            return
        if isinstance(obj, torch.Tensor):
            st = obj.untyped_storage()
            seen[st.data_ptr()] = max(seen.get(st.data_ptr(), 0), st.nbytes())
        elif isinstance(obj, list | tuple):
            for x in obj:
                walk(x, depth + 1)
        else:
            for attr in ("layers", "key_cache", "value_cache", "keys", "values", "self_attention_cache"):
                if hasattr(obj, attr) and not callable(getattr(obj, attr)):
                    walk(getattr(obj, attr), depth + 1)

    walk(cache)
    return int(sum(seen.values()))


class TransformerLM(nn.Module):
    """A GPT-2 causal LM from a config, with the call signature of :class:`AstroSNNLM` (tokens → logits).

    Needs the optional extra ``astrosnn[baselines]`` (``transformers``); no weights are downloaded.

    Parameters
    ----------
    vocab_size, n_embd, n_layer, n_head, n_positions : int
        GPT-2 sizes (``n_embd`` a multiple of ``n_head``).
    seed : int, optional
        Seed of the initialisation.

    Raises
    ------
    ImportError
        ``transformers`` is not installed (the message names the extra).
    """

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
        vocab_size = check_int("vocab_size", vocab_size, minimum=1)
        n_embd = check_int("n_embd", n_embd, minimum=1)
        n_layer = check_int("n_layer", n_layer, minimum=1)
        n_head = check_int("n_head", n_head, minimum=1)
        n_positions = check_int("n_positions", n_positions, minimum=1)
        if n_embd % n_head:
            raise ValueError(f"n_embd must be a multiple of n_head={n_head}, got {n_embd}")
        tf = _transformers()
        cfg = tf.GPT2Config(
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
                torch.manual_seed(check_int("seed", seed, minimum=0))
            self.model = tf.GPT2LMHeadModel(cfg)
        self.max_len = n_positions
        self.vocab_size = vocab_size

    def n_params(self) -> int:
        """Number of trainable parameters (the tied embedding once)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def _check_tokens(self, tokens: object) -> torch.Tensor:
        if not isinstance(tokens, torch.Tensor):
            raise TypeError(f"tokens must be a torch.Tensor, got {type(tokens).__name__}")
        if tokens.dtype.is_floating_point or tokens.dtype == torch.bool or tokens.is_complex():
            raise TypeError(f"tokens must be an integer tensor, got {tokens.dtype}")
        if tokens.ndim != 2 or not 1 <= tokens.shape[1] <= self.max_len:
            raise ValueError(
                f"tokens must have shape [B, T] with 1 <= T <= {self.max_len}, got {tuple(tokens.shape)}"
            )
        if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= self.vocab_size):
            raise ValueError(f"tokens must lie in [0, vocab_size={self.vocab_size})")
        return tokens.long()

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Next-token logits [B, T, V] for ``tokens`` [B, T]."""
        out: torch.Tensor = self.model(input_ids=self._check_tokens(tokens)).logits
        return out

    @torch.no_grad()
    def prefill(self, tokens: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """Read ``tokens`` [B, T] with a key/value cache; returns the logits and the cache."""
        out = self.model(input_ids=self._check_tokens(tokens), use_cache=True)
        return out.logits, _cache_of(out)

    @torch.no_grad()
    def step(self, tokens: torch.Tensor, cache: Any) -> tuple[torch.Tensor, Any]:
        """One decoding step of ``tokens`` [B, 1] on top of ``cache``; returns the logits and the new cache."""
        out = self.model(input_ids=tokens, use_cache=True, **{_cache_kw(): cache})
        return out.logits, _cache_of(out)

    @torch.no_grad()
    def generate(
        self, prompt: torch.Tensor, n: int, temperature: float = 0.0, seed: int | None = None
    ) -> torch.Tensor:
        """Greedy (``temperature = 0``) or sampled continuation of ``prompt`` ([T] or [B, T]) by ``n`` tokens."""
        n = check_int("n", n, minimum=0)
        temperature = check_float("temperature", temperature, minimum=0.0)
        seed = 0 if seed is None else check_int("seed", seed, minimum=0)
        squeeze = isinstance(prompt, torch.Tensor) and prompt.ndim == 1
        toks = self._check_tokens(prompt[None] if squeeze else prompt)
        if toks.shape[1] + n > self.max_len:
            raise ValueError(f"prompt length {toks.shape[1]} + n={n} exceeds max_len {self.max_len}")
        gen = torch.Generator(device=toks.device)
        gen.manual_seed(seed)
        logits, past = self.prefill(toks)
        last = logits[:, -1]
        res = [toks]
        for _ in range(n):
            if temperature == 0:
                nxt = last.argmax(-1, keepdim=True)
            else:
                nxt = torch.multinomial(torch.softmax(last / temperature, -1), 1, generator=gen)
            res.append(nxt)
            logits, past = self.step(nxt, past)
            last = logits[:, -1]
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
    """GPT-2 style Transformer whose parameter count is closest to ``n_params`` (width a multiple of ``n_head``).

    Parameters
    ----------
    vocab_size : int
        Vocabulary size.
    n_params : int
        Target number of parameters (e.g. ``AstroSNNLM.n_params()``).
    n_layer, n_head, n_positions : int
        Depth, heads and the longest sequence (prompt plus generated tokens).
    seed : int, optional
        Seed of the initialisation.

    Returns
    -------
    TransformerLM

    Raises
    ------
    ImportError
        ``transformers`` is not installed: ``pip install 'astrosnn[baselines]'``.
    """
    vocab_size = check_int("vocab_size", vocab_size, minimum=1)
    n_params = check_int("n_params", n_params, minimum=1)
    n_layer = check_int("n_layer", n_layer, minimum=1)
    n_head = check_int("n_head", n_head, minimum=1)
    n_positions = check_int("n_positions", n_positions, minimum=1)
    widths = range(n_head, 4097, n_head)
    best = min(widths, key=lambda e: abs(gpt2_n_params(vocab_size, e, n_layer, n_positions) - n_params))
    return TransformerLM(vocab_size, best, n_layer, n_head, n_positions, seed=seed)
