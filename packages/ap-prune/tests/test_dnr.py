from fractions import Fraction

import pytest
import torch
from torch import nn

from ap_prune import DNRTracker, dead_neuron_rate, pooled_rate


def _spec_net() -> nn.Sequential:
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))
        net[0].bias.zero_()
    return net


X = torch.tensor([[1.0, 1.0], [-1.0, 2.0], [2.0, -3.0]], dtype=torch.float64)


def test_dnr_exact_hand_case():
    # spec test 1: ReLU outputs [1,1,0], [0,2,0], [2,0,1] -> zeros 1, 2, 1 -> (1 + 2 + 1) / 9
    net = _spec_net().double()
    assert dead_neuron_rate(net, X) == pytest.approx(float(Fraction(4, 9)), abs=1e-12)
    per_unit = dead_neuron_rate(net, X, by_layer=True)
    assert per_unit == {"1": pytest.approx(4 / 9, abs=1e-12)}


def test_dnr_loader_batches_pool_like_one_pass():
    net = _spec_net().double()
    loader = [(X[:2], torch.zeros(2)), (X[2:], torch.zeros(1))]  # unequal batches
    assert dead_neuron_rate(net, loader) == pytest.approx(4 / 9, abs=1e-12)


def test_dnr_static_restores_training_flag_and_ignores_grad():
    net = _spec_net().double().train()
    dead_neuron_rate(net, X)
    assert net.training


def test_tracker_epoch_and_cycle_means_against_brute_force():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 4), nn.ReLU(), nn.Linear(4, 2))
    tracker = DNRTracker(net)
    epochs = [[torch.randn(6, 5), torch.randn(3, 5)], [torch.randn(4, 5)]]
    expected = []
    for batches in epochs:
        zeros, count = 0, 0
        for x in batches:
            h1 = torch.relu(net[0](x))
            h2 = torch.relu(net[2](h1))
            zeros += int((h1 == 0).sum()) + int((h2 == 0).sum())
            count += x.shape[0] * (7 + 4)
            net(x)
        expected.append(zeros / count)
        assert tracker.epoch_mean() == pytest.approx(expected[-1], abs=1e-12)
        assert tracker.end_epoch() == pytest.approx(expected[-1], abs=1e-12)
    assert tracker.epoch_rates() == pytest.approx(expected, abs=1e-12)
    # dynamic DNR of the cycle: mean over epochs (each epoch weighs the same)
    assert tracker.cycle_mean() == pytest.approx(sum(expected) / 2, abs=1e-12)
    tracker.reset()
    assert tracker.n_epochs == 0
    tracker.remove()
    net(torch.randn(2, 5))
    with pytest.raises(ValueError, match="no training forward pass"):
        tracker.epoch_mean()


def test_tracker_ignores_eval_passes_by_default():
    net = _spec_net()
    tracker = DNRTracker(net)
    net.eval()
    net(X.float())
    with pytest.raises(ValueError, match="train_only"):
        tracker.epoch_mean()
    net.train()
    net(X.float())
    assert tracker.epoch_mean() == pytest.approx(4 / 9)


def test_conv_per_element_and_per_channel_against_brute_force():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU())
    x = torch.randn(5, 1, 4, 4)
    out = net(x)
    elem = float((out == 0).double().mean())
    chan = float((out == 0).flatten(2).all(-1).double().mean())
    assert dead_neuron_rate(net, x, per="element") == pytest.approx(elem, abs=1e-12)
    assert dead_neuron_rate(net, x, per="channel") == pytest.approx(chan, abs=1e-12)
    # a channel whose bias is very negative is dead everywhere -> counted as dead in both views
    with torch.no_grad():
        net[0].bias[0] = -100.0
    assert dead_neuron_rate(net, x, per="channel") >= 1 / 3


def test_pooled_rate_exclude():
    rates = {"a": torch.tensor([1.0, 0.5, 0.0]), "b": torch.tensor([0.25])}
    assert pooled_rate(rates) == pytest.approx(1.75 / 4)
    assert pooled_rate(rates, {"a": torch.tensor([True, False, False])}) == pytest.approx(0.75 / 3)
    with pytest.raises(ValueError, match="exclude"):
        pooled_rate(rates, {"a": torch.tensor([True])})


def test_dnr_bad_input():
    with pytest.raises(ValueError, match=r"no nn\.ReLU modules"):
        dead_neuron_rate(nn.Linear(2, 2), X.float())
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module"):
        DNRTracker("not a model")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="per must be"):
        DNRTracker(_spec_net(), per="neuron")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no module named 'x'"):
        DNRTracker(_spec_net(), layers=["x"])
    with pytest.raises(ValueError, match="yielded no batches"):
        dead_neuron_rate(_spec_net(), [])
    with pytest.raises(ValueError, match="no finished epoch"):
        DNRTracker(_spec_net()).cycle_mean()
