import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils import prune

from ap_prune import (
    ActivateWhilePruning,
    BaselinePruner,
    ap_select,
    apply_prune_mask,
    density,
    effective_weight,
    global_magnitude,
    n_alive,
    prunable_layers,
    snapshot_weights,
    structurally_dead_units,
    weight_mask,
)
from ap_prune.models import MLP, SmallCNN


def _flat_selected(mask) -> list[int]:
    return torch.cat([m.reshape(-1) for m in mask.values()]).nonzero().reshape(-1).tolist()


def test_ap_select_spec_case():
    # spec test 2: w = [-0.5, -0.1, 0.3, -0.2], dw = [0.01, 0.5, 0.0, 0.02], k = 2 -> {0, 3}
    lin = nn.Linear(4, 1, bias=False)
    w = torch.tensor([[-0.5, -0.1, 0.3, -0.2]])
    dw = torch.tensor([[0.01, 0.5, 0.0, 0.02]])
    with torch.no_grad():
        lin.weight.copy_(w)
    sel = ap_select(lin, {"": w - dw}, k=2)
    assert _flat_selected(sel) == [0, 3]
    # the positive weight with dw = 0 is never pruned, whatever the budget
    sel3 = ap_select(lin, {"": w - dw}, k=4)
    assert _flat_selected(sel3) == [0, 1, 3]


def _model_with_dead_units() -> tuple[nn.Sequential, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(10, 40), nn.ReLU(), nn.Linear(40, 3))
    with torch.no_grad():
        net[0].bias[:30] = -50.0  # 30 dead units: their incoming weights get zero gradient
    w_start = snapshot_weights(net)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(5):
        x, y = torch.randn(32, 10), torch.randint(0, 3, (32,))
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    return net, w_start


def test_exact_budget_with_ties():
    # spec test 3: many |dw| exactly 0; a threshold at the k-th value would prune all of them
    net, w_start = _model_with_dead_units()
    w = torch.cat([effective_weight(m).reshape(-1) for m in prunable_layers(net).values()])
    w0 = torch.cat([w_start[n].reshape(-1) for n in prunable_layers(net)])
    zero_neg = ((w < 0) & (w == w0)).nonzero().reshape(-1)
    alive = n_alive(net)
    k = round(0.02 * alive)
    assert len(zero_neg) > 5 * k  # the trap is real
    sel = ap_select(net, w_start, frac=0.02)
    assert sel.n_pruned == k
    assert _flat_selected(sel) == zero_neg[:k].tolist()  # stable tie-break: lowest flat index first
    # one full AP round: exactly k_base + k_ap weights go
    step = ActivateWhilePruning(p=0.2, p_ap=0.02).prune(net, w_start)
    assert (step.n_base, step.n_ap, step.n_refill) == (round(0.18 * alive), k, 0)
    assert n_alive(net) == alive - step.n_pruned


@settings(max_examples=40, deadline=None)
@given(
    st.data(),
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=1, max_value=5),
)
def test_ap_select_matches_brute_force(data, a, b):
    net = nn.Sequential(nn.Linear(a, b, bias=False), nn.ReLU(), nn.Linear(b, 2, bias=False))
    mods = prunable_layers(net)
    sizes = [m.weight.numel() for m in mods.values()]
    n = sum(sizes)
    vals = st.integers(min_value=-3, max_value=3).map(lambda v: v / 4)  # coarse grid: many ties
    w = data.draw(st.lists(vals, min_size=n, max_size=n))
    w0 = data.draw(st.lists(vals, min_size=n, max_size=n))
    keep = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    k = data.draw(st.integers(min_value=0, max_value=n))
    w_start, start = {}, 0
    for (name, m), size in zip(mods.items(), sizes, strict=True):
        with torch.no_grad():
            m.weight.copy_(torch.tensor(w[start : start + size]).reshape(m.weight.shape))
        w_start[name] = torch.tensor(w0[start : start + size]).reshape(m.weight.shape)
        prune.custom_from_mask(m, "weight", torch.tensor(keep[start : start + size]).reshape(m.weight.shape))
        start += size
    cand = [i for i in range(n) if keep[i] and w[i] < 0]
    expected = sorted(sorted(cand, key=lambda i: (abs(w[i] - w0[i]), i))[:k])
    assert _flat_selected(ap_select(net, w_start, k=k)) == expected
    any_sign = [i for i in range(n) if keep[i]]
    expected_any = sorted(sorted(any_sign, key=lambda i: (abs(w[i] - w0[i]), i))[:k])
    assert _flat_selected(ap_select(net, w_start, k=k, criterion="stable_any")) == expected_any
    rand = _flat_selected(ap_select(net, w_start, k=k, criterion="random_negative", seed=3))
    assert len(rand) == min(k, len(cand)) and set(rand) <= set(cand)


def test_global_magnitude_matches_brute_force():
    torch.manual_seed(3)
    net = MLP((6, 9, 4), seed=3)
    ws = torch.cat([m.weight.detach().reshape(-1) for m in prunable_layers(net).values()]).abs()
    global_magnitude(net, 10)
    expected = set(torch.argsort(ws)[:10].tolist())
    keep = torch.cat([weight_mask(m).reshape(-1) for m in prunable_layers(net).values()])
    assert set((~keep).nonzero().reshape(-1).tolist()) == expected
    # a second call prunes 7 more among the alive ones only
    global_magnitude(net, 7)
    assert n_alive(net) == ws.numel() - 17


