"""Every check of the neurozoo workspace.

`uvx nox` runs the default sessions (the test command): lint, typecheck, one tests-<member> session per folder
under shared/ and packages/ (discovered, never listed by hand), workspace, integration, spinnaker,
release-check and docs. `uvx nox -s reproduce` is the main job: every package measures its paper's claims into
reports/. `min-deps`, `readme-install` and `build` run on demand.

Each tests-<member> session syncs the lock into a fresh venv holding only that member, its declared dependencies
and its `test` dependency group (plus the extras named in its pyproject under [tool.neurozoo] test-extras), so a
missing dependency declaration fails here as it would for a user. `release-check` goes further: it installs each
member's built wheel alone, from a package index on 127.0.0.1 holding only the built wheels (every other
dependency from the registry, as a user gets it), and runs the member's tests against that installed wheel.
"""

from __future__ import annotations

import contextlib
import functools
import html
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
import tomllib
import zipfile
from collections.abc import Iterator
from email.parser import Parser
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
TEST_ENV = {"MPLBACKEND": "Agg", "PYNEST_QUIET": "1"}


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


def _module(name: str) -> str:
    return _neurozoo_table(MEMBERS[name]).get("module", name.replace("-", "_"))


def _data_env(name: str) -> dict[str, str]:
    """Run-time data that stays in the repository (not the wheel): the variable naming it, set for reproduce."""
    table = _neurozoo_table(MEMBERS[name])
    if "data-env" in table and "data-dir" in table:
        return {table["data-env"]: str(MEMBERS[name] / table["data-dir"])}
    return {}


def _test_extras(name: str) -> list[str]:
    return list(_neurozoo_table(MEMBERS[name]).get("test-extras", []))


def _sync(session: nox.Session, *args: str, env_dir: str | None = None) -> None:
    """`uv sync --frozen` into the session's venv (plain `uv sync` would target the workspace .venv)."""
    session.run_install(
        "uv",
        "sync",
        "--frozen",
        "--no-default-groups",
        *args,
        env={"UV_PROJECT_ENVIRONMENT": env_dir or session.virtualenv.location},
        silent=True,
    )


def _sync_member(session: nox.Session, name: str, *, extras: list[str] | None = None) -> None:
    args = ["--package", name, "--group", "test"]
    for extra in extras if extras is not None else _test_extras(name):
        args += ["--extra", extra]
    _sync(session, *args)


def _selected(session: nox.Session, pool: dict[str, Path]) -> list[str]:
    wanted = [a for a in session.posargs if not a.startswith("-")] or list(pool)
    unknown = [w for w in wanted if w not in pool]
    if unknown:
        session.error(f"unknown member(s) {unknown}; known: {sorted(pool)}")
    return wanted


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole workspace."""
    session.install("ruff>=0.8")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy: strict for neurotypes, regular for every package (each in the environment of its tests session)."""
    _sync(session, "--package", "neurotypes", "--group", "typecheck", "--all-extras")
    session.run("mypy", "--strict", str(MEMBERS["neurotypes"] / "src"))
    for name, folder in PACKAGES.items():
        extras = [a for e in _test_extras(name) for a in ("--extra", e)]
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
            env=TEST_ENV,
        )

    tests.__doc__ = f"Unit tests of {name} in a venv holding only it, its dependencies and its test group."


for _name, _folder in MEMBERS.items():
    _make_tests_session(_name, _folder)


@nox.session(python=PYTHON)
def workspace(session: nox.Session) -> None:
    """The contract every package keeps (tests/workspace): the package shape, CLI flags and error policy, imports
    without global side effects, no unsafe loading, versions and changelogs, files across types, the index."""
    _sync(session, "--all-packages", "--group", "test", "--all-extras")
    session.run(
        "pytest",
        "tests/workspace",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env=TEST_ENV,
    )


def _integration_envs(session: nox.Session) -> Path:
    """One venv per package holding only that package (its tests' extras included) and neurotypes."""
    base = Path(session.virtualenv.location).parent / "integration-envs"
    base.mkdir(exist_ok=True)
    for name in MEMBERS:
        args = ["--package", name, "--no-dev"] + [a for e in _test_extras(name) for a in ("--extra", e)]
        _sync(session, *args, env_dir=str(base / name))
    return base


