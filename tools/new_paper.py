"""Scaffold a new paper's page, paper card and navigation entry in this repository.

    python tools/new_paper.py --arxiv 1506.01497 --title "Faster R-CNN: ..." --section object-detection

(`make new-paper ARXIV=... TITLE="..." SECTION=...` runs the same.) A repository tool, not a command of
the installed package: it writes into a checkout, next to `mkdocs.yml` and `docs/`. See the contributing
guide for what to do next.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The site package is installed (editable) by `make`; from a bare checkout it is imported from its folder.
sys.path.insert(0, str(ROOT / "tools" / "site"))

from paperzoo_site.scaffold import scaffold_paper  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scaffold with `argv` (default: `sys.argv[1:]`); exit status 2 on a user error."""
    parser = argparse.ArgumentParser(prog="tools/new_paper.py", description=__doc__.split("\n")[0])
    parser.add_argument("--arxiv", required=True, help="arXiv id, e.g. 1506.01497")
    parser.add_argument("--title", required=True, help="the paper's title, as on arXiv")
    parser.add_argument("--section", required=True, help="taxonomy section slug, e.g. object-detection")
    parser.add_argument("--slug", help="page name (default: from the title before its colon)")
    parser.add_argument(
        "--short-title",
        help='name in the navigation and on the page, e.g. "ResNet" (default: the title before its colon)',
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    try:
        made = scaffold_paper(args.root, args.arxiv, args.title, args.section, args.slug, args.short_title)
    except (ValueError, FileNotFoundError, OSError) as exc:
        print(f"new-paper: error: {exc}", file=sys.stderr)
        return 2
    for path in (made.page, made.card):
        print(f"created {path}")
    print(f"added {made.page.relative_to('docs')} to the navigation in mkdocs.yml")
    print("next: fill in the card's authors, venue and claims, write the notes, run `make test`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
