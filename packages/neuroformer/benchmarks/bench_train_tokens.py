"""Training throughput (tokens/s): Neuroformer against Hugging Face GPT-2 with cross-attention, same configuration.

The reference implementation (a-antoniades/Neuroformer, commit 36ed940) is not installable as a library: its model
module imports torchvision, timm, torchmetrics, omegaconf and its sibling scripts, and takes a YAML-driven config and
video frames. Its runnable peer here is ``transformers.GPT2Model(add_cross_attention=True)`` at the same width, heads
and sequence lengths (the V1AL defaults: n_embd 256, 8 heads, blocks of 100 tokens, dropout 0.2). The
architectures differ: GPT-2 interleaves self- and cross-attention in every one of its layers, Neuroformer runs
separate stacks (here state 6 + state-history 6 + self 6 blocks, stimulus off), so the ratio compares
configurations, not layers; the per-block ratio is printed too.

Each side does one optimiser step (forward, backward, AdamW) on the same random batch; the two sides alternate
``--repeats`` times and the minimum time of each is kept (robust to load on a shared machine).

Run: ``uv run --package neuroformer --extra hf python packages/neuroformer/benchmarks/bench_train_tokens.py``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from importlib.metadata import version

import torch

from neuroformer import Neuroformer, NeuroformerConfig
from neurotypes.reproduction import machine_summary


def timed(step: Callable[[], None], n_steps: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n_steps):
        step()
    return (time.perf_counter() - t0) / n_steps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=2, help="optimiser steps per timing")
    p.add_argument(
        "--repeats", type=int, default=5, help="alternating timings per side (the minimum is kept)"
    )
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    from transformers import GPT2Config, GPT2Model

    torch.set_num_threads(a.threads)
    T, n_embd, n_head, vocab = 100, 256, 8, 33
    cfg = NeuroformerConfig(
        id_vocab_size=vocab,
        dt_vocab_size=19,
        id_block_size=T,
        prev_id_block_size=T,
        n_embd=n_embd,
        n_head=n_head,
        n_state_layers=a.layers,
        n_state_history_layers=a.layers,
        n_stimulus_layers=0,
        n_self_layers=a.layers,
        dropout=0.2,
    )
    nf = Neuroformer(cfg, seed=0)
    opt = torch.optim.AdamW(nf.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(0)
    batch = {
        "x_id": torch.randint(0, 30, (a.batch, T), generator=g),
        "x_dt": torch.randint(0, 16, (a.batch, T), generator=g),
        "y_id": torch.randint(0, 30, (a.batch, T), generator=g),
        "y_dt": torch.randint(0, 16, (a.batch, T), generator=g),
        "x_id_prev": torch.randint(0, 30, (a.batch, T), generator=g),
        "x_dt_prev": torch.randint(0, 16, (a.batch, T), generator=g),
    }

    def nf_step() -> None:
        _, _, losses = nf(batch)
        loss = losses["id"] + losses["dt"]
        opt.zero_grad()
        loss.backward()
        opt.step()

    torch.manual_seed(0)
    gpt = GPT2Model(
        GPT2Config(
            vocab_size=vocab,
            n_positions=T,
            n_embd=n_embd,
            n_layer=a.layers,
            n_head=n_head,
            add_cross_attention=True,
            resid_pdrop=0.2,
            attn_pdrop=0.2,
            embd_pdrop=0.2,
        )
    )
    head = torch.nn.Linear(n_embd, vocab, bias=False)
    enc = torch.nn.Embedding(vocab, n_embd)
    params = list(gpt.parameters()) + list(head.parameters()) + list(enc.parameters())
    opt2 = torch.optim.AdamW(params, lr=1e-4)

    def gpt_step() -> None:
        h = gpt(input_ids=batch["x_id"], encoder_hidden_states=enc(batch["x_id_prev"])).last_hidden_state
        loss = torch.nn.functional.cross_entropy(head(h).flatten(0, 1), batch["y_id"].flatten())
        opt2.zero_grad()
        loss.backward()
        opt2.step()

    nf_step()
    gpt_step()  # warm-up
    t_nf, t_gpt = [], []
    for _ in range(a.repeats):
        t_nf.append(timed(nf_step, a.steps))
        t_gpt.append(timed(gpt_step, a.steps))
    tokens = a.batch * T
    best_nf, best_gpt = min(t_nf), min(t_gpt)
    n_gpt = sum(p.numel() for p in params)
    m = machine_summary()
    print(
        f"machine: {m['cpu']} ({m['cores']} cores), {m['os']}, torch {torch.__version__}, threads {a.threads}"
    )
    print(f"transformers {version('transformers')}, neuroformer {version('neuroformer')}")
    print(
        f"neuroformer ({3 * a.layers} blocks, {nf.n_parameters() / 1e6:.2f} M params): {tokens / best_nf:.0f} tokens/s"
    )
    print(
        f"gpt2 + cross-attention ({a.layers} layers, {n_gpt / 1e6:.2f} M params): {tokens / best_gpt:.0f} tokens/s"
    )
    print(f"ratio neuroformer / gpt2 (tokens/s): {best_gpt / best_nf:.2f}")
    print(
        f"per block (neuroformer blocks vs gpt2 layers): {best_gpt / a.layers / (best_nf / (3 * a.layers)):.2f}"
    )


if __name__ == "__main__":
    main()