@nox.session(python=PYTHON)
def integration(session: nox.Session) -> None:
    """Cross-package pipelines as users run them: each stage in a venv holding only its own package, stages
    handing neurotypes files to each other; the last stage asserts the science (tests/integration)."""
    _sync(session, "--package", "neurotypes", "--group", "test", "--all-extras")
    envs = _integration_envs(session)
    session.run(
        "pytest",
        "tests/integration",
        "-m",
        DEFAULT_MARKERS,
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={**TEST_ENV, "NEUROZOO_ENVS": str(envs)},
    )


@nox.session(python=PYTHON)
def spinnaker(session: nox.Session) -> None:
    """Every package with a `spinnaker` extra through sPyNNaker: build, map, place and route its networks (a
    virtual board unless a real machine or spalloc server is configured in your own ~/.spynnaker.cfg)."""
    names = [
        n
        for n, f in PACKAGES.items()
        if "spinnaker" in _pyproject(f)["project"].get("optional-dependencies", {})
    ]
    if not names:
        session.skip("no package has a spinnaker extra")
    for name in names:
        _sync_member(session, name, extras=[*_test_extras(name), "spinnaker"])
        session.run(
            "pytest",
            str(PACKAGES[name] / "tests"),
            "-m",
            "spinnaker",
            "-p",
            "no:cacheprovider",
            *session.posargs,
            env=TEST_ENV,
        )


# ------------------------------------------------------------------------------------- building and releasing
def _build(session: nox.Session, names: list[str], dist: Path) -> None:
    for name in names:
        session.run("uv", "build", "--package", name, "--out-dir", str(dist), "--quiet", external=True)


def _artifacts(dist: Path, name: str) -> tuple[Path, Path]:
    stem = re.sub(r"[-_.]+", "_", name).lower()
    wheel = next(dist.glob(f"{stem}-*.whl"), None)
    sdist = next(dist.glob(f"{stem}-*.tar.gz"), None)
    if wheel is None or sdist is None:
        raise RuntimeError(f"no wheel/sdist was built for {name}")
    return wheel, sdist


