"""Description metrics: corpus BLEU (sacrebleu) and token F1."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sacrebleu.metrics.bleu import BLEU

__all__ = ["bleu", "token_f1"]


def _check(hyps: Sequence[str], refs: Sequence[Sequence[str]]) -> None:
    if isinstance(hyps, str) or not all(isinstance(h, str) for h in hyps):
        raise TypeError("hyps must be a sequence of strings")
    if len(hyps) != len(refs) or len(hyps) == 0:
        raise ValueError(
            f"hyps and refs must be non-empty and of equal length, got {len(hyps)} and {len(refs)}"
        )
    for r in refs:
        if isinstance(r, str) or len(r) == 0:
            raise ValueError("refs must hold a non-empty list of reference strings per hypothesis")


def bleu(hyps: Sequence[str], refs: Sequence[Sequence[str]], max_order: int = 4) -> float:
    """Corpus BLEU-``max_order`` in [0, 1] of ``hyps`` against a list of references per hypothesis (sacrebleu).

    Descriptions are short, so n-gram orders with no candidate n-grams in the whole corpus are skipped
    (sacrebleu's ``effective_order``); with at least one 4-gram in the corpus this is standard BLEU-4.
    """
    _check(hyps, refs)
    n_ref = max(len(r) for r in refs)
    streams = [[r[j] if j < len(r) else r[0] for r in refs] for j in range(n_ref)]
    metric = BLEU(max_ngram_order=max_order, effective_order=True)
    return float(metric.corpus_score(list(hyps), streams).score) / 100.0


def token_f1(hyps: Sequence[str], refs: Sequence[Sequence[str]]) -> float:
    """Mean over hypotheses of the best bag-of-tokens F1 against any reference."""
    _check(hyps, refs)
    total = 0.0
    for h, rs in zip(hyps, refs, strict=True):
        hc = Counter(h.lower().split())
        best = 0.0
        for r in rs:
            rc = Counter(r.lower().split())
            common = sum((hc & rc).values())
            if common:
                p, rr = common / sum(hc.values()), common / sum(rc.values())
                best = max(best, 2 * p * rr / (p + rr))
        total += best
    return total / len(hyps)
