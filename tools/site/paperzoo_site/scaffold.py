"""Scaffold a new paper: its page, its paper card and its navigation entry.

`make new-paper ARXIV=1506.01497 TITLE="Faster R-CNN: ..." SECTION=object-detection` (or
`python tools/new_paper.py --arxiv ... --title ... --section ...`, in a checkout of the repository) writes

- `docs/<section>/<slug>.md`: the page, with the standard sections and the claims and citation blocks;
- `docs/_cards/<slug>.yml`: the paper card, valid but with the authors, venue and claims to fill in;
- a navigation entry under the section in `mkdocs.yml`,

so that `mkdocs build --strict` passes right away. It writes no test: `tests/site/test_cards.py` checks
every card's claims, and an implementation's tests go in `tests/models/test_<paper>.py`. It refuses an unknown section, an arXiv id that
already has a card, and a slug that is taken, naming what to do instead.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from paperzoo_site.cards import _ARXIV, CARDS_DIR, SECTIONS

__all__ = ["Scaffold", "scaffold_paper", "slugify"]


@dataclass(frozen=True)
class Scaffold:
    """The files a scaffold wrote, relative to the repository root."""

    page: Path
    card: Path


def slugify(title: str) -> str:
    """A page slug from a title: the part before a colon, lowercase, hyphenated (`Faster R-CNN: ...` ->
    `faster-r-cnn`)."""
    head = title.split(":")[0]
    slug = re.sub(r"[^a-z0-9]+", "-", head.lower()).strip("-")
    if not slug:
        raise ValueError(f"cannot make a page name from the title {title!r}; pass --slug")
    return slug


def _existing_cards(root: Path) -> dict[str, str]:
    """arXiv id -> card file of every card (read raw, so that a broken card does not hide a duplicate)."""
    found = {}
    for path in sorted((root / CARDS_DIR).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict) and data.get("arxiv"):
            found[str(data["arxiv"])] = path.name
    return found


def _nav_entry(nav_text: str, section: str, label: str, page: str) -> str:
    """`mkdocs.yml` text with `label: page` added at the end of the section's navigation block."""
    name = re.escape(SECTIONS[section])
    single = re.compile(rf"^(?P<indent> *)- {name}: {re.escape(section)}/index\.md *$", re.M)
    match = single.search(nav_text)
    if match:
        indent = match["indent"]
        block = (
            f"{indent}- {SECTIONS[section]}:\n{indent}    - {section}/index.md\n"
            f"{indent}    - {json.dumps(label)}: {page}"
        )
        return nav_text[: match.start()] + block + nav_text[match.end() :]
    header = re.compile(rf"^(?P<indent> *)- {name}: *$", re.M).search(nav_text)
    if header is None:
        raise ValueError(f"mkdocs.yml has no navigation entry for the section {SECTIONS[section]!r}")
    item_indent = header["indent"] + "    "
    lines = nav_text[header.end() + 1 :].split("\n")
    taken = 0
    while taken < len(lines) and lines[taken].startswith(item_indent):
        taken += 1
    offset = header.end() + 1 + sum(len(line) + 1 for line in lines[:taken])
    return nav_text[:offset] + f"{item_indent}- {json.dumps(label)}: {page}\n" + nav_text[offset:]


def _page_text(slug: str, title: str, arxiv: str, label: str) -> str:
    return f"""---
card: {slug}
---

# {label}

*{title}* — [arXiv:{arxiv}](https://arxiv.org/abs/{arxiv}).

## Summary

What problem the paper solves and its key idea, in a few sentences.

## Method

The method, with its key equations as TeX, e.g. \\(L = L_\\text{{cls}} + \\lambda L_\\text{{reg}}\\).

## Paper vs paperzoo

Every number below is computed by paperzoo when this site is built; the test suite checks the same
claims. Add claims to `docs/_cards/{slug}.yml`.

```paperzoo-claims
card: {slug}
```

## Results reported in the paper

The paper's main results table, citing its number.

## Deviations from the paper

Where the implementation or these notes differ from the paper, and why.

## Cite

```paperzoo-citation
card: {slug}
```
"""


