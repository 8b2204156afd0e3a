import numpy as np
import pytest
import torch

from ap_prune import ActivateWhilePruning, DNRTracker, prunable_layers, snapshot_weights, weight_mask
from ap_prune.data import digits, gaussian_mixture, make_loader
from ap_prune.models import MLP, SmallCNN
from ap_prune.train import accuracy, make_train_fn, train_cycle


def test_digits_split_is_stratified_and_standardised():
    sp = digits()
    assert sp.x_train.shape == (1257, 64) and sp.x_test.shape == (540, 64)
    assert sp.n_classes == 10
    counts = np.bincount(sp.y_test.numpy())
    assert counts.min() >= 50 and counts.max() <= 56  # 30% of ~180 per class
    m = sp.x_train.mean(0).abs().max()
    assert float(m) < 1e-5
    img = digits(images=True)
    assert img.x_train.shape == (1257, 1, 8, 8)
    assert torch.equal(img.x_train.reshape(-1, 64), sp.x_train)


def test_gaussian_mixture_deterministic_and_validated():
    a, b = gaussian_mixture(n=200, d=4, k=4, seed=1), gaussian_mixture(n=200, d=4, k=4, seed=1)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert a.n_classes == 4 and a.n_features == 4
    with pytest.raises(ValueError, match="k must be >= 2"):
        gaussian_mixture(k=1)
    with pytest.raises(ValueError, match="sep must be > 0"):
        gaussian_mixture(sep=0.0)
    with pytest.raises(ValueError, match="split must be a train fraction"):
        digits(split=1.0)
    with pytest.raises(ValueError, match="batch_size must be positive"):
        make_loader(a.x_train, a.y_train, batch_size=0)


def test_lightning_cycle_tracks_epochs_and_keeps_masks():
    sp = digits()
    model = MLP(seed=0)
    w_start = snapshot_weights(model)
    ActivateWhilePruning(p=0.6, p_ap=0.1).prune(model, w_start)
    tracker = DNRTracker(model)
    loader = make_loader(sp.x_train, sp.y_train, batch_size=64, seed=0)
    train_cycle(model, loader, epochs=2, tracker=tracker)
    assert tracker.n_epochs == 2
    assert all(0.0 < r < 1.0 for r in tracker.epoch_rates())
    for m in prunable_layers(model).values():
        model(sp.x_test[:2])
        assert torch.all(m.weight[~weight_mask(m)] == 0)
    acc = accuracy(model, sp.x_test, sp.y_test)
    assert 0.5 < acc <= 1.0  # 2 epochs (40 SGD steps) at 40% density


def test_train_fn_is_paired_by_seed():
    sp = digits()
    outs = []
    for _ in range(2):
        model = SmallCNN(seed=0)
        img = digits(images=True)
        fn = make_train_fn(img, epochs=1, seed=4)
        outs.append((fn(model, 0), model.fc.weight.detach().clone()))
    assert outs[0][0] == outs[1][0]
    assert torch.equal(outs[0][1], outs[1][1])
    with pytest.raises(ValueError, match="epochs must be positive"):
        train_cycle(MLP(), make_loader(sp.x_train, sp.y_train), epochs=0)


def test_load_table_csv_tsv_npz_agree(tmp_path):
    from ap_prune.data import load_table, split_arrays

    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 3))
    y = np.arange(60) % 3
    ref = split_arrays(x, y, seed=0)
    header = ["a", "b", "label", "c"]  # the label column may sit anywhere
    rows = [
        [repr(float(r[0])), repr(float(r[1])), str(c), repr(float(r[2]))] for r, c in zip(x, y, strict=True)
    ]
    (tmp_path / "t.csv").write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")
    (tmp_path / "t.tsv").write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n")
    np.savez(tmp_path / "t.npz", x=x, y=y)
    for name in ("t.csv", "t.tsv", "t.npz"):
        sp = load_table(tmp_path / name, seed=0)
        torch.testing.assert_close(sp.x_train, ref.x_train)
        assert torch.equal(sp.y_test, ref.y_test)
    # standardised with the training statistics
    assert float(ref.x_train.mean(0).abs().max()) < 1e-5
    assert torch.allclose(ref.x_train.std(0, unbiased=False), torch.ones(3), atol=1e-5)
