"""MkDocs hook: plotly.js from the site's own assets, loaded only on pages that embed a figure, in the
smallest bundle that draws the page's figures.

Two bundles of the same plotly.js version can serve a page:

- the **basic** partial bundle (`plotly.js-basic-dist-min`: scatter, bar and pie traces; 1.2 MB),
  vendored in `tools/site/paperzoo_site/vendor/` with a manifest (version, SHA-256, trace types);
- the **full** bundle the plotly Python package ships (`package_data/plotly.min.js`; 4.8 MB, every trace
  type).

The `plotly` fence marks each figure with its trace types (`data-traces="bar scatter"`). A page whose
figures use only the basic bundle's trace types loads it; any other page loads the full bundle, so a
figure with a new trace type still works, only slower (Chromium needs about 1.9 s to run the full
bundle on a 2-core machine, above the 1 s time-to-interactive budget; the basic one runs in about a
quarter of that). Each bundle is added to the site's files once, when the first page that needs it is
rendered (MkDocs copies static files after every page's content is rendered), so an unused bundle is
never written; the theme script that recolours figures when Material's light/dark toggle changes is
always added. Nothing comes from a CDN and nothing is inlined per figure: a figure page gets a
`<script>` for its bundle after its title and before its first figure (the figures' inline
`Plotly.newPlot` calls need it) and one for the theme script after its content; other pages load
nothing. Not before the title: Material's search indexes anything before a page's `<h1>` as a separate
untitled entry, and mkdocs-static-i18n then dropped the Chinese pages' own entries as duplicates of
the English ones (same title, same empty text), so their sections' results linked to `/undefined`.

The build fails (`PluginError`) when the vendored bundle is not the plotly.js version the plotly package
embeds or its SHA-256 is not the manifest's: run `tools/update_plotly_bundle.py` after bumping plotly.
Listed under `hooks:` in `mkdocs.yml`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from paperzoo_site.plotly_fence import MARKER_CLASS, page_trace_types

BASIC_JS_URI = "assets/javascripts/plotly-basic.min.js"
FULL_JS_URI = "assets/javascripts/plotly.min.js"
THEME_JS_URI = "assets/javascripts/paperzoo-plotly-theme.js"
VENDOR_MANIFEST = Path(__file__).with_name("vendor") / "manifest.json"
_THEME_JS_SOURCE = Path(__file__).with_name("plotly_theme.js")


@dataclass(frozen=True)
class Bundle:
    """One plotly.js bundle: where the site serves it, its source file, and the trace types it draws
    (`None`: every trace type plotly.js has)."""

    uri: str
    source: Path
    traces: frozenset[str] | None

    def draws(self, traces: frozenset[str]) -> bool:
        return self.traces is None or traces <= self.traces


def full_bundle() -> Bundle:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"the plotly package has no bundled plotly.js at {path}")
    return Bundle(FULL_JS_URI, path, None)


def basic_bundle(manifest: Path = VENDOR_MANIFEST) -> Bundle:
    """The vendored basic bundle, checked against its manifest and the plotly package.

    Raises:
        PluginError: If its version is not `plotly.offline.get_plotlyjs_version()` or its SHA-256 is
            not the manifest's.
    """
    import plotly.offline

    entry = json.loads(manifest.read_text(encoding="utf-8"))
    source = manifest.with_name(entry["file"])
    expected = plotly.offline.get_plotlyjs_version()
    if entry["version"] != expected:
        raise PluginError(
            f"{source.name} is plotly.js {entry['version']} but the plotly package embeds plotly.js "
            f"{expected}: run tools/update_plotly_bundle.py to vendor the matching basic bundle"
        )
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != entry["sha256"]:
        raise PluginError(
            f"{source} has SHA-256 {digest}, but {manifest.name} records {entry['sha256']}: "
            "the vendored bundle was changed; restore it with tools/update_plotly_bundle.py"
        )
    return Bundle(BASIC_JS_URI, source, frozenset(entry["traces"]))


def bundles() -> tuple[Bundle, ...]:
    """The bundles a page can load, smallest first."""
    return basic_bundle(), full_bundle()


def choose_bundle(traces: frozenset[str], candidates: Sequence[Bundle]) -> Bundle:
    """The first of `candidates` (smallest first) that draws every trace type in `traces`."""
    for bundle in candidates:
        if bundle.draws(traces):
            return bundle
    raise PluginError(f"no plotly.js bundle draws the trace types {sorted(traces)}")


def _add_once(files: Files, config: MkDocsConfig, uri: str, source: Path) -> None:
    if files.get_file_from_path(uri) is None:
        files.append(File.generated(config, uri, abs_src_path=str(source), inclusion=InclusionLevel.INCLUDED))


def on_files(files: Files, config: MkDocsConfig) -> Files:
    bundles()  # a stale vendored bundle fails every build, not only one with figures
    _add_once(files, config, THEME_JS_URI, _THEME_JS_SOURCE)
    return files


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if f'class="{MARKER_CLASS}"' not in html:
        return html
    bundle = choose_bundle(page_trace_types(html), bundles())
    _add_once(files, config, bundle.uri, bundle.source)
    plotly_js = get_relative_url(bundle.uri, page.url)
    theme_js = get_relative_url(THEME_JS_URI, page.url)
    head, title_end, body = html.partition("</h1>")
    if not title_end:
        head, body = "", html
    return f'{head}{title_end}\n<script src="{plotly_js}"></script>\n{body}\n<script src="{theme_js}"></script>\n'
