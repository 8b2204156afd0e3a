import copy

import numpy as np
import pytest
import torch

from milan import Captioner, LanguageModel, MaskedPyramidEncoder, Milan, ShapesBackbone, TargetCNN, Vocabulary
from milan.data import TEMPLATES, shapes_world
from milan.editing import accuracy, editing_experiment, mentions_text


def test_accuracy_by_hand():
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(2, 2, bias=False))
    with torch.no_grad():
        net[1].weight.copy_(torch.eye(2))
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]).reshape(4, 2, 1, 1)
    assert accuracy(net, x, np.array([0, 1, 1, 1])) == 0.75


def test_mentions_text():
    assert mentions_text("white text and letters") and mentions_text("Letters in the corner")
    assert not mentions_text("red circles") and not mentions_text("textures")


def test_ablation_equals_zeroing_the_units_weights():
    """Ablating conv3 channels (a forward hook) equals a copy of the net whose conv3 filters for them are zero."""
    torch.manual_seed(0)
    w = shapes_world(50, seed=5)
    net = TargetCNN(width=8).eval()
    units = [1, 4, 6]
    from milan import ablate_units

    with ablate_units(net, "features.relu3", units):
        hooked = accuracy(net, w.images, w.labels)
        with torch.no_grad():
            logits_hooked = net(torch.as_tensor(w.images))
    twin = copy.deepcopy(net)
    with torch.no_grad():
        twin.features.conv3.weight[units] = 0
        twin.features.conv3.bias[units] = 0
        logits_twin = twin(torch.as_tensor(w.images))
    torch.testing.assert_close(logits_hooked, logits_twin)
    assert hooked == accuracy(twin, w.images, w.labels)


def test_editing_experiment_reports_consistent_numbers():
    torch.manual_seed(0)
    vocab = Vocabulary.from_texts([t for ts in TEMPLATES.values() for t in ts])
    enc = MaskedPyramidEncoder(ShapesBackbone(width=4), ["stem", "stage1", "stage2", "stage3"])
    d = enc(torch.rand(1, 3, 32, 32), torch.ones(1, 32, 32)).shape[-1]
    # a describer whose bias makes "text" the likeliest first word: every unit is described as text
    cap = Captioner(d, len(vocab), 8, 16, 8).eval()
    with torch.no_grad():
        cap.out.bias.zero_()
        cap.out.bias[vocab.stoi["text"]] = 20.0
        cap.out.bias[vocab.eos] = 10.0
    lm = LanguageModel(len(vocab), 8, 16).eval()
    milan = Milan(cap, lm, vocab, encoder=enc, beam=2, max_len=3)
    r = editing_experiment(milan, seed=0, n_train=64, n_test=50, epochs=1, random_draws=2)
    assert r["n_units"] == 32 and len(r["descriptions"]) == 32
    assert r["text_units"] == list(range(32))  # all units ablated, so random ablation is the same set
    assert r["acc_text_ablated"] == pytest.approx(r["acc_random_ablated"])
    assert r["gain_points"] == pytest.approx(100 * (r["acc_text_ablated"] - r["acc_random_ablated"]))
