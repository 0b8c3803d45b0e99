"""Every figure of `paperzoo.figures` in both languages: a caption, labelled controls, a short title, a
legend below the plot; and the `plotly` fence's `?lang=` option, numbering and accessible name."""

from __future__ import annotations

import importlib
import re

import markdown
import pytest
from pymdownx.superfences import SuperFencesException

from paperzoo.figures import LANGUAGES
from paperzoo_site.plotly_fence import fence_format

MODULES = ("ssd", "mobilenet", "rfcn", "zoo", "resnet")
FIGURES = [
    (module, name)
    for module in MODULES
    for name in importlib.import_module(f"paperzoo.figures.{module}").CAPTIONS
]
CJK = re.compile(r"[\u4e00-\u9fff]")
WIDE = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")  # CJK characters and full-width punctuation
FENCES = {"custom_fences": [{"name": "plotly", "class": "plotly", "format": fence_format}]}


def convert(text: str) -> str:
    return markdown.Markdown(
        extensions=["pymdownx.superfences"], extension_configs={"pymdownx.superfences": FENCES}
    ).convert(text)


def _build(module: str, name: str, lang: str):
    return getattr(importlib.import_module(f"paperzoo.figures.{module}"), name)(lang=lang)


def _labels(figure) -> list[str]:
    """The labels a reader sees on the controls: each menu's buttons and each slider's prefix."""
    labels = [button.label for menu in figure.layout.updatemenus for button in menu.buttons]
    return labels + [slider.currentvalue.prefix for slider in figure.layout.sliders]


def test_the_eleven_paper_figures_and_the_zoo_have_captions():
    assert len(FIGURES) == 12  # SSD 3, MobileNet 4, R-FCN 2, ResNet 2, and the zoo


@pytest.mark.parametrize(("module", "name"), FIGURES, ids=[f"{m}.{n}" for m, n in FIGURES])
def test_every_figure_speaks_both_languages(module: str, name: str):
    captions = importlib.import_module(f"paperzoo.figures.{module}").CAPTIONS[name]
    assert set(captions) == set(LANGUAGES)
    assert captions["en"].endswith(".") and not re.search(
        r"[a-z0-9)]\. [A-Z]", captions["en"]
    )  # one sentence
    assert CJK.search(captions["zh"]) and not CJK.search(captions["en"])
    english, chinese = _build(module, name, "en"), _build(module, name, "zh")
    assert CJK.search(chinese.layout.title.text) and not CJK.search(english.layout.title.text)
    # A title fits a 390 px phone: about 40 Latin or 20 Chinese characters on its first line.
    assert len(english.layout.title.text.split("<br>")[0]) <= 40
    first_line = chinese.layout.title.text.split("<br>")[0]
    assert len(first_line) + len(WIDE.findall(first_line)) <= 40  # a Chinese character is twice as wide
    axes = [chinese.layout[key].title.text for key in chinese.layout if re.fullmatch(r"[xy]axis\d*", key)]
    assert all(CJK.search(text) for text in axes if text and not re.fullmatch(r"[xy]", text)), axes
    assert len(_labels(english)) == len(_labels(chinese))
    for label in _labels(chinese):
        assert CJK.search(label) or re.fullmatch(r"[\d.× ]+", label), label  # "7 × 7" next to "分块：3 × 3"
    legend = english.layout.legend
    if english.layout.showlegend is not False:
        assert (legend.orientation, legend.yref, legend.y) == ("h", "container", 0)


@pytest.mark.parametrize("lang", ["fr", "EN", ""])
def test_an_unknown_language_is_refused(lang: str):
    with pytest.raises(ValueError, match=f"lang must be one of en, zh, got {lang!r}"):
        _build("rfcn", "k_ablation", lang)


def test_fence_numbers_figures_and_names_them():
    html = convert(
        "```plotly\npaperzoo.figures.rfcn:k_ablation\n```\n\n"
        "```plotly\npaperzoo.figures.rfcn:position_sensitive_pooling\n```\n"
    )
    assert html.count("<figure ") == 2
    assert "<b>Figure 1.</b> Position sensitivity needs" in html
    assert "<b>Figure 2.</b> Switch between 3 × 3" in html
    assert 'aria-label="R-FCN Table 2: mAP by pooling grid"' in html


def test_a_fence_shown_as_code_takes_no_number():
    # SuperFences formats the indented example too, then shows it as code: only real figures count.
    html = convert(
        "An example:\n\n    ```plotly\n    paperzoo.figures.rfcn:k_ablation\n    ```\n\n"
        "```plotly\npaperzoo.figures.rfcn:k_ablation\n```\n"
    )
    assert html.count("<figure ") == 1 and "<b>Figure 1.</b>" in html and "Figure 2" not in html


def test_fence_draws_the_chinese_figure_with_lang_zh():
    html = convert("```plotly\npaperzoo.figures.rfcn:k_ablation?lang=zh\n```\n")
    assert 'id="fig-rfcn-k-ablation"' in html  # the same id in every language
    assert "<b>图 1</b> 位置敏感需要不止一个分块" in html
    assert 'aria-label="R-FCN 表 2：各池化网格的 mAP"' in html
    assert 'data-figure="paperzoo.figures.rfcn:k_ablation?lang=zh"' in html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("paperzoo.figures.rfcn:k_ablation?lang=fr", "lang must be one of en, zh, got 'fr'"),
        ("paperzoo.figures.rfcn:k_ablation?lang=zh&lang=en", "takes one option, lang"),
        ("paperzoo.figures.rfcn:k_ablation?colour=red", "takes one option, lang; got 'colour=red'"),
        ("paperzoo.figures.rfcn:k_ablation?lang", "lang must be one of en, zh, got ''"),
    ],
)
def test_fence_refuses_unknown_options(body: str, message: str):
    with pytest.raises(SuperFencesException, match=re.escape(message)):
        convert(f"```plotly\n{body}\n```\n")
