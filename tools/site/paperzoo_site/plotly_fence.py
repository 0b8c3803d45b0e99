"""A SuperFences custom fence that embeds a `paperzoo.figures` figure, built when the site is built.

A page writes

    ```plotly
    paperzoo.figures.ssd:default_boxes
    ```

and gets the figure that `paperzoo.figures.ssd.default_boxes()` returns, as a Plotly `<div>` plus the
inline call that draws it. The body is a trusted dotted path `module:function` inside
`paperzoo.figures`, never code. A figure that fails to build fails the build: the error is re-raised as
a `SuperFencesException`, the one exception SuperFences does not swallow (Textual's fence returns `""`
on error, and a broken figure silently disappears).

A Chinese page asks for the Chinese figure (titles, axes, controls, caption) with `?lang=zh` after the
path (`paperzoo.figures.ssd:matching?lang=zh`); the function is called with `lang="zh"`. Any other
option, or a language the figures do not have, fails the build.

The figure comes as a `<figure>` whose accessible name is the plot's title and whose `<figcaption>` is
the module's `CAPTIONS[function][lang]` (one sentence saying what to look for), numbered in page order
("Figure 2." / "图 2", by a Markdown postprocessor the fence registers), so the page's text can say
"Figure 2 shows ...".

Element ids are derived from the path (`fig-ssd-default-boxes`), so the HTML is the same on every build.
plotly.js itself is not included: `plotly_asset.py` serves it once from the site's assets and loads it
only on pages that carry the `paperzoo-figure` marker this fence writes. The marker lists the figure's
trace types (`data-traces="bar scatter"`), from which the hook picks the smallest plotly.js bundle that
draws every figure of the page. Rendered HTML is cached per
process, so the English and Chinese builds (and `mkdocs serve` rebuilds) compute each figure once.
"""

from __future__ import annotations

import functools
import html
import importlib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from markdown.postprocessors import Postprocessor
from pymdownx.superfences import SuperFencesException

__all__ = [
    "FIGURE_PACKAGE",
    "MARKER_CLASS",
    "expect",
    "fence_format",
    "figure_html",
    "figure_id",
    "is_expected",
    "page_trace_types",
    "render_figure",
    "trace_types",
]

FIGURE_PACKAGE = "paperzoo.figures"
MARKER_CLASS = "paperzoo-figure"
DEFAULT_HEIGHT = 450
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

_IDENT = r"[a-z_][a-z0-9_]*"
_TARGET = re.compile(
    rf"^(?P<module>{re.escape(FIGURE_PACKAGE)}(?:\.{_IDENT})+):(?P<function>{_IDENT})(?:\?(?P<query>\S*))?$"
)
# The marker `render_figure` writes, read back by `page_trace_types`.
_MARKER = re.compile(rf'<figure class="{MARKER_CLASS}" [^>]*data-traces="(?P<names>[a-z0-9 ]*)">')
_CAPTION = "<figcaption>"
# Material centres a figure at its content's width and narrows its caption to 24rem: a plot fills the column.
_FIGURE_STYLE = "width: 100%; text-align: left"
_CAPTION_STYLE = "max-width: none; margin: 0.4em 0 1.2em"
NUMBER_LABELS = {"en": "Figure {}.", "zh": "图 {}"}
# The caption's number, written by `fence_format` and filled in by `_NumberFigures`.
_NUMBER = re.compile(r'<b data-figure-number="(?P<lang>[a-z]+)"></b>')


def _parse_target(target: str) -> tuple[str, str, str]:
    """(module, function, lang) of a fence body."""
    from paperzoo.figures import check_language

    match = _TARGET.match(target)
    if match is None:
        raise ValueError(
            f"a plotly fence holds one path 'paperzoo.figures.<module>:<function>[?lang=zh]', got {target!r}"
        )
    options = parse_qs(match["query"] or "", keep_blank_values=True)
    unknown = sorted(set(options) - {"lang"})
    if unknown or len(options.get("lang", [""])) != 1:
        raise ValueError(f"a plotly fence takes one option, lang; got {match['query']!r} in {target!r}")
    return match["module"], match["function"], check_language(options.get("lang", ["en"])[0])


def figure_id(target: str) -> str:
    """The stable element id of a figure: `paperzoo.figures.ssd:default_boxes` -> `fig-ssd-default-boxes`
    (the same in every language)."""
    module, function, _ = _parse_target(target)
    tail = module.removeprefix(FIGURE_PACKAGE + ".")
    return "fig-" + re.sub(r"[._]", "-", f"{tail}.{function}")


