"""Embedded corpora, tokenizers and loaders.

Nothing here downloads: WikiText/PTB/enwik8 cannot be fetched offline, so the defaults are generated or come from
the Python standard library, and :func:`load_text_file` reads raw corpora the user already has.

- :func:`markov_corpus`: an order-k Markov source with a seeded random transition table and its exact entropy
  rate (the bound no model can beat).
- :func:`copy_task`: a string of symbols to be reproduced after a lag of L tokens (memory retention).
- :func:`pydoc_corpus`: the stdlib ``pydoc_data.topics`` help text (PSF licence); its size changes between Python
  versions (464,970 characters, 103 distinct, on Python 3.11), so never pin its perplexity.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from neurotypes.validation import check_array, check_float, check_int, check_path, check_seed

__all__ = [
    "ByteTokenizer",
    "CharTokenizer",
    "CopyTask",
    "copy_task",
    "load_text_file",
    "markov_corpus",
    "markov_entropy_rate",
    "markov_table",
    "pydoc_corpus",
]


def markov_table(
    order: int = 2, vocab: int = 16, seed: int = 0, concentration: float = 1.0
) -> NDArray[np.float64]:
    """Transition table ``P[ctx, y]`` of shape [vocab**order, vocab], rows ~ Dirichlet(concentration · 1).

    The context index is ``Σ_i x_{t−order+1+i} · vocab**(order−1−i)`` (oldest token most significant).

    Parameters
    ----------
    order : int
        Markov order k >= 1.
    vocab : int
        Alphabet size V >= 2 (``vocab**order`` contexts, at most 2**22).
    seed : int
        Seed of the table (>= 0).
    concentration : float
        Dirichlet concentration c > 0 of every row.

    Returns
    -------
    numpy.ndarray
        [vocab**order, vocab], rows summing to 1.

    Examples
    --------
    >>> markov_table(1, 3, seed=0).shape
    (3, 3)
    """
    order = check_int("order", order, minimum=1)
    vocab = check_int("vocab", vocab, minimum=2)
    seed = check_seed("seed", seed)
    concentration = check_float("concentration", concentration, positive=True)
    if vocab**order > 2**22:
        raise ValueError(f"vocab**order must be <= 2**22 contexts, got {vocab}**{order}")
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.full(vocab, float(concentration)), size=vocab**order)


def markov_entropy_rate(
    table: NDArray[np.float64], order: int, tol: float = 1e-14, max_iter: int = 100_000
) -> tuple[float, NDArray[np.float64]]:
    """Exact entropy rate ``H = Σ_ctx π(ctx) · H(P(· | ctx))`` in nats, and the stationary π over contexts.

    π is found by power iteration on the chain over the ``vocab**order`` contexts.

    Parameters
    ----------
    table : array_like
        Transition table [vocab**order, vocab] (see :func:`markov_table`); rows are probability vectors.
    order : int
        Markov order k >= 1.
    tol : float
        Convergence tolerance of the power iteration (L1 change of π), > 0.
    max_iter : int
        Most power-iteration steps.

    Returns
    -------
    (float, numpy.ndarray)
        H in nats per token and π [vocab**order].

    Raises
    ------
    ValueError
        A table whose shape does not match ``order``, with negative entries or rows that do not sum to 1.

    Examples
    --------
    >>> h, pi = markov_entropy_rate(np.array([[0.5, 0.5], [0.5, 0.5]]), 1)
    >>> round(h, 6) == round(float(np.log(2)), 6)
    True
    """
    table = check_array("table", table, ndim=2, nonnegative=True)
    order = check_int("order", order, minimum=1)
    tol = check_float("tol", tol, positive=True)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    if not np.allclose(table.sum(1), 1.0, atol=1e-9):
        raise ValueError("table rows must sum to 1 (each row a probability vector)")
    n_ctx, vocab = table.shape
    if n_ctx != vocab**order:
        raise ValueError(f"table must have vocab**order = {vocab**order} rows, got {n_ctx}")
    nxt = (np.arange(n_ctx)[:, None] * vocab) % n_ctx + np.arange(vocab)[None, :]
    pi = np.full(n_ctx, 1.0 / n_ctx)
    for _ in range(max_iter):
        new = np.bincount(nxt.ravel(), weights=(pi[:, None] * table).ravel(), minlength=n_ctx)
        if np.abs(new - pi).sum() < tol:
            pi = new
            break
        pi = new
    with np.errstate(divide="ignore", invalid="ignore"):
        row_h = -np.where(table > 0, table * np.log(table), 0.0).sum(1)
    return float(pi @ row_h), pi


def markov_corpus(
    order: int = 2, vocab: int = 16, n_tokens: int = 200_000, seed: int = 0, concentration: float = 1.0
) -> tuple[NDArray[np.int64], float]:
    """Sample an order-k Markov source; returns (tokens [n_tokens], exact entropy rate H in nats/token).

    The transition rows are Dirichlet(concentration · 1) draws (``concentration = 1``: uniform on the simplex);
    the first context is drawn from the stationary distribution, so the sample is stationary from the start.
    No model can beat H on this source: it is the falsifiable bound of the language-modelling claim.

    Parameters
    ----------
    order, vocab, seed, concentration
        As :func:`markov_table`.
    n_tokens : int
        Length of the sample (>= 1).

    Returns
    -------
    (numpy.ndarray, float)
        Tokens (int64, in ``[0, vocab)``) and H in nats per token.

    Examples
    --------
    >>> toks, h = markov_corpus(order=1, vocab=4, n_tokens=10, seed=0)
    >>> toks.shape, 0 < h < np.log(4)
    ((10,), True)
    """
    n_tokens = check_int("n_tokens", n_tokens, minimum=1)
    table = markov_table(order, vocab, seed, concentration)
    h, pi = markov_entropy_rate(table, order)
    rng = np.random.default_rng([seed, 1])
    cdf = np.cumsum(table, 1)
    cdf[:, -1] = 1.0
    n_ctx = vocab**order
    ctx = int(rng.choice(n_ctx, p=pi / pi.sum()))
    first = [(ctx // vocab ** (order - 1 - i)) % vocab for i in range(order)]
    out = np.empty(n_tokens + order, dtype=np.int64)
    out[:order] = first
    u = rng.random(n_tokens)
    for t in range(n_tokens):
        y = int(np.searchsorted(cdf[ctx], u[t], side="right"))
        out[order + t] = y
        ctx = (ctx * vocab) % n_ctx + y
    return out[order:], h


@dataclass(frozen=True)
class CopyTask:
    """Delayed-copy sequences.

    ``tokens`` [n_seq, lag + string_len]: symbols at positions ``0..K−1``, the separator at ``K``, blanks up to
    ``lag − 1``, and the copy of the string at ``lag..lag + K − 1``. ``target_mask`` [n_seq, lag + string_len − 1]
    marks the next-token targets (``tokens[:, 1:]``) that are copy tokens: the positions that score.
    """

    tokens: NDArray[np.int64]
    target_mask: NDArray[np.bool_]
    lag: int
    n_sym: int
    string_len: int

    @property
    def vocab_size(self) -> int:
        """Symbols plus separator and blank."""
        return self.n_sym + 2

    @property
    def chance(self) -> float:
        return 1.0 / self.n_sym


def copy_task(L: int = 32, n_sym: int = 8, seed: int = 0, n_seq: int = 1024, string_len: int = 1) -> CopyTask:
    """Delayed-copy task: a random string, a separator, and the same string again ``L`` tokens later.

    Only a model whose memory lasts longer than ``L`` steps can predict the copy; chance accuracy is ``1/n_sym``.
    Tokens ``0..n_sym−1`` are symbols, ``n_sym`` the separator and ``n_sym + 1`` the blank.
    The default ``string_len = 1`` isolates retention over the lag (longer strings also need order information).
    """
    L = check_int("L", L, minimum=2)
    n_sym = check_int("n_sym", n_sym, minimum=2)
    seed = check_seed("seed", seed)
    n_seq = check_int("n_seq", n_seq, minimum=1)
    string_len = check_int("string_len", string_len, minimum=1)
    if string_len >= L:
        raise ValueError(f"L must be >= string_len + 1 = {string_len + 1} (room for the separator), got {L}")
    rng = np.random.default_rng(seed)
    k = string_len
    tok = np.full((n_seq, L + k), n_sym + 1, dtype=np.int64)
    sym = rng.integers(0, n_sym, size=(n_seq, k))
    tok[:, :k] = sym
    tok[:, k] = n_sym
    tok[:, L : L + k] = sym
    mask = np.zeros((n_seq, L + k - 1), dtype=bool)
    mask[:, L - 1 : L + k - 1] = True
    return CopyTask(tok, mask, L, n_sym, k)


def pydoc_corpus() -> str:
    """The standard library's ``pydoc_data.topics`` help text, topics joined in sorted order (PSF licence)."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[k] for k in sorted(topics))


