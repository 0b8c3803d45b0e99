r"""TeX to MathML at build time.

`pymdownx.arithmatex` (with `generic: true`) turns `\(..\)` and `\[..\]` into
`<span class="arithmatex">` / `<div class="arithmatex">` elements that still hold the TeX. This
treeprocessor replaces each one's text by the MathML that `latex2mathml` renders, so the built page shows
equations in any browser that implements MathML Core, with no script and no network. TeX that
latex2mathml cannot parse raises, which fails the build instead of shipping raw TeX; so does a formula
whose rendered text still shows an HTML entity (`&gt;`) or a TeX command latex2mathml left unconverted
(`\foo`, which it renders as the identifier "\foo").

Arithmatex HTML-escapes block math (`\[..\]`: `>` arrives as `&gt;`) but not inline math, so block TeX
is unescaped before conversion.
"""

from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as etree

from latex2mathml.converter import convert
from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

__all__ = ["MathError", "MathMLExtension", "check_rendered", "tex_to_mathml", "makeExtension"]

_WRAPS = {"span": (r"\(", r"\)", "inline"), "div": (r"\[", r"\]", "block")}


class MathError(ValueError):
    """TeX on a page that cannot be rendered to MathML."""


# What must never show in a rendered formula: an HTML entity, or a TeX command left as text.
_ENTITY = re.compile(r"&(?:[A-Za-z]+|#x?[0-9A-Fa-f]+);")
_COMMAND = re.compile(r"\\[A-Za-z]+")
_TEXT = re.compile(r">([^<]+)<")


def check_rendered(tex: str, mathml: str) -> None:
    """Raise `MathError` if the text a reader sees in `mathml` holds an entity or a `\\command`."""
    # The text the browser displays, node by node: an escaped `>` arrives as <mi>&</mi><mi>g</mi>...
    shown = [html.unescape(text) for text in _TEXT.findall(mathml)]
    leaked = _ENTITY.search("".join(shown)) or _COMMAND.search(" ".join(shown))
    if leaked:
        raise MathError(f"TeX {tex!r} renders with {leaked.group(0)!r} shown as text")


@functools.lru_cache(maxsize=4096)
def tex_to_mathml(tex: str, display: str = "inline") -> str:
    """Render TeX (without delimiters) to a `<math>` element.

    Raises:
        MathError: If latex2mathml cannot parse `tex`.
    """
    if display not in ("inline", "block"):
        raise ValueError(f"display must be 'inline' or 'block', got {display!r}")
    try:
        mathml = convert(tex.strip(), display=display)
    except Exception as exc:  # latex2mathml raises many exception types
        raise MathError(f"cannot render TeX {tex!r} to MathML: {exc}") from exc
    check_rendered(tex, mathml)
    return mathml


class _MathMLTreeprocessor(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        for el in root.iter():
            if "arithmatex" not in el.get("class", "").split() or el.tag not in _WRAPS:
                continue
            opening, closing, display = _WRAPS[el.tag]
            text = el.text or ""
            if not (text.startswith(opening) and text.endswith(closing)):
                raise MathError(f"unexpected arithmatex output {text!r}; is `generic: true` set?")
            tex = text[len(opening) : -len(closing)]
            mathml = tex_to_mathml(html.unescape(tex) if display == "block" else tex, display)
            el.text = self.md.htmlStash.store(mathml)


class MathMLExtension(Extension):
    """Register the TeX-to-MathML treeprocessor (after inline patterns, before serialisation)."""

    def extendMarkdown(self, md: Markdown) -> None:
        # Priority 5: after the inline processor (20), which is where arithmatex emits inline math.
        md.treeprocessors.register(_MathMLTreeprocessor(md), "paperzoo_mathml", 5)


def makeExtension(**kwargs: object) -> MathMLExtension:
    return MathMLExtension(**kwargs)
