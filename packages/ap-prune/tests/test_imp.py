import itertools

import pytest
import torch
from torch import nn

from ap_prune import (
    ActivateWhilePruning,
    BaselinePruner,
    DNRTracker,
    effective_weight,
    imp_cycle,
    n_alive,
    prunable_layers,
    rewind_to,
    sparsity_summary,
    weight_mask,
)
from ap_prune.models import MLP


def _plain_train_fn(tracker=None, log=None):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 6, generator=gen)
    y = (x[:, 0] > 0).long()

    def train_fn(model, r):
        if log is not None:
            log.append({n: effective_weight(m).clone() for n, m in prunable_layers(model).items()})
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _epoch in range(2):
            for i in range(0, 64, 16):
                opt.zero_grad()
                nn.functional.cross_entropy(model(x[i : i + 16]), y[i : i + 16]).backward()
                opt.step()
            if tracker is not None:
                tracker.end_epoch()
        with torch.no_grad():
            return {"loss": float(nn.functional.cross_entropy(model(x), y))}

    return train_fn


@pytest.mark.parametrize("use_ap", [False, True])
def test_imp_cycle_rewinds_to_init_under_masks(use_ap):
    model = MLP((6, 12, 12, 2), seed=0)
    init = {n: m.weight.detach().clone() for n, m in prunable_layers(model).items()}
    init_bias = {n: m.bias.detach().clone() for n, m in prunable_layers(model).items()}
    tracker = DNRTracker(model)
    starts: list[dict[str, torch.Tensor]] = []
    pruner = ActivateWhilePruning(p=0.2, p_ap=0.02) if use_ap else BaselinePruner(p=0.2)
    hist = imp_cycle(model, _plain_train_fn(tracker, starts), rounds=4, pruner=pruner, tracker=tracker)
    assert [h.round for h in hist] == [0, 1, 2, 3]
    assert hist[-1].step is None and all(h.step is not None for h in hist[:-1])
    assert hist[0].density == 1.0
    for a, b in itertools.pairwise(hist):
        assert b.density < a.density
    # every round starts from the initial weights times the current mask (lottery-ticket rewinding)
    for r in range(1, 4):
        for n, w in starts[r].items():
            alive = weight_mask(prunable_layers(model)[n]) if r == 3 else w != 0
            assert int(alive.sum()) < w.numel()
            assert torch.equal(w[alive], init[n][alive])
    for n, m in prunable_layers(model).items():
        assert torch.equal(effective_weight(m), effective_weight(m) * weight_mask(m))
        # biases were rewound at the start of the last round and trained after it
        assert m.bias.shape == init_bias[n].shape
    assert all(0.0 <= h.dnr <= 1.0 for h in hist)
    assert tracker.n_epochs == 2


def test_imp_cycle_fine_tune_keeps_trained_weights():
    model = MLP((6, 8, 2), seed=1)
    starts: list[dict[str, torch.Tensor]] = []
    hist = imp_cycle(
        model, _plain_train_fn(log=starts), rounds=2, pruner=BaselinePruner(p=0.5), rewind="none"
    )
    assert len(hist) == 2
    # round 1 starts from the trained, pruned weights of round 0, not from init
    init = MLP((6, 8, 2), seed=1)
    assert not torch.equal(starts[1]["0"], init[0].weight.detach() * (starts[1]["0"] != 0))
    assert n_alive(model) == 6 * 8 + 8 * 2 - 32


def test_structural_deaths_excluded_from_dnr_alive():
    model = MLP((3, 4, 2), seed=0)
    with torch.no_grad():
        model[0].weight[0] = 0.0
        model[0].bias[0] = -1.0  # unit 0 will be structurally dead and always 0
    from torch.nn.utils import prune

    keep = torch.ones(4, 3, dtype=torch.bool)
    keep[0] = False
    prune.custom_from_mask(model[0], "weight", keep)
    tracker = DNRTracker(model)
    x = torch.randn(20, 3)
    model(x)
    tracker.end_epoch()
    s = sparsity_summary(model, tracker, unit_map=model.unit_map())
    assert s.structural_deaths == {"0": 1, "2": 0}
    h = torch.relu(model[0](x))
    assert s.dnr == pytest.approx(float((h == 0).double().mean()))
    assert s.dnr_alive == pytest.approx(float((h[:, 1:] == 0).double().mean()))


def test_rewind_and_imp_cycle_bad_input():
    model = MLP((3, 4, 2))
    with pytest.raises(ValueError, match="rounds must be an int >= 1"):
        imp_cycle(model, _plain_train_fn(), rounds=0, pruner=BaselinePruner())
    with pytest.raises(TypeError, match="pruner must have a prune"):
        imp_cycle(model, _plain_train_fn(), rounds=1, pruner=None)
    with pytest.raises(ValueError, match="rewind must be"):
        imp_cycle(model, _plain_train_fn(), rounds=1, pruner=BaselinePruner(), rewind="late")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no prunable layers"):
        imp_cycle(nn.Sequential(nn.ReLU()), _plain_train_fn(), rounds=1, pruner=BaselinePruner())
    with pytest.raises(ValueError, match="rewind state has no entry"):
        rewind_to(model, {})


def test_imp_cycle_on_cnn_with_lightning_and_channel_dnr():
    from ap_prune.data import digits
    from ap_prune.models import SmallCNN
    from ap_prune.train import make_train_fn

    split = digits(images=True)
    model = SmallCNN(seed=0)
    tracker = DNRTracker(model, per="channel")
    fn = make_train_fn(split, epochs=1, tracker=tracker, seed=0)
    hist = imp_cycle(
        model, fn, rounds=2, pruner=ActivateWhilePruning(), tracker=tracker, unit_map=model.unit_map()
    )
    assert hist[1].density == pytest.approx(0.8, abs=1e-3)
    assert hist[0].step.n_ap == hist[0].step.k_ap > 0
    for h in hist:
        assert 0.0 <= h.dnr <= 1.0
        assert h.summary.dnr_alive == pytest.approx(h.dnr)  # no structural death at density 0.8
        assert set(h.summary.dnr_by_layer) == {"relu1", "relu2"}
    assert h.metrics["test_acc"] > 0.5
