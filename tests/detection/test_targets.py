"""Tests of paperzoo.detection.targets: validation errors name the image and box; padding is exact."""

from __future__ import annotations

import math

import pytest
import torch

from paperzoo.detection.targets import pad_targets, validate_targets


def _target(boxes: list[list[float]], labels: list[int]) -> dict[str, torch.Tensor]:
    return {
        "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        "labels": torch.tensor(labels, dtype=torch.int64),
    }


def _good() -> list[dict[str, torch.Tensor]]:
    return [
        _target([[0, 0, 10, 10], [5, 5, 20, 30]], [1, 2]),
        _target([], []),
        _target([[1, 2, 3, 4]], [20]),
    ]


def test_valid_targets_pass_including_empty_images() -> None:
    validate_targets(_good(), num_classes=21)
    validate_targets(_good(), num_classes=21, image_sizes=[(30, 20), (5, 5), (4, 3)])
    validate_targets([_target([], [])], num_classes=2)


@pytest.mark.parametrize(
    ("image", "box", "value", "message"),
    [
        (0, 1, [5, 5, 5, 30], r"targets\[0\]\['boxes'\]\[1\] = \[5.0, 5.0, 5.0, 30.0\] is degenerate"),
        (2, 0, [1, 4, 3, 4], r"targets\[2\]\['boxes'\]\[0\] .* is degenerate"),
        (2, 0, [3, 2, 1, 4], r"targets\[2\]\['boxes'\]\[0\] .* is degenerate"),
        (0, 0, [0, math.nan, 10, 10], r"targets\[0\]\['boxes'\]\[0\] = \[0.0, nan.* NaN or infinite"),
        (2, 0, [1, 2, math.inf, 4], r"targets\[2\]\['boxes'\]\[0\] .*inf.* NaN or infinite"),
    ],
)
def test_bad_boxes_name_image_box_and_value(image: int, box: int, value: list[float], message: str) -> None:
    targets = _good()
    targets[image]["boxes"][box] = torch.tensor(value)
    with pytest.raises(ValueError, match=message):
        validate_targets(targets, num_classes=21)


@pytest.mark.parametrize(("label", "num_classes"), [(0, 21), (21, 21), (-3, 21), (3, 3)])
def test_labels_outside_range_are_named(label: int, num_classes: int) -> None:
    targets = _good()
    targets[0]["labels"][1] = label
    targets[2]["labels"][0] = 1
    message = rf"targets\[0\]\['labels'\]\[1\] = {label} is outside \[1, {num_classes - 1}\]"
    with pytest.raises(ValueError, match=message):
        validate_targets(targets, num_classes=num_classes)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t[1].update(boxes=torch.zeros(2, 5)),
            r"targets\[1\]\['boxes'\] must have shape \[G, 4\], got \[2, 5\]",
        ),
        (
            lambda t: t[0].update(boxes=t[0]["boxes"].long()),
            r"targets\[0\]\['boxes'\] must be a float tensor, got torch.int64",
        ),
        (
            lambda t: t[2].update(labels=t[2]["labels"].int()),
            r"targets\[2\]\['labels'\] must be int64, got torch.int32",
        ),
        (
            lambda t: t[0].update(labels=torch.ones(3, dtype=torch.int64)),
            r"targets\[0\]\['labels'\] must have shape \[G\] = \[2\], got \[3\]",
        ),
        (lambda t: t[0].pop("labels"), r"targets\[0\] has no 'labels' key"),
        (
            lambda t: t[1].update(boxes=[[0, 0, 1, 1]]),
            r"targets\[1\]\['boxes'\] must be a torch.Tensor, got list",
        ),
        (lambda t: t.__setitem__(2, (1, 2)), r"targets\[2\] must be a dict"),
    ],
)
def test_structure_errors_name_the_image(change, message: str) -> None:
    targets = _good()
    change(targets)
    with pytest.raises(ValueError, match=message):
        validate_targets(targets, num_classes=21)


def test_targets_must_be_a_list() -> None:
    with pytest.raises(ValueError, match="must be a list of dicts"):
        validate_targets(_good()[0], num_classes=21)
    with pytest.raises(ValueError, match="got 2 image_sizes for 3 targets"):
        validate_targets(_good(), num_classes=21, image_sizes=[(1, 1), (2, 2)])


def test_boxes_outside_the_image_raise_only_with_image_sizes() -> None:
    targets = _good()
    validate_targets(targets, num_classes=21)  # no sizes: no bounds check
    message = r"targets\[0\]\['boxes'\]\[1\] .* outside its image of size \(H, W\) = \(29, 20\)"
    with pytest.raises(ValueError, match=message):
        validate_targets(targets, num_classes=21, image_sizes=[(29, 20), (5, 5), (4, 3)])
    targets[2]["boxes"][0, 0] = -0.5
    with pytest.raises(ValueError, match=r"targets\[2\]\['boxes'\]\[0\] .* outside"):
        validate_targets(targets, num_classes=21, image_sizes=[(30, 20), (5, 5), (4, 3)])


def test_pad_targets_values_and_mask() -> None:
    boxes, labels, mask = pad_targets(_good())
    assert boxes.shape == (3, 2, 4) and labels.shape == (3, 2) and mask.shape == (3, 2)
    assert labels.dtype == torch.int64 and mask.dtype == torch.bool and boxes.dtype == torch.float32
    assert mask.tolist() == [[True, True], [False, False], [True, False]]
    assert labels.tolist() == [[1, 2], [0, 0], [20, 0]]
    torch.testing.assert_close(boxes[0], _good()[0]["boxes"])
    torch.testing.assert_close(boxes[2, 0], torch.tensor([1.0, 2, 3, 4]))
    assert boxes[~mask].abs().sum() == 0


def test_pad_targets_all_empty_has_one_slot() -> None:
    boxes, labels, mask = pad_targets([_target([], []), _target([], [])])
    assert boxes.shape == (2, 1, 4) and labels.shape == (2, 1)
    assert not mask.any()


def test_pad_targets_rejects_empty_batch() -> None:
    with pytest.raises(ValueError, match="at least one image"):
        pad_targets([])
