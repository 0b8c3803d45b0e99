"""The `plotly` fence and the plotly.js asset hook (tools/site/paperzoo_site/plotly_fence.py, plotly_asset.py)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import types
from pathlib import Path

import markdown
import plotly.graph_objects as go
import plotly.offline
import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from pymdownx.superfences import SuperFencesException

from paperzoo_site import plotly_asset
from paperzoo_site.plotly_fence import (
    MARKER_CLASS,
    fence_format,
    figure_id,
    page_trace_types,
    render_figure,
    trace_types,
)

FENCE_CONFIG = {"custom_fences": [{"name": "plotly", "class": "plotly", "format": fence_format}]}


def convert(text: str) -> str:
    return markdown.Markdown(
        extensions=["pymdownx.superfences"], extension_configs={"pymdownx.superfences": FENCE_CONFIG}
    ).convert(text)


def test_figure_ids_are_derived_from_the_path():
    assert figure_id("paperzoo.figures.ssd:default_boxes") == "fig-ssd-default-boxes"
    assert figure_id("paperzoo.figures.rfcn:k_ablation") == "fig-rfcn-k-ablation"


def test_fence_renders_the_figure_without_plotly_js():
    html = convert("```plotly\npaperzoo.figures.rfcn:k_ablation\n```\n")
    assert f'class="{MARKER_CLASS}"' in html
    assert 'id="fig-rfcn-k-ablation"' in html
    assert "Plotly.newPlot(" in html and '"displaylogo": false' in html
    assert 'data-figure="paperzoo.figures.rfcn:k_ablation" data-traces="bar">' in html
    assert "cdn.plot.ly" not in html and len(html) < 50_000  # plotly.js (4.8 MB) is not inlined


def test_rendering_is_deterministic():
    first = render_figure("paperzoo.figures.rfcn:position_sensitive_pooling")
    render_figure.cache_clear()
    assert render_figure("paperzoo.figures.rfcn:position_sensitive_pooling") == first


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("os:system", "paperzoo.figures.<module>:<function>"),  # only trusted paths, never code
        ("paperzoo.figures.rfcn:no_such_figure", "no_such_figure"),
        ("paperzoo.figures.no_such_module:figure", "no_such_module"),
        ("paperzoo.figures.rfcn:measure_bins", "unexpected keyword argument 'lang'"),
        ("paperzoo.figures._style:check_language", "returned str, expected plotly.graph_objects.Figure"),
    ],
)
def test_a_figure_that_fails_to_build_fails_the_conversion(body: str, message: str):
    with pytest.raises(SuperFencesException, match=message.replace(".", r"\.").replace("(", r"\(")):
        convert(f"```plotly\n{body}\n```\n")


def test_trace_types_of_a_figure_include_its_frames():
    figure = go.Figure([go.Bar(), go.Scatter(), go.Bar()], frames=[go.Frame(data=[go.Heatmap(z=[[1]])])])
    assert trace_types(figure) == ["bar", "heatmap", "scatter"]
    assert trace_types(go.Figure()) == []


def test_page_trace_types_reads_back_every_figure_on_a_page(heatmap_figure: str):
    page = render_figure("paperzoo.figures.rfcn:k_ablation") + "<p>text</p>" + render_figure(heatmap_figure)
    assert page_trace_types(page) == {"bar", "heatmap"}
    assert page_trace_types("<p>no figure</p>") == frozenset()


# --- the asset hook --------------------------------------------------------------------------------------


@pytest.fixture
def heatmap_figure(monkeypatch: pytest.MonkeyPatch) -> str:
    """A `plotly` fence target whose figure has a trace type the basic bundle does not draw."""
    module = types.ModuleType("paperzoo.figures.heatmap_for_test")
    module.figure = lambda lang: go.Figure(go.Heatmap(z=[[1, 2], [3, 4]]))
    module.CAPTIONS = {"figure": {"en": "A heatmap."}}
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return f"{module.__name__}:figure"


@pytest.fixture
def mkdocs_config(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(f"site_name: t\nhooks: [{plotly_asset.__file__}]\n")
    return load_config(str(tmp_path / "mkdocs.yml"))


def _render(html: str, url: str, config, files: Files) -> str:
    return plotly_asset.on_page_content(html, types.SimpleNamespace(url=url), config, files)


def test_the_vendored_basic_bundle_is_the_plotly_packages_version():
    basic, full = plotly_asset.bundles()
    version = plotly.offline.get_plotlyjs_version()
    assert f"plotly.js (basic - minified) v{version}\n".encode() in basic.source.read_bytes()[:100]
    assert f"plotly.js v{version}\n".encode() in full.source.read_bytes()[:100]
    assert basic.traces == {"scatter", "bar", "pie"} and full.traces is None
    assert basic.source.stat().st_size < full.source.stat().st_size / 3
    assert (basic.source.parent / "LICENSE").read_text().startswith("MIT License")


def test_the_smallest_bundle_that_draws_every_trace_type_is_chosen():
    basic, full = plotly_asset.bundles()
    assert plotly_asset.choose_bundle(frozenset({"scatter", "bar"}), (basic, full)) == basic
    assert plotly_asset.choose_bundle(frozenset(), (basic, full)) == basic
    assert plotly_asset.choose_bundle(frozenset({"bar", "heatmap"}), (basic, full)) == full
    with pytest.raises(PluginError, match="heatmap"):
        plotly_asset.choose_bundle(frozenset({"heatmap"}), (basic,))


def test_hook_loads_the_basic_bundle_once_and_the_full_one_only_for_pages_that_need_it(
    mkdocs_config, heatmap_figure: str
):
    files = mkdocs_config.plugins.on_files(Files([]), config=mkdocs_config)
    files = mkdocs_config.plugins.on_files(files, config=mkdocs_config)  # a second language adds nothing
    assert [f.src_uri for f in files] == [plotly_asset.THEME_JS_URI]

    plain = "<p>no figure</p>"
    assert _render(plain, "object-detection/", mkdocs_config, files) == plain
    assert [f.src_uri for f in files] == [plotly_asset.THEME_JS_URI]

    figure = render_figure("paperzoo.figures.rfcn:k_ablation")
    for url in ("object-detection/ssd/", "zh/figures/"):
        html = _render(figure, url, mkdocs_config, files)
        basic_tag = '<script src="../../assets/javascripts/plotly-basic.min.js">'
        assert html.index(basic_tag) < html.index(figure) and html.count("<script src=") == 2
        theme_tag = '<script src="../../assets/javascripts/paperzoo-plotly-theme.js">'
        assert html.index(figure) < html.index(theme_tag)
    assert [f.src_uri for f in files] == [plotly_asset.THEME_JS_URI, plotly_asset.BASIC_JS_URI]

    html = _render(figure + render_figure(heatmap_figure), "figures/", mkdocs_config, files)
    assert '<script src="../assets/javascripts/plotly.min.js">' in html and "plotly-basic" not in html
    _render(render_figure(heatmap_figure), "zh/figures/", mkdocs_config, files)
    assert [f.src_uri for f in files] == [
        plotly_asset.THEME_JS_URI,
        plotly_asset.BASIC_JS_URI,
        plotly_asset.FULL_JS_URI,
    ]
    full = Path(files.get_file_from_path(plotly_asset.FULL_JS_URI).abs_src_path)
    assert full.parent.name == "package_data" and full.stat().st_size > 1_000_000


@pytest.fixture
def vendor_copy(tmp_path: Path) -> Path:
    """A copy of the vendored bundle and its manifest; returns the manifest's path."""
    manifest = json.loads(plotly_asset.VENDOR_MANIFEST.read_text(encoding="utf-8"))
    shutil.copy(plotly_asset.VENDOR_MANIFEST.with_name(manifest["file"]), tmp_path / manifest["file"])
    shutil.copy(plotly_asset.VENDOR_MANIFEST, tmp_path / "manifest.json")
    return tmp_path / "manifest.json"