@contextlib.contextmanager
def _local_index(dist: Path) -> Iterator[str]:
    """Serve the built distributions as a PEP 503 simple index on 127.0.0.1; yield its URL."""
    root = dist / "index"
    simple = root / "simple"
    files = root / "files"
    shutil.rmtree(root, ignore_errors=True)
    files.mkdir(parents=True)
    projects: dict[str, list[str]] = {}
    for f in sorted(dist.iterdir()):
        if f.suffix == ".whl" or f.name.endswith(".tar.gz"):
            shutil.copy(f, files / f.name)
            project = re.sub(r"[-_.]+", "-", f.name.split("-")[0]).lower()
            projects.setdefault(project, []).append(f.name)
    for project, names in projects.items():
        (simple / project).mkdir(parents=True)
        links = "".join(f'<a href="../../files/{html.escape(n)}">{html.escape(n)}</a><br/>\n' for n in names)
        (simple / project / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
    (simple / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n"
        + "".join(f'<a href="{p}/">{p}</a><br/>\n' for p in projects)
        + "</body></html>\n"
    )
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _check_metadata(session: nox.Session, name: str, wheel: Path, sdist: Path) -> list[str]:
    """What a user and PyPI see: readme, licence files, URLs, classifiers, requires-python; a lean sdist.
    Returns the problems found (empty when the member is fine)."""
    problems = []
    with zipfile.ZipFile(wheel) as z:
        meta_name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(z.read(meta_name).decode())
        licences = [n for n in z.namelist() if ".dist-info/licenses/" in n]
        wheel_names = z.namelist()
    if (
        meta.get("Description-Content-Type", "").split(";")[0] != "text/markdown"
        or len(meta.get_payload()) < 500
    ):
        problems.append("the README is not the long description (text/markdown)")
    if not licences or not meta.get_all("License-File"):
        problems.append("no licence file in the wheel (License-File)")
    if not meta.get("License-Expression") and not meta.get("License"):
        problems.append("no licence expression")
    urls = {u.split(",")[0].strip() for u in meta.get_all("Project-URL") or []}
    for needed in ("Documentation", "Source", "Changelog"):
        if needed not in urls:
            problems.append(f"no Project-URL {needed!r} (has {sorted(urls)})")
    classifiers = meta.get_all("Classifier") or []
    for needed in ("Programming Language :: Python :: 3.11", "Intended Audience :: Science/Research"):
        if needed not in classifiers:
            problems.append(f"classifier {needed!r} missing")
    if not (meta.get("Requires-Python") or "").replace(" ", "").startswith(">=3.11"):
        problems.append(f"Requires-Python is {meta.get('Requires-Python')!r}, expected >=3.11")
    module = _module(name)
    if not any(n.startswith(f"{module}/") and n.endswith("py.typed") for n in wheel_names):
        problems.append("no py.typed in the wheel")
    with tarfile.open(sdist) as t:
        members = [m for m in t.getmembers() if m.isfile()]
    top = members[0].name.split("/")[0] if members else ""
    rel = {m.name[len(top) + 1 :]: m.size for m in members}
    for needed in ("pyproject.toml", "README.md", "CHANGELOG.md"):
        if needed not in rel:
            problems.append(f"the sdist lacks {needed}")
    if not any(k.startswith("LICENSE") for k in rel):
        problems.append("the sdist lacks a LICENSE file")
    if not any(k.startswith(f"src/{module}/") for k in rel):
        problems.append("the sdist lacks the sources")
    large = [f"{k} ({v // 1024} KiB)" for k, v in rel.items() if v > 256 * 1024 and not k.startswith("src/")]
    if large:
        problems.append(f"the sdist carries large files it does not need to build: {large}")
    total = sum(rel.values())
    if total > 3 * 2**20:
        problems.append(f"the sdist is {total // 1024} KiB")
    if not problems:
        session.log(
            f"{name}: metadata and sdist ok ({len(rel)} files, {total // 1024} KiB; "
            f"wheel {wheel.stat().st_size // 1024} KiB)"
        )
    return [f"{name}: {p}" for p in problems]


def _test_group(name: str) -> list[str]:
    groups = _pyproject(MEMBERS[name]).get("dependency-groups", {})
    out = []
    for item in groups.get("test", []):
        if isinstance(item, str):
            out.append(item)
    return out


def _install_from_index(
    session: nox.Session, venv: Path, index: str, requirements: list[str], *, lowest: bool = False
) -> None:
    session.run("uv", "venv", "--quiet", "--python", PYTHON, str(venv), external=True)
    args = [
        "uv",
        "pip",
        "install",
        "--quiet",
        "--python",
        str(venv / "bin" / "python"),
        "--index-url",
        index,
        "--extra-index-url",
        os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL") or "https://pypi.org/simple",
        "--index-strategy",
        "first-index",
    ]
    if lowest:
        args += ["--resolution", "lowest-direct"]
    session.run(*args, *requirements, external=True)


def _run_tests_against(
    session: nox.Session, venv: Path, name: str, extra_env: dict[str, str] | None = None
) -> None:
    python = str(venv / "bin" / "python")
    module = _module(name)
    where = subprocess.run(
        [python, "-c", f"import {module}, sys; print({module}.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if str(venv) not in where:
        session.error(f"{name}: the tests would import {where}, not the installed wheel")
    session.run(
        python,
        "-m",
        "pytest",
        str(MEMBERS[name] / "tests"),
        "-m",
        DEFAULT_MARKERS,
        "-p",
        "no:cacheprovider",
        "-q",
        external=True,
        env={**TEST_ENV, **(extra_env or {})},
    )


@nox.session(name="release-check", python=PYTHON)
def release_check(session: nox.Session) -> None:
    """For every member (or those named): build the sdist and the wheel (the wheel from the sdist), check their
    metadata (twine check --strict, readme, licence, URLs, classifiers, requires-python) and the sdist's contents,
    install the wheel alone into a clean venv from a package index on 127.0.0.1 that holds only the built wheels
    (everything else from the registry), and run the member's tests against the installed wheel.

    `-- --reproduce` also runs each package's quick `reproduce` from its wheel and checks that it gives the same
    claims (names and verdicts) as the committed report in reports/<package>/.
    """
    session.install("twine>=5", "readme-renderer[md]>=43")
    names = _selected(session, MEMBERS)
    reproduce_too = "--reproduce" in session.posargs
    work = Path(tempfile.mkdtemp(prefix="neurozoo-release-"))
    dist = work / "dist"
    try:
        all_names = sorted(set(names) | {"neurotypes"})
        _build(session, all_names, dist)
        built = [str(p) for p in sorted(dist.iterdir()) if p.suffix == ".whl" or p.name.endswith(".tar.gz")]
        session.run("twine", "check", "--strict", *built)
        problems = []
        for name in names:
            wheel, sdist = _artifacts(dist, name)
            problems += _check_metadata(session, name, wheel, sdist)
        if problems:  # every member's problems at once, before any install
            session.error("metadata or sdist problems:\n  " + "\n  ".join(problems))
        differences = []
        with _local_index(dist) as index:
            for name in names:
                venv = work / f"venv-{name}"
                extras = _test_extras(name)
                req = f"{name}[{','.join(extras)}]" if extras else name
                _install_from_index(session, venv, index, [req, *_test_group(name)])
                _run_tests_against(session, venv, name)
                if reproduce_too and name in PACKAGES:
                    differences += _compare_reproduce(session, venv, name, work)
        if differences:  # every package's differences at once, after all of them ran
            session.error(
                "the wheel's quick reproduce differs from the committed report:\n  "
                + "\n  ".join(differences)
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _compare_reproduce(session: nox.Session, venv: Path, name: str, work: Path) -> list[str]:
    """Run the installed wheel's quick reproduce; return its differences from the committed report (claim names
    and verdicts), one line per differing claim with both measured values."""
    committed = ROOT / "reports" / PACKAGES[name].name / "report.json"
    if not committed.is_file():
        return [f"{name}: no committed report at {committed.relative_to(ROOT)}"]
    out = work / f"reproduce-{name}"
    script = venv / "bin" / name
    start = time.monotonic()
    session.run(
        str(script), "reproduce", "--out", str(out), "-q", external=True, env={**TEST_ENV, **_data_env(name)}
    )
    wall = time.monotonic() - start
    got = {c["name"]: c for c in json.loads((out / "report.json").read_text())["claims"]}
    want = {c["name"]: c for c in json.loads(committed.read_text())["claims"]}
    lines = []
    for claim in sorted(set(got) | set(want)):
        g, w = got.get(claim, {}), want.get(claim, {})
        if g.get("verdict") != w.get("verdict"):
            lines.append(
                f"{name}.{claim}: committed {w.get('verdict')!r} (measured {w.get('measured')!r}), "
                f"wheel {g.get('verdict')!r} (measured {g.get('measured')!r})"
            )
    if lines:
        session.warn(
            f"{name}: {len(lines)} of {len(want)} claims differ from the committed report ({wall:.0f} s)"
        )
    else:
        session.log(
            f"{name}: the wheel's quick reproduce gives the committed claims ({len(got)}; {wall:.0f} s)"
        )
    return lines


def _install_blocks(readme: Path) -> list[list[str]]:
    """The fenced code blocks of a README's install section (`## Install...`), each as its `pip install` lines,
    comments stripped: what a user pastes into a shell."""
    blocks: list[list[str]] = []
    in_section = in_fence = False
    for line in readme.read_text().splitlines():
        if line.startswith("## "):
            in_section = line.lower().startswith("## install")
            continue
        if not in_section:
            continue
        if line.startswith("```"):
            in_fence = not in_fence
            if in_fence:
                blocks.append([])
            continue
        command = line.split("#", 1)[0].strip()
        if in_fence and command.startswith(("pip install", "uv build")):
            blocks[-1].append(command)
    return [b for b in blocks if any(c.startswith("pip install") for c in b)]


@nox.session(name="readme-install", python=PYTHON, default=False)
def readme_install(session: nox.Session) -> None:
    """Paste each README's install instructions into a clean shell: in a fresh export of HEAD (`git archive`), every
    fenced block of a package README's install section (and the root README's, for sdr-dendrites) runs in a new
    venv, line by line as written; then the package's command answers `--help` and `info`. `pip` is the venv's own
    pip; `-- --uv` runs the lines with `uv pip` instead (the alternative the READMEs give; it reuses uv's cache, so
    torch is not downloaded again). Pass package names to check only those."""
    names = _selected(session, PACKAGES)
    use_uv = "--uv" in session.posargs
    work = Path(tempfile.mkdtemp(prefix="neurozoo-readme-"))
    src = work / "src"
    src.mkdir()
    failures = []
    try:
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
        readmes = {name: [src / PACKAGES[name].relative_to(ROOT) / "README.md"] for name in names}
        if "sdr-dendrites" in readmes:  # the root README's example package
            readmes["sdr-dendrites"].insert(0, src / "README.md")
        blocks = {name: [b for readme in readmes[name] for b in _install_blocks(readme)] for name in names}
        session.chdir(str(src))  # the commands as pasted, from the root of the fresh export
        if any("--find-links" in c for bs in blocks.values() for b in bs for c in b):
            # what the READMEs' `uv build --all-packages --out-dir dist` line does, once for every block
            session.run("uv", "build", "--all-packages", "--out-dir", "dist", external=True)
        for name in names:
            script = next(
                iter(_pyproject(src / PACKAGES[name].relative_to(ROOT))["project"].get("scripts", {})), None
            )
            if not blocks[name]:
                failures.append(f"{name}: no install block in its README")
            for number, block in enumerate(blocks[name]):
                venv = work / f"venv-{name}-{number}"
                session.run("python", "-m", "venv", str(venv), external=True)
                python = str(venv / "bin" / "python")
                pip = (
                    ["uv", "pip", "install", "--python", python]
                    if use_uv
                    else [python, "-m", "pip", "install"]
                )
                try:
                    for words in map(shlex.split, block):
                        if words[:2] == ["pip", "install"]:  # `uv build` lines: dist/ is built above
                            session.run(*pip, *words[2:], external=True)
                    if script:
                        session.run(str(venv / "bin" / script), "--help", external=True, silent=True)
                        session.run(str(venv / "bin" / script), "info", external=True, silent=True)
                    session.log(f"{name}: block {number + 1} of {len(blocks[name])} works as pasted: {block}")
                except nox.command.CommandFailed as exc:
                    failures.append(f"{name}: block {number + 1} {block}: {exc.reason}")
                finally:
                    shutil.rmtree(venv, ignore_errors=True)
    finally:
        session.chdir(str(ROOT))
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        session.error("install instructions that do not work as pasted:\n  " + "\n  ".join(failures))


def _lower_bounds(requirements: list[str]) -> list[str]:
    return [r for r in requirements if ";" not in r or "extra" not in r.split(";", 1)[1]]


@nox.session(name="min-deps", python=PYTHON, default=False)
def min_deps(session: nox.Session) -> None:
    """Each member's tests at the lowest versions of its direct dependencies that it declares
    (`uv pip install --resolution lowest-direct`): the dependency ranges hold. neurotypes comes at the lowest
    version the package's range admits (built from this tree when that is the current version, else from the
    git tag neurotypes-v<version>)."""
    names = _selected(session, MEMBERS)
    work = Path(tempfile.mkdtemp(prefix="neurozoo-mindeps-"))
    dist = work / "dist"
    results = {}
    try:
        _build(session, sorted(set(names) | {"neurotypes"}), dist)
        _neurotypes_at_lowest(session, names, dist, work)
        with _local_index(dist) as index:
            for name in names:
                meta = _pyproject(MEMBERS[name])["project"]
                direct = list(meta.get("dependencies", []))
                optional = meta.get("optional-dependencies", {})
                for extra in _test_extras(name):
                    direct += optional.get(extra, [])
                direct = [d for d in direct if not d.replace(" ", "").startswith(name)]
                extras = _test_extras(name)
                req = f"{name}[{','.join(extras)}]" if extras else name
                venv = work / f"venv-{name}"
                _install_from_index(session, venv, index, [req, *direct, *_test_group(name)], lowest=True)
                frozen = subprocess.run(
                    ["uv", "pip", "freeze", "--python", str(venv / "bin" / "python")],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                session.log(f"{name} at its lowest declared versions:\n{frozen}")
                _run_tests_against(session, venv, name)
                results[name] = "passed"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    session.log(f"min-deps: {json.dumps(results)}")


def _neurotypes_at_lowest(session: nox.Session, names: list[str], dist: Path, work: Path) -> None:
    """Make sure the lowest neurotypes each package's range admits is in dist/ (from a git tag if older)."""
    current = _pyproject(MEMBERS["neurotypes"])["project"]["version"]
    for name in names:
        if name == "neurotypes":
            continue
        spec = next(
            (
                d
                for d in _pyproject(MEMBERS[name])["project"]["dependencies"]
                if d.replace(" ", "").startswith("neurotypes")
            ),
            None,
        )
        if spec is None:
            session.error(f"{name} does not depend on neurotypes")
        lowest = re.search(r">=\s*([0-9][0-9.]*)", spec)
        if lowest is None:
            session.error(f"{name}: neurotypes range {spec!r} has no lower bound")
        version = lowest.group(1)
        if version.count(".") == 1:
            version += ".0"
        if version == current or next(dist.glob(f"neurotypes-{version}-*.whl"), None):
            continue
        tag = f"neurotypes-v{version}"
        checkout = work / f"neurotypes-{version}"
        session.run("git", "worktree", "add", "--detach", str(checkout), tag, external=True)
        try:
            session.run(
                "uv",
                "build",
                "--wheel",
                str(checkout / "shared" / "neurotypes"),
                "--out-dir",
                str(dist),
                external=True,
            )
        finally:
            session.run("git", "worktree", "remove", "--force", str(checkout), external=True)


@nox.session(python=PYTHON, default=False)
def build(session: nox.Session) -> None:
    """Build every wheel; install each alone in a clean venv (only the built wheels as extra source); import it.
    (release-check does this and more; this is the quick version.)"""
    dist = Path(tempfile.mkdtemp(prefix="neurozoo-dist-"))
    try:
        session.run("uv", "build", "--all-packages", "--out-dir", str(dist), "--quiet", external=True)
        for name in MEMBERS:
            wheel, _ = _artifacts(dist, name)
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
            module = _module(name)
            session.run(
                python,
                "-c",
                f"import {module}; assert {module}.__version__ != '0.0.0', 'no version metadata'",
                external=True,
            )
    finally:
        shutil.rmtree(dist, ignore_errors=True)


# --------------------------------------------------------------------------------------------------- docs
@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """The documentation site (Sphinx, pydata-sphinx-theme, numpydoc, sphinx-gallery) built with warnings as
    errors into docs/_build/html, then checked in headless Chromium (tests in docs/tests)."""
    _sync(session, "--all-packages", "--all-extras", "--group", "docs")
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-j",
        "1",
        "docs",
        "docs/_build/html",
        env={**TEST_ENV, "NEUROZOO_ROOT": str(ROOT)},
    )
    if "--no-browser" not in session.posargs:
        session.run("pytest", "docs/tests", "-p", "no:cacheprovider", "-q", env=TEST_ENV)


# ------------------------------------------------------------------------------------------------ reproduce
@nox.session(python=PYTHON, default=False)
def reproduce(session: nox.Session) -> None:
    """The main job: run every package's `reproduce` into reports/<package>/ and write reports/index.md.

    Pass package names to run only those (`uvx nox -s reproduce -- sdr-dendrites`) and `--full` for the
    paper-scale settings (`uvx nox -s reproduce -- --full`), written to reports/<package>/full/.
    """
    full = "--full" in session.posargs
    wanted = _selected(session, PACKAGES)
    reports = ROOT / "reports"
    reports.mkdir(exist_ok=True)
    failures: dict[str, str] = {}
    for name in wanted:
        _sync_member(session, name)  # the tests' environment: extras that reading the shipped data needs
        out = reports / PACKAGES[name].name / ("full" if full else "")
        args = [name, "reproduce", "--out", str(out), "-q"] + (["--full"] if full else [])
        try:
            session.run(*args, env={**TEST_ENV, **_data_env(name)})
        except nox.command.CommandFailed as exc:
            failures[name] = f"reproduce failed: {exc.reason}"
    _sync(session, "--package", "neurotypes")
    session.run(
        "python", "-m", "neurotypes.reproduction", "index", str(reports), "--failures", json.dumps(failures)
    )
    if failures:
        session.error(f"reproduce failed for: {', '.join(sorted(failures))}")
