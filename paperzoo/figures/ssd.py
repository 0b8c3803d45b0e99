"""SSD figures: default boxes per feature map and preset, box scales per layer, and prior matching.

Liu et al., *SSD: Single Shot MultiBox Detector*, arXiv 1512.02325, Sec. 2.2. Every box drawn here
comes from `paperzoo.detection.default_boxes` (one cell's boxes and one map's centres, not all 8732
boxes, so the page stays small).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torchvision.ops import box_convert, box_iou

from paperzoo.data import ShapesDataset
from paperzoo.data.shapes import CLASSES
from paperzoo.detection.default_boxes import (
    PRESETS,
    layer_scales,
    num_boxes_per_location,
)
from paperzoo.detection.default_boxes import (
    default_boxes as generate_default_boxes,
)
from paperzoo.detection.matcher import match_priors
from paperzoo.detection.multibox_loss import mine_hard_negatives
from paperzoo.detection.targets import pad_targets
from paperzoo.figures._style import PALETTE, axis, base_layout, plotly_go

__all__ = ["box_scales", "default_boxes", "matching"]

DEFAULT_PRESET = "caffe_voc"
DEFAULT_MAP = 2  # 10×10 for SSD300: its 6 boxes are all inside the image at the centre cell
CELL_POSITIONS = 21  # cell slider stops: 0 %, 5 %, ..., 100 % of the way along each map's diagonal


@dataclass(frozen=True)
class MapBoxes:
    """One feature map of a preset: its centres and the boxes of one location, in input pixels."""

    size: int  # f_k (the map is f_k × f_k)
    centres: torch.Tensor  # (f_k·f_k, 2) cx, cy
    box_sizes: torch.Tensor  # (n_k, 2) w, h in box order: s_k, s'_k, then (ar, 1/ar) per aspect ratio
    box_names: tuple[str, ...]


def _box_names(aspect_ratios: tuple[float, ...]) -> tuple[str, ...]:
    names = ["s_k 1:1", "s'_k 1:1"]
    for ar in aspect_ratios:
        names += [f"ar {ar:g}", f"ar 1/{ar:g}"]
    return tuple(names)


@functools.cache
def preset_maps(preset: str) -> tuple[MapBoxes, ...]:
    """The boxes of `PRESETS[preset]`, split by feature map (computed by `default_boxes`)."""
    config = PRESETS[preset]
    side = config.input_size
    boxes = generate_default_boxes(config, dtype=torch.float64) * side  # (A, 4) cx, cy, w, h in pixels
    maps, offset = [], 0
    for f_k, n_k, ars in zip(config.feature_maps, num_boxes_per_location(config), config.aspect_ratios,
                             strict=True):
        layer = boxes[offset: offset + f_k * f_k * n_k].view(f_k * f_k, n_k, 4)  # (A_k, 4) -> (f_k², n_k, 4)
        offset += f_k * f_k * n_k
        maps.append(MapBoxes(f_k, layer[:, 0, :2], layer[0, :, 2:], _box_names(ars)))
    assert offset == boxes.shape[0]
    return tuple(maps)


def _outline(box_sizes: torch.Tensor, names: tuple[str, ...]) -> tuple[list, list, list]:
    """Closed outlines of boxes centred at (0, 0), separated by None, with a hover text per vertex."""
    xs, ys, texts = [], [], []
    for (w, h), name in zip(box_sizes.tolist(), names, strict=True):
        text = f"{name}: {w:.1f}×{h:.1f} px"
        xs += _round([-w / 2, w / 2, w / 2, -w / 2, -w / 2]) + [None]
        ys += _round([-h / 2, -h / 2, h / 2, h / 2, -h / 2]) + [None]
        texts += [text] * 5 + [None]
    return xs, ys, texts


def _round(values: list) -> list:
    return [None if v is None else round(v, 2) for v in values]


def _grid_lines(maps: MapBoxes, step: float) -> tuple[list, list, list, list]:
    """The map's cells as lines (boundaries half a step around the centres; the last cells may reach
    past the input, as Caffe's steps do), and the selectable diagonal centres: (xs, ys) of each."""
    f = maps.size
    centres = maps.centres.view(f, f, 2)  # (f², 2) -> (f, f, 2), row-major (y, x)
    edges_x = [v - step / 2 for v in centres[0, :, 0].tolist()] + [centres[0, -1, 0].item() + step / 2]
    edges_y = [v - step / 2 for v in centres[:, 0, 1].tolist()] + [centres[-1, 0, 1].item() + step / 2]
    xs, ys = [], []
    for x in edges_x:
        xs += [x, x, None]
        ys += [edges_y[0], edges_y[-1], None]
    for y in edges_y:
        xs += [edges_x[0], edges_x[-1], None]
        ys += [y, y, None]
    diagonal = centres.diagonal(dim1=0, dim2=1).T  # (2, f) -> (f, 2) centres of cells (i, i)
    return _round(xs), _round(ys), _round(diagonal[:, 0].tolist()), _round(diagonal[:, 1].tolist())


