"""Paper pages in Chromium: MathML is laid out, the language switcher reaches the Chinese page, and the
BibTeX block has a copy button."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

pytestmark = pytest.mark.browser


def test_mathml_is_laid_out_without_scripts(page, page_log, site_url: str):
    page.goto(f"{site_url}object-detection/mobilenet-v1/", wait_until="load")
    block = page.locator("div.arithmatex math[display=block]").first
    box = block.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 10, box
    fraction = page.locator("div.arithmatex mfrac").first.bounding_box()
    assert fraction is not None and fraction["height"] > 20, "the fraction is not stacked"
    page_log.assert_clean()


def test_language_switcher_reaches_the_translation_and_back(page, page_log, site_url: str):
    page.goto(f"{site_url}object-detection/ssd/", wait_until="load")
    assert page.locator("th", has_text="Paper → paperzoo").first.is_visible()
    zh = page.locator("a.md-select__link[hreflang=zh]").get_attribute("href")
    page.goto(urljoin(page.url, zh), wait_until="load")
    assert page.url == f"{site_url}zh/object-detection/ssd/"
    assert page.locator("html").get_attribute("lang") == "zh"
    assert page.locator("th", has_text="论文 → paperzoo").first.is_visible()
    en = page.locator("a.md-select__link[hreflang=en]").get_attribute("href")
    page.goto(urljoin(page.url, en), wait_until="load")
    assert page.url == f"{site_url}object-detection/ssd/"
    page_log.assert_clean()


def test_bibtex_block_has_a_copy_button(page, page_log, site_url: str):
    page.goto(f"{site_url}object-detection/r-fcn/", wait_until="load")
    cite = page.locator("h2#cite ~ div.highlight").first
    assert "@inproceedings{dai2016rfcn" in cite.inner_text()
    cite.scroll_into_view_if_needed()
    cite.locator("button.md-code__button").wait_for(state="attached", timeout=10_000)  # Material's JS adds it
    assert cite.locator("button.md-code__button").count() == 1
    page_log.assert_clean()
