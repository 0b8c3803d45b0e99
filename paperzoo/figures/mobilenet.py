"""MobileNet figures: separable-convolution cost, V1 width × resolution and layer types, V2 blocks.

Howard et al., arXiv 1704.04861 (MobileNetV1), and Sandler et al., arXiv 1801.04381 (MobileNetV2).
Every cost is counted by `paperzoo.analysis` on the models of `paperzoo.models`, run on PyTorch's
`meta` device (shapes only, no arithmetic), except the papers' printed values shown next to them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import nn

from paperzoo.analysis import (
    LAYER_KINDS,
    complexity,
    count_macs,
    separable_conv_macs,
    separable_cost_ratio,
    standard_conv_macs,
)
from paperzoo.figures._style import PALETTE, axis, base_layout, menu, pick, plotly_go
from paperzoo.models.mobilenet_v1 import mobilenet_v1
from paperzoo.models.mobilenet_v2 import BOTTLENECKS, mobilenet_v2

__all__ = ["CAPTIONS", "separable_cost", "v1_layer_types", "v1_width_resolution", "v2_blocks"]

# The caption under each figure: what to look for (plotly_fence writes it into a <figcaption>).
CAPTIONS = {
    "separable_cost": {
        "en": "A depthwise-separable layer costs 1/N + 1/D_K² of a standard convolution, 8 to 9 times less "
        "with 3×3 kernels, and the 13 separable layers measured in MobileNetV1 sit on that curve.",
        "zh": "深度可分离卷积的计算量是标准卷积的 1/N + 1/D_K²，3×3 卷积核时约少 8 到 9 倍；"
        "在 MobileNetV1 中实测的 13 个可分离层正好落在这条曲线上。",
    },
    "v1_width_resolution": {
        "en": "The width multiplier α shrinks both Mult-Adds and weights by about α², the resolution only the "
        "Mult-Adds (each α's four points share one weight count); the computed models land on the "
        "paper's Tables 6 and 7.",
        "zh": "宽度乘子 α 使计算量和参数量都约按 α² 缩小，分辨率只影响计算量（同一 α 的四个点参数量相同）；"
        "计算出的模型与论文表 6、表 7 的数值重合。",
    },
    "v1_layer_types": {
        "en": "1×1 convolutions do 95 % of the Mult-Adds and hold 75 % of the weights, the FC layer holds most "
        "of the rest; the paper prints 1.19 % for the full 3×3 convolution, but the shares only add up "
        "to 100 % with the computed 1.91 %.",
        "zh": "1×1 卷积承担 95% 的计算量、持有 75% 的参数，其余参数大多在全连接层；论文给第一层标准 3×3 卷积印的是 "
        "1.19%，但只有计算出的 1.91% 才能使各项加起来等于 100%。",
    },
    "v2_blocks": {
        "en": "Pick a width α: the widest tensor of a bottleneck (its expansion) is up to 4.8 times the block's "
        "input + output, which is all that memory-efficient inference has to keep (Sec. 5.1).",
        "zh": "选择宽度 α：瓶颈块内最宽的张量（扩展层）可达块输入与输出之和的 4.8 倍，"
        "而节省内存的推理只需保留输入与输出（第 5.1 节）。",
    },
}

V1_WIDTHS = (1.0, 0.75, 0.5, 0.25)
V1_RESOLUTIONS = (224, 192, 160, 128)
V2_WIDTHS = (0.35, 0.5, 0.75, 1.0, 1.4)

# MobileNetV1 Tables 6 and 7: (alpha, resolution) -> (ImageNet top-1 %, Mult-Adds in millions,
# parameters in millions), as printed.
PAPER_TABLES_6_7 = {
    (1.0, 224): (70.6, 569, 4.2),
    (0.75, 224): (68.4, 325, 2.6),
    (0.5, 224): (63.7, 149, 1.3),
    (0.25, 224): (50.6, 41, 0.5),
    (1.0, 192): (69.1, 418, 4.2),
    (1.0, 160): (67.2, 290, 4.2),
    (1.0, 128): (64.4, 186, 4.2),
}
# MobileNetV1 Table 2: share of Mult-Adds and of parameters per layer type, %, as printed.
PAPER_TABLE_2 = {
    "conv1x1": (94.86, 74.59),
    "depthwise": (3.06, 1.06),
    "conv": (1.19, 0.02),
    "fc": (0.18, 24.33),
}


def _meta(builder, **kwargs) -> nn.Module:
    """A model on the `meta` device, to count its conv and FC work without computing."""
    with torch.device("meta"):
        return builder(**kwargs).eval()


@functools.cache
def _v1_model(width: float) -> nn.Module:
    return _meta(mobilenet_v1, width_mult=width)


@functools.cache
def v1_cost(width: float, resolution: int) -> tuple[int, int]:
    """(Mult-Adds, conv + FC weights) of MobileNetV1 at `width` and `resolution`, by the analyser."""
    report = complexity(_v1_model(width), (1, 3, resolution, resolution))
    return report.macs, sum(kind.weights for kind in report.breakdown.values())


@dataclass(frozen=True)
class SeparableLayer:
    """A depthwise-separable layer of MobileNetV1 and the standard conv it replaces, measured."""

    index: int
    M: int
    N: int
    D_F: int  # output feature-map size
    separable_macs: int
    standard_macs: int


@functools.cache
def v1_separable_layers() -> tuple[SeparableLayer, ...]:
    """Count each of MobileNetV1's 13 separable layers and an equivalent standard 3×3 conv at 224."""
    model = _meta(mobilenet_v1)
    inputs: dict[int, torch.Tensor] = {}
    hooks = [
        model.features[i].register_forward_pre_hook(lambda _, args, i=i: inputs.__setitem__(i, args[0]))
        for i in range(1, len(model.features))
    ]
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224, device="meta"))
    for hook in hooks:
        hook.remove()
    layers = []
    for i, x in sorted(inputs.items()):
        block = model.features[i]
        depthwise, pointwise = block[0][0], block[1][0]
        standard = nn.Conv2d(
            depthwise.in_channels, pointwise.out_channels, 3, depthwise.stride, 1, bias=False, device="meta"
        )
        out = block(x)
        layers.append(
            SeparableLayer(
                i,
                depthwise.in_channels,
                pointwise.out_channels,
                out.shape[-1],
                count_macs(block, x),
                count_macs(standard, x),
            )
        )
    return tuple(layers)


