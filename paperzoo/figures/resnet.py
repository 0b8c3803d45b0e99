"""ResNet figures: where the multiply-adds and parameters of Table 1's five depths go, stage by stage,
and the CIFAR-10 depth ladder of Sec. 4.2 (parameters counted here, errors as the paper reports them)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from paperzoo.analysis import complexity, count_params
from paperzoo.figures._style import PALETTE, axis, base_layout, legend_below, menu, pick, plotly_go
from paperzoo.models.resnet import CIFAR_N, IMAGENET_LAYERS, CifarResNet, ResNet

__all__ = ["CAPTIONS", "StageCost", "cifar_depths", "imagenet_stage_costs", "stage_costs"]

# The caption under each figure: what to look for (the site's plotly fence writes it into a <figcaption>).
CAPTIONS = {
    "stage_costs": {
        "en": "Depth goes into conv4_x: from ResNet-50 to 152 only that stage grows, and the torchvision "
        "bottleneck (v1.5) costs more than the paper's at the same parameters.",
        "zh": "加深的部分都在 conv4_x：从 ResNet-50 到 152 只有这一阶段变大；torchvision 的瓶颈（v1.5）在参数量相同时"
        "比论文的更费计算。",
    },
    "cifar_depths": {
        "en": "Parameters grow linearly with depth while the paper's error falls until 110 layers and rises "
        "again at 1202.",
        "zh": "参数量随深度线性增长，而论文的错误率一直下降到 110 层，到 1202 层又上升。",
    },
}

# Table 1's column names for the parts of a ResNet, in order.
STAGES = ("conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "fc")
_MODULE_STAGE = {
    "conv1": "conv1",
    "layer1": "conv2_x",
    "layer2": "conv3_x",
    "layer3": "conv4_x",
    "layer4": "conv5_x",
    "fc": "fc",
}

# Table 6: test error (%) on CIFAR-10 of the ResNets of Sec. 4.2 (ResNet-110: best of 5 runs; the mean
# is 6.61 ± 0.16). Reported by the paper; training them is out of reach of this site's build.
CIFAR_TEST_ERROR = {20: 8.75, 32: 7.51, 44: 7.17, 56: 6.97, 110: 6.43, 1202: 7.93}


@dataclass(frozen=True)
class StageCost:
    """Multiply-adds and parameters of one part of a ResNet (a column of Table 1)."""

    stage: str
    macs: int
    params: int


@functools.cache
def imagenet_stage_costs(depth: int, variant: str = "v1") -> tuple[StageCost, ...]:
    """Cost of conv1, conv2_x ... conv5_x and fc of ResNet-`depth` at 224×224, counted on `meta`."""
    with torch.device("meta"):
        model = ResNet(depth=depth, variant=variant).eval()
    layers = complexity(model, (1, 3, 224, 224)).layers
    macs = dict.fromkeys(STAGES, 0)
    for layer in layers:
        macs[_MODULE_STAGE.get(layer.name.split(".")[0], "conv1")] += layer.macs
    params = {stage: 0 for stage in STAGES}
    for name, child in model.named_children():
        params[_MODULE_STAGE.get(name, "conv1")] += count_params(child)
    return tuple(StageCost(stage, macs[stage], params[stage]) for stage in STAGES)


def stage_costs(lang: str = "en"):
    """Table 1's five ResNets: multiply-adds (or parameters) per stage, for either bottleneck variant.

    A dropdown picks the quantity and, for the bottleneck networks, where the stride sits.
    """
    go = plotly_go()
    t = functools.partial(pick, lang)
    depths = sorted(IMAGENET_LAYERS)
    states = [("macs", "v1"), ("macs", "v1.5"), ("params", "v1")]
    labels = [
        t("Count: MACs, paper (v1)", "统计：乘加数，论文（v1）"),
        t("Count: MACs, torchvision (v1.5)", "统计：乘加数，torchvision（v1.5）"),
        t("Count: parameters", "统计：参数量"),
    ]
    traces = []
    for k, (quantity, variant) in enumerate(states):
        costs = {depth: imagenet_stage_costs(depth, variant) for depth in depths}
        scale = 1e9 if quantity == "macs" else 1e6
        for i, stage in enumerate(STAGES):
            values = [getattr(costs[d][i], quantity) / scale for d in depths]
            traces.append(
                go.Bar(
                    x=[str(d) for d in depths],
                    y=values,
                    name=stage,
                    visible=k == 0,
                    marker_color=PALETTE[i % len(PALETTE)],
                    showlegend=True,
                    hovertemplate=f"{stage}: %{{y:.3f}}{'G' if quantity == 'macs' else 'M'}<extra></extra>",
                )
            )
    buttons = []
    for k, label in enumerate(labels):
        unit = (
            t("multiply-adds (×10⁹)", "乘加数（×10⁹）")
            if states[k][0] == "macs"
            else t("parameters (millions)", "参数量（百万）")
        )
        visible = [j // len(STAGES) == k for j in range(len(traces))]
        buttons.append(
            {"label": label, "method": "update", "args": [{"visible": visible}, {"yaxis.title.text": unit}]}
        )
    layout = base_layout(
        t("Cost per stage (Table 1, 224×224)", "各阶段的开销（表 1，224×224）"),
        height=480,
        barmode="stack",
        xaxis=axis(t("ResNet depth (layers)", "ResNet 深度（层数）"), showgrid=False, type="category"),
        yaxis=axis(t("multiply-adds (×10⁹)", "乘加数（×10⁹）"), rangemode="tozero"),
        updatemenus=[menu(buttons)],
        legend=legend_below(),
        margin={"l": 60, "r": 20, "t": 100, "b": 90},
    )
    return go.Figure(traces, layout)


@functools.cache
def _cifar_params(depth: int) -> int:
    with torch.device("meta"):
        return count_params(CifarResNet(n=CIFAR_N[depth]))


def cifar_depths(lang: str = "en"):
    """The CIFAR-10 ResNets of Sec. 4.2: parameters counted here (bars; the plain nets have the same,
    as option-A shortcuts have none) and the test errors of Table 6 as the paper reports them (line)."""
    go = plotly_go()
    t = functools.partial(pick, lang)
    depths = sorted(CIFAR_N)
    x = [str(d) for d in depths]
    params = go.Bar(
        x=x,
        y=[_cifar_params(d) / 1e6 for d in depths],
        name=t("parameters, counted (M)", "参数量，实测（M）"),
        marker_color=PALETTE[0],
        hovertemplate="%{y:.2f}M parameters<extra></extra>",
    )
    error = go.Scatter(
        x=x,
        y=[CIFAR_TEST_ERROR[d] for d in depths],
        yaxis="y2",
        mode="lines+markers",
        name=t(
            "test error, Table 6 (%; reported, not reproduced)", "测试错误率，表 6（%，论文报告，未复现）"
        ),
        line={"color": PALETTE[3]},
        hovertemplate="%{y:.2f} % error<extra></extra>",
    )
    layout = base_layout(
        t("CIFAR-10 ResNets (Sec. 4.2, Table 6)", "CIFAR-10 ResNet（4.2 节，表 6）"),
        height=440,
        xaxis=axis(
            t("layers (6n + 2, n = 3 … 200)", "层数（6n + 2，n = 3 … 200）"), showgrid=False, type="category"
        ),
        yaxis=axis(t("parameters (millions)", "参数量（百万）"), type="log"),
        yaxis2={
            "title": {"text": t("test error (%)", "测试错误率（%）")},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "range": [5, 10],
            "type": "linear",
            "tickmode": "linear",
            "dtick": 1,
        },
        legend=legend_below(),
        margin={"l": 60, "r": 60, "t": 60, "b": 110},
    )
    return go.Figure([params, error], layout)
