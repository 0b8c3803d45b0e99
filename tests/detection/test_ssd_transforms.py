"""Tests of paperzoo.detection.ssd_transforms: boxes stay in the image and on the painted pixels."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision import tv_tensors
from torchvision.transforms import v2

from paperzoo.detection.ssd_transforms import CAFFE_MEAN, ssd_eval_transforms, ssd_train_transforms, to_target


def _painted(height: int, width: int, box: list[float]) -> torch.Tensor:
    """A black uint8 image with the box painted white (grey survives every photometric change)."""
    image = torch.zeros(3, height, width, dtype=torch.uint8)
    x1, y1, x2, y2 = (round(v) for v in box)
    image[:, y1:y2, x1:x2] = 255
    return image


@settings(derandomize=True, max_examples=25, deadline=None)
@given(
    height=st.integers(40, 120),
    width=st.integers(40, 120),
    corner=st.tuples(st.floats(0.0, 0.5), st.floats(0.0, 0.5)),
    extent=st.tuples(st.floats(0.15, 0.45), st.floats(0.15, 0.45)),
    seed=st.integers(0, 2**16),
)
def test_box_stays_on_its_pixels(height: int, width: int, corner, extent, seed: int) -> None:
    box = [round(corner[0] * width), round(corner[1] * height)]
    box += [box[0] + max(6, round(extent[0] * width)), box[1] + max(6, round(extent[1] * height))]
    torch.manual_seed(seed)
    transform = ssd_train_transforms(96, fill=0.0)
    image, target = transform(
        _painted(height, width, box), to_target(torch.tensor([box]), torch.tensor([7]), (height, width))
    )

    assert image.shape == (3, 96, 96) and image.dtype == torch.float32
    assert isinstance(target["boxes"], tv_tensors.BoundingBoxes) and target["boxes"].canvas_size == (96, 96)
    # A single box always survives: RandomIoUCrop only accepts patches holding a box centre.
    assert target["labels"].tolist() == [7]
    ((x1, y1, x2, y2),) = target["boxes"].tolist()
    assert 0 <= x1 < x2 <= 96 and 0 <= y1 < y2 <= 96

    grey = image.mean(dim=0)  # (H, W)
    margin = 3  # resampling blurs the edges by a pixel or two
    inside = grey[int(y1) + margin : int(y2) - margin, int(x1) + margin : int(x2) - margin]
    if inside.numel():
        assert inside.min() > 0.35, f"dark pixel inside the box {target['boxes'].tolist()}"
    outside = torch.ones_like(grey, dtype=torch.bool)
    outside[
        max(0, int(y1) - margin) : int(y2) + margin + 1, max(0, int(x1) - margin) : int(x2) + margin + 1
    ] = False
    assert grey[outside].max() < 0.25, f"bright pixel outside the box {target['boxes'].tolist()}"


@settings(derandomize=True, max_examples=15, deadline=None)
@given(num_boxes=st.integers(0, 6), seed=st.integers(0, 2**16))
def test_several_boxes_stay_valid_and_keep_their_labels(num_boxes: int, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    xy = torch.rand(num_boxes, 2, generator=generator) * 60
    boxes = torch.cat((xy, xy + 2 + torch.rand(num_boxes, 2, generator=generator) * 30), dim=1)
    labels = torch.arange(1, num_boxes + 1)
    torch.manual_seed(seed)
    _, target = ssd_train_transforms(64)(torch.rand(3, 100, 100), to_target(boxes, labels, (100, 100)))
    out = target["boxes"]
    assert out.shape == (len(target["labels"]), 4)
    assert (out[:, 2:] - out[:, :2]).ge(1).all()  # SanitizeBoundingBoxes: at least a pixel wide
    assert out.ge(0).all() and out.le(64).all()
    assert set(target["labels"].tolist()) <= set(labels.tolist())  # labels follow their boxes


@pytest.mark.parametrize(("fill", "expected"), [(CAFFE_MEAN, CAFFE_MEAN), (0.0, (0.0, 0.0, 0.0))])
def test_zoom_out_fills_the_canvas_with_the_chosen_colour(fill, expected) -> None:
    transform = ssd_train_transforms(fill=fill, zoom_out_p=1.0)
    zoom_out = next(t for t in transform.transforms if isinstance(t, v2.RandomZoomOut))
    torch.manual_seed(0)
    image = tv_tensors.Image(torch.ones(3, 20, 20))
    out, _ = zoom_out(image, to_target(torch.tensor([[2.0, 2, 10, 10]]), torch.tensor([1]), (20, 20)))
    assert out.shape[-1] > 20
    ones = out.eq(1).all(dim=0)
    canvas = out[:, ~ones]  # (3, canvas pixels)
    torch.testing.assert_close(canvas, torch.tensor(expected).reshape(3, 1).expand_as(canvas))


def test_eval_transform_resizes_and_scales_boxes() -> None:
    image = torch.randint(0, 256, (3, 150, 600), dtype=torch.uint8)
    out, target = ssd_eval_transforms(300)(
        image, to_target(torch.tensor([[60.0, 15, 120, 75]]), torch.tensor([2]), (150, 600))
    )
    assert out.shape == (3, 300, 300) and out.dtype == torch.float32 and out.max() <= 1
    torch.testing.assert_close(target["boxes"].as_subclass(torch.Tensor), torch.tensor([[30.0, 30, 60, 150]]))


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="fill must be one value or 3 values in \\[0, 1\\]"):
        ssd_train_transforms(fill=(123, 117, 104))
    with pytest.raises(ValueError, match="max_zoom_out must be at least 1, got 0.5"):
        ssd_train_transforms(max_zoom_out=0.5)
