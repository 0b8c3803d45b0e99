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
from paperzoo.figures._style import PALETTE, axis, base_layout, menu, pick, plotly_go

__all__ = ["CAPTIONS", "box_scales", "default_boxes", "matching"]

# The caption under each figure: what to look for (plotly_fence writes it into a <figcaption>).
CAPTIONS = {
    "default_boxes": {
        "en": "Pick a box preset, a feature map and a cell: every cell of a map carries the same 4 or 6 "
        "default boxes (two squares, then a tall and a wide box per aspect ratio), and coarser maps "
        "carry larger boxes.",
        "zh": "选择默认框预设、特征图和单元格：同一特征图的每个单元格都有同样的 4 或 6 个默认框（两个正方形，"
        "每个长宽比再加一高一宽两个框），特征图越粗，框越大。",
    },
    "box_scales": {
        "en": "The scale s_k grows linearly from the second feature map to the last; the first map (conv4_3) "
        "gets a smaller scale of its own, and each preset sets it differently.",
        "zh": "尺度 s_k 从第二个特征图到最后一个线性增长；第一个特征图（conv4_3）单独取更小的尺度，各预设取值不同。",
    },
    "matching": {
        "en": "Pick a ground-truth box: the default box with its highest IoU is matched first, whatever that "
        "IoU, then every other default box with IoU ≥ 0.5; switch the hard negatives on to see the "
        "3 negatives per positive with the highest confidence loss.",
        "zh": "选择一个真实框：与它 IoU 最高的默认框无论 IoU 多少都先被匹配，其余 IoU ≥ 0.5 的默认框也被匹配；"
        "打开难负例，可以看到每个正例对应的 3 个置信度损失最高的负例。",
    },
}

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
    for f_k, n_k, ars in zip(
        config.feature_maps, num_boxes_per_location(config), config.aspect_ratios, strict=True
    ):
        layer = boxes[offset : offset + f_k * f_k * n_k].view(f_k * f_k, n_k, 4)  # (A_k, 4) -> (f_k², n_k, 4)
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


def state_data(preset: str, k: int, lang: str = "en") -> dict[str, list]:
    """`restyle` values of the five `TRACES` that show map k of `preset`: the input frame, the map's
    cells and diagonal centres, and one cell's boxes, drawn around (0, 0) on the overlay axes of the
    map's grid (the cell slider pans those axes)."""
    t = functools.partial(pick, lang)
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
        "name": [
            t(f"{side}×{side} input", f"{side}×{side} 输入"),
            t(f"{maps.size}×{maps.size} cells", f"{maps.size}×{maps.size} 单元格"),
            t("cell centres (i, i)", "单元格中心 (i, i)"),
            t("square boxes", "正方形框"),
            t("aspect-ratio boxes", "长宽比框"),
        ],
        "xaxis": ["x", "x", "x", f"x{number}", f"x{number}"],
        "yaxis": ["y", "y", "y", f"y{number}", f"y{number}"],
    }


def _traces(preset: str, k: int, lang: str) -> list:
    """The five traces, styled, showing map k of `preset`."""
    go = plotly_go()
    data = state_data(preset, k, lang)
    centre = pick(lang, "cell centre", "单元格中心")
    styles = [
        {"mode": "lines", "line": {"color": PALETTE[7], "width": 2}, "hoverinfo": "skip"},
        {"mode": "lines", "line": {"color": PALETTE[7], "width": 0.5}, "hoverinfo": "skip"},
        {
            "mode": "markers",
            "marker": {"size": 5, "color": PALETTE[5]},
            "hovertemplate": centre + " (%{x:.1f}, %{y:.1f}) px<extra></extra>",
        },
        *(
            {
                "mode": "lines+markers",
                "line": {"color": colour, "width": 2},
                "marker": {"size": 4, "color": colour},
                "hovertemplate": "%{text}<extra></extra>",
            }
            for colour in (PALETTE[0], PALETTE[1])
        ),
    ]
    return [
        go.Scatter(**{key: values[i] for key, values in data.items()}, **style)
        for i, style in enumerate(styles)
    ]


