"""The registered models' names and metadata as literal data, readable without importing torch.

`paperzoo list` and [`list_models`][paperzoo.list_models] answer from this table, in well under a
second, where reading the registry itself imports every model module (and torch: about 3 s). It
repeats what the builders' `@register_model` decorators say; `tests/test_registry.py` fails, printing
the rows to paste here, whenever the two differ (a model added, renamed or re-described).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["MODEL_INDEX", "PAPER_TITLES", "ModelEntry"]


class ModelEntry(NamedTuple):
    """A registered model's metadata (see [`ModelInfo`][paperzoo.registry.ModelInfo])."""

    task: str
    arxiv: str
    input_size: tuple[int, int]
    docs: str


# arXiv id -> title, as printed on arXiv.
PAPER_TITLES: dict[str, str] = {
    "1512.02325": "SSD: Single Shot MultiBox Detector",
    "1512.03385": "Deep Residual Learning for Image Recognition",
    "1605.06409": "R-FCN: Object Detection via Region-based Fully Convolutional Networks",
    "1704.04861": "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
    "1801.04381": "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
}

MODEL_INDEX: dict[str, ModelEntry] = {
    "mobilenet_v1": ModelEntry("classification", "1704.04861", (224, 224), "object-detection/mobilenet-v1/"),
    "mobilenet_v2": ModelEntry("classification", "1801.04381", (224, 224), "object-detection/mobilenet-v2/"),
    "resnet101": ModelEntry("classification", "1512.03385", (224, 224), "classification/resnet/"),
    "resnet110_cifar": ModelEntry("classification", "1512.03385", (32, 32), "classification/resnet/"),
    "resnet1202_cifar": ModelEntry("classification", "1512.03385", (32, 32), "classification/resnet/"),
    "resnet152": ModelEntry("classification", "1512.03385", (224, 224), "classification/resnet/"),
    "resnet18": ModelEntry("classification", "1512.03385", (224, 224), "classification/resnet/"),
    "resnet20_cifar": ModelEntry("classification", "1512.03385", (32, 32), "classification/resnet/"),
    "resnet32_cifar": ModelEntry("classification", "1512.03385", (32, 32), "classification/resnet/"),
    "resnet34": ModelEntry("classification", "1512.03385", (224, 224), "classification/resnet/"),
    "resnet44_cifar": ModelEntry("classification", "1512.03385", (32, 32), "classification/resnet/"),
    "resnet50": ModelEntry("classification", "1512.03385", (224, 224), "classification/resnet/"),
    "resnet56_cifar": ModelEntry("classification", "1512.03385", (32, 32), "classification/resnet/"),
    "rfcn_resnet101": ModelEntry("detection", "1605.06409", (600, 1000), "object-detection/r-fcn/"),
    "rfcn_resnet18": ModelEntry("detection", "1605.06409", (600, 1000), "object-detection/r-fcn/"),
    "rfcn_resnet50": ModelEntry("detection", "1605.06409", (600, 1000), "object-detection/r-fcn/"),
    "ssd300_vgg16": ModelEntry("detection", "1512.02325", (300, 300), "object-detection/ssd/"),
    "ssd512_vgg16": ModelEntry("detection", "1512.02325", (512, 512), "object-detection/ssd/"),
    "ssdlite_mobilenet_v1": ModelEntry("detection", "1801.04381", (300, 300), "object-detection/ssd/"),
    "ssdlite_mobilenet_v2": ModelEntry("detection", "1801.04381", (300, 300), "object-detection/ssd/"),
}
