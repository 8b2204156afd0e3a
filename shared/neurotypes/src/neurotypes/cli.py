"""The command line every neurozoo package shares: one flag set, one error policy, the common verbs.

Each package's ``cli.py`` builds its commands with :class:`CommandLine` and imports its heavy libraries (torch,
Lightning, matplotlib) only inside the handlers, so that ``--help`` is instant::

    from neurotypes.cli import CommandLine

    cli = CommandLine("sdr-dendrites", "Sparse distributed representations and active dendrites ...")
    cli.add_reproduce("sdr_dendrites.reproduce:reproduce")
    run = cli.add_command("run", "exact probabilities for the points of a CSV file", out="table.csv")
    run.add_argument("points", help="CSV with columns n,a,s,theta")
    cli.add_info()

    def main(argv=None) -> int:
        return cli.main(argv, {"run": _run})

The policy (the same for all fourteen commands):

- flags: ``-v/--verbose`` (repeat for debug logging; also shows tracebacks), ``-q/--quiet`` (no progress
  bars), ``--out`` with its default shown, ``--seed``, ``--threads``, ``--device`` where torch is used;
- a user error (a missing or unreadable file, a wrong format, a bad option or value: ``ValueError``,
  ``TypeError``, ``OSError``, a missing optional extra) prints **one line** ``<prog>: error: ...`` naming the file
  or option and exits with status 2; ``-v`` adds the traceback;
- anything else is a bug: the traceback is printed and the status is 1; Ctrl-C exits with 130.

Only the standard library is imported here.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from typing import Any, NoReturn

__all__ = ["CommandLine", "UserError", "limit_threads"]

Handler = Callable[[argparse.Namespace], int | None]

#: Environment variables that thread pools read when they start.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


class UserError(ValueError):
    """An error in what the user asked for (an option, a file), reported on one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``prog: error: message (see prog --help)``, exit status 2."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.split()[
            0
        ]  # a verb's parser is named "<dist> <verb>": the policy names the command
        self.exit(2, f"{command}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def _device(text: str) -> str:
    if text in ("auto", "cpu", "cuda", "mps") or (text.startswith("cuda:") and text[5:].isdigit()):
        return text
    raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda, cuda:N or mps, got {text!r}")


def limit_threads(n: int | None) -> None:
    """Ask the numerical libraries of this process to use at most ``n`` threads (``None``: leave them).

    For a command-line process only (it changes process-wide settings): sets the thread variables that
    OpenMP/BLAS/numba read when they start, limits already-loaded BLAS pools through ``threadpoolctl`` when it
    is installed, and calls ``torch.set_num_threads`` / ``numba.set_num_threads`` when those are already imported.
    """
    if n is None:
        return
    for var in _THREAD_VARS:
        os.environ[var] = str(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        pass
    else:
        threadpool_limits(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    if "numba" in sys.modules:
        numba = sys.modules["numba"]
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


class CommandLine:
    """A package's command line: sub-commands with the shared flags and the shared error policy.

    Parameters
    ----------
    dist : str
        The distribution (and command) name, e.g. ``"sdr-dendrites"``.
    description : str
        One paragraph: the paper and what the package does.
    torch : bool
        Whether the package runs torch code (adds ``--device`` to ``reproduce`` and to commands that ask for it).
    """

    def __init__(self, dist: str, description: str, *, torch: bool = False) -> None:
        self.dist = dist
        self.torch = torch
        self.common = _Parser(add_help=False)
        self.common.add_argument(
            "-v", "--verbose", action="count", default=0, help="log progress (-vv: debug); show tracebacks"
        )
        self.common.add_argument("-q", "--quiet", action="store_true", help="hide progress bars")
        self.parser = _Parser(
            prog=dist,
            description=description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[self.common],
        )
        self.parser.add_argument("--version", action="version", version=f"%(prog)s {_version(dist)}")
        self.sub = self.parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        self.handlers: dict[str, Handler] = {}

    def add_command(
        self,
        name: str,
        help: str,
        *,
        description: str | None = None,
        out: str | None = None,
        out_help: str = "output path",
        seed: bool = False,
        threads: bool = False,
        device: bool = False,
    ) -> argparse.ArgumentParser:
        """Add a sub-command with the shared flags it needs.

        Parameters
        ----------
        out : str, optional
            Default of ``--out`` (shown in ``--help``); ``None``: the command writes nothing.
        seed, threads, device : bool
            Add ``--seed`` (default 0), ``--threads`` (default: the libraries' own) and ``--device`` (torch
            packages: ``auto``, ``cpu``, ``cuda``, ``cuda:N``).
        """
        p = self.sub.add_parser(
            name,
            help=help,
            description=description or help,
            parents=[self.common],
            formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        )
        if out is not None:
            p.add_argument("--out", default=out, help=out_help)
        if seed:
            p.add_argument("--seed", type=_seed, default=0, help="random seed")
        if threads:
            p.add_argument(
                "--threads", type=_positive_int, default=None, help="threads for the numerical libraries"
            )
        if device:
            p.add_argument("--device", type=_device, default="auto", help="torch device: auto, cpu, cuda[:N]")
        return p

    def add_reproduce(
        self, target: str, *, full_help: str = "the paper's full scale (slower)"
    ) -> argparse.ArgumentParser:
        """Add ``reproduce``: ``--full``, ``--out`` (default ``reports/<dist>``, ``reports/<dist>/full`` with
        ``--full``), ``--seed``, ``--threads`` and, for torch packages, ``--device``.

        ``target`` is ``"module:function"``, imported only when the command runs. The function is called as
        ``reproduce(out, quick=not full, seed=..., progress=not quiet, threads=...[, device=...])`` and must
        return a :class:`neurotypes.Report`.
        """
        p = self.add_command(
            "reproduce",
            "measure the paper's claims; write report.json, report.md and figures",
            description="Measure every claim of the paper with its pre-registered criterion and write "
            "report.json, report.md and PNG figures. Quick mode takes a few minutes on a laptop; --full runs the "
            "paper's scale where feasible.",
            out=None,
            seed=True,
            threads=True,
            device=self.torch,
        )
        p.add_argument("--full", action="store_true", help=full_help)
        p.add_argument(
            "--out",
            default=None,
            help=f"report folder (default: reports/{self.dist}, or reports/{self.dist}/full with --full)",
        )
        self.handlers["reproduce"] = lambda args: self._reproduce(target, args)
        return p

    def add_info(self, extra: Callable[[], Mapping[str, str]] | None = None) -> argparse.ArgumentParser:
        """Add ``info``: versions of the package, neurotypes, its dependencies, Python and the machine.

        ``extra`` (called only by ``info``) may add lines, e.g. whether CUDA is available.
        """
        p = self.add_command("info", "versions, dependencies and the machine (for bug reports)")
        self.handlers["info"] = lambda args: self._info(extra)
        return p

    # --------------------------------------------------------------------------------------------- running
    def main(self, argv: Sequence[str] | None = None, handlers: Mapping[str, Handler] | None = None) -> int:
        """Parse ``argv``, run the chosen command's handler and apply the error policy; return the exit status."""
        table = {**self.handlers, **(handlers or {})}
        args = self.parser.parse_args(argv)
        verbose = getattr(args, "verbose", 0)
        logging.basicConfig(
            level=logging.DEBUG if verbose >= 2 else logging.INFO if verbose else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        handler = table.get(args.command)
        if handler is None:  # pragma: no cover - a package forgot a handler
            raise RuntimeError(f"no handler for command {args.command!r}")
        try:
            limit_threads(getattr(args, "threads", None))
            status = handler(args)
        except KeyboardInterrupt:
            print(f"{self.dist}: interrupted", file=sys.stderr)
            return 130
        except (ValueError, TypeError, OSError, ImportError) as exc:
            if verbose:
                traceback.print_exc()
            print(f"{self.dist}: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        return 0 if status is None else int(status)

    def _reproduce(self, target: str, args: argparse.Namespace) -> int:
        module_name, _, func_name = target.partition(":")
        func = getattr(importlib.import_module(module_name), func_name)
        out = args.out or (f"reports/{self.dist}/full" if args.full else f"reports/{self.dist}")
        kwargs: dict[str, Any] = {
            "quick": not args.full,
            "seed": args.seed,
            "progress": not args.quiet,
            "threads": args.threads,
        }
        if self.torch:
            kwargs["device"] = args.device
        report = func(out, **kwargs)
        width = max(len(v) for v in ("reproduced", "not reproduced", "inconclusive", "not testable offline"))
        for claim in report.claims:
            print(f"{claim.verdict:>{width}}  {claim.name}")
        totals = ", ".join(f"{n} {v}" for v, n in report.totals().items() if n)
        print(f"{len(report.claims)} claims ({totals}); report.json, report.md and figures in {out}")
        return 0

    def _info(self, extra: Callable[[], Mapping[str, str]] | None) -> int:
        import platform

        lines = {
            self.dist: _version(self.dist),
            "neurotypes": _version("neurotypes"),
            "python": f"{platform.python_version()} ({sys.executable})",
            "platform": platform.platform(),
            "cpu cores": str(os.cpu_count()),
        }
        for req in _requirements(self.dist):
            lines[req] = _version(req)
        if extra is not None:
            lines.update(extra())
        width = max(len(k) for k in lines)
        for key, value in lines.items():
            print(f"{key:>{width}}  {value}")
        return 0


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, FileNotFoundError) and exc.filename and str(exc.filename) not in text:
        text = f"{text}: {exc.filename}"
    if isinstance(exc, ImportError) and "pip install" not in text:
        text = f"{text} (an optional dependency is missing; see the package README for its extras)"
    return text


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _requirements(dist: str) -> list[str]:
    """Names of the distribution's required dependencies (not extras), from its metadata."""
    try:
        reqs = metadata.requires(dist) or []
    except metadata.PackageNotFoundError:
        return []
    names = []
    for req in reqs:
        if "extra ==" in req:
            continue
        name = req.split(";")[0].strip()
        for sep in "<>=!~[ (":
            name = name.split(sep)[0]
        if name and name not in names:
            names.append(name)
    return names
