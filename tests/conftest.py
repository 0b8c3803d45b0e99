"""Fixtures shared across test folders."""

import pytest
import torch
import torchvision
from torch import nn


@pytest.fixture(scope="module")
def torchvision_ssd300() -> nn.Module:
    # Built on the meta device and filled here: torchvision's builder would also initialise VGG16's
    # 120M-parameter classifier, which SSD does not use.
    with torch.device("meta"):
        model = torchvision.models.detection.ssd300_vgg16(weights=None, weights_backbone=None, num_classes=91)
    model.to_empty(device="cpu")
    torch.manual_seed(1)
    for layer in model.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.uniform_(layer.bias, -0.1, 0.1)
    with torch.no_grad():
        model.backbone.scale_weight.uniform_(10, 30)
    return model.eval()
