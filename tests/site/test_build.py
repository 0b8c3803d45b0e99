"""The strict MkDocs build: it succeeds on the real site and fails on a broken link or anchor."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# Builds the real mkdocs.yml (its theme, plugins, extensions and `validation:` levels) over a one-page docs
# folder, so the check stays fast however large the real site grows.
ONE_PAGE_BUILD = textwrap.dedent(
    """
    import logging
    import sys
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    config = load_config(sys.argv[1], docs_dir=sys.argv[2], site_dir=sys.argv[3], nav=[{"Home": "index.md"}],
                         strict=True)
    try:
        build(config)
    except Abort as error:
        print(f"ABORTED: {error}", file=sys.stderr)
        sys.exit(1)
    """
)


def test_strict_build_writes_every_section(built_site: Path, taxonomy):
    assert (built_site / "index.html").is_file()
    assert (built_site / "404.html").is_file()
    assert (built_site / "search" / "search_index.json").is_file()
    missing = [slug for _, slug in taxonomy if not (built_site / slug / "index.html").is_file()]
    assert not missing, f"sections without a built index page: {missing}"


def _build_one_page(tmp_path: Path, markdown: str, **env: str) -> subprocess.CompletedProcess:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(markdown, encoding="utf-8")
    command = [
        sys.executable,
        "-c",
        ONE_PAGE_BUILD,
        str(REPO_ROOT / "mkdocs.yml"),
        str(docs),
        str(tmp_path / "site"),
    ]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **env}
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_one_page_build_of_the_real_config_passes(tmp_path: Path):
    result = _build_one_page(tmp_path, "# Home\n\n## Part\n\nSee [the part](#part).\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert '<html lang="en"' in (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in (tmp_path / "site/zh/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_preview_builds_one_language(tmp_path: Path, locale: str):
    """`make preview LOCALE=...` sets PAPERZOO_LOCALE, which mkdocs.yml passes to build_only_locale."""
    result = _build_one_page(tmp_path, "# Home\n", PAPERZOO_LOCALE=locale)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f'<html lang="{locale}"' in (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert not (tmp_path / "site/zh").exists()


@pytest.mark.parametrize(
    ("markdown", "expected_in_log"),
    [
        ("# Home\n\nSee [a missing page](no-such-page.md).\n", "no-such-page.md"),
        ("# Home\n\nSee [a missing heading](#no-such-anchor).\n", "no-such-anchor"),
    ],
    ids=["missing-page", "missing-anchor"],
)
def test_strict_build_fails_on_a_broken_link(tmp_path: Path, markdown: str, expected_in_log: str):
    result = _build_one_page(tmp_path, markdown)
    log = result.stdout + result.stderr
    assert result.returncode != 0, f"the strict build accepted a broken link:\n{log}"
    assert expected_in_log in log
    assert "ABORTED" in log
