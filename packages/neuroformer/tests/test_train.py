"""Training plumbing: held-out window likelihoods against a brute-force sum, seeded runs, no global side effects."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest
import torch

from neuroformer import (
    NeuroformerConfig,
    NeuroformerLit,
    SpikeTokenizer,
    fit,
    sim,
    token_nll,
    tokenize_dataset,
)
from neuroformer.train import collate, window_log_likelihood


def small_setup(seconds: float = 6.0):
    hub = sim.hub_network(n_neurons=8, n_hubs=1, n_targets=3, duration=seconds, seed=1)
    tok = SpikeTokenizer(8, 0.01, 0.05, 0.05, 24, 24)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ds = tokenize_dataset(tok, hub.spikes, tok.default_anchors(round(seconds / 0.01)))
    cfg = NeuroformerConfig.from_tokenizer(
        tok,
        n_embd=16,
        n_head=2,
        n_state_layers=1,
        n_state_history_layers=1,
        n_stimulus_layers=0,
        n_self_layers=1,
    )
    return tok, ds, cfg


def test_window_log_likelihood_brute_force():
    _tok, ds, cfg = small_setup()
    lit = NeuroformerLit(cfg, seed=0)
    model = lit.model.eval()
    ll, n = window_log_likelihood(model, ds, batch_size=7)
    batch = collate([ds[i] for i in range(len(ds))])
    with torch.no_grad():
        li, ld, _ = model(batch)
    lp_id = torch.log_softmax(li.double(), -1).numpy()
    lp_dt = torch.log_softmax(ld.double(), -1).numpy()
    for w in (0, 5, len(ds) - 1):
        total, count = 0.0, 0
        for k in range(cfg.id_block_size):
            yi, yd = int(ds.arrays["y_id"][w, k]), int(ds.arrays["y_dt"][w, k])
            if yi == cfg.id_pad:
                continue
            total += lp_id[w, k, yi] + lp_dt[w, k, yd]
            count += 1
        assert ll[w] == pytest.approx(total, rel=1e-9)
        assert n[w] == count == int((ds.arrays["y_id"][w] != cfg.id_pad).sum())
    # consistent with the per-token means
    nll_id, nll_dt = token_nll(model, ds)
    assert -ll.sum() / n.sum() == pytest.approx(nll_id + nll_dt, rel=1e-5)


def test_fit_is_seeded_learns_and_leaves_global_state_alone():
    _tok, ds, cfg = small_setup()
    level = logging.getLogger("lightning.pytorch").level
    torch.manual_seed(99)
    state = torch.random.get_rng_state()
    runs = []
    for _ in range(2):
        lit = NeuroformerLit(NeuroformerConfig(**cfg.to_dict()), seed=0)
        before = -window_log_likelihood(lit.model, ds)[0].mean()
        fit(lit, ds, max_epochs=3, batch_size=16, seed=4)
        after = -window_log_likelihood(lit.model, ds)[0].mean()
        runs.append(lit.model.state_dict())
        assert after < before  # training lowers the (training-set) NLL
    for name, a in runs[0].items():
        assert torch.equal(a, runs[1][name]), name
    assert torch.equal(torch.random.get_rng_state(), state)
    assert logging.getLogger("lightning.pytorch").level == level


def test_finetuning_a_model_in_eval_mode_trains_with_dropout():
    _tok, ds, cfg = small_setup()
    cfg.dropout = 0.5
    ds.arrays["target_speed"] = np.linspace(-1, 1, len(ds)).astype(np.float32)
    pre = NeuroformerLit(cfg, seed=0).model.eval()
    ft = NeuroformerLit(cfg, task="finetune:speed", model=pre, seed=0)
    seen = []
    ft.model.register_forward_hook(lambda m, i, o: seen.append(m.training))
    fit(ft, ds, max_epochs=1, batch_size=32, max_steps=2)
    assert seen and all(seen)
