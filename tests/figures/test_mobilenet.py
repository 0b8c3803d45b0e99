"""MobileNet figures carry the analyser's counts (and the papers' printed values beside them)."""

from __future__ import annotations

import pytest

from paperzoo.analysis import separable_cost_ratio
from paperzoo.figures import mobilenet


def test_separable_layers_are_measured_and_match_the_formula():
    layers = mobilenet.v1_separable_layers()
    assert [layer.N for layer in layers] == [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
    first = layers[0]  # 112×112, M = 32, N = 64: 3·3·32·112² + 32·64·112² Mult-Adds
    assert first.separable_macs == 9 * 32 * 112**2 + 32 * 64 * 112**2
    assert first.standard_macs == 9 * 32 * 64 * 112**2
    for layer in layers:
        assert layer.separable_macs / layer.standard_macs == pytest.approx(separable_cost_ratio(layer.N, 3))
    figure = mobilenet.separable_cost()
    measured = next(t for t in figure.data if t.name.startswith("measured"))
    assert len(measured.x) == 13


def test_width_resolution_points_are_the_analysers_counts():
    assert mobilenet.v1_cost(1.0, 224) == (568_740_352, 4_209_088)  # paper: 569M, 4.2M
    figure = mobilenet.v1_width_resolution()
    computed = [t for t in figure.data if "computed" in t.name]
    assert sum(len(t.x) for t in computed) == 16
    alpha_quarter = next(t for t in computed if t.name.startswith("α = 0.25"))
    assert alpha_quarter.x[0] == pytest.approx(41.030272)  # Table 6: 41M at 0.25 MobileNet-224
    paper = next(t for t in figure.data if t.name.startswith("paper"))
    for (width, resolution), x in zip(mobilenet.PAPER_TABLES_6_7, paper.x, strict=True):
        assert mobilenet.v1_cost(width, resolution)[0] / 1e6 == pytest.approx(x, rel=0.025)


def test_layer_types_reproduce_table_2_and_flag_the_misprint():
    figure = mobilenet.v1_layer_types()
    macs_ours = figure.data[0]
    assert list(macs_ours.y) == pytest.approx([94.86, 3.06, 1.91, 0.18], abs=0.005)
    assert "1.19" in macs_ours.customdata[2]
    params_ours = figure.data[2]
    assert list(params_ours.y) == pytest.approx([74.59, 1.06, 0.02, 24.33], abs=0.005)


def test_v2_blocks_track_the_expansion_tensor():
    blocks = mobilenet.v2_block_costs(1.0)
    assert len(blocks) == 19 and blocks[2].label == "bottleneck t=6, c=24, s=2"
    assert blocks[2].widest == 6 * 16 * 112 * 112  # the t·k-channel expansion at 112×112
    assert blocks[2].boundary == 16 * 112 * 112 + 24 * 56 * 56  # input + output, Sec. 5.1
    assert sum(b.macs for b in blocks) == pytest.approx(300_774_272 - 1_281_000, rel=0.002)
    figure = mobilenet.v2_blocks()
    labels = [b.label for b in figure.layout.updatemenus[0].buttons]
    assert [label.split(" ")[3].rstrip(":") for label in labels] == ["0.35", "0.5", "0.75", "1.0", "1.4"]
    assert labels[3] == "Width α = 1.0: 299M Mult-Adds" and figure.layout.updatemenus[0].type == "dropdown"
    assert mobilenet.v2_blocks().to_json() == figure.to_json()
    # The caption's "up to 4.8 times": the widest tensor over the block's input + output, at any width.
    ratios = [max(b.widest / b.boundary for b in mobilenet.v2_block_costs(w)) for w in mobilenet.V2_WIDTHS]
    assert max(ratios) == pytest.approx(4.8) and "4.8 times" in mobilenet.CAPTIONS["v2_blocks"]["en"]
