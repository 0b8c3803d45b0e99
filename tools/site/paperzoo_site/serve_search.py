"""MkDocs hook: a search index that does not grow with every `mkdocs serve --dirty` rebuild of both languages.

In a `--dirty` rebuild MkDocs renders only the edited pages, and Material's search plugin merges their
entries into the index it kept from the build before (`search_index_prev`). mkdocs-static-i18n builds
the Chinese pages inside the English build, with the same plugin instances: it collects the entries of
both builds in one list (`search_entries`), created once with the plugin and reused by every rebuild of
`mkdocs serve`, and its inner build is handed the index the outer one just merged. Together they
doubled the index on every rebuild here (630, 854, 1780, 3398, 6868 entries after four edits, where a
strict build writes 361) and the rebuild time with it (0.7 s to 276 s after six edits).

Before each build this hook empties the collected entries when the build is the outer (English) one,
and gives the inner (Chinese) build no kept index, so the only index carried from one rebuild to the
next is the complete one the last build wrote. Material's merge has limits of its own that stay: it
assumes one edited page and drops the kept entries under that page's URL, so editing a section's index
page (or the home page) leaves the dev server's search without the section's (or the site's) other
pages until the next full build, and pages changed together (a `git checkout`) may be listed twice.
Listed under `hooks:` in `mkdocs.yml`.
"""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig

__all__ = ["on_pre_build"]

SEARCH_PLUGINS = ("material/search", "search")


def on_pre_build(config: MkDocsConfig) -> None:
    i18n = config.plugins.get("i18n")
    if i18n is None or not hasattr(i18n, "building") or not hasattr(i18n, "search_entries"):
        return
    if not i18n.building:  # the outer build: the entries of the builds before are stale
        i18n.search_entries = []
        return
    search = next((config.plugins[name] for name in SEARCH_PLUGINS if name in config.plugins), None)
    if search is not None and hasattr(search, "search_index_prev"):
        search.search_index_prev = None  # the inner build: what it keeps is the outer build's index
