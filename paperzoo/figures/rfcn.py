"""R-FCN figures: position-sensitive RoI pooling and the paper's k×k ablation (Dai et al., arXiv 1605.06409).

Which feature cells a bin averages and which score map it reads are measured on the pooling operator
R-FCN's head calls (`paperzoo.detection.ps_roi.position_sensitive_roi_pool`, torchvision's
`ps_roi_pool` with a border fix), not drawn by hand: the cells come from the gradient of each output
bin with respect to the score maps, the channel from pooling maps whose value is their own channel
index. The score-map counts come from `paperzoo.models.rfcn.score_map_channels`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from paperzoo.detection.ps_roi import position_sensitive_roi_pool
from paperzoo.figures._style import PALETTE, axis, base_layout, menu, pick, plotly_go
from paperzoo.models.rfcn import score_map_channels

__all__ = ["CAPTIONS", "k_ablation", "position_sensitive_pooling"]

# The caption under each figure: what to look for (plotly_fence writes it into a <figcaption>).
CAPTIONS = {
    "position_sensitive_pooling": {
        "en": "Switch between 3 × 3 and 7 × 7 bins: each bin of the RoI averages only the feature cells under "
        "it and reads only its own group of score maps, so a part of the object scores only at its "
        "place in the RoI.",
        "zh": "在 3 × 3 和 7 × 7 分块之间切换：RoI 的每个分块只平均它下面的特征单元，只读取属于自己的那组得分图，"
        "所以物体的某一部分只在 RoI 中它应在的位置上得分。",
    },
    "k_ablation": {
        "en": "Position sensitivity needs more than one bin: R-FCN does not converge with 1 × 1 and beats "
        "every Faster R-CNN variant with 3 × 3 and 7 × 7.",
        "zh": "位置敏感需要不止一个分块：R-FCN 在 1 × 1 时不收敛，在 3 × 3 和 7 × 7 时胜过所有 Faster R-CNN 变体。",
    },
}
# The methods of Table 2, in Chinese.
METHODS_ZH = {
    "naïve Faster R-CNN": "朴素 Faster R-CNN",
    "class-specific RPN": "类别相关 RPN",
    "R-FCN w/o position-sensitivity": "无位置敏感的 R-FCN",
    "R-FCN": "R-FCN",
}

# The example: a 256×192 image at stride 16 (R-FCN's res5 with à trous, Sec. 3.2) and one RoI.
IMAGE_SIZE = (192, 256)  # (H, W)
STRIDE = 16
ROI_XYXY = (52.0, 38.0, 212.0, 170.0)
NUM_CLASSES = 3  # C + 1, kept small so the hover text can list every channel a bin reads
BIN_SIZES = (3, 7)

# Table 2 of the paper, VOC 2007 test mAP (%) with ResNet-101; None where the paper reports "fail".
# (method, k×k label, mAP)
PAPER_TABLE_2 = (
    ("naïve Faster R-CNN", "1×1", 61.7),
    ("naïve Faster R-CNN", "7×7", 68.9),
    ("class-specific RPN", "–", 67.6),
    ("R-FCN w/o position-sensitivity", "1×1", None),
    ("R-FCN", "3×3", 75.5),
    ("R-FCN", "7×7", 76.6),
)


@dataclass(frozen=True)
class PooledBin:
    """One of the k×k bins of the example RoI, as measured on `ps_roi_pool`."""

    row: int
    col: int
    cells_y: tuple[int, int]  # first and last feature-map row averaged (inclusive)
    cells_x: tuple[int, int]
    channels: tuple[int, ...]  # the score map read for each class 0..C


@functools.cache
def measure_bins(k: int) -> tuple[PooledBin, ...]:
    """Measure, for the example RoI, the cells and score-map channels of each of the k×k bins."""
    height, width = IMAGE_SIZE[0] // STRIDE, IMAGE_SIZE[1] // STRIDE
    channels = k * k * NUM_CLASSES
    # Each score map holds its own channel index, so a pooled value names the channel it came from.
    maps = (
        torch.arange(channels, dtype=torch.float64).view(1, channels, 1, 1).expand(1, channels, height, width)
    )
    maps = maps.contiguous().requires_grad_(True)
    rois = torch.tensor([[0.0, *ROI_XYXY]], dtype=torch.float64)
    pooled = position_sensitive_roi_pool(maps, rois, k, 1.0 / STRIDE)  # (1, C+1, k, k)
    (grad,) = torch.autograd.grad(pooled.sum(), maps)  # (1, k²(C+1), H, W): non-zero where a bin reads
    bins = []
    for row in range(k):
        for col in range(k):
            read = pooled[0, :, row, col].round().long()  # (C+1,) channel index per class
            ys, xs = torch.nonzero(grad[0, int(read[0])], as_tuple=True)
            bins.append(
                PooledBin(
                    row,
                    col,
                    (int(ys.min()), int(ys.max())),
                    (int(xs.min()), int(xs.max())),
                    tuple(int(c) for c in read),
                )
            )
    return tuple(bins)


def _bin_colour(k: int, row: int, col: int) -> str:
    from plotly.colors import sample_colorscale

    return sample_colorscale("Turbo", [(row * k + col + 0.5) / (k * k)])[0]


def _bin_shapes(k: int) -> list[dict]:
    """The k×k bins as filled rectangles over the cells they average (layout shapes: a page draws them
    far faster than one filled trace per bin)."""
    shapes = []
    for pooled in measure_bins(k):
        (y0, y1), (x0, x1) = pooled.cells_y, pooled.cells_x
        colour = _bin_colour(k, pooled.row, pooled.col)
        shapes.append(
            {
                "type": "rect",
                "x0": x0,
                "x1": x1 + 1,
                "y0": y0,
                "y1": y1 + 1,
                "fillcolor": colour,
                "opacity": 0.55,
                "line": {"color": colour, "width": 1},
                "layer": "below",
            }
        )
    return shapes


def _bin_markers(k: int, visible: bool, lang: str):
    """One marker per bin centre, in the bin's colour, whose hover names the cells and channels it reads."""
    go = plotly_go()
    xs, ys, colours, texts = [], [], [], []
    for pooled in measure_bins(k):
        (y0, y1), (x0, x1) = pooled.cells_y, pooled.cells_x
        channels = ", ".join(
            pick(lang, f"class {c}: map {ch}", f"类别 {c}：得分图 {ch}")
            for c, ch in enumerate(pooled.channels)
        )
        xs.append((x0 + x1 + 1) / 2)
        ys.append((y0 + y1 + 1) / 2)
        colours.append(_bin_colour(k, pooled.row, pooled.col))
        group = pooled.row * k + pooled.col
        texts.append(
            pick(
                lang,
                f"k={k}, bin ({pooled.row}, {pooled.col}) → score-map group {group}<br>"
                f"averages cells y {y0}–{y1}, x {x0}–{x1}<br>{channels}",
                f"k={k}，分块 ({pooled.row}, {pooled.col}) → 第 {group} 组得分图<br>"
                f"平均单元格 y {y0}–{y1}，x {x0}–{x1}<br>{channels}",
            )
        )
    return go.Scatter(
        x=xs,
        y=ys,
        mode="markers",
        marker={"color": colours, "size": 7},
        text=texts,
        hovertemplate="%{text}<extra></extra>",
        name=f"k = {k} bins",
        showlegend=False,
        visible=visible,
    )