def _cell_slider(lang: str) -> dict:
    steps = []
    for j in range(CELL_POSITIONS):
        position = j / (CELL_POSITIONS - 1)
        steps.append({"label": f"{position:.0%}", "method": "relayout", "args": [_cell_ranges(position)]})
    prefix = pick(lang, "Cell (i, i) along the diagonal: ", "对角线上的单元格 (i, i)：")
    return {
        "active": CELL_POSITIONS // 2,
        "steps": steps,
        "x": 0.0,
        "len": 1.0,
        "y": -0.02,
        "yanchor": "top",
        "pad": {"t": 50},
        "currentvalue": {"prefix": prefix},
        "font": {"size": 11},
    }


def _show(preset: str, k: int, lang: str) -> list:
    """`update` arguments showing map k of `preset`."""
    side = PRESETS[preset].input_size
    return [
        state_data(preset, k, lang),
        {"xaxis.range": [0, side], "yaxis.range": [side, 0]},
        list(range(len(TRACES))),
    ]


def _map_slider(preset: str, active: int, lang: str) -> dict:
    """The feature-map slider of `preset`: short step labels (f_k × f_k) that fit a phone's width."""
    steps = [
        {"label": f"{maps.size}×{maps.size}", "method": "update", "args": _show(preset, k, lang)}
        for k, maps in enumerate(preset_maps(preset))
    ]
    return {
        "active": active,
        "steps": steps,
        "x": 0.0,
        "len": 1.0,
        "y": 1.0,
        "yanchor": "bottom",
        "pad": {"b": 10, "t": 0},
        "currentvalue": {"prefix": pick(lang, "Feature map: ", "特征图：")},
        "font": {"size": 11},
    }


def _overlay_axes(ranges: dict[str, list[float]]) -> dict:
    axes = {}
    for name, value in ranges.items():
        number = name.removesuffix(".range")[5:]
        if name.startswith("x"):
            axes[f"xaxis{number}"] = {"overlaying": "x", "range": value, "visible": False}
        else:
            axes[f"yaxis{number}"] = {
                "overlaying": "y",
                "range": value,
                "visible": False,
                "scaleanchor": f"x{number}",
                "scaleratio": 1,
                "constrain": "domain",
            }
    return axes


def default_boxes(lang: str = "en"):
    """SSD default boxes: a preset menu, a feature-map slider and a cell slider (Sec. 2.2, Fig. 1).

    Shows the cells of the chosen map over the input and the 4 or 6 boxes of one cell.
    """
    go = plotly_go()
    t = functools.partial(pick, lang)
    traces = _traces(DEFAULT_PRESET, DEFAULT_MAP, lang)
    relayout = _show(DEFAULT_PRESET, DEFAULT_MAP, lang)[1]
    # One map slider per preset, shown by the preset menu: replacing a slider's steps through
    # `relayout` leaves plotly.js drawing the old slider under the new one.
    map_sliders, buttons = [], []
    for j, (preset, config) in enumerate(PRESETS.items()):
        k = min(DEFAULT_MAP, len(config.feature_maps) - 1)
        map_sliders.append({**_map_slider(preset, k, lang), "visible": preset == DEFAULT_PRESET})
        args = _show(preset, k, lang)
        args[1].update({f"sliders[{i}].visible": i == j for i in range(len(PRESETS))})
        args[1][f"sliders[{j}].active"] = k
        label = t(
            f"Box preset: {preset} (SSD{config.input_size})",
            f"默认框预设：{preset}（SSD{config.input_size}）",
        )
        buttons.append({"label": label, "method": "update", "args": args})
    cells = _cell_slider(lang)
    layout = base_layout(
        t("SSD default boxes of one cell", "SSD 单个单元格的默认框"),
        height=720,
        xaxis=axis(
            t("x (input pixels)", "x（输入像素）"),
            range=relayout["xaxis.range"],
            constrain="domain",
            showgrid=False,
        ),
        yaxis=axis(
            t("y (input pixels)", "y（输入像素）"),
            range=relayout["yaxis.range"],
            scaleanchor="x",
            scaleratio=1,
            constrain="domain",
            showgrid=False,
        ),
        updatemenus=[menu(buttons, active=list(PRESETS).index(DEFAULT_PRESET), pad={"b": 95})],
        sliders=[*map_sliders, cells],
        margin={"l": 60, "r": 10, "t": 160, "b": 190},
        **_overlay_axes(cells["steps"][cells["active"]]["args"][0]),
    )
    return go.Figure(traces, layout)


