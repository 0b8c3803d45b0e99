"""R-FCN figures: the bins and channels are measured on torchvision's ps_roi_pool."""

from __future__ import annotations

import pytest

from paperzoo.figures import rfcn


@pytest.mark.parametrize("k", rfcn.BIN_SIZES)
def test_bin_reads_its_own_score_map_of_every_class(k: int):
    bins = rfcn.measure_bins(k)
    assert len(bins) == k * k
    for pooled in bins:
        # torchvision's class-major layout: channel (c·k + i)·k + j (Caffe's PSROIPooling order).
        assert pooled.channels == tuple(
            (c * k + pooled.row) * k + pooled.col for c in range(rfcn.NUM_CLASSES)
        )


def test_bins_tile_the_rounded_roi():
    bins = rfcn.measure_bins(3)
    x1, y1, x2, y2 = (round(v / rfcn.STRIDE) for v in rfcn.ROI_XYXY)
    assert min(b.cells_x[0] for b in bins) == x1 and min(b.cells_y[0] for b in bins) == y1
    assert max(b.cells_x[1] for b in bins) == x2 - 1 and max(b.cells_y[1] for b in bins) == y2 - 1
    rows = sorted({b.cells_y for b in bins})
    assert rows[0][0] < rows[1][0] < rows[2][0]


def test_pooling_figure_has_a_button_per_k_and_is_deterministic():
    figure = rfcn.position_sensitive_pooling()
    buttons = figure.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["Bins: 3 × 3", "7 × 7"]  # a labelled row of two buttons
    assert len(figure.data) == 3  # the RoI and one marker trace per k, not a trace per bin
    (markers,) = [t for t in figure.data if t.mode == "markers" and t.visible]
    assert len(markers.x) == 9 and len(figure.layout.shapes) == 9
    assert list(markers.marker.color) == [shape.fillcolor for shape in figure.layout.shapes]
    assert rfcn.position_sensitive_pooling().to_json() == figure.to_json()


@pytest.mark.parametrize("k", rfcn.BIN_SIZES)
def test_each_k_draws_the_measured_bins(k: int):
    figure = rfcn.position_sensitive_pooling()
    button = next(b for b in figure.layout.updatemenus[0].buttons if b.label.endswith(f"{k} × {k}"))
    restyle, relayout = button.args
    assert restyle["visible"] == [True] + [kk == k for kk in rfcn.BIN_SIZES]
    drawn = [(s["x0"], s["x1"], s["y0"], s["y1"]) for s in relayout["shapes"]]
    measured = [
        (b.cells_x[0], b.cells_x[1] + 1, b.cells_y[0], b.cells_y[1] + 1) for b in rfcn.measure_bins(k)
    ]
    assert drawn == measured and len(drawn) == k * k


def test_k_ablation_shows_table_2():
    bars = rfcn.k_ablation().data[0]
    assert [text.split(": ")[1] for text in bars.text] == ["61.7", "68.9", "67.6", "fail", "75.5", "76.6"]
    assert list(bars.textposition) == ["inside"] * 3 + ["outside"] + ["inside"] * 2  # "fail" has no bar
    assert bars.text[2] == "class-specific RPN: 67.6" and bars.text[5] == "R-FCN 7×7: 76.6"
