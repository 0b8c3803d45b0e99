"""Figures over the whole model zoo: every registered model's parameters and multiply-adds.

The list of models comes from the registry (`paperzoo.list_models`), so a newly registered model
appears here without touching this file. Costs are counted by `paperzoo.analysis` on PyTorch's `meta`
device (shapes only): a classifier runs whole; a detector runs the parts that do multiply-accumulates
(an SSD's backbone and head; an R-FCN's trunk, RPN head, conv5 and score-map head, whose per-RoI
pooling and voting have none), since post-processing needs real values.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import nn

from paperzoo.analysis import complexity, count_macs, count_params
from paperzoo.figures._style import PALETTE, axis, base_layout, pick, plotly_go
from paperzoo.registry import get_model_info, list_models

__all__ = ["CAPTIONS", "all_models", "model_cost"]

# The caption under each figure: what to look for (plotly_fence writes it into a <figcaption>).
CAPTIONS = {
    "all_models": {
        "en": "Each point is a registered model with its builder's defaults: the MobileNets sit at the bottom "
        "left, the detectors pay for their heads and input sizes in Mult-Adds far more than in parameters.",
        "zh": "每个点是一个已注册模型（构建函数的默认参数）：MobileNet 在左下角，检测器的检测头和输入尺寸"
        "使乘加次数增长得远比参数量多。",
    },
}
TASKS_ZH = {"classification": "分类", "detection": "检测"}

LOG_TICKS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)


def _detector_macs(model: nn.Module, image: torch.Tensor) -> int:
    from paperzoo.models.rfcn import RFCN
    from paperzoo.models.ssd import SSD

    if isinstance(model, SSD):
        return count_macs(model, lambda ssd: ssd.head(ssd.backbone(image)))
    if isinstance(model, RFCN):
        conv4 = model.trunk(image)  # (1, 3, H, W) -> (1, C4, H/16, W/16)
        conv5 = model.conv5(conv4)
        return (
            count_macs(model.trunk, image)
            + count_macs(model.rpn.head, [conv4])
            + count_macs(model.conv5, conv4)
            + count_macs(model.head, conv5)
        )
    raise TypeError(f"no MAC counting rule for detector {type(model).__name__}; add one to {__name__}")


@functools.cache
def model_cost(name: str) -> tuple[int, int]:
    """(parameters, Mult-Adds) of the registered model `name` with its builder's defaults, at its
    registered input size."""
    info = get_model_info(name)
    with torch.device("meta"):
        model = info.builder().eval()
        image = torch.zeros(1, 3, *info.input_size)
    params = count_params(model)
    if info.task == "classification":
        return params, complexity(model, image).macs
    with torch.no_grad():
        return params, _detector_macs(model, image)


def _label_positions() -> dict[str, list[str]]:
    """Text positions per task that keep the labels of nearby points apart (on the log-log axes)."""
    points = {name: tuple(math.log10(v) for v in model_cost(name)) for name in list_models()}
    middle = (min(x for x, _ in points.values()) + max(x for x, _ in points.values())) / 2
    placed: dict[str, str] = {}
    for name, (x, y) in sorted(points.items(), key=lambda item: item[1]):
        vertical = "middle"
        for other, position in placed.items():
            ox, oy = points[other]
            if abs(ox - x) < 0.3 and abs(oy - y) < 0.15:
                vertical = "bottom" if position.startswith("top") else "top"
        placed[name] = f"{vertical} {'left' if x > middle else 'right'}"
    return {
        task: [placed[name] for name in list_models(task=task)] for task in ("classification", "detection")
    }


def all_models(lang: str = "en"):
    """Mult-Adds vs parameters of every registered model (log-log), coloured by task."""
    go = plotly_go()
    t = functools.partial(pick, lang)
    positions = _label_positions()
    traces = []
    for colour, task in zip(PALETTE, ("classification", "detection"), strict=False):
        names = list_models(task=task)
        if not names:
            continue
        costs = [model_cost(name) for name in names]
        texts = []
        for name, (params, macs) in zip(names, costs, strict=True):
            info = get_model_info(name)
            height, width = info.input_size
            texts.append(
                f"<b>{name}</b> ({info.paper.title[:60]}, arXiv {info.paper.arxiv})<br>"
                + t(
                    f"{params / 1e6:.2f}M parameters, {macs / 1e9:.2f}G Mult-Adds at {height}×{width}",
                    f"{params / 1e6:.2f}M 参数，{height}×{width} 时 {macs / 1e9:.2f}G 次乘加",
                )
            )
        traces.append(
            go.Scatter(
                x=[params / 1e6 for params, _ in costs],
                y=[macs / 1e9 for _, macs in costs],
                mode="markers+text",
                name=t(task, TASKS_ZH[task]),
                text=names,
                customdata=texts,
                textposition=positions[task],
                marker={"color": colour, "size": 11},
                hovertemplate="%{customdata}<extra></extra>",
            )
        )
    count = len(list_models())
    layout = base_layout(
        t(f"All {count} registered models: cost vs size", f"全部 {count} 个已注册模型：计算量与大小"),
        height=500,
        xaxis=axis(t("parameters (millions, log)", "参数量（百万，对数）"), type="log", tickvals=LOG_TICKS),
        yaxis=axis(t("Mult-Adds (billions, log)", "乘加次数（十亿，对数）"), type="log", tickvals=LOG_TICKS),
        margin={"l": 60, "r": 10, "t": 50, "b": 90},
    )
    return go.Figure(traces, layout)
