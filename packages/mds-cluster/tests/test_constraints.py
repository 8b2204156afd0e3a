"""Constraints, smoothness penalty and gradient blur against independent computations."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage

from mds_cluster import Clip, L2Ball, L2Sphere, gaussian_blur, laplace_penalty, optimize_stimuli, twins

stimuli = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(2, 5), st.integers(2, 5)),
    elements=st.floats(-10, 10),
)


@settings(max_examples=40, deadline=None)
@given(stimuli, st.floats(0.1, 10))
def test_projections(s, radius):
    t = torch.from_numpy(s)
    norms = np.linalg.norm(s.reshape(s.shape[0], -1), axis=1)
    ball = L2Ball(radius)(t).numpy()
    assert np.all(np.linalg.norm(ball.reshape(s.shape[0], -1), axis=1) <= radius * (1 + 1e-9))
    inside = norms <= radius
    np.testing.assert_allclose(ball[inside], s[inside])  # points inside the ball do not move
    sph = L2Sphere(radius)(t)
    # every non-zero stimulus, however small, lands on the sphere; zero stays zero
    peak = np.abs(s).reshape(s.shape[0], -1).max(axis=1)
    nz = peak > 0
    direction = s[nz] / peak[nz, None, None]  # exact rescaling, so that the squares do not underflow
    direction /= np.sqrt((direction**2).sum(axis=(1, 2)))[:, None, None]
    sph_norms = np.linalg.norm(sph.numpy().reshape(s.shape[0], -1), axis=1)
    np.testing.assert_allclose(sph_norms[nz], radius, rtol=1e-9)
    np.testing.assert_array_equal(sph.numpy()[~nz], 0.0)
    np.testing.assert_allclose(sph.numpy()[nz], direction * radius, rtol=1e-9, atol=1e-15 * radius)
    assert torch.allclose(L2Sphere(radius)(sph), sph)  # idempotent
    clipped = Clip(-1.0, 2.0)(t).numpy()
    np.testing.assert_array_equal(clipped, np.clip(s, -1.0, 2.0))


def test_sphere_projects_tiny_stimuli():
    tiny = torch.full((3, 3, 3), 1e-30, dtype=torch.float64)
    tiny[1] = 0.0
    tiny[2] = 5e-324  # subnormal
    out = L2Sphere(2.0)(tiny)
    assert float(out[0].norm()) == pytest.approx(2.0, rel=1e-12)
    assert torch.all(out[1] == 0)
    assert float(out[2].norm()) == pytest.approx(2.0, rel=1e-12)


def test_laplace_penalty_against_numpy():
    rng = np.random.default_rng(0)
    s = rng.normal(size=(2, 6, 7))
    p = np.pad(s, ((0, 0), (1, 1), (1, 1)))
    lap = p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:] - 4 * s
    np.testing.assert_allclose(
        laplace_penalty(torch.from_numpy(s)).numpy(), (lap**2).sum(axis=(1, 2)), rtol=1e-10
    )


def test_gaussian_blur_against_scipy():
    rng = np.random.default_rng(1)
    s = rng.normal(size=(3, 11, 9))
    got = gaussian_blur(torch.from_numpy(s), 1.0).numpy()
    ref = np.stack([ndimage.gaussian_filter(x, 1.0, mode="constant", truncate=3.0) for x in s])
    np.testing.assert_allclose(got, ref, atol=1e-10)


@pytest.mark.parametrize(
    ("constraint", "check"),
    [
        (
            L2Sphere(5.0),
            lambda s: np.allclose(np.linalg.norm(s.reshape(s.shape[0], -1), axis=1), 5.0, rtol=1e-5),
        ),
        (Clip(-0.3, 0.3), lambda s: s.min() >= -0.3 - 1e-7 and s.max() <= 0.3 + 1e-7),
        (
            L2Ball(2.0),
            lambda s: np.all(np.linalg.norm(s.reshape(s.shape[0], -1), axis=1) <= 2.0 * (1 + 1e-5)),
        ),
    ],
)
def test_constraint_holds_after_every_step(constraint, check):
    model = twins.LNPopulation(n_per_type=5, size=10, seed=0)
    s0 = torch.randn(4, 10, 10, generator=torch.Generator().manual_seed(0)) * 3
    seen = []
    optimize_stimuli(
        model,
        s0,
        torch.as_tensor(model.labels),
        steps=15,
        constraint=constraint,
        smoothness=0.01,
        grad_blur_sigma=1.0,
        on_step=lambda s: seen.append(s.numpy().copy()),
    )
    assert len(seen) == 15
    assert all(check(s) for s in seen)


def test_constraint_arguments():
    with pytest.raises(ValueError, match="radius"):
        L2Sphere(-1.0)
    with pytest.raises(ValueError, match="radius"):
        L2Ball(0.0)
    with pytest.raises(ValueError, match="low < high"):
        Clip(1.0, 1.0)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_blur(torch.zeros(1, 3, 3), 0.0)
    with pytest.raises(ValueError, match="spatial"):
        laplace_penalty(torch.zeros(2, 5))
