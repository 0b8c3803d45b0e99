"""Chinese typography: a line break between Chinese characters is not a space (paperzoo_site.cjk)."""

from __future__ import annotations

import markdown
import pytest


def _render(text: str) -> str:
    return markdown.Markdown(extensions=["paperzoo_site.cjk"]).convert(text)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("深度可分离卷积由\n两层组成。", "<p>深度可分离卷积由两层组成。</p>"),
        ("第一句。\n第二句", "<p>第一句。第二句</p>"),  # full-width punctuation is CJK
        ("使用 ReLU6\n激活", "<p>使用 ReLU6\n激活</p>"),  # a Latin word keeps its space
        ("English words\non two lines", "<p>English words\non two lines</p>"),
        ("前面是**粗体**\n后面", "<p>前面是<strong>粗体</strong>后面</p>"),
        ("前面\n**粗体**在后", "<p>前面<strong>粗体</strong>在后</p>"),
        ("- 列表项\n  续行", "<ul>\n<li>列表项续行</li>\n</ul>"),
    ],
)
def test_line_breaks_between_cjk_characters_are_removed(source: str, expected: str):
    assert _render(source) == expected


def test_code_is_left_alone():
    assert _render("```\n中文\n中文\n```") == "<p><code>中文\n中文</code></p>"
    assert "中文\n中文" in markdown.Markdown(extensions=["paperzoo_site.cjk", "fenced_code"]).convert(
        "```\n中文\n中文\n```"
    )
