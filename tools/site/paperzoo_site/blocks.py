"""`paperzoo-*` blocks: Markdown generated at build time from paper cards and model definitions.

A page writes a fenced block whose info string names the kind and whose body is YAML:

    ```paperzoo-claims
    card: mobilenet-v1
    ```

The preprocessor replaces the block by Markdown before anything else parses the page, so the generated
tables, links and math go through the same extensions as hand-written text (and MkDocs' strict link
validation checks the generated links). Kinds:

- `paperzoo-claims` (`card`): the "Paper vs paperzoo" table of a card; a claim that fails raises.
- `paperzoo-citation` (`card`): the paper's reference, arXiv link, BibTeX block and builders.
- `paperzoo-architecture` (`model`: a compute spec, `input`: a shape, optional `root`, `modules`, `hide`):
  one row per block of a model, measured by running it once on zeros (on the meta device).
- `paperzoo-papers` (`section`): the section's papers (primary section or tag), from the cards.
- `paperzoo-tags`: every section with the papers that carry it.
- `paperzoo-builders` (`card`): the card's builders with parameters, MACs, input size and links to
  their source and API entry (`paperzoo_site.builders`).
- `paperzoo-home`: a card per paper (hook, key figure as an inline SVG, size), `paperzoo_site.home`.
- `paperzoo-areas` (slug: what the section covers, for every section): the sections with their number
  of papers, the empty ones marked (`paperzoo_site.home`).

Blocks inside other fences are left alone (so the contributing guide can show them). Chinese pages
(`*.zh.md`) get Chinese headers; `lang: en|zh` in the body overrides.

Prose quotes a computed number with `{{ card-id:claim-id }}`: it becomes the claim's computed value,
formatted as in the claims table (e.g. `{{ ssd:notes-smallest-object }}` gives "30 px"), so a sentence
cannot drift from the code; an unknown card or claim, or an unverifiable claim, fails the build. Right
after a backtick the braces stay literal.
"""

from __future__ import annotations

import functools
import html
import posixpath
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from paperzoo_site import cards as cardlib
from paperzoo_site.architecture import architecture_rows
from paperzoo_site.builders import REPO_URL, render_builders
from paperzoo_site.home import render_areas, render_home

__all__ = ["BlocksExtension", "makeExtension", "versions_line"]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)")
_KIND = re.compile(r"^paperzoo-(?P<kind>[a-z]+)$")
_VALUE = re.compile(r"(?<!`)\{\{\s*(?P<card>[a-z0-9-]+):(?P<claim>[a-z0-9-]+)\s*\}\}")

SECTIONS_ZH = {
    "attention": "注意力机制", "classification": "图像分类", "object-detection": "目标检测", "face": "人脸",
    "gans": "生成对抗网络", "image-retrieval": "图像检索", "network-architecture": "网络结构",
    "nlp": "自然语言处理", "ocr": "文字识别", "recommend": "推荐系统", "segmentation": "分割", "tracker": "跟踪",
}  # fmt: skip