def box_scales(lang: str = "en"):
    r"""Scale $s_k$ (and the extra square's $s'_k$) of each feature map, for every preset."""
    go = plotly_go()
    t = functools.partial(pick, lang)
    traces = []
    for i, (preset, config) in enumerate(PRESETS.items()):
        scales = layer_scales(config)
        layers = list(range(1, len(scales) + 1))
        hover = [
            f"{preset}: " + t("map", "特征图") + f" {f}×{f}, s_k = {s:.3f} ({s * config.input_size:.1f} px), "
            f"s'_k = {sp:.3f}"
            for f, (s, sp) in zip(config.feature_maps, scales, strict=True)
        ]
        colour = PALETTE[i % len(PALETTE)]
        dash = "dot" if config.input_size == 512 else "solid"
        traces.append(
            go.Scatter(
                x=layers,
                y=[s for s, _ in scales],
                mode="lines+markers",
                name=preset,
                legendgroup=preset,
                line={"color": colour, "dash": dash},
                text=hover,
                hovertemplate="%{text}<extra></extra>",
            )
        )
        traces.append(
            go.Scatter(
                x=layers,
                y=[sp for _, sp in scales],
                mode="markers",
                name=f"{preset} s'_k",
                legendgroup=preset,
                showlegend=False,
                marker={"color": colour, "symbol": "circle-open", "size": 9},
                text=hover,
                hovertemplate="%{text}<extra></extra>",
            )
        )
    title = t("Default-box scale per feature map", "各特征图的默认框尺度")
    layout = base_layout(
        title + "<br><sup>" + t("filled: s_k, open: s'_k", "实心：s_k，空心：s'_k") + "</sup>",
        height=480,
        xaxis=axis(t("feature map k (1 = conv4_3)", "特征图 k（1 = conv4_3）"), dtick=1),
        yaxis=axis(t("scale (fraction of the input side)", "尺度（输入边长的比例）"), rangemode="tozero"),
        margin={"l": 60, "r": 10, "t": 70, "b": 120},
    )
    return go.Figure(traces, layout)


# The matching example: image 4 of the `shapes` validation split at 300×300 (three objects), SSD300.
MATCHING_IMAGE = 4
MATCHING_SEED = 0
MATCHING_PRESET = "caffe_voc"
MATCHING_SIZE = 300
IOU_THRESHOLD = 0.5  # Sec. 2.2
NEG_POS_RATIO = 3  # Sec. 2.2, and SSD's default minimum of negatives in an image
TRACES_PER_OBJECT = 6  # outline and centres of: the ground truth, its best default box, its other matches
CLASS_NAMES_ZH = {"circle": "圆形", "square": "正方形", "triangle": "三角形", "cross": "十字"}


@dataclass(frozen=True)
class MatchingExample:
    """One image's matching (Sec. 2.2) and 3:1 hard-negative mining, in input pixels."""

    image: torch.Tensor  # (3, 300, 300) in [0, 1]
    gt_boxes: torch.Tensor  # (G, 4) x1, y1, x2, y2
    gt_labels: torch.Tensor  # (G,)
    priors: torch.Tensor  # (A, 4) x1, y1, x2, y2
    prior_names: tuple[str, ...]  # "map 19×19, ar 2" per prior
    matched: torch.Tensor  # (A,) ground-truth index or -1, from `match_priors`
    gt_iou: torch.Tensor  # (G, A) IoU of every ground truth with every prior
    best_priors: torch.Tensor  # (G,) the prior each object claims first, whatever its IoU
    hard_negatives: torch.Tensor  # (A,) bool