def position_sensitive_pooling(lang: str = "en"):
    """A RoI on a stride-16 feature map split into k×k bins, each coloured by the score-map group it
    reads (Sec. 2, Fig. 1); buttons switch k between 3 and 7."""
    go = plotly_go()
    t = functools.partial(pick, lang)
    height, width = IMAGE_SIZE[0] // STRIDE, IMAGE_SIZE[1] // STRIDE
    x1, y1, x2, y2 = (v / STRIDE for v in ROI_XYXY)
    roi = go.Scatter(
        x=[x1, x2, x2, x1, x1],
        y=[y1, y1, y2, y2, y1],
        mode="lines",
        name="RoI",
        line={"color": PALETTE[3], "width": 3},
        hoverinfo="skip",
    )
    first = BIN_SIZES[0]
    traces = [roi] + [_bin_markers(k, k == first, lang) for k in BIN_SIZES]
    buttons = [
        {
            "label": t(f"Bins: {k} × {k}", f"分块：{k} × {k}") if k == first else f"{k} × {k}",
            "method": "update",
            "args": [{"visible": [True] + [kk == k for kk in BIN_SIZES]}, {"shapes": _bin_shapes(k)}],
        }
        for k in BIN_SIZES
    ]
    layout = base_layout(
        t("Position-sensitive RoI pooling", "位置敏感 RoI 池化"),
        height=460,
        xaxis=axis(
            t("feature-map x (cells, stride 16)", "特征图 x（单元格，步长 16）"),
            range=[0, width],
            dtick=1,
            constrain="domain",
        ),
        # Both axes keep their ranges on any screen: the plot area shrinks instead (at 390 px the y range
        # would otherwise grow past the map).
        yaxis=axis(
            t("feature-map y", "特征图 y"),
            range=[height, 0],
            dtick=1,
            scaleanchor="x",
            scaleratio=1,
            constrain="domain",
        ),
        shapes=_bin_shapes(first),
        updatemenus=[menu(buttons, dropdown=False)],
        showlegend=False,
        margin={"l": 50, "r": 10, "t": 85, "b": 50},
    )
    return go.Figure(traces, layout)


