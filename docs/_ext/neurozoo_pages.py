"""Generate the documentation pages that follow from the workspace: one page per package (its README, its
examples, its API reference, its changelog), the neurotypes page's API, and the reproduction dashboard (from the
reports' JSON). Called by conf.py before Sphinx reads the sources; the output goes to git-ignored folders."""

from __future__ import annotations

import html
import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

SOURCE_URL = "https://github.com/neurozoo/neurozoo/blob/main"
VERDICT_CLASS = {
    "reproduced": "nz-ok",
    "not reproduced": "nz-fail",
    "inconclusive": "nz-unsure",
    "not testable offline": "nz-skip",
    "measured": "nz-info",
}


def members(root: Path) -> list[dict[str, Any]]:
    out = []
    for group in ("shared", "packages"):
        for py in sorted((root / group).glob("*/pyproject.toml")):
            meta = tomllib.loads(py.read_text())
            project = meta["project"]
            table = meta.get("tool", {}).get("neurozoo", {})
            out.append(
                {
                    "name": project["name"],
                    "folder": py.parent,
                    "rel": py.parent.relative_to(root).as_posix(),
                    "module": table.get("module", project["name"].replace("-", "_")),
                    "version": project["version"],
                    "description": project.get("description", ""),
                    "group": group,
                }
            )
    return out


def example_dirs(root: Path) -> list[Path]:
    return [p for p in sorted((root / "packages").glob("*/examples")) if list(p.glob("plot_*.py"))]


_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def _rewrite_links(text: str, member: dict[str, Any], root: Path, extra: Path) -> str:
    """Relative links of a README point into the repository: send them to the source browser, except images and
    report files, which are copied next to the site."""

    def fix(m: re.Match[str]) -> str:
        bang, label, target = m.groups()
        if re.match(r"^[a-z]+:|^#|^mailto:", target):
            return m.group(0)
        path, _, anchor = target.partition("#")
        resolved = (member["folder"] / path).resolve()
        try:
            rel = resolved.relative_to(root)
        except ValueError:
            return label if not bang else ""
        if bang and resolved.is_file():  # images are read by Sphinx from the source folder
            dest = extra.parent / "img" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(resolved, dest)
            return f"{bang}[{label}](/_generated/img/{rel.as_posix()})"
        if rel.as_posix() == "README.md":
            return f"[{label}](/index.md)"
        if rel.parts[:1] in (("packages",), ("shared",)) and len(rel.parts) >= 2 and rel.name == "README.md":
            name = rel.parts[1]
            page = "neurotypes.md" if name == "neurotypes" else f"packages/{name}.md"
            return f"[{label}](/{page})"
        url = f"{SOURCE_URL}/{rel.as_posix()}" + (f"#{anchor}" if anchor else "")
        return f"{bang}[{label}]({url})"

    return _LINK.sub(fix, text)


def _demote(text: str, levels: int = 1) -> str:
    out = []
    fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
        if not fence and re.match(r"^#{1,5} ", line):
            line = "#" * levels + line
        out.append(line)
    return "\n".join(out)


def _api_block(member: dict[str, Any]) -> str:
    module = member["module"]
    return "\n".join(
        [
            "## API reference",
            "",
            "```{eval-rst}",
            f".. automodule:: {module}",
            "   :members:",
            "   :imported-members:",
            "```",
            "",
        ]
    )


def _package_page(member: dict[str, Any], root: Path, extra: Path, gallery: list[str]) -> str:
    readme = (member["folder"] / "README.md").read_text()
    readme = _rewrite_links(readme, member, root, extra)
    lines = readme.splitlines()
    title = lines[0].lstrip("# ").strip() if lines and lines[0].startswith("# ") else member["name"]
    body = "\n".join(lines[1:] if lines and lines[0].startswith("# ") else lines)
    parts = [
        f"# {title}",
        "",
        f"*Version {member['version']}.* {member['description']}",
        "",
        body.strip(),
        "",
    ]
    if gallery:
        parts += ["## Examples", "", "Executed when this site is built:", ""]
        parts += [f"- {{doc}}`{t} <{href}>`" for t, href in gallery]
        parts += [""]
    parts += [_api_block(member)]
    changelog = member["folder"] / "CHANGELOG.md"
    if changelog.is_file():
        text = changelog.read_text().splitlines()
        if text and text[0].startswith("# "):
            text = text[1:]
        parts += ["## Changelog", "", _demote(_rewrite_links("\n".join(text), member, root, extra), 1), ""]
    return "\n".join(parts)


