r"""TeX to MathML at build time.

`pymdownx.arithmatex` (with `generic: true`) turns `\(..\)` and `\[..\]` into
`<span class="arithmatex">` / `<div class="arithmatex">` elements that still hold the TeX. This
treeprocessor replaces each one's text by the MathML that `latex2mathml` renders, so the built page shows
equations in any browser that implements MathML Core, with no script and no network. TeX that
latex2mathml cannot parse raises, which fails the build instead of shipping raw TeX.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as etree

from latex2mathml.converter import convert
from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

__all__ = ["MathMLExtension", "tex_to_mathml", "makeExtension"]

_WRAPS = {"span": (r"\(", r"\)", "inline"), "div": (r"\[", r"\]", "block")}


class MathError(ValueError):
    """TeX on a page that cannot be rendered to MathML."""


@functools.lru_cache(maxsize=4096)
def tex_to_mathml(tex: str, display: str = "inline") -> str:
    """Render TeX (without delimiters) to a `<math>` element.

    Raises:
        MathError: If latex2mathml cannot parse `tex`.
    """
    if display not in ("inline", "block"):
        raise ValueError(f"display must be 'inline' or 'block', got {display!r}")
    try:
        return convert(tex.strip(), display=display)
    except Exception as exc:  # latex2mathml raises many exception types
        raise MathError(f"cannot render TeX {tex!r} to MathML: {exc}") from exc


class _MathMLTreeprocessor(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        for el in root.iter():
            if "arithmatex" not in el.get("class", "").split() or el.tag not in _WRAPS:
                continue
            opening, closing, display = _WRAPS[el.tag]
            text = el.text or ""
            if not (text.startswith(opening) and text.endswith(closing)):
                raise MathError(f"unexpected arithmatex output {text!r}; is `generic: true` set?")
            mathml = tex_to_mathml(text[len(opening) : -len(closing)], display)
            el.text = self.md.htmlStash.store(mathml)


class MathMLExtension(Extension):
    """Register the TeX-to-MathML treeprocessor (after inline patterns, before serialisation)."""

    def extendMarkdown(self, md: Markdown) -> None:
        # Priority 5: after the inline processor (20), which is where arithmatex emits inline math.
        md.treeprocessors.register(_MathMLTreeprocessor(md), "paperzoo_mathml", 5)


def makeExtension(**kwargs: object) -> MathMLExtension:
    return MathMLExtension(**kwargs)
