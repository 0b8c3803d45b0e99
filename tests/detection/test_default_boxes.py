"""Tests of paperzoo.detection.default_boxes: counts, preset values and torchvision equality."""

from __future__ import annotations

import math

import pytest
import torch
from torchvision.models.detection.anchor_utils import DefaultBoxGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import box_convert

from paperzoo.detection.default_boxes import (
    PRESETS,
    DefaultBoxConfig,
    DefaultBoxes,
    default_boxes,
    layer_box_sizes,
    layer_scales,
    num_boxes_per_location,
    paper_scales,
)


@pytest.mark.parametrize("name", ["paper", "caffe_voc", "caffe_coco", "torchvision"])
def test_ssd300_has_8732_boxes(name: str) -> None:
    config = PRESETS[name]
    assert num_boxes_per_location(config) == [4, 6, 6, 6, 4, 4]
    assert default_boxes(config).shape == (8732, 4)


@pytest.mark.parametrize("name", ["caffe_voc_512", "caffe_coco_512"])
def test_ssd512_has_24564_boxes(name: str) -> None:
    config = PRESETS[name]
    assert num_boxes_per_location(config) == [4, 6, 6, 6, 6, 4, 4]
    assert default_boxes(config).shape == (24564, 4)


def test_torchvision_preset_equals_default_box_generator() -> None:
    generator = DefaultBoxGenerator(
        [[2], [2, 3], [2, 3], [2, 3], [2], [2]],
        scales=[0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05],
        steps=[8, 16, 32, 64, 100, 300],
    )
    images = ImageList(torch.zeros(1, 3, 300, 300), [(300, 300)])
    features = [torch.zeros(1, 1, f, f) for f in (38, 19, 10, 5, 3, 1)]
    expected = generator(images, features)[0] / 300  # xyxy pixels -> xyxy fractions
    ours = box_convert(default_boxes(PRESETS["torchvision"]), "cxcywh", "xyxy")
    torch.testing.assert_close(ours, expected, atol=1e-6, rtol=0)
    # The cx, cy, w, h form too, through the generator's own grid function.
    grid = generator._grid_default_boxes([[f, f] for f in (38, 19, 10, 5, 3, 1)], [300, 300])
    torch.testing.assert_close(default_boxes(PRESETS["torchvision"]), grid, atol=1e-6, rtol=0)


def test_paper_scales_follow_the_formula() -> None:
    # s_k = 0.2 + 0.7 (k - 1) / (m - 1): for m = 6 the paper's 0.2, 0.34, ..., 0.9
    assert paper_scales(6) == pytest.approx([0.2, 0.34, 0.48, 0.62, 0.76, 0.9, 1.04])
    scales = [s for s, _ in layer_scales(PRESETS["paper"])]
    assert scales == pytest.approx([0.1, 0.2, 0.375, 0.55, 0.725, 0.9])
    assert layer_scales(PRESETS["paper"])[-1][1] == pytest.approx(math.sqrt(0.9 * 1.075))


def test_caffe_voc_first_and_last_layer_boxes() -> None:
    boxes = default_boxes(PRESETS["caffe_voc"], dtype=torch.float64)
    # First location of conv4_3: centre (4, 4) px; min 30, sqrt(30·60), then ar 2 and 1/2.
    side = 30 / 300
    expected = [
        [4 / 300, 4 / 300, side, side],
        [4 / 300, 4 / 300, math.sqrt(30 * 60) / 300, math.sqrt(30 * 60) / 300],
        [4 / 300, 4 / 300, side * math.sqrt(2), side / math.sqrt(2)],
        [4 / 300, 4 / 300, side / math.sqrt(2), side * math.sqrt(2)],
    ]
    torch.testing.assert_close(boxes[:4], torch.tensor(expected, dtype=torch.float64))
    # Last map (1x1, step 300): not clipped, so the ar-2 box is wider than the image as in Caffe.
    last = boxes[-4:]
    assert last[:, :2].eq(0.5).all()
    torch.testing.assert_close(last[2, 2], torch.tensor(264 / 300 * math.sqrt(2), dtype=torch.float64))


def test_clip_only_clamps_sizes() -> None:
    clipped = default_boxes(PRESETS["torchvision"])
    unclipped = default_boxes(PRESETS["caffe_coco"])
    assert clipped[:, 2:].max() == 1.0 and unclipped[:, 2:].max() > 1.2
    torch.testing.assert_close(clipped[:, :2], unclipped[:, :2])
    torch.testing.assert_close(clipped[:, 2:], unclipped[:, 2:].clamp(max=1))


def test_box_order_is_location_major() -> None:
    config = PRESETS["caffe_voc"]
    boxes = default_boxes(config)
    first_map = boxes[: 38 * 38 * 4].reshape(38, 38, 4, 4)  # (H, W, n, 4)
    sizes = layer_box_sizes(config)[0].float()
    torch.testing.assert_close(first_map[5, 7, :, 2:], sizes)
    torch.testing.assert_close(first_map[5, 7, :, 0], torch.full((4,), (7 + 0.5) * 8 / 300))
    torch.testing.assert_close(first_map[5, 7, :, 1], torch.full((4,), (5 + 0.5) * 8 / 300))


def test_no_steps_spreads_centres_evenly() -> None:
    config = DefaultBoxConfig((2,), None, (0.5,), (0.7,), ((),), clip=True, input_size=64)
    boxes = default_boxes(config)
    assert boxes[:, 0].tolist() == [0.25, 0.25, 0.75, 0.75, 0.25, 0.25, 0.75, 0.75]


def test_config_validation_names_the_lengths() -> None:
    with pytest.raises(ValueError, match="one value per feature map .*'max_sizes': 1"):
        DefaultBoxConfig((4, 2), (8, 16), (0.1, 0.2), (0.2,), ((2,), (2,)), clip=False)
    with pytest.raises(ValueError, match="positive"):
        DefaultBoxConfig((4,), None, (0.0,), (0.2,), ((2,),), clip=False)


def test_default_boxes_module_caches_per_size() -> None:
    module = DefaultBoxes(PRESETS["caffe_voc"])
    first = module((300, 300))
    assert module((300, 300)) is first
    assert module.state_dict() == {}
    other = module((600, 600), [(75, 75), (38, 38), (19, 19), (10, 10), (5, 5), (3, 3)])
    assert other.shape == (4 * 75 * 75 + 6 * (38 * 38 + 19 * 19 + 10 * 10) + 4 * (25 + 9), 4)
    assert module((600, 600), [(75, 75), (38, 38), (19, 19), (10, 10), (5, 5), (3, 3)]) is other
    assert module.double()((300, 300)).dtype == torch.float64
    with pytest.raises(ValueError, match="feature_map_sizes are needed"):
        module((320, 320))
