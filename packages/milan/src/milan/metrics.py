"""Description metrics: corpus BLEU (sacrebleu), token F1, and agreement with held-out annotators.

The paper scores descriptions against the human annotations of each unit and compares with how well annotators
agree with each other (the inter-annotator ceiling). :func:`inter_annotator_agreement` and
:func:`annotator_agreement` measure both on the same footing: leave one annotator out, score either that
annotator's description or the model's against the remaining annotators, average over the left-out annotator.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from sacrebleu.metrics.bleu import BLEU

from neurotypes.validation import check_int

__all__ = ["annotator_agreement", "bleu", "inter_annotator_agreement", "token_f1"]


def _check(hyps: Sequence[str], refs: Sequence[Sequence[str]]) -> None:
    if isinstance(hyps, str) or not isinstance(hyps, Sequence) or not all(isinstance(h, str) for h in hyps):
        raise TypeError("hyps must be a sequence of strings")
    if isinstance(refs, str) or not isinstance(refs, Sequence):
        raise TypeError("refs must be a sequence of lists of reference strings")
    if len(hyps) != len(refs) or len(hyps) == 0:
        raise ValueError(
            f"hyps and refs must be non-empty and of equal length, got {len(hyps)} and {len(refs)}"
        )
    for i, r in enumerate(refs):
        if isinstance(r, str) or not isinstance(r, Sequence) or len(r) == 0:
            raise ValueError(f"refs[{i}] must be a non-empty list of reference strings")
        if not all(isinstance(x, str) for x in r):
            raise TypeError(f"refs[{i}] must hold strings")


def bleu(hyps: Sequence[str], refs: Sequence[Sequence[str]], max_order: int = 4) -> float:
    """Corpus BLEU-``max_order`` in [0, 1] of ``hyps`` against a list of references per hypothesis (sacrebleu).

    Descriptions are short, so n-gram orders with no candidate n-grams in the whole corpus are skipped
    (sacrebleu's ``effective_order``); with at least one 4-gram in the corpus this is standard BLEU-4.

    Examples
    --------
    >>> bleu(["red circles"], [["red circles", "red things"]])
    1.0
    """
    _check(hyps, refs)
    max_order = check_int("max_order", max_order, minimum=1, maximum=8)
    n_ref = max(len(r) for r in refs)
    streams = [[r[j] if j < len(r) else r[0] for r in refs] for j in range(n_ref)]
    metric = BLEU(max_ngram_order=max_order, effective_order=True)
    return float(metric.corpus_score(list(hyps), streams).score) / 100.0


def token_f1(hyps: Sequence[str], refs: Sequence[Sequence[str]]) -> float:
    """Mean over hypotheses of the best bag-of-tokens F1 against any reference.

    Examples
    --------
    >>> token_f1(["red things"], [["red objects"]])
    0.5
    """
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


def _annotators(annotations: Sequence[Sequence[str]]) -> int:
    if isinstance(annotations, str) or not isinstance(annotations, Sequence) or len(annotations) == 0:
        raise TypeError("annotations must be a non-empty sequence of per-unit lists of descriptions")
    counts = set()
    for i, a in enumerate(annotations):
        if isinstance(a, str) or not isinstance(a, Sequence) or not all(isinstance(x, str) for x in a):
            raise TypeError(f"annotations[{i}] must be a list of description strings")
        counts.add(len(a))
    if len(counts) != 1:
        raise ValueError(f"every unit must have the same number of annotations, got {sorted(counts)}")
    m = counts.pop()
    if m < 2:
        raise ValueError(f"agreement needs at least 2 annotations per unit, got {m}")
    return m


def inter_annotator_agreement(annotations: Sequence[Sequence[str]], metric: str = "bleu") -> float:
    """The inter-annotator ceiling: each annotator's descriptions scored against the other annotators'.

    For each annotator position ``j``, the corpus score of ``[a[j] for a in annotations]`` against
    ``[a without a[j]]``; the mean over ``j``.

    Parameters
    ----------
    annotations : sequence of sequence of str
        The descriptions of each unit, the same number (>= 2) per unit.
    metric : {"bleu", "token_f1"}

    Returns
    -------
    float

    Examples
    --------
    >>> inter_annotator_agreement([["red", "red"], ["blue", "blue"]])
    1.0
    """
    m = _annotators(annotations)
    score = _metric(metric)
    return (
        sum(score([a[j] for a in annotations], [_without(a, j) for a in annotations]) for j in range(m)) / m
    )


def annotator_agreement(
    hyps: Sequence[str], annotations: Sequence[Sequence[str]], metric: str = "bleu"
) -> float:
    """A describer's agreement with annotators on the footing of :func:`inter_annotator_agreement`.

    For each annotator position ``j``, the corpus score of ``hyps`` against the annotations without ``a[j]``
    (the same reference sets the ceiling uses); the mean over ``j``.

    Parameters
    ----------
    hyps : sequence of str
        One description per unit.
    annotations : sequence of sequence of str
        The same number (>= 2) of annotations per unit.
    metric : {"bleu", "token_f1"}
    """
    m = _annotators(annotations)
    _check(hyps, annotations)
    score = _metric(metric)
    return sum(score(list(hyps), [_without(a, j) for a in annotations]) for j in range(m)) / m


def _without(items: Sequence[str], j: int) -> list[str]:
    return [x for i, x in enumerate(items) if i != j]


def _metric(name: object) -> Callable[[Sequence[str], Sequence[Sequence[str]]], float]:
    if name == "bleu":
        return bleu
    if name == "token_f1":
        return token_f1
    raise ValueError(f"metric must be 'bleu' or 'token_f1', got {name!r}")