@functools.cache
def _grid_axes() -> dict[tuple[int, int], tuple[int, str, int]]:
    """Per distinct (input side, map size) grid, in a stable order: the number of the overlay axes its
    boxes are drawn on (2, 3, ...; 1 is the input's) and one (preset, k) that has the grid."""
    grids: dict[tuple[int, int], tuple[str, int]] = {}
    for preset in PRESETS:
        for k, maps in enumerate(preset_maps(preset)):
            grids.setdefault((PRESETS[preset].input_size, maps.size), (preset, k))
    return {grid: (number, *state) for number, (grid, state) in enumerate(grids.items(), start=2)}


def _cell_ranges(position: float) -> dict[str, list[float]]:
    """Ranges of every grid's box axes that put its boxes on cell (i, i), i = round(position·(f - 1)).

    The boxes of each grid are drawn around (0, 0) on their own overlay axes, so moving the cell is a
    pan of those axes, the same for every preset: the cell slider needs no per-preset copy.
    """
    ranges = {}
    for (side, f), (axis_number, preset, k) in _grid_axes().items():
        i = math.floor(position * (f - 1) + 0.5)
        cx, cy = _round(preset_maps(preset)[k].centres[i * f + i].tolist())
        ranges[f"xaxis{axis_number}.range"] = [-cx, side - cx]
        ranges[f"yaxis{axis_number}.range"] = [side - cy, -cy]
    return ranges


# The figure's five traces; every (preset, map) state restyles their data, names and axes.
TRACES = ("input", "cells", "cell centres", "square boxes", "aspect-ratio boxes")


def state_data(preset: str, k: int) -> dict[str, list]:
    """`restyle` values of the five `TRACES` that show map k of `preset`: the input frame, the map's
    cells and diagonal centres, and one cell's boxes, drawn around (0, 0) on the overlay axes of the
    map's grid (the cell slider pans those axes)."""
    side = PRESETS[preset].input_size
    maps = preset_maps(preset)[k]
    cells_x, cells_y, centres_x, centres_y = _grid_lines(maps, PRESETS[preset].steps[k])
    squares = _outline(maps.box_sizes[:2], maps.box_names[:2])
    others = _outline(maps.box_sizes[2:], maps.box_names[2:])
    number = _grid_axes()[(side, maps.size)][0]
    return {
        "x": [[0, side, side, 0, 0], cells_x, centres_x, squares[0], others[0]],
        "y": [[0, 0, side, side, 0], cells_y, centres_y, squares[1], others[1]],
        "text": [None, None, None, squares[2], others[2]],
        "name": [f"{side}×{side} input", f"{maps.size}×{maps.size} cells", "cell centres (i, i)",
                 "square boxes", "aspect-ratio boxes"],
        "xaxis": ["x", "x", "x", f"x{number}", f"x{number}"],
        "yaxis": ["y", "y", "y", f"y{number}", f"y{number}"],
    }


def _traces(preset: str, k: int) -> list:
    """The five traces, styled, showing map k of `preset`."""
    go = plotly_go()
    data = state_data(preset, k)
    styles = [
        {"mode": "lines", "line": {"color": PALETTE[7], "width": 2}, "hoverinfo": "skip"},
        {"mode": "lines", "line": {"color": PALETTE[7], "width": 0.5}, "hoverinfo": "skip"},
        {"mode": "markers", "marker": {"size": 5, "color": PALETTE[5]},
         "hovertemplate": "cell centre (%{x:.1f}, %{y:.1f}) px<extra></extra>"},
        *({"mode": "lines+markers", "line": {"color": colour, "width": 2}, "marker": {"size": 4, "color": colour},
           "hovertemplate": "%{text}<extra></extra>"} for colour in (PALETTE[0], PALETTE[1])),
    ]
    return [go.Scatter(**{key: values[i] for key, values in data.items()}, **style) for i, style in enumerate(styles)]


