"""SSD figures carry the boxes `paperzoo.detection.default_boxes` generates, and build deterministically."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from paperzoo.detection.default_boxes import PRESETS, default_boxes, layer_box_sizes, layer_scales
from paperzoo.detection.matcher import match_priors
from paperzoo.detection.targets import pad_targets
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
            drawn.append((max(xs[i : i + 5]) - min(xs[i : i + 5]), max(ys[i : i + 5]) - min(ys[i : i + 5])))
    assert torch.tensor(drawn, dtype=torch.float64) == pytest.approx(expected, abs=0.02)
    assert len(drawn) == (4 if len(config.aspect_ratios[k]) == 1 else 6)


def test_torchvision_preset_draws_clipped_boxes(boxes_figure):
    # The last SSD300 map's ar-2 box is 0.87·√2 = 1.23 of the image; torchvision clamps it to 1 (300 px).
    widths = [max(x for x in t.x if x is not None) * 2 for t in _box_traces(boxes_figure, "torchvision", 5)]
    caffe = [max(x for x in t.x if x is not None) * 2 for t in _box_traces(boxes_figure, "caffe_coco", 5)]
    assert max(widths) == pytest.approx(300.0) and max(caffe) == pytest.approx(
        0.87 * math.sqrt(2) * 300, abs=0.05
    )


def test_cell_slider_pans_the_boxes_onto_generated_centres(boxes_figure):
    config = PRESETS["caffe_voc"]
    centres = default_boxes(config, dtype=torch.float64)[: 38 * 38 * 4 : 4, :2] * 300  # map 1: 38×38, 4 boxes
    cells = boxes_figure.layout.sliders[-1]
    last = cells.steps[-1].args[0]  # 100 %: cell (37, 37) of the 38×38 map
    axis_number = ssd._grid_axes()[(300, 38)][0]
    cx = -last[f"xaxis{axis_number}.range"][0]
    assert cx == pytest.approx(float(centres[37 * 38 + 37, 0]), abs=0.01)
    assert cx == pytest.approx((37 + 0.5) * 8)


def test_figure_draws_the_default_state_with_five_traces(boxes_figure):
    assert [trace.name for trace in boxes_figure.data] == [
        "300×300 input",
        "10×10 cells",
        "cell centres (i, i)",
        "square boxes",
        "aspect-ratio boxes",
    ]
    shown = ssd.state_data(ssd.DEFAULT_PRESET, ssd.DEFAULT_MAP)
    for i, trace in enumerate(boxes_figure.data):
        assert (list(trace.x), list(trace.y), trace.xaxis) == (
            shown["x"][i],
            shown["y"][i],
            shown["xaxis"][i],
        )
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


@pytest.fixture(scope="module")
def matching_figure():
    return ssd.matching()


def _role(figure, role: str, j: int | None = None):
    """The centre-marker trace (it carries the prior indices as customdata) of a role of the figure."""
    group = role if j is None else f"{role} {j}"
    return next(t for t in figure.data if t.legendgroup == group and t.mode == "markers")


def test_matching_example_runs_the_matcher_and_3_to_1_mining():
    example = ssd.matching_example()
    positives = int((example.matched >= 0).sum())
    assert positives == 44 and len(example.gt_labels) == 3  # 19 + 12 + 13 priors for the three objects
    assert int(example.hard_negatives.sum()) == 3 * positives
    assert not bool((example.hard_negatives & (example.matched >= 0)).any())
    gt_boxes, _, gt_mask = pad_targets([{"boxes": example.gt_boxes, "labels": example.gt_labels}])
    again = match_priors(gt_boxes.double(), gt_mask, example.priors.double())  # in pixels: the same matches
    assert torch.equal(again[0], example.matched)


def test_best_default_box_of_each_object_is_its_argmax_iou(matching_figure):
    example = ssd.matching_example()
    for j in range(len(example.gt_labels)):
        best = list(_role(matching_figure, "best", j).customdata)
        assert best == [int(example.gt_iou[j].argmax())]
        assert int(example.matched[best[0]]) == j  # the matcher gave it to object j, whatever its IoU


def test_boxes_shown_above_the_threshold_are_the_matchers_positives_of_that_object(matching_figure):
    example = ssd.matching_example()
    for j in range(len(example.gt_labels)):
        above = list(_role(matching_figure, "above", j).customdata)
        best = list(_role(matching_figure, "best", j).customdata)
        assert sorted(above + best) == torch.nonzero(example.matched == j).flatten().tolist()
        assert bool((example.gt_iou[j, above] >= ssd.IOU_THRESHOLD).all())
        assert len(above) == [18, 11, 12][j]


def test_ground_truth_menu_shows_one_object_at_a_time(matching_figure):
    menu, toggle = matching_figure.layout.updatemenus
    assert menu.type == "dropdown" and [b.label for b in menu.buttons] == [
        "Ground truth 1: circle, 19 matches",
        "Ground truth 2: triangle, 12 matches",
        "Ground truth 3: square, 13 matches",
    ]
    for j, button in enumerate(menu.buttons):
        update, indices = button.args
        shown = {
            matching_figure.data[i].legendgroup
            for i, visible in zip(indices, update["visible"], strict=True)
            if visible
        }
        assert shown == {f"truth {j}", f"best {j}", f"above {j}"}
    initially = {t.legendgroup for t in matching_figure.data if t.visible is not False}
    assert initially == {"objects", "truth 0", "best 0", "above 0"}  # hard negatives only on demand


def test_hard_negatives_toggle_shows_the_mined_negatives(matching_figure):
    example = ssd.matching_example()
    negatives = _role(matching_figure, "negatives")
    assert list(negatives.customdata) == torch.nonzero(example.hard_negatives).flatten().tolist()
    toggle = matching_figure.layout.updatemenus[1]
    assert [b.label for b in toggle.buttons] == ["Hard negatives: off", "on (132)"]
    indices = [i for i, t in enumerate(matching_figure.data) if t.legendgroup == "negatives"]
    assert [(b.args[0], list(b.args[1])) for b in toggle.buttons] == [
        ({"visible": False}, indices),
        ({"visible": True}, indices),
    ]


def test_matching_figure_in_chinese():
    figure = ssd.matching(lang="zh")
    assert figure.layout.title.text == "SSD300 匹配：一次看一个物体"
    assert figure.layout.updatemenus[0].buttons[0].label == "真实框 1：圆形，19 个匹配"
    assert figure.layout.xaxis.title.text == "x（像素）"
    assert figure.layout.images[0].source.startswith("data:image/jpeg;base64,")