def separable_cost(lang: str = "en"):
    r"""Standard vs depthwise-separable convolution (Sec. 3.1): Mult-Adds as $D_K$ and $N$ vary, and
    the ratio $\frac{1}{N} + \frac{1}{D_K^2}$ with the 13 separable layers of MobileNetV1 measured.

    The two panels are stacked, so each keeps the page's full width on a phone.
    """
    go = plotly_go()
    from plotly.subplots import make_subplots

    t = functools.partial(pick, lang)
    figure = make_subplots(
        rows=2,
        cols=1,
        vertical_spacing=0.17,
        subplot_titles=(
            t("Mult-Adds, M = N, D_F = 14", "计算量（M = N，D_F = 14）"),
            t("separable / standard", "可分离 / 标准"),
        ),
    )
    channels = [2**p for p in range(3, 11)]
    for colour, d_k in zip(PALETTE, (3, 5, 7), strict=False):
        standard = [standard_conv_macs(d_k, n, n, 14) for n in channels]
        separable = [separable_conv_macs(d_k, n, n, 14) for n in channels]
        hover = "N = %{x}: %{y:.3s} Mult-Adds"
        # One legend entry per D_K: the subtitle says which line style is which convolution.
        figure.add_trace(
            go.Scatter(
                x=channels,
                y=standard,
                name=f"D_K = {d_k}",
                legendgroup=str(d_k),
                line={"color": colour},
                hovertemplate=t("standard", "标准") + ", " + hover,
            ),
            1,
            1,
        )
        figure.add_trace(
            go.Scatter(
                x=channels,
                y=separable,
                name=f"D_K = {d_k}",
                legendgroup=str(d_k),
                showlegend=False,
                line={"color": colour, "dash": "dash"},
                hovertemplate=t("separable", "可分离") + ", " + hover,
            ),
            1,
            1,
        )
        dense = [2 ** (p / 4) for p in range(12, 41)]
        figure.add_trace(
            go.Scatter(
                x=dense,
                y=[separable_cost_ratio(round(n), d_k) for n in dense],
                name=f"1/N + 1/D_K², D_K = {d_k}",
                legendgroup=str(d_k),
                showlegend=False,
                line={"color": colour},
                hovertemplate="N = %{x:.0f}: %{y:.4f}",
            ),
            2,
            1,
        )
    layers = v1_separable_layers()
    texts = [
        t(
            f"MobileNetV1 layer {layer.index}: M = {layer.M}, N = {layer.N}, D_F = {layer.D_F}<br>"
            f"separable {layer.separable_macs:,} vs standard {layer.standard_macs:,} Mult-Adds<br>",
            f"MobileNetV1 第 {layer.index} 层：M = {layer.M}，N = {layer.N}，D_F = {layer.D_F}<br>"
            f"可分离 {layer.separable_macs:,}，标准 {layer.standard_macs:,} 次乘加<br>",
        )
        + t("measured", "实测")
        + f" {layer.separable_macs / layer.standard_macs:.4f}, "
        + t("formula", "公式")
        + f" {separable_cost_ratio(layer.N, 3):.4f}"
        for layer in layers
    ]
    figure.add_trace(
        go.Scatter(
            x=[layer.N for layer in layers],
            y=[layer.separable_macs / layer.standard_macs for layer in layers],
            mode="markers",
            name=t("measured: MobileNetV1's 13 separable layers", "实测：MobileNetV1 的 13 个可分离层"),
            marker={"color": PALETTE[3], "size": 10, "symbol": "diamond"},
            text=texts,
            hovertemplate="%{text}<extra></extra>",
        ),
        2,
        1,
    )
    title = t("Separable vs standard convolution", "深度可分离卷积与标准卷积")
    subtitle = t("solid: standard, dashed: separable", "实线：标准卷积，虚线：可分离卷积")
    figure.update_layout(
        base_layout(
            f"{title}<br><sup>{subtitle}</sup>", height=720, margin={"l": 70, "r": 10, "t": 80, "b": 100}
        )
    )
    figure.update_xaxes(
        axis(t("output channels N", "输出通道数 N"), type="log", dtick=0.30103, tickformat="d")
    )
    figure.update_yaxes(axis(t("Mult-Adds", "乘加次数"), type="log", exponentformat="SI"), row=1, col=1)
    figure.update_yaxes(axis(t("cost ratio", "计算量之比"), rangemode="tozero"), row=2, col=1)
    return figure


