r"""SSD: Single Shot MultiBox Detector.

Liu et al., 2016, [arXiv:1512.02325](https://arxiv.org/abs/1512.02325).

A truncated VGG16 ("reduced": fc6/fc7 turned into convolutions, Sec. 3) is followed by extra layers
that halve the resolution; small $3\times3$ convolutions on six (SSD300) or seven (SSD512) of these maps
predict, for every default box, class scores and box offsets in one pass (Fig. 2, Sec. 2.1).
Training matches default boxes to objects and minimises the MultiBox loss with hard negative mining
(Sec. 2.2); inference decodes the offsets and runs per-class NMS.

**Paper section → code.**

| Paper | What | Where |
|---|---|---|
| Sec. 2.1, Fig. 2 | reduced VGG16 and the extra feature layers | `VGG16Reduced`, `EXTRAS_300`, `EXTRAS_512` |
| Sec. 2.1 "Convolutional predictors" | a 3x3 conv per source map and output | `SSDHead`, `conv3x3_predictor` |
| Sec. 2.1, 2.2 "Choosing scales and aspect ratios" | default boxes, $s_k$ and aspect ratios | `paperzoo.detection.default_boxes`, `ssd_box_config` |
| Sec. 2.2 "Matching strategy" | best prior per object, then IoU ≥ 0.5 | `paperzoo.detection.matcher.match_priors` |
| Sec. 2.2 "Training objective", Eq. 1–2 | MultiBox loss, offset encoding | `paperzoo.detection.multibox_loss.multibox_loss`, `paperzoo.detection.box_coder` |
| Sec. 2.2 "Hard negative mining" | negatives at most 3:1, hardest first | `paperzoo.detection.multibox_loss` (`mine_hard_negatives`) |
| Sec. 2.2 "Data augmentation", Sec. 3.6 | patch sampling, flips, photometric, zoom out | `paperzoo.detection.ssd_transforms` |
| Sec. 3 "Base network", Sec. 3.1 | fc6/fc7 subsampled, atrous fc6, conv4_3 L2 norm | `VGG16Reduced.load_imagenet_state_dict`, `L2Norm` |
| Sec. 3.1 | SGD schedule | `paperzoo.training.recipes` (`ssd300_vgg16_voc`) |
| Sec. 3.7 | threshold 0.01, NMS 0.45 per class, 200 per image | `SSD.postprocess`, `paperzoo.detection.ssd_postprocess` |
| Footnote 5 | SSD512's extra block | `EXTRAS_512`, `ssd512_vgg16` |

The model follows torchvision's detection contract: `model(images, targets)` returns the two losses in
train mode, `model(images)` a list of `{"boxes", "scores", "labels"}` in eval mode, each image in its own
pixel coordinates. The pieces shared with SSDLite (targets, default boxes, matching, loss,
post-processing) live in `paperzoo.detection`; this module holds the network.

**Deviations and choices.**

- Default boxes, matching and the loss are batched over the images (torchvision loops over them). Each
  image keeps at least 3 hard negatives, so an image without objects still teaches "background" when
  the batch has a positive (see `paperzoo.detection.multibox_loss`); `min_negatives=0` gives
  torchvision's loss. A batch without any positive has loss 0, as the paper sets it for N = 0.
- The default `default_boxes="torchvision"` for SSD300 (Caffe's COCO sizes, clipped) keeps the model
  interchangeable with torchvision's `ssd300_vgg16`; `"paper"`, `"caffe_voc"` and `"caffe_coco"` are one
  argument away.
- SSD512's extra layers follow Caffe's `ssd_pascal_512.py` (five stride-2 blocks and a final $4\times4$
  conv, maps 64, 32, 16, 8, 4, 2, 1). torchvision's `highres` option appends a $4\times4$ conv to the
  SSD300 extras instead, which gives maps 64, 32, 16, 8, 6, 4, 1 that do not match the paper's 24,564
  boxes.
- With ImageNet weights whose classifier is present (`weights_backbone="IMAGENET1K_V1"`), fc6 and fc7
  are subsampled from VGG's fully connected layers as the paper does ("we subsample parameters from fc6
  and fc7", Sec. 3); torchvision's SSD starts from `IMAGENET1K_FEATURES` and leaves them random.
- Published weights (`paperzoo.weights`): torchvision's COCO SSD300 (`weights="COCO_V1"`) loads with
  its preprocessing (Caffe normalisation, resize without antialiasing), and then gives torchvision's
  detections.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.ops import box_convert
from torchvision.transforms.v2 import functional as TF

from paperzoo.analysis.complexity import shape_preserving_layers_skipped
from paperzoo.detection.box_coder import VARIANCES
from paperzoo.detection.default_boxes import (
    PRESETS,
    DefaultBoxConfig,
    DefaultBoxes,
    num_boxes_per_location,
    paper_scales,
)
from paperzoo.detection.matcher import match_priors
from paperzoo.detection.multibox_loss import encode_targets, multibox_loss
from paperzoo.detection.ssd_postprocess import postprocess_detections
from paperzoo.detection.targets import pad_targets, validate_targets
from paperzoo.models._checks import check_num_classes
from paperzoo.registry import Paper, register_model
from paperzoo.weights import Preprocessing, Weights, apply_weights, resolve_weights

# Input normalisation of the Caffe-converted VGG16 weights (torchvision's `IMAGENET1K_FEATURES`): images
# in [0, 1] become 0-255 with the per-channel mean removed, as Caffe's SSD reads them.
from paperzoo.weights.catalog import CAFFE_MEAN, CAFFE_STD

__all__ = [
    "L2Norm",
    "SSD",
    "SSDHead",
    "VGG16Reduced",
    "ssd300_vgg16",
    "ssd512_vgg16",
    "ssd_box_config",
]

PAPER = Paper("SSD: Single Shot MultiBox Detector", "1512.02325")

# VGG paper Table 1, configuration D (VGG16) up to conv5_3: output channels of each 3x3 conv, "M" a 2x2
# max pool. torchvision's `vgg16().features` numbering is kept, so ImageNet weights load key for key.
VGG16_CONV: tuple[int | str, ...] = (
    *(64, 64, "M"),
    *(128, 128, "M"),
    *(256, 256, 256, "M"),
    *(512, 512, 512, "M"),
    *(512, 512, 512),
)
# Index in `features` after relu4_3: conv4_3 is the first source layer (Fig. 2).
CONV4_3_END = 23

# Extra feature layers (Fig. 2; Caffe `AddExtraLayers` in ssd_pascal.py / ssd_pascal_512.py):
# (1x1 channels, 3x3 output channels, kernel, stride, padding) of each block after fc7.
EXTRAS_300: tuple[tuple[int, int, int, int, int], ...] = (
    (256, 512, 3, 2, 1),  # conv8_2: 19 -> 10
    (128, 256, 3, 2, 1),  # conv9_2: 10 -> 5
    (128, 256, 3, 1, 0),  # conv10_2: 5 -> 3
    (128, 256, 3, 1, 0),  # conv11_2: 3 -> 1
)
EXTRAS_512: tuple[tuple[int, int, int, int, int], ...] = (
    (256, 512, 3, 2, 1),  # 32 -> 16
    (128, 256, 3, 2, 1),  # 16 -> 8
    (128, 256, 3, 2, 1),  # 8 -> 4
    (128, 256, 3, 2, 1),  # 4 -> 2
    (128, 256, 4, 1, 1),  # 2 -> 1 (footnote 5: the extra block of SSD512)
)

BOX_PRESETS = ("torchvision", "paper", "caffe_voc", "caffe_coco")


def ssd_box_config(preset: str, input_size: int = 300) -> DefaultBoxConfig:
    r"""The default-box configuration named `preset` for SSD300 or SSD512.

    SSD512 has Caffe-style presets only; `"torchvision"` there means `"caffe_coco"` with clipping (what
    torchvision's SSD300 preset is at 300), and `"paper"` footnote 3's setting: conv4_3 at 0.07, then
    the formula from $s_\min = 0.15$ to $s_\max = 0.9$ over the six maps after it (the SSD300
    `"paper"` preset has 0.1, then 0.2 to 0.9, Sec. 3.1).

    Args:
        preset: One of `"torchvision"`, `"paper"`, `"caffe_voc"`, `"caffe_coco"`.
        input_size: 300 or 512.

    Raises:
        ValueError: For an unknown preset or input size.
    """
    if preset not in BOX_PRESETS:
        raise ValueError(f"default_boxes must be one of {BOX_PRESETS}, got {preset!r}")
    if input_size == 300:
        return PRESETS[preset]
    if input_size != 512:
        raise ValueError(f"SSD box presets exist for input sizes 300 and 512, got {input_size}")
    if preset in ("caffe_voc", "caffe_coco"):
        return PRESETS[f"{preset}_512"]
    if preset == "torchvision":
        return replace(PRESETS["caffe_coco_512"], clip=True)
    scales = [0.07, *paper_scales(6, s_min=0.15)]  # footnote 3: "set s_min to 0.15, and 0.07 on conv4_3"
    return replace(PRESETS["caffe_voc_512"], min_sizes=tuple(scales[:-1]), max_sizes=tuple(scales[1:]))


def _xavier_init(module: nn.Module) -> None:
    # Caffe's "xavier" filler for the layers SSD adds (ssd_pascal.py), as torchvision.
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


class L2Norm(nn.Module):
    r"""L2 normalisation over channels with a learned per-channel scale (Sec. 3.1, after ParseNet).

    conv4_3's activations are much larger than those of later layers; normalising each location's
    feature vector and rescaling it by $\gamma_c$ (initialised to 20) balances the heads.

    Args:
        channels: Number of channels $C$.
        scale: Initial value of every $\gamma_c$.
    """

    def __init__(self, channels: int, scale: float = 20.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), scale))

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(x, dim=1) * self.weight.view(1, -1, 1, 1)  # (C,) -> (1, C, 1, 1)


def _vgg16_features() -> nn.Sequential:
    layers: list[nn.Module] = []
    channels = 3
    pools = 0
    for value in VGG16_CONV:
        if value == "M":
            pools += 1
            # Caffe rounds pooled sizes up: pool3 turns 75 into 38 for SSD300 (Fig. 2's 38x38 conv4_3).
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=pools == 3))
            continue
        layers += [nn.Conv2d(channels, int(value), kernel_size=3, padding=1), nn.ReLU(inplace=True)]
        channels = int(value)
    for layer in layers:  # torchvision's VGG initialisation
        if isinstance(layer, nn.Conv2d):
            nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


def _extra_block(in_channels: int, spec: tuple[int, int, int, int, int]) -> nn.Sequential:
    reduced, out_channels, kernel, stride, padding = spec
    return nn.Sequential(
        nn.Conv2d(in_channels, reduced, kernel_size=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(reduced, out_channels, kernel_size=kernel, stride=stride, padding=padding),
        nn.ReLU(inplace=True),
    )


class VGG16Reduced(nn.Module):
    """VGG16 with the paper's changes and the extra layers: the source feature maps of SSD (Fig. 2).

    pool5 becomes 3x3 stride 1, fc6 a 3x3 conv with 1024 channels and dilation 6 ("à trous"), fc7 a
    1x1 conv with 1024 channels (Sec. 3, "Base network"). conv4_3 goes through
    [`L2Norm`][paperzoo.models.ssd.L2Norm].

    Args:
        extras: The extra blocks, e.g. `EXTRAS_300` or `EXTRAS_512`.

    Attributes:
        out_channels: Channels of each source map: 512, 1024, then the extras' outputs.
    """

    def __init__(self, extras: Sequence[tuple[int, int, int, int, int]] = EXTRAS_300) -> None:
        super().__init__()
        self.features = _vgg16_features()  # conv1_1 ... relu5_3, torchvision's numbering
        self.l2norm = L2Norm(512)
        self.pool5 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.fc6 = nn.Conv2d(512, 1024, kernel_size=3, padding=6, dilation=6)
        self.fc7 = nn.Conv2d(1024, 1024, kernel_size=1)
        blocks, channels = [], 1024
        for spec in extras:
            blocks.append(_extra_block(channels, spec))
            channels = spec[1]
        self.extras = nn.ModuleList(blocks)
        self.out_channels = [512, 1024, *(spec[1] for spec in extras)]
        _xavier_init(nn.ModuleList([self.fc6, self.fc7, self.extras]))

    def forward(self, x: Tensor) -> list[Tensor]:
        """Source maps, e.g. `(N, 512, 38, 38)`, `(N, 1024, 19, 19)`, ... `(N, 256, 1, 1)` for SSD300."""
        x = self.features[:CONV4_3_END](x)
        sources = [self.l2norm(x)]
        x = self.pool5(self.features[CONV4_3_END:](x))
        x = F.relu(self.fc7(F.relu(self.fc6(x), inplace=True)), inplace=True)
        sources.append(x)
        for block in self.extras:
            x = block(x)
            sources.append(x)
        return sources


def conv3x3_predictor(in_channels: int, out_channels: int) -> nn.Module:
    """The paper's predictor: one 3x3 conv per map and output (Sec. 2.1, "Convolutional predictors")."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)


def _flatten_predictions(outputs: list[Tensor], columns: int) -> Tensor:
    flat = []
    for out in outputs:
        n, _, h, w = out.shape
        out = out.view(n, -1, columns, h, w)  # (N, A·K, H, W) -> (N, A, K, H, W)
        flat.append(out.permute(0, 3, 4, 1, 2).reshape(n, -1, columns))  # -> (N, H·W·A, K)
    return torch.cat(flat, dim=1)  # per map (N, H_k·W_k·A_k, K) -> (N, A_total, K)


class SSDHead(nn.Module):
    """Class and box predictors on each source map; outputs line up with the default boxes.

    Within a location, the `A` predictions follow the default boxes' order, so `(N, A·K, H, W)` outputs
    are flattened location by location, box by box, as the boxes are generated.

    Args:
        in_channels: Channels of each source map.
        num_boxes: Default boxes per location of each map.
        num_classes: Classes including the background.
        predictor: Builds one predictor `(in_channels, out_channels) -> module`.
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        num_boxes: Sequence[int],
        num_classes: int,
        predictor: Callable[[int, int], nn.Module] = conv3x3_predictor,
    ) -> None:
        super().__init__()
        if len(in_channels) != len(num_boxes):
            raise ValueError(f"got {len(in_channels)} source maps but box counts for {len(num_boxes)}")
        self.num_classes = num_classes
        pairs = list(zip(in_channels, num_boxes, strict=True))
        self.classification = nn.ModuleList(predictor(c, a * num_classes) for c, a in pairs)
        self.regression = nn.ModuleList(predictor(c, a * 4) for c, a in pairs)
        _xavier_init(self)

    def forward(self, sources: list[Tensor]) -> dict[str, Tensor]:
        """`{"bbox_regression": (N, A, 4), "cls_logits": (N, A, C)}` over all A default boxes."""
        scores = [head(x) for head, x in zip(self.classification, sources, strict=True)]
        deltas = [head(x) for head, x in zip(self.regression, sources, strict=True)]
        return {
            "bbox_regression": _flatten_predictions(deltas, 4),
            "cls_logits": _flatten_predictions(scores, self.num_classes),
        }


def _feature_map_sizes(backbone: nn.Module, size: tuple[int, int]) -> list[tuple[int, int]]:
    """Shapes of the backbone's source maps for an input `size`, traced on the meta device (no compute)."""
    meta = {
        name: torch.empty_like(t, device="meta") for name, t in backbone.state_dict(keep_vars=True).items()
    }
    image = torch.empty((2, 3, *size), device="meta")  # 2: a norm layer in train mode may need > 1 value
    with shape_preserving_layers_skipped(backbone):  # 5x faster: they have no C++ meta kernels
        sources = torch.func.functional_call(backbone, meta, (image,))
    return [(int(s.shape[-2]), int(s.shape[-1])) for s in sources]


class SSD(nn.Module):
    """The Single Shot MultiBox Detector around any backbone that returns a list of source maps.

    Images are resized to the fixed input `size` (torchvision's functional resize, one call per
    distinct image size), normalised, and passed through the backbone and the head. Boxes are handled in
    fractions of the image, so ground truth and detections are in each image's own pixel coordinates
    whatever its size.

    Args:
        backbone: Module mapping `(N, 3, H, W)` to a list of source maps, with an `out_channels` list.
        num_classes: Classes including the background (label 0).
        box_config: Default-box configuration; its `feature_maps` must be the backbone's map sizes when
            its `steps` are given.
        size: Network input `(H, W)`; defaults to the configuration's square input size.
        head: Predictor head; defaults to [`SSDHead`][paperzoo.models.ssd.SSDHead] with 3x3 convs.
        image_mean: Per-channel mean subtracted from images in [0, 1].
        image_std: Per-channel divisor applied after the mean.
        score_thresh: Post-processing score threshold (0.01 in the released code).
        nms_thresh: Per-class NMS IoU threshold (0.45).
        detections_per_img: Detections kept per image (200).
        topk_candidates: Candidates kept per class before NMS (400).
        iou_threshold: Matching overlap for positives (0.5, Sec. 2.2).
        neg_pos_ratio: Hard negatives per positive (3, Sec. 2.2).
        min_negatives: Hard negatives per image even without objects, in a batch with at least one
            positive (0 reproduces torchvision; a batch with none has loss 0, Sec. 2.2).
        antialias: Antialias when downscaling images (torchvision's detectors do not).
    """

    def __init__(
        self,
        backbone: nn.Module,
        num_classes: int,
        box_config: DefaultBoxConfig,
        *,
        size: tuple[int, int] | None = None,
        head: nn.Module | None = None,
        image_mean: Sequence[float] = CAFFE_MEAN,
        image_std: Sequence[float] = CAFFE_STD,
        score_thresh: float = 0.01,
        nms_thresh: float = 0.45,
        detections_per_img: int = 200,
        topk_candidates: int = 400,
        iou_threshold: float = 0.5,
        neg_pos_ratio: int = 3,
        min_negatives: int = 3,
        antialias: bool = True,
    ) -> None:
        super().__init__()
        check_num_classes(num_classes, background=True)
        if len(image_mean) != 3 or len(image_std) != 3:
            raise ValueError(f"image_mean and image_std need 3 values, got {image_mean} and {image_std}")
        self.size = tuple(size) if size is not None else (box_config.input_size, box_config.input_size)
        self.num_classes = num_classes
        self.backbone = backbone
        self.feature_map_sizes = _feature_map_sizes(backbone, self.size)
        expected = [(f, f) for f in box_config.feature_maps]
        if box_config.steps is not None and self.feature_map_sizes != expected:
            raise ValueError(
                f"the backbone gives source maps {self.feature_map_sizes} at {self.size}, but the box "
                f"configuration with steps {box_config.steps} is made for {expected}"
            )
        self.head = (
            head
            if head is not None
            else SSDHead(backbone.out_channels, num_boxes_per_location(box_config), num_classes)
        )
        self.default_boxes = DefaultBoxes(box_config)
        self.normalization = (tuple(map(float, image_mean)), tuple(map(float, image_std)))
        mean, std = torch.tensor(image_mean), torch.tensor(image_std)
        self.register_buffer("image_mean", mean.view(1, 3, 1, 1), persistent=False)  # (3,) -> (1, 3, 1, 1)
        self.register_buffer("image_std", std.view(1, 3, 1, 1), persistent=False)  # (3,) -> (1, 3, 1, 1)
        # Inference (Sec. 3, ssd_pascal.py test settings) and training (Sec. 2.2) hyper-parameters.
        self.score_thresh, self.nms_thresh = score_thresh, nms_thresh
        self.detections_per_img, self.topk_candidates = detections_per_img, topk_candidates
        self.iou_threshold, self.neg_pos_ratio = iou_threshold, neg_pos_ratio
        self.min_negatives, self.antialias = min_negatives, antialias
        # Batch norm cannot train on one value per channel, which a 1x1 source map of one image gives.
        has_batch_norm = any(isinstance(m, nn.BatchNorm2d) for m in self.modules())
        one_by_one = min(h * w for h, w in self.feature_map_sizes) == 1
        self.min_train_batch = 2 if has_batch_norm and one_by_one else 1

    @property
    def transform(self) -> Preprocessing:
        """The preprocessing `preprocess` applies (fixed-size resize, normalisation), as weights list theirs."""
        mean, std = self.normalization
        return Preprocessing(self.size, None, mean, std, "bilinear", self.antialias)

    @property
    def priors(self) -> Tensor:
        """The `[A, 4]` default boxes (`cx, cy, w, h` in fractions of the image), cached."""
        return self.default_boxes(self.size, self.feature_map_sizes)

    def preprocess(self, images: list[Tensor] | Tensor) -> tuple[Tensor, list[tuple[int, int]]]:
        """Resize and normalise images into one `(N, 3, H, W)` batch; also return their original sizes.

        Args:
            images: A list of `[3, H_i, W_i]` float tensors in [0, 1], or a batch `[N, 3, H, W]`.
        """
        if isinstance(images, Tensor):
            if images.ndim != 4 or images.shape[1] != 3 or images.shape[0] == 0:
                raise ValueError(
                    f"a batched image tensor must be [N, 3, H, W], N >= 1, got {list(images.shape)}"
                )
            if not images.is_floating_point():
                raise TypeError(f"images must be a float tensor in [0, 1], got {images.dtype}")
            image_sizes = [(int(images.shape[2]), int(images.shape[3]))] * images.shape[0]
            batch = images if image_sizes[0] == self.size else self._resize(images)
        else:
            image_sizes = self._check_image_list(images)
            batch = images[0].new_empty((len(images), 3, *self.size))
            groups: dict[tuple[int, int], list[int]] = {}
            for i, size in enumerate(image_sizes):
                groups.setdefault(size, []).append(i)
            for size, indices in groups.items():  # one resize per distinct image size
                group = torch.stack([images[i] for i in indices])  # n × (3, H_i, W_i) -> (n, 3, H_i, W_i)
                batch[indices] = group if size == self.size else self._resize(group)
        return (batch - self.image_mean) / self.image_std, image_sizes

    def _resize(self, images: Tensor) -> Tensor:
        return TF.resize(images, list(self.size), antialias=self.antialias)

    @staticmethod
    def _check_image_list(images: object) -> list[tuple[int, int]]:
        if not isinstance(images, (list, tuple)) or len(images) == 0:
            raise ValueError(
                f"images must be a non-empty list of [3, H, W] tensors, got {type(images).__name__}"
            )
        for i, image in enumerate(images):
            if not isinstance(image, Tensor) or image.ndim != 3 or image.shape[0] != 3:
                got = list(image.shape) if isinstance(image, Tensor) else type(image).__name__
                raise ValueError(f"images[{i}] must be a [3, H, W] tensor, got {got}")
            if not image.is_floating_point():
                raise TypeError(f"images[{i}] must be a float tensor in [0, 1], got {image.dtype}")
        return [(int(image.shape[1]), int(image.shape[2])) for image in images]

    def forward(
        self, images: list[Tensor] | Tensor, targets: list[dict[str, Tensor]] | None = None
    ) -> dict[str, Tensor] | list[dict[str, Tensor]]:
        """Losses `{"bbox_regression", "classification"}` in train mode, detections in eval mode.

        Args:
            images: A list of `[3, H_i, W_i]` float tensors in [0, 1] (sizes may differ), or `[N, 3, H, W]`.
            targets: Train mode only: one dict per image with `"boxes"` (float `[G, 4]`, `x1, y1, x2, y2`
                in that image's pixels) and `"labels"` (int64 `[G]` in `[1, num_classes - 1]`).

        Returns:
            The losses (train), or one `{"boxes" [D, 4], "scores" [D], "labels" [D]}` per image (eval), with
                boxes in the image's own pixel coordinates.

        Raises:
            ValueError: Malformed images or targets (naming the image and box), no targets in train mode,
                or a single training image for a model with batch norm on a 1x1 map (SSDLite).
        """
        if self.training:
            if targets is None:
                raise ValueError("targets are required in training mode (one dict per image)")
            validate_targets(targets, self.num_classes)
            if len(targets) != len(images):
                raise ValueError(f"got {len(targets)} targets for {len(images)} images")
        batch, image_sizes = self.preprocess(images)
        if self.training and len(image_sizes) < self.min_train_batch:
            raise ValueError(
                f"training needs at least {self.min_train_batch} images per batch: batch norm on the "
                f"1x1 source map cannot normalise a single value (got {len(image_sizes)} image)"
            )
        head_outputs = self.head(self.backbone(batch))
        if self.training:
            return self.compute_loss(head_outputs, targets, image_sizes)
        return self.postprocess(head_outputs, image_sizes)

    def compute_loss(
        self,
        head_outputs: dict[str, Tensor],
        targets: list[dict[str, Tensor]],
        image_sizes: Sequence[tuple[int, int]] | None = None,
    ) -> dict[str, Tensor]:
        """The MultiBox loss (Eq. 1) of a batch: matching, target encoding and hard negative mining.

        Args:
            head_outputs: The head's `{"bbox_regression" (N, A, 4), "cls_logits" (N, A, C)}`.
            targets: One dict per image, boxes in pixels of the image of size `image_sizes[i]`.
            image_sizes: `(H, W)` of each image the boxes refer to; defaults to the network input size.

        Returns:
            `{"bbox_regression": ..., "classification": ...}`, each divided by the number of positives.
        """
        if image_sizes is None:
            image_sizes = [self.size] * len(targets)
        gt_boxes, gt_labels, gt_mask = pad_targets(targets)
        hw = torch.tensor(image_sizes, dtype=gt_boxes.dtype, device=gt_boxes.device)  # (N, 2) as (H, W)
        scale = hw[:, [1, 0, 1, 0]][:, None, :]  # (N, 2) -> (N, 1, 4) as (W, H, W, H)
        gt_boxes = gt_boxes / scale  # pixels -> fractions of the image, the default boxes' units
        priors = self.priors.to(gt_boxes.dtype)
        matched = match_priors(gt_boxes, gt_mask, box_convert(priors, "cxcywh", "xyxy"), self.iou_threshold)
        labels, deltas = encode_targets(matched, gt_boxes, gt_labels, priors, VARIANCES)
        return multibox_loss(
            head_outputs["cls_logits"],
            head_outputs["bbox_regression"],
            labels,
            deltas,
            neg_pos_ratio=self.neg_pos_ratio,
            min_negatives=self.min_negatives,
        )

    def postprocess(
        self, head_outputs: dict[str, Tensor], image_sizes: Sequence[tuple[int, int]]
    ) -> list[dict[str, Tensor]]:
        """Detections of each image in pixels of its `(H, W)` in `image_sizes` (batched NMS, Sec. 3.7).

        Args:
            head_outputs: The head's `{"bbox_regression" (N, A, 4), "cls_logits" (N, A, C)}`.
            image_sizes: `(H, W)` of each image, the coordinates of the returned boxes.
        """
        return postprocess_detections(
            head_outputs["cls_logits"],
            head_outputs["bbox_regression"],
            self.priors,
            list(image_sizes),
            score_thresh=self.score_thresh,
            topk_candidates=self.topk_candidates,
            nms_thresh=self.nms_thresh,
            detections_per_img=self.detections_per_img,
        )


def _vgg_ssd(
    name: str,
    num_classes: int,
    default_boxes: str,
    weights_backbone: Weights | str | None,
    progress: bool,
    kwargs: dict,
) -> SSD:
    check_num_classes(num_classes, background=True)
    backbone_weights = resolve_weights(name, weights_backbone, "backbone")
    input_size = 300 if name == "ssd300_vgg16" else 512
    box_config = ssd_box_config(default_boxes, input_size)
    backbone = VGG16Reduced(EXTRAS_300 if input_size == 300 else EXTRAS_512)
    if backbone_weights is not None:  # the input normalisation follows the backbone's weights
        normalize = backbone_weights.preprocessing
        kwargs = {"image_mean": normalize.mean, "image_std": normalize.std, **kwargs}
    model = SSD(backbone, num_classes, box_config, **kwargs)
    if backbone_weights is not None:
        apply_weights(model, backbone_weights, progress=progress)
    return model


@register_model(paper=PAPER, task="detection", input_size=(300, 300), docs="object-detection/ssd/")
def ssd300_vgg16(
    *,
    num_classes: int = 91,
    weights: Weights | str | None = None,
    weights_backbone: Weights | str | None = None,
    default_boxes: str = "torchvision",
    progress: bool = True,
    **kwargs: Any,
) -> SSD:
    """SSD300 with the reduced VGG16 (Fig. 2): 8732 default boxes on maps 38, 19, 10, 5, 3, 1.

    Args:
        num_classes: Classes including the background: 21 for VOC, 91 for torchvision's COCO ids. With
            `weights`, another count keeps everything but a fresh classification head.
        weights: `None`, or torchvision's COCO weights: `"COCO_V1"` / `"DEFAULT"` (or a
            [`Weights`][paperzoo.weights.Weights] entry); they also set the preprocessing (Caffe
            normalisation, resize without antialiasing) unless `kwargs` override it.
        weights_backbone: `None`, or ImageNet VGG16 weights for the backbone: `"IMAGENET1K_V1"` (default;
            fc6/fc7 subsampled as the paper does) or `"IMAGENET1K_FEATURES"` (torchvision SSD's start);
            the input normalisation then follows those weights.
        default_boxes: `"torchvision"` (default, = Caffe COCO sizes clipped), `"paper"`, `"caffe_voc"` or
            `"caffe_coco"`.
        progress: Show a progress bar if weights must be downloaded.
        **kwargs: Passed to [`SSD`][paperzoo.models.ssd.SSD] (thresholds, normalisation, ...).

    Returns:
        The detector.

    Raises:
        ValueError: Invalid arguments, or COCO weights with other default boxes.
    """
    resolved = resolve_weights("ssd300_vgg16", weights)
    if resolved is None:
        return _vgg_ssd("ssd300_vgg16", num_classes, default_boxes, weights_backbone, progress, kwargs)
    if default_boxes != "torchvision" or weights_backbone is not None:
        raise ValueError(
            f"{resolved.name} fit default_boxes='torchvision' and hold their own backbone, got "
            f"default_boxes={default_boxes!r} and weights_backbone={weights_backbone!r}"
        )
    pre = resolved.preprocessing
    kwargs = {"image_mean": pre.mean, "image_std": pre.std, "antialias": pre.antialias, **kwargs}
    model = _vgg_ssd("ssd300_vgg16", num_classes, default_boxes, None, progress, kwargs)
    return apply_weights(model, resolved, num_classes=num_classes, progress=progress)


@register_model(paper=PAPER, task="detection", input_size=(512, 512), docs="object-detection/ssd/")
def ssd512_vgg16(
    *,
    num_classes: int = 91,
    weights: None = None,
    weights_backbone: Weights | str | None = None,
    default_boxes: str = "caffe_coco",
    progress: bool = True,
    **kwargs: Any,
) -> SSD:
    """SSD512 (Sec. 3, footnote 5): maps 64, 32, 16, 8, 4, 2, 1 and 24,564 default boxes.

    Args:
        num_classes: Classes including the background.
        weights: Must be `None`: no SSD512 weights are published in a format paperzoo reads.
        weights_backbone: `None`, or ImageNet VGG16 weights for the backbone (as `ssd300_vgg16`).
        default_boxes: `"caffe_coco"` (default), `"caffe_voc"`, `"paper"` or `"torchvision"` (see
            [`ssd_box_config`][paperzoo.models.ssd.ssd_box_config]).
        progress: Show a progress bar if weights must be downloaded.
        **kwargs: Passed to [`SSD`][paperzoo.models.ssd.SSD].

    Returns:
        The detector.
    """
    if weights is not None:
        raise ValueError(f"no pretrained SSD512 weights are available, got weights={weights!r}")
    return _vgg_ssd("ssd512_vgg16", num_classes, default_boxes, weights_backbone, progress, kwargs)
