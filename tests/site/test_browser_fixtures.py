"""The browser fixtures without a browser: skip with the reason, or fail when the browser is required."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")


@pytest.fixture
def run_browser_test(tmp_path: Path):
    """Run one test that asks for `browser`, under this conftest, with Chromium looked for at a bad path."""
    shutil.copy2(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_needs_browser.py").write_text("def test_needs_browser(browser):\n    pass\n")

    def run(require: bool) -> subprocess.CompletedProcess:
        env = {**os.environ, "PAPERZOO_CHROMIUM": str(tmp_path / "no-chromium")}
        env.pop("PAPERZOO_REQUIRE_BROWSER", None)
        if require:
            env["PAPERZOO_REQUIRE_BROWSER"] = "1"
        command = [sys.executable, "-m", "pytest", "-rsf", "-q", "-p", "no:cacheprovider", "--rootdir",
                   str(tmp_path), "-c", os.devnull, str(tmp_path / "test_needs_browser.py")]
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

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
    page.set_content('<img src="https://example.org/pixel.png"><script>console.error("boom")</script>'
                     '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">')
    assert page_log.external_requests == ["https://example.org/pixel.png"]
    assert any("boom" in error for error in page_log.console_errors), page_log.console_errors
    assert page.evaluate("document.images[0].naturalWidth") == 0  # aborted, never fetched
    with pytest.raises(AssertionError, match="non-local"):
        page_log.assert_clean()