def _prior_names(preset: str) -> tuple[str, ...]:
    names = []
    for maps in preset_maps(preset):
        names += [f"{maps.size}×{maps.size}, {name}" for name in maps.box_names] * (maps.size * maps.size)
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
    priors = box_convert(
        generate_default_boxes(PRESETS[MATCHING_PRESET], dtype=torch.float64), "cxcywh", "xyxy"
    )
    gt_boxes, gt_labels, gt_mask = pad_targets([target])
    gt_boxes = gt_boxes.double() / MATCHING_SIZE  # (1, G, 4) pixels -> fractions of the image
    matched = match_priors(gt_boxes, gt_mask, priors, IOU_THRESHOLD)  # (1, A)
    iou = box_iou(gt_boxes[0], priors)  # (G, A)
    labels = torch.where(matched >= 0, gt_labels.gather(1, matched.clamp(min=0)), 0)  # (1, G) -> (1, A)
    generator = torch.Generator().manual_seed(MATCHING_SEED)
    logits = torch.randn(1, len(CLASSES) + 1, len(priors), generator=generator)  # (1, C, A)
    conf_loss = F.cross_entropy(logits, labels, reduction="none")  # (1, A)
    negatives = mine_hard_negatives(conf_loss, matched >= 0, NEG_POS_RATIO, NEG_POS_RATIO)
    return MatchingExample(image, target["boxes"], target["labels"], priors * MATCHING_SIZE,
                           _prior_names(MATCHING_PRESET), matched[0], iou, iou.argmax(dim=1),
                           negatives[0])  # fmt: skip


