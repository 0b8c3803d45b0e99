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
from paperzoo.figures._style import PALETTE, axis, base_layout, plotly_go
from paperzoo.models.mobilenet_v1 import mobilenet_v1
from paperzoo.models.mobilenet_v2 import BOTTLENECKS, mobilenet_v2

__all__ = ["separable_cost", "v1_layer_types", "v1_width_resolution", "v2_blocks"]

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
PAPER_TABLE_2 = {"conv1x1": (94.86, 74.59), "depthwise": (3.06, 1.06), "conv": (1.19, 0.02), "fc": (0.18, 24.33)}


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
    hooks = [model.features[i].register_forward_pre_hook(lambda _, args, i=i: inputs.__setitem__(i, args[0]))
             for i in range(1, len(model.features))]
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224, device="meta"))
    for hook in hooks:
        hook.remove()
    layers = []
    for i, x in sorted(inputs.items()):
        block = model.features[i]
        depthwise, pointwise = block[0][0], block[1][0]
        standard = nn.Conv2d(depthwise.in_channels, pointwise.out_channels, 3, depthwise.stride, 1, bias=False,
                             device="meta")
        out = block(x)
        layers.append(SeparableLayer(i, depthwise.in_channels, pointwise.out_channels, out.shape[-1],
                                     count_macs(block, x), count_macs(standard, x)))
    return tuple(layers)


def separable_cost():
    r"""Standard vs depthwise-separable convolution (Sec. 3.1): Mult-Adds as $D_K$ and $N$ vary, and
    the ratio $\frac{1}{N} + \frac{1}{D_K^2}$ with the 13 separable layers of MobileNetV1 measured."""
    go = plotly_go()
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        "Mult-Adds, M = N, D_F = 14", "separable / standard"))
    channels = [2**p for p in range(3, 11)]
    for colour, d_k in zip(PALETTE, (3, 5, 7), strict=False):
        standard = [standard_conv_macs(d_k, n, n, 14) for n in channels]
        separable = [separable_conv_macs(d_k, n, n, 14) for n in channels]
        figure.add_trace(go.Scatter(x=channels, y=standard, name=f"standard, D_K = {d_k}", legendgroup=str(d_k),
                                    line={"color": colour}, hovertemplate="N = %{x}: %{y:.3s} Mult-Adds"), 1, 1)
        figure.add_trace(go.Scatter(x=channels, y=separable, name=f"separable, D_K = {d_k}",
                                    legendgroup=str(d_k), line={"color": colour, "dash": "dash"},
                                    hovertemplate="N = %{x}: %{y:.3s} Mult-Adds"), 1, 1)
        dense = [2**(p / 4) for p in range(12, 41)]
        figure.add_trace(go.Scatter(x=dense, y=[separable_cost_ratio(round(n), d_k) for n in dense],
                                    name=f"1/N + 1/D_K², D_K = {d_k}", legendgroup=str(d_k), showlegend=False,
                                    line={"color": colour}, hovertemplate="N = %{x:.0f}: %{y:.4f}"), 1, 2)
    layers = v1_separable_layers()
    texts = [f"MobileNetV1 layer {layer.index}: M = {layer.M}, N = {layer.N}, D_F = {layer.D_F}<br>"
             f"separable {layer.separable_macs:,} vs standard {layer.standard_macs:,} Mult-Adds<br>"
             f"measured {layer.separable_macs / layer.standard_macs:.4f}, "
             f"formula {separable_cost_ratio(layer.N, 3):.4f}" for layer in layers]
    figure.add_trace(go.Scatter(x=[layer.N for layer in layers],
                                y=[layer.separable_macs / layer.standard_macs for layer in layers],
                                mode="markers", name="measured: MobileNetV1's 13 separable layers",
                                marker={"color": PALETTE[3], "size": 10, "symbol": "diamond"},
                                text=texts, hovertemplate="%{text}<extra></extra>"), 1, 2)
    figure.update_layout(base_layout(
        "Depthwise-separable convolution costs 1/N + 1/D_K² of a standard one", height=460,
        legend={"orientation": "h", "x": 0.0, "y": -0.3, "yanchor": "top"},
        margin={"l": 70, "r": 20, "t": 80, "b": 160},
    ))
    figure.update_xaxes(axis("output channels N", type="log", dtick=0.30103, tickformat="d"))
    figure.update_yaxes(axis("Mult-Adds", type="log", exponentformat="SI"), row=1, col=1)
    figure.update_yaxes(axis("cost ratio", rangemode="tozero"), row=1, col=2)
    return figure


