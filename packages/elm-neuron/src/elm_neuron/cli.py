"""Command line: ``elm-neuron reproduce | fit | run | train | params | info``.

Built on ``neurotypes.cli.CommandLine`` (the flags and the one-line error policy every neurozoo package shares).
Nothing heavy is imported at module level: torch, Lightning and matplotlib load inside the handlers, so
``elm-neuron --help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from neurotypes.cli import CommandLine

__all__ = ["cli", "main"]

cli = CommandLine(
    "elm-neuron",
    "The Expressive Leaky Memory neuron (Spieler et al., ICLR 2024): reproduce the paper's claims, fit a neuron "
    "to a recorded unit, drive a neuron with recorded spike trains, train classifiers on the synthetic or real "
    "SHD tasks, count parameters.",
    torch=True,
)
cli.add_reproduce(
    "elm_neuron.reproduce:reproduce", full_help="2000 training steps on the adding task (slower)"
)

_fit_parser = cli.add_command(
    "fit",
    "fit a neuron to one unit of a recording (its spikes predicted from the other units' spikes)",
    description="Fit an ELM neuron to one unit of your recording: the recording is binned, cut into windows, "
    "and a neuron learns to predict the target unit's spikes from the other units' spikes (the NeuronIO task on "
    "your own data). The last 20% of the windows are held out: the held-out AUC is printed and stored with the "
    "model. Reads NWB Units tables (.nwb, needs neurotypes[nwb]), saved neurotypes SpikeTrains (.npz) and neo "
    "formats with one segment.",
    out="elm_neuron_fit.npz",
    out_help="model file to write (arrays + JSON metadata, no pickle)",
    seed=True,
    threads=True,
    device=True,
)
_fit_parser.add_argument("recording", type=Path, help="spike-sorted recording (.nwb, .npz, or a neo format)")
_fit_parser.add_argument(
    "--target", default=None, help="id of the unit to predict (default: the unit with most spikes)"
)
_fit_parser.add_argument(
    "--bin-size", type=float, default=0.01, help="bin width in seconds (the neuron's time step)"
)
_fit_parser.add_argument("--window", type=int, default=200, help="bins per training window")
_fit_parser.add_argument("--num-memory", type=int, default=16, help="memory units d_m")
_fit_parser.add_argument("--tau-max", type=float, default=150.0, help="longest memory timescale, in bins")
_fit_parser.add_argument("--steps", type=int, default=300, help="optimiser steps")
_fit_parser.add_argument("--batch-size", type=int, default=16, help="windows per batch")
_fit_parser.add_argument("--lr", type=float, default=5e-3, help="Adam learning rate")

_run_parser = cli.add_command(
    "run",
    "drive a neuron with the spike trains of a recording; write its outputs over time",
    description="Drive a saved neuron (from fit or train) or a pretrained NeuronIO neuron with the spike trains "
    "of a recording and write its outputs as neurotypes Traces (.npz, one trace per output at the bin rate). A "
    "neuron from fit takes the units it was fitted on (by id) and its bin size.",
    out="elm_neuron_outputs.npz",
    out_help="Traces file to write (.npz)",
    device=True,
)
_run_parser.add_argument("recording", type=Path, help="spike-sorted recording (.nwb, .npz, or a neo format)")
_run_parser.add_argument("--model", type=Path, default=None, help="model file from fit or train")
_run_parser.add_argument(
    "--pretrained",
    default="10",
    help="without --model: the pretrained NeuronIO neuron d_m (1 ... 100 or best; 1278 input units)",
)
_run_parser.add_argument(
    "--units", default=None, help="comma-separated unit ids used as inputs, in input order"
)
_run_parser.add_argument(
    "--bin-size", type=float, default=None, help="bin width in seconds (default: the model's)"
)

_train_parser = cli.add_command(
    "train",
    "train an ELM classifier on the synthetic tasks or an SHD file and print its test accuracy",
    out="elm_neuron_classifier.npz",
    out_help="model file to write (arrays + JSON metadata, no pickle)",
    seed=True,
    threads=True,
    device=True,
)
_train_parser.add_argument(
    "--task", choices=["synth-shd", "synth-adding", "shd", "shd-adding"], default="synth-shd"
)
_train_parser.add_argument(
    "file", nargs="?", type=Path, help="SHD HDF5 training file (tasks shd / shd-adding)"
)
_train_parser.add_argument(
    "--test-file", type=Path, help="SHD HDF5 test file (default: hold out 20%% of FILE)"
)
_train_parser.add_argument("--steps", type=int, default=400, help="optimiser steps")
_train_parser.add_argument("--batch-size", type=int, default=64, help="batch size (the paper's SHD: 8)")
_train_parser.add_argument(
    "--num-memory", type=int, default=None, help="memory units d_m (default 32 synthetic, 100 SHD)"
)
_train_parser.add_argument(
    "--tau-max", type=float, default=None, help="tau_m max (default 100 synthetic, 500 SHD)"
)
_train_parser.add_argument("--version", type=int, choices=[1, 2], default=1, help="ELM version")
_train_parser.add_argument("--lr", type=float, default=5e-3, help="learning rate")

_params_parser = cli.add_command("params", "closed-form trainable parameter count of a model_config.json")
_params_parser.add_argument("config", type=Path, help="a model_config.json (reference or elm-neuron keys)")


def _info_extra() -> dict[str, str]:
    import torch

    from . import fused

    return {
        "numba kernels": "yes" if fused.numba_available() else "no (pip install 'elm-neuron[fast]')",
        "cuda": str(torch.cuda.is_available()),
    }


cli.add_info(_info_extra)


def _check_positive(name: str, value: float | int | None) -> None:
    if value is not None and not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")


def _fit(args: argparse.Namespace) -> int:
    from .data import read_recording

    trains = read_recording(args.recording)  # file errors first
    for name in ("bin_size", "window", "num_memory", "tau_max", "steps", "batch_size", "lr"):
        _check_positive(f"--{name.replace('_', '-')}", getattr(args, name))
    from .model import save_model
    from .train import accelerator_for, fit_neuron_to_unit

    target: int | str | None = args.target
    model, metrics = fit_neuron_to_unit(
        trains,
        target,
        bin_size=args.bin_size,
        window=args.window,
        num_memory=args.num_memory,
        tau_m_max=args.tau_max,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        accelerator=accelerator_for(args.device),
        progress=not args.quiet,
    )
    metrics["recording"] = Path(args.recording).name
    path = save_model(model, args.out, metadata={"task": "fit", **metrics})
    print(json.dumps({**metrics, "model": str(path)}))
    return 0


def _run(args: argparse.Namespace) -> int:
    from .data import read_recording

    trains = read_recording(args.recording)  # file errors first
    _check_positive("--bin-size", args.bin_size)
    from .model import load_model, neuron_response
    from .pretrained_models import pretrained

    metadata: dict[str, Any] = {}
    if args.model is not None:
        model, metadata = load_model(args.model)
    else:
        size: int | str = "best" if args.pretrained == "best" else int(args.pretrained)
        model = pretrained("neuronio", num_memory=size, require_binary_input=False)
    units: list[str] | None = None
    if args.units:
        units = [u.strip() for u in args.units.split(",") if u.strip()]
    elif metadata.get("inputs"):
        units = [str(u) for u in metadata["inputs"]]
    bin_size = args.bin_size if args.bin_size is not None else metadata.get("bin size (s)")
    if args.device not in ("auto", "cpu"):
        model = model.to(args.device)
    traces = neuron_response(model, trains, bin_size, units)
    path = traces.save(args.out)
    print(json.dumps({"outputs": traces.data.shape[0], "samples": traces.data.shape[1], "file": str(path)}))
    return 0


def _train(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from . import data
    from .model import ELM, save_model
    from .train import ELMClassifier, accelerator_for, accuracy, fit_classifier

    synthetic = args.task.startswith("synth")
    for name in ("steps", "batch_size", "num_memory", "tau_max", "lr"):
        _check_positive(f"--{name.replace('_', '-')}", getattr(args, name))
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
            raise ValueError(f"tasks shd / shd-adding need the SHD HDF5 FILE (task {args.task})")
        x, y = data.shd(args.file)
        if args.test_file is not None:
            x_train, y_train = x, y
            x_test, y_test = data.shd(args.test_file)
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
    fit_classifier(module, x_train, y_train, steps=args.steps, batch_size=args.batch_size, seed=args.seed,
                   accelerator=accelerator_for(args.device), progress=not args.quiet)  # fmt: skip
    acc = accuracy(module, x_test, y_test)
    result = {"task": args.task, "test_accuracy": acc, "params": model.num_trainable_parameters()}
    path = save_model(model.cpu(), args.out, metadata={**result, "steps": args.steps, "seed": args.seed})
    print(json.dumps({**result, "model": str(path)}))
    return 0


def _params(args: argparse.Namespace) -> int:
    from neurotypes.validation import check_path

    from .config import count_params

    path = check_path("config", args.config)
    try:
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"cannot read config {str(path)!r} as JSON: {err}") from err
    print(count_params(config))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``elm-neuron`` command."""
    return cli.main(argv, {"fit": _fit, "run": _run, "train": _train, "params": _params})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