def _card_text(slug: str, title: str, arxiv: str, section: str, label: str) -> str:
    year = 2000 + int(arxiv[:2])
    key = slug.replace("-", "") + str(year)
    return f"""# Paper card (schema: tools/site/paperzoo_site/cards.py). Fill in the authors, venue, tags and claims.
id: {slug}
title: {json.dumps(title)}
short_title: {json.dumps(label)}
authors: ["TODO: the authors, as on arXiv"]
year: {year}
venue: arXiv preprint
arxiv: "{arxiv}"
section: {section}
tags: []
page: {section}/{slug}.md
builders: []
bibtex: |
  @article{{{key},
    title   = {{{title}}},
    author  = {{TODO}},
    journal = {{arXiv preprint arXiv:{arxiv}}},
    year    = {{{year}}}
  }}

# Each claim: a number the paper states, where, and how paperzoo computes it. See the contributing guide.
claims: []
"""


def scaffold_paper(
    root: Path, arxiv: str, title: str, section: str, slug: str | None = None, short_title: str | None = None
) -> Scaffold:
    """Write the page and card of a new paper under `root` and add it to the navigation.

    `short_title` names the paper in the navigation and on its page (default: the title before its
    colon, e.g. "Faster R-CNN").

    Raises:
        ValueError: Unknown section, malformed arXiv id, an arXiv id or slug that already exists.
        FileNotFoundError: If `root` is not a paperzoo checkout (no `mkdocs.yml` or `docs/`).
    """
    root = Path(root)
    config = root / "mkdocs.yml"
    if not config.is_file() or not (root / "docs").is_dir():
        raise FileNotFoundError(f"{root} is not a paperzoo checkout (no mkdocs.yml and docs/); use --root")
    if section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}; choose one of: {', '.join(SECTIONS)}")
    arxiv = arxiv.removeprefix("arXiv:").removeprefix("arxiv:")
    if not _ARXIV.match(arxiv):
        raise ValueError(f"arXiv id must look like 1512.02325, got {arxiv!r}")
    if not title.strip():
        raise ValueError("the title must not be empty")
    existing = _existing_cards(root)
    if arxiv in existing:
        raise ValueError(f"arXiv:{arxiv} already has a card, docs/_cards/{existing[arxiv]}; edit it instead")
    slug = slug or slugify(title)
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
        raise ValueError(f"slug must be lowercase words joined by hyphens, got {slug!r}")
    page = Path("docs") / section / f"{slug}.md"
    card = CARDS_DIR / f"{slug}.yml"
    for path in (page, card):
        if (root / path).exists():
            raise ValueError(f"{path} already exists; pick another --slug")
    label = (short_title or title.split(":")[0]).strip()
    if not label:
        raise ValueError("the short title must not be empty")
    nav = _nav_entry(config.read_text(encoding="utf-8"), section, label, f"{section}/{slug}.md")
    _write_all(
        {
            root / page: _page_text(slug, title.strip(), arxiv, label),
            root / card: _card_text(slug, title.strip(), arxiv, section, label),
            config: nav,
        }
    )
    return Scaffold(page=page, card=card)


def _write_all(files: dict[Path, str]) -> None:
    """Write every file or none: each goes to a temporary name beside it first, then all are renamed.

    A failed write or rename (a full disk, a read-only folder) leaves no half-written page and no card
    without its navigation entry. Every file but the last is new; the last (`mkdocs.yml`) is renamed
    last, so undoing a failure means deleting the new files already in place.
    """
    temporaries: dict[Path, Path] = {}
    renamed: list[Path] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temporaries[path] = Path(temporary)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.chmod(temporary, 0o644)
        for path, temporary in temporaries.items():
            os.replace(temporary, path)
            renamed.append(path)
    except BaseException:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)
        for path in renamed:
            path.unlink()
        raise
