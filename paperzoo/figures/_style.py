"""Shared look of paperzoo figures: lazy plotly import, fonts, palette, languages and a compact base layout.

Figures use Plotly's `"none"` template (a few bytes instead of the default template's ~8 KB per figure)
and transparent backgrounds; `tools/site/paperzoo_site/plotly_theme.js` recolours text and grids when the site's
light/dark toggle changes.

Layout rules that keep a figure usable on a 390 px phone as on a 1280 px screen: the legend sits below
the plot (`legend_below`), every menu is a dropdown or a short button row at the left edge whose label
names what it controls ("Box preset: ...", `menu`), and titles are short (the caption under the figure
says what to look for).
"""

from __future__ import annotations

from typing import Any

from paperzoo.extras import require

FONT_FAMILY = "-apple-system, BlinkMacSystemFont, Helvetica, Arial, sans-serif"
TEXT = "rgba(0, 0, 0, 0.87)"
GRID = "rgba(0, 0, 0, 0.12)"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies, on light and dark pages.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999")


LANGUAGES = ("en", "zh")
# Pixels from the top of the plot area to the bottom of each row of controls above it (`menu(row=...)`).
MENU_ROWS = (8, 44, 80)


def check_language(lang: str) -> str:
    """`lang` if it is one of `LANGUAGES`.

    Raises:
        ValueError: If it is not.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


def pick(lang: str, en: str, zh: str) -> str:
    """The `lang` version of a text given in English and Chinese."""
    return zh if check_language(lang) == "zh" else en


def plotly_go() -> Any:
    """`plotly.graph_objects`, imported on first use (plotly is in the `docs` extra, not a runtime dep)."""
    return require("plotly.graph_objects", "paperzoo.figures")


def axis(title: str, **overrides: Any) -> dict[str, Any]:
    """An axis with a title and the light-scheme grid colours."""
    return {
        "title": {"text": title},
        "gridcolor": GRID,
        "zerolinecolor": GRID,
        "linecolor": GRID,
        "showgrid": True,
        **overrides,
    }


def base_layout(title: str, *, height: int = 450, **overrides: Any) -> dict[str, Any]:
    """Layout shared by all figures; `overrides` are merged on top."""
    layout: dict[str, Any] = {
        "template": "none",
        # At the top left of the figure, above any control row.
        "title": {
            "text": title,
            "x": 0.0,
            "xanchor": "left",
            "xref": "container",
            "y": 1.0,
            "yanchor": "top",
            "yref": "container",
            "pad": {"t": 10, "l": 4},
            "font": {"size": 16},
        },
        "font": {"family": FONT_FAMILY, "size": 13, "color": TEXT},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
        "hovermode": "closest",
        "legend": legend_below(),
    }
    layout.update(overrides)
    return layout


def legend_below(**overrides: Any) -> dict[str, Any]:
    """A horizontal legend at the bottom of the figure, under the x axis title, never over the plot; on a
    narrow screen its entries wrap onto more rows."""
    return {
        "orientation": "h",
        "xref": "container",
        "x": 0.0,
        "xanchor": "left",
        "yref": "container",
        "y": 0.0,
        "yanchor": "bottom",
        "traceorder": "normal",
        "bgcolor": "rgba(0,0,0,0)",
        **overrides,
    }


def menu(
    buttons: list[dict], *, active: int = 0, row: int = 0, dropdown: bool = True, **overrides: Any
) -> dict:
    """An updatemenu at the left edge above the plot, in control row `row` (0 is the lowest).

    Each button's label names the control ("Box preset: caffe_voc"), so a dropdown's header is its own
    label; a dropdown fits any screen, a button row only a few short labels.
    """
    return {
        "type": "dropdown" if dropdown else "buttons",
        "direction": "down" if dropdown else "right",
        "buttons": buttons,
        "active": active,
        "showactive": True,
        "x": 0.0,
        "xanchor": "left",
        "y": 1.0,
        "yanchor": "bottom",
        "pad": {"b": MENU_ROWS[row], "t": 0, "l": 0, "r": 0},
        **overrides,
    }
