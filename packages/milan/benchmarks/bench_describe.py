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
    for strategy in ("rerank", "mi"):
        m = Milan(cap, lm, vocab, lam=0.2, beam=50, strategy=strategy)
        m.describe_features(feats[:2])
        t = time.perf_counter()
        m.describe_features(feats)
        dt = time.perf_counter() - t
        print(f"{strategy:7s} beam 50, max_len 8: {1000 * dt / len(feats):6.1f} ms per unit")


if __name__ == "__main__":
    main()
