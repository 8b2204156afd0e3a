"""The built site in a real browser (Debian's chromium driven by Selenium through chromedriver; nothing downloads a
browser): every page is visited, and a broken link, a missing image or a JavaScript console error fails; the
dashboard lists every claim of the reports with its verdict and its filters work; screenshots of the landing page
and the dashboard are saved under docs/screenshots/."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
SITE = DOCS / "_build" / "html"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
VERDICTS = {"reproduced", "not reproduced", "inconclusive", "not testable offline", "measured"}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    if not (SITE / "index.html").is_file():
        pytest.fail("build the site first: uvx nox -s docs")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(SITE)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists():
        pytest.fail(
            "Debian's chromium and chromium-driver are needed (apt-get install chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


LINKS_JS = """
const out = [];
document.querySelectorAll('a[href]').forEach(a => out.push(['a', a.href]));
document.querySelectorAll('img[src]').forEach(i => out.push(['img', i.src]));
document.querySelectorAll('link[href]').forEach(l => out.push(['link', l.href]));
document.querySelectorAll('script[src]').forEach(s => out.push(['script', s.src]));
return out;
"""


def _crawl(browser, base: str) -> dict[str, list[str]]:
    """Visit every internal HTML page reachable from the landing page; return the problems found per page."""
    todo = [base + "index.html"]
    seen: set[str] = set()
    checked: dict[str, int] = {}
    problems: dict[str, list[str]] = {}
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        browser.get(url)
        page_problems = []
        for entry in browser.get_log("browser"):
            if entry.get("level") == "SEVERE":
                page_problems.append(f"console: {entry.get('message')}")
        broken_images = browser.execute_script(
            "return Array.from(document.images).filter(i => i.loading !== 'lazy' && i.complete && "
            "i.naturalWidth === 0).map(i => i.src);"
        )
        page_problems += [f"image does not load: {src}" for src in broken_images]
        for kind, link in browser.execute_script(LINKS_JS):
            if not link.startswith(base):
                continue
            target = urllib.parse.urldefrag(link)[0]
            if target not in checked:
                checked[target] = _status(target)
            if checked[target] != 200:
                page_problems.append(f"broken {kind}: {target} ({checked[target]})")
            elif kind == "a" and target.endswith(".html") and target not in seen:
                todo.append(target)
        if page_problems:
            problems[url[len(base) :]] = page_problems
    problems["_visited"] = sorted(u[len(base) :] for u in seen)
    return problems


def test_every_page_loads_without_broken_links_images_or_errors(browser, server):
    result = _crawl(browser, server)
    visited = result.pop("_visited")
    assert "dashboard.html" in visited and "neurotypes.html" in visited
    packages = sorted(p.name for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").is_file())
    for name in packages:
        assert f"packages/{name}.html" in visited, f"no page reached for {name}"
    assert not result, json.dumps(result, indent=1)[:6000]


def _claims_in_reports() -> list[tuple[str, str, str]]:
    out = []
    for path in sorted((ROOT / "reports").glob("*/report.json")):
        data = json.loads(path.read_text())
        out += [(data["package"], c["name"], c["verdict"]) for c in data["claims"]]
    for path in sorted((ROOT / "reports").glob("*/full/report.json")):
        data = json.loads(path.read_text())
        quick = path.parent.parent / "report.json"
        names = {c["name"] for c in json.loads(quick.read_text())["claims"]} if quick.is_file() else set()
        out += [(data["package"], c["name"], "(full)") for c in data["claims"] if c["name"] not in names]
    return out


def test_dashboard_lists_every_claim_and_filters(browser, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "dashboard.html")
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.nz-claim")
    expected = _claims_in_reports()
    assert expected, "no reports to show"
    assert len(rows) == len(expected)
    shown = {(r.get_attribute("data-package"), r.find_elements(By.TAG_NAME, "td")[1].text) for r in rows}
    assert shown == {(p, n) for p, n, _ in expected}
    for row in rows:
        badge = row.find_elements(By.CSS_SELECTOR, ".nz-badge")[0].text
        assert badge in VERDICTS | {"no quick run"}
    by_quick = {(p, n): v for p, n, v in expected if v != "(full)"}
    for row in rows[:50]:
        key = (row.get_attribute("data-package"), row.find_elements(By.TAG_NAME, "td")[1].text)
        if key in by_quick:
            assert row.get_attribute("data-quick") == by_quick[key]
    package = expected[0][0]
    Select(browser.find_element(By.ID, "nz-filter-package")).select_by_value(package)
    visible = [r for r in rows if r.is_displayed()]
    assert len(visible) == sum(p == package for p, _, _ in expected)
    assert browser.find_element(By.ID, "nz-shown").text == str(len(visible))
    Select(browser.find_element(By.ID, "nz-filter-package")).select_by_value("")
    Select(browser.find_element(By.ID, "nz-filter-quick")).select_by_value("reproduced")
    visible = [r for r in rows if r.is_displayed()]
    assert len(visible) == sum(v == "reproduced" for _, _, v in expected)


def test_screenshots_of_the_landing_page_and_the_dashboard(browser, server):
    out = DOCS / "screenshots"
    out.mkdir(exist_ok=True)
    for page, name in (("index.html", "landing.png"), ("dashboard.html", "dashboard.png")):
        browser.get(server + page)
        path = out / name
        assert browser.save_screenshot(str(path))
        _shrink(path)
        assert path.stat().st_size < 400_000


def _shrink(path: Path) -> None:
    """Keep the committed screenshots small (palette PNG at half size)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as im:
        small = im.convert("RGB").resize((im.width // 2, im.height // 2))
        small.quantize(colors=128).save(path, optimize=True)
