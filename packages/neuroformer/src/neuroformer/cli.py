"""Command line: ``neuroformer reproduce`` and ``neuroformer train``."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="neuroformer",
        description=(
            "Neuroformer: multimodal generative pretraining for spiking data (Antoniades et al., ICLR 2024). "
            "Spikes become neuron-ID + time-offset tokens; a transformer predicts the next spike."
        ),
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser(
        "reproduce", help="measure the paper's claims on the embedded simulations; write a report"
    )
    r.add_argument("--out", default="reports/neuroformer", help="output folder (default: %(default)s)")
    r.add_argument("--full", action="store_true", help="600-s hub network and longer training (slow on CPU)")

    t = sub.add_parser(
        "train",
        help="pretrain a unimodal model on a spike file (neurotypes SpikeTrains .npz) or the hub simulation",
    )
    t.add_argument(
        "--config", default=None, help="JSON file with SpikeTokenizer/NeuroformerConfig/training keys"
    )
    t.add_argument("--spikes", default=None, help="SpikeTrains .npz (default: simulate the hub network)")
    t.add_argument("--epochs", type=int, default=1, help="training epochs (default: %(default)s)")
    t.add_argument(
        "--out", default="neuroformer_model.pt", help="where to save the state dict (default: %(default)s)"
    )
    t.add_argument(
        "--accelerator", default="auto", help="Lightning accelerator: cpu, gpu, auto (default: %(default)s)"
    )
    return p


def _train(args: argparse.Namespace) -> int:
    import torch

    from neuroformer import NeuroformerConfig, NeuroformerLit, SpikeTokenizer, fit, sim, tokenize_dataset
    from neurotypes import SpikeTrains

    conf: dict[str, object] = {}
    if args.config:
        conf = json.loads(Path(args.config).read_text())
    tok_keys = ("dt", "window", "window_prev", "id_block_size", "prev_id_block_size")
    spikes = SpikeTrains.load(args.spikes) if args.spikes else sim.hub_network(duration=120.0).spikes
    tok = SpikeTokenizer(spikes.n_units, **{k: conf.pop(k) for k in tok_keys if k in conf})  # type: ignore[arg-type]
    lr = float(conf.pop("lr", 1e-3))  # type: ignore[arg-type]
    batch_size = int(conf.pop("batch_size", 64))  # type: ignore[call-overload]
    counts = spikes.bin(tok.dt)
    ds = tokenize_dataset(tok, counts, tok.default_anchors(counts.n_bins))
    cfg = NeuroformerConfig.from_tokenizer(tok, **conf)
    lit = NeuroformerLit(cfg, lr=lr)
    fit(lit, ds, max_epochs=args.epochs, batch_size=batch_size, accelerator=args.accelerator, progress=True)
    torch.save({"config": cfg.to_dict(), "state_dict": lit.model.state_dict()}, args.out)
    print(f"saved {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``neuroformer`` command."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "reproduce":
        from neuroformer import reproduce

        report = reproduce(args.out, quick=not args.full)
        print(report.to_markdown())
        return 0
    return _train(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
