"""Ground-truth twins and the adapter, against direct numpy computations."""

import numpy as np
import pytest
import torch
from torch import nn

from mds_cluster import twins
from mds_cluster.train import train_cnn_twin


def test_onoff_toy_responses():
    toy = twins.OnOffToy(6, 4)
    x = torch.arange(32, dtype=torch.float32).reshape(2, 4, 4)
    out = toy(x).numpy()
    m = x.numpy().reshape(2, -1).mean(1)
    np.testing.assert_allclose(out, np.stack([m, -m, m, -m, m, -m], axis=1), rtol=1e-6)
    np.testing.assert_array_equal(toy.labels, [0, 1, 0, 1, 0, 1])


@pytest.mark.parametrize("name", twins.PROTOTYPES)
def test_prototypes_unit_norm(name):
    f = twins.prototype_filter(name, 18)
    assert np.linalg.norm(f) == pytest.approx(1.0)
    assert f.shape == (18, 18)


def test_prototype_symmetries():
    on, off = twins.prototype_filter("on_dog"), twins.prototype_filter("off_dog")
    np.testing.assert_allclose(on, -off)
    assert on[8:10, 8:10].min() > 0 > on[0, 8]  # positive centre, negative surround
    np.testing.assert_allclose(
        twins.prototype_filter("gabor_v"), twins.prototype_filter("gabor_h").T, atol=1e-12
    )


def test_ln_population_formula():
    pop = twins.LNPopulation(n_per_type=3, size=8, noise=0.3, seed=3)
    assert pop.n_neurons == 12
    np.testing.assert_array_equal(pop.labels, np.repeat(np.arange(4), 3))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 8, 8))
    w = pop.weights.double().numpy()
    g, b = pop.gains.double().numpy(), pop.biases.double().numpy()
    drive = g * (x.reshape(5, -1) @ w.T) + b
    expected = np.log1p(np.exp(drive))
    np.testing.assert_allclose(pop(torch.from_numpy(x).float()).numpy(), expected, rtol=1e-4, atol=1e-5)
    assert np.all((g >= 0.7) & (g <= 1.3)) and np.all((b >= -1) & (b <= 0))
    protos = np.stack([twins.prototype_filter(p, 8).ravel() for p in twins.PROTOTYPES])[pop.labels]
    resid = w - protos
    assert resid.std() == pytest.approx(0.3 / 8, rel=0.2)


def test_ln_population_seed():
    a, b = twins.LNPopulation(seed=1), twins.LNPopulation(seed=1)
    assert torch.equal(a.weights, b.weights)
    assert not torch.equal(a.weights, twins.LNPopulation(seed=2).weights)


def test_shape_errors():
    with pytest.raises(ValueError, match="324 values"):
        twins.LNPopulation()(torch.zeros(2, 10, 10))
    with pytest.raises(ValueError, match="n_neurons"):
        twins.OnOffToy(1)
    with pytest.raises(ValueError, match="name must be one of"):
        twins.prototype_filter("gabor_x")


class _TimeModel(nn.Module):
    def forward(self, x):
        base = x.flatten(1).sum(1)
        return torch.stack(
            [base[:, None] * torch.arange(5.0) * (t + 1) for t in range(3)], dim=1
        )  # [B, T=3, N=5]


def test_wrap_selects_neurons_and_reduces_time():
    x = torch.ones(2, 2, 2)
    wrapped = twins.wrap(_TimeModel(), neuron_idx=[4, 1])
    out = wrapped(x)
    # sum = 4, mean over t of (t + 1) = 2: neuron n gives 8 n
    np.testing.assert_allclose(out.numpy(), [[32.0, 8.0], [32.0, 8.0]])
    np.testing.assert_allclose(twins.wrap(_TimeModel(), [4], time_reduce="last")(x).numpy(), [[48.0], [48.0]])
    with pytest.raises(ValueError, match="neuron_idx holds index 7"):
        twins.wrap(_TimeModel(), [7])(x)
    with pytest.raises(ValueError, match="neuron_idx"):
        twins.wrap(_TimeModel(), [-1])
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        twins.wrap(lambda x: x)  # type: ignore[arg-type]


def test_cnn_twin_fits_ln_population():
    pop = twins.LNPopulation(n_per_type=5, size=10, seed=0)
    state = torch.random.get_rng_state()
    twin, info = train_cnn_twin(pop, (10, 10), n_train=1500, epochs=15, seed=0)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's global torch RNG is untouched
    assert info["test_corr"] > 0.8
    assert twin(torch.zeros(3, 10, 10)).shape == (3, 20)
    with pytest.raises(ValueError, match="stimuli of shape"):
        twin(torch.zeros(3, 9, 9))
