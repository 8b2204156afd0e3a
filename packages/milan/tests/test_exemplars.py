import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from milan import ablate_units, compute_exemplars, exemplars_from_activations
from milan.data import concept_masks, shapes_world
from milan.exemplars import quantile_from_top


class RedDetector(nn.Module):
    """Planted unit: a fixed 1x1 conv computing relu(r - g - b - 0.3), then 2x2 average pooling."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 1, 1)
        with torch.no_grad():
            self.conv.weight[:] = torch.tensor([1.0, -1.0, -1.0]).reshape(1, 3, 1, 1)
            self.conv.bias[:] = -0.3
        self.relu = nn.ReLU()
        self.pool = nn.AvgPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.relu(self.conv(x)))


@pytest.fixture(scope="module")
def red_probe():
    # red objects are rare (< 1% of pixels), as the 0.99 quantile presumes of a concept
    w = shapes_world(600, seed=1)
    red = concept_masks(w, "red")
    has = red.any(axis=(1, 2))
    rng = np.random.default_rng(0)
    keep = np.sort(np.concatenate([np.nonzero(~has)[0], rng.choice(np.nonzero(has)[0], 40, replace=False)]))
    return w.images[keep], red[keep]


def test_planted_red_unit(red_probe):
    images, red = red_probe
    assert red.mean() < 0.01
    model = RedDetector()
    ex = compute_exemplars(model, "pool", images, k=15, quantile=0.99, batch_size=97)
    gt = red[ex.indices[0]]
    assert gt.any(axis=(1, 2)).all()
    iou = (gt & ex.masks[0]).sum() / (gt | ex.masks[0]).sum()
    assert iou >= 0.8
    with torch.no_grad():
        acts = model(torch.from_numpy(images)).numpy()[:, 0]
    assert ex.thresholds[0] == pytest.approx(np.quantile(acts.astype(np.float64).ravel(), 0.99), abs=1e-6)
    # the top-k by spatial max, against a full sort
    maxes = acts.reshape(len(acts), -1).max(1)
    np.testing.assert_allclose(ex.activations[0], np.sort(maxes)[::-1][:15], rtol=1e-6)
    assert ex.images is not None and ex.images.shape == (1, 15, 3, 32, 32)
    np.testing.assert_array_equal(ex.images[0], images[ex.indices[0]])


def test_masks_are_bilinear_upsampled_thresholded_maps():
    acts = np.random.default_rng(0).random((20, 2, 4, 4)).astype(np.float32)
    ex = exemplars_from_activations(acts, image_size=(8, 8), k=3, quantile=0.9)
    up = torch.nn.functional.interpolate(
        torch.from_numpy(acts[ex.indices[1], 1][:, None]), size=(8, 8), mode="bilinear", align_corners=False
    )[:, 0].numpy()
    np.testing.assert_array_equal(ex.masks[1], up > ex.thresholds[1])


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 3),
    st.integers(1, 10),
    st.integers(1, 17),
    st.floats(0.0, 0.999),
    st.integers(0, 2**31 - 1),
)
def test_streaming_topk_and_quantile_match_full_sort(n, units, k, batch, q, seed):
    k = min(k, n)
    rng = np.random.default_rng(seed)
    # few distinct values: many ties
    acts = rng.integers(0, 4, size=(n, units, 2, 2)).astype(np.float32)
    ex = exemplars_from_activations(acts, image_size=(2, 2), k=k, quantile=q)
    maxes = acts.max(axis=(2, 3))
    for u in range(units):
        order = np.argsort(-maxes[:, u], kind="stable")[:k]  # ties: smaller image index first
        np.testing.assert_array_equal(ex.indices[u], order)
        oracle = np.quantile(acts[:, u].astype(np.float64).ravel(), q)
        assert ex.thresholds[u] == pytest.approx(oracle, abs=1e-9)
    del batch


def test_quantile_from_top_matches_numpy():
    x = np.random.default_rng(3).standard_normal((2, 1001))
    for q in (0.0, 0.5, 0.99, 0.9991):
        top = torch.sort(torch.from_numpy(x), dim=1, descending=True).values
        np.testing.assert_allclose(
            quantile_from_top(top, 1001, q).numpy(), np.quantile(x, q, axis=1), atol=1e-12
        )


def test_dataset_input_and_batching_agree(red_probe):
    images, _ = red_probe
    model = RedDetector()
    a = compute_exemplars(model, "pool", images, k=5, batch_size=1000)
    ds = torch.utils.data.TensorDataset(torch.from_numpy(images), torch.zeros(len(images)))
    b = compute_exemplars(model, "pool", ds, k=5, batch_size=33)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_allclose(a.thresholds, b.thresholds, atol=1e-9)
    np.testing.assert_array_equal(a.masks, b.masks)


def test_hooks_removed_and_mode_restored():
    model = RedDetector()
    model.train()
    x = torch.rand(20, 3, 8, 8)
    compute_exemplars(model, "pool", x, k=2)
    assert not model.pool._forward_hooks and model.training
    with pytest.raises(ValueError, match="k must not exceed"):
        compute_exemplars(model, "pool", x, k=21)
    assert not model.pool._forward_hooks


def test_ablate_units_zeroes_and_restores():
    conv = nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU())
    x = torch.rand(2, 3, 5, 5) + 1
    with torch.no_grad():
        before = conv(x)
        with ablate_units(conv, "0", [1, 3]):
            during = conv(x)
        after = conv(x)
    assert torch.all(during[:, [1, 3]] == 0)
    torch.testing.assert_close(during[:, [0, 2]], before[:, [0, 2]])
    torch.testing.assert_close(after, before)
    with pytest.raises(RuntimeError, match="boom"), ablate_units(conv, "0", [0]):
        raise RuntimeError("boom")
    assert not conv[0]._forward_hooks
    torch.testing.assert_close(conv(x), before)


def test_bad_input():
    model = RedDetector()
    x = torch.rand(10, 3, 8, 8)
    with pytest.raises(ValueError, match="layer 'nope' does not exist"):
        compute_exemplars(model, "nope", x)
    with pytest.raises(ValueError, match="k must not exceed the number of images"):
        compute_exemplars(model, "pool", x, k=15)
    with pytest.raises(ValueError, match="images must be 4-dimensional"):
        compute_exemplars(model, "pool", torch.rand(10, 8, 8), k=2)
    with pytest.raises(
        ValueError, match=r"images: the model's forward pass failed on a batch of shape \(10, 4, 8, 8\)"
    ):
        compute_exemplars(model, "pool", torch.rand(10, 4, 8, 8), k=2)
    with pytest.raises(ValueError, match="quantile must lie in"):
        compute_exemplars(model, "pool", x, k=2, quantile=1.0)
    with pytest.raises(TypeError, match="images must be"):
        compute_exemplars(model, "pool", [1, 2, 3], k=1)
    with pytest.raises(TypeError, match="model must be"):
        compute_exemplars("model", "pool", x, k=1)  # type: ignore[arg-type]
    with (
        pytest.raises(ValueError, match="units must lie in"),
        torch.no_grad(),
        ablate_units(model, "pool", [5]),
    ):
        model(x)