def _cell_slider() -> dict:
    steps = []
    for j in range(CELL_POSITIONS):
        position = j / (CELL_POSITIONS - 1)
        steps.append({"label": f"{position:.0%}", "method": "relayout", "args": [_cell_ranges(position)]})
    return {"active": CELL_POSITIONS // 2, "steps": steps, "x": 0.02, "len": 0.96, "y": -0.02,
            "yanchor": "top", "pad": {"t": 50}, "currentvalue": {"prefix": "cell (i, i) along the diagonal: "}}


def _show(preset: str, k: int) -> list:
    """`update` arguments showing map k of `preset`."""
    side = PRESETS[preset].input_size
    return [state_data(preset, k), {"xaxis.range": [0, side], "yaxis.range": [side, 0]}, list(range(len(TRACES)))]


def _map_slider(preset: str, active: int) -> dict:
    steps = []
    for k, maps in enumerate(preset_maps(preset)):
        n_k = maps.box_sizes.shape[0]
        steps.append({"label": f"{maps.size}×{maps.size} ({n_k} boxes)", "method": "update", "args": _show(preset, k)})
    return {"active": active, "steps": steps, "x": 0.02, "len": 0.96, "y": 1.0, "yanchor": "bottom",
            "pad": {"b": 10, "t": 0}, "currentvalue": {"prefix": "feature map "}}


def _overlay_axes(ranges: dict[str, list[float]]) -> dict:
    axes = {}
    for name, value in ranges.items():
        number = name.removesuffix(".range")[5:]
        if name.startswith("x"):
            axes[f"xaxis{number}"] = {"overlaying": "x", "range": value, "visible": False}
        else:
            axes[f"yaxis{number}"] = {"overlaying": "y", "range": value, "visible": False,
                                      "scaleanchor": f"x{number}", "scaleratio": 1, "constrain": "domain"}
    return axes


def default_boxes():
    """SSD default boxes: a preset menu, a feature-map slider and a cell slider (Sec. 2.2, Fig. 1).

    Shows the cells of the chosen map over the input and the 4 or 6 boxes of one cell.
    """
    go = plotly_go()
    traces = _traces(DEFAULT_PRESET, DEFAULT_MAP)
    relayout = _show(DEFAULT_PRESET, DEFAULT_MAP)[1]
    # One map slider per preset, shown by the preset menu: replacing a slider's steps through
    # `relayout` leaves plotly.js drawing the old slider under the new one.
    map_sliders, buttons = [], []
    for j, (preset, config) in enumerate(PRESETS.items()):
        k = min(DEFAULT_MAP, len(config.feature_maps) - 1)
        map_sliders.append({**_map_slider(preset, active=k), "visible": preset == DEFAULT_PRESET})
        args = _show(preset, k)
        args[1].update({f"sliders[{i}].visible": i == j for i in range(len(PRESETS))})
        args[1][f"sliders[{j}].active"] = k
        buttons.append({"label": f"{preset} (SSD{config.input_size})", "method": "update", "args": args})
    cells = _cell_slider()
    layout = base_layout(
        "SSD default boxes of one cell",
        height=720,
        xaxis=axis("x (input pixels)", range=relayout["xaxis.range"], constrain="domain", showgrid=False,
                   domain=[0.0, 0.72]),
        yaxis=axis("y (input pixels)", range=relayout["yaxis.range"], scaleanchor="x", scaleratio=1,
                   constrain="domain", showgrid=False),
        updatemenus=[{"type": "dropdown", "buttons": buttons, "active": list(PRESETS).index(DEFAULT_PRESET),
                      "x": 1.0, "xanchor": "right", "y": 1.0, "yanchor": "bottom", "pad": {"b": 95}}],
        sliders=[*map_sliders, cells],
        legend={"orientation": "v", "x": 1.0, "xanchor": "right", "y": 0.5, "yanchor": "middle",
                "bgcolor": "rgba(0,0,0,0)"},
        margin={"l": 60, "r": 20, "t": 150, "b": 120},
        **_overlay_axes(cells["steps"][cells["active"]]["args"][0]),
    )
    layout["title"].update({"y": 0.99, "yref": "container", "yanchor": "top"})  # above the map slider
    return go.Figure(traces, layout)


