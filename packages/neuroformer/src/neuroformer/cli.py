"""The ``neuroformer`` command: ``reproduce``, ``fit`` and ``run`` on a recording, ``info``.

Only the standard library and neurotypes' CLI scaffold are imported here; torch and Lightning are imported by
the handlers, so ``neuroformer --help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from neurotypes.cli import CommandLine

__all__ = ["cli", "main"]

_LAYOUTS = ("events", "units-by-samples", "samples-by-units")
_TOKENIZER_KEYS = (
    "dt",
    "window",
    "window_prev",
    "id_block_size",
    "prev_id_block_size",
    "dt_grid",
    "truncation",
)
_TRAINING_KEYS = ("lr", "batch_size", "epochs")

cli = CommandLine(
    "neuroformer",
    "Neuroformer: multimodal generative pretraining for spiking data (Antoniades et al., ICLR 2024). Spikes "
    "become neuron-ID + time-offset tokens; a transformer predicts the next spike from the past window.",
    torch=True,
)
cli.add_reproduce(
    "neuroformer.reproduce:reproduce", full_help="the spec's 600-s hub network, longer training"
)
_fit = cli.add_command(
    "fit",
    "pretrain a model on a recording's spikes (next-spike prediction); write a safe model file",
    out="neuroformer_model.npz",
    out_help="model file (.npz: weights + JSON metadata, no pickle)",
    seed=True,
    threads=True,
    device=True,
)
_fit.add_argument(
    "spikes", help="spike file: .nwb (Units table), .npz (neurotypes), .csv/.tsv, or a neo format"
)
_fit.add_argument("--layout", choices=_LAYOUTS, default="events", help="layout of a .csv/.tsv spike table")
_fit.add_argument(
    "--bin-size", type=float, default=None, help="bin width (s) of a count table, if not inferable"
)
_fit.add_argument(
    "--config",
    default=None,
    help="JSON with SpikeTokenizer keys (dt, window, window_prev, id_block_size, prev_id_block_size), "
    "NeuroformerConfig keys (n_embd, n_head, n_state_layers, ...) and lr, batch_size",
)
_fit.add_argument("--epochs", type=int, default=1, help="training epochs")
_run = cli.add_command(
    "run",
    "score a recording with a fitted model: held-out likelihood per window and connectivity from attention",
    out="neuroformer_run.npz",
    out_help="results (.npz: per-window log-likelihood, attention connectivity, unit ids; no pickle)",
    threads=True,
    device=True,
)
_run.add_argument("model", help="model file written by 'neuroformer fit' (.npz)")
_run.add_argument("spikes", help="spike file with the model's units (.nwb, .npz, .csv/.tsv, or a neo format)")
_run.add_argument("--layout", choices=_LAYOUTS, default="events", help="layout of a .csv/.tsv spike table")
_run.add_argument(
    "--bin-size", type=float, default=None, help="bin width (s) of a count table, if not inferable"
)
cli.add_info(lambda: _torch_info())


def _torch_info() -> Mapping[str, str]:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return {"cuda": "torch not installed"}
    return {"cuda available": str(torch.cuda.is_available())}


def _read_config(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"--config: no such file {path!r}")
    try:
        conf = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"--config: file {path!r} is not a JSON object ({exc})") from None
    if not isinstance(conf, dict):
        raise ValueError(f"--config: file {path!r} must hold a JSON object")
    return conf


def _spikes(args: argparse.Namespace) -> Any:
    from neuroformer.data import read_spikes

    return read_spikes(args.spikes, layout=args.layout, bin_size=args.bin_size)


def _fit_command(args: argparse.Namespace) -> int:
    from neuroformer.data import tokenize_dataset
    from neuroformer.model import NeuroformerConfig, resolve_device
    from neuroformer.tokenizer import SpikeTokenizer
    from neuroformer.train import NeuroformerLit, fit

    conf = _read_config(args.config)
    if args.epochs < 1:
        raise ValueError(f"--epochs must be >= 1, got {args.epochs}")
    spikes = _spikes(args)
    tok_kw = {k: conf.pop(k) for k in _TOKENIZER_KEYS if k in conf}
    lr = conf.pop("lr", 1e-3)
    batch_size = conf.pop("batch_size", 64)
    tok = SpikeTokenizer(spikes.n_units, **tok_kw)
    counts = spikes.bin(tok.dt) if hasattr(spikes, "bin") else spikes
    ds = tokenize_dataset(tok, counts, tok.default_anchors(counts.n_bins))
    try:
        cfg = NeuroformerConfig.from_tokenizer(tok, **conf)
    except TypeError as exc:
        raise ValueError(f"--config: {exc}") from None
    dev = resolve_device(args.device)
    lit = NeuroformerLit(cfg, lr=lr, seed=args.seed)
    fit(
        lit,
        ds,
        max_epochs=args.epochs,
        batch_size=batch_size,
        seed=args.seed,
        accelerator="gpu" if dev.type == "cuda" else "cpu",
        progress=not args.quiet,
    )
    model = lit.model
    model.meta = {
        "tokenizer": {"n_neurons": tok.n_neurons, **{k: getattr(tok, k) for k in _TOKENIZER_KEYS}},
        "unit_ids": list(counts.unit_ids) if getattr(counts, "unit_ids", None) is not None else None,
        "trained_on": Path(args.spikes).name,
        "windows": len(ds),
        "epochs": args.epochs,
        "seed": args.seed,
    }
    path = model.save(args.out)
    print(f"trained on {len(ds)} windows of {tok.n_neurons} units; model written to {path}")
    return 0


def _run_command(args: argparse.Namespace) -> int:
    import io

    import numpy as np

    from neuroformer import analysis
    from neuroformer.data import tokenize_dataset
    from neuroformer.model import load_model
    from neuroformer.tokenizer import SpikeTokenizer
    from neuroformer.train import window_log_likelihood
    from neurotypes import atomic_write_bytes
    from neurotypes.validation import check_path

    out = check_path("--out", args.out, must_exist=False, suffixes=(".npz",))
    model = load_model(args.model)
    tok_meta = model.meta.get("tokenizer")
    if not isinstance(tok_meta, dict):
        raise ValueError(
            f"model file {args.model!r} records no tokenizer settings (write it with 'neuroformer fit')"
        )
    spikes = _spikes(args)
    tok = SpikeTokenizer(**tok_meta)
    if spikes.n_units != tok.n_neurons:
        raise ValueError(
            f"file {args.spikes!r} holds {spikes.n_units} units but the model was trained on {tok.n_neurons}"
        )
    counts = spikes.bin(tok.dt) if hasattr(spikes, "bin") else spikes
    ds = tokenize_dataset(tok, counts, tok.default_anchors(counts.n_bins))
    ll, n_targets = window_log_likelihood(model, ds, device=args.device)
    conn = analysis.attention_connectivity(model, ds, tok.n_neurons, device=args.device)
    unit_ids = list(counts.unit_ids) if getattr(counts, "unit_ids", None) is not None else None
    header = {
        "format": "neuroformer.run",
        "version": 1,
        "model": Path(args.model).name,
        "spikes": Path(args.spikes).name,
        "unit_ids": unit_ids,
        "connectivity": "S[a, b]: attention from tokens of unit b to past tokens of unit a / its expectation",
    }
    buf = io.BytesIO()
    np.savez(
        buf,
        header=np.array(json.dumps(header)),
        anchors=ds.arrays["t"],
        log_likelihood=ll,
        n_targets=n_targets,
        connectivity=conn,
    )
    atomic_write_bytes(out, buf.getvalue())
    print(
        f"{len(ds)} windows: {-ll.mean():.3f} nats per window ({-ll.sum() / max(int(n_targets.sum()), 1):.3f} per "
        f"token); connectivity {conn.shape[0]}x{conn.shape[1]}; results written to {out}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``neuroformer`` command; returns the exit status."""
    return cli.main(argv, {"fit": _fit_command, "run": _run_command})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
