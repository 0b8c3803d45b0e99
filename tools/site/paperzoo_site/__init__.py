"""The paperzoo documentation site's build-time machinery (not part of the `paperzoo` wheel).

Python-Markdown extensions, which any engine that reads `mkdocs.yml` and runs Markdown extensions can use:

- `paperzoo_site.blocks`: expands `paperzoo-*` blocks (the "Paper vs paperzoo" table of a paper card,
  its citation, architecture tables measured from a model, a section's list of papers, the tags index);
- `paperzoo_site.mathml`: TeX between `\\(..\\)` / `\\[..\\]` (marked by `pymdownx.arithmatex`) becomes
  MathML at build time, so pages need no JavaScript and no CDN to show equations;
- `paperzoo_site.plotly_fence`: the ` ```plotly ` SuperFences fence that embeds a `paperzoo.figures` figure.

Their helpers: `cards` (the paper-card schema and the claims ledger) and `architecture` (rows of an
architecture table, counted by `paperzoo.analysis`).

MkDocs hooks, listed under `hooks:` in `mkdocs.yml` (MkDocs-only; see the contributing guide):
`plotly_asset` (plotly.js on figure pages only), `prefetch` (figures built in a second process),
`jinja_cache` and `serve_search` (`mkdocs serve` rebuilds).

`scaffold` writes a new paper's page, card and test stub (`tools/new_paper.py`).
"""