TEXT = {
    "en": {
        "claim": "Claim", "paper": "Paper", "values": "Paper → paperzoo",
        "difference": "difference", "status": "Status", "matches": "matches",
        "deviation": "explained deviation", "unverifiable": "not verifiable here", "notes": "Notes",
        "setting": "reads back a setting",
        "note": "note", "cite": "Cite", "builders": "Implemented in paperzoo by",
        "legend": "{matches} matches the paper · {deviation} differs, for the reason in the note · "
                  "{unverifiable} not verifiable here. Each mark links to the test that checks the claim.",
        "checked_by": "{status}; checked by {test}", "scroll": "Totals: {params} parameters, {macs} MACs.",
        "versions": "Computed by paperzoo {paperzoo} with torch {torch} when this page was built.",
        "no_builders": "Notes only: no implementation yet.",
        "no_claims": "This page has no checked claims yet.",
        "year": "Year", "tags": "Also in", "implementation": "Implementation", "none": "notes only",
        "empty": "No paper in this section has notes on paperzoo yet. [Add the first one]({link}).",
        "layer": "Layer", "block": "Block", "ops": "Operators", "stride": "Stride", "channels": "Channels",
        "output": "Output", "params": "Params", "macs": "MACs", "total": "Total",
        "input": "Input {shape}; MACs are the multiply-accumulates of the convolutions and linear layers.",
    },
    "zh": {
        "claim": "论断", "paper": "论文", "values": "论文 → paperzoo", "difference": "差值",
        "status": "状态", "matches": "一致", "deviation": "有出入（已解释）", "unverifiable": "无法在此验证",
        "notes": "说明", "note": "说明",
        "legend": "{matches} 与论文一致 · {deviation} 有出入，原因见说明 · {unverifiable} 无法在此验证。"
                  "每个标记链接到检查该论断的测试。",
        "checked_by": "{status}；由 {test} 检查", "scroll": "合计：参数量 {params}，乘加数 {macs}。", "versions": "本页数字由 paperzoo {paperzoo} 与 torch {torch} 在构建时计算。",
        "setting": "读取的是设置",
        "cite": "引用", "no_claims": "本页还没有经过检查的论断。", "builders": "paperzoo 中的实现",
        "no_builders": "仅有笔记，暂无实现。", "year": "年份",
        "tags": "也属于", "implementation": "实现", "none": "仅笔记",
        "empty": "本分类还没有论文笔记。[欢迎添加第一篇]({link})。",
        "layer": "层", "block": "模块", "ops": "算子", "stride": "步长", "channels": "通道",
        "output": "输出", "params": "参数量", "macs": "乘加数", "total": "合计",
        "input": "输入 {shape}；MACs 为卷积层与全连接层的乘加次数。",
    },
}  # fmt: skip


@functools.cache
def versions_line(lang: str = "en") -> str:
    """The sentence naming the paperzoo and torch versions that computed a page's numbers."""
    import torch

    from paperzoo import __version__

    return TEXT[lang]["versions"].format(paperzoo=__version__, torch=torch.__version__.split("+")[0])


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _decimals(value: float) -> int:
    """Decimals of a number as written in the card, e.g. 2 for 94.86 and 0 for 569."""
    return len(f"{float(value):.10f}".rstrip("0").split(".")[1])


def _format(value: float, claim: Mapping[str, Any], role: str = "computed") -> str:
    """`stated` as the paper prints it; `computed` and `difference` with at least two more decimals."""
    unit = claim["unit"]
    if role == "stated" and "digits" not in claim:
        digits = _decimals(claim["stated"])
    elif "digits" in claim:
        digits = claim["digits"]
    elif unit == "count" or (unit == "px" and float(claim["stated"]).is_integer()):
        digits = 0
    else:
        digits = max(_decimals(claim["stated"]), 2)
    if role == "difference":
        if round(value, digits) == 0:
            return "0"
        number = f"{value:+,.{digits}f}"
    else:
        number = f"{value:,.{digits}f}"
    return number.replace("-", "−") + cardlib.UNITS[unit]


# Where-stated references in Chinese, for cards without a `source_zh`.
_SOURCE_ZH = ((r"\bTables (\d+) and (\d+)", r"表 \1 和表 \2"), (r"\bTable (\d+)", r"表 \1"),
              (r"\bSec\. ([\d.]+)", r"第 \1 节"), (r"\bFig\. (\d+)", r"图 \1"), (r"\bEq\. (\d+)", r"式 \1"))  # fmt: skip


def _localized(claim: Mapping[str, Any], key: str, lang: str) -> str:
    if lang == "en":
        return claim.get(key, "")
    if f"{key}_{lang}" in claim:
        return claim[f"{key}_{lang}"]
    text = claim.get(key, "")
    if key == "source" and lang == "zh":
        for pattern, replacement in _SOURCE_ZH:
            text = re.sub(pattern, replacement, text)
    return text


