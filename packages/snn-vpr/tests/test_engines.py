"""The two inference engines: the same Poisson input, the same spike counts per neuron and image.

The spike-level torch simulation (``engine="reference"``) is the reference; the compiled event-driven engine
(``engine="fast"``, numba) must give exactly the same counts for the same seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from snn_vpr import _fast, _rng
from snn_vpr.data import synthetic_traverses
from snn_vpr.model import ModularSNN
from snn_vpr.network import DiehlCookParams, ModuleBank, as_rates, exp_query, resolve_engine
from snn_vpr.preprocess import process_images

needs_numba = pytest.mark.skipif(not _fast.available(), reason="the fast engine needs numba (extra 'fast')")


def _rates(q: int, seed: int = 0, n_in: int = 784) -> torch.Tensor:
    return torch.rand(q, n_in, generator=torch.Generator().manual_seed(seed)) * 63.75


# ------------------------------------------------------------------------------------------- Poisson input


def test_splitmix64_matches_the_published_sequence() -> None:
    # splitmix64 seeded with 0 (Vigna's reference implementation): first outputs
    z = _rng._fin(np.array([_rng.GOLDEN], dtype=np.uint64))
    assert int(z[0]) == 0xE220A8397B1DCDAF
    z2 = _rng._fin(np.array([(2 * _rng.GOLDEN) % 2**64], dtype=np.uint64))
    assert int(z2[0]) == 0x6E789E6AA1B965F4


def test_poisson_events_are_bernoulli_per_step() -> None:
    # spike counts per stream ~ Binomial(n_steps, p); inter-spike gaps ~ Geometric(p)
    p = np.float32(0.02)
    n_steps, n_streams = 400, 4000
    prob = np.full((1, 4, n_streams // 4), p, dtype=np.float32)
    steps, _, b, i = _rng.poisson_events(7, prob, n_steps)
    counts = np.bincount(b * (n_streams // 4) + i, minlength=n_streams)
    mean, var = n_steps * float(p), n_steps * float(p) * (1 - float(p))
    assert abs(counts.mean() - mean) < 4 * math.sqrt(var / n_streams)
    assert abs(counts.var() / var - 1) < 0.1
    assert np.all(np.diff(steps) >= 0) and steps.min() >= 0 and steps.max() < n_steps
    # first spike step ~ Geometric(p) on {0, 1, ...}: P(T0 = 0) = p
    first = np.full(n_streams, n_steps)
    np.minimum.at(first, b * (n_streams // 4) + i, steps)
    assert abs(np.mean(first == 0) - float(p)) < 4 * math.sqrt(float(p) * (1 - float(p)) / n_streams)


def test_poisson_events_edge_probabilities_and_keys() -> None:
    prob = np.array([[[0.0, 1.0, 0.5]]], dtype=np.float32)
    steps, _, _, i = _rng.poisson_events(1, prob, 10)
    assert not np.any(i == 0)  # p = 0: silent
    assert np.array_equal(steps[i == 1], np.arange(10))  # p = 1: every step
    # streams are keyed by image index: an image gives the same spikes in any batch position
    pr = _rng.spike_probability(_rates(3).numpy()[None], 0.5)
    full = _rng.poisson_events(3, pr, 50)
    part = _rng.poisson_events(3, pr[:, 2:], 50, image_offset=2)
    sel = full[2] == 2
    assert np.array_equal(full[0][sel], part[0]) and np.array_equal(full[3][sel], part[3])
    # other seed or retry round: other spikes
    assert not np.array_equal(_rng.poisson_events(4, pr, 50)[0], full[0])
    assert not np.array_equal(_rng.poisson_events(3, pr, 50, retry=1)[0], full[0])


@needs_numba
@pytest.mark.parametrize("retry", [0, 2])
def test_fast_engine_draws_the_same_input_spikes(retry: int) -> None:
    r = _rates(2, seed=1).numpy()
    prob = _rng.spike_probability(np.broadcast_to(r, (3, 2, 784)), 0.5, retry)
    steps, m, b, i = _rng.poisson_events(11, prob, 700, image_offset=5, retry=retry)
    for mod in range(3):
        for img in range(2):
            t_fast, i_fast = _fast.poisson_events_fast(
                11, r[img], 0.5, 700, image=5 + img, module=mod, retry=retry
            )
            sel = (m == mod) & (b == img)
            assert t_fast.size > 1000
            np.testing.assert_array_equal(t_fast, steps[sel])
            np.testing.assert_array_equal(i_fast, i[sel])


def test_query_exp_is_within_two_ulp() -> None:
    x = np.concatenate(
        [-np.random.default_rng(0).random(300_000) * 87.0, -np.random.default_rng(1).random(300_000)]
    )
    x = np.concatenate([x, [0.0, -1e-9, -0.3466, -0.3467, -86.9, -87.0]]).astype(np.float32)
    got = exp_query(torch.from_numpy(x)).numpy()
    want = np.exp(x.astype(np.float64))
    ulp = np.spacing(want.astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got - want) / ulp) <= 2.0
    assert exp_query(torch.tensor([-200.0]))[0] == np.float32(np.exp(-87.0))  # clamped below -87


@needs_numba
def test_fast_exp_is_bitwise_the_reference_exp() -> None:
    x = (-np.random.default_rng(2).random(500_000) * 100.0).astype(np.float32)
    x[:4] = [0.0, -87.0, -87.5, -1e-30]
    np.testing.assert_array_equal(_fast.exp32(x), exp_query(torch.from_numpy(x)).numpy())


# ------------------------------------------------------------------------------------------- spike counts


def _both(bank: ModuleBank, rates: torch.Tensor, seed: int, **kw: int) -> tuple[torch.Tensor, torch.Tensor]:
    fast = bank.respond(rates, engine="fast", seed=seed)
    ref = bank.respond(rates, engine="reference", seed=seed, **kw)
    return fast, ref


@needs_numba
@pytest.mark.parametrize(
    "params",
    [
        # thresholds chosen so that neurons near threshold fire 0, 1 or 2 times (not saturated, not silent)
        DiehlCookParams(t_present=100.0, theta_init=45.0),  # random input delays (the reference's)
        DiehlCookParams(t_present=100.0, theta_init=45.0, delay_max=0.0),  # no delays
        DiehlCookParams(
            t_present=80.0, theta_init=55.0, max_retries=2, min_spikes=5
        ),  # silent images retried
        DiehlCookParams(t_present=60.0, theta_init=48.0, dt=0.25),  # another time step
    ],
)
def test_fast_engine_equals_reference_engine(params: DiehlCookParams) -> None:
    bank = ModuleBank(3, 784, 12, params, seed=1)
    rates = _rates(5)
    fast, ref = _both(bank, rates, seed=123, batch_size=2)
    assert fast.dtype == ref.dtype and fast.shape == (3, 5, 12)
    assert len(torch.unique(ref)) >= 2 and 0 < float(ref.mean()) < params.t_present / 50
    torch.testing.assert_close(fast, ref, rtol=0, atol=0)
    if params.max_retries:  # the retry rule acted: some (module, image) pairs were presented again
        no_retry = ModuleBank(3, 784, 12, DiehlCookParams(t_present=80.0, theta_init=55.0), seed=1)
        first = no_retry.respond(rates, engine="reference", seed=123)
        assert bool((first.sum(dim=2) < 5).any()) and not torch.equal(first, ref)


@needs_numba
def test_fast_engine_equals_reference_on_a_trained_network() -> None:
    """STDP-trained weights (2 modules x 3 places, 2 epochs from the warm-start theta), queried by both engines.

    The trained thresholds are lowered by 4 mV so that the short (100 ms) queries draw a few spikes.
    """
    d = synthetic_traverses(6, 32, seed=2)
    ref, qry = d.select("ref_a", "ref_b"), d.select("query")
    net = ModularSNN(3, 16, 2, DiehlCookParams(t_present=100.0), seed=4, engine="reference", warm_start=True)
    net.fit(process_images(ref.images), ref.place_id)
    net.bank_.theta = net.bank_.theta - 4.0
    Q = process_images(qry.images)
    a = net.respond(Q, engine="fast", seed=5).counts
    b = net.respond(Q, engine="reference", seed=5).counts
    assert a.sum() > 0 and (a == 0).any()
    np.testing.assert_array_equal(a, b)
    # the same place answers
    np.testing.assert_array_equal(net.scores_from_responses(a.T), net.scores_from_responses(b.T))


@needs_numba
def test_engines_are_batch_independent_and_seeded() -> None:
    bank = ModuleBank(2, 784, 8, DiehlCookParams(t_present=100.0, theta_init=45.0), seed=2)
    rates = _rates(4, seed=3)
    one = torch.cat([bank.respond(rates[k : k + 1], engine="reference", seed=9) for k in range(4)], dim=1)
    # image k of a batch is keyed by its index in the call: a single-image call is image 0
    assert torch.equal(one[:, :1], bank.respond(rates, engine="reference", seed=9)[:, :1])
    full_ref = bank.respond(rates, engine="reference", seed=9, batch_size=3)
    assert torch.equal(full_ref, bank.respond(rates, engine="reference", seed=9, batch_size=1))
    assert torch.equal(full_ref, bank.respond(rates, engine="fast", seed=9))
    # without a seed, successive calls draw new input from the bank's generator
    assert not torch.equal(bank.respond(rates, engine="fast"), bank.respond(rates, engine="fast"))


@needs_numba
def test_respond_trains_match_counts() -> None:
    d = synthetic_traverses(4, 32, seed=0).select("ref_a")
    X = process_images(d.images)
    net = ModularSNN(2, 6, 1, DiehlCookParams(t_present=100.0, theta_init=45.0), seed=0).fit(X, d.place_id)
    assert net.bank_.theta.max() > 45.0  # trained: theta grew
    bank = net.bank_
    rates = as_rates(X[:1], net.params.intensity)
    t, u = bank.respond_trains(rates[0], module=1, seed=17)
    counts = bank.respond(rates, engine="fast", seed=17)[1, 0].numpy()
    assert counts.sum() > 0
    np.testing.assert_array_equal(np.bincount(u, minlength=6), counts)
    assert np.all(np.diff(t) >= 0)


def test_engine_choice_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    bank = ModuleBank(1, 4, 2, DiehlCookParams(t_present=10.0))
    with pytest.raises(ValueError, match="engine must be one of"):
        bank.respond(torch.zeros(1, 4), engine="gpu")
    with pytest.raises(ValueError, match="engine must be one of"):
        ModularSNN(engine="numba")
    with pytest.raises(ValueError, match="seed must be an integer"):
        bank.respond(torch.zeros(1, 4), seed=-1)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        bank.respond(torch.zeros(1, 4), batch_size=0)
    assert resolve_engine("reference") == "reference"
    monkeypatch.setattr(_fast, "numba", None)
    assert resolve_engine("auto") == "reference"
    with pytest.raises(ImportError, match=r"snn-vpr\[fast\]"):
        resolve_engine("fast")
    assert resolve_engine("auto", "meta") == "reference"


@needs_numba
def test_fast_engine_sees_changed_weights_and_thresholds() -> None:
    """The fast engine caches its synapse tables; any change to weights, delays or theta must be seen."""
    bank = ModuleBank(2, 784, 8, DiehlCookParams(t_present=100.0, theta_init=45.0), seed=2)
    rates = _rates(3, seed=4)
    first = bank.respond(rates, engine="fast", seed=1)
    bank.theta.add_(-3.0)  # in place
    assert torch.equal(
        bank.respond(rates, engine="fast", seed=1), bank.respond(rates, engine="reference", seed=1)
    )
    assert not torch.equal(bank.respond(rates, engine="fast", seed=1), first)
    bank.w = bank.w * 0.5  # replaced
    assert torch.equal(
        bank.respond(rates, engine="fast", seed=1), bank.respond(rates, engine="reference", seed=1)
    )
