"""The home page's blocks: a card per paper, and the areas table that says which sections are empty.

`paperzoo-home` renders one card per paper card (`docs/_cards/*.yml`), in reading order (year, then
title): the paper's short title linked to its page, venue and year, its one-line `hook`, its
`key_figure` as an inline SVG bar chart drawn here at build time from the claims' computed values (no
plotly.js, no request), and the parameters and MACs of its first builder (`paperzoo_site.builders`).
`docs/stylesheets/paperzoo.css` lays the cards out in a grid: as many columns as fit, one on a phone.

`paperzoo-areas` (the body maps each section's slug to what it covers) renders the table of the
taxonomy's sections with their number of papers; a section without papers says so, muted.
"""

from __future__ import annotations

import html
import posixpath
from collections.abc import Mapping
from typing import Any

from paperzoo_site import cards as cardlib
from paperzoo_site.builders import builder_facts

__all__ = ["bar_chart_svg", "figure_bars", "render_areas", "render_home"]

TEXT = {
    "en": {
        "builder": "`{name}`: {params} parameters · {macs} MACs at {size}",
        "per_roi": "`{name}`: {params} parameters · MACs grow with the proposals",
        "read": "Read the notes", "area": "Area", "papers": "Papers", "covers": "What it covers",
        "empty": "no papers yet",
    },
    "zh": {
        "builder": "`{name}`：参数量 {params} · 输入 {size} 时乘加数 {macs}",
        "per_roi": "`{name}`：参数量 {params} · 乘加数随候选区域数增长",
        "read": "阅读笔记", "area": "领域", "papers": "论文", "covers": "内容", "empty": "暂无论文",
    },
}  # fmt: skip

# Geometry of the key figure, in SVG user units (the image scales to the card's width).
WIDTH, ROW, BAR, PAD = 240, 24, 7, 4


def _number(value: float, unit: str) -> str:
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f}{cardlib.UNITS[unit]}"


def figure_bars(card: Mapping[str, Any], lang: str) -> list[tuple[str, float]]:
    """`(label, value)` of each bar of the card's key figure: claims' computed values, or compute specs."""
    claims = {claim["id"]: claim for claim in card["claims"]}
    bars = []
    for bar in card["key_figure"]["bars"]:
        if "claim" in bar:
            value = cardlib.check_claim(card["id"], claims[bar["claim"]]).computed
        else:
            value = float(cardlib.evaluate(bar["value"]))
        bars.append((bar.get(f"label_{lang}", bar["label"]) if lang != "en" else bar["label"], value))
    return bars


def bar_chart_svg(bars: list[tuple[str, float]], unit: str, caption: str) -> str:
    """Horizontal bars, each under its label and value, scaled to the largest; one line of SVG."""
    top = max(value for _, value in bars) or 1.0
    height = len(bars) * ROW + PAD
    rows = []
    for i, (label, value) in enumerate(bars):
        y = PAD + i * ROW
        width = max(value / top * WIDTH, 1.0)  # a hair of a bar even for a tiny value
        rows.append(
            f'<text x="0" y="{y + 10}">{html.escape(label)}</text>'
            f'<text x="{WIDTH}" y="{y + 10}" text-anchor="end">{html.escape(_number(value, unit))}</text>'
            f'<rect class="pz-bar" x="0" y="{y + 13}" width="{width:.1f}" height="{BAR}" rx="1.5"/>'
        )
    return (
        f'<svg class="pz-keyfig" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{html.escape(caption)}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(rows)}</svg>'
    )


def _builder_line(name: str, lang: str) -> str:
    facts = builder_facts(name)
    params = _number(facts["params"] / 1e6, "M")
    if facts["macs"] is None:
        return TEXT[lang]["per_roi"].format(name=name, params=params)
    macs = _number(facts["macs"] / 1e9, "B") if facts["macs"] >= 1e9 else _number(facts["macs"] / 1e6, "M")
    size = "×".join(str(side) for side in facts["input_size"])
    return TEXT[lang]["builder"].format(name=name, params=params, macs=macs, size=size)


def _link(page: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def _card(card: Mapping[str, Any], page: str, lang: str) -> list[str]:
    """One paper card: md_in_html blocks, so its links go through MkDocs' link checks and rewriting."""
    link = _link(page, card["page"])
    hook = card.get(f"hook_{lang}", card.get("hook", "")) if lang != "en" else card.get("hook", "")
    lines = [
        '<article class="pz-card" markdown>',
        f'<p class="pz-card__title" markdown>[{card["short_title"]}]({link}) '
        f"<small>{card['venue']} {card['year']}</small></p>",
        f'<p class="pz-card__hook" markdown>{hook}</p>' if hook else "",
    ]
    if "key_figure" in card:
        figure = card["key_figure"]
        caption = figure.get(f"caption_{lang}", figure["caption"]) if lang != "en" else figure["caption"]
        svg = bar_chart_svg(figure_bars(card, lang), figure["unit"], caption)
        lines.append(f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>")
    if card["builders"]:
        lines.append(f'<p class="pz-card__size" markdown>{_builder_line(card["builders"][0], lang)}</p>')
    lines += [f'<p class="pz-card__more" markdown>[{TEXT[lang]["read"]} →]({link})</p>', "</article>"]
    return [line for line in lines if line]


def render_home(cards: Mapping[str, Any], page: str, lang: str) -> list[str]:
    """Every paper as a card, in the cards' order (year, then title)."""
    lines = ['<div class="pz-cards" markdown>', ""]
    for card in cards.values():
        lines += [*_card(card, page, lang), ""]
    return [*lines, "</div>", ""]


def render_areas(
    cards: Mapping[str, Any], covers: Mapping[str, str], page: str, lang: str, names: Mapping[str, str]
) -> list[str]:
    """The sections in navigation order with their paper counts; `names` maps slug to section name."""
    unknown = set(covers) ^ set(cardlib.SECTIONS)
    if unknown:
        raise ValueError(f"paperzoo-areas: describe every section exactly once; wrong or missing: {unknown}")
    text = TEXT[lang]
    lines = [
        '<div class="pz-areas" markdown>',
        "",
        f"| {text['area']} | {text['papers']} | {text['covers']} |",
        "|---|--:|---|",
    ]
    for slug in cardlib.SECTIONS:
        count = sum(1 for card in cards.values() if slug == card["section"] or slug in card["tags"])
        area = f"[{names[slug]}]({_link(page, f'{slug}/index.md')})"
        if count:
            lines.append(f"| {area} | {count} | {covers[slug]} |")
        else:
            empty = f'<span class="pz-empty">{text["empty"]}</span>'
            lines.append(f'| <span class="pz-empty">{area}</span> | {empty} | {covers[slug]} |')
    return [*lines, "", "</div>", ""]