class CharTokenizer:
    """Character-level tokenizer whose vocabulary is the sorted set of characters of a text.

    Examples
    --------
    >>> tok = CharTokenizer("abca")
    >>> tok.encode("cab").tolist(), tok.decode([2, 0, 1])
    ([2, 0, 1], 'cab')
    """

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not text:
            raise ValueError("text must be non-empty to build a character vocabulary")
        self.chars: tuple[str, ...] = tuple(sorted(set(text)))
        self._index = {c: i for i, c in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> NDArray[np.int64]:
        """Token ids of ``text``; characters outside the vocabulary raise ``ValueError``."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        try:
            return np.fromiter((self._index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as err:
            raise ValueError(f"text contains a character outside the vocabulary: {err.args[0]!r}") from None

    def decode(self, ids: NDArray[np.integer] | list[int]) -> str:
        """The text of token ids ``ids`` (1-D integers in ``[0, vocab_size)``)."""
        arr = check_array("ids", ids, ndim=1, dtype="int", minimum=0, maximum=self.vocab_size - 1)
        return "".join(self.chars[i] for i in arr.tolist())


class ByteTokenizer:
    """Byte-level tokenizer: UTF-8 bytes, vocabulary 256.

    Examples
    --------
    >>> ByteTokenizer().decode(ByteTokenizer().encode("é"))
    'é'
    """

    vocab_size = 256

    def encode(self, text: str) -> NDArray[np.int64]:
        """The UTF-8 bytes of ``text`` as int64 ids."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)

    def decode(self, ids: NDArray[np.integer] | list[int]) -> str:
        """The text of byte ids ``ids`` (1-D integers in ``[0, 256)``; invalid UTF-8 becomes U+FFFD)."""
        arr = check_array("ids", ids, ndim=1, dtype="int", minimum=0, maximum=255)
        return arr.astype(np.uint8).tobytes().decode("utf-8", errors="replace")


def load_text_file(path: str | os.PathLike[str], encoding: str = "utf-8", min_chars: int = 2) -> str:
    """Read a plain-text corpus the user has locally (e.g. WikiText/PTB/enwik8 raw files).

    Parameters
    ----------
    path : str or path-like
        The text file.
    encoding : str
        Its encoding (default UTF-8; decoding errors are refused, never replaced).
    min_chars : int
        Fewest characters accepted (>= 1).

    Returns
    -------
    str
        The whole text.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        ``path`` is a folder, or the file is not valid text in ``encoding`` (e.g. a binary file), or it is shorter
        than ``min_chars``; the message names the file.
    """
    p = check_path("path", path)
    if not isinstance(encoding, str):
        raise TypeError(f"encoding must be a str, got {type(encoding).__name__}")
    min_chars = check_int("min_chars", min_chars, minimum=1)
    try:
        text = p.read_text(encoding=encoding)
    except (UnicodeDecodeError, LookupError) as err:
        raise ValueError(f"file {str(p)!r} is not valid {encoding} text: {err}") from None
    if "\x00" in text:
        raise ValueError(f"file {str(p)!r} holds NUL characters: it looks binary, not text")
    if len(text) < min_chars:
        raise ValueError(f"file {str(p)!r} is empty or shorter than min_chars={min_chars} characters")
    return text