def box_scales():
    r"""Scale $s_k$ (and the extra square's $s'_k$) of each feature map, for every preset."""
    go = plotly_go()
    traces = []
    for i, (preset, config) in enumerate(PRESETS.items()):
        scales = layer_scales(config)
        layers = list(range(1, len(scales) + 1))
        hover = [f"{preset}: map {f}×{f}, s_k = {s:.3f} ({s * config.input_size:.1f} px), "
                 f"s'_k = {sp:.3f}" for f, (s, sp) in zip(config.feature_maps, scales, strict=True)]
        colour = PALETTE[i % len(PALETTE)]
        dash = "dot" if config.input_size == 512 else "solid"
        traces.append(go.Scatter(x=layers, y=[s for s, _ in scales], mode="lines+markers", name=preset,
                                 legendgroup=preset, line={"color": colour, "dash": dash},
                                 text=hover, hovertemplate="%{text}<extra></extra>"))
        traces.append(go.Scatter(x=layers, y=[sp for _, sp in scales], mode="markers", name=f"{preset} s'_k",
                                 legendgroup=preset, showlegend=False,
                                 marker={"color": colour, "symbol": "circle-open", "size": 9},
                                 text=hover, hovertemplate="%{text}<extra></extra>"))
    layout = base_layout(
        "Default-box scale per feature map (filled: s_k, open: s'_k)",
        height=420,
        xaxis=axis("feature map k (1 = conv4_3)", dtick=1),
        yaxis=axis("scale (fraction of the input side)", rangemode="tozero"),
        legend={"orientation": "v", "x": 1.02, "y": 1.0, "xanchor": "left", "yanchor": "top"},
        margin={"l": 60, "r": 160, "t": 60, "b": 50},
    )
    return go.Figure(traces, layout)


# The matching example: image 4 of the `shapes` validation split at 300×300 (three objects), SSD300.
MATCHING_IMAGE = 4
MATCHING_SEED = 0
MATCHING_PRESET = "caffe_voc"
MATCHING_SIZE = 300
NEG_POS_RATIO = 3  # Sec. 2.2, and SSD's default minimum of negatives in an image


@dataclass(frozen=True)
class MatchingExample:
    """One image's matching (Sec. 2.2) and 3:1 hard-negative mining, in input pixels."""

    image: torch.Tensor  # (3, 300, 300) in [0, 1]
    gt_boxes: torch.Tensor  # (G, 4) x1, y1, x2, y2
    gt_labels: torch.Tensor  # (G,)
    priors: torch.Tensor  # (A, 4) x1, y1, x2, y2
    prior_names: tuple[str, ...]  # "map 19×19, ar 2" per prior
    matched: torch.Tensor  # (A,) ground-truth index or -1
    iou: torch.Tensor  # (A,) IoU with the matched (or best) ground truth
    best_priors: torch.Tensor  # (G,) the prior each object claims first, whatever its IoU
    hard_negatives: torch.Tensor  # (A,) bool


def _prior_names(preset: str) -> tuple[str, ...]:
    names = []
    for maps in preset_maps(preset):
        names += [f"map {maps.size}×{maps.size}, {name}" for name in maps.box_names] * (maps.size * maps.size)
    return tuple(names)


@functools.cache
def matching_example() -> MatchingExample:
    """Match SSD300's default boxes to a `shapes` image and mine its hard negatives.

    The confidence loss that ranks the negatives comes from seeded random class scores, standing in for
    an untrained SSD300 (no trained weights can be downloaded here, and an untrained network's scores
    say no more about the image): which negatives count as "hard" depends on the model, their number
    (3 per positive) does not. The matching itself is the real thing: `match_priors` on the real priors.
    """
    image, target = ShapesDataset(split="val", num_images=MATCHING_IMAGE + 1, image_size=MATCHING_SIZE,
                                  seed=MATCHING_SEED)[MATCHING_IMAGE]  # fmt: skip
    priors = box_convert(generate_default_boxes(PRESETS[MATCHING_PRESET], dtype=torch.float64), "cxcywh", "xyxy")
    gt_boxes, gt_labels, gt_mask = pad_targets([target])
    gt_boxes = gt_boxes.double() / MATCHING_SIZE  # (1, G, 4) pixels -> fractions of the image
    matched = match_priors(gt_boxes, gt_mask, priors)  # (1, A)
    iou = box_iou(gt_boxes[0], priors)  # (G, A)
    labels = torch.where(matched >= 0, gt_labels.gather(1, matched.clamp(min=0)), 0)  # (1, G) -> (1, A)
    generator = torch.Generator().manual_seed(MATCHING_SEED)
    logits = torch.randn(1, len(CLASSES) + 1, len(priors), generator=generator)  # (1, C, A)
    conf_loss = F.cross_entropy(logits, labels, reduction="none")  # (1, A)
    negatives = mine_hard_negatives(conf_loss, matched >= 0, NEG_POS_RATIO, NEG_POS_RATIO)
    best = iou.gather(0, matched.clamp(min=0))[0]  # (1, A): IoU with each prior's own ground truth
    return MatchingExample(image, target["boxes"], target["labels"], priors * MATCHING_SIZE,
                           _prior_names(MATCHING_PRESET), matched[0],
                           torch.where(matched[0] >= 0, best, iou.max(dim=0).values), iou.argmax(dim=1),
                           negatives[0])  # fmt: skip


