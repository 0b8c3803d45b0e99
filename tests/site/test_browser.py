"""The built site in Chromium, served on 127.0.0.1: pages load cleanly, search works, dark mode toggles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SEARCH_SECTION = "tracker"


def _visit(page, url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    page.wait_for_load_state("networkidle")  # the search worker and its index load after `load`


def test_home_page_loads_cleanly(page, page_log, site_url: str):
    _visit(page, site_url)
    assert page.title().startswith("paperzoo")
    assert page.locator("nav.md-tabs").is_visible()
    page_log.assert_clean()


def test_section_page_loads_cleanly(page, page_log, site_url: str, section: tuple[str, str]):
    title, slug = section
    _visit(page, f"{site_url}{slug}/")
    assert page.locator("article h1").first.inner_text().rstrip("¶ \n") == title  # ¶: the permalink
    page_log.assert_clean()


def _rarest_word_of(built_site: Path, slug: str) -> str:
    """The word of `slug`'s page text that the fewest other pages contain (then the longest, then a-z)."""
    documents = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    page_words: dict[str, set[str]] = {}
    for document in documents:
        page = document["location"].split("#")[0]
        text = re.sub(r"<[^>]+>", " ", document["text"])
        page_words.setdefault(page, set()).update(word.lower() for word in re.findall(r"[A-Za-z]{5,}", text))
    own = page_words.get(f"{slug}/", set())
    assert own, f"{slug}/ has no text in the search index"
    others = [words for page, words in page_words.items() if page != f"{slug}/"]
    return min(own, key=lambda word: (sum(word in words for words in others), -len(word), word))


def test_search_finds_a_word_of_a_section_page(page, page_log, site_url: str, built_site: Path):
    word = _rarest_word_of(built_site, SEARCH_SECTION)
    _visit(page, site_url)
    search_input = page.locator("input.md-search__input")
    search_input.click()
    search_input.press_sequentially(word, delay=20)
    results = page.locator(".md-search-result__item > a")
    results.first.wait_for(state="visible", timeout=10_000)
    hrefs = [link.get_attribute("href") or "" for link in results.all()]
    assert any(f"/{SEARCH_SECTION}/" in href for href in hrefs), f"searched {word!r}, got {hrefs}"
    page_log.assert_clean()


def test_dark_mode_toggle_switches_the_colour_scheme(page, page_log, site_url: str):
    _visit(page, site_url)
    body = page.locator("body")
    assert body.get_attribute("data-md-color-scheme") == "default"
    page.locator("form[data-md-component='palette'] label:visible").click()
    page.wait_for_function("document.body.dataset.mdColorScheme === 'slate'", timeout=5_000)
    page.locator("form[data-md-component='palette'] label:visible").click()
    page.wait_for_function("document.body.dataset.mdColorScheme === 'default'", timeout=5_000)
    page_log.assert_clean()