@pytest.mark.parametrize("use_ap", [False, True])
def test_mask_bookkeeping_density_and_zero_weights(use_ap):
    # spec test 4: density after r rounds = 0.8^r up to rounding; masked weights stay exactly zero in training
    net = MLP((16, 32, 32, 4), seed=1)
    total = n_alive(net)
    pruner = ActivateWhilePruning(p=0.2, p_ap=0.02) if use_ap else BaselinePruner(p=0.2)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    n_tensors = len(prunable_layers(net))
    alive = total
    for r in range(1, 9):
        w_start = snapshot_weights(net)
        for _ in range(3):
            opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
            x, y = torch.randn(16, 16), torch.randint(0, 4, (16,))
            opt.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
        pruner.prune(net, w_start)
        if use_ap:
            alive -= math.floor(0.18 * alive + 0.5) + math.floor(0.02 * alive + 0.5)
        else:
            alive -= math.floor(0.2 * alive + 0.5)
        assert n_alive(net) == alive
        assert abs(n_alive(net) - 0.8**r * total) <= r * n_tensors
        assert density(net) == pytest.approx(alive / total)
    for _ in range(5):
        opt.zero_grad()
        nn.functional.cross_entropy(net(torch.randn(8, 16)), torch.randint(0, 4, (8,))).backward()
        opt.step()
        net(torch.randn(1, 16))
        for m in prunable_layers(net).values():
            assert torch.all(m.weight[~weight_mask(m)] == 0)
            assert torch.all(effective_weight(m)[~weight_mask(m)] == 0)


def test_ap_acts_after_base_and_refills_shortfall():
    net = MLP((8, 16, 2), seed=0)
    with torch.no_grad():
        for m in prunable_layers(net).values():
            m.weight.abs_()  # no negative weight: AP finds no candidate
    alive = n_alive(net)
    step = ActivateWhilePruning(p=0.2, p_ap=0.05).prune(net, snapshot_weights(net))
    assert step.n_ap == 0
    assert step.n_refill == math.floor(0.05 * alive + 0.5)
    assert n_alive(net) == alive - step.n_pruned


def test_ap_never_reselects_base_pruned_weights():
    net, w_start = _model_with_dead_units()
    step = ActivateWhilePruning(p=0.5, p_ap=0.1).prune(net, w_start)
    assert step.n_ap == step.k_ap
    # every AP-selected weight was alive after the base step and is pruned now
    for name, sel in step.ap_mask.items():
        assert not torch.any(weight_mask(prunable_layers(net)[name])[sel])


def test_composes_with_torch_global_unstructured_and_cnn():
    def l1_global(model, amount, targets):
        prune.global_unstructured(targets, pruning_method=prune.L1Unstructured, amount=amount)

    net = SmallCNN(seed=0)
    total = n_alive(net)
    pruner = ActivateWhilePruning(base_pruner=l1_global, p=0.2, p_ap=0.02)
    step = pruner.prune(net, snapshot_weights(net))
    assert step.n_pruned == math.floor(0.18 * total + 0.5) + math.floor(0.02 * total + 0.5)
    assert n_alive(net) == total - step.n_pruned
    dead = structurally_dead_units(net)
    assert set(dead) == {"conv1", "conv2", "fc"}


def test_structural_deaths_and_apply_mask():
    lin = nn.Linear(3, 2)
    sel = torch.tensor([[True, True, True], [False, True, False]])
    assert apply_prune_mask(lin, {"": sel}) == 4
    assert structurally_dead_units(lin)[""].tolist() == [True, False]
    with pytest.raises(ValueError, match="already pruned"):
        apply_prune_mask(lin, {"": sel})
    with pytest.raises(ValueError, match="shape"):
        apply_prune_mask(lin, {"": torch.zeros(3, 3, dtype=torch.bool)})


def test_bad_input():
    net = MLP((4, 5, 2))
    with pytest.raises(ValueError, match=r"p must lie strictly between 0 and 1"):
        ActivateWhilePruning(p=1.0)
    with pytest.raises(ValueError, match=r"p_ap must lie strictly between 0 and 1"):
        ActivateWhilePruning(p=0.2, p_ap=0.0)
    with pytest.raises(ValueError, match=r"p must lie strictly between 0 and 1"):
        BaselinePruner(p=-0.1)
    with pytest.raises(ValueError, match="p_ap must not exceed p"):
        ActivateWhilePruning(p=0.1, p_ap=0.2)
    with pytest.raises(TypeError, match="p must be a real number"):
        ActivateWhilePruning(p="0.2")  # type: ignore[arg-type]
    no_prunable = nn.Sequential(nn.ReLU(), nn.BatchNorm1d(3))
    with pytest.raises(ValueError, match="no prunable layers"):
        ActivateWhilePruning().prune(no_prunable, {})
    with pytest.raises(ValueError, match="no prunable layers"):
        density(no_prunable)
    with pytest.raises(ValueError, match="frac must lie strictly between 0 and 1"):
        ap_select(net, snapshot_weights(net), frac=1.5)
    with pytest.raises(ValueError, match="w_start has no entry"):
        ap_select(net, {}, frac=0.02)
    with pytest.raises(ValueError, match="w_start is required"):
        ActivateWhilePruning().prune(net, None)
    with pytest.raises(ValueError, match="not a Linear/Conv layer"):
        prunable_layers(net, layers=["1"])
    with pytest.raises(ValueError, match="criterion must be"):
        ActivateWhilePruning(criterion="largest")  # type: ignore[arg-type]

    def sloppy(model, amount, targets):
        global_magnitude(model, amount + 1, targets)

    with pytest.raises(ValueError, match="base_pruner pruned"):
        BaselinePruner(sloppy).prune(net)