def v1_width_resolution(lang: str = "en"):
    """MobileNetV1's 16 width × resolution models (Sec. 3.3-3.4): Mult-Adds and parameters counted by
    the analyser, with the values printed in Tables 6 and 7."""
    go = plotly_go()
    t = functools.partial(pick, lang)
    symbols = ("circle", "square", "diamond", "triangle-up")
    traces = []
    for colour, width in zip(PALETTE, V1_WIDTHS, strict=False):
        costs = [v1_cost(width, resolution) for resolution in V1_RESOLUTIONS]
        texts = [
            f"α = {width}, {resolution}×{resolution}: {macs / 1e6:.1f}M " + t("Mult-Adds", "次乘加") + ", "
            f"{weights / 1e6:.3f}M " + t("weights", "参数")
            for resolution, (macs, weights) in zip(V1_RESOLUTIONS, costs, strict=True)
        ]
        traces.append(
            go.Scatter(
                x=[macs / 1e6 for macs, _ in costs],
                y=[weights / 1e6 for _, weights in costs],
                mode="markers+lines",
                name=f"α = {width} " + t("(computed)", "（计算）"),
                line={"color": colour, "width": 1},
                marker={"color": colour, "size": 11, "symbol": list(symbols)},
                text=texts,
                hovertemplate="%{text}<extra></extra>",
            )
        )
    keys = list(PAPER_TABLES_6_7)
    texts = []
    for width, resolution in keys:
        top1, macs, params = PAPER_TABLES_6_7[(width, resolution)]
        ours_macs, ours_weights = v1_cost(width, resolution)
        table = 6 if resolution == 224 else 7
        texts.append(
            t(
                f"paper Table {table}, {width} MobileNet-{resolution}: {macs}M Mult-Adds, {params}M "
                f"params, {top1}% top-1<br>analyser: {ours_macs / 1e6:.1f}M, {ours_weights / 1e6:.2f}M",
                f"论文表 {table}，{width} MobileNet-{resolution}：{macs}M 次乘加，{params}M 参数，"
                f"top-1 {top1}%<br>分析器：{ours_macs / 1e6:.1f}M，{ours_weights / 1e6:.2f}M",
            )
        )
    traces.append(
        go.Scatter(
            x=[PAPER_TABLES_6_7[k][1] for k in keys],
            y=[PAPER_TABLES_6_7[k][2] for k in keys],
            mode="markers",
            name=t("paper, Tables 6 and 7", "论文表 6 和表 7"),
            marker={"color": PALETTE[7], "size": 18, "symbol": "circle-open", "line": {"width": 2}},
            text=texts,
            hovertemplate="%{text}<extra></extra>",
        )
    )
    title = t("MobileNetV1: width α × resolution", "MobileNetV1：宽度 α × 分辨率")
    layout = base_layout(
        f"{title}<br><sup>○ 224  □ 192  ◇ 160  △ 128</sup>",
        height=500,
        xaxis=axis(t("Mult-Adds (millions, log)", "乘加次数（百万，对数）"), type="log"),
        yaxis=axis(t("conv + FC weights (millions)", "卷积与全连接参数（百万）"), rangemode="tozero"),
        margin={"l": 60, "r": 10, "t": 70, "b": 130},
    )
    return go.Figure(traces, layout)


