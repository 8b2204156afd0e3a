"""Command line: ``astrosnn reproduce`` and ``astrosnn train``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="astrosnn",
        description=(
            "AstroSNN: astrocyte-modulated spiking units for language modelling (Shen et al., arXiv:2312.07625). "
            "The AM-SU equations are a reconstruction: the paper's method section could not be read."
        ),
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("reproduce", help="measure the paper's claims and write report.md/report.json/figures")
    r.add_argument("--out", default="reports/astrosnn", help="output folder (default: %(default)s)")
    r.add_argument(
        "--full",
        action="store_true",
        help="the spec's sizes and a lag sweep (tens of minutes to hours on CPU)",
    )

    t = sub.add_parser(
        "train", help="train an AstroSNN (or baseline) language model and print held-out loss and a sample"
    )
    t.add_argument(
        "--corpus",
        default="markov",
        help="markov | copy | pydoc | path to a UTF-8 text file (default: %(default)s)",
    )
    t.add_argument("--model", choices=["astrosnn", "lif", "transformer"], default="astrosnn")
    t.add_argument(
        "--tokenizer",
        choices=["char", "byte"],
        default="char",
        help="for text corpora (default: %(default)s)",
    )
    t.add_argument("--d-model", type=int, default=64)
    t.add_argument("--layers", type=int, default=2)
    t.add_argument(
        "--mod", choices=["gain", "current", "gate", "none"], default="gain", help="tripartite modulation"
    )
    t.add_argument("--seq-len", type=int, default=64)
    t.add_argument("--steps", type=int, default=300)
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--lr", type=float, default=3e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument(
        "--accelerator", default="cpu", help="Lightning accelerator: cpu | gpu | auto (default: %(default)s)"
    )
    t.add_argument("--devices", default="1", help="Lightning devices (default: %(default)s)")
    return p


def _train(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from astrosnn import AstroSNNLM, LMConfig, data, lif_baseline, transformer_baseline
    from astrosnn.train import SequenceDataset, WindowDataset, evaluate, fit

    decode = None
    if args.corpus == "copy":
        tr_c = data.copy_task(32, 8, seed=args.seed, n_seq=2048)
        te_c = data.copy_task(32, 8, seed=args.seed + 1, n_seq=512)
        vocab = tr_c.vocab_size
        tr: torch.utils.data.Dataset[Any] = SequenceDataset(tr_c.tokens, tr_c.target_mask)
        te: torch.utils.data.Dataset[Any] = SequenceDataset(te_c.tokens, te_c.target_mask)
        seq = 64
    else:
        if args.corpus == "markov":
            ids, h = data.markov_corpus(2, 16, 200_000, seed=args.seed)
            vocab = 16
            print(f"entropy rate H = {h:.4f} nats/token")
        else:
            text = data.pydoc_corpus() if args.corpus == "pydoc" else data.load_text_file(args.corpus)
            tok = data.CharTokenizer(text) if args.tokenizer == "char" else data.ByteTokenizer()
            ids = tok.encode(text)
            vocab = tok.vocab_size
            decode = tok.decode
        split = int(0.9 * len(ids))
        tr = WindowDataset(ids[:split], args.seq_len)
        te = WindowDataset(ids[split:], args.seq_len)
        seq = args.seq_len
    cfg = LMConfig(
        vocab, args.d_model, args.layers, max_len=max(1024, seq + 256), cell_kwargs={"mod": args.mod}
    )
    model: torch.nn.Module
    if args.model == "transformer":
        model = transformer_baseline(
            vocab, AstroSNNLM(cfg).n_params(), n_layer=args.layers, n_positions=seq + 256, seed=args.seed
        )
    elif args.model == "lif":
        model = lif_baseline(cfg, seed=args.seed)
    else:
        model = AstroSNNLM(cfg, seed=args.seed)
    devices: int | str = int(args.devices) if args.devices.isdigit() else args.devices
    fit(
        model,
        tr,
        steps=args.steps,
        batch_size=args.batch,
        lr=args.lr,
        seed=args.seed,
        accelerator=args.accelerator,
        devices=devices,
        progress=True,
    )
    model.cpu()
    loss, acc = evaluate(model, te)
    print(
        f"{args.model}: {sum(p.numel() for p in model.parameters())} parameters, held-out loss {loss:.4f} nats, accuracy {acc:.3f}"
    )
    if decode is not None:
        prompt = torch.as_tensor(np.asarray(te.tokens[:32]))  # type: ignore[attr-defined]
        sample = model.generate(prompt, 200, temperature=0.8, seed=args.seed)
        print("sample:", decode(sample.tolist()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``astrosnn`` command."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "reproduce":
        from astrosnn.reproduce import reproduce

        report = reproduce(args.out, quick=not args.full, progress=True)
        print(report.to_markdown())
        return 0
    return _train(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
