"""The serve_search hook (tools/site/paperzoo_site/serve_search.py): `mkdocs serve` rebuilds of both languages keep
one search entry per page, with and without `--dirty`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

from paperzoo_site import serve_search

HOOK = Path(serve_search.__file__)


def site(root: Path, hooks: list[Path]) -> Path:
    docs = root / "docs"
    (docs / "part").mkdir(parents=True)
    for name, text in {
        "index.md": "# Home\n\nhello",
        "index.zh.md": "# 首页\n\n你好",
        "a.md": "# A\n\nalpha",
        "part/index.md": "# Part\n\nsection",
        "part/b.md": "# B\n\nbeta",
    }.items():
        (docs / name).write_text(text, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(
        json.dumps(
            {
                "site_name": "t",
                "site_url": "http://127.0.0.1:8000/",
                "theme": {"name": "material"},
                "plugins": [
                    "search",
                    {
                        "i18n": {
                            "docs_structure": "suffix",
                            "fallback_to_default": True,
                            "languages": [
                                {"locale": "en", "name": "English", "default": True, "build": True},
                                {"locale": "zh", "name": "中文", "build": True},
                            ],
                        }
                    },
                ],
                "hooks": [str(hook) for hook in hooks],
            }
        ),
        encoding="utf-8",
    )
    return config


def serve_builds(
    config: Path, edits: list[str], dirty: bool, monkeypatch: pytest.MonkeyPatch
) -> list[list[str]]:
    """The search index's locations after the first build and after each edit, building as `mkdocs
    serve` does: a config loaded anew for each build, the plugins it holds reused."""
    # mkdocs-static-i18n reads --dirty from the command line for its inner build.
    monkeypatch.setattr(sys, "argv", ["mkdocs", "serve", *(["--dirty"] if dirty else [])])
    site_dir = config.parent / "site"
    indexes = []
    for step, edit in enumerate([None, *edits]):
        if edit is not None:
            page = config.parent / "docs" / edit
            time.sleep(0.01)  # the edit is newer than the pages built before it
            page.write_text(page.read_text(encoding="utf-8") + f"\n\nedit{step}\n", encoding="utf-8")
        loaded = load_config(str(config), site_dir=str(site_dir))
        if edit is None:
            loaded.plugins.on_startup(command="serve", dirty=dirty)
        build(loaded, dirty=dirty)
        docs = json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
        indexes.append(sorted(entry["location"] for entry in docs))
    return indexes


@pytest.mark.parametrize("dirty", [False, True], ids=["full", "dirty"])
def test_rebuilds_keep_one_entry_per_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dirty: bool):
    indexes = serve_builds(site(tmp_path, [HOOK]), ["a.md", "part/b.md", "a.md"], dirty, monkeypatch)
    assert indexes[0] == sorted(set(indexes[0])) and "a/" in indexes[0] and "zh/" in indexes[0]
    assert all(index == indexes[0] for index in indexes[1:])
    docs = json.loads((tmp_path / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))[
        "docs"
    ]
    texts = {entry["location"]: entry["text"] for entry in docs}
    assert (
        "edit1" in texts["a/"] and "edit3" in texts["a/"] and "edit2" in texts["part/b/"]
    )  # the edits are found


def test_without_the_hook_dirty_rebuilds_grow_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """What the hook prevents (mkdocs-static-i18n with Material's search, as pinned here)."""
    indexes = serve_builds(site(tmp_path, []), ["a.md", "part/b.md", "a.md"], True, monkeypatch)
    sizes = [len(index) for index in indexes]
    assert sizes[-1] > 2 * sizes[0], sizes
