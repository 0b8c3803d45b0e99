r"""ResNet: Deep Residual Learning for Image Recognition.

He, Zhang, Ren and Sun, CVPR 2016, [arXiv:1512.03385](https://arxiv.org/abs/1512.03385).

A few stacked layers learn the residual $\mathcal{F}(x) = \mathcal{H}(x) - x$ and a shortcut adds $x$ back,
$y = \mathcal{F}(x, \{W_i\}) + x$ (Sec. 3.1-3.2, Eq. 1), so that a deeper network can always fall back
to the identity and no longer trains worse than a shallower one (the degradation problem, Fig. 1).

**Paper section → code.**

| Paper | Code |
|---|---|
| Eq. 1, identity shortcut | `BasicBlock.forward`, `Bottleneck.forward` (`out + identity`) |
| Eq. 2, projection $W_s x$ | `projection_shortcut` (option B) |
| Sec. 3.3 / 4.1, zero-padding shortcut | `ZeroPadShortcut` (option A) |
| Fig. 5, bottleneck | `Bottleneck` (`variant="v1"`: stride in the first 1×1, as in the paper) |
| Table 1, ImageNet ResNets | `IMAGENET_LAYERS`, `ResNet`, `resnet18` … `resnet152` |
| Sec. 4.2, CIFAR-10 ResNets | `CIFAR_N`, `CifarResNet`, `resnet20_cifar` … `resnet1202_cifar` |
| Sec. 4.1, plain baselines | `shortcut=None` in every builder |

**The bottleneck variants.** The paper puts the stride 2 of a stage's first bottleneck in its first 1×1
convolution (`variant="v1"`, the default here); torchvision, Caffe2 and NVIDIA put it in the 3×3
(`variant="v1.5"`), which sees every input pixel and costs more multiply-adds. Both have the same
parameters and the same state dict as `torchvision.models.resnet50`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.fx
from torch import nn
from torchvision.models import WeightsEnum

from paperzoo.models._checks import check_image_batch, check_num_classes
from paperzoo.models._features import NodeFeatures, new_classifier
from paperzoo.registry import Paper, register_model
from paperzoo.weights import Weights, apply_weights, resolve_weights

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "CifarResNet",
    "ResNet",
    "ZeroPadShortcut",
    "projection_shortcut",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnet20_cifar",
    "resnet32_cifar",
    "resnet44_cifar",
    "resnet56_cifar",
    "resnet110_cifar",
    "resnet1202_cifar",
]

# One opaque node in torch.fx graphs, so create_feature_extractor can trace the model.
torch.fx.wrap("check_image_batch")

PAPER = Paper("Deep Residual Learning for Image Recognition", "1512.03385")

Shortcut = Literal["A", "B"]
Variant = Literal["v1", "v1.5"]
BlockKind = Literal["basic", "bottleneck"]

# Table 1 (block, blocks in conv2_x, conv3_x, conv4_x, conv5_x).
IMAGENET_LAYERS: dict[int, tuple[BlockKind, tuple[int, int, int, int]]] = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
# Table 1: filters of conv2_x ... conv5_x (a bottleneck's last 1x1 has 4x as many, Fig. 5).
IMAGENET_WIDTHS = (64, 128, 256, 512)
BOTTLENECK_EXPANSION = 4

# Sec. 4.2: 6n + 2 layers (depth -> n), three stages of 2n 3x3 layers with 16, 32, 64 filters.
CIFAR_N = {20: 3, 32: 5, 44: 7, 56: 9, 110: 18, 1202: 200}
CIFAR_WIDTHS = (16, 32, 64)


class ZeroPadShortcut(nn.Module):
    """Option A (Sec. 3.3, 4.1): the identity, subsampled by the stride and zero-padded to `out_channels`.

    It has no parameters; the extra channels are zeros appended after the input's channels.

    Args:
        in_channels: Channels of the block's input.
        out_channels: Channels of the block's output, at least `in_channels`.
        stride: Subsampling of the block, 1 or 2.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        if out_channels < in_channels:
            raise ValueError(f"option A cannot reduce channels: {in_channels} -> {out_channels}")
        self.extra_channels = out_channels - in_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]  # (N, C, H, W) -> (N, C, H/s, W/s)
        # (N, C, H/s, W/s) -> (N, C', H/s, W/s): pad the channel dimension at its end.
        return nn.functional.pad(x, (0, 0, 0, 0, 0, self.extra_channels))


