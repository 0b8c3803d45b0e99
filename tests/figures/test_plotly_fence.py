"""The `plotly` fence and the plotly.js asset hook (paperzoo/_site/plotly_fence.py, plotly_asset.py)."""

from __future__ import annotations

import types
from pathlib import Path

import markdown
import pytest
from pymdownx.superfences import SuperFencesException

from paperzoo._site import plotly_asset
from paperzoo._site.plotly_fence import MARKER_CLASS, fence_format, figure_id, render_figure

FENCE_CONFIG = {"custom_fences": [{"name": "plotly", "class": "plotly", "format": fence_format}]}


def convert(text: str) -> str:
    return markdown.Markdown(extensions=["pymdownx.superfences"],
                             extension_configs={"pymdownx.superfences": FENCE_CONFIG}).convert(text)


def test_figure_ids_are_derived_from_the_path():
    assert figure_id("paperzoo.figures.ssd:default_boxes") == "fig-ssd-default-boxes"
    assert figure_id("paperzoo.figures.rfcn:k_ablation") == "fig-rfcn-k-ablation"


def test_fence_renders_the_figure_without_plotly_js():
    html = convert("```plotly\npaperzoo.figures.rfcn:k_ablation\n```\n")
    assert f'class="{MARKER_CLASS}"' in html
    assert 'id="fig-rfcn-k-ablation"' in html
    assert 'Plotly.newPlot(' in html and '"displaylogo": false' in html
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
        ("paperzoo.figures.rfcn:measure_bins", "missing 1 required positional argument"),
        ("paperzoo.figures._style:plotly_go", "expected plotly.graph_objects.Figure"),
    ],
)
def test_a_figure_that_fails_to_build_fails_the_conversion(body: str, message: str):
    with pytest.raises(SuperFencesException, match=message.replace(".", r"\.").replace("(", r"\(")):
        convert(f"```plotly\n{body}\n```\n")


def test_hook_adds_plotly_js_once_from_the_plotly_package(tmp_path: Path):
    from mkdocs.config import load_config
    from mkdocs.structure.files import Files

    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(f"site_name: t\nhooks: [{plotly_asset.__file__}]\n")
    config = load_config(str(tmp_path / "mkdocs.yml"))
    files = config.plugins.on_files(Files([]), config=config)
    files = config.plugins.on_files(files, config=config)  # a second language build adds nothing
    assert sorted(f.src_uri for f in files) == [plotly_asset.THEME_JS_URI, plotly_asset.PLOTLY_JS_URI]
    plotly_js = Path(files.get_file_from_path(plotly_asset.PLOTLY_JS_URI).abs_src_path)
    assert plotly_js.parent.name == "package_data" and plotly_js.stat().st_size > 1_000_000


def test_hook_loads_plotly_only_on_pages_with_figures():
    page = types.SimpleNamespace(url="object-detection/ssd/")
    plain = "<p>no figure</p>"
    assert plotly_asset.on_page_content(plain, page, None, None) == plain
    figure = f'<div class="{MARKER_CLASS}" data-figure="x"></div>'
    html = plotly_asset.on_page_content(figure, page, None, None)
    assert html.index('<script src="../../assets/javascripts/plotly.min.js">') < html.index(figure)
    assert html.index(figure) < html.index('<script src="../../assets/javascripts/paperzoo-plotly-theme.js">')
    zh = plotly_asset.on_page_content(figure, types.SimpleNamespace(url="zh/figures/"), None, None)
    assert '<script src="../../assets/javascripts/plotly.min.js">' in zh
