"""Training tokens per second: Neuroformer vs Hugging Face GPT-2 with cross-attention, same configuration.

The reference implementation (a-antoniades/Neuroformer) is not installable as a library (scripts with wandb,
gdown and pinned torch 1.13), so its peer here is ``transformers.GPT2Model(add_cross_attention=True)`` at the
same width, heads, depth and sequence lengths (V1AL defaults: n_embd 256, 8 heads, blocks of 100 tokens).
Note the architectures differ: GPT-2 interleaves self- and cross-attention in every layer, Neuroformer runs
separate stacks (state 6 + state-history 6 + self 6 here, stimulus off).

Run: ``uv run --package neuroformer --with transformers python packages/neuroformer/benchmarks/bench_train_tokens.py``
"""

from __future__ import annotations

import argparse
import time

import torch

from neuroformer import Neuroformer, NeuroformerConfig


def bench(step, n_steps: int) -> float:
    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(n_steps):
        step()
    return (time.perf_counter() - t0) / n_steps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    T = 100
    cfg = NeuroformerConfig(
        id_vocab_size=33,
        dt_vocab_size=19,
        id_block_size=T,
        prev_id_block_size=T,
        n_embd=256,
        n_head=8,
        n_state_layers=a.layers,
        n_state_history_layers=a.layers,
        n_stimulus_layers=0,
        n_self_layers=a.layers,
        dropout=0.2,
    )
    nf = Neuroformer(cfg)
    opt = torch.optim.AdamW(nf.parameters(), lr=1e-4)
    batch = {
        "x_id": torch.randint(0, 30, (a.batch, T)),
        "x_dt": torch.randint(0, 16, (a.batch, T)),
        "y_id": torch.randint(0, 30, (a.batch, T)),
        "y_dt": torch.randint(0, 16, (a.batch, T)),
        "x_id_prev": torch.randint(0, 30, (a.batch, T)),
        "x_dt_prev": torch.randint(0, 16, (a.batch, T)),
    }

    def nf_step() -> None:
        _, _, losses = nf(batch)
        loss = losses["id"] + losses["dt"]
        opt.zero_grad()
        loss.backward()
        opt.step()

    t_nf = bench(nf_step, a.steps)
    tokens = a.batch * T
    print(f"neuroformer: {tokens / t_nf:.0f} train tokens/s ({nf.n_parameters() / 1e6:.2f} M params)")
    try:
        from transformers import GPT2Config, GPT2Model
    except ImportError:
        print("transformers not installed: skipping the GPT-2 peer")
        return
    g = GPT2Model(
        GPT2Config(
            vocab_size=33,
            n_positions=T,
            n_embd=256,
            n_layer=a.layers,
            n_head=8,
            add_cross_attention=True,
            resid_pdrop=0.2,
            attn_pdrop=0.2,
            embd_pdrop=0.2,
        )
    )
    head = torch.nn.Linear(256, 33, bias=False)
    enc = torch.nn.Embedding(33, 256)
    params = list(g.parameters()) + list(head.parameters()) + list(enc.parameters())
    opt2 = torch.optim.AdamW(params, lr=1e-4)

    def gpt_step() -> None:
        h = g(input_ids=batch["x_id"], encoder_hidden_states=enc(batch["x_id_prev"])).last_hidden_state
        loss = torch.nn.functional.cross_entropy(head(h).flatten(0, 1), batch["y_id"].flatten())
        opt2.zero_grad()
        loss.backward()
        opt2.step()

    t_g = bench(gpt_step, a.steps)
    n_g = sum(p.numel() for p in params)
    print(f"gpt2+cross-attention: {tokens / t_g:.0f} train tokens/s ({n_g / 1e6:.2f} M params)")
    print(f"ratio neuroformer / gpt2 tokens/s: {t_g / t_nf:.2f}")


if __name__ == "__main__":
    main()
