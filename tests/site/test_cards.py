"""Paper cards: every card follows the schema and every claim holds, checked without building the site."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import markdown
import pytest
import yaml

import paperzoo
import paperzoo.models
from paperzoo_site import cards as cardlib
from paperzoo_site.blocks import render_claims, render_papers

ROOT = Path(__file__).resolve().parents[2]
CARDS = cardlib.load_cards(ROOT / cardlib.CARDS_DIR)
CLAIMS = [(card_id, claim) for card_id, card in CARDS.items() for claim in card["claims"]]


def _front_matter(page: Path) -> dict:
    text = page.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, f"{page} has no YAML front matter"
    return yaml.safe_load(match[1])


def _builder_info(name: str):
    """The `register_model` metadata of builder `name`, from the registry or its model module."""
    if name in paperzoo.list_models():
        return paperzoo.get_model_info(name)
    for module in pkgutil.iter_modules(paperzoo.models.__path__):
        builder = getattr(importlib.import_module(f"paperzoo.models.{module.name}"), name, None)
        if builder is not None and hasattr(builder, "__paperzoo_model__"):
            return builder.__paperzoo_model__
    raise AssertionError(f"no registered builder {name!r} in paperzoo.models")


def test_the_four_object_detection_papers_have_cards():
    assert set(CARDS) >= {"mobilenet-v1", "mobilenet-v2", "ssd", "rfcn"}


@pytest.mark.parametrize("card_id", sorted(CARDS))
def test_card_page_builders_and_nav(card_id):
    card = CARDS[card_id]
    page = ROOT / "docs" / card["page"]
    assert page.is_file(), f"card {card_id} names a missing page {card['page']}"
    assert _front_matter(page).get("card") == card_id
    translation = page.with_suffix(".zh.md")
    if translation.exists():
        assert _front_matter(translation).get("card") == card_id
    assert card["page"] in (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), "the page is not in the nav"
    url = card["page"].removesuffix(".md") + "/"
    for name in card["builders"]:
        info = _builder_info(name)
        assert info.docs == url, f"{name} is registered with docs={info.docs!r}, its card's page is {url!r}"
        # A builder implements this card's paper, or a paper with its own card whose model this page documents
        # (SSDLite: the MobileNetV2 paper, documented on the SSD page).
        assert info.paper.arxiv in {c["arxiv"] for c in CARDS.values()}, f"{name}: arXiv {info.paper.arxiv}"


@pytest.mark.parametrize(("card_id", "claim"), CLAIMS, ids=[f"{c}:{cl['id']}" for c, cl in CLAIMS])
def test_claim_holds(card_id, claim):
    result = cardlib.check_claim(card_id, claim)
    if claim["status"] == "unverifiable":
        assert result.computed is None
    else:
        assert result.difference == pytest.approx(result.computed - claim["stated"])


def test_every_page_front_matter_names_an_existing_card():
    pages = [p for p in (ROOT / "docs").rglob("*.md") if p.read_text(encoding="utf-8").startswith("---\n")]
    assert pages, "no page has front matter"
    for page in pages:
        front = _front_matter(page)
        assert set(front) <= {"card", "title", "description", "hide", "search"}, f"{page}: {sorted(front)}"
        if "card" in front:
            assert front["card"] in CARDS, f"{page} names unknown card {front['card']!r}"
            assert CARDS[front["card"]]["page"] == str(page.relative_to(ROOT / "docs")).replace(
                ".zh.md", ".md"
            )


# --- the machinery itself ---------------------------------------------------------------------------


def _card(**overrides):
    card = {
        "id": "toy", "title": "A toy paper", "short_title": "Toy", "authors": ["A. Author"], "year": 2020,
        "venue": "arXiv preprint", "arxiv": "2001.00001", "bibtex": "@article{toy}", "section": "nlp",
        "tags": [], "page": "nlp/toy.md", "builders": [], "claims": [],
    }  # fmt: skip
    card.update(overrides)
    return card


def _claim(**overrides):
    claim = {
        "id": "three", "claim": "1 + 2", "source": "Eq. 1", "stated": 3, "unit": "count", "status": "matches",
        "compute": {"call": "operator:add", "args": [1, 2]}, "tolerance": 0,
    }  # fmt: skip
    claim.update(overrides)
    return claim


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"section": "robots"}, "section must be one of"),
        ({"arxiv": "arXiv:1512"}, "arxiv must look like"),
        ({"tags": ["nlp"]}, "tags are other sections"),
        ({"page": "ocr/toy.md"}, "page must be 'nlp/<name>.md'"),
        ({"year": "2020"}, "'year' should be"),
        ({"doi": "x"}, "unknown key 'doi'"),
        # A typo in a builder name fails the site build (the blocks load every card through this check).
        ({"builders": ["mobilenet_v9"]}, r"builders \['mobilenet_v9'\] are not registered models"),
        ({"claims": [_claim(status="deviation", explanation="why")]}, "pins the computed value"),
        ({"claims": [_claim(status="unverifiable", explanation="why")]}, "has no 'compute'"),
        ({"claims": [_claim(status="deviation", expected=3)]}, "needs an 'explanation'"),
        ({"claims": [_claim(compute={"call": "os:system", "args": ["ls"]})]}, "call must be"),
        ({"claims": [_claim(), _claim()]}, "unique"),
        # "3.4" is anything that rounds to 3.4: a matching claim may not accept 3.3 or 3.5.
        ({"claims": [_claim(stated=3.4, unit="M", tolerance=0.1)]}, r"wider than the precision .* \(±0.05\)"),
        ({"claims": [_claim(stated=569, unit="M", tolerance=1.0)]}, r"precision of the stated 569 \(±0.5\)"),
        ({"claims": [_claim(kind="guess")]}, "kind must be one of"),
        ({"claims": [_claim(compute={"get": "paperzoo.detection.default_boxes:PRESETS"})]}, "kind: setting"),
        (
            {"claims": [_claim(compute={"call": "paperzoo.registry:get_model_info", "args": ["x"]})]},
            "setting",
        ),
    ],
)
def test_schema_errors_name_the_problem(overrides, message):
    with pytest.raises(cardlib.CardError, match=message):
        cardlib.validate_card(_card(**overrides), "toy")


def test_tolerances_follow_the_stated_precision_unless_explained():
    assert [cardlib.rounding_tolerance(v) for v in (3.4, 569, 94.86, 0.11306, 8732)] == pytest.approx(
        [0.05, 0.5, 0.005, 0.000005, 0.5]
    )
    within = _claim(stated=3.4, unit="M", tolerance=0.05, compute={"call": "operator:add", "args": [3, 0.43]})
    cardlib.validate_card(_card(claims=[within]), "toy")
    wider = {**within, "tolerance": 0.1, "explanation": "the paper writes round figures"}
    cardlib.validate_card(_card(claims=[wider]), "toy")
    setting = _claim(kind="setting", compute={"get": "paperzoo.detection.default_boxes:PRESETS"})
    cardlib.validate_card(_card(claims=[setting]), "toy")


def test_the_cards_matching_tolerances_are_the_stated_precision_or_explained():
    for card_id, claim in CLAIMS:
        if claim["status"] == "matches" and not claim.get("explanation"):
            assert claim["tolerance"] <= cardlib.rounding_tolerance(claim["stated"]) * (1 + 1e-9), card_id


def test_a_drifting_matching_claim_fails():
    with pytest.raises(cardlib.ClaimError, match=r"states 4 count, paperzoo computes 3"):
        cardlib.check_claim("toy", _claim(stated=4))


def test_a_deviation_pins_its_value_and_goes_stale_when_it_matches():
    deviation = _claim(stated=4, expected=3, status="deviation", explanation="off by one")
    assert cardlib.check_claim("toy", deviation).difference == -1
    with pytest.raises(cardlib.ClaimError, match="expects 5"):
        cardlib.check_claim("toy", {**deviation, "expected": 5})
    with pytest.raises(cardlib.ClaimError, match="set the status to matches"):
        cardlib.check_claim("toy", {**deviation, "stated": 3})


def test_nested_calls_items_and_scale():
    spec = {
        "call": "operator:getitem",
        "args": [{"call": "operator:add", "args": [[10], [20]]}, 1],
        "scale": 0.5,
    }
    assert cardlib.evaluate(spec) == 10


def test_claims_table_renders_and_failing_claim_fails_rendering():
    card = _card(
        claims=[_claim(), _claim(id="guess", status="unverifiable", explanation="no data", compute=None)]
    )
    del card["claims"][1]["compute"], card["claims"][1]["tolerance"]
    html = markdown.Markdown(extensions=["tables"]).convert("\n".join(render_claims(card, "en")))
    assert 'class="pz-status pz-status--matches"' in html and "test_claim_holds[toy:three]" in html
    assert (
        'pz-status--unverifiable" href="https://github.com/paperzoo/paperzoo/blob/main/tests/site/test_cards.py"'
        in html
    )
    assert "–</a><sup>1</sup>" in html  # the unverifiable claim points at note 1
    assert f"paperzoo {paperzoo.__version__} with torch" in html
    card["claims"][0]["stated"] = 7
    with pytest.raises(cardlib.ClaimError):
        render_claims(card, "zh")


def test_empty_section_says_so_and_links_the_guide():
    lines = render_papers({}, "tracker", "tracker/index.md", "en")
    assert "No paper in this section" in lines[0] and "(../contributing.md)" in lines[0]
    with pytest.raises(ValueError, match="unknown section"):
        render_papers({}, "robots", "index.md", "en")


def test_papers_are_listed_under_their_section_and_tags():
    card = CARDS["mobilenet-v1"]
    assert "[MobileNetV1](mobilenet-v1.md)" in "\n".join(
        render_papers(CARDS, "object-detection", "object-detection/index.md", "en")
    )
    for section in card["tags"]:
        text = "\n".join(render_papers(CARDS, section, f"{section}/index.md", "en"))
        assert "[MobileNetV1](../object-detection/mobilenet-v1.md)" in text


def test_blocks_inside_other_fences_stay_literal():
    md = markdown.Markdown(extensions=["paperzoo_site.blocks", "pymdownx.superfences"])
    html = md.convert("````markdown\n```paperzoo-papers\nsection: nlp\n```\n````\n")
    assert "paperzoo-papers" in html and "No paper" not in html
    with pytest.raises(ValueError, match="unknown block 'paperzoo-robots'"):
        markdown.Markdown(extensions=["paperzoo_site.blocks"]).convert("```paperzoo-robots\n```\n")


def test_architecture_rows_add_up_to_the_analysis_counts():
    from paperzoo_site.architecture import architecture_rows

    spec = {"call": "paperzoo.models.mobilenet_v1:mobilenet_v1", "kwargs": {"width_mult": 0.5}}
    rows = architecture_rows(spec, [1, 3, 160, 160], modules=["features.*", "classifier"])
    model = cardlib.evaluate(spec)
    assert sum(r.macs for r in rows) == cardlib.evaluate(
        {"call": "paperzoo.analysis:count_macs", "args": [spec, [1, 3, 160, 160]]}
    )
    assert sum(r.params for r in rows) == sum(p.numel() for p in model.parameters())
    assert [r.stride for r in rows[:3]] == [2, 1, 2] and rows[-1].operators == "FC"
    assert rows[1].operators == "dw 3×3 → conv 1×1" and rows[0].output_size == "80×80"


def test_get_reads_constants():
    spec = {
        "get": "paperzoo.detection.default_boxes:PRESETS",
        "item": ["paper", "min_sizes", 0],
        "scale": 300,
    }
    assert cardlib.evaluate(spec) == pytest.approx(30)


def test_prose_quotes_computed_values_and_settings_are_labelled():
    md = markdown.Markdown(extensions=["paperzoo_site.blocks"])
    html = md.convert("The smallest box is {{ ssd:notes-smallest-object }}; `{{ ssd:x }}` stays.")
    assert "The smallest box is 30 px;" in html and "{{ ssd:x }}" in html
    with pytest.raises(ValueError, match="no computed claim 'ssd300-fps'"):
        markdown.Markdown(extensions=["paperzoo_site.blocks"]).convert("{{ ssd:ssd300-fps }}")
    with pytest.raises(FileNotFoundError):
        markdown.Markdown(extensions=["paperzoo_site.blocks"]).convert("{{ robots:x }}")
    lines = render_claims(_card(claims=[_claim(kind="setting")]), "en")
    assert any("1 + 2" in line and "reads back a setting" in line for line in lines)


def test_chinese_tables_translate_headers_and_paper_references():
    card = _card(claims=[_claim(source="Table 6, Sec. 3.1"), _claim(id="zh", source="x", source_zh="原笔记")])
    lines = render_claims(card, "zh")
    rows = [line for line in lines if line.startswith("| ")]
    assert rows[0] == "| 论断 | 论文 → paperzoo | 状态 |"
    assert "<small>表 6, 第 3.1 节</small>" in rows[1] and "<small>原笔记</small>" in rows[2]
    assert "一致；由 tests/site/test_cards.py::test_claim_holds" in rows[1]


@pytest.mark.parametrize("page", ["ssd.md", "ssd.zh.md"])
def test_ssd_implementation_sections_list_every_builder(page):
    # The Chinese SSD page used to name only the two VGG builders, not the SSDLite ones.
    text = (ROOT / "docs" / "object-detection" / page).read_text(encoding="utf-8")
    section = re.search(r"^## (?:How to use it|使用方法)\n(.*?)^## ", text, re.S | re.M)[1]
    assert "```paperzoo-builders\ncard: ssd\n```" in section  # a row per builder of the card
    assert set(CARDS["ssd"]["builders"]) == {
        "ssd300_vgg16",
        "ssd512_vgg16",
        "ssdlite_mobilenet_v2",
        "ssdlite_mobilenet_v1",
    }


def test_ssd_pages_state_the_fixed_facts_in_both_languages():
    for page in ("ssd.md", "ssd.zh.md"):
        text = (ROOT / "docs" / "object-detection" / page).read_text(encoding="utf-8")
        assert "{{ ssd:ssd512-paper-smallest-box }}" in text, page  # footnote 3's SSD512 boxes, computed
        assert "320×320" in text and "300×300" in text, page  # Table 6's input and the builders' default
        assert "N = 0" in text, page
    # The explained-away SSDLite gap at 300×300 is gone from the code and the ledger.
    for path in (ROOT / "paperzoo" / "models" / "ssdlite.py", ROOT / "docs" / "_cards" / "ssd.yml"):
        assert "1.22B" not in path.read_text(encoding="utf-8"), path
