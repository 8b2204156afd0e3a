import pytest
from sacrebleu.metrics.bleu import BLEU

from milan.metrics import annotator_agreement, bleu, inter_annotator_agreement, token_f1

ANN = [["red", "red", "blue"], ["green", "green", "green"]]


def test_bleu_and_token_f1_hand_cases():
    assert bleu(["the red circles on the left"], [["the red circles on the left"]]) == pytest.approx(1.0)
    assert bleu(["red circles"], [["blue squares"]]) == pytest.approx(0.0)
    # hand computed: "red things" vs "red objects": precision 1/2, recall 1/2
    assert token_f1(["red things"], [["red objects", "blue"]]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="equal length"):
        bleu(["a"], [])
    with pytest.raises(TypeError, match="hyps must be a sequence of strings"):
        bleu("abc", [["a"]] * 3)


def test_bleu_equals_sacrebleu_with_reference_streams():
    hyps = ["red circles on the left", "blue squares", "objects"]
    refs = [
        ["red circles at left", "red things"],
        ["blue squares", "the blue squares"],
        ["objects", "shapes"],
    ]
    streams = [[r[0] for r in refs], [r[1] for r in refs]]
    expected = BLEU(effective_order=True).corpus_score(hyps, streams).score / 100
    assert bleu(hyps, refs) == pytest.approx(expected, abs=1e-12)


def test_inter_annotator_agreement_by_hand():
    # one-word descriptions: BLEU is unigram precision (effective order; no brevity penalty at equal lengths)
    # annotator 0 vs (1, 2): both match -> 1; annotator 1 vs (0, 2): 1; annotator 2 vs (0, 1): "blue" matches
    # neither "red", "green" matches -> 1/2.
    assert inter_annotator_agreement(ANN) == pytest.approx((1 + 1 + 0.5) / 3)
    assert inter_annotator_agreement(ANN, metric="token_f1") == pytest.approx((1 + 1 + 0.5) / 3)


def test_annotator_agreement_uses_the_ceilings_reference_sets():
    # "red"/"green" (what annotators 0 and 1 wrote) matches a remaining annotator whichever one is left out
    assert annotator_agreement(["red", "green"], ANN) == pytest.approx(1.0)
    # "blue" for unit 0 matches only annotator 2: j=0 and j=1 keep annotator 2 -> 1, j=2 drops it -> 1/2
    assert annotator_agreement(["blue", "green"], ANN) == pytest.approx((1 + 1 + 0.5) / 3)
    # an annotator's own descriptions, scored as a describer against every reference set, beat the ceiling
    assert annotator_agreement([a[2] for a in ANN], ANN) >= inter_annotator_agreement(ANN) - 1e-12


def test_agreement_bad_input():
    with pytest.raises(ValueError, match="at least 2 annotations"):
        inter_annotator_agreement([["a"], ["b"]])
    with pytest.raises(ValueError, match="same number of annotations"):
        inter_annotator_agreement([["a", "b"], ["c", "d", "e"]])
    with pytest.raises(ValueError, match="metric must be"):
        inter_annotator_agreement(ANN, metric="bertscore")
    with pytest.raises(ValueError, match="equal length"):
        annotator_agreement(["red"], ANN)
