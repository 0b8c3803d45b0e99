"""The built site shows each card: claims table, citation, versions, math, section lists and tags."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import torch

import paperzoo
from paperzoo_site import cards as cardlib

ROOT = Path(__file__).resolve().parents[2]
CARDS = cardlib.load_cards(ROOT / cardlib.CARDS_DIR)


def _article(built_site: Path, url: str) -> str:
    """The page's content: Material's `md-content` article, up to the footer."""
    text = (built_site / url / "index.html").read_text(encoding="utf-8")
    start = text.index('<article class="md-content__inner')
    return text[start : text.index("<footer", start)]


@pytest.mark.parametrize("card_id", sorted(CARDS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_paper_page_shows_its_card(built_site, card_id, lang):
    card = CARDS[card_id]
    url = ("zh/" if lang == "zh" else "") + card["page"].removesuffix(".md") + "/"
    article = _article(built_site, url)
    header = "<th>论断</th>" if lang == "zh" else "<th>Claim</th>"
    table = article[article.index(header) : article.index("</table>", article.index(header))]
    assert table.count("<tr>") == len(card["claims"])  # one row per claim after the header's cells
    versions = f"paperzoo {paperzoo.__version__}"
    assert versions in article and torch.__version__.split("+")[0] in article
    assert f'href="https://arxiv.org/abs/{card["arxiv"]}"' in article
    plain = html.unescape(re.sub(r"<[^>]+>", "", article))
    assert card["bibtex"].splitlines()[0] in plain and card["bibtex"].splitlines()[1] in plain  # BibTeX block
    assert "<math" in article
    text = re.sub(r"<(code|pre)\b.*?</\1>", "", article, flags=re.S)
    assert "\\(" not in text and "\\[" not in text, "TeX left unrendered"


def test_sections_list_papers_from_cards(built_site):
    detection = _article(built_site, "object-detection/")
    for card in CARDS.values():
        if card["section"] == "object-detection":
            assert f'href="{card["page"].split("/")[1].removesuffix(".md")}/"' in detection
    classification = _article(built_site, "classification/")
    assert 'href="../object-detection/mobilenet-v1/"' in classification
    tracker = _article(built_site, "tracker/")
    assert "No paper in this section" in tracker and 'href="../contributing/"' in tracker
    # The Chinese section pages list the same papers, linked to the Chinese pages, with Chinese text.
    assert 'href="../object-detection/mobilenet-v1/"' in _article(built_site, "zh/classification/")
    assert "本分类还没有论文笔记" in _article(built_site, "zh/tracker/")


def test_tags_page_has_every_section(built_site):
    tags = _article(built_site, "tags/")
    for slug in cardlib.SECTIONS:
        assert f'id="{slug}"' in tags
    network = tags[tags.index('id="network-architecture"') : tags.index('id="nlp"')]
    assert "MobileNetV1" in network and "MobileNetV2" in network
