import numpy as np
import pytest
import torch
import torch.nn.functional as F

from milan import Captioner, LanguageModel, MaskedPyramidEncoder, ShapesBackbone, Vocabulary
from milan.train import caption_loss


def test_vocabulary_roundtrip():
    v = Vocabulary.from_texts(["Red circles", "blue squares"])
    ids = v.encode("red circles")
    assert ids[0] == v.bos and ids[-1] == v.eos
    assert v.decode(ids) == "red circles"
    assert v.encode("green")[1] == v.unk
    b = v.batch(["red", "blue squares"])
    assert b.shape == (2, 4) and b[0, -1] == v.pad


def test_masked_pooling_matches_manual_weighted_mean():
    feats = torch.rand(2, 3, 4, 4)
    masks = torch.zeros(2, 4, 4)
    masks[0, 1:3, 1:3] = 1
    masks[1, 0, :] = 1
    pooled = MaskedPyramidEncoder.pool(feats, masks)
    for b in range(2):
        m = masks[b].bool()
        torch.testing.assert_close(pooled[b], feats[b][:, m].mean(dim=1))


def test_encoder_shapes_and_frozen_backbone():
    bb = ShapesBackbone(width=8)
    enc = MaskedPyramidEncoder(bb, ["stem", "stage1", "stage2", "stage3"])
    out = enc(torch.rand(5, 3, 32, 32), torch.rand(5, 32, 32) > 0.5)
    assert out.shape == (5, 3 + 4 + 8 + 16 + 16)
    assert not any(p.requires_grad for p in bb.parameters())
    ex = enc.encode_exemplars(
        np.random.default_rng(0).random((2, 3, 3, 32, 32), dtype=np.float32), np.ones((2, 3, 32, 32), bool)
    )
    assert ex.shape == (2, 3, out.shape[1])
    with pytest.raises(ValueError, match="does not exist"):
        MaskedPyramidEncoder(bb, ["layer9"])
    with pytest.raises(ValueError, match="images must be"):
        enc(torch.rand(5, 3, 32, 32), torch.rand(4, 32, 32))


def test_caption_loss_matches_manual():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 5)
    alphas = torch.softmax(torch.randn(2, 3, 4), -1)
    targets = torch.tensor([[2, 3, 0], [4, 2, 1]])
    ce = F.cross_entropy(logits[targets != 0], targets[targets != 0])
    reg = 0.0
    for b in range(2):
        keep = targets[b] != 0
        reg += ((1 - alphas[b][keep].sum(0)) ** 2).sum()
    torch.testing.assert_close(caption_loss(logits, alphas, targets), ce + reg / 2)


def test_captioner_attention_is_a_distribution_and_lm_log_prob_is_a_sum():
    torch.manual_seed(0)
    cap = Captioner(6, 9, embed_dim=4, hidden_dim=8, attention_dim=4).eval()
    logits, alphas = cap(torch.randn(2, 5, 6), torch.randint(0, 9, (2, 4)))
    assert logits.shape == (2, 3, 9)
    torch.testing.assert_close(alphas.sum(-1), torch.ones(2, 3))
    lm = LanguageModel(9, embed_dim=4, hidden_dim=8).eval()
    toks = torch.tensor([[1, 5, 6, 2]])
    with torch.no_grad():
        lp = torch.log_softmax(lm(toks[:, :-1])[0], -1)[0]
    manual = lp[0, 5] + lp[1, 6] + lp[2, 2]
    assert float(lm.log_prob(toks)) == pytest.approx(float(manual), abs=1e-5)
    # log p sums to <= 0 and probabilities over all 1-token continuations ending in <eos> sum to <= 1
    assert float(lm.log_prob(toks)) < 0
