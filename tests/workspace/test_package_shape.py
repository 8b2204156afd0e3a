"""The package shape of CONTRIBUTING.md, held for every package: modules, CLI verbs and flags, fast --help,
no sibling imports, no global side effects or unsafe loading in the sources."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys

import pytest

from ._members import PACKAGES, ROOT, Member

HEAVY = ("torch", "lightning", "pytorch_lightning", "transformers", "matplotlib.pyplot", "pymc", "pytensor")
SIBLINGS = {m.module for m in PACKAGES}

ids = [m.name for m in PACKAGES]


def _sources(m: Member) -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(ROOT)), ast.parse(p.read_text(), str(p))) for p in sorted(m.src.rglob("*.py"))]


@pytest.mark.parametrize("m", PACKAGES, ids=ids)
def test_modules_of_the_contract(m: Member):
    model = m.table.get("model", "model")
    required = ["__init__.py", "cli.py", "data.py", "plots.py", "reproduce.py", "py.typed", f"{model}.py"]
    missing = [f for f in required if not (m.src / f).is_file()]
    assert not missing, f"{m.name}: missing {missing} (see CONTRIBUTING.md, the package shape)"
    trains = bool(m.table.get("trains", False))
    assert (m.src / "train.py").is_file() == trains, (
        f"{m.name}: train.py exists iff [tool.neurozoo] trains = true"
    )
    assert not (m.src / "utils.py").exists(), f"{m.name}: no utils.py grab-bag"
    assert (m.folder / "benchmarks").is_dir() and list((m.folder / "benchmarks").glob("*.py"))
    assert (m.folder / "CHANGELOG.md").is_file() and (m.folder / "README.md").is_file()
    urls = m.meta["project"].get("urls", {})
    assert {"Documentation", "Source", "Changelog"} <= set(urls), f"{m.name}: [project.urls] {sorted(urls)}"
    assert m.meta["project"]["scripts"].get(m.name) == f"{m.module}.cli:main"


@pytest.mark.parametrize("m", PACKAGES, ids=ids)
def test_readme_sections_and_install_line(m: Member):
    text = (m.folder / "README.md").read_text()
    for section in (
        "## Install",
        "## Quick start",
        "## Use it on your own data",
        "## Reproduction",
        "## Benchmark",
    ):
        assert section in text, f"{m.name}: README has no '{section}' section"
    assert f"pip install ./shared/neurotypes ./packages/{m.folder.name}" in text, f"{m.name}: install line"


@pytest.mark.parametrize("m", PACKAGES, ids=ids)
def test_no_sibling_imports_no_utils_no_benchmarks_in_src(m: Member):
    for path, tree in _sources(m):
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top == m.module or top not in SIBLINGS, f"{path} imports sibling package {name}"
        assert "bench" not in path.rsplit("/", 1)[-1], f"{path}: benchmark code belongs in benchmarks/"


def _module_level(tree: ast.Module) -> list[ast.stmt]:
    """Statements that run at import: the module body, including if/try blocks, not function bodies."""
    out: list[ast.stmt] = []
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.If | ast.Try | ast.With):
            for attr in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, attr, []):
                    stack.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])
    return out


def _call_name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


@pytest.mark.parametrize("m", PACKAGES, ids=ids)
def test_no_global_side_effects_in_sources(m: Member):
    for path, tree in _sources(m):
        for node in ast.walk(tree):
            name = _call_name(node) if isinstance(node, ast.Call) else ""
            assert not name.endswith("matplotlib.use") and name != "mpl.use", f"{path}: matplotlib.use"
            assert not name.endswith("set_backend") or "context" in name, f"{path}: global {name}()"
            assert name not in ("os.environ.setdefault", "os.putenv"), f"{path}: {name}"
            if isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Subscript) and _call_name(t.value) == "os.environ":
                        pytest.fail(f"{path}:{node.lineno}: assigns os.environ[...]")
        for node in _module_level(tree):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                name = _call_name(node.value)
                bad = (
                    "warnings.filterwarnings",
                    "warnings.simplefilter",
                    "logging.basicConfig",
                    "torch.set_",
                )
                assert not name.startswith(bad), f"{path}:{node.lineno}: {name}() at import"
                assert not name.endswith(("setLevel", "addHandler", "disable")), (
                    f"{path}:{node.lineno}: {name}"
                )


def _function_params(tree: ast.Module) -> dict[int, set[str]]:
    """Line number of each node -> parameter names of the innermost enclosing function."""
    owner: dict[int, set[str]] = {}

    def visit(node: ast.AST, params: set[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                a = child.args
                names = {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]}
                visit(child, names)
            else:
                owner[id(child)] = params
                visit(child, params)

    visit(tree, set())
    return owner


@pytest.mark.parametrize("m", PACKAGES, ids=ids)
def test_no_untrusted_deserialisation(m: Member):
    for path, tree in _sources(m):
        owner = _function_params(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            kw = {k.arg: k.value for k in node.keywords if k.arg}
            opted_in = "allow_pickle" in owner.get(id(node), set())
            if name in ("pickle.load", "pickle.loads", "cPickle.load", "joblib.load", "dill.load"):
                assert opted_in, (
                    f"{path}:{node.lineno}: {name} outside a function with an allow_pickle opt-in"
                )
            if name.endswith("torch.load") or (name == "load" and "weights_only" in kw):
                w = kw.get("weights_only")
                assert isinstance(w, ast.Constant) and w.value is True, (
                    f"{path}:{node.lineno}: torch.load without weights_only=True"
                )
            if "allow_pickle" in kw:
                v = kw["allow_pickle"]
                if isinstance(v, ast.Constant):
                    assert v.value is False, f"{path}:{node.lineno}: allow_pickle=True"
                else:
                    assert opted_in, (
                        f"{path}:{node.lineno}: allow_pickle from something other than an opt-in argument"
                    )


def _cli_tree(m: Member) -> dict:
    """The package's CLI as data: verbs, their options and defaults, read in a fresh interpreter."""
    code = f"""
import json, sys, argparse
from {m.module} import cli as c
top = c.cli.parser
sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
out = {{}}
for verb, p in sub.choices.items():
    out[verb] = [dict(flags=a.option_strings, dest=a.dest, default=None if a.default is argparse.SUPPRESS else repr(a.default),
                      required=a.required, help=a.help or "") for a in p._actions]
heavy = [h for h in {HEAVY!r} if h in sys.modules]
print(json.dumps(dict(verbs=out, heavy=heavy)))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("m", PACKAGES, ids=ids)
def test_cli_verbs_and_flags(m: Member):
    tree = _cli_tree(m)
    assert not tree["heavy"], f"{m.name}: importing the CLI imports {tree['heavy']}"
    verbs = tree["verbs"]
    assert {"reproduce", "info"} <= set(verbs), f"{m.name}: verbs {sorted(verbs)}"
    assert {"fit", "run"} & set(verbs), f"{m.name}: needs a fit or run verb on the user's data"
    for verb, actions in verbs.items():
        flags = {f for a in actions for f in a["flags"]}
        assert {"-v", "--verbose", "-q", "--quiet"} <= flags, f"{m.name} {verb}: -v/--verbose, -q/--quiet"
        for bad in (
            "-o",
            "--output",
            "--rng",
            "--n-threads",
            "--num-threads",
            "--gpu",
            "--cuda",
            "--jobs",
            "--outdir",
        ):
            assert bad not in flags, f"{m.name} {verb}: use the common flag instead of {bad}"
        for a in actions:
            if "--out" in a["flags"] and not a["required"]:
                shown = (
                    "%(default)s" in a["help"] or "default" in a["help"] or a["default"] not in (None, "None")
                )
                assert shown, f"{m.name} {verb}: --out must show its default"
    rep = {f for a in verbs["reproduce"] for f in a["flags"]}
    assert {"--full", "--out", "--seed", "--threads"} <= rep, f"{m.name} reproduce: {sorted(rep)}"
    assert ("--device" in rep) == bool(m.table.get("torch", False)), (
        f"{m.name}: --device iff [tool.neurozoo] torch"
    )


@pytest.mark.parametrize("m", PACKAGES, ids=ids)
def test_help_is_instant_and_imports_nothing_heavy(m: Member):
    code = f"""
import sys
from {m.module}.cli import main
for argv in (["--help"], ["reproduce", "--help"]):
    try:
        main(argv)
    except SystemExit:
        pass
print([h for h in {HEAVY!r} if h in sys.modules])
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().splitlines()[-1] == "[]", (
        f"{m.name}: --help imported {res.stdout.splitlines()[-1]}"
    )


@pytest.mark.parametrize("m", PACKAGES, ids=ids)
def test_reproduce_signature(m: Member):
    import importlib

    mod = importlib.import_module(f"{m.module}.reproduce")
    sig = inspect.signature(mod.reproduce)
    params = sig.parameters
    assert list(params)[:2] == ["out_dir", "quick"] and params["quick"].default is True
    for name, default in (("seed", 0), ("progress", False), ("threads", None)):
        assert name in params and params[name].kind is inspect.Parameter.KEYWORD_ONLY, f"{m.name}: {name}"
        assert params[name].default == default, f"{m.name}: {name} default"
    if m.table.get("torch", False):
        assert "device" in params
    claims = [n for n, f in vars(mod).items() if n.startswith("claim_") and callable(f)]
    assert len(claims) >= 2, f"{m.name}: reproduce.py has {len(claims)} claim_ functions"