def v1_width_resolution():
    """MobileNetV1's 16 width × resolution models (Sec. 3.3-3.4): Mult-Adds and parameters counted by
    the analyser, with the values printed in Tables 6 and 7."""
    go = plotly_go()
    symbols = ("circle", "square", "diamond", "triangle-up")
    traces = []
    for colour, width in zip(PALETTE, V1_WIDTHS, strict=False):
        costs = [v1_cost(width, resolution) for resolution in V1_RESOLUTIONS]
        texts = [f"α = {width}, {resolution}×{resolution}: {macs / 1e6:.1f}M Mult-Adds, {weights / 1e6:.3f}M "
                 f"weights" for resolution, (macs, weights) in zip(V1_RESOLUTIONS, costs, strict=True)]
        traces.append(go.Scatter(
            x=[macs / 1e6 for macs, _ in costs], y=[weights / 1e6 for _, weights in costs],
            mode="markers+lines", name=f"α = {width} (computed)", line={"color": colour, "width": 1},
            marker={"color": colour, "size": 11, "symbol": list(symbols)}, text=texts,
            hovertemplate="%{text}<extra></extra>",
        ))
    keys = list(PAPER_TABLES_6_7)
    texts = []
    for width, resolution in keys:
        top1, macs, params = PAPER_TABLES_6_7[(width, resolution)]
        ours_macs, ours_weights = v1_cost(width, resolution)
        table = 6 if resolution == 224 else 7
        texts.append(f"paper Table {table}, {width} MobileNet-{resolution}: {macs}M Mult-Adds, {params}M "
                     f"params, {top1}% top-1<br>analyser: {ours_macs / 1e6:.1f}M, {ours_weights / 1e6:.2f}M")
    traces.append(go.Scatter(
        x=[PAPER_TABLES_6_7[k][1] for k in keys], y=[PAPER_TABLES_6_7[k][2] for k in keys], mode="markers",
        name="paper, Tables 6 and 7", marker={"color": PALETTE[7], "size": 18, "symbol": "circle-open",
                                              "line": {"width": 2}},
        text=texts, hovertemplate="%{text}<extra></extra>",
    ))
    layout = base_layout(
        "MobileNetV1: width multiplier α × resolution (○ 224, □ 192, ◇ 160, △ 128)", height=460,
        xaxis=axis("Mult-Adds (millions, log)", type="log"),
        yaxis=axis("conv + FC weights (millions)", rangemode="tozero"),
        legend={"orientation": "v", "x": 0.02, "y": 0.98, "xanchor": "left", "yanchor": "top"},
    )
    return go.Figure(traces, layout)


