"""SSD figures carry the boxes `paperzoo.detection.default_boxes` generates, and build deterministically."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from paperzoo.detection.default_boxes import PRESETS, default_boxes, layer_box_sizes, layer_scales
from paperzoo.figures import ssd


@pytest.fixture(scope="module")
def boxes_figure():
    return ssd.default_boxes()


def _box_traces(figure, preset: str, k: int) -> list[SimpleNamespace]:
    """The box traces' data that the figure's map slider of `preset` shows at step k."""
    restyle = figure.layout.sliders[list(PRESETS).index(preset)].steps[k].args[0]
    boxes = [ssd.TRACES.index("square boxes"), ssd.TRACES.index("aspect-ratio boxes")]
    return [SimpleNamespace(x=restyle["x"][i], y=restyle["y"][i], name=restyle["name"][i]) for i in boxes]


def test_boxes_figure_is_deterministic(boxes_figure):
    assert ssd.default_boxes().to_json() == boxes_figure.to_json()


@pytest.mark.parametrize(("preset", "k"), [("caffe_voc", 2), ("torchvision", 5), ("caffe_coco_512", 0)])
def test_each_state_draws_the_generated_box_sizes_of_one_cell(boxes_figure, preset: str, k: int):
    config = PRESETS[preset]
    expected = layer_box_sizes(config)[k] * config.input_size  # (n_k, 2) w, h in pixels
    drawn = []
    for trace in _box_traces(boxes_figure, preset, k):
        xs = [x for x in trace.x if x is not None]
        ys = [y for y in trace.y if y is not None]
        for i in range(0, len(xs), 5):  # one closed outline of 5 vertices per box
            drawn.append((max(xs[i: i + 5]) - min(xs[i: i + 5]), max(ys[i: i + 5]) - min(ys[i: i + 5])))
    assert torch.tensor(drawn, dtype=torch.float64) == pytest.approx(expected, abs=0.02)
    assert len(drawn) == (4 if len(config.aspect_ratios[k]) == 1 else 6)


def test_torchvision_preset_draws_clipped_boxes(boxes_figure):
    # The last SSD300 map's ar-2 box is 0.87·√2 = 1.23 of the image; torchvision clamps it to 1 (300 px).
    widths = [max(x for x in t.x if x is not None) * 2 for t in _box_traces(boxes_figure, "torchvision", 5)]
    caffe = [max(x for x in t.x if x is not None) * 2 for t in _box_traces(boxes_figure, "caffe_coco", 5)]
    assert max(widths) == pytest.approx(300.0) and max(caffe) == pytest.approx(0.87 * math.sqrt(2) * 300, abs=0.05)


def test_cell_slider_pans_the_boxes_onto_generated_centres(boxes_figure):
    config = PRESETS["caffe_voc"]
    centres = default_boxes(config, dtype=torch.float64)[:38 * 38 * 4:4, :2] * 300  # map 1: 38×38, 4 boxes
    cells = boxes_figure.layout.sliders[-1]
    last = cells.steps[-1].args[0]  # 100 %: cell (37, 37) of the 38×38 map
    axis_number = ssd._grid_axes()[(300, 38)][0]
    cx = -last[f"xaxis{axis_number}.range"][0]
    assert cx == pytest.approx(float(centres[37 * 38 + 37, 0]), abs=0.01)
    assert cx == pytest.approx((37 + 0.5) * 8)


def test_figure_draws_the_default_state_with_five_traces(boxes_figure):
    assert [trace.name for trace in boxes_figure.data] == ["300×300 input", "10×10 cells", "cell centres (i, i)",
                                                           "square boxes", "aspect-ratio boxes"]
    shown = ssd.state_data(ssd.DEFAULT_PRESET, ssd.DEFAULT_MAP)
    for i, trace in enumerate(boxes_figure.data):
        assert (list(trace.x), list(trace.y), trace.xaxis) == (shown["x"][i], shown["y"][i], shown["xaxis"][i])
    assert boxes_figure.data[3].xaxis == "x4"  # the 10×10 grid of SSD300: the third distinct grid


def test_map_slider_of_each_preset_lists_its_feature_maps(boxes_figure):
    sliders = boxes_figure.layout.sliders[: len(PRESETS)]
    for slider, (preset, config) in zip(sliders, PRESETS.items(), strict=True):
        assert [s.label.split(" ")[0] for s in slider.steps] == [f"{f}×{f}" for f in config.feature_maps]
        assert slider.visible == (preset == ssd.DEFAULT_PRESET)


def test_box_scales_figure_plots_layer_scales():
    figure = ssd.box_scales()
    for preset, config in PRESETS.items():
        s_k = next(t for t in figure.data if t.name == preset)
        assert list(s_k.y) == pytest.approx([s for s, _ in layer_scales(config)])
    paper = next(t for t in figure.data if t.name == "paper")
    assert list(paper.y)[1:] == pytest.approx([0.2, 0.375, 0.55, 0.725, 0.9])  # Sec. 2.2 formula, m = 5


def test_matching_figure_shows_the_matcher_and_3_to_1_mining():
    example = ssd.matching_example()
    positives = int((example.matched >= 0).sum())
    assert positives > len(example.gt_labels)  # IoU ≥ 0.5 matches besides the forced ones
    assert int(example.hard_negatives.sum()) == 3 * positives
    assert not bool((example.hard_negatives & (example.matched >= 0)).any())
    assert (example.matched[example.best_priors] == torch.arange(len(example.gt_labels))).all()
    # Every matched prior that is not an object's best prior overlaps its object by at least 0.5.
    others = (example.matched >= 0).clone()
    others[example.best_priors] = False
    assert bool((example.iou[others] >= 0.5).all())
    figure = ssd.matching()
    counts = {t.name.split(":")[0]: len(t.text) for t in figure.data if t.mode == "markers"}
    assert counts == {"matched": positives - len(example.gt_labels),
                      "matched first": len(example.gt_labels),
                      "hard negatives (3 per positive)": 3 * positives,
                      "ground truth": len(example.gt_labels)}
    assert figure.layout.images[0].source.startswith("data:image/jpeg;base64,")
