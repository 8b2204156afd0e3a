"""Every check of the neurozoo workspace.

`uvx nox` runs the default sessions (the test command): lint, typecheck, one tests-<member> session per folder
under shared/ and packages/ (discovered, never listed by hand), integration, spinnaker and build.
`uvx nox -s reproduce` is the main job: every package measures its paper's claims into reports/.

Each tests-<member> session syncs the lock into a fresh venv holding only that member, its declared dependencies
and its `test` dependency group (plus the extras named in its pyproject under [tool.neurozoo] test-extras), so a
missing dependency declaration fails here as it would for a user.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import tomllib
from pathlib import Path

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_external_run = True

ROOT = Path(__file__).parent
PYTHON = "3.11"
# Tests of the default command skip long runs and the sPyNNaker tests (they have their own session).
DEFAULT_MARKERS = "not slow and not spinnaker"


def _members() -> dict[str, Path]:
    """Workspace members: distribution name -> folder, for every folder with a pyproject under shared/, packages/."""
    found: dict[str, Path] = {}
    for group in ("shared", "packages"):
        for folder in sorted((ROOT / group).glob("*")):
            pyproject = folder / "pyproject.toml"
            if pyproject.is_file():
                name = tomllib.loads(pyproject.read_text())["project"]["name"]
                found[name] = folder
    return found


MEMBERS = _members()
PACKAGES = {name: path for name, path in MEMBERS.items() if path.parent.name == "packages"}


def _pyproject(folder: Path) -> dict:
    return tomllib.loads((folder / "pyproject.toml").read_text())


def _neurozoo_table(folder: Path) -> dict:
    return _pyproject(folder).get("tool", {}).get("neurozoo", {})


def _sync(session: nox.Session, *args: str) -> None:
    """`uv sync --frozen` into the session's venv (plain `uv sync` would target the workspace .venv)."""
    session.run_install(
        "uv",
        "sync",
        "--frozen",
        "--no-default-groups",
        *args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        silent=True,
    )


def _sync_member(session: nox.Session, name: str, *, extras: list[str] | None = None) -> None:
    args = ["--package", name, "--group", "test"]
    for extra in extras if extras is not None else _neurozoo_table(MEMBERS[name]).get("test-extras", []):
        args += ["--extra", extra]
    _sync(session, *args)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole workspace."""
    session.install("ruff>=0.8")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy: strict for neurotypes, regular for every package (each in the environment of its tests session)."""
    _sync(session, "--package", "neurotypes", "--group", "typecheck")
    session.run("mypy", "--strict", str(MEMBERS["neurotypes"] / "src"))
    for name, folder in PACKAGES.items():
        extras = [a for e in _neurozoo_table(folder).get("test-extras", []) for a in ("--extra", e)]
        _sync(session, "--package", name, "--group", "test", "--group", "typecheck", *extras)
        session.run("mypy", str(folder / "src"))


def _make_tests_session(name: str, folder: Path) -> None:
    @nox.session(name=f"tests-{name}", python=PYTHON)
    def tests(session: nox.Session) -> None:
        _sync_member(session, name)
        session.run(
            "pytest",
            str(folder / "tests"),
            "-m",
            DEFAULT_MARKERS,
            "-p",
            "no:cacheprovider",
            *session.posargs,
            env={"MPLBACKEND": "Agg", "PYNEST_QUIET": "1"},
        )

    tests.__doc__ = f"Unit tests of {name} in a venv holding only it, its dependencies and its test group."


for _name, _folder in MEMBERS.items():
    _make_tests_session(_name, _folder)


@nox.session(python=PYTHON)
def integration(session: nox.Session) -> None:
    """Cross-package tests in tests/, with the whole workspace installed."""
    _sync(session, "--all-packages", "--group", "test")
    session.run(
        "pytest",
        "tests",
        "-m",
        DEFAULT_MARKERS,
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"MPLBACKEND": "Agg", "PYNEST_QUIET": "1"},
    )