# The test that checks every claim of every card, one parametrised case per claim.
CLAIM_TEST = "tests/site/test_cards.py"
ICONS = {"matches": "✓", "deviation": "⚠", "unverifiable": "–"}


def _status_mark(card_id: str, claim: Mapping[str, Any], lang: str, note: int | None) -> str:
    """The status icon, linked to the test that checks the claim (its pytest node id as the tooltip)."""
    status = claim["status"]
    node = f"{CLAIM_TEST}::test_claim_holds[{card_id}:{claim['id']}]"
    title = TEXT[lang]["checked_by"].format(status=TEXT[lang][status], test=node)
    mark = (
        f'<a class="pz-status pz-status--{status}" href="{REPO_URL}/blob/main/{CLAIM_TEST}" '
        f'title="{html.escape(title)}" aria-label="{html.escape(title)}">{ICONS[status]}</a>'
    )
    return mark + (f"<sup>{note}</sup>" if note else "")


def _values(claim: Mapping[str, Any], result: cardlib.ClaimResult, lang: str) -> str:
    """`stated → computed` and, when they differ, the difference on a second line."""
    stated = _format(claim["stated"], claim, "stated")
    if result.computed is None:
        return f"{stated} → —"
    cell = f"{stated} → **{_format(result.computed, claim)}**"
    difference = _format(result.difference, claim, "difference")
    if difference != "0":
        cell += f"<br><small>{TEXT[lang]['difference']} {difference}</small>"
    return cell