def test_a_vendored_bundle_of_another_version_fails_the_build(vendor_copy: Path, mkdocs_config, monkeypatch):
    manifest = json.loads(vendor_copy.read_text())
    assert plotly_asset.basic_bundle(vendor_copy).source == vendor_copy.with_name(manifest["file"])
    monkeypatch.setattr(plotly.offline, "get_plotlyjs_version", lambda: "9.9.9")
    message = f"is plotly.js {manifest['version']} but the plotly package embeds plotly.js 9.9.9"
    with pytest.raises(PluginError, match=re.escape(message)):
        plotly_asset.basic_bundle(vendor_copy)
    with pytest.raises(PluginError, match="update_plotly_bundle"):
        mkdocs_config.plugins.on_files(Files([]), config=mkdocs_config)  # the real hook, every build


def test_a_changed_vendored_bundle_fails_the_build(vendor_copy: Path):
    manifest = json.loads(vendor_copy.read_text())
    bundle = vendor_copy.with_name(manifest["file"])
    bundle.write_bytes(bundle.read_bytes() + b"\n")
    digest = hashlib.sha256(bundle.read_bytes()).hexdigest()
    expected = f"has SHA-256 {digest}, but manifest.json records {manifest['sha256']}"
    with pytest.raises(PluginError, match=expected):
        plotly_asset.basic_bundle(vendor_copy)
