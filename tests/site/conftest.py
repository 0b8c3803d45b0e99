"""Shared fixtures for the tests of the documentation site.

The site is built **once per session** (`mkdocs build --strict`, the same command as `make docs`) and every
site test reads that one build. Fixtures, for any test under `tests/site/`:

- `built_site` (session) -> `pathlib.Path` of the strictly built site; the test session fails with the
  build log when the build fails.
- `site_url` (session) -> `"http://127.0.0.1:PORT/"`, the built site served by a quiet `http.server` on a
  free local port in a background thread.
- `taxonomy` (session) -> tuple of `(title, slug)` for the 12 sections, in the navigation's order.
- `section` -> one `(title, slug)` of the taxonomy: a test that asks for it runs once per section.
- `browser` (session) -> a Playwright `Browser` driving Debian's Chromium (`/usr/bin/chromium`, or
  `$PAPERZOO_CHROMIUM`), launched with `CHROMIUM_ARGS` and never `playwright install`ed. When
  Chromium or Playwright is missing, the test is skipped with the reason, unless the environment sets
  `PAPERZOO_REQUIRE_BROWSER=1` (as `.ci/run` does), where it fails instead.
- `page_log` (function) -> `PageLog` with `console_errors` (console errors and uncaught page errors)
  and `external_requests` (every request to a non-local host; all of them were aborted), plus
  `assert_clean()`.
- `page` (function) -> a Playwright `Page` in a fresh light-scheme context, wired to `page_log`. Use
  `page.goto(site_url + "object-detection/")` then `page_log.assert_clean()`.

Tests that use `built_site` get the `site` marker and tests that use `browser`/`page` get the `browser`
marker automatically. When a test that used `page` fails, a full-page screenshot is saved to
`test-artifacts/<test name>.png` at the repository root.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
# Debian's Chromium; PAPERZOO_CHROMIUM points elsewhere (another distribution, macOS).
CHROMIUM = Path(os.environ.get("PAPERZOO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
# The seed notes' taxonomy, in its order (issue 2): the site's top-level sections.
TAXONOMY = (
    ("Attention", "attention"),
    ("Classification", "classification"),
    ("Object Detection", "object-detection"),
    ("Face", "face"),
    ("GANs", "gans"),
    ("Image Retrieval", "image-retrieval"),
    ("Network Architecture", "network-architecture"),
    ("NLP", "nlp"),
    ("OCR", "ocr"),
    ("Recommend", "recommend"),
    ("Segmentation", "segmentation"),
    ("Tracker", "tracker"),
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "section" in metafunc.fixturenames:
        metafunc.parametrize("section", TAXONOMY, ids=[slug for _, slug in TAXONOMY])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if not item.path.is_relative_to(here):  # this hook sees the whole session's items
            continue
        names = getattr(item, "fixturenames", ())
        if "built_site" in names or "site_url" in names:
            item.add_marker(pytest.mark.site)
        if "browser" in names or "page" in names:
            item.add_marker(pytest.mark.browser)


# --- the one strict build ------------------------------------------------------------------------------


def build_site(site_dir: Path, config_file: Path = REPO_ROOT / "mkdocs.yml") -> subprocess.CompletedProcess:
    """Run `mkdocs build --strict` of `config_file` into `site_dir`; return the finished process."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "--config-file",
        str(config_file),
        "--site-dir",
        str(site_dir),
    ]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("built-site") / "site"
    result = build_site(site_dir)
    if result.returncode != 0:
        pytest.fail(
            f"mkdocs build --strict failed (exit {result.returncode}):\n{result.stdout}{result.stderr}",
            pytrace=False,
        )
    return site_dir


@pytest.fixture(scope="session")
def taxonomy() -> tuple[tuple[str, str], ...]:
    return TAXONOMY


# --- serving it on 127.0.0.1 ----------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- Chromium through Playwright ------------------------------------------------------------------------


def _no_browser(reason: str) -> None:
    if os.environ.get("PAPERZOO_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (PAPERZOO_REQUIRE_BROWSER=1 makes the browser tests required)", pytrace=False)
    pytest.skip(f"{reason}; set PAPERZOO_REQUIRE_BROWSER=1 to make this an error")


@pytest.fixture(scope="session")
def _playwright() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser(
            "Playwright for Python is not installed (pip install playwright; no 'playwright install')"
        )
    if not CHROMIUM.exists():
        _no_browser(f"Chromium is missing at {CHROMIUM} (Debian: apt-get install chromium)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright) -> Iterator[object]:
    try:
        chromium = _playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    except Exception as error:  # Playwright raises its own Error type for a Chromium that will not start
        _no_browser(f"Chromium at {CHROMIUM} did not start: {error}")
    yield chromium
    chromium.close()


@dataclass
class PageLog:
    """What a page did that a test should look at: console errors and blocked non-local requests."""

    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.external_requests, f"requests to non-local hosts: {self.external_requests}"
        assert not self.console_errors, f"console errors: {self.console_errors}"


def is_local_url(url: str) -> bool:
    """True for URLs that need no network: 127.0.0.1/localhost, and data:, blob:, about: URLs."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", "ws", "wss"}:
        return parts.scheme in {"data", "blob", "about", "file"}
    return (parts.hostname or "") in LOCAL_HOSTS


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(browser, page_log: PageLog) -> Iterator[object]:
    context = browser.new_context(color_scheme="light", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)  # a local static site answers in milliseconds; fail fast
    new_page = context.new_page()

    def route(request_route) -> None:
        url = request_route.request.url
        if is_local_url(url):
            request_route.continue_()
        else:
            page_log.external_requests.append(url)
            request_route.abort()

    def console(message) -> None:
        if message.type == "error":
            page_log.console_errors.append(f"{message.text} ({message.location.get('url', '?')})")

    new_page.route("**/*", route)
    new_page.on("console", console)
    new_page.on("pageerror", lambda error: page_log.console_errors.append(f"uncaught: {error}"))
    yield new_page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    page_fixture = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page_fixture is not None:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:]
        path = ARTIFACTS / f"{name}.png"
        try:
            page_fixture.screenshot(path=str(path), full_page=True)
            report.sections.append(("screenshot", str(path)))
        except Exception as error:  # a crashed page cannot be photographed; keep the real failure
            report.sections.append(("screenshot", f"not saved: {error}"))
    return report
