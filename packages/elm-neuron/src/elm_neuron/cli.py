"""Command line: ``elm-neuron reproduce | train | params``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="elm-neuron",
        description="The Expressive Leaky Memory neuron (Spieler et al., ICLR 2024): reproduce the paper's "
        "claims, train on the synthetic or real SHD tasks, count parameters.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (INFO level)")
    sub = parser.add_subparsers(dest="command", required=True)

    rep = sub.add_parser("reproduce", help="measure the paper's claims; write report.json/.md and figures")
    rep.add_argument(
        "--full", action="store_true", help="2000 training steps on the adding task (default: quick)"
    )
    rep.add_argument("--out", type=Path, default=Path("reports/elm-neuron"), help="output folder")

    tr = sub.add_parser("train", help="train an ELM classifier and print test accuracy")
    tr.add_argument("--task", choices=["synth-shd", "synth-adding", "shd", "shd-adding"], default="synth-shd")
    tr.add_argument("file", nargs="?", type=Path, help="SHD HDF5 training file (tasks shd / shd-adding)")
    tr.add_argument("--test-file", type=Path, help="SHD HDF5 test file (default: hold out 20%% of FILE)")
    tr.add_argument("--steps", type=int, default=400, help="optimiser steps (default 400)")
    tr.add_argument("--batch-size", type=int, default=64, help="batch size (default 64; the paper's SHD: 8)")
    tr.add_argument(
        "--num-memory", type=int, default=None, help="memory units d_m (default 32 synthetic, 100 SHD)"
    )
    tr.add_argument("--tau-max", type=float, default=None, help="tau_m max (default 100 synthetic, 500 SHD)")
    tr.add_argument("--version", type=int, choices=[1, 2], default=1, help="ELM version")
    tr.add_argument("--lr", type=float, default=5e-3, help="learning rate (default 5e-3)")
    tr.add_argument("--seed", type=int, default=0, help="seed")
    tr.add_argument("--accelerator", default="cpu", help="Lightning accelerator (cpu, gpu, auto)")
    tr.add_argument("--devices", default="1", help="Lightning devices (e.g. 1, 4, auto)")
    tr.add_argument("--save", type=Path, help="write the trained state dict (reference key names) here")

    pc = sub.add_parser("params", help="closed-form trainable parameter count of a configuration")
    pc.add_argument("config", type=Path, help="a model_config.json (reference or elm-neuron keys)")
    return parser


def _train(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from . import data
    from .model import ELM
    from .train import ELMClassifier, accuracy, fit_classifier

    synthetic = args.task.startswith("synth")
    if synthetic:
        gen = data.synthetic_shd if args.task == "synth-shd" else data.synthetic_shd_adding
        x_train, y_train = gen(4096, seed=args.seed + 1)
        x_test, y_test = gen(1024, seed=args.seed + 2)
        n_out = 10 if args.task == "synth-shd" else 19
        cfg: dict[str, Any] = {
            "num_memory": args.num_memory or 32,
            "tau_m_max": args.tau_max or 100.0,
            "delta_t": 1.0,
        }
        optimizer, dropout = "adam", 0.0
    else:
        if args.file is None:
            print("error: tasks shd / shd-adding need the SHD HDF5 FILE", file=sys.stderr)
            return 2
        try:
            x, y = data.shd(args.file)
            test = None if args.test_file is None else data.shd(args.test_file)
        except (OSError, ValueError) as err:  # missing or unreadable file: one line naming it, no traceback
            print(f"error: {err}", file=sys.stderr)
            return 2
        if test is not None:
            x_train, y_train = x, y
            x_test, y_test = test
        else:
            order = np.random.default_rng(args.seed).permutation(len(y))
            cut = int(0.8 * len(y))
            x_train, y_train, x_test, y_test = x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]
        n_out = 20
        if args.task == "shd-adding":
            x_train, y_train = data.shd_adding(x_train, y_train, len(y_train), seed=args.seed)
            x_test, y_test = data.shd_adding(x_test, y_test, len(y_test), seed=args.seed + 1)
            n_out = 19
        cfg = {"num_memory": args.num_memory or 100, "tau_m_max": args.tau_max or 500.0, "delta_t": 10.0}
        optimizer, dropout = "adamax", 0.5
    torch.manual_seed(args.seed)
    model = ELM(x_train.shape[-1], n_out, version=args.version, **cfg)
    module = ELMClassifier(model, lr=args.lr, optimizer=optimizer, input_dropout=dropout,
                           cosine_steps=None if synthetic else args.steps)  # fmt: skip
    devices: int | str = int(args.devices) if args.devices.isdigit() else args.devices
    fit_classifier(module, x_train, y_train, steps=args.steps, batch_size=args.batch_size, seed=args.seed,
                   accelerator=args.accelerator, devices=devices, progress=True)  # fmt: skip
    acc = accuracy(module, x_test, y_test)
    print(json.dumps({"task": args.task, "test_accuracy": acc, "params": model.num_trainable_parameters()}))
    if args.save is not None:
        torch.save(model.state_dict(), args.save)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``elm-neuron`` command."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if args.command == "reproduce":
        from .reproduce import reproduce

        report = reproduce(args.out, quick=not args.full)
        print(report.to_markdown())
        return 0
    if args.command == "train":
        return _train(args)
    from .model import count_params

    try:
        config = json.loads(args.config.read_text())
    except (OSError, json.JSONDecodeError) as err:
        print(f"error: cannot read config {args.config}: {err}", file=sys.stderr)
        return 2
    print(count_params(config))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
