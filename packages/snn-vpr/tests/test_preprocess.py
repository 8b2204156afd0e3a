"""Input pipeline: patch normalisation against a brute-force re-statement of the reference, properties, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from neurotypes import Stimulus
from snn_vpr.encode import poisson_rates, poisson_spike_trains
from snn_vpr.preprocess import patch_normalise, process_image, process_images, to_grey

PARITY_IMG = (np.arange(784).reshape(28, 28) * 37 % 256).astype(np.uint8)


def brute_force_patch_norm(img: np.ndarray, k: int) -> np.ndarray:
    """The reference semantics, pixel by pixel: NaN-padded window, nanmean / nanstd (ddof 0), NaN -> 0, clip."""
    h = (k - 1) // 2
    pad = np.pad(img.astype(np.float64), h, constant_values=np.nan)
    out = np.zeros(img.shape)
    for i in range(img.shape[0]):
        for j in range(img.shape[1]):
            w = pad[i : i + k, j : j + k]
            with np.errstate(all="ignore"):
                out[i, j] = (img[i, j] - np.nanmean(w)) / np.nanstd(w)
    out[np.isnan(out)] = 0.0
    return np.clip(out, -1.0, 1.0)


def test_parity_pinned_values() -> None:
    # values computed once with the brute-force reference semantics above (not with the package)
    z = patch_normalise(PARITY_IMG, 7)
    assert z.sum() == pytest.approx(-2.7803946448454333, abs=1e-9)
    assert z[0, 0] == pytest.approx(-1.0, abs=1e-12)
    assert z[14, 14] == pytest.approx(0.6356941192745806, abs=1e-12)
    u = process_image(PARITY_IMG, size=28, k=7)
    assert u.dtype == np.uint8
    assert int(u.astype(np.int64).sum()) == 99367


@pytest.mark.parametrize("k", [3, 5, 7])
def test_parity_brute_force(k: int) -> None:
    rng = np.random.default_rng(k)
    img = rng.integers(0, 256, size=(11, 13)).astype(np.uint8)
    img[:4, :4] = 17  # a constant corner exercises NaN -> 0
    np.testing.assert_allclose(patch_normalise(img, k), brute_force_patch_norm(img, k), atol=1e-12)


def test_uint8_truncates() -> None:
    z = patch_normalise(PARITY_IMG, 7)
    expected = np.floor(255.0 * (1 + z) / 2.0).astype(np.uint8)
    np.testing.assert_array_equal(process_image(PARITY_IMG), expected)


@settings(max_examples=25, deadline=None)
@given(
    arrays(np.int64, (9, 10), elements=st.integers(0, 255)),
    st.sampled_from([0.25, 0.5, 1.0, 2.0, 8.0]),
    st.integers(-100, 100),
)
def test_range_and_affine_invariance(img: np.ndarray, a: float, b: int) -> None:
    # integer pixels and power-of-two gains keep constant windows exactly constant (std exactly 0)
    z = patch_normalise(img, 5)
    assert np.all(z >= -1) and np.all(z <= 1)
    np.testing.assert_allclose(patch_normalise(a * img + b, 5), z, atol=1e-6)


def test_constant_image_gives_zeros() -> None:
    assert np.all(patch_normalise(np.full((8, 8), 42.0), 7) == 0)


def test_nan_padding_differs_from_zero_padding() -> None:
    img = PARITY_IMG.astype(np.float64) + 50
    z = patch_normalise(img, 7)
    zp = np.pad(img, 3)  # zero padding: border windows see zeros
    from numpy.lib.stride_tricks import sliding_window_view

    w = sliding_window_view(zp, (7, 7))
    with np.errstate(all="ignore"):
        zero_pad = np.clip((img - w.mean(axis=(2, 3))) / w.std(axis=(2, 3)), -1, 1)
    assert not np.allclose(z[0], zero_pad[0])
    np.testing.assert_allclose(z[3:-3, 3:-3], zero_pad[3:-3, 3:-3], atol=1e-12)


def test_grey_and_resize() -> None:
    rgb = np.zeros((40, 30, 3))
    rgb[..., 0] = 100
    np.testing.assert_allclose(to_grey(rgb), 29.9)
    assert process_image(rgb, size=28).shape == (28, 28)


def test_process_images_accepts_stimulus() -> None:
    s = Stimulus(np.stack([PARITY_IMG, PARITY_IMG]).astype(float), rate=2.0)
    out = process_images(s)
    assert out.shape == (2, 28, 28)
    np.testing.assert_array_equal(out[0], process_image(PARITY_IMG))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="k must be a positive odd"):
        patch_normalise(PARITY_IMG, 4)
    with pytest.raises(ValueError, match="img must be"):
        patch_normalise(np.zeros((2, 3, 5)), 3)
    with pytest.raises(ValueError, match="finite"):
        patch_normalise(np.full((4, 4), np.nan), 3)
    with pytest.raises(TypeError, match="numeric"):
        process_image(np.array([["a"]]))
    with pytest.raises(ValueError, match="same size: image 0 is \\(28, 28\\), image 1 is \\(30, 28\\)"):
        process_images([PARITY_IMG, np.zeros((30, 28))])
    with pytest.raises(ValueError, match="at least one image"):
        process_images([])
    with pytest.raises(ValueError, match="size must be"):
        process_image(PARITY_IMG, size=0)


def test_poisson_rates_and_trains() -> None:
    np.testing.assert_allclose(poisson_rates(np.array([0, 255])), [0, 63.75])
    with pytest.raises(ValueError, match="intensity"):
        poisson_rates(np.array([1]), intensity=0)
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        poisson_rates(np.array([300]))
    tr = poisson_spike_trains(np.array([0.0, 50.0, 200.0]), duration=20.0, dt=1e-3, seed=1)
    counts = tr.spike_counts_per_unit()
    assert counts[0] == 0
    # Poisson counts: mean rate * T within 5 sigma
    for u, r in ((1, 50.0), (2, 200.0)):
        assert abs(counts[u] - r * 20) < 5 * np.sqrt(r * 20)
