"""Figure pages of the built site: every `plotly` fence renders in Chromium, hovers, reacts to its
controls and to the dark toggle, with no console error and no request to another host; the plotly.js
bundle a page loads draws every trace type of its figures; at 1280×800 and 390×844, in English and
Chinese, every figure fits the content column, has a numbered caption and an accessible name, keeps its
legend off the plot, and every control is on screen and changes the plot; plus the page budgets that
need no browser (page size, plotly.js only where there are figures, each bundle written once)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from paperzoo_site import plotly_asset
from paperzoo_site.plotly_fence import MARKER_CLASS, figure_id, page_trace_types

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```plotly[ \t]*\n\s*(\S+)\s*\n```", re.MULTILINE)
MATH = re.compile(r"\\\(|\\\[|\$\$|\\begin\{")
PAGE_BUDGET = 400_000  # bytes of HTML per page (issue 8)
DEFAULT_BOXES = "paperzoo.figures.ssd:default_boxes"
# A plotly.js bundle the site serves (the theme script, paperzoo-plotly-theme.js, is not one).
BUNDLE_TAG = re.compile(r'<script src="[^"]*(assets/javascripts/plotly[^"/]*\.js)"')
# A plotly.js bundle's header: "plotly.js v4.1.1" (full) or "plotly.js (basic - minified) v4.1.1".
BUNDLE_HEADER = re.compile(r"plotly\.js (\([a-z -]+\) )?v\d+\.\d+")
BUNDLE_RESOURCES = (
    "performance.getEntriesByType('resource').map(r => r.name).filter(n => /\\/plotly[^/]*\\.js$/.test(n))"
)


def _page_url(source: Path) -> str:
    """The built URL (relative to the site root) of an English Markdown page."""
    relative = source.relative_to(DOCS).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "index" else relative.parts
    return "".join(f"{part}/" for part in parts)


def _figure_pages(language: str = "en") -> dict[str, list[str]]:
    """Pages with `plotly` fences -> the figure paths, in page order. A Chinese page is `name.zh.md`,
    or the English page where there is no translation (the i18n fallback)."""
    pages = {}
    for source in sorted(DOCS.rglob("*.md")):
        if source.name.endswith(".zh.md") or source.relative_to(DOCS).parts[0].startswith("_"):
            continue
        translated = source.with_name(source.stem + ".zh.md")
        if language == "zh" and translated.exists():
            source_text = translated.read_text(encoding="utf-8")
        else:
            source_text = source.read_text(encoding="utf-8")
        targets = FENCE.findall(source_text)
        if targets:
            pages[("zh/" if language == "zh" else "") + _page_url(source)] = targets
    return pages


FIGURE_PAGES = _figure_pages()
ZH_FIGURE_PAGES = _figure_pages("zh")
VIEWPORTS = {"1280x800": {"width": 1280, "height": 800}, "390x844": {"width": 390, "height": 844}}


def _open(page, url: str, count: int) -> None:
    # Generous timeouts: a figure page runs 1.2 MB of plotly.js (4.8 MB with the full bundle), slow on a
    # loaded CI machine.
    response = page.goto(url, wait_until="domcontentloaded", timeout=60_000)
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    page.wait_for_function(
        f"document.querySelectorAll('.{MARKER_CLASS} .js-plotly-plot .main-svg').length >= {2 * count}",
        timeout=60_000,
    )


def _visible_traces(page, element_id: str) -> list[int]:
    return page.evaluate(
        "id => document.getElementById(id).data.flatMap((t, i) => t.visible === false ? [] : [i])", element_id
    )


# --- no browser: the built HTML ------------------------------------------------------------------------


def test_the_docs_embed_figures():
    assert FIGURE_PAGES, "no page has a plotly fence"
    embedded = {target for targets in FIGURE_PAGES.values() for target in targets}
    assert DEFAULT_BOXES in embedded


def test_every_page_is_within_the_size_budget(built_site: Path):
    sizes = {str(p.relative_to(built_site)): p.stat().st_size for p in built_site.rglob("*.html")}
    over = {name: size for name, size in sizes.items() if size > PAGE_BUDGET}
    assert not over, f"pages over {PAGE_BUDGET:,} bytes: {over}"


def test_plotly_js_is_written_once_and_loaded_only_on_figure_pages(built_site: Path):
    """Each page with figures loads one bundle, the smallest that draws its trace types; a bundle is in
    the site once, and only if a page loads it (today every figure is scatter or bar: the basic one)."""
    candidates = plotly_asset.bundles()
    with_figures, loading, loaded = set(), set(), set()
    for html_file in built_site.rglob("*.html"):
        html = html_file.read_text(encoding="utf-8")
        name = str(html_file.relative_to(built_site))
        inlined = BUNDLE_HEADER.search(html)
        assert "cdn.plot.ly" not in html and not inlined, f"{name}: CDN or inlined plotly.js"
        if f'class="{MARKER_CLASS}"' in html:
            with_figures.add(name)
        bundles = BUNDLE_TAG.findall(html)
        if bundles:
            assert len(bundles) == 1, f"{name} loads plotly.js more than once: {bundles}"
            assert bundles[0] == plotly_asset.choose_bundle(page_trace_types(html), candidates).uri, name
            loading.add(name)
            loaded.add(bundles[0])
    expected = {f"{url}index.html" for url in (*FIGURE_PAGES, *ZH_FIGURE_PAGES)}
    assert with_figures == loading == expected
    copies = sorted(str(p.relative_to(built_site)) for p in built_site.rglob("plotly*.js"))
    assert copies == sorted(loaded) == [plotly_asset.BASIC_JS_URI], copies


def test_figure_element_ids_are_stable(built_site: Path):
    for url, targets in {**FIGURE_PAGES, **ZH_FIGURE_PAGES}.items():
        html = (built_site / url / "index.html").read_text(encoding="utf-8")
        ids = re.findall(r'<div id="(fig-[a-z0-9-]+)" class="plotly-graph-div"', html)
        assert ids == [figure_id(target) for target in targets], url


# --- Chromium ------------------------------------------------------------------------------------------


def _hover_point(plot) -> tuple[float, float]:
    """A point of the plot to hover: the centre of the first data point's part inside a plot area
    (a bar on a log axis reaches far below its plot area)."""
    areas = [b for b in (a.bounding_box() for a in plot.locator(".draglayer .nsewdrag").all()) if b]
    points = plot.locator(".scatterlayer .point, .barlayer .point")
    for i in range(min(points.count(), 40)):
        box = points.nth(i).bounding_box()
        for area in areas if box else []:
            x0, x1 = max(box["x"], area["x"]), min(box["x"] + box["width"], area["x"] + area["width"])
            y0, y1 = max(box["y"], area["y"]), min(box["y"] + box["height"], area["y"] + area["height"])
            if x1 - x0 >= 2 and y1 - y0 >= 2:
                return (x0 + x1) / 2, (y0 + y1) / 2
    raise AssertionError(f"{plot}: no visible data point to hover")


@pytest.mark.parametrize("url", sorted(FIGURE_PAGES))
def test_figure_page_renders_and_hovers(page, page_log, site_url: str, url: str):
    targets = FIGURE_PAGES[url]
    _open(page, site_url + url, len(targets))
    rendered = page.evaluate(
        f"[...document.querySelectorAll('.{MARKER_CLASS} .js-plotly-plot')]"
        ".filter(plot => plot.querySelector('svg.main-svg')).map(plot => plot.id)"
    )
    assert rendered == [figure_id(target) for target in targets]
    assert page.evaluate(BUNDLE_RESOURCES) == [site_url + plotly_asset.BASIC_JS_URI]  # once per page
    drawn = page.evaluate(  # the trace types plotly drew are the ones the fence recorded
        f"[...document.querySelectorAll('.{MARKER_CLASS}')].map(marker => [marker.dataset.traces, "
        "[...new Set(marker.querySelector('.js-plotly-plot')._fullData.map(t => t.type))].sort().join(' ')])"
    )
    assert all(recorded == types for recorded, types in drawn), drawn
    for element_id in rendered:
        plot = page.locator(f"#{element_id}")
        plot.scroll_into_view_if_needed()
        x, y = _hover_point(plot)
        page.mouse.move(x, y)
        plot.locator(".hoverlayer .hovertext").first.wait_for(state="visible", timeout=5_000)
        page.mouse.move(0, 0)
    source = (DOCS / (url.rstrip("/") or "index")).with_suffix(".md")
    if not source.exists():
        source = DOCS / url / "index.md"
    if MATH.search(source.read_text(encoding="utf-8")):
        assert page.locator("article math").count() > 0, "the page's TeX did not become MathML"
    page_log.assert_clean()


def test_the_basic_bundle_draws_every_trace_type_of_the_figures(
    built_site: Path, page, page_log, site_url: str
):
    used = set()
    for html_file in built_site.rglob("*.html"):
        used |= page_trace_types(html_file.read_text(encoding="utf-8"))
    assert used >= {"scatter", "bar"}, used
    page.goto(site_url, wait_until="load")  # the home page loads no plotly.js
    assert page.evaluate("typeof Plotly") == "undefined"
    page.add_script_tag(url=site_url + plotly_asset.BASIC_JS_URI)
    registered = set(page.evaluate("Object.keys(Plotly.PlotSchema.get().traces)"))
    assert used <= registered, f"the basic bundle cannot draw {sorted(used - registered)}"
    assert registered == plotly_asset.basic_bundle().traces  # the manifest the hook chooses by
    page_log.assert_clean()


def _click_slider(page, plot, index_from_top: int, fraction: float) -> None:
    rails = plot.locator(".slider-rail-rect")
    boxes = sorted((rails.nth(i).bounding_box() for i in range(rails.count())), key=lambda b: b["y"])
    box = boxes[index_from_top]
    page.mouse.click(box["x"] + 2 + fraction * (box["width"] - 4), box["y"] + box["height"] / 2)


def _state(page, expression: str, element_id: str) -> str:
    """`expression` (JS over the plot element `gd`) as JSON, as the browser writes it."""
    return page.evaluate(
        f"id => {{ const gd = document.getElementById(id); return JSON.stringify({expression}); }}",
        element_id,
    )


def _wait_for_change(page, expression: str, element_id: str, before: str) -> str:
    script = f"([id, before]) => {{ const gd = document.getElementById(id); return JSON.stringify({expression}) !== before; }}"
    page.wait_for_function(script, arg=[element_id, before], timeout=5_000)
    return _state(page, expression, element_id)


def test_default_box_controls_change_the_plot(page, page_log, site_url: str):
    url = next(url for url, targets in FIGURE_PAGES.items() if DEFAULT_BOXES in targets)
    _open(page, site_url + url, len(FIGURE_PAGES[url]))
    element_id = figure_id(DEFAULT_BOXES)
    plot = page.locator(f"#{element_id}")
    plot.scroll_into_view_if_needed()
    # What a state shows: the input frame, the map's cells, and the overlay axis of the cell's boxes.
    shown = "[gd.data[0].name, gd.data[1].name, gd.data[3].xaxis]"
    start = _state(page, shown, element_id)
    assert json.loads(start) == ["300×300 input", "10×10 cells", "x4"]

    _click_slider(page, plot, 0, 1.0)  # feature-map slider: the last (1×1) map
    last_map = _wait_for_change(page, shown, element_id, start)
    assert json.loads(last_map)[1] == "1×1 cells"

    cell_range = "gd.layout.xaxis2.range"
    before = _state(page, cell_range, element_id)
    _click_slider(page, plot, 1, 0.0)  # cell slider: the first diagonal cell
    _wait_for_change(page, cell_range, element_id, before)

    plot.locator(".updatemenu-header").first.click()
    plot.locator(".updatemenu-dropdown-button").filter(has_text="caffe_coco_512").click()
    on_512 = _wait_for_change(page, shown, element_id, last_map)
    assert all(a != b for a, b in zip(json.loads(on_512), json.loads(last_map), strict=True))
    assert json.loads(on_512)[0] == "512×512 input"
    assert _state(page, "gd.layout.xaxis.range[1]", element_id) == "512"
    page_log.assert_clean()


def test_figures_follow_the_dark_toggle(page, page_log, site_url: str):
    url = min(sorted(FIGURE_PAGES), key=lambda u: len(FIGURE_PAGES[u]))  # the lightest figure page
    _open(page, site_url + url, len(FIGURE_PAGES[url]))
    element_id = figure_id(FIGURE_PAGES[url][0])
    font = f"document.getElementById('{element_id}')._fullLayout.font.color"
    light = page.evaluate(font)
    page.locator("form[data-md-component='palette'] label:visible").click()
    page.wait_for_function(f"{font} !== {light!r}", timeout=5_000)
    dark = page.evaluate(font)
    assert dark.startswith("rgba(226")
    page.locator("form[data-md-component='palette'] label:visible").click()
    page.wait_for_function(f"{font} === {light!r}", timeout=5_000)
    page_log.assert_clean()


# --- captions, fit and controls, at both sizes and in both languages -----------------------------------


def test_chinese_pages_carry_every_figure_of_the_english_ones_in_chinese():
    for url, targets in FIGURE_PAGES.items():
        translated = ZH_FIGURE_PAGES.get(f"zh/{url}")
        if url == "figures/":  # the Figures page has no Chinese translation: the English page is shown
            assert translated == targets
            continue
        assert translated == [f"{target}?lang=zh" for target in targets], url


def _figure_facts(page, element_id: str) -> dict:
    """Where a figure, its caption, legend, plot areas and controls are on the page, in CSS pixels."""
    return page.evaluate(
        """id => {
      const gd = document.getElementById(id);
      const figure = gd.closest('figure');
      const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
      const legend = gd.querySelector('.legend');
      return {
        column: box(document.querySelector('article')),
        figure: box(figure), svg: box(gd.querySelector('svg.main-svg')),
        label: figure.getAttribute('aria-label'), caption: figure.querySelector('figcaption')?.textContent,
        title: (gd._fullLayout.title.text || '').replace(/<[^>]+>/g, ' ').trim(),
        legend: legend && gd._fullLayout.showlegend ? box(legend) : null,
        plots: [...gd.querySelectorAll('.draglayer .nsewdrag')].map(box),
      };
    }""",
        element_id,
    )


def _overlaps(a: list[float], b: list[float]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


# What a figure shows: its traces' visibility, names and coordinates (as sums), its shapes, its sliders
# (a preset shows its own feature-map slider, even where two presets draw the same boxes) and axis ranges.
_SUM = "(c => c ? Array.from(c).reduce((a, v) => a + Math.abs(v || 0), 0) : 0)"
PLOT_STATE = (
    f"[gd._fullData.map(t => [t.visible, t.name, {_SUM}(t.x), {_SUM}(t.y)]), "
    "(gd._fullLayout.shapes || []).map(s => [s.x0, s.y0]), "
    "(gd._fullLayout.sliders || []).map(s => [s.visible, s.active]), "
    "Object.keys(gd._fullLayout).filter(k => /^[xy]axis/.test(k)).sort().map(k => gd._fullLayout[k].range)]"
)


def _assert_on_screen(page, locator, what: str) -> None:
    # To the middle of the window: scrolled just into view, a control can sit under Material's sticky header.
    locator.evaluate("element => element.scrollIntoView({block: 'center', inline: 'nearest'})")
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None, f"{what} is not drawn"
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], f"{what} is off screen: {box}"
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], f"{what} is off screen: {box}"


def _changes_the_plot(page, element_id: str, click, what: str) -> None:
    before = _state(page, PLOT_STATE, element_id)
    click()
    try:
        _wait_for_change(page, PLOT_STATE, element_id, before)
    except Exception as exc:
        raise AssertionError(f"{element_id}: {what} did not change the plot: {before}") from exc


def _others_then_active(count: int, active: int) -> list[int]:
    """Every entry of a control, the active one last: then each click changes the plot."""
    return [i for i in range(count) if i != active] + [active]


def _exercise_controls(page, element_id: str) -> int:
    """Click every entry of every menu and both ends of every slider: each must be on screen and change
    the plot. Returns the number of clicks."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # imported where a browser runs

    plot = page.locator(f"#{element_id}")
    menus = page.evaluate(
        "id => document.getElementById(id)._fullLayout.updatemenus.filter(u => u.visible)"
        ".map(u => [u.type, u.active, u.buttons.length])",
        element_id,
    )
    clicks, headers, buttons = 0, plot.locator(".updatemenu-header"), plot.locator(".updatemenu-button")
    dropdowns = [(active, count) for kind, active, count in menus if kind == "dropdown"]
    for m, (active, count) in enumerate(dropdowns):  # plotly draws the menus in layout order
        for i in _others_then_active(count, active):
            _assert_on_screen(page, headers.nth(m), f"menu {m}")
            headers.nth(m).click()
            entry = plot.locator(".updatemenu-dropdown-button").nth(i)
            entry.wait_for(state="visible", timeout=5_000)
            _assert_on_screen(page, entry, f"menu {m} entry {i}")
            _changes_the_plot(page, element_id, entry.click, f"menu {m} entry {i}")
            clicks += 1
            # A chosen entry folds the list (a short fade), but not always under Playwright's click: a list
            # left open would cover the controls below it, so fold it by its header.
            listed = plot.locator(".updatemenu-dropdown-button").first
            try:
                listed.wait_for(state="detached", timeout=2_000)
            except PlaywrightTimeout:
                headers.nth(m).click()
                listed.wait_for(state="detached", timeout=5_000)
    offset = 0
    for active, count in [(active, count) for kind, active, count in menus if kind == "buttons"]:
        for i in _others_then_active(count, active):
            button = buttons.nth(offset + i)
            _assert_on_screen(page, button, f"button {offset + i}")
            _changes_the_plot(page, element_id, button.click, f"button {offset + i}")
            clicks += 1
        offset += count
    rails = plot.locator(".slider-rail-rect")
    for r in range(rails.count()):
        _assert_on_screen(page, rails.nth(r), f"slider {r}")
        for fraction in (0.0, 1.0):
            box = rails.nth(r).bounding_box()
            point = (box["x"] + 2 + fraction * (box["width"] - 4), box["y"] + box["height"] / 2)
            _changes_the_plot(page, element_id, lambda point=point: page.mouse.click(*point), f"slider {r}")
            clicks += 1
    return clicks


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("url", sorted({**FIGURE_PAGES, **ZH_FIGURE_PAGES}))
def test_figures_fit_are_captioned_and_every_control_works(
    page, page_log, site_url: str, url: str, viewport: str
):
    targets = {**FIGURE_PAGES, **ZH_FIGURE_PAGES}[url]
    page.set_viewport_size(VIEWPORTS[viewport])
    _open(page, site_url + url, len(targets))
    number = "图 {}" if url.startswith("zh/") and "lang=zh" in targets[0] else "Figure {}."
    for n, target in enumerate(targets, start=1):
        element_id = figure_id(target)
        page.locator(f"#{element_id}").scroll_into_view_if_needed()
        facts = _figure_facts(page, element_id)
        left, _, right, _ = facts["column"]
        for part in ("figure", "svg"):
            assert facts[part][0] >= left - 1 and facts[part][2] <= right + 1, (element_id, part, facts)
        assert facts["caption"].startswith(number.format(n) + " "), (element_id, facts["caption"])
        assert facts["label"] and facts["label"] == facts["title"], facts
        if facts["legend"]:
            for area in facts["plots"]:
                assert not _overlaps(facts["legend"], area), (
                    f"{element_id}: the legend covers the plot {facts}"
                )
        _exercise_controls(page, element_id)
    page_log.assert_clean()