def k_ablation(lang: str = "en"):
    """Table 2 of the paper (VOC 07 test mAP by pooling grid), with the score maps each R-FCN grid needs
    for VOC's 21 classes, k²(C+1) + 4k².

    Each bar carries its method and grid inside it, so no long axis labels squeeze the plot on a phone.
    """
    go = plotly_go()
    t = functools.partial(pick, lang)
    methods = [METHODS_ZH[method] if lang == "zh" else method for method, _, _ in PAPER_TABLE_2]
    maps = [value for _, _, value in PAPER_TABLE_2]
    labels = [
        f"{method}{'' if grid == '–' else ' ' + grid}: "
        + (t("fail", "不收敛") if value is None else f"{value:.1f}")
        for method, (_, grid, value) in zip(methods, PAPER_TABLE_2, strict=True)
    ]
    colours = [PALETTE[2] if method == "R-FCN" else PALETTE[7] for method, _, _ in PAPER_TABLE_2]
    hover = []
    for name, (method, grid, value) in zip(methods, PAPER_TABLE_2, strict=True):
        k = int(grid[0]) if grid[0].isdigit() else None
        result = (
            t("fails to converge (paper: “fail”)", "不收敛（论文：“fail”）")
            if value is None
            else f"{value:.1f} mAP"
        )
        channels = ""
        if method.startswith("R-FCN") and k:
            cls_maps, box_maps = score_map_channels(21, k)
            channels = t(
                f"<br>{cls_maps} class + {box_maps} box score maps for VOC's 21 classes",
                f"<br>VOC 的 21 类需要 {cls_maps} 个类别得分图和 {box_maps} 个框得分图",
            )
        hover.append(f"{name}, {grid}: {result}{channels}")
    bars = go.Bar(
        x=[0.0 if v is None else v for v in maps],
        y=list(range(len(maps))),
        orientation="h",
        marker={"color": colours},
        text=labels,
        insidetextanchor="start",
        textangle=0,
        textposition=["outside" if v is None else "inside" for v in maps],
        cliponaxis=False,
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        name=t("paper, Table 2", "论文表 2"),
    )
    layout = base_layout(
        t("R-FCN Table 2: mAP by pooling grid", "R-FCN 表 2：各池化网格的 mAP"),
        height=380,
        xaxis=axis(
            t("VOC 2007 test mAP (%), as printed", "VOC 2007 测试集 mAP（%，论文数值）"), range=[0, 85]
        ),
        yaxis=axis("", autorange="reversed", showgrid=False, showticklabels=False),
        margin={"l": 10, "r": 10, "t": 50, "b": 50},
        showlegend=False,
        uniformtext={"minsize": 9, "mode": "show"},
    )
    return go.Figure([bars], layout)
