"""The generated `shapes` dataset: determinism, target format and what is drawn."""

import pytest
import torch
from torchvision.ops import box_iou

from paperzoo.data import CLASSES, ShapesDataset, collate_detection, dataset_from_spec
from paperzoo.detection.targets import validate_targets


def test_items_follow_torchvision_format_and_validate():
    dataset = ShapesDataset(split="train", num_images=6, image_size=(48, 64), seed=3, max_objects=5)
    items = [dataset[i] for i in range(len(dataset))]
    for image, target in items:
        assert image.shape == (3, 48, 64) and image.dtype == torch.float32
        assert image.min() >= 0 and image.max() <= 1
        assert 1 <= len(target["labels"]) <= 5
    validate_targets([t for _, t in items], num_classes=dataset.num_classes, image_sizes=[(48, 64)] * 6)
    assert dataset.num_classes == len(CLASSES) + 1 == 5


def test_same_seed_same_images_and_splits_differ():
    a = ShapesDataset(split="train", num_images=3, image_size=32, seed=1)
    b = ShapesDataset(split="train", num_images=3, image_size=32, seed=1)
    val = ShapesDataset(split="val", num_images=3, image_size=32, seed=1)
    other_seed = ShapesDataset(split="train", num_images=3, image_size=32, seed=2)
    assert torch.equal(a[2][0], b[2][0]) and torch.equal(a[2][1]["boxes"], b[2][1]["boxes"])
    assert not torch.equal(a[2][0], val[2][0])
    assert not torch.equal(a[2][0], other_seed[2][0])


def test_single_shape_boxes_respect_size_and_aspect_limits():
    dataset = ShapesDataset(split="val", num_images=20, image_size=64, seed=0, max_objects=1)
    boxes = torch.cat([dataset[i][1]["boxes"] for i in range(20)])
    sides = boxes[:, 2:] - boxes[:, :2]
    # side in [0.15, 0.5] * 64, aspect w/h in [e^-0.5, e^0.5]: each extent is side * e^(+-0.25), +-1 pixel.
    assert sides.min() >= 0.15 * 64 * torch.exp(torch.tensor(-0.25)) - 1
    assert sides.max() <= 0.5 * 64 * torch.exp(torch.tensor(0.25)) + 1
    ratio = sides[:, 0] / sides[:, 1]
    assert ratio.min() < 0.9 and ratio.max() > 1.1  # the aspect ratio varies
    # Every class appears in 20 images.
    labels = torch.cat([dataset[i][1]["labels"] for i in range(20)])
    assert set(labels.tolist()) == set(range(1, len(CLASSES) + 1))


def test_occluded_shapes_keep_their_visible_box():
    dataset = ShapesDataset(split="train", num_images=40, image_size=64, seed=0, max_objects=6, max_size=0.7)
    overlaps = 0
    for index in range(40):
        boxes = dataset[index][1]["boxes"]
        assert (boxes[:, 2:] > boxes[:, :2]).all()
        assert boxes.min() >= 0 and boxes.max() <= 64
        overlaps += int((box_iou(boxes, boxes).triu(diagonal=1) > 0).sum())
    assert overlaps > 0  # shapes do overlap (partial occlusion)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"split": "test"}, "split must be one of"),
        ({"num_images": 0}, "num_images must be a positive int"),
        ({"image_size": 8}, "at least 16"),
        ({"min_size": 0.6, "max_size": 0.5}, "min_size <= max_size"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ShapesDataset(**kwargs)


def test_spec_and_collate():
    dataset = dataset_from_spec("shapes", "val", num_images=2, image_size=32)
    assert isinstance(dataset, ShapesDataset) and dataset.split == "val"
    images, targets = collate_detection([dataset[0], dataset[1]])
    assert len(images) == len(targets) == 2
    with pytest.raises(ValueError, match="unknown data spec 'imagenet'"):
        dataset_from_spec("imagenet", "train")
    with pytest.raises(ValueError, match="needs a path"):
        dataset_from_spec("voc", "train")