def v1_layer_types(lang: str = "en"):
    """MobileNetV1 Table 2: share of Mult-Adds and parameters per layer type, computed vs printed.

    The two panels are stacked and each bar carries its value inside it (outside when the bar is too
    short), so the labels stay readable on a phone.
    """
    go = plotly_go()
    from plotly.subplots import make_subplots

    t = functools.partial(pick, lang)
    report = complexity(_v1_model(1.0), (1, 3, 224, 224))
    kinds = list(PAPER_TABLE_2)
    assert kinds == [kind for kind in LAYER_KINDS if kind in PAPER_TABLE_2]
    labels = [
        t("Conv 1×1", "1×1 卷积"),
        t("Depthwise 3×3", "深度 3×3"),
        t("Full conv 3×3", "标准 3×3"),
        t("FC", "全连接"),
    ]  # LAYER_KINDS, order of Table 2
    figure = make_subplots(
        rows=2,
        cols=1,
        vertical_spacing=0.2,
        subplot_titles=(t("Mult-Adds (%)", "计算量（%）"), t("Parameters (%)", "参数量（%）")),
    )
    note = t(
        "<br>the paper prints 1.19: the shares only add up to 100 % with 1.91",
        "<br>论文印作 1.19：各项只有取 1.91 才加起来等于 100%",
    )
    for row, (field, paper_col) in enumerate((("macs_percent", 0), ("weights_percent", 1)), start=1):
        ours = [getattr(report.breakdown[kind], field) for kind in kinds]
        paper = [PAPER_TABLE_2[kind][paper_col] for kind in kinds]
        notes = [note if kind == "conv" and row == 1 else "" for kind in kinds]
        for values, name, colour, source in (
            (
                ours,
                t("computed (paperzoo.analysis)", "计算（paperzoo.analysis）"),
                PALETTE[0],
                t("computed", "计算"),
            ),
            (paper, t("paper, Table 2", "论文表 2"), PALETTE[7], t("in the paper", "论文")),
        ):
            figure.add_trace(
                go.Bar(
                    x=labels,
                    y=values,
                    name=name,
                    marker_color=colour,
                    showlegend=row == 1,
                    text=[f"{v:.2f}" for v in values],
                    textposition="auto",
                    textangle=0,
                    textfont={"size": 10},
                    cliponaxis=False,
                    customdata=notes,
                    hovertemplate=f"%{{x}}: %{{y:.2f}} % {source}%{{customdata}}<extra></extra>",
                ),
                row,
                1,
            )
    figure.update_layout(
        base_layout(
            t("MobileNetV1 cost per layer type", "MobileNetV1 各类层的开销"),
            height=620,
            barmode="group",
            margin={"l": 50, "r": 10, "t": 70, "b": 90},
        )
    )
    figure.update_yaxes(axis("", type="log", range=[-2, 2.3]))
    figure.update_xaxes(showgrid=False)
    return figure


@dataclass(frozen=True)
class BlockCost:
    """One entry of MobileNetV2's `features` at 224×224: its Mult-Adds and tensor sizes (elements)."""

    label: str
    macs: int
    widest: int  # the largest tensor inside the block (the expansion of a bottleneck)
    boundary: int  # block input + output: what Sec. 5.1's memory-efficient inference must keep


def _v2_labels() -> list[str]:
    labels = ["conv 3×3, 32, s2"]
    for t, c, n, s in BOTTLENECKS:  # Table 2 (t, c, n, s)
        labels += [f"bottleneck t={t}, c={c}, s={s if i == 0 else 1}" for i in range(n)]
    return [*labels, "conv 1×1, 1280"]


