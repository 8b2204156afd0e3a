"""Time per unit of PMI decoding (beam 50, rerank) at shapes-world scale (32 units, 15 exemplars, hidden 128).

Run: `uv run --package milan-neurons python packages/milan/benchmarks/bench_describe.py`.
"""

from __future__ import annotations

import time

import torch

from milan import Captioner, LanguageModel, Milan, Vocabulary
from milan.data import TEMPLATES


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    vocab = Vocabulary.from_texts([t for ts in TEMPLATES.values() for t in ts])
    cap = Captioner(99, len(vocab), embed_dim=64, hidden_dim=128, attention_dim=128).eval()
    lm = LanguageModel(len(vocab), embed_dim=64, hidden_dim=128).eval()
    feats = torch.randn(32, 15, 99)
    describers = {s: Milan(cap, lm, vocab, lam=0.2, beam=50, strategy=s) for s in ("rerank", "mi")}
    wall = dict.fromkeys(describers, float("inf"))
    cpu = dict.fromkeys(describers, float("inf"))
    for m in describers.values():
        m.describe_features(feats[:2])  # warm-up
    for _ in range(5):  # alternate the strategies, keep the minimum of each (robust to machine load)
        for name, m in describers.items():
            t, c = time.perf_counter(), time.process_time()
            m.describe_features(feats)
            wall[name] = min(wall[name], time.perf_counter() - t)
            cpu[name] = min(cpu[name], time.process_time() - c)
    for name in describers:
        print(
            f"{name:7s} beam 50, max_len 8: {1000 * wall[name] / len(feats):6.1f} ms per unit "
            f"(CPU {1000 * cpu[name] / len(feats):.1f} ms), min of 5"
        )


if __name__ == "__main__":
    main()
