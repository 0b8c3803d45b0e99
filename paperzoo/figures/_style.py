"""Shared look of paperzoo figures: lazy plotly import, fonts, palette and a compact base layout.

Figures use Plotly's `"none"` template (a few bytes instead of the default template's ~8 KB per figure)
and transparent backgrounds; `tools/site/paperzoo_site/plotly_theme.js` recolours text and grids when the site's
light/dark toggle changes.
"""

from __future__ import annotations

from typing import Any

FONT_FAMILY = "-apple-system, BlinkMacSystemFont, Helvetica, Arial, sans-serif"
TEXT = "rgba(0, 0, 0, 0.87)"
GRID = "rgba(0, 0, 0, 0.12)"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies, on light and dark pages.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999")


def plotly_go() -> Any:
    """`plotly.graph_objects`, imported on first use (plotly is in the `docs` extra, not a runtime dep)."""
    try:
        import plotly.graph_objects as go
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("paperzoo.figures needs plotly: pip install 'paperzoo[docs]'") from exc
    return go


def axis(title: str, **overrides: Any) -> dict[str, Any]:
    """An axis with a title and the light-scheme grid colours."""
    return {"title": {"text": title}, "gridcolor": GRID, "zerolinecolor": GRID, "linecolor": GRID,
            "showgrid": True, **overrides}


def base_layout(title: str, *, height: int = 450, **overrides: Any) -> dict[str, Any]:
    """Layout shared by all figures; `overrides` are merged on top."""
    layout: dict[str, Any] = {
        "template": "none",
        "title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 16}},
        "font": {"family": FONT_FAMILY, "size": 13, "color": TEXT},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
        "hovermode": "closest",
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
    }
    layout.update(overrides)
    return layout
