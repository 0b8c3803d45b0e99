"""`paperzoo new-paper`: scaffold the page, paper card and test stub of a paper (in a repository checkout)."""

from __future__ import annotations

import argparse
from pathlib import Path

from paperzoo.cli import CliError

NAME = "new-paper"
HELP = "Scaffold a paper's page, card and test stub in a paperzoo checkout (see the contributing guide)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--arxiv", required=True, help="arXiv id, e.g. 1506.01497")
    parser.add_argument("--title", required=True, help="the paper's title, as on arXiv")
    parser.add_argument("--section", required=True, help="taxonomy section slug, e.g. object-detection")
    parser.add_argument("--slug", help="page name (default: from the title before its colon)")
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root (default: .)")


def run(args: argparse.Namespace) -> int:
    try:
        # The site's build-time code is in the repository, not in the wheel.
        from paperzoo._site.scaffold import scaffold_paper
    except ImportError as exc:
        raise CliError(
            "new-paper runs in a checkout of the paperzoo repository, not an installed wheel"
        ) from exc
    made = scaffold_paper(args.root, args.arxiv, args.title, args.section, args.slug)
    for path in (made.page, made.card, made.test):
        print(f"created {path}")
    print(f"added {made.page.relative_to('docs')} to the navigation in mkdocs.yml")
    print("next: fill in the card's authors, venue and claims, write the notes, run `make test`")
    return 0