def v1_layer_types():
    """MobileNetV1 Table 2: share of Mult-Adds and parameters per layer type, computed vs printed."""
    go = plotly_go()
    from plotly.subplots import make_subplots

    report = complexity(_v1_model(1.0), (1, 3, 224, 224))
    kinds = list(PAPER_TABLE_2)
    assert kinds == [kind for kind in LAYER_KINDS if kind in PAPER_TABLE_2]
    labels = ["Conv 1×1", "Depthwise<br>conv 3×3", "Full<br>conv 3×3", "FC"]  # LAYER_KINDS, order of Table 2
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Mult-Adds (%)", "Parameters (%)"),
                           horizontal_spacing=0.1)
    for col, (field, paper_col) in enumerate((("macs_percent", 0), ("weights_percent", 1)), start=1):
        ours = [getattr(report.breakdown[kind], field) for kind in kinds]
        paper = [PAPER_TABLE_2[kind][paper_col] for kind in kinds]
        notes = ["<br>the paper prints 1.19: the shares only add up to 100 % with 1.91"
                 if kind == "conv" and col == 1 else "" for kind in kinds]
        figure.add_trace(go.Bar(x=labels, y=ours, name="computed (paperzoo.analysis)", marker_color=PALETTE[0],
                                showlegend=col == 1, text=[f"{v:.2f}" for v in ours], textposition="outside",
                                textangle=-90, textfont={"size": 10},
                                customdata=notes, hovertemplate="%{x}: %{y:.2f} % computed%{customdata}"
                                "<extra></extra>"), 1, col)
        figure.add_trace(go.Bar(x=labels, y=paper, name="paper, Table 2", marker_color=PALETTE[7],
                                showlegend=col == 1, text=[f"{v:.2f}" for v in paper], textposition="outside",
                                textangle=-90, textfont={"size": 10},
                                customdata=notes, hovertemplate="%{x}: %{y:.2f} % in the paper%{customdata}"
                                "<extra></extra>"), 1, col)
    figure.update_layout(base_layout("MobileNetV1 resources per layer type (Table 2)", height=440,
                                     barmode="group", margin={"l": 60, "r": 20, "t": 80, "b": 100},
                                     legend={"orientation": "h", "x": 0.0, "y": -0.2, "yanchor": "top"}))
    figure.update_yaxes(axis("", type="log", range=[-2, 2.7]))
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
        hooks += [leaf.register_forward_hook(track) for leaf in block.modules() if next(leaf.children(), None) is None]
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


def v2_blocks():
    """MobileNetV2 per block: Mult-Adds, the widest tensor, and the block input + output (Sec. 5.1's
    memory argument for inverted residuals); buttons sweep the width multiplier."""
    go = plotly_go()
    default = V2_WIDTHS.index(1.0)
    x = list(range(len(v2_block_costs(1.0))))
    traces = []
    for j, width in enumerate(V2_WIDTHS):
        blocks = v2_block_costs(width)
        shown = j == default
        hover = [f"{i}: {b.label}<br>{b.macs / 1e6:.2f}M Mult-Adds<br>widest tensor {b.widest / 1e3:.0f}K, "
                 f"input + output {b.boundary / 1e3:.0f}K elements" for i, b in enumerate(blocks)]
        traces.append(go.Bar(x=x, y=[b.macs / 1e6 for b in blocks], name="Mult-Adds (M)", visible=shown,
                             marker_color=PALETTE[0], text=hover, hovertemplate="%{text}<extra></extra>",
                             textposition="none"))
        traces.append(go.Scatter(x=x, y=[b.widest / 1e3 for b in blocks], yaxis="y2", visible=shown,
                                 name="widest tensor in the block (K elements)", mode="lines+markers",
                                 line={"color": PALETTE[3]}, hovertemplate="widest: %{y:.0f}K<extra></extra>"))
        traces.append(go.Scatter(x=x, y=[b.boundary / 1e3 for b in blocks], yaxis="y2", visible=shown,
                                 name="block input + output (K elements)", mode="lines+markers",
                                 line={"color": PALETTE[2], "dash": "dash"},
                                 hovertemplate="input + output: %{y:.0f}K<extra></extra>"))
    buttons = []
    for j, width in enumerate(V2_WIDTHS):
        total = sum(b.macs for b in v2_block_costs(width)) / 1e6
        visible = [k // 3 == j for k in range(len(traces))]
        buttons.append({"label": f"α = {width} ({total:.0f}M)", "method": "update", "args": [{"visible": visible}]})
    layout = base_layout(
        "MobileNetV2 at 224×224: cost and activation size per block", height=480,
        xaxis=axis("block i of features (hover: Table 2's t, c, s)", dtick=1, showgrid=False),
        yaxis=axis("Mult-Adds (millions)", rangemode="tozero"),
        yaxis2={"title": {"text": "thousands of elements"}, "overlaying": "y", "side": "right",
                "rangemode": "tozero", "showgrid": False, "tickmode": "auto"},
        updatemenus=[{"type": "buttons", "direction": "right", "buttons": buttons, "active": default,
                      "x": 0.0, "xanchor": "left", "y": 1.02, "yanchor": "bottom", "pad": {"t": 0}}],
        legend={"orientation": "h", "x": 0.0, "y": -0.25, "yanchor": "top"},
        margin={"l": 60, "r": 70, "t": 100, "b": 130},
    )
    return go.Figure(traces, layout)
