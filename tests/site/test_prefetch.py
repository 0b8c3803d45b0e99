"""The prefetch hook (tools/site/paperzoo_site/prefetch.py): figures built in a worker process, claims checked early."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.structure.files import get_files
from pymdownx.superfences import SuperFencesException

from paperzoo_site import plotly_fence, prefetch

CHEAP = "paperzoo.figures.rfcn:k_ablation"
BROKEN = "paperzoo.figures.rfcn:no_such_figure"


def test_figure_targets_reads_plotly_fences_in_page_order():
    text = (
        f"# t\n\n```plotly\n{CHEAP}\n```\n\ntext\n\n  ```plotly\n  {BROKEN}\n  ```\n\n```python\nx = 1\n```\n"
    )
    assert prefetch.figure_targets(text) == [CHEAP, BROKEN]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(plotly_fence, "_PREFETCHED", {})  # no figure handed out by another test
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a-figures.md").write_text(f"# A\n\n```plotly\n{CHEAP}\n```\n\n```plotly\n{BROKEN}\n```\n")
    (docs / "b-text.md").write_text("# B\n")
    (docs / "c-figure.md").write_text(f"# C\n\n```plotly\n{CHEAP}\n```\n")
    (docs / "d-text.md").write_text("# D\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n")
    config = load_config(str(tmp_path / "mkdocs.yml"))
    return config, get_files(config)


def test_worker_builds_each_figure_once_and_pages_with_figures_go_last(site, monkeypatch: pytest.MonkeyPatch):
    config, files = site
    checked = []
    monkeypatch.setattr(prefetch, "check_claims", checked.append)
    ordered = prefetch.on_files(files, config)
    assert checked == [Path(config.docs_dir) / "_cards"]  # claims computed here while the worker runs
    pages = [file.src_uri for file in ordered.documentation_pages()]
    assert pages == ["b-text.md", "d-text.md", "a-figures.md", "c-figure.md"]
    assert plotly_fence.is_expected(CHEAP) and plotly_fence.is_expected(BROKEN)
    assert len(plotly_fence._PREFETCHED) == 2
    assert plotly_fence.figure_html(CHEAP) == plotly_fence.render_figure(CHEAP)  # same HTML as in place
    with pytest.raises(RuntimeError, match="in the figure worker: AttributeError: .*no_such_figure"):
        plotly_fence.figure_html(BROKEN)
    with pytest.raises(SuperFencesException, match="plotly fence .*no_such_figure.* failed to build"):
        plotly_fence.fence_format(BROKEN, "plotly", "plotly", {}, None)
    # A rebuild in the same process (mkdocs serve, the Chinese build) starts no new worker.
    before = dict(plotly_fence._PREFETCHED)
    prefetch.on_files(files, config)
    assert before == plotly_fence._PREFETCHED
    assert len(checked) == 1


def test_no_worker_when_disabled(site, monkeypatch: pytest.MonkeyPatch):
    config, files = site
    monkeypatch.setenv("PAPERZOO_FIGURE_WORKERS", "0")
    checked = []
    monkeypatch.setattr(prefetch, "check_claims", checked.append)
    ordered = prefetch.on_files(files, config)
    assert not plotly_fence.is_expected(CHEAP) and not checked
    assert [file.src_uri for file in ordered.documentation_pages()][-2:] == ["a-figures.md", "c-figure.md"]
    assert plotly_fence.figure_html(CHEAP) == plotly_fence.render_figure(CHEAP)


def test_build_objects_are_frozen_from_on_files_to_on_post_build(site, monkeypatch: pytest.MonkeyPatch):
    config, files = site
    monkeypatch.setenv("PAPERZOO_FIGURE_WORKERS", "0")
    gc.unfreeze()
    try:
        prefetch.on_files(files, config)
        assert gc.get_freeze_count() > 0  # the collector no longer walks what the build imported
        prefetch.on_post_build(config)
        assert gc.get_freeze_count() == 0  # a `mkdocs serve` session collects each build's garbage
    finally:
        gc.unfreeze()