@nox.session(python=PYTHON)
def spinnaker(session: nox.Session) -> None:
    """ca3-cam through sPyNNaker: build, map, place and route the network (virtual board unless configured).

    With a real SpiNNaker machine or spalloc server named in your own ~/.spynnaker.cfg the tests run on it;
    otherwise they write a temporary config with a virtual board (see packages/ca3-cam/README.md).
    """
    if "ca3-cam" not in PACKAGES:
        session.skip("packages/ca3-cam does not exist yet")
    _sync_member(session, "ca3-cam", extras=["spinnaker"])
    session.run(
        "pytest",
        str(PACKAGES["ca3-cam"] / "tests"),
        "-m",
        "spinnaker",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"MPLBACKEND": "Agg"},
    )


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Build every wheel; install each alone in a clean venv (only the built wheels as extra source); import it."""
    dist = Path(tempfile.mkdtemp(prefix="neurozoo-dist-"))
    try:
        session.run("uv", "build", "--all-packages", "--out-dir", str(dist), "--quiet", external=True)
        for name, folder in MEMBERS.items():
            wheel = next(dist.glob(f"{name.replace('-', '_')}-*.whl"), None)
            if wheel is None:
                session.error(f"no wheel was built for {name}")
            venv = dist / f"venv-{name}"
            session.run("uv", "venv", "--quiet", "--python", PYTHON, str(venv), external=True)
            python = str(venv / "bin" / "python")
            session.run(
                "uv",
                "pip",
                "install",
                "--quiet",
                "--python",
                python,
                "--find-links",
                str(dist),
                str(wheel),
                external=True,
            )
            module = (
                _pyproject(folder).get("tool", {}).get("neurozoo", {}).get("module", name.replace("-", "_"))
            )
            session.run(
                python,
                "-c",
                f"import {module}; assert {module}.__version__ != '0.0.0', 'no version metadata'",
                external=True,
            )
    finally:
        shutil.rmtree(dist, ignore_errors=True)


@nox.session(python=PYTHON, default=False)
def reproduce(session: nox.Session) -> None:
    """The main job: run every package's `reproduce` into reports/<package>/ and write reports/index.md.

    Pass package names to run only those (`uvx nox -s reproduce -- sdr-dendrites`) and `--full` for the
    paper-scale settings (`uvx nox -s reproduce -- --full`).
    """
    full = "--full" in session.posargs
    wanted = [a for a in session.posargs if not a.startswith("-")] or list(PACKAGES)
    unknown = [w for w in wanted if w not in PACKAGES]
    if unknown:
        session.error(f"unknown package(s) {unknown}; known: {sorted(PACKAGES)}")
    reports = ROOT / "reports"
    reports.mkdir(exist_ok=True)
    failures: dict[str, str] = {}
    for name in wanted:
        command = _command(name)
        if command is None:
            failures[name] = "no command-line entry point"
            continue
        _sync_member(session, name)  # the tests' environment: extras that reading the shipped data needs
        out = reports / name
        args = [command, "reproduce", "--out", str(out)] + (["--full"] if full else [])
        try:
            session.run(*args, env={"MPLBACKEND": "Agg", "PYNEST_QUIET": "1"})
        except nox.command.CommandFailed as exc:
            failures[name] = f"reproduce failed: {exc.reason}"
    index = write_index(reports, failures)
    session.log(f"wrote {index}")
    if failures:
        session.error(f"reproduce failed for: {', '.join(sorted(failures))}")


def _command(name: str) -> str | None:
    """The package's console script: the one named like the distribution, else the one in its own module."""
    meta = _pyproject(PACKAGES[name])
    scripts = meta.get("project", {}).get("scripts", {})
    if name in scripts:
        return name
    module = meta.get("tool", {}).get("neurozoo", {}).get("module", name.replace("-", "_"))
    return next(
        (cmd for cmd, target in scripts.items() if target.split(".")[0].split(":")[0] == module), None
    )


def write_index(reports: Path, failures: dict[str, str] | None = None) -> Path:
    """Write reports/index.md: one row per claim of every reports/<package>/report.json, links to figures."""
    failures = failures or {}
    rows = [
        "# neurozoo reproduction index",
        "",
        "One row per claim: what the paper reports, what the package measured on its embedded default data, "
        "and the verdict. Written by `uvx nox -s reproduce`.",
        "",
        "| package | claim | paper | measured | verdict | figures |",
        "|---|---|---|---|---|---|",
    ]
    totals = {"reproduced": 0, "claims": 0}
    for report_json in sorted(reports.glob("*/report.json")):
        pkg_dir = report_json.parent
        data = json.loads(report_json.read_text())
        for claim in data.get("claims", []):
            figs = " ".join(f"[{Path(f).name}]({(pkg_dir.name + '/' + f)})" for f in claim.get("figures", []))
            cells = [
                f"[{data.get('package', pkg_dir.name)}]({pkg_dir.name}/report.md)",
                claim.get("name", ""),
                _fmt(claim.get("paper")),
                _fmt(claim.get("measured")),
                claim.get("verdict", ""),
                figs,
            ]
            rows.append(
                "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
            )
            totals["claims"] += 1
            totals["reproduced"] += claim.get("passed") is True
    rows += ["", f"{totals['reproduced']} of {totals['claims']} claims reproduced."]
    if failures:
        rows += ["", "Packages whose reproduction did not run:", ""]
        rows += [f"- {name}: {why}" for name, why in sorted(failures.items())]
    index = reports / "index.md"
    tmp = index.with_suffix(".md.tmp")
    tmp.write_text("\n".join(rows) + "\n")
    os.replace(tmp, index)
    return index


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return "" if value is None else str(value)