def _gallery_entries(root: Path, member: dict[str, Any]) -> list[tuple[str, str]]:
    folder = member["folder"] / "examples"
    out = []
    for script in sorted(folder.glob("plot_*.py")):
        doc = script.read_text().split('"""')
        title = doc[1].strip().splitlines()[0] if len(doc) > 2 else script.stem
        out.append(
            (title, f"/gallery/{member['folder'].name}/{script.stem}")
        )  # a document: checked by Sphinx
    return out


def _dashboard(root: Path, extra: Path) -> tuple[str, int]:
    """The dashboard table as HTML, generated from reports/<package>/report.json (and full/report.json)."""
    from neurotypes.report import format_value
    from neurotypes.reproduction import collect_reports

    reports = root / "reports"
    if (reports).is_dir():
        dest = extra / "reports"
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(reports, dest, ignore=shutil.ignore_patterns("*.md", "*.json"))
    rows = []
    count = 0
    packages = collect_reports(reports) if reports.is_dir() else []
    totals: dict[str, dict[str, int]] = {"quick": {}, "full": {}}
    for pkg in packages:
        quick = {c.name: c for c in pkg.quick.claims} if pkg.quick else {}
        full = {c.name: c for c in pkg.full.claims} if pkg.full else {}
        label = (pkg.quick or pkg.full).package  # type: ignore[union-attr]
        for name in list(quick) + [n for n in full if n not in quick]:
            q, f = quick.get(name), full.get(name)
            ref = q or f
            assert ref is not None
            count += 1
            qv = q.verdict if q else "no quick run"
            fv = f.verdict if f else "no full run"
            totals["quick"][qv] = totals["quick"].get(qv, 0) + 1
            if f:
                totals["full"][fv] = totals["full"].get(fv, 0) + 1
            figs = []
            for mode_claim, sub in ((q, ""), (f, "full/")):
                if mode_claim is None:
                    continue
                for fig in mode_claim.figures:
                    src = f"reports/{pkg.folder}/{sub}{fig}"
                    if (extra / src).is_file():
                        figs.append(
                            f'<a href="{html.escape(src)}"><img class="nz-fig" src="{html.escape(src)}" '
                            f'alt="{html.escape(Path(fig).stem)}" loading="lazy"></a>'
                        )
            full_stamp = (
                f" <small>({pkg.full.created[:10]}, {pkg.full.version})</small>" if f and pkg.full else ""
            )
            measured_full = (
                f"<div class='nz-full'>full: {html.escape(format_value(f.measured))}</div>" if f else ""
            )
            rows.append(
                f'<tr class="nz-claim" data-package="{html.escape(label)}" data-quick="{html.escape(qv)}" '
                f'data-full="{html.escape(fv)}">'
                f"<td>{html.escape(label)}</td>"
                f"<td>{html.escape(name)}</td>"
                f"<td>{html.escape(format_value(ref.paper))}</td>"
                f"<td>{html.escape(format_value(q.measured) if q else '')}{measured_full}"
                f"<div class='nz-crit'>{html.escape(ref.criterion)}</div></td>"
                f'<td><span class="nz-badge {VERDICT_CLASS.get(qv, "nz-none")}">{html.escape(qv)}</span></td>'
                f'<td><span class="nz-badge {VERDICT_CLASS.get(fv, "nz-none")}">{html.escape(fv)}</span>{full_stamp}</td>'
                f"<td>{''.join(dict.fromkeys(figs))}</td></tr>"
            )
    names = sorted({p.quick.package if p.quick else p.full.package for p in packages})  # type: ignore[union-attr]
    verdicts = [*list(VERDICT_CLASS), "no full run"]
    opts_pkg = "".join(f'<option value="{html.escape(n)}">{html.escape(n)}</option>' for n in names)
    opts_v = "".join(f'<option value="{html.escape(v)}">{html.escape(v)}</option>' for v in verdicts)
    total_rows = "".join(
        f"<tr><td><span class='nz-badge {VERDICT_CLASS.get(v, 'nz-none')}'>{html.escape(v)}</span></td>"
        f"<td>{totals['quick'].get(v, 0)}</td><td>{totals['full'].get(v, 0)}</td></tr>"
        for v in VERDICT_CLASS
    )
    table = f"""
<div class="nz-dashboard" data-claims="{count}">
<table class="nz-totals"><thead><tr><th>verdict</th><th>quick</th><th>full</th></tr></thead>
<tbody>{total_rows}<tr><td><b>claims</b></td><td>{sum(totals["quick"].values())}</td><td>{sum(totals["full"].values())}</td></tr></tbody></table>
<p class="nz-filters">
<label>package <select id="nz-filter-package"><option value="">all</option>{opts_pkg}</select></label>
<label>quick verdict <select id="nz-filter-quick"><option value="">all</option>{opts_v}</select></label>
<label>full verdict <select id="nz-filter-full"><option value="">all</option>{opts_v}</select></label>
<span id="nz-shown">{count}</span> of {count} claims shown
</p>
<table class="nz-table"><thead><tr><th>package</th><th>claim</th><th>paper</th><th>measured (quick) and criterion</th>
<th>quick</th><th>full</th><th>figures</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table></div>
"""
    return table, count


