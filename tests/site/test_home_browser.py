"""The home page and the empty sections as a reader sees them, in Chromium at a laptop's and a phone's
size, in both languages: a card per paper that leads to its page, one column on a phone, nothing wider
than the screen; empty sections marked in the navigation and the areas table; and the footer of the last
paper page leading to a page with content, not to an empty section."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import pytest

from paperzoo_site import cards as cardlib
from paperzoo_site.blocks import TEXT
from paperzoo_site.empty_sections import EMPTY_NOTE, empty_sections

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CARDS = cardlib.load_cards(ROOT / cardlib.CARDS_DIR)
EMPTY = empty_sections(ROOT / cardlib.CARDS_DIR)
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
PAPER_URLS = {card["page"].removesuffix(".md") + "/" for card in CARDS.values()}


def _open(browser, url: str, viewport: str, page_log) -> object:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme="light")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and page_log.console_errors.append(m.text))
    page.on("pageerror", lambda error: page_log.console_errors.append(f"uncaught: {error}"))
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("http://127.0.0.1")
            else (page_log.external_requests.append(route.request.url), route.abort())
        ),
    )
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    return page


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_home_page_cards_lead_to_the_papers(browser, page_log, site_url: str, lang: str, viewport: str):
    root = site_url + ("zh/" if lang == "zh" else "")
    page = _open(browser, root, viewport, page_log)
    try:
        cards = page.locator("article.pz-card")
        assert cards.count() == len(CARDS)
        boxes = [cards.nth(i).bounding_box() for i in range(cards.count())]
        width = VIEWPORTS[viewport][0]
        for box in boxes:
            assert (
                box is not None and box["width"] > 200 and box["x"] >= 0 and box["x"] + box["width"] <= width
            )
        columns = {round(box["x"]) for box in boxes}
        assert len(columns) == (1 if viewport == "phone" else 2), columns
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        links = set()
        for i in range(cards.count()):
            card = cards.nth(i)
            assert card.locator("svg.pz-keyfig rect.pz-bar").count() >= 2
            assert card.locator("figcaption").inner_text().strip()
            title = card.locator(".pz-card__title a")
            assert title.is_visible()
            links.add(urljoin(page.url, title.get_attribute("href")).removeprefix(root))
        assert links == PAPER_URLS
        assert page.locator('script[src*="plotly"]').count() == 0  # static figures only
        # Clicking anywhere on a card (here: its figure) opens the paper.
        first = cards.first
        target = urljoin(page.url, first.locator(".pz-card__title a").get_attribute("href"))
        figure = first.locator("svg.pz-keyfig")
        figure.scroll_into_view_if_needed()
        box = figure.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_url(target)
        page_log.assert_clean()
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_areas_table_and_navigation_mark_empty_sections(browser, page_log, site_url: str, lang: str):
    root = site_url + ("zh/" if lang == "zh" else "")
    page = _open(browser, root, "phone", page_log)
    try:
        rows = page.locator("table:has(th) tbody tr")
        empty_rows = [rows.nth(i) for i in range(rows.count()) if rows.nth(i).locator(".pz-empty").count()]
        assert len(empty_rows) == len(EMPTY)
        # The drawer (the phone's navigation) names the empty sections with the note, muted.
        page.locator("label.md-header__button[for=__drawer]").click()
        notes = page.locator(".md-nav--primary .md-nav__link .pz-empty")
        assert notes.count() == len(EMPTY)
        assert notes.first.is_visible() and notes.first.inner_text() == EMPTY_NOTE[lang]
        page_log.assert_clean()
    finally:
        page.context.close()
    page = _open(browser, root, "desktop", page_log)
    try:  # the tabs have no room for the note: the empty sections' tabs are muted instead
        # Material fades the tabs in (an opacity transition): finish it, or a busy machine reads it midway.
        opacity = page.evaluate("""() => {
            document.getAnimations().forEach(animation => animation.finish());
            return [...document.querySelectorAll('.md-tabs__link')].map(
                a => [!!a.querySelector('.pz-empty'), Number(getComputedStyle(a).opacity)]);
        }""")
        muted = [value for empty, value in opacity if empty]
        others = [value for empty, value in opacity if not empty]
        assert len(muted) == len(EMPTY) and max(muted) < min(others)
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_footer_of_the_last_paper_skips_empty_sections(browser, page_log, site_url: str, lang: str):
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    last = max(CARDS.values(), key=lambda card: nav.index(card["page"]))["page"].removesuffix(".md") + "/"
    root = site_url + ("zh/" if lang == "zh" else "")
    page = _open(browser, root + last, "desktop", page_log)
    try:
        following = page.locator("a.md-footer__link--next")
        target = urljoin(page.url, following.get_attribute("href")).removeprefix(root)
        assert target.split("/")[0] not in EMPTY, f"the footer of {last} leads to the empty section {target}"
        assert EMPTY_NOTE[lang] not in following.inner_text()
        following.click()
        page.wait_for_url(root + target)
        # And the page it leads to has content: not a section page that says it has no papers.
        assert TEXT[lang]["empty"].split("[")[0] not in page.locator("article").inner_text()
        page_log.assert_clean()
    finally:
        page.context.close()
