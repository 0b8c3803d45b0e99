"""MkDocs hook: plotly.js from the site's own assets, loaded only on pages that embed a figure.

The Plotly Python package bundles `package_data/plotly.min.js`; this hook adds it to the site once, as
`assets/javascripts/plotly.min.js` (never a CDN, never inlined per figure), together with the small
script that recolours figures when Material's light/dark toggle changes. Pages whose content carries
the marker written by the `plotly` fence get a `<script>` for plotly.js before their content (the
figures' inline `Plotly.newPlot` calls need it) and one for the theme script after it; other pages
load nothing. Listed under `hooks:` in `mkdocs.yml`.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from paperzoo._site.plotly_fence import MARKER_CLASS

PLOTLY_JS_URI = "assets/javascripts/plotly.min.js"
THEME_JS_URI = "assets/javascripts/paperzoo-plotly-theme.js"
_THEME_JS_SOURCE = Path(__file__).with_name("plotly_theme.js")


def _plotly_js_source() -> Path:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"the plotly package has no bundled plotly.js at {path}")
    return path


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for uri, source in ((PLOTLY_JS_URI, _plotly_js_source()), (THEME_JS_URI, _THEME_JS_SOURCE)):
        if files.get_file_from_path(uri) is None:
            files.append(File.generated(config, uri, abs_src_path=str(source)))
    return files


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if f'class="{MARKER_CLASS}"' not in html:
        return html
    plotly_js = get_relative_url(PLOTLY_JS_URI, page.url)
    theme_js = get_relative_url(THEME_JS_URI, page.url)
    return f'<script src="{plotly_js}"></script>\n{html}\n<script src="{theme_js}"></script>\n'