def generate(root: Path, docs: Path) -> list[dict[str, Any]]:
    """Write docs/packages/<name>.md, docs/_generated/{dashboard.html, neurotypes_api.md} and copy assets."""
    generated = docs / "_generated"
    extra = generated / "extra"
    shutil.rmtree(generated, ignore_errors=True)
    extra.mkdir(parents=True)
    shutil.copy(docs / "_static" / "favicon.png", extra / "favicon.ico")  # browsers ask for /favicon.ico
    pages = docs / "packages"
    shutil.rmtree(pages, ignore_errors=True)
    pages.mkdir()
    everyone = members(root)
    for member in everyone:
        if member["group"] != "packages":
            continue
        page = _package_page(member, root, extra, _gallery_entries(root, member))
        (pages / f"{member['folder'].name}.md").write_text(page)
    table, count = _dashboard(root, extra)
    (generated / "dashboard.html").write_text(table)
    (generated / "summary.json").write_text(json.dumps({"claims": count}))
    nt = next(m for m in everyone if m["name"] == "neurotypes")
    readme = _rewrite_links((nt["folder"] / "README.md").read_text(), nt, root, extra).splitlines()
    (generated / "neurotypes_readme.md").write_text("\n".join(readme[1:]))
    (generated / "neurotypes_changelog.md").write_text(
        _demote(
            "\n".join(
                _rewrite_links((nt["folder"] / "CHANGELOG.md").read_text(), nt, root, extra).splitlines()[1:]
            )
        )
    )
    return everyone


def figure_scraper(block: Any, block_vars: dict[str, Any], gallery_conf: dict[str, Any]) -> str:
    """sphinx-gallery scraper for object-oriented figures: saves every ``matplotlib.figure.Figure`` that the
    example's code block left in its globals (package code never uses pyplot)."""
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    seen = block_vars.setdefault("_nz_seen_figures", set())
    paths = []
    image_paths = block_vars["image_path_iterator"]
    for value in list(block_vars["example_globals"].values()):
        figures = value if isinstance(value, list | tuple) else [value]
        for fig in figures:
            if isinstance(fig, Figure) and id(fig) not in seen:
                seen.add(id(fig))
                path = next(image_paths)
                fig.savefig(path, dpi=80, bbox_inches="tight")
                paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])