def _outline_traces(
    boxes: torch.Tensor,
    texts: list[str],
    customdata: list[int],
    name: str,
    group: str,
    line: dict,
    visible: bool = True,
) -> list:
    """Box outlines (no hover) and a marker at each box centre that carries its hover text and index."""
    go = plotly_go()
    xs, ys = [], []
    for x1, y1, x2, y2 in boxes.tolist():
        xs += _round([x1, x2, x2, x1, x1]) + [None]
        ys += _round([y1, y1, y2, y2, y1]) + [None]
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    common = {"name": name, "legendgroup": group, "visible": visible}
    return [
        go.Scatter(x=xs, y=ys, mode="lines", line=line, hoverinfo="skip", **common),
        go.Scatter(
            x=_round(centres[:, 0].tolist()),
            y=_round(centres[:, 1].tolist()),
            mode="markers",
            marker={"color": line["color"], "size": 6},
            showlegend=False,
            text=texts,
            customdata=customdata,
            hovertemplate="%{text}<extra></extra>",
            **common,
        ),
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


def matching_groups(example: MatchingExample) -> list[dict[str, list[int]]]:
    """Per ground truth j, the priors the figure draws: `best` (the prior j claims first, the argmax of
    its IoU) and `above` (the other priors `match_priors` gives to j, each with IoU ≥ 0.5)."""
    groups = []
    for j, best in enumerate(example.best_priors.tolist()):
        mine = torch.nonzero(example.matched == j).flatten().tolist()
        groups.append({"best": [best], "above": [i for i in mine if i != best]})
    return groups


def _matching_traces(example: MatchingExample, lang: str) -> tuple[list, list[int]]:
    """The figure's traces (other objects, then six per ground truth, then the hard negatives) and the
    indices of the per-ground-truth ones."""
    t = functools.partial(pick, lang)
    names = [CLASSES[int(label) - 1] for label in example.gt_labels]
    if lang == "zh":
        names = [CLASS_NAMES_ZH[name] for name in names]

    def describe(indices: list[int], j: int) -> list[str]:
        return [
            t(
                f"default box #{i}: map {example.prior_names[i]}, IoU {example.gt_iou[j, i]:.2f} with {names[j]}",
                f"默认框 #{i}：特征图 {example.prior_names[i]}，与{names[j]}的 IoU {example.gt_iou[j, i]:.2f}",
            )
            for i in indices
        ]

    all_gt = range(len(names))
    traces = _outline_traces(
        example.gt_boxes,
        [t(f"object {j + 1}: {names[j]}", f"物体 {j + 1}：{names[j]}") for j in all_gt],
        list(all_gt),
        t("objects", "物体"),
        "objects",
        {"color": PALETTE[7], "width": 1.5, "dash": "dash"},
    )
    per_gt = []
    for j, group in enumerate(matching_groups(example)):
        best_iou = float(example.gt_iou[j, group["best"][0]])
        roles = [
            (
                example.gt_boxes[j : j + 1],
                [t(f"ground truth {j + 1}: {names[j]}", f"真实框 {j + 1}：{names[j]}")],
                [j],
                t(f"ground truth {j + 1}", f"真实框 {j + 1}"),
                "truth",
                {"color": PALETTE[0], "width": 4},
            ),
            (
                example.priors[group["best"]],
                describe(group["best"], j),
                group["best"],
                t(f"best default box (IoU {best_iou:.2f})", f"最佳默认框（IoU {best_iou:.2f}）"),
                "best",
                {"color": PALETTE[3], "width": 3},
            ),
            (
                example.priors[group["above"]],
                describe(group["above"], j),
                group["above"],
                t(
                    f"other boxes with IoU ≥ {IOU_THRESHOLD}: {len(group['above'])}",
                    f"其余 IoU ≥ {IOU_THRESHOLD} 的框：{len(group['above'])}",
                ),
                "above",
                {"color": PALETTE[2], "width": 1.5},
            ),
        ]
        for boxes, texts, indices, name, role, line in roles:
            per_gt += range(len(traces), len(traces) + 2)
            traces += _outline_traces(boxes, texts, indices, name, f"{role} {j}", line, visible=j == 0)
    negatives = torch.nonzero(example.hard_negatives).flatten().tolist()
    loss_text = t("hard negative (top confidence loss)", "难负例（置信度损失最高）")
    traces += _outline_traces(
        example.priors[negatives],
        [f"#{i}: {example.prior_names[i]}, {loss_text}" for i in negatives],
        negatives,
        t(f"hard negatives: {len(negatives)}", f"难负例：{len(negatives)}"),
        "negatives",
        {"color": PALETTE[4], "width": 1},
        visible=False,
    )
    return traces, per_gt


def matching(lang: str = "en"):
    """SSD's matching strategy (Sec. 2.2) on a `shapes` image, one ground-truth box at a time: the
    default box it claims first (its best IoU), the others `match_priors` gives it (IoU ≥ 0.5), and on
    demand the image's hard negatives (3 per positive, the highest confidence losses)."""
    go = plotly_go()
    t = functools.partial(pick, lang)
    example = matching_example()
    traces, per_gt = _matching_traces(example, lang)
    negatives = [len(traces) - 2, len(traces) - 1]
    mined = int(example.hard_negatives.sum())
    groups = matching_groups(example)
    names = [CLASSES[int(label) - 1] for label in example.gt_labels]
    gt_buttons = []
    for j, group in enumerate(groups):
        count = len(group["best"]) + len(group["above"])
        name = CLASS_NAMES_ZH[names[j]] if lang == "zh" else names[j]
        visible = [k // TRACES_PER_OBJECT == j for k in range(len(per_gt))]
        gt_buttons.append(
            {
                "label": t(
                    f"Ground truth {j + 1}: {name}, {count} matches",
                    f"真实框 {j + 1}：{name}，{count} 个匹配",
                ),
                "method": "restyle",
                "args": [{"visible": visible}, per_gt],
            }
        )
    toggle = [
        {
            "label": t("Hard negatives: off", "难负例：隐藏"),
            "method": "restyle",
            "args": [{"visible": False}, negatives],
        },
        {
            "label": t(f"on ({mined})", f"显示（{mined}）"),
            "method": "restyle",
            "args": [{"visible": True}, negatives],
        },
    ]
    side = example.image.shape[-1]
    layout = base_layout(
        t("SSD300 matching, one object at a time", "SSD300 匹配：一次看一个物体"),
        height=620,
        xaxis=axis(t("x (pixels)", "x（像素）"), range=[0, side], constrain="domain", showgrid=False),
        yaxis=axis(
            t("y (pixels)", "y（像素）"),
            range=[side, 0],
            scaleanchor="x",
            scaleratio=1,
            constrain="domain",
            showgrid=False,
        ),
        images=[
            {
                "source": _image_source(example.image),
                "xref": "x",
                "yref": "y",
                "x": 0,
                "y": 0,
                "sizex": side,
                "sizey": side,
                "sizing": "stretch",
                "layer": "below",
                "opacity": 0.35,
            }
        ],
        updatemenus=[menu(gt_buttons, row=1), menu(toggle, row=0, dropdown=False)],
        margin={"l": 50, "r": 20, "t": 125, "b": 110},
    )
    return go.Figure(traces, layout)
