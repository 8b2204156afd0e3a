"""Model equations: loss plumbing, InfoNCE, causality, generation, attention maps."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import torch

from neuroformer import Neuroformer, NeuroformerConfig, SpikeTokenizer, filter_logits, info_nce
from neuroformer.model import clip_loss
from neuroformer.train import collate


def small_config(**kw):
    base = dict(
        id_vocab_size=13,
        dt_vocab_size=19,
        id_block_size=20,
        prev_id_block_size=40,
        n_embd=32,
        n_head=4,
        n_state_layers=1,
        n_state_history_layers=1,
        n_stimulus_layers=0,
        n_self_layers=1,
        dropout=0.0,
    )
    base.update(kw)
    return NeuroformerConfig(**base)


def random_batch(cfg, b=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    n_tok = cfg.id_vocab_size - 3
    x_id = torch.randint(0, n_tok, (b, cfg.id_block_size), generator=g)
    x_dt = torch.randint(0, cfg.dt_vocab_size - 3, (b, cfg.id_block_size), generator=g)
    return {
        "x_id": x_id,
        "x_dt": x_dt,
        "y_id": torch.randint(0, n_tok, (b, cfg.id_block_size), generator=g),
        "y_dt": torch.randint(0, cfg.dt_vocab_size - 3, (b, cfg.id_block_size), generator=g),
        "x_id_prev": torch.randint(0, n_tok, (b, cfg.prev_id_block_size), generator=g),
        "x_dt_prev": torch.randint(0, cfg.dt_vocab_size - 3, (b, cfg.prev_id_block_size), generator=g),
    }


def zero_heads(model):
    with torch.no_grad():
        model.head_id.weight.zero_()
        model.head_dt.weight.zero_()


def test_uniform_logits_loss_closed_form():
    cfg = small_config()
    model = Neuroformer(cfg)
    zero_heads(model)
    _, _, losses = model(random_batch(cfg))
    total = float(losses["id"] + losses["dt"])
    assert total == pytest.approx(0.6 * math.log(13) + 0.4 * math.log(19), rel=1e-5)


def test_reference_compat_scales_by_three_quarters():
    cfg = small_config(reference_compat=True)
    model = Neuroformer(cfg)
    zero_heads(model)
    _, _, losses = model(random_batch(cfg))
    expected = 0.75 * (0.6 * math.log(13) + 0.4 * math.log(19))
    assert float(losses["id"] + losses["dt"]) == pytest.approx(expected, rel=1e-5)


def test_pad_targets_do_not_contribute():
    cfg = small_config()
    torch.manual_seed(0)
    model = Neuroformer(cfg).eval()
    batch = random_batch(cfg)
    _, _, l1 = model(batch)
    b2 = dict(batch)
    y = batch["y_id"].clone()
    y[:, 10:] = cfg.id_pad
    b2["y_id"] = y
    ydt = batch["y_dt"].clone()
    ydt[:, 10:] = cfg.dt_pad
    b2["y_dt"] = ydt
    logits_id, _, l2 = model(b2)
    # independent: cross-entropy over the first 10 positions only
    lp = torch.log_softmax(logits_id[:, :10], -1).gather(-1, y[:, :10, None]).squeeze(-1)
    assert float(l2["id"]) == pytest.approx(0.6 * float(-lp.mean()), rel=1e-5)
    assert float(l1["id"]) != pytest.approx(float(l2["id"]), rel=1e-3)


def test_info_nce_orthonormal_hand_value():
    a = torch.eye(4)
    # diagonal similarity 1, off-diagonal 0, tau = 0.5: -2 + log(e^2 + 3)
    expected = -2.0 + math.log(math.exp(2.0) + 3.0)
    assert float(info_nce(a, a.clone(), 0.5)) == pytest.approx(expected, rel=1e-6)
    assert float(clip_loss(a, a.clone(), 0.5)) == pytest.approx(expected, rel=1e-6)


def test_info_nce_against_cross_entropy():
    g = torch.Generator().manual_seed(1)
    a = torch.nn.functional.normalize(torch.randn(6, 5, generator=g), dim=-1)
    b = torch.nn.functional.normalize(torch.randn(6, 5, generator=g), dim=-1)
    ref = torch.nn.functional.cross_entropy(a @ b.T / 0.3, torch.arange(6))
    assert float(info_nce(a, b, 0.3)) == pytest.approx(float(ref), rel=1e-6)


def test_causality_future_tokens_do_not_change_past_logits():
    cfg = small_config(n_state_layers=2, n_self_layers=2)
    torch.manual_seed(0)
    model = Neuroformer(cfg).eval()
    batch = random_batch(cfg, b=2)
    li, ld, _ = model(batch)
    k = 7
    b2 = dict(batch)
    b2["x_id"] = batch["x_id"].clone()
    b2["x_dt"] = batch["x_dt"].clone()
    b2["x_id"][:, k + 1 :] = (b2["x_id"][:, k + 1 :] + 1) % 10
    b2["x_dt"][:, k + 1 :] = (b2["x_dt"][:, k + 1 :] + 3) % 16
    li2, ld2, _ = model(b2)
    torch.testing.assert_close(li[:, : k + 1], li2[:, : k + 1])
    torch.testing.assert_close(ld[:, : k + 1], ld2[:, : k + 1])
    assert not torch.allclose(li[:, k + 1 :], li2[:, k + 1 :])


def test_generation_seeded_and_top1_is_greedy():
    cfg = small_config()
    torch.manual_seed(0)
    model = Neuroformer(cfg)
    batch = random_batch(cfg, b=1)
    ctx = {"x_id_prev": batch["x_id_prev"], "x_dt_prev": batch["x_dt_prev"]}
    a = model.generate(ctx, 10, seed=3)
    b = model.generate(ctx, 10, seed=3)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    g1 = model.generate(ctx, 10, top_k=1, seed=5)
    g2 = model.generate(ctx, 10, sample=False)
    assert torch.equal(g1[0], g2[0]) and torch.equal(g1[1], g2[1])


def test_filter_logits_topk_topp_by_hand():
    logits = torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05]))
    k2 = filter_logits(logits, top_k=2)
    assert torch.isinf(k2[2:]).all() and torch.isfinite(k2[:2]).all()
    p = filter_logits(logits, top_p=0.7)  # 0.5 < 0.7, 0.5 + 0.3 crosses: keep two
    assert torch.isfinite(p[:2]).all() and torch.isinf(p[2:]).all()
    with pytest.raises(ValueError, match="top_p"):
        filter_logits(logits, top_p=1.5)


def test_attention_maps_rows_sum_to_one_and_ignore_past_pads():
    cfg = small_config()
    model = Neuroformer(cfg).eval()
    batch = random_batch(cfg, b=2)
    batch["x_id_prev"][:, 30:] = cfg.id_pad
    model.keep_attention(True)
    model(batch)
    maps = model.attention_maps()
    att = maps["state_history"][0]
    assert att.shape == (2, 4, 20, 40)
    torch.testing.assert_close(att.sum(-1), torch.ones(2, 4, 20))
    assert float(att[..., 30:].abs().max()) == 0.0
    causal = maps["self"][0]
    assert float(torch.triu(causal[0, 0], 1).abs().max()) == 0.0


def test_end_to_end_with_tokenizer_and_pickle():
    tok = SpikeTokenizer(10, 0.01, 0.05, 0.15, 20, 40)
    rng = np.random.default_rng(0)
    r = rng.poisson(0.1, size=(10, 100))
    arrays = tok.encode(r, [0.3, 0.5, 0.7])
    batch = collate([{k: v[i] for k, v in arrays.items()} for i in range(3)])
    cfg = NeuroformerConfig.from_tokenizer(
        tok,
        n_embd=32,
        n_head=4,
        n_state_layers=1,
        n_state_history_layers=1,
        n_stimulus_layers=0,
        n_self_layers=1,
    )
    model = Neuroformer(cfg)
    li, ld, losses = model(batch)
    assert li.shape == (3, 20, 13) and ld.shape == (3, 20, tok.dt_vocab_size)
    assert torch.isfinite(losses["id"])
    clone = pickle.loads(pickle.dumps(model))
    torch.testing.assert_close(clone.eval()(batch)[0], model.eval()(batch)[0])
    pickle.loads(pickle.dumps(cfg))


def test_stimulus_behaviour_contrastive_and_finetune_losses():
    cfg = small_config(
        stimulus_dim=3,
        stimulus_block_size=8,
        n_stimulus_layers=1,
        behaviour_vars=("speed",),
        contrastive=True,
        clip_embd=16,
        finetune_vars={"speed": 0, "choice": 3},
    )
    model = Neuroformer(cfg)
    batch = random_batch(cfg, b=4)
    batch["stimulus"] = torch.randn(4, 8, 3)
    batch["behaviour"] = torch.randn(4, 5, 1)
    batch["behaviour_t"] = torch.rand(4, 5)
    batch["target_speed"] = torch.randn(4)
    batch["target_choice"] = torch.tensor([0, 1, 2, 1])
    _, _, losses = model(batch)
    assert set(losses) == {"id", "dt", "contrastive", "speed", "choice"}
    # contrastive on: id/dt scaled by 1 - w_c
    zero_heads(model)
    _, _, losses = model(batch)
    assert float(losses["id"] + losses["dt"]) == pytest.approx(
        0.75 * (0.6 * math.log(13) + 0.4 * math.log(19)), rel=1e-5
    )
    total = sum(losses.values())
    total.backward()
    assert model.clip_proj["stimulus"].weight.grad is not None


def test_hf_gpt2_backbone_runs_and_is_causal():
    pytest.importorskip("transformers")
    cfg = small_config(hf_backbone=True, n_self_layers=2)
    torch.manual_seed(0)
    model = Neuroformer(cfg).eval()
    batch = random_batch(cfg, b=2)
    batch["x_id_prev"][:, 30:] = cfg.id_pad
    model.keep_attention(True)
    li, _, losses = model(batch)
    maps = model.attention_maps()
    assert maps["state_history"][0].shape == (2, 4, 20, 40)
    assert float(maps["state_history"][0][..., 30:].abs().max()) < 1e-6
    b2 = dict(batch)
    b2["x_id"] = batch["x_id"].clone()
    b2["x_id"][:, 10:] = (b2["x_id"][:, 10:] + 1) % 10
    li2, _, _ = model(b2)
    torch.testing.assert_close(li[:, :10], li2[:, :10])
    assert torch.isfinite(losses["id"])


def test_seeded_init_is_reproducible_and_leaves_global_rng_alone():
    cfg = small_config()
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = Neuroformer(cfg, seed=7)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = Neuroformer(cfg, seed=7)
    c = Neuroformer(cfg, seed=8)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert not torch.equal(a.tok_emb.weight, c.tok_emb.weight)


def test_save_and_load_round_trip(tmp_path):
    from neuroformer import load_model

    cfg = small_config(finetune_vars={"speed": 0})
    model = Neuroformer(cfg, seed=3).eval()
    model.meta = {"tokenizer": {"n_neurons": 10, "dt": 0.01}, "unit_ids": ["a", "b"]}
    path = model.save(tmp_path / "m.npz")
    again = load_model(path)
    batch = random_batch(cfg)
    li, ld, _ = model(batch)
    li2, ld2, _ = again(batch)
    torch.testing.assert_close(li, li2, rtol=0, atol=0)
    torch.testing.assert_close(ld, ld2, rtol=0, atol=0)
    assert again.meta == model.meta
    assert again.config == model.config
    # the file is plain arrays: numpy reads it without pickle
    with np.load(path, allow_pickle=False) as z:
        assert sorted(z.files) == ["float_params", "header", "int_params"]
        assert z["float_params"].size == sum(p.numel() for p in model.state_dict().values())


def test_loading_rejects_a_tampered_header(tmp_path):
    import json

    from neuroformer import load_model

    path = Neuroformer(small_config(), seed=0).save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(str(arrays["header"]))
    header["tensors"][0]["offset"] = 10**9
    arrays["header"] = np.array(json.dumps(header))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match="outside the stored parameters"):
        load_model(tmp_path / "bad.npz")
    header["version"] = 99
    arrays["header"] = np.array(json.dumps(header))
    np.savez(tmp_path / "new.npz", **arrays)
    with pytest.raises(ValueError, match="newer"):
        load_model(tmp_path / "new.npz")


def test_finetune_head_is_seeded():
    cfg = small_config()
    a, b = Neuroformer(cfg, seed=0), Neuroformer(cfg, seed=0)
    a.add_finetune_head("speed", 0, seed=5)
    b.add_finetune_head("speed", 0, seed=5)
    assert torch.equal(a.finetune_heads["speed"].weight, b.finetune_heads["speed"].weight)
    assert a.config.finetune_vars["speed"] == 0
