r"""MobileNetV2: Inverted Residuals and Linear Bottlenecks.

Sandler et al., 2018, [arXiv:1801.04381](https://arxiv.org/abs/1801.04381).

The building block expands a thin bottleneck by a factor $t$ with a $1\times1$ conv, filters it with a
depthwise $3\times3$ conv and projects it back with a *linear* $1\times1$ conv (Sec. 3.2-3.3, Table 1);
the shortcut joins the thin bottlenecks, the inverse of a ResNet block (Fig. 3).

The state dict is key-for-key that of `torchvision.models.mobilenet_v2` at every width, so torchvision's
ImageNet weights load unchanged (`weights="IMAGENET1K_V1"` or `"IMAGENET1K_V2"`, see `paperzoo.weights`).

**Paper vs code.** Table 4's parameter and Mult-Add counts are claims in
`docs/_cards/mobilenet-v2.yml`, computed from this module and checked by the test suite and the site
build. The paper's 6.9M parameters for α = 1.4 do not follow from its Table 2 (nor from the authors' TF
code): a deviation of the paper, not of the implementation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.fx
from torch import nn
from torchvision.ops.misc import Conv2dNormActivation

from paperzoo.models._checks import check_classifier_args, check_image_batch
from paperzoo.models._features import StageFeatures, new_classifier
from paperzoo.registry import Paper, register_model
from paperzoo.weights import Weights, apply_weights, resolve_weights

__all__ = ["InvertedResidual", "MobileNetV2", "make_divisible", "mobilenet_v2"]

# One opaque node in torch.fx graphs, so create_feature_extractor can trace the model.
torch.fx.wrap("check_image_batch")

PAPER = Paper("MobileNetV2: Inverted Residuals and Linear Bottlenecks", "1801.04381")

# Table 2: conv2d 3x3 with 32 filters and stride 2 first; conv2d 1x1 with 1280 filters last.
STEM_CHANNELS = 32
LAST_CHANNELS = 1280

# Table 2 (t, c, n, s): expansion factor, output channels, repeats, stride of the first repeat.
BOTTLENECKS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)

# Index in `features` of the first bottleneck with c=160 (the paper's 15th layer of Table 2 counting
# the stem); its expansion conv `features[14].conv[0]` runs at output stride 16 and feeds SSDLite's
# first head (Sec. 6.2). As a torch.fx node name: "features.14.conv.0".
STRIDE16_EXPANSION_BLOCK = 14

# `features_only`: (index in `features`, output stride) of the last block of each resolution, as timm's
# MobileNetV2 (its last stage is the 320-channel bottleneck, before the 1x1 conv to 1280).
FEATURE_STAGES = ((1, 2), (3, 4), (6, 8), (13, 16), (17, 32))


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round a channel count to the nearest multiple of `divisor`, never more than 10% down.

    The rule of the authors' TF code (`_make_divisible`), which torchvision copies; it decides every
    channel count under a width multiplier.
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


class InvertedResidual(nn.Module):
    """Bottleneck residual block of Table 1: expand 1x1 + ReLU6, depthwise 3x3 + ReLU6, linear 1x1.

    The expansion is skipped when $t = 1$ (the first bottleneck), as in the authors' code. The shortcut
    is used only with stride 1 and equal input and output channels (Sec. 4, Fig. 4d).

    Args:
        in_channels: Input channels $k$.
        out_channels: Output channels $k'$.
        stride: Stride $s$ of the depthwise conv, 1 or 2.
        expand_ratio: Expansion factor $t$.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        hidden = round(in_channels * expand_ratio)
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(in_channels, hidden, kernel_size=1, activation_layer=nn.ReLU6))
        layers += [
            Conv2dNormActivation(hidden, hidden, stride=stride, groups=hidden, activation_layer=nn.ReLU6),
            # Sec. 3.2: the projection is linear; a ReLU here would destroy information in the thin layer.
            nn.Conv2d(hidden, out_channels, kernel_size=1, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        self.conv = nn.Sequential(*layers)
        self.use_residual = stride == 1 and in_channels == out_channels
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        if self.use_residual:
            # In place: one feature map fewer to allocate per block. Autograd allows it, since the
            # final batch norm does not keep its output for the backward pass.
            out += x
        return out


class MobileNetV2(nn.Module):
    r"""MobileNetV2 (Table 2) with width multiplier $\alpha$ and any input resolution >= 32.

    `features` is an `nn.Sequential` numbered as torchvision's: `features[0]` is the stem conv,
    `features[1:18]` the 17 bottlenecks, `features[18]` the final 1x1 conv. For SSDLite (Sec. 6.2) the
    stride-16 feature map is the output of `features[14].conv[0]` (the expansion of the 15th layer,
    576·α channels): run `features[:14]`, then `features[14].conv[0]`, then the rest of `features[14].conv`
    and `features[15:]`; or trace it with
    `create_feature_extractor(model, {"features.14.conv.0": "c4", "features.18": "c5"})`.

    Args:
        width_mult: Width multiplier $\alpha$ (Sec. 5.1); the last conv has $1280 \cdot \max(1, \alpha)$ channels.
        num_classes: Number of output classes.
        dropout: Dropout rate before the classifier (0.2, as torchvision).
    """

    def __init__(self, *, width_mult: float = 1.0, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        check_classifier_args(width_mult=width_mult, num_classes=num_classes, dropout=dropout)
        channels = make_divisible(STEM_CHANNELS * width_mult)
        layers: list[nn.Module] = [Conv2dNormActivation(3, channels, stride=2, activation_layer=nn.ReLU6)]
        for expand_ratio, out_channels, repeats, stride in BOTTLENECKS:
            out_channels = make_divisible(out_channels * width_mult)
            for index in range(repeats):
                layers.append(
                    InvertedResidual(channels, out_channels, stride if index == 0 else 1, expand_ratio)
                )
                channels = out_channels
        self.num_features = make_divisible(LAST_CHANNELS * max(1.0, width_mult))
        layers.append(
            Conv2dNormActivation(channels, self.num_features, kernel_size=1, activation_layer=nn.ReLU6)
        )
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(self.num_features, num_classes))
        self._init_weights()

    def _init_weights(self) -> None:
        # torchvision's initialisation, so that random models of both libraries are alike.
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0, 0.01)
                nn.init.zeros_(module.bias)

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the FC layer by a fresh one with `num_classes` outputs (0: none, logits = pooled features)."""
        self.classifier[1] = new_classifier(self.num_features, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map, `(N, 1280·max(1, α), H/32, W/32)`, from images `(N, 3, H, W)`."""
        check_image_batch(x, min_size=32)
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Global average pool and the classifier; `pre_logits=True` stops after the pool."""
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)  # (N, C, H, W) -> (N, C)
        if pre_logits:
            return x
        return self.classifier(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits `(N, num_classes)` for images `(N, 3, H, W)`, H and W >= 32."""
        return self.forward_head(self.forward_features(x))


@register_model(
    paper=PAPER, task="classification", input_size=(224, 224), docs="object-detection/mobilenet-v2/"
)
def mobilenet_v2(
    *,
    width_mult: float = 1.0,
    num_classes: int = 1000,
    dropout: float = 0.2,
    weights: Weights | str | None = None,
    progress: bool = True,
    features_only: bool = False,
    out_indices: Sequence[int] | None = None,
) -> MobileNetV2:
    r"""MobileNetV2 of Table 2, optionally with torchvision's ImageNet weights.

    Args:
        width_mult: Width multiplier $\alpha$ (1.0 with weights).
        num_classes: Number of output classes; with weights, another count gets a fresh classifier.
        dropout: Dropout rate before the classifier.
        weights: `None` for random weights, or torchvision's ImageNet weights by tag (`"IMAGENET1K_V1"`,
            `"IMAGENET1K_V2"`, `"DEFAULT"` = V2), as a [`Weights`][paperzoo.weights.Weights] entry, or as a
            `torchvision.models.MobileNet_V2_Weights` member; downloaded once and hash-checked.
        progress: Show a progress bar while downloading weights.
        features_only: Return a `StageFeatures` giving the
            maps at strides 2, 4, 8, 16, 32 (channels in its `feature_info`) instead of the classifier.
        out_indices: With `features_only`, the stages to return (default all five).

    Returns:
        The model (a `StageFeatures` with `features_only=True`).

    Raises:
        ValueError: If the weights are unknown or do not fit `width_mult`.
    """
    resolved = resolve_weights("mobilenet_v2", weights)
    classes = resolved.num_classes if resolved and features_only else num_classes
    model = MobileNetV2(width_mult=width_mult, num_classes=classes, dropout=dropout)
    if resolved is not None:
        apply_weights(model, resolved, num_classes=classes, progress=progress)
    return StageFeatures(model.features, FEATURE_STAGES, out_indices) if features_only else model
