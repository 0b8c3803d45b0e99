"""The home page's blocks and the empty-sections hook, checked without building the site."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from paperzoo_site import cards as cardlib
from paperzoo_site import empty_sections, home

ROOT = Path(__file__).resolve().parents[2]
CARDS = cardlib.load_cards(ROOT / cardlib.CARDS_DIR)
COVERS = {slug: f"what {slug} covers" for slug in cardlib.SECTIONS}


def test_every_card_has_a_hook_and_a_key_figure_in_both_languages():
    for card in CARDS.values():
        assert card.get("hook") and card.get("hook_zh"), card["id"]
        figure = card["key_figure"]
        assert figure.get("caption_zh"), card["id"]
        assert re.search(r"[\u4e00-\u9fff]", figure["caption_zh"]), card["id"]


def test_key_figure_bars_are_the_claims_computed_values():
    card = CARDS["mobilenet-v1"]
    bars = dict(home.figure_bars(card, "en"))
    # Table 4's full-convolution MobileNet and Table 6's 1.0 MobileNet-224, as the claims compute them.
    assert bars["Full 3×3 convolutions"] == pytest.approx(4867.29, abs=0.01)
    assert bars["MobileNet, α = 1"] == pytest.approx(568.74, abs=0.01)
    assert [label for label, _ in home.figure_bars(card, "zh")][0] == "完整 3×3 卷积"


def test_rfcn_key_figure_puts_conv5_once_per_image_below_once_per_roi():
    faster, rfcn = (value for _, value in home.figure_bars(CARDS["rfcn"], "en"))
    assert 2.0 < faster / rfcn < 3.0  # 339B vs 140B MACs for 300 RoIs on ResNet-101


def test_bar_chart_scales_bars_to_the_largest():
    svg = home.bar_chart_svg([("big", 50.0), ("small", 5.0)], "B", 'a "caption"')
    widths = [float(w) for w in re.findall(r'<rect class="pz-bar"[^>]* width="([\d.]+)"', svg)]
    assert widths == [home.WIDTH, home.WIDTH / 10]
    assert ">50.0B<" in svg and ">5.00B<" in svg
    assert 'aria-label="a &quot;caption&quot;"' in svg and "\n" not in svg


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.update(unit="furlongs"), "unit must be one of"),
        (lambda f: f["bars"][0].update(claim="no-such-claim"), "not a computed claim"),
        (lambda f: f["bars"][0].update(claim="top1-imagenet"), "not a computed claim"),
        (lambda f: f["bars"][0].update(claim="table2-conv1x1-macs"), "is in '%', the figure in 'M'"),
        (lambda f: f["bars"][0].update(value={"call": "paperzoo.analysis:count_params"}), "either 'claim'"),
        (lambda f: f.update(bars=f["bars"][:1]), "2 to 8 bars"),
        (lambda f: f["bars"][0].update(colour="red"), "unknown key 'colour'"),
    ],
)
def test_key_figure_schema_names_the_mistake(change, message):
    card = copy.deepcopy(CARDS["mobilenet-v1"])
    change(card["key_figure"])
    with pytest.raises(cardlib.CardError, match=message):
        cardlib.validate_card(card, "mobilenet-v1")


def test_home_block_links_every_card_relative_to_the_page():
    lines = "\n".join(home.render_home(CARDS, "index.md", "en"))
    assert lines.count('<article class="pz-card"') == len(CARDS)
    for card in CARDS.values():
        assert f"]({card['page']})" in lines
    assert "MACs grow with the proposals" in lines  # R-FCN's main builder has no single MAC count
    assert "`mobilenet_v1`: 4.23M parameters · 569M MACs at 224×224" in lines


def test_areas_table_counts_papers_and_marks_empty_sections():
    names = dict(cardlib.SECTIONS)
    rows = home.render_areas(CARDS, COVERS, "index.md", "en", names)[4:-3]
    empty = empty_sections.empty_sections(ROOT / cardlib.CARDS_DIR)
    assert len(rows) == len(cardlib.SECTIONS)
    for slug, row in zip(cardlib.SECTIONS, rows, strict=True):
        assert f"]({slug}/index.md)" in row
        assert ("no papers yet" in row) == (slug in empty), row
    assert "| [Object Detection](object-detection/index.md) | 4 |" in "\n".join(rows)
    with pytest.raises(ValueError, match="describe every section"):
        home.render_areas(CARDS, {"attention": "x"}, "index.md", "en", names)


def test_empty_sections_are_those_no_card_names():
    empty = empty_sections.empty_sections(ROOT / cardlib.CARDS_DIR)
    assert "attention" in empty and "tracker" in empty
    assert not empty & {"object-detection", "classification"}


def _page(src_uri: str) -> SimpleNamespace:
    return SimpleNamespace(file=SimpleNamespace(src_uri=src_uri), title=src_uri, previous_page=0, next_page=0)


def test_footer_links_step_over_empty_sections():
    pages = [_page(uri) for uri in ("index.md", "attention/index.md", "object-detection/r-fcn.md",
                                    "face/index.zh.md", "gans/index.md", "api.md")]  # fmt: skip
    skipped = {
        i for i, p in enumerate(pages) if empty_sections._section_index(p) in {"attention", "face", "gans"}
    }
    assert skipped == {1, 3, 4}
    empty_sections._link(pages, skipped)
    home_page, attention, rfcn, face, gans, api = pages
    assert home_page.next_page is rfcn and rfcn.previous_page is home_page
    assert rfcn.next_page is api and api.previous_page is rfcn
    assert home_page.previous_page is None and api.next_page is None
    assert face.previous_page is rfcn and face.next_page is api  # an empty page still leads on
