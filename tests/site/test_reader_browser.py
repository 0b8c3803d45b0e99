"""Every paper page as a reader sees it, in Chromium at a laptop's and a phone's size, in both languages.

No table or figure is wider than the content column unless it sits in a `pz-scroll` container (the
architecture tables, which scroll sideways on purpose); no formula shows an HTML entity or a raw TeX
command; no console error. Search finds each paper page from an English and a Chinese word of it, and
no search result lacks its page (results without one linked to `/undefined`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperzoo_site import cards as cardlib

ROOT = Path(__file__).resolve().parents[2]
CARDS = cardlib.load_cards(ROOT / cardlib.CARDS_DIR)

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
PAPERS = sorted(card["page"].removesuffix(".md") + "/" for card in CARDS.values())
# (English word, Chinese word) that each paper's page contains.
SEARCH_WORDS = {
    "object-detection/mobilenet-v1/": ("depthwise", "深度可分离"),
    "object-detection/mobilenet-v2/": ("bottleneck", "线性瓶颈"),
    "object-detection/ssd/": ("MultiBox", "默认框"),
    "object-detection/r-fcn/": ("position", "位置敏感"),
    "classification/resnet/": ("residual", "残差"),
}

# Tables and figures wider than the article, outside a pz-scroll container; formulas that leak text.
LAYOUT_PROBLEMS = """() => {
  const article = document.querySelector("article.md-content__inner");
  const limit = article.getBoundingClientRect().right + 1;
  const problems = [];
  for (const el of article.querySelectorAll("table, .js-plotly-plot, figure, img")) {
    if (el.closest(".pz-scroll")) continue;
    const box = el.getBoundingClientRect();
    const clipped = el.tagName === "TABLE" && el.scrollWidth > el.clientWidth + 1;
    if (box.right > limit || clipped) {
      problems.push(`${el.tagName.toLowerCase()} ${(el.textContent || "").trim().slice(0, 40)}`
        + ` right=${Math.round(box.right)} > ${Math.round(limit)}, scroll ${el.scrollWidth}/${el.clientWidth}`);
    }
  }
  for (const math of article.querySelectorAll("math")) {
    if (/&(?:[a-z]+|#x?[0-9a-f]+);|\\\\[a-z]+/i.test(math.textContent)) problems.push(`math ${math.textContent}`);
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push("the page scrolls sideways");
  return problems;
}"""


def _open(browser, url: str, size: tuple[int, int], page_log) -> object:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, color_scheme="light")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and page_log.console_errors.append(m.text))
    page.on("pageerror", lambda error: page_log.console_errors.append(f"uncaught: {error}"))
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("paper", PAPERS)
def test_paper_page_fits_its_column(browser, page_log, site_url: str, paper: str, lang: str, viewport: str):
    url = site_url + ("zh/" if lang == "zh" else "") + paper
    page = _open(browser, url, VIEWPORTS[viewport], page_log)
    try:
        assert page.locator(".pz-claims table").count() == 1
        assert page.evaluate(LAYOUT_PROBLEMS) == []
        page_log.assert_clean()
    finally:
        page.context.close()


def _search(page, query: str) -> list[str]:
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query)
    box.press("End")  # Material searches on keyup; typed Chinese (an IME's insertText) sends none
    results = page.locator(".md-search-result__item > a")
    results.first.wait_for(state="visible", timeout=10_000)
    return [link.get_attribute("href") or "" for link in results.all()]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("paper", PAPERS)
def test_search_finds_the_paper_page(browser, page_log, site_url: str, paper: str, lang: str):
    prefix = "zh/" if lang == "zh" else ""
    word = SEARCH_WORDS[paper][lang == "zh"]
    page = _open(browser, site_url + prefix, VIEWPORTS["desktop"], page_log)
    try:
        hrefs = _search(page, word)
        assert any(f"/{prefix}{paper}" in href.split("?")[0] for href in hrefs), f"{word!r} found {hrefs}"
        assert not [href for href in hrefs if "undefined" in href], hrefs
        page_log.assert_clean()
    finally:
        page.context.close()


def test_every_search_result_has_its_page(built_site: Path):
    """Material groups a page's sections under the page's own entry; without it a result links nowhere."""
    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"] for doc in index["docs"]}
    orphans = sorted({location.split("#")[0] for location in locations} - locations)
    assert orphans == [], f"sections without a page entry: {orphans}"
    assert {"zh/" + paper for paper in PAPERS} <= locations


def test_chinese_text_is_segmented_in_the_index(built_site: Path):
    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    zh_text = " ".join(
        doc["text"] for doc in index["docs"] if doc["location"].startswith("zh/object-detection/ssd/")
    )
    assert "默认\u200b框" in zh_text  # jieba's words, split by zero-width spaces
    assert "\\u200b" in index["config"]["separator"]  # a JavaScript regex: the escape stays text


def test_each_language_has_its_404_page(built_site: Path):
    assert '<html lang="en"' in (built_site / "404.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in (built_site / "zh" / "404.html").read_text(encoding="utf-8")


def test_builder_links_use_the_repository_of_mkdocs_yml():
    from paperzoo_site.builders import REPO_URL, builder_facts

    assert f"repo_url: {REPO_URL}\n" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    facts = builder_facts("ssd300_vgg16")
    line = int(facts["source"].rsplit("#L", 1)[1])
    source = (ROOT / "paperzoo/models/ssd.py").read_text(encoding="utf-8").splitlines()
    assert "def ssd300_vgg16(" in "\n".join(source[line - 1 : line + 2])  # the decorator, then the def
    assert facts["params"] == 35_641_826  # torchvision's SSD300_VGG16_Weights.COCO_V1 meta