def _outline_traces(boxes: torch.Tensor, texts: list[str], name: str, line: dict, opacity: float = 1.0) -> list:
    """Box outlines (no hover) and a marker at each box centre that carries its hover text."""
    go = plotly_go()
    xs, ys = [], []
    for x1, y1, x2, y2 in boxes.tolist():
        xs += _round([x1, x2, x2, x1, x1]) + [None]
        ys += _round([y1, y1, y2, y2, y1]) + [None]
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    return [
        go.Scatter(x=xs, y=ys, mode="lines", line=line, name=name, legendgroup=name, opacity=opacity,
                   hoverinfo="skip"),
        go.Scatter(x=_round(centres[:, 0].tolist()), y=_round(centres[:, 1].tolist()), mode="markers",
                   marker={"color": line["color"], "size": 5}, name=name, legendgroup=name, showlegend=False,
                   opacity=opacity, text=texts, hovertemplate="%{text}<extra></extra>"),
    ]


def _image_source(image: torch.Tensor) -> str:
    """The image as an inline JPEG (Pillow, a torchvision dependency): about 20 KB, no file to serve."""
    import base64
    import io

    from PIL import Image

    pixels = (image.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0)  # (3, H, W) -> (H, W, 3)
    buffer = io.BytesIO()
    Image.fromarray(pixels.numpy()).save(buffer, format="JPEG", quality=65)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def matching():
    """SSD's matching strategy (Sec. 2.2) on a `shapes` image: ground truth, the default boxes matched
    with IoU ≥ 0.5, the forced best matches, and the hard negatives kept by 3:1 mining."""
    go = plotly_go()
    example = matching_example()
    positive = example.matched >= 0
    names = [CLASSES[int(label) - 1] for label in example.gt_labels]
    best = torch.zeros_like(positive)
    best[example.best_priors] = True

    def describe(mask: torch.Tensor) -> tuple[torch.Tensor, list[str]]:
        indices = torch.nonzero(mask).flatten().tolist()
        texts = []
        for i in indices:
            target = f" → {names[int(example.matched[i])]}" if example.matched[i] >= 0 else ""
            texts.append(f"#{i}: {example.prior_names[i]}, IoU {example.iou[i]:.2f}{target}")
        return example.priors[indices], texts

    groups = [
        (positive & ~best, "matched: IoU ≥ 0.5", {"color": PALETTE[2], "width": 1.5}, 1.0),
        (best, "matched first: best prior of each object", {"color": PALETTE[0], "width": 3}, 1.0),
        (example.hard_negatives, "hard negatives (3 per positive)", {"color": PALETTE[3], "width": 1}, 0.6),
    ]
    traces = []
    for mask, label, line, opacity in groups:
        boxes, texts = describe(mask)
        traces += _outline_traces(boxes, texts, f"{label}: {len(texts)}", line, opacity)
    traces += _outline_traces(example.gt_boxes, [f"ground truth: {name}" for name in names],
                              f"ground truth: {len(names)}", {"color": PALETTE[6], "width": 3.5})
    side = example.image.shape[-1]
    layout = base_layout(
        f"SSD300 matching on a shapes image: {int(positive.sum())} positives of {len(example.priors)} "
        "default boxes",
        height=660,
        xaxis=axis("x (pixels)", range=[0, side], constrain="domain", showgrid=False),
        yaxis=axis("y (pixels)", range=[side, 0], scaleanchor="x", scaleratio=1, constrain="domain",
                   showgrid=False),
        images=[{"source": _image_source(example.image), "xref": "x", "yref": "y", "x": 0, "y": 0,
                 "sizex": side, "sizey": side, "sizing": "stretch", "layer": "below"}],
        legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
        margin={"l": 60, "r": 20, "t": 130, "b": 50},
    )
    layout["title"].update({"y": 0.985, "yref": "container", "yanchor": "top"})  # above the legend
    return go.Figure(traces, layout)
