"""Augmentations plug into the datasets' `transforms` and keep targets valid."""

import pytest
import torch

from paperzoo.data import ShapesDataset
from paperzoo.data.augment import build_augmentation
from paperzoo.detection.targets import validate_targets


def test_ssd_augmentation_on_shapes_resizes_and_keeps_valid_boxes():
    augment = build_augmentation("ssd", (48, 40))
    dataset = ShapesDataset("train", num_images=6, image_size=64, seed=0, transforms=augment)
    torch.manual_seed(0)
    items = [dataset[i] for i in range(6)]
    for image, target in items:
        assert image.shape == (3, 48, 40) and image.dtype == torch.float32 and type(image) is torch.Tensor
        assert type(target["boxes"]) is torch.Tensor
    validate_targets([t for _, t in items], num_classes=5, image_sizes=[(48, 40)] * 6)
    torch.manual_seed(0)
    again = dataset[0]
    assert torch.equal(again[0], items[0][0])  # random, but reproducible from the torch seed
    plain = ShapesDataset("train", num_images=6, image_size=64, seed=0)[0]
    assert plain[0].shape == (3, 64, 64)


def test_unknown_augmentation_is_named():
    assert build_augmentation(None, (8, 8)) is None
    with pytest.raises(ValueError, match="unknown augmentation 'mixup'"):
        build_augmentation("mixup", (8, 8))