def trace_types(figure: Any) -> list[str]:
    """The sorted trace types (`"bar"`, `"scatter"`, ...) of a `go.Figure`, animation frames included."""
    traces = [*figure.data, *(trace for frame in figure.frames for trace in frame.data)]
    return sorted({trace.type for trace in traces})


def page_trace_types(html: str) -> frozenset[str]:
    """Every trace type of the figures that `render_figure` wrote into a page's HTML."""
    return frozenset(name for found in _MARKER.finditer(html) for name in found["names"].split())


@functools.cache
def render_figure(target: str) -> str:
    """Build the figure named by `target` and return its HTML (no plotly.js, no figure number).

    Raises:
        ValueError: If `target` is not a `paperzoo.figures` path, or its options are not `lang=en|zh`.
        TypeError: If the function does not return a `plotly.graph_objects.Figure`.
        ImportError, AttributeError: If the module or function does not exist.
        KeyError: If the module's `CAPTIONS` has no caption of the figure in that language.
    """
    import plotly.graph_objects as go

    module_name, function_name, lang = _parse_target(target)
    module = importlib.import_module(module_name)
    figure = getattr(module, function_name)(lang=lang)
    if not isinstance(figure, go.Figure):
        raise TypeError(f"{target} returned {type(figure).__name__}, expected plotly.graph_objects.Figure")
    captions = getattr(module, "CAPTIONS", {}).get(function_name, {})
    if lang not in captions:
        raise KeyError(f"{module_name}.CAPTIONS has no {lang!r} caption for {function_name}")
    height = figure.layout.height or DEFAULT_HEIGHT
    body = figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=figure_id(target),
        config=PLOTLY_CONFIG,
        default_width="100%",
        default_height=f"{height}px",
    )
    traces = " ".join(trace_types(figure))
    name = re.sub(r"<[^>]+>", " ", figure.layout.title.text or "").strip()  # the title, without <br> and <b>
    attributes = (
        f'aria-label="{html.escape(name)}" style="{_FIGURE_STYLE}" data-figure="{html.escape(target)}" '
        f'data-traces="{traces}"'
    )
    caption = f"{_CAPTION}{html.escape(captions[lang], quote=False)}</figcaption>"
    return f'<figure class="{MARKER_CLASS}" {attributes}>{body}{caption}</figure>'


# Figures built elsewhere (by the `prefetch` hook's worker process): path -> a call that returns the HTML.
_PREFETCHED: dict[str, Callable[[], str]] = {}


def expect(target: str, build: Callable[[], str]) -> None:
    """Take the HTML of `target` from `build()` (a `render_figure` run elsewhere) when a page needs it."""
    _PREFETCHED[target] = build


def is_expected(target: str) -> bool:
    """Whether `expect` was given `target` in this process."""
    return target in _PREFETCHED


def figure_html(target: str) -> str:
    """The HTML of `target`: from the call given to `expect` if there is one (it raises if the figure
    failed there), else from `render_figure`."""
    prefetched = _PREFETCHED.get(target)
    return prefetched() if prefetched is not None else render_figure(target)


def fence_format(
    source: str, language: str, class_name: str, options: dict[str, Any], md: Any, **kwargs: Any
) -> str:
    """SuperFences formatter for the `plotly` fence (see the module docstring)."""
    target = source.strip()
    try:
        figure = figure_html(target)
        lang = _parse_target(target)[2]
    except Exception as exc:
        raise SuperFencesException(f"plotly fence {target!r} failed to build: {exc!r}") from exc
    if _NumberFigures.NAME not in md.postprocessors:
        md.postprocessors.register(_NumberFigures(md), _NumberFigures.NAME, 0)
    return figure.replace(
        _CAPTION, f'<figcaption style="{_CAPTION_STYLE}"><b data-figure-number="{lang}"></b> ', 1
    )


class _NumberFigures(Postprocessor):
    """Number a page's figure captions in the order they appear in its final HTML.

    Counting `fence_format` calls would not do: SuperFences also formats a fence that ends up shown as
    code (an indented example of a fence, as on the Figures page). Runs after the stashed HTML is restored.
    """

    NAME = "paperzoo_figure_numbers"

    def run(self, text: str) -> str:
        numbers = iter(range(1, text.count("data-figure-number=") + 1))
        return _NUMBER.sub(lambda found: f"<b>{NUMBER_LABELS[found['lang']].format(next(numbers))}</b>", text)