def projection_shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    r"""Option B (Eq. 2): a projection $W_s x$ by a strided 1×1 convolution and batch norm.

    Named and laid out as torchvision's `downsample`, so that state dicts are interchangeable.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
        nn.BatchNorm2d(out_channels),
    )


def _shortcut(
    in_channels: int, out_channels: int, stride: int, shortcut: Shortcut | None
) -> nn.Module | None:
    """The shortcut of a block that changes shape, or `None` where the identity fits (or for a plain net)."""
    if shortcut is None or (stride == 1 and in_channels == out_channels):
        return None
    if shortcut == "A":
        return ZeroPadShortcut(in_channels, out_channels, stride)
    return projection_shortcut(in_channels, out_channels, stride)


class BasicBlock(nn.Module):
    """Two 3×3 convolutions with a shortcut (Fig. 2, Fig. 5 left): ResNet-18/34 and the CIFAR nets.

    Batch norm follows every convolution and the ReLU follows the addition (Sec. 3.4).

    Args:
        in_channels: Input channels.
        channels: Channels of both 3×3 convolutions (and of the output).
        stride: Stride of the first 3×3 convolution.
        shortcut: `"A"`, `"B"` or `None` (a plain block, Sec. 4.1).
    """

    expansion = 1

    def __init__(
        self, in_channels: int, channels: int, stride: int = 1, shortcut: Shortcut | None = "B"
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.residual = shortcut is not None
        self.downsample = _shortcut(in_channels, channels, stride, shortcut)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.residual:
            out = out + (x if self.downsample is None else self.downsample(x))  # Eq. 1 / Eq. 2
        return self.relu(out)


class Bottleneck(nn.Module):
    """1×1 reduce, 3×3, 1×1 restore with a shortcut (Fig. 5 right): ResNet-50/101/152.

    Args:
        in_channels: Input channels.
        channels: Channels of the 3×3 convolution; the output has `4 * channels`.
        stride: Stride of the block.
        shortcut: `"A"`, `"B"` or `None` (a plain block).
        variant: `"v1"` puts the stride in the first 1×1 convolution (the paper, Sec. 3.4: "downsampling
            is performed by conv3_1, conv4_1, and conv5_1 with a stride of 2", whose first layer is the
            1×1), `"v1.5"` in the 3×3 (torchvision).
    """

    expansion = BOTTLENECK_EXPANSION

    def __init__(
        self,
        in_channels: int,
        channels: int,
        stride: int = 1,
        shortcut: Shortcut | None = "B",
        variant: Variant = "v1",
    ) -> None:
        super().__init__()
        out_channels = channels * self.expansion
        stride_1x1, stride_3x3 = (stride, 1) if variant == "v1" else (1, stride)
        self.conv1 = nn.Conv2d(in_channels, channels, 1, stride=stride_1x1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=stride_3x3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.residual = shortcut is not None
        self.downsample = _shortcut(in_channels, out_channels, stride, shortcut)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.residual:
            out = out + (x if self.downsample is None else self.downsample(x))  # Eq. 1 / Eq. 2
        return self.relu(out)


def _stage(
    block: BlockKind,
    in_channels: int,
    channels: int,
    blocks: int,
    stride: int,
    shortcut: Shortcut | None,
    variant: Variant,
) -> nn.Sequential:
    """One stage (`conv2_x` ...): `blocks` blocks, the first with the stride and the shape change."""
    layers: list[nn.Module] = []
    for index in range(blocks):
        block_stride = stride if index == 0 else 1
        if block == "basic":
            layers.append(BasicBlock(in_channels, channels, block_stride, shortcut))
        else:
            layers.append(Bottleneck(in_channels, channels, block_stride, shortcut, variant))
        in_channels = channels * layers[-1].expansion
    return nn.Sequential(*layers)


def _check_resnet_args(shortcut: object, variant: object, num_classes: int) -> None:
    if shortcut not in ("A", "B", None):
        raise ValueError(f"shortcut must be 'A', 'B' or None (a plain network), got {shortcut!r}")
    if variant not in ("v1", "v1.5"):
        raise ValueError(f"variant must be 'v1' (the paper) or 'v1.5' (torchvision), got {variant!r}")
    check_num_classes(num_classes, background=False)


def _init_weights(model: nn.Module) -> None:
    # torchvision's initialisation (He et al. 2015 for convolutions, as Sec. 3.4 cites), so that random
    # models of both libraries are alike; nn.Linear keeps PyTorch's default, as in torchvision.
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


class _Classifier(nn.Module):
    """`forward_features` / `forward_head` / `forward`, shared by both ResNet families."""

    stages: tuple[str, ...]
    min_input_size: int
    stem_stride: int  # output stride of the stem's activation; each stage after the first halves again

    def reset_classifier(self, num_classes: int) -> None:
        """Replace `fc` by a fresh one with `num_classes` outputs (0: none, logits = pooled features), as timm's."""
        self.fc = new_classifier(self.num_features, num_classes)

    def feature_nodes(self) -> list[tuple[str, int, int]]:
        """`(node, channels, output stride)` of the stem's activation and of each stage, for `features_only`."""
        nodes, stride = [("relu", self.bn1.num_features, self.stem_stride)], self.stem_stride
        for index, name in enumerate(self.stages):
            stride *= 2 if index > 0 or self.stem_stride > 1 else 1  # the ImageNet max pool, then the stages
            last = getattr(self, name)[-1]
            nodes.append(
                (name, (last.bn3 if isinstance(last, Bottleneck) else last.bn2).num_features, stride)
            )
        return nodes

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map `(N, C, H/s, W/s)` (s = 32 on ImageNet, 4 on CIFAR) from `(N, 3, H, W)`."""
        check_image_batch(x, min_size=self.min_input_size)
        x = self.stem(x)
        for name in self.stages:
            x = getattr(self, name)(x)
        return x

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Global average pool and the fully connected layer; `pre_logits=True` stops after the pool."""
        x = self.avgpool(x).flatten(1)  # (N, C, H, W) -> (N, C)
        return x if pre_logits else self.fc(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits `(N, num_classes)` for images `(N, 3, H, W)`."""
        return self.forward_head(self.forward_features(x))


class ResNet(_Classifier):
    """The ImageNet ResNets of Table 1.

    Module names (`conv1`, `bn1`, `layer1` … `layer4`, `fc`) and the state dict are torchvision's.

    Args:
        depth: 18, 34, 50, 101 or 152 (a column of Table 1).
        num_classes: Number of output classes.
        shortcut: `"B"` (projections where the shape changes, the paper's choice for its ImageNet models
            and torchvision's), `"A"` (zero-padding, Sec. 4.1's first comparison) or `None` (plain).
        variant: Where a bottleneck's stride goes: `"v1"` (the paper) or `"v1.5"` (torchvision).
    """

    stages = ("layer1", "layer2", "layer3", "layer4")
    min_input_size = 32
    stem_stride = 2

    def __init__(
        self,
        *,
        depth: int = 50,
        num_classes: int = 1000,
        shortcut: Shortcut | None = "B",
        variant: Variant = "v1",
    ) -> None:
        super().__init__()
        if depth not in IMAGENET_LAYERS:
            raise ValueError(f"depth must be one of {sorted(IMAGENET_LAYERS)} (Table 1), got {depth!r}")
        _check_resnet_args(shortcut, variant, num_classes)
        block, counts = IMAGENET_LAYERS[depth]
        # Table 1, conv1: 7x7, 64, stride 2; then a 3x3 max pool, stride 2.
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        channels = 64
        for index, (width, count) in enumerate(zip(IMAGENET_WIDTHS, counts, strict=True)):
            stage = _stage(block, channels, width, count, 1 if index == 0 else 2, shortcut, variant)
            self.add_module(self.stages[index], stage)
            channels = width * stage[-1].expansion
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        self.num_features = channels
        _init_weights(self)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """conv1 and the max pool: `(N, 3, H, W) -> (N, 64, H/4, W/4)`."""
        return self.maxpool(self.relu(self.bn1(self.conv1(x))))


class CifarResNet(_Classifier):
    """The CIFAR-10 ResNets of Sec. 4.2: 6n + 2 weighted layers on 32×32 images.

    A 3×3 convolution with 16 filters, three stages of n basic blocks with 16, 32 and 64 filters on maps of
    32, 16 and 8 pixels, global average pooling and a 10-way fully connected layer.

    Args:
        n: Blocks per stage (3, 5, 7, 9, 18 and 200 in the paper: 20 to 1202 layers).
        num_classes: Number of output classes.
        shortcut: `"A"` (the paper's choice on CIFAR: "all cases", Sec. 4.2), `"B"` or `None` (plain).
    """

    stages = ("layer1", "layer2", "layer3")
    min_input_size = 4
    stem_stride = 1

    def __init__(self, *, n: int = 3, num_classes: int = 10, shortcut: Shortcut | None = "A") -> None:
        super().__init__()
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n (blocks per stage) must be a positive int, got {n!r}")
        _check_resnet_args(shortcut, "v1", num_classes)
        self.conv1 = nn.Conv2d(3, CIFAR_WIDTHS[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(CIFAR_WIDTHS[0])
        self.relu = nn.ReLU(inplace=True)
        channels = CIFAR_WIDTHS[0]
        for index, width in enumerate(CIFAR_WIDTHS):
            stage = _stage("basic", channels, width, n, 1 if index == 0 else 2, shortcut, "v1")
            self.add_module(self.stages[index], stage)
            channels = width
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        self.num_features = channels
        _init_weights(self)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """The first 3×3 convolution: `(N, 3, H, W) -> (N, 16, H, W)`."""
        return self.relu(self.bn1(self.conv1(x)))


_IMAGENET = {
    "paper": PAPER,
    "task": "classification",
    "input_size": (224, 224),
    "docs": "classification/resnet/",
}
_CIFAR = {**_IMAGENET, "input_size": (32, 32)}


def _imagenet(
    depth: int,
    num_classes: int,
    shortcut: Shortcut | None,
    variant: Variant | None,
    weights: Weights | WeightsEnum | str | None,
    progress: bool,
    features_only: bool,
    out_indices: Sequence[int] | None,
) -> ResNet | NodeFeatures:
    resolved = resolve_weights(f"resnet{depth}", weights)
    needed = resolved.builder_kwargs.get("variant", "v1") if resolved is not None else None
    variant = variant or needed or "v1"
    if resolved is not None and (shortcut != "B" or variant != needed):
        raise ValueError(
            f"{resolved.name} fit shortcut='B'{' and variant=v1.5' if depth >= 50 else ''}, "
            f"got shortcut={shortcut!r}, variant={variant!r}"
        )
    classes = resolved.num_classes if resolved is not None and features_only else num_classes
    model = ResNet(depth=depth, num_classes=classes, shortcut=shortcut, variant=variant)
    if resolved is not None:
        apply_weights(model, resolved, num_classes=classes, progress=progress)
    return NodeFeatures(model, model.feature_nodes(), out_indices) if features_only else model


def _cifar(
    depth: int,
    num_classes: int,
    shortcut: Shortcut | None,
    weights: None,
    features_only: bool,
    out_indices: Sequence[int] | None,
) -> CifarResNet | NodeFeatures:
    if weights is not None:
        raise ValueError(f"no published weights for the CIFAR-10 ResNets; got weights={weights!r}")
    model = CifarResNet(n=CIFAR_N[depth], num_classes=num_classes, shortcut=shortcut)
    return NodeFeatures(model, model.feature_nodes(), out_indices) if features_only else model


@register_model(**_IMAGENET)
def resnet18(
    *,
    num_classes: int = 1000,
    shortcut: Shortcut | None = "B",
    weights: Weights | WeightsEnum | str | None = None,
    progress: bool = True,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> ResNet:
    """ResNet-18 of Table 1 (basic blocks, 2-2-2-2).

    Args:
        num_classes: Number of output classes.
        shortcut: `"B"` (projections where the shape changes), `"A"` (zero-padding) or `None` (plain).
        weights: `None` for random weights, or torchvision's ImageNet weights (`"IMAGENET1K_V1"` =
            `"DEFAULT"`), as a [`Weights`][paperzoo.weights.Weights] entry or a
            `torchvision.models.ResNet18_Weights` member; downloaded once and hash-checked. Another
            `num_classes` keeps the weights and gets a fresh `fc`.
        progress: Show a progress bar if the weights must be downloaded.
        features_only: Return a `NodeFeatures` giving the stem's activation (stride 2) and the four stages'
            outputs (strides 4 to 32), channels and strides in its `feature_info`, as timm's.
        out_indices: With `features_only`, the maps to return (default all five).

    Returns:
        The model (a `NodeFeatures` with `features_only=True`).
    """
    return _imagenet(18, num_classes, shortcut, "v1", weights, progress, features_only, out_indices)


@register_model(**_IMAGENET)
def resnet34(
    *,
    num_classes: int = 1000,
    shortcut: Shortcut | None = "B",
    weights: Weights | WeightsEnum | str | None = None,
    progress: bool = True,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> ResNet:
    """ResNet-34 of Table 1 (basic blocks, 3-4-6-3).

    Args:
        num_classes: Number of output classes.
        shortcut: `"B"` (projections where the shape changes), `"A"` (zero-padding) or `None` (plain).
        weights: `None` for random weights, or torchvision's ImageNet weights (`"IMAGENET1K_V1"` =
            `"DEFAULT"`), as a [`Weights`][paperzoo.weights.Weights] entry or a
            `torchvision.models.ResNet34_Weights` member; downloaded once and hash-checked. Another
            `num_classes` keeps the weights and gets a fresh `fc`.
        progress: Show a progress bar if the weights must be downloaded.
        features_only: Return a `NodeFeatures` giving the stem's activation (stride 2) and the four stages'
            outputs (strides 4 to 32), channels and strides in its `feature_info`, as timm's.
        out_indices: With `features_only`, the maps to return (default all five).

    Returns:
        The model (a `NodeFeatures` with `features_only=True`).
    """
    return _imagenet(34, num_classes, shortcut, "v1", weights, progress, features_only, out_indices)


@register_model(**_IMAGENET)
def resnet50(
    *,
    num_classes: int = 1000,
    shortcut: Shortcut | None = "B",
    variant: Variant | None = None,
    weights: Weights | WeightsEnum | str | None = None,
    progress: bool = True,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> ResNet:
    """ResNet-50 of Table 1 (bottlenecks, 3-4-6-3).

    Args:
        num_classes: Number of output classes.
        shortcut: `"B"` (projections where the shape changes), `"A"` (zero-padding) or `None` (plain).
        variant: `"v1"`, the paper's bottleneck (stride in the first 1×1), or `"v1.5"`, torchvision's
            (stride in the 3×3); `None`: `"v1"`, or `"v1.5"` with weights (torchvision's need it).
        weights: `None` for random weights, or torchvision's ImageNet weights by tag (`"IMAGENET1K_V1"`,
            `"IMAGENET1K_V2"`, `"DEFAULT"` = V2), as a [`Weights`][paperzoo.weights.Weights] entry or a
            `torchvision.models.ResNet50_Weights` member; downloaded once and hash-checked. Another
            `num_classes` keeps the weights and gets a fresh `fc`.
        progress: Show a progress bar if the weights must be downloaded.
        features_only: Return a `NodeFeatures` giving the stem's activation (stride 2) and the four stages'
            outputs (strides 4 to 32), channels and strides in its `feature_info`, as timm's.
        out_indices: With `features_only`, the maps to return (default all five).

    Returns:
        The model (a `NodeFeatures` with `features_only=True`).
    """
    return _imagenet(50, num_classes, shortcut, variant, weights, progress, features_only, out_indices)


@register_model(**_IMAGENET)
def resnet101(
    *,
    num_classes: int = 1000,
    shortcut: Shortcut | None = "B",
    variant: Variant | None = None,
    weights: Weights | WeightsEnum | str | None = None,
    progress: bool = True,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> ResNet:
    """ResNet-101 of Table 1 (bottlenecks, 3-4-23-3), the backbone of R-FCN.

    Arguments as [`resnet50`][paperzoo.models.resnet.resnet50].

    Returns:
        The model.
    """
    return _imagenet(101, num_classes, shortcut, variant, weights, progress, features_only, out_indices)


@register_model(**_IMAGENET)
def resnet152(
    *,
    num_classes: int = 1000,
    shortcut: Shortcut | None = "B",
    variant: Variant | None = None,
    weights: Weights | WeightsEnum | str | None = None,
    progress: bool = True,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> ResNet:
    """ResNet-152 of Table 1 (bottlenecks, 3-8-36-3).

    Arguments as [`resnet50`][paperzoo.models.resnet.resnet50].

    Returns:
        The model.
    """
    return _imagenet(152, num_classes, shortcut, variant, weights, progress, features_only, out_indices)


@register_model(**_CIFAR)
def resnet20_cifar(
    *,
    num_classes: int = 10,
    shortcut: Shortcut | None = "A",
    weights: None = None,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> CifarResNet:
    """ResNet-20 for CIFAR-10 (Sec. 4.2, n = 3).

    Args:
        num_classes: Number of output classes.
        shortcut: `"A"` (the paper's choice on CIFAR), `"B"` or `None` (plain-20, Fig. 6).
        weights: Must be `None`: no weights are published for the CIFAR-10 models.
        features_only: Return a `NodeFeatures` giving the first convolution's activation and the three
            stages' outputs (strides 1, 1, 2, 4), channels and strides in its `feature_info`.
        out_indices: With `features_only`, the maps to return (default all four).

    Returns:
        The model (a `NodeFeatures` with `features_only=True`).
    """
    return _cifar(20, num_classes, shortcut, weights, features_only, out_indices)


@register_model(**_CIFAR)
def resnet32_cifar(
    *,
    num_classes: int = 10,
    shortcut: Shortcut | None = "A",
    weights: None = None,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> CifarResNet:
    """ResNet-32 for CIFAR-10 (Sec. 4.2, n = 5).

    Arguments as [`resnet20_cifar`][paperzoo.models.resnet.resnet20_cifar].

    Returns:
        The model.
    """
    return _cifar(32, num_classes, shortcut, weights, features_only, out_indices)


@register_model(**_CIFAR)
def resnet44_cifar(
    *,
    num_classes: int = 10,
    shortcut: Shortcut | None = "A",
    weights: None = None,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> CifarResNet:
    """ResNet-44 for CIFAR-10 (Sec. 4.2, n = 7).

    Arguments as [`resnet20_cifar`][paperzoo.models.resnet.resnet20_cifar].

    Returns:
        The model.
    """
    return _cifar(44, num_classes, shortcut, weights, features_only, out_indices)


@register_model(**_CIFAR)
def resnet56_cifar(
    *,
    num_classes: int = 10,
    shortcut: Shortcut | None = "A",
    weights: None = None,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> CifarResNet:
    """ResNet-56 for CIFAR-10 (Sec. 4.2, n = 9).

    Arguments as [`resnet20_cifar`][paperzoo.models.resnet.resnet20_cifar].

    Returns:
        The model.
    """
    return _cifar(56, num_classes, shortcut, weights, features_only, out_indices)


@register_model(**_CIFAR)
def resnet110_cifar(
    *,
    num_classes: int = 10,
    shortcut: Shortcut | None = "A",
    weights: None = None,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> CifarResNet:
    """ResNet-110 for CIFAR-10 (Sec. 4.2, n = 18).

    Arguments as [`resnet20_cifar`][paperzoo.models.resnet.resnet20_cifar].

    Returns:
        The model.
    """
    return _cifar(110, num_classes, shortcut, weights, features_only, out_indices)


@register_model(**_CIFAR)
def resnet1202_cifar(
    *,
    num_classes: int = 10,
    shortcut: Shortcut | None = "A",
    weights: None = None,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> CifarResNet:
    """ResNet-1202 for CIFAR-10 (Sec. 4.2, n = 200), the paper's example of overfitting.

    Arguments as [`resnet20_cifar`][paperzoo.models.resnet.resnet20_cifar].

    Returns:
        The model.
    """
    return _cifar(1202, num_classes, shortcut, weights, features_only, out_indices)
