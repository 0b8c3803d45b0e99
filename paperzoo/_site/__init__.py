"""Build-time Python-Markdown extensions of the paperzoo documentation site (private).

Nothing here is part of the installed package's API; the wheel leaves this folder out. The extensions
are listed under `markdown_extensions` in `mkdocs.yml`:

- `paperzoo._site.mathml`: TeX written between `\\(..\\)` / `\\[..\\]` (via `pymdownx.arithmatex`)
  becomes MathML at build time, so pages need no JavaScript and no CDN to show equations.
- `paperzoo._site.cards`: expands `paperzoo-*` blocks (the "Paper vs paperzoo" table of a paper card,
  its citation, architecture tables computed from a model, a section's list of papers, the tags index).
"""