@functools.cache
def v2_block_costs(width: float) -> tuple[BlockCost, ...]:
    """Per-block Mult-Adds (analyser) and tensor sizes (forward hooks) of MobileNetV2 at `width`."""
    model = _meta(mobilenet_v2, width_mult=width)
    widest: dict[int, int] = {}
    boundary: dict[int, int] = {}
    hooks = []
    for i, block in enumerate(model.features):

        def track(module, args, output, i=i):
            widest[i] = max(widest.get(i, 0), output.numel(), args[0].numel())

        def ends(module, args, output, i=i):
            boundary[i] = args[0].numel() + output.numel()

        hooks.append(block.register_forward_hook(ends))
        hooks += [
            leaf.register_forward_hook(track)
            for leaf in block.modules()
            if next(leaf.children(), None) is None
        ]
    report = complexity(model, (1, 3, 224, 224))
    for hook in hooks:
        hook.remove()
    macs = [0] * len(model.features)
    for layer in report.layers:
        if layer.name.startswith("features."):
            macs[int(layer.name.split(".")[1])] += layer.macs
    labels = _v2_labels()
    assert len(labels) == len(model.features)
    return tuple(BlockCost(labels[i], macs[i], widest[i], boundary[i]) for i in range(len(model.features)))


def v2_blocks(lang: str = "en"):
    """MobileNetV2 per block: Mult-Adds, the widest tensor, and the block input + output (Sec. 5.1's
    memory argument for inverted residuals); a menu sweeps the width multiplier."""
    go = plotly_go()
    t = functools.partial(pick, lang)
    default = V2_WIDTHS.index(1.0)
    x = list(range(len(v2_block_costs(1.0))))
    traces = []
    for j, width in enumerate(V2_WIDTHS):
        blocks = v2_block_costs(width)
        shown = j == default
        hover = [
            f"{i}: {b.label}<br>{b.macs / 1e6:.2f}M "
            + t("Mult-Adds", "次乘加")
            + "<br>"
            + t(
                f"widest tensor {b.widest / 1e3:.0f}K, input + output {b.boundary / 1e3:.0f}K elements",
                f"最宽张量 {b.widest / 1e3:.0f}K，输入 + 输出 {b.boundary / 1e3:.0f}K 个元素",
            )
            for i, b in enumerate(blocks)
        ]
        traces.append(
            go.Bar(
                x=x,
                y=[b.macs / 1e6 for b in blocks],
                name=t("Mult-Adds (M)", "乘加次数（M）"),
                visible=shown,
                marker_color=PALETTE[0],
                text=hover,
                hovertemplate="%{text}<extra></extra>",
                textposition="none",
            )
        )
        traces.append(
            go.Scatter(
                x=x,
                y=[b.widest / 1e3 for b in blocks],
                yaxis="y2",
                visible=shown,
                name=t("widest tensor in the block (K elements)", "块内最宽张量（千个元素）"),
                mode="lines+markers",
                line={"color": PALETTE[3]},
                hovertemplate=t("widest", "最宽") + ": %{y:.0f}K<extra></extra>",
            )
        )
        traces.append(
            go.Scatter(
                x=x,
                y=[b.boundary / 1e3 for b in blocks],
                yaxis="y2",
                visible=shown,
                name=t("block input + output (K elements)", "块输入 + 输出（千个元素）"),
                mode="lines+markers",
                line={"color": PALETTE[2], "dash": "dash"},
                hovertemplate=t("input + output", "输入 + 输出") + ": %{y:.0f}K<extra></extra>",
            )
        )
    buttons = []
    for j, width in enumerate(V2_WIDTHS):
        total = sum(b.macs for b in v2_block_costs(width)) / 1e6
        visible = [k // 3 == j for k in range(len(traces))]
        buttons.append(
            {
                "label": t(
                    f"Width α = {width}: {total:.0f}M Mult-Adds", f"宽度 α = {width}：{total:.0f}M 次乘加"
                ),
                "method": "update",
                "args": [{"visible": visible}],
            }
        )
    layout = base_layout(
        t("MobileNetV2 cost per block, 224×224", "MobileNetV2 每个块的开销（224×224）"),
        height=520,
        xaxis=axis(
            t(
                "block i of features (hover: Table 2's t, c, s)",
                "features 的第 i 个块（悬停显示表 2 的 t、c、s）",
            ),
            showgrid=False,
        ),
        yaxis=axis(t("Mult-Adds (millions)", "乘加次数（百万）"), rangemode="tozero"),
        yaxis2={
            "title": {"text": t("thousands of elements", "千个元素")},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "tickmode": "auto",
        },
        updatemenus=[menu(buttons, active=default)],
        margin={"l": 60, "r": 60, "t": 90, "b": 140},
    )
    return go.Figure(traces, layout)
