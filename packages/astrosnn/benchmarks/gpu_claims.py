"""Spec-size claim runs (copy task lag 32, Markov bound, pydoc) in parallel processes, plus the efficiency claim.

Meant for a machine with a GPU (each job trains through Lightning on ``--device cuda``), but runs on CPU too.
Each training job stops at ``--steps`` or after ``--minutes`` of wall time, whichever comes first, and records the
steps it reached. Usage::

    uv run --package astrosnn --extra baselines python packages/astrosnn/benchmarks/gpu_claims.py \\
        --device cuda --out gpu_out
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time
from pathlib import Path
from typing import Any


def job(spec: dict[str, Any]) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)
    from astrosnn import AstroSNNLM, LMConfig, data, lif_baseline
    from astrosnn.train import SequenceDataset, WindowDataset, evaluate, fit

    t0 = time.time()
    kind, astro, device = spec["kind"], spec["astro"], spec["device"]
    if kind == "copy":
        tr_c = data.copy_task(32, 8, seed=0, n_seq=4096)
        te_c = data.copy_task(32, 8, seed=1, n_seq=1024)
        tr = SequenceDataset(tr_c.tokens, tr_c.target_mask)
        te = SequenceDataset(te_c.tokens, te_c.target_mask)
        cfg = LMConfig(tr_c.vocab_size, 32, 2, max_len=64, cell_kwargs={"beta": 0.5, "alpha": 0.97})
        batch = 64
    elif kind == "markov":
        toks, h = data.markov_corpus(2, 16, 200_000, seed=0)
        tr, te = WindowDataset(toks[:180_000], 64, skip=2), WindowDataset(toks[180_000:], 64, skip=2)
        cfg = LMConfig(16, 64, 2)
        batch = 32
    else:
        text = data.pydoc_corpus()[:400_000]
        tok = data.CharTokenizer(text)
        ids = tok.encode(text)
        split = int(0.9 * len(ids))
        tr, te = WindowDataset(ids[:split], 64), WindowDataset(ids[split:], 64)
        cfg = LMConfig(tok.vocab_size, 64, 2)
        batch = 32
    lm = AstroSNNLM(cfg, seed=0) if astro else lif_baseline(cfg, seed=0)
    kw: dict[str, Any] = {"device": "cuda"} if device == "cuda" else {}
    lit = fit(
        lm, tr, steps=spec["steps"], batch_size=batch, seed=0, max_time={"minutes": spec["minutes"]}, **kw
    )
    steps = int(lit.trainer.global_step)
    lm.to("cuda" if device == "cuda" else "cpu")
    loss, acc = evaluate(lm, te)
    res = {**spec, "steps_done": steps, "loss": loss, "acc": acc, "wall_s": time.time() - t0}
    if kind == "markov":
        res["H"] = h
    return res


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--device", default="cuda")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--minutes", type=float, default=3.0)
    p.add_argument("--out", default=".")
    p.add_argument("--kinds", default="copy,markov,pydoc", help="comma-separated jobs to run")
    p.add_argument("--no-efficiency", action="store_true")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    specs = [
        {"kind": k, "astro": a, "device": args.device, "steps": args.steps, "minutes": args.minutes}
        for k in args.kinds.split(",")
        for a in (True, False)
    ]
    with mp.get_context("spawn").Pool(len(specs)) as pool:
        results = pool.map(job, specs)
    for r in results:
        print(json.dumps(r), flush=True)
    (out / "claims.json").write_text(json.dumps(results, indent=1))
    if args.no_efficiency:
        return

    import torch

    from astrosnn import AstroSNNLM, LMConfig, transformer_baseline
    from astrosnn.reproduce import measure_efficiency

    dev = "cuda" if args.device == "cuda" and torch.cuda.is_available() else "cpu"
    lengths = (192, 960)
    snn = AstroSNNLM(LMConfig(16, 64, 2, max_len=max(lengths) + 64), seed=0)
    trf = transformer_baseline(16, snn.n_params(), n_layer=2, n_positions=max(lengths) + 64, seed=0)
    eff: dict[str, Any] = measure_efficiency(snn, trf, lengths, 64, 8, repeats=5, device=dev)
    eff["params"] = {"astrosnn": snn.n_params(), "transformer": trf.n_params()}
    eff["lengths"] = list(lengths)
    print(json.dumps(eff, indent=1))
    (out / "efficiency.json").write_text(json.dumps(eff, indent=1))


if __name__ == "__main__":
    main()
