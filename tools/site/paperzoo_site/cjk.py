"""Markdown extension: a line break inside Chinese text is not a space.

Markdown renders a line break inside a paragraph as whitespace, which browsers show as a space. Between
two Chinese characters that space is wrong (Chinese has no spaces between words), and the Chinese pages'
sources wrap their paragraphs at about 110 characters. This treeprocessor removes a soft line break
whose neighbours are both CJK characters or CJK punctuation, also across the edge of an inline element
(`**强调**` at the end of a line). Code, preformatted text and math are left alone; a break next to a
Latin word or a number stays a space, as in `使用 `x` 的`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

__all__ = ["CJKLineJoinExtension", "join_cjk_lines", "makeExtension"]

# CJK ideographs (and extension A), CJK and full-width punctuation, kana, Hangul.
_CJK = "\u2e80-\u2fff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n[ \t]*(?=[{_CJK}])")
_IS_CJK = re.compile(rf"[{_CJK}]")
_SKIP = frozenset({"code", "pre", "script", "style", "math", "kbd"})


def join_cjk_lines(text: str) -> str:
    """`text` without the line breaks (and the spaces around them) between two CJK characters."""
    return _BREAK.sub("", text)


def _last_char(element: etree.Element) -> str:
    text = "".join(element.itertext())
    return text[-1:] if text else ""


def _first_char(element: etree.Element) -> str:
    text = "".join(element.itertext())
    return text[:1]


def _join_edges(parent: etree.Element) -> None:
    """Breaks at the edge of an inline child: `中文\\n**粗体**` and `**粗体**\\n中文`."""
    children = list(parent)
    for index, child in enumerate(children):
        before = parent.text if index == 0 else children[index - 1].tail
        if before and before.rstrip(" \t").endswith("\n") and _IS_CJK.fullmatch(_first_char(child) or "a"):
            stripped = before.rstrip(" \t\n")
            if stripped and _IS_CJK.fullmatch(stripped[-1]):
                if index == 0:
                    parent.text = stripped
                else:
                    children[index - 1].tail = stripped
        tail = child.tail or ""
        if tail.lstrip(" \t").startswith("\n") and _IS_CJK.fullmatch(_last_char(child) or "a"):
            rest = tail.lstrip(" \t\n")
            if rest and _IS_CJK.fullmatch(rest[0]):
                child.tail = rest


class _CJKTreeprocessor(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        self._visit(root)

    def _visit(self, element: etree.Element) -> None:
        if element.tag in _SKIP:
            return
        if element.text:
            element.text = join_cjk_lines(element.text)
        for child in element:
            self._visit(child)
            if child.tail:
                child.tail = join_cjk_lines(child.tail)
        _join_edges(element)


class CJKLineJoinExtension(Extension):
    """Register the CJK line-join treeprocessor."""

    def extendMarkdown(self, md: Markdown) -> None:
        # Priority 6: after the inline patterns (20) made emphasis and links elements, and before the
        # MathML treeprocessor (5) stashes formulas.
        md.treeprocessors.register(_CJKTreeprocessor(md), "paperzoo_cjk_line_join", 6)


def makeExtension(**kwargs: object) -> CJKLineJoinExtension:
    return CJKLineJoinExtension(**kwargs)
