"""TeX on pages becomes MathML at build time (paperzoo_site.mathml), with no script and no CDN."""

from __future__ import annotations

import re

import markdown
import pytest

from paperzoo_site.mathml import MathError, tex_to_mathml


def _render(text: str) -> str:
    md = markdown.Markdown(
        extensions=["pymdownx.arithmatex", "paperzoo_site.mathml", "tables", "pymdownx.superfences"],
        extension_configs={
            "pymdownx.arithmatex": {
                "generic": True,
                "inline_syntax": ["dollar", "round"],
                "block_syntax": ["square"],
            }
        },
    )
    return md.convert(text)


def test_inline_and_block_math_become_mathml():
    html = _render("Costs \\(D_K^2 M\\) each.\n\n\\[\n\\frac{1}{N} + \\frac{1}{D_K^2}\n\\]\n")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in html
    assert "<mfrac>" in html and "<msubsup>" in html
    assert "\\(" not in html and "\\frac" not in html


def test_math_in_table_cell_and_escaping():
    html = _render("| a |\n|---|\n| \\(a < b\\) |\n")
    assert '<td><span class="arithmatex"><math' in html
    assert "&#x0003C;" in html  # the `<` survives as an entity, not as broken markup


def test_code_is_left_alone():
    html = _render("`\\(x\\)`\n\n```\n\\[y\\]\n```\n")
    assert "<math" not in html
    assert "\\(x\\)" in html and "\\[y\\]" in html


def test_dollar_signs_are_not_math():
    assert "<math" not in _render("It costs $5 and $6.")


def test_unparsable_tex_fails_loudly():
    with pytest.raises(MathError, match="cannot render TeX"):
        tex_to_mathml(r"\frac{1}{", "inline")
    with pytest.raises(ValueError, match="display"):
        tex_to_mathml("x", "wide")


def test_dollar_math_as_docstrings_write_it():
    html = _render(r"a $3\times3$ convolution")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert "&#x000D7;" in html


def test_block_math_comparison_renders_the_sign_not_its_entity():
    # The R-FCN loss: arithmatex HTML-escapes block math, so `>` reached latex2mathml as `&gt;`.
    html = _render("\\[\n\\lambda [c^* > 0] L_\\text{reg}\n\\]\n")
    assert "<mo>&#x0003E;</mo>" in html
    assert "<mi>g</mi><mi>t</mi>" not in html and "&amp;" not in html


@pytest.mark.parametrize(
    ("tex", "leak"),
    [(r"a &gt; b", "&gt;"), (r"\foo x", r"\foo"), (r"\text{\bar} y", r"\bar")],
)
def test_a_formula_that_would_show_an_entity_or_a_command_fails(tex: str, leak: str):
    with pytest.raises(MathError, match=re.escape(repr(leak))):
        tex_to_mathml(tex, "block")
