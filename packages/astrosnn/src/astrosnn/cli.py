"""Command line: ``astrosnn reproduce | fit | run | info``.

Built on :class:`neurotypes.cli.CommandLine` (the flags and error policy every neurozoo package shares). Nothing
heavy is imported at module level: torch, Lightning and the models load inside the handlers, so ``--help`` is
instant.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from neurotypes.cli import CommandLine, UserError

__all__ = ["cli", "main"]

log = logging.getLogger(__name__)

cli = CommandLine(
    "astrosnn",
    "AstroSNN: astrocyte-modulated spiking units (AM-SU) for language modelling (Shen et al., arXiv:2312.07625).\n"
    "The AM-SU equations are a reconstruction: the paper's method section could not be read.",
    torch=True,
)
cli.add_reproduce(
    "astrosnn.reproduce:reproduce", full_help="the spec's sizes (1500 steps per model; about an hour of CPU)"
)

_fit = cli.add_command(
    "fit",
    "train an AstroSNN (or the LIF-only control) language model on a text file; write a safe model file",
    description="Train a character- or byte-level AstroSNN language model on a UTF-8 text file (e.g. a local "
    "WikiText/PTB/enwik8 raw file), report the held-out cross-entropy of its last 10%% and write the model as "
    "an .npz file (arrays and JSON metadata, no pickle) that `astrosnn run` reads.",
    out="astrosnn-model.npz",
    out_help="model file to write (.npz)",
    seed=True,
    threads=True,
    device=True,
)
_fit.add_argument("corpus", help="UTF-8 text file to train on (its last 10%% is held out)")
_fit.add_argument(
    "--model", choices=["astrosnn", "lif"], default="astrosnn", help="AstroSNN or the LIF-only control"
)
_fit.add_argument(
    "--tokenizer", choices=["char", "byte"], default="char", help="character or UTF-8 byte tokens"
)
_fit.add_argument(
    "--mod", choices=["gain", "current", "gate", "none"], default="gain", help="tripartite modulation"
)
_fit.add_argument("--d-model", type=int, default=64, help="model width d")
_fit.add_argument("--layers", type=int, default=2, help="number of AM-SU blocks")
_fit.add_argument("--seq-len", type=int, default=64, help="training window (tokens)")
_fit.add_argument("--steps", type=int, default=300, help="optimiser steps")
_fit.add_argument("--batch", type=int, default=32, help="windows per step")
_fit.add_argument("--lr", type=float, default=3e-3, help="AdamW learning rate")

_run = cli.add_command(
    "run",
    "score a text file with a trained model, write its AM-SU spikes (NWB or neurotypes .npz), generate a sample",
    description="Read a model written by `astrosnn fit`, report its cross-entropy on a UTF-8 text file, write the "
    "first layer's AM-SU spikes over the text as spike trains (one step per token; .nwb needs "
    "neurotypes[nwb], .npz is a neurotypes SpikeTrains file) and print a generated continuation.",
    out="astrosnn-spikes.npz",
    out_help="spike trains to write: .nwb (a Units table) or .npz (neurotypes SpikeTrains)",
    seed=True,
    threads=True,
    device=True,
)
_run.add_argument("model", help="model file written by `astrosnn fit` (.npz)")
_run.add_argument("text", help="UTF-8 text file to score")
_run.add_argument(
    "--generate", type=int, default=200, help="tokens to generate after the text's first 32 tokens"
)
_run.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (0: greedy)")
_run.add_argument("--max-tokens", type=int, default=4096, help="score and record at most this many tokens")
_run.add_argument("--dt", type=float, default=1e-3, help="seconds per token step in the spike trains")


def _info_extra() -> Mapping[str, str]:
    import torch

    from astrosnn.baselines import transformers_available

    return {
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available",
        "transformers (GPT-2 baseline)": "installed"
        if transformers_available()
        else "not installed: pip install 'astrosnn[baselines]'",
    }


cli.add_info(_info_extra)


def _check_sizes(args: argparse.Namespace, names: Sequence[str]) -> None:
    for name in names:
        value = getattr(args, name.replace("-", "_"))
        if value < 1:
            raise UserError(f"--{name} must be a positive integer, got {value}")


def _fit_command(args: argparse.Namespace) -> int:
    _check_sizes(args, ("d-model", "layers", "seq-len", "steps", "batch"))
    if not args.lr > 0:
        raise UserError(f"--lr must be > 0, got {args.lr}")
    from astrosnn import data  # numpy only: a bad file is reported before torch loads

    text = data.load_text_file(args.corpus)
    tok = data.CharTokenizer(text) if args.tokenizer == "char" else data.ByteTokenizer()
    ids = tok.encode(text)
    split = int(0.9 * len(ids))
    if split < args.seq_len + 1 or len(ids) - split < args.seq_len + 1:
        raise UserError(
            f"corpus {args.corpus!r} is too short: {len(ids)} tokens, need 10 x (--seq-len + 1) = {10 * (args.seq_len + 1)}"
        )
    from astrosnn.baselines import lif_baseline
    from astrosnn.model import AstroSNNLM, LMConfig, save_model
    from astrosnn.train import WindowDataset, evaluate, fit

    tr, te = WindowDataset(ids[:split], args.seq_len), WindowDataset(ids[split:], args.seq_len)
    cfg = LMConfig(
        tok.vocab_size,
        args.d_model,
        args.layers,
        max_len=max(1024, args.seq_len),
        cell_kwargs={"mod": args.mod},
    )
    model = lif_baseline(cfg, seed=args.seed) if args.model == "lif" else AstroSNNLM(cfg, seed=args.seed)
    fit(
        model,
        tr,
        steps=args.steps,
        batch_size=args.batch,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
        progress=not args.quiet,
    )
    model.cpu()
    loss, acc = evaluate(model, te)
    path = save_model(model, args.out, tokenizer=tok)
    print(
        f"{args.model}: {model.n_params()} parameters, held-out cross-entropy {loss:.4f} nats/token, accuracy {acc:.3f}"
    )
    print(f"model written to {path}")
    return 0


def _run_command(args: argparse.Namespace) -> int:
    _check_sizes(args, ("max-tokens",))
    if args.generate < 0:
        raise UserError(f"--generate must be >= 0, got {args.generate}")
    if not args.temperature >= 0:
        raise UserError(f"--temperature must be >= 0, got {args.temperature}")
    if not args.dt > 0:
        raise UserError(f"--dt must be > 0, got {args.dt}")
    out = Path(args.out)
    if out.suffix.lower() not in (".nwb", ".npz"):
        raise UserError(f"--out must end in .nwb or .npz, got {args.out!r}")
    import torch

    from astrosnn import data
    from astrosnn.model import load_model, to_spike_trains
    from astrosnn.train import WindowDataset, evaluate, resolve_device

    model, tok = load_model(args.model)
    if tok is None:
        raise UserError(f"model file {args.model!r} holds no tokenizer: it cannot read text")
    text = data.load_text_file(args.text)
    try:
        ids = tok.encode(text)[: args.max_tokens]
    except ValueError as exc:
        raise UserError(
            f"file {args.text!r}: {exc} (the model's vocabulary comes from its training text)"
        ) from None
    seq = min(len(ids) - 1, model.config.max_len)
    if seq < 1:
        raise UserError(f"file {args.text!r} holds fewer than 2 tokens")
    dev = resolve_device(args.device)
    model.to(dev)
    loss, acc = evaluate(model, WindowDataset(ids, seq))
    print(
        f"cross-entropy {loss:.4f} nats/token ({loss / 0.6931471805599453:.3f} bits), accuracy {acc:.3f} on {seq} tokens"
    )
    spikes = model.layer_spikes(torch.as_tensor(ids[None, :seq], device=dev))[0]
    trains = to_spike_trains(spikes, dt=args.dt)
    if out.suffix.lower() == ".nwb":
        trains.to_nwb(
            out, description=f"AstroSNN layer-0 AM-SU spikes over {Path(args.text).name}", overwrite=True
        )
    else:
        trains.save(out)
    print(f"{trains.times.size} spikes of {trains.n_units} AM-SU units written to {out}")
    if args.generate:
        prompt = torch.as_tensor(ids[: min(32, seq)], device=dev)
        n = min(args.generate, model.config.max_len - prompt.numel())
        sample = model.generate(prompt, n, temperature=args.temperature, seed=args.seed)
        print("sample:", tok.decode(sample.cpu().numpy()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``astrosnn`` command; returns the exit status."""
    return cli.main(argv, {"fit": _fit_command, "run": _run_command})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