def render_claims(card: Mapping[str, Any], lang: str) -> list[str]:
    """The "Paper vs paperzoo" table of a card; raises `ClaimError` if a claim fails.

    Three columns that fit a phone: the claim with where the paper states it, the stated and computed
    values (and their difference) in one cell, and a status icon linked to the claim's test; a legend
    names the icons and numbered notes explain the deviations. `docs/stylesheets/paperzoo.css` stacks
    each row on narrow screens.
    """
    text = TEXT[lang]
    if not card["claims"]:
        return [text["no_claims"], ""]
    icons = {
        status: f'<span class="pz-status pz-status--{status}">{icon}</span>' for status, icon in ICONS.items()
    }
    lines = [
        '<div class="pz-claims" markdown>',
        "",
        f"<small>{text['legend'].format(**icons)}</small>",
        "",
        f"| {text['claim']} | {text['values']} | {text['status']} |",
        "|---|--:|:-:|",
    ]
    notes: list[str] = []
    for claim in card["claims"]:
        result = cardlib.check_claim(card["id"], claim)
        explanation = _localized(claim, "explanation", lang)
        if explanation:
            notes.append(explanation)
        where = _localized(claim, "source", lang)
        if claim.get("kind") == "setting":
            where += f" · {text['setting']}"
        row = [
            f"{_localized(claim, 'claim', lang)}<br><small>{where}</small>",
            _values(claim, result, lang),
            _status_mark(card["id"], claim, lang, len(notes) if explanation else None),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    lines += ["", "</div>", ""]
    if notes:
        lines += [f"**{text['notes']}**", ""] + [f"{i}. {_cell(note)}" for i, note in enumerate(notes, 1)]
        lines.append("")
    lines += [f"<small>{versions_line(lang)}</small>", ""]
    return lines


def render_citation(card: Mapping[str, Any], lang: str) -> list[str]:
    """The paper's reference line, arXiv link, builders and a BibTeX block (Material adds a copy button)."""
    text = TEXT[lang]
    authors = ", ".join(card["authors"])
    url = f"https://arxiv.org/abs/{card['arxiv']}"
    lines = [
        f"{authors}. **{card['title']}**. *{card['venue']}*, {card['year']}. [arXiv:{card['arxiv']}]({url})",
        "",
    ]
    if card["builders"]:
        lines += [f"{text['builders']}: " + ", ".join(f"`{name}`" for name in card["builders"]) + ".", ""]
    else:
        lines += [text["no_builders"], ""]
    lines += ["```bibtex", *card["bibtex"].strip().splitlines(), "```", ""]
    return lines


def _link(from_page: str, to_page: str, anchor: str = "") -> str:
    return posixpath.relpath(to_page, posixpath.dirname(from_page) or ".") + (f"#{anchor}" if anchor else "")


def _section_name(slug: str, lang: str) -> str:
    return SECTIONS_ZH[slug] if lang == "zh" else cardlib.SECTIONS[slug]


def render_papers(cards: Mapping[str, Any], section: str, page: str, lang: str) -> list[str]:
    """A table of the papers of `section` (as primary section or tag), linked relative to `page`."""
    if section not in cardlib.SECTIONS:
        raise ValueError(f"paperzoo-papers: unknown section {section!r}; known: {list(cardlib.SECTIONS)}")
    text = TEXT[lang]
    papers = [c for c in cards.values() if c["section"] == section or section in c["tags"]]
    if not papers:
        return [text["empty"].format(link=_link(page, "contributing.md")), ""]
    lines = [
        f"| {text['paper']} | {text['year']} | {text['tags']} | {text['implementation']} |",
        "|---|--:|---|---|",
    ]
    for card in papers:
        others = [card["section"], *card["tags"]]
        tags = ", ".join(
            f"[{_section_name(t, lang)}]({_link(page, 'tags.md', t)})" for t in others if t != section
        )
        builders = ", ".join(f"`{b}`" for b in card["builders"]) or text["none"]
        title = f"[{card['short_title']}]({_link(page, card['page'])}): {card['title']}"
        lines.append(f"| {_cell(title)} | {card['year']} | {tags or '—'} | {builders} |")
    return [*lines, ""]


def render_tags(cards: Mapping[str, Any], page: str, lang: str) -> list[str]:
    """Every section as a heading (stable id = its slug) with the papers tagged with it."""
    lines: list[str] = []
    for slug in cardlib.SECTIONS:
        lines += [f"## {_section_name(slug, lang)} {{#{slug}}}", ""]
        lines += render_papers(cards, slug, page, lang)
    return lines


def render_architecture(options: Mapping[str, Any], lang: str) -> list[str]:
    """One row per block of a model (see `paperzoo_site.architecture`).

    Params and MACs come right after the layer name and the totals are also stated above the table, so
    they stay in view; the table is wrapped in a `pz-scroll` container that scrolls sideways on purpose
    (its first column stays put, `docs/stylesheets/paperzoo.css`).
    """
    text = TEXT[lang]
    rows = architecture_rows(
        options["model"], options["input"], options.get("root"), options.get("modules", ["*"])
    )
    hidden = set(options.get("hide", []))  # block types left out of the table, e.g. [ReLU]
    rows = tuple(row for row in rows if row.block not in hidden)
    params, macs = sum(r.params for r in rows), sum(r.macs for r in rows)
    header = ["layer", "params", "macs", "block", "ops", "stride", "channels", "output"]
    lines = [
        '<div class="pz-scroll" markdown>',
        "",
        f"<small>{text['scroll'].format(params=f'{params:,}', macs=f'{macs / 1e6:,.1f}M')}</small>",
        "",
        "| " + " | ".join(text[h] for h in header) + " |",
        "|---|--:|--:|---|---|--:|--:|--:|",
    ]
    for row in rows:
        cells = [
            f"`{row.name}`", f"{row.params:,}", f"{row.macs / 1e6:,.1f}M", row.block, row.operators,
            row.stride or "—", f"{row.in_channels} → {row.out_channels}", row.output_size,
        ]  # fmt: skip
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append(f"| **{text['total']}** | **{params:,}** | **{macs / 1e6:,.1f}M** | | | | | |")
    shape = "×".join(str(s) for s in options["input"])
    return [
        *lines,
        "",
        "</div>",
        "",
        f"<small>{text['input'].format(shape=shape)} {versions_line(lang)}</small>",
        "",
    ]


class _BlocksPreprocessor(Preprocessor):
    def __init__(self, md: Markdown, cards_dir: str) -> None:
        super().__init__(md)
        self.cards_dir = cards_dir

    def _page(self) -> tuple[str, str]:
        """The current page's path relative to docs/ (language suffix removed) and its language."""
        registry = self.md.treeprocessors  # a markdown Registry: no .get()
        relpath = registry["relpath"] if "relpath" in registry else None  # noqa: SIM401
        file = getattr(relpath, "file", None)
        if file is None:
            return "index.md", "en"
        page = getattr(file, "norm_src_uri", None) or file.src_uri
        return page, "zh" if getattr(file, "locale", None) == "zh" or ".zh." in file.src_uri else "en"

    def _card(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return cardlib.load_card(Path(self.cards_dir) / f"{options['card']}.yml")

    def _value(self, match: re.Match[str]) -> str:
        """A claim's computed value for `{{ card:claim }}` in prose."""
        card = self._card({"card": match["card"]})
        claim = next((c for c in card["claims"] if c["id"] == match["claim"]), None)
        if claim is None or claim["status"] == "unverifiable":
            raise ValueError(f"{match[0]} on {self._page()[0]}: no computed claim {match['claim']!r}")
        return _format(cardlib.check_claim(card["id"], claim).computed, claim)

    def expand(self, kind: str, options: Mapping[str, Any]) -> list[str]:
        page, lang = self._page()
        lang = options.get("lang", lang)
        renderers: dict[str, Callable[[], list[str]]] = {
            "claims": lambda: render_claims(self._card(options), lang),
            "citation": lambda: render_citation(self._card(options), lang),
            "architecture": lambda: render_architecture(options, lang),
            "builders": lambda: render_builders(self._card(options), page, lang),
            "papers": lambda: render_papers(
                cardlib.load_cards(self.cards_dir), options["section"], page, lang
            ),
            "tags": lambda: render_tags(cardlib.load_cards(self.cards_dir), page, lang),
            "home": lambda: render_home(cardlib.load_cards(self.cards_dir), page, lang),
            "areas": lambda: render_areas(
                cardlib.load_cards(self.cards_dir),
                {k: v for k, v in options.items() if k != "lang"},
                page,
                lang,
                {slug: _section_name(slug, lang) for slug in cardlib.SECTIONS},
            ),
        }
        if kind not in renderers:
            raise ValueError(f"unknown block 'paperzoo-{kind}' on {page}; known: {sorted(renderers)}")
        return renderers[kind]()

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(lines):
            match = _FENCE.match(lines[i])
            if match is None:
                out.append(_VALUE.sub(self._value, lines[i]))
                i += 1
                continue
            indent, fence = match["indent"], match["fence"]
            closing = re.compile(rf"^{re.escape(indent)}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
            end = next((j for j in range(i + 1, len(lines)) if closing.match(lines[j])), len(lines))
            kind = _KIND.match(match["info"])
            if kind is None:
                out += lines[i : end + 1]  # any other fence, copied verbatim (blocks inside stay literal)
            else:
                body = "\n".join(line[len(indent) :] for line in lines[i + 1 : end])
                options = yaml.safe_load(body) or {}
                if not isinstance(options, dict):
                    raise ValueError(
                        f"the body of a paperzoo-{kind['kind']} block is YAML options, got {body!r}"
                    )
                out += [indent + line if line else line for line in self.expand(kind["kind"], options)]
            i = end + 1
        return out


class BlocksExtension(Extension):
    """Register the `paperzoo-*` block preprocessor."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "cards_dir": [str(cardlib.CARDS_DIR), "Folder of the paper cards (relative to the cwd)"]
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        # Priority 28: after snippets (32) and whitespace normalisation (30), before SuperFences (25)
        # turns fences into code blocks.
        md.preprocessors.register(_BlocksPreprocessor(md, self.getConfig("cards_dir")), "paperzoo_blocks", 28)


def makeExtension(**kwargs: Any) -> BlocksExtension:
    return BlocksExtension(**kwargs)
