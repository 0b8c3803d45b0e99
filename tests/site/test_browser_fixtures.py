"""The browser fixtures without a browser: skip with the reason, or fail when the browser is required."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")


def _run_pytest(tmp_path: Path, test_source: str, **env_changes: str | None) -> subprocess.CompletedProcess:
    """Run `test_source` as a test file under a copy of this conftest, in a fake repository at tmp_path."""
    site_tests = tmp_path / "tests" / "site"
    site_tests.mkdir(parents=True)
    shutil.copy2(CONFTEST, site_tests / "conftest.py")
    (site_tests / "test_sample.py").write_text(test_source, encoding="utf-8")
    env = {**os.environ, **{name: value for name, value in env_changes.items() if value is not None}}
    for name in (name for name, value in env_changes.items() if value is None):
        env.pop(name, None)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-rsf",
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(tmp_path),
        "-c",
        os.devnull,
        str(site_tests),
    ]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def run_browser_test(tmp_path: Path):
    """Run one test that asks for `browser`, with Chromium looked for at a path where there is none."""

    def run(require: bool) -> subprocess.CompletedProcess:
        return _run_pytest(
            tmp_path,
            "def test_needs_browser(browser):\n    pass\n",
            PAPERZOO_CHROMIUM=str(tmp_path / "no-chromium"),
            PAPERZOO_REQUIRE_BROWSER="1" if require else None,
        )

    return run


def test_missing_chromium_skips_with_the_reason(run_browser_test):
    result = run_browser_test(require=False)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "Chromium is missing at" in result.stdout and "apt-get install chromium" in result.stdout


def test_missing_chromium_fails_when_the_browser_is_required(run_browser_test):
    result = run_browser_test(require=True)
    assert result.returncode == 1, result.stdout
    assert "1 error" in result.stdout
    assert "Chromium is missing at" in result.stdout and "PAPERZOO_REQUIRE_BROWSER=1" in result.stdout


def test_page_blocks_and_records_what_a_clean_page_must_not_do(page, page_log):
    page.set_content(
        '<img src="https://example.org/pixel.png"><script>console.error("boom")</script>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    )
    assert page_log.external_requests == ["https://example.org/pixel.png"]
    assert any("boom" in error for error in page_log.console_errors), page_log.console_errors
    assert page.evaluate("document.images[0].naturalWidth") == 0  # aborted, never fetched
    with pytest.raises(AssertionError, match="non-local"):
        page_log.assert_clean()


def test_a_failing_browser_test_leaves_a_screenshot(browser, tmp_path: Path):
    result = _run_pytest(
        tmp_path,
        "def test_fails(page):\n    page.set_content('<h1>broken</h1>')\n"
        "    assert False, 'planted failure'\n",
    )
    assert result.returncode == 1, result.stdout
    assert "planted failure" in result.stdout
    screenshots = list((tmp_path / "test-artifacts").glob("*.png"))
    assert [path.name for path in screenshots] == ["tests_site_test_sample.py_test_fails.png"], result.stdout
    assert screenshots[0].read_bytes().startswith(b"\x89PNG")
