"""Small, seeded versions of every registered model, with weights that give spread-out outputs.

Freshly initialised detectors score every class almost equally (SSDLite's logits have a standard
deviation of 1e-6): thousands of near-ties, whose order any change of summation order flips. A trained
model does not look like that, and a comparison of runtimes on it would test the tie-breaking, not the
graph. So the last prediction layers are rescaled until the class logits have a standard deviation of
1 (R-FCN's score maps 1, its RPN's 2; no softmax saturates to float32 ties) and the box deltas of 0.5 (a trained detector's range); the rest keeps its seeded initialisation.
"""

from __future__ import annotations

import torch
from torch import nn

import paperzoo
from paperzoo.models.resnet import BasicBlock, Bottleneck, CifarResNet, ResNet
from paperzoo.models.rfcn import RFCN
from paperzoo.models.ssd import SSD

# Builder arguments that keep each model small where the builder allows, and the input size tested.
SMALL: dict[str, tuple[dict, tuple[int, int]]] = {
    "mobilenet_v1": ({"num_classes": 10, "width_mult": 0.5}, (128, 128)),
    "mobilenet_v2": ({"num_classes": 10, "width_mult": 0.5}, (128, 128)),
    "ssdlite_mobilenet_v1": ({"num_classes": 5, "width_mult": 0.5, "size": (160, 160)}, (160, 160)),
    "ssdlite_mobilenet_v2": ({"num_classes": 5, "width_mult": 0.5, "size": (160, 160)}, (192, 176)),
    **{f"resnet{depth}": ({"num_classes": 10}, (64, 64)) for depth in (18, 34, 50, 101, 152)},
    **{f"resnet{depth}_cifar": ({"num_classes": 10}, (32, 32)) for depth in (20, 32, 44, 56, 110, 1202)},
    "ssd300_vgg16": ({"num_classes": 5}, (300, 300)),
    "ssd512_vgg16": ({"num_classes": 5}, (512, 512)),
    # R-FCN at a 160-pixel test scale; 130x170 inputs are resized inside the graph, as in eager.
    **{
        f"rfcn_resnet{depth}": (
            {
                "num_classes": 4,
                "min_size": 160,
                "max_size": 256,
                "rpn_pre_nms_top_n": 600,
                "rpn_post_nms_top_n": 100,
            },
            (130, 170),
        )
        for depth in (18, 50, 101)
    },
}
FAST = ("mobilenet_v1", "mobilenet_v2", "ssdlite_mobilenet_v2", "rfcn_resnet18")


def _last_convs(modules: nn.ModuleList) -> list[nn.Conv2d]:
    return [[m for m in module.modules() if isinstance(m, nn.Conv2d)][-1] for module in modules]


@torch.no_grad()
def spread_scores(model: nn.Module, images: torch.Tensor) -> None:
    """Rescale the prediction layers of a detector or a ResNet to a trained model's output range (see above)."""
    if isinstance(model, SSD):
        outputs = model.head(model.backbone(model.preprocess(images)[0]))
        for conv in _last_convs(model.head.classification):
            conv.weight *= 1.0 / outputs["cls_logits"].std()
        for conv in _last_convs(model.head.regression):
            conv.weight *= 0.5 / outputs["bbox_regression"].std()
    elif isinstance(model, RFCN):
        # Deep random ResNets grow their activations (ResNet-101's conv4: std ~1e4): bring the RPN's
        # and the head's inputs back to unit scale, as a trained network's are.
        conv4 = model.trunk(model.transform(list(images))[0].tensors)
        model.rpn.head.conv[0].weight /= conv4.std()
        model.head.reduce.weight /= model.conv5(conv4).std()
        layers = (
            model.head.cls_maps,
            model.head.box_maps,
            model.rpn.head.cls_logits,
            model.rpn.head.bbox_pred,
        )
        for conv, std in zip(layers, (1.0, 0.3, 2.0, 0.2), strict=True):
            conv.weight.normal_(std=std / conv.in_channels**0.5)
    elif isinstance(model, ResNet | CifarResNet):
        # Random deep ResNets grow their activations with depth (logits of std ~1e3; ResNet-1202 overflows
        # float32): shrink each residual branch by 1/sqrt(blocks), as a trained ResNet's branches are small,
        # then bring the logits to unit scale, so that 1e-4 compares the graphs, not the float32 ulp.
        blocks = [m for m in model.modules() if isinstance(m, BasicBlock | Bottleneck)]
        for block in blocks:
            (block.bn3 if isinstance(block, Bottleneck) else block.bn2).weight.mul_(len(blocks) ** -0.5)
        head = [module for module in model.modules() if isinstance(module, nn.Linear)][-1]
        head.bias.zero_()
        head.weight /= model(images).abs().max()


def build(name: str) -> tuple[nn.Module, tuple[int, int]]:
    """The small model `name` in eval mode, seeded, and the input size its tests export."""
    kwargs, size = SMALL[name]
    torch.manual_seed(0)
    model = paperzoo.create_model(name, **kwargs).eval()
    spread_scores(model, torch.rand(2, 3, *size))
    return model, size


def images(size: tuple[int, int], count: int = 3, seed: int = 1) -> torch.Tensor:
    """`count - 1` random images and a blank one last, `(count, 3, H, W)` in [0, 1]."""
    generator = torch.Generator().manual_seed(seed)
    batch = torch.rand(count, 3, *size, generator=generator)
    batch[-1] = 0.5
    return batch


def set_score_thresh(model: nn.Module, blank: torch.Tensor) -> None:
    """Raise the detection threshold just above the blank image's best score: it has no detection."""
    with torch.no_grad():
        scores = model(blank[None])[0]["scores"]
    if len(scores) == 0:
        return
    best = scores.max().item()
    if isinstance(model, SSD):
        model.score_thresh = best + 1e-3
    else:
        model.box_score_thresh = best + 1e-3
