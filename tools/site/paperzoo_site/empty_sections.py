"""MkDocs hook: sections without papers yet say so in the navigation, and the page footer skips them.

A section of the taxonomy (`paperzoo_site.cards.SECTIONS`) is *empty* when no paper card names it as
its section or tag. Its navigation entry becomes "Attention (no papers yet)" (the note is a
`<small class="pz-empty">`, muted by `docs/stylesheets/paperzoo.css`; in the tabs, which have no room
for it, only the muting shows), and the previous/next links at the foot of every page step over empty
sections, so "Next" after the last paper leads to the next page with content, not to an empty one.
The section's own page still says it is empty (`paperzoo-papers`). Adding the first card of a section
lifts both at the next build.

Only MkDocs' navigation can do this (a Markdown extension never sees the navigation), hence a hook:
listed under `hooks:` in `mkdocs.yml`, after mkdocs-static-i18n has translated the titles.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from paperzoo_site import cards as cardlib

__all__ = ["EMPTY_NOTE", "empty_sections", "on_nav"]

EMPTY_NOTE = {"en": "(no papers yet)", "zh": "（暂无论文）"}
_SPACE = {"en": " ", "zh": ""}  # Chinese puts no space before a full-width parenthesis


def empty_sections(cards_dir: str | Path = cardlib.CARDS_DIR) -> set[str]:
    """Slugs of the sections that no paper card names as its section or one of its tags."""
    used = set()
    for card in cardlib.load_cards(cards_dir).values():
        used |= {card["section"], *card["tags"]}
    return set(cardlib.SECTIONS) - used


def _section_index(page: Page) -> str | None:
    """The section slug of a section's index page (`attention/index.md`, `attention/index.zh.md`)."""
    parts = page.file.src_uri.split("/")
    if len(parts) == 2 and parts[0] in cardlib.SECTIONS and parts[1].split(".")[0] == "index":
        return parts[0]
    return None


def _link(pages: list[Page], skipped: set[int]) -> None:
    """Previous/next of every page, over the pages whose index is not in `skipped`."""
    kept = [i for i in range(len(pages)) if i not in skipped]
    for i, page in enumerate(pages):
        page.previous_page = next((pages[j] for j in reversed(kept) if j < i), None)
        page.next_page = next((pages[j] for j in kept if j > i), None)


@event_priority(-110)  # after mkdocs-static-i18n's on_nav (-100), which translates the titles
def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    empty = empty_sections(Path(config.config_file_path).parent / cardlib.CARDS_DIR)
    lang = config.theme["language"] if config.theme["language"] in EMPTY_NOTE else "en"
    skipped = set()
    for i, page in enumerate(nav.pages):
        if _section_index(page) in empty:
            skipped.add(i)
            page.title = f'{page.title}{_SPACE[lang]}<small class="pz-empty">{EMPTY_NOTE[lang]}</small>'
    _link(nav.pages, skipped)
    return nav
