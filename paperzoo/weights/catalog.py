"""The published weights paperzoo can load: one `Weights` entry per file and model, as literal data.

Every URL and hash is copied from the publisher's own code: torchvision 0.29's `*_Weights` enums
(`torchvision/models/{mobilenetv2,vgg,resnet}.py`, `detection/ssd.py`) and timm 1.0's pretrained config
(`timm/models/efficientnet.py`, `mobilenetv1_100.ra4_e3600_r224_in1k`). torchvision's file names carry the
first 8 hex digits of the file's SHA-256, which is all torchvision itself checks (`check_hash=True`);
paperzoo checks the same prefix. No SHA-256 of timm's safetensors file was found in timm's or the
Hugging Face hub's published text, so that entry has `sha256=None` and loads only with an explicit
`allow_unverified=True`.

This module imports nothing heavy (no torch), so listing weights stays fast.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "CATALOG",
    "Preprocessing",
    "Weights",
    "default_weights",
    "get_weights",
    "list_weights",
]

Part = Literal["model", "backbone"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# timm's IMAGENET_INCEPTION_MEAN / _STD: images in [0, 1] mapped to [-1, 1].
INCEPTION_MEAN = (0.5, 0.5, 0.5)
INCEPTION_STD = (0.5, 0.5, 0.5)
# torchvision's IMAGENET1K_FEATURES (Caffe's VGG16, ported by amdegroot): 0-255 input, mean removed.
CAFFE_MEAN = (0.48235, 0.45882, 0.40784)
CAFFE_STD = (1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0)

TORCHVISION_LICENCE = (
    "BSD-3-Clause (torchvision); torchvision's README: pre-trained weights may carry terms of the "
    "dataset they were trained on"
)


@dataclass(frozen=True)
class Preprocessing:
    """The input pipeline a set of weights expects, for images with values in [0, 1].

    Attributes:
        resize: Classification: the shorter side an image is resized to before the centre crop.
            Detection: the fixed `(H, W)` every image is resized to.
        crop: Side of the centre crop (classification), `None` for detectors.
        mean: Per-channel mean subtracted after resizing.
        std: Per-channel divisor applied after the mean.
        interpolation: `"bilinear"` or `"bicubic"`.
        antialias: Whether downscaling is antialiased (torchvision's detectors resize without).
    """

    resize: int | tuple[int, int]
    crop: int | None
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    interpolation: str = "bilinear"
    antialias: bool = True

    def transforms(self) -> Any:
        """A `torchvision.transforms.v2` pipeline doing this preprocessing on `[3, H, W]` images in [0, 1].

        For detectors the model does it itself (`model.preprocess`); this is for classifiers, as
        torchvision's `weights.transforms()`.
        """
        from torchvision.transforms import v2

        interpolation = v2.InterpolationMode(self.interpolation)
        steps = [v2.Resize(self.resize, interpolation=interpolation, antialias=self.antialias)]
        if self.crop is not None:
            steps.append(v2.CenterCrop(self.crop))
        return v2.Compose([*steps, v2.Normalize(list(self.mean), list(self.std))])


def _categories(name: str | None) -> list[str] | None:
    if name is None:
        return None
    from torchvision.models import _meta  # 1000 ImageNet / 91 COCO names, read when asked for

    return list({"imagenet1k": _meta._IMAGENET_CATEGORIES, "coco91": _meta._COCO_CATEGORIES}[name])


@dataclass(frozen=True)
class Weights:
    """One published weights file as one paperzoo model (or its backbone) loads it.

    Attributes:
        model: The registered model name, e.g. `"mobilenet_v2"`.
        tag: The weights' name for that model, e.g. `"IMAGENET1K_V2"` (torchvision's and timm's names).
        part: `"model"` (the whole model: `weights=`) or `"backbone"` (`weights_backbone=`).
        url: The publisher's download URL.
        sha256: SHA-256 of the file in hex, or its leading digits when the publisher gives only those
            (torchvision's file names: 8 digits); `None` when no published hash was found.
        source: Conversion applied by [`convert_state_dict`][paperzoo.weights.convert_state_dict].
        publisher: Who published the file and where the URL and hash were read.
        licence: The licence under which it is published.
        num_params: Parameters of the publisher's model (torchvision's `num_params`, timm's count).
        metrics: The publisher's reported metrics of its own model.
        metrics_source: Where those metrics are reported.
        categories_name: `"imagenet1k"`, `"coco91"` or `None` (backbone-only weights).
        preprocessing: The input pipeline the weights were trained with.
        file_size_mb: Size of the file in MB as the publisher reports it (`None`: not reported).
        builder_kwargs: Builder arguments the weights need (e.g. timm's ReLU6), applied by default.
        notes: What the weights reproduce and what they do not.
        default: Whether `"DEFAULT"` (and `pretrained=True`) means these weights.
        local_file: A local copy to load instead of downloading (see `using`).
        allow_unverified: Load even though `sha256` is `None` (see `using`).
    """

    model: str
    tag: str
    part: Part
    url: str
    sha256: str | None
    source: str
    publisher: str
    licence: str
    num_params: int
    metrics: Mapping[str, float]
    metrics_source: str
    categories_name: str | None
    preprocessing: Preprocessing
    file_size_mb: float | None = None
    builder_kwargs: Mapping[str, Any] = field(default_factory=dict)
    notes: str = ""
    default: bool = False
    local_file: Path | None = field(default=None, compare=False, repr=False)
    allow_unverified: bool = field(default=False, compare=False, repr=False)

    @property
    def name(self) -> str:
        """`"model.TAG"`, e.g. `"mobilenet_v2.IMAGENET1K_V2"`."""
        return f"{self.model}.{self.tag}"

    @property
    def file_name(self) -> str:
        """Name of the file in the torch hub cache (`torch.hub.get_dir()/checkpoints`)."""
        return self.url.rsplit("/", 1)[-1] if "huggingface.co" not in self.url else self._hf_file_name()

    def _hf_file_name(self) -> str:
        # https://huggingface.co/timm/<repo>/resolve/main/model.safetensors -> <repo>.safetensors
        repo = self.url.split("huggingface.co/", 1)[1].split("/resolve/", 1)[0].replace("/", "--")
        return f"{repo}.safetensors"

    @property
    def categories(self) -> list[str] | None:
        """The class names in output order (index 0 is the background for detectors), or `None`."""
        return _categories(self.categories_name)

    @property
    def num_classes(self) -> int | None:
        """Number of outputs of the classifier / classification head the weights hold."""
        return {"imagenet1k": 1000, "coco91": 91, None: None}[self.categories_name]

    def using(self, *, file: str | Path | None = None, allow_unverified: bool | None = None) -> Weights:
        """A copy that loads from a local `file` (same hash check) and/or accepts an unknown hash."""
        return replace(
            self,
            local_file=Path(file) if file is not None else self.local_file,
            allow_unverified=self.allow_unverified if allow_unverified is None else allow_unverified,
        )


def _imagenet(resize: int, *, interpolation: str = "bilinear", mean=IMAGENET_MEAN, std=IMAGENET_STD):
    return Preprocessing(resize, 224, mean, std, interpolation)


_TV = "torchvision 0.29, `torchvision/models/{}` ({})"
_TV_RECIPE_V1 = "torchvision `{}` meta `_metrics` (ImageNet-1K val, 224 crop)"
_TV_NOTES_V2 = (
    "torchvision's 'new training recipe' (long schedule, heavy augmentation, EMA): better than the "
    "paper's numbers, not the paper's training."
)


def _tv_classifier(
    model: str, tag: str, url: str, enum: str, file: str, source: str, **kwargs: Any
) -> Weights:
    return Weights(
        model=model,
        tag=tag,
        part="model",
        url=url,
        sha256=url.rsplit("-", 1)[1].split(".")[0],  # torchvision's HASH_REGEX: the digits after "-"
        source=source,
        publisher=_TV.format(file, f"{enum}.{tag}"),
        licence=TORCHVISION_LICENCE,
        metrics_source=_TV_RECIPE_V1.format(f"{enum}.{tag}"),
        categories_name="imagenet1k",
        **kwargs,
    )


def _tv_backbone(model: str, tag: str, url: str, enum: str, file: str, source: str, **kwargs: Any) -> Weights:
    weights = _tv_classifier(model, tag, url, enum, file, source, **kwargs)
    return replace(weights, part="backbone", categories_name=None)


_MOBILENET_V2 = (
    _tv_classifier(
        "mobilenet_v2",
        "IMAGENET1K_V1",
        "https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",
        "MobileNet_V2_Weights",
        "mobilenetv2.py",
        "torchvision_mobilenet_v2",
        num_params=3_504_872,
        metrics={"acc@1": 71.878, "acc@5": 90.286},
        preprocessing=_imagenet(256),
        file_size_mb=13.555,
        notes="torchvision's training with a simple recipe: 71.878 top-1 against the paper's 72.0.",
    ),
    _tv_classifier(
        "mobilenet_v2",
        "IMAGENET1K_V2",
        "https://download.pytorch.org/models/mobilenet_v2-7ebf99e0.pth",
        "MobileNet_V2_Weights",
        "mobilenetv2.py",
        "torchvision_mobilenet_v2",
        num_params=3_504_872,
        metrics={"acc@1": 72.154, "acc@5": 90.822},
        preprocessing=_imagenet(232),
        file_size_mb=13.598,
        notes=_TV_NOTES_V2,
        default=True,  # torchvision's DEFAULT
    ),
)

_MOBILENET_V1 = Weights(
    model="mobilenet_v1",
    tag="RA4_E3600_R224_IN1K",
    part="model",
    url="https://huggingface.co/timm/mobilenetv1_100.ra4_e3600_r224_in1k/resolve/main/model.safetensors",
    sha256=None,
    source="timm_mobilenetv1_100",
    publisher="timm 1.0, `timm/models/efficientnet.py` (`mobilenetv1_100.ra4_e3600_r224_in1k`, hf_hub_id)",
    licence="Apache-2.0 (timm's pretrained config `license`)",
    num_params=4_231_976,
    metrics={"acc@1": 75.382, "acc@5": 92.312, "acc@1 (256, crop 0.95)": 76.094},
    metrics_source="timm README, MobileNet-V1 baselines table (ImageNet-1K val)",
    categories_name="imagenet1k",
    preprocessing=_imagenet(256, interpolation="bicubic", mean=INCEPTION_MEAN, std=INCEPTION_STD),
    builder_kwargs={"activation": "relu6"},
    notes=(
        "timm's 3600-epoch 'ResNet Strikes Back'-style training (ReLU6, as TF-slim's MobileNetV1): "
        "75.4 top-1, well above the paper's 70.6; not the paper's training."
    ),
    default=True,
)

_SSD300_COCO = Weights(
    model="ssd300_vgg16",
    tag="COCO_V1",
    part="model",
    url="https://download.pytorch.org/models/ssd300_vgg16_coco-b556d3b4.pth",
    sha256="b556d3b4",
    source="torchvision_ssd300_vgg16",
    publisher=_TV.format("detection/ssd.py", "SSD300_VGG16_Weights.COCO_V1"),
    licence=TORCHVISION_LICENCE,
    num_params=35_641_826,
    metrics={"box_map": 25.1},
    metrics_source="torchvision `SSD300_VGG16_Weights.COCO_V1` meta `_metrics` (COCO val2017)",
    categories_name="coco91",
    # torchvision's GeneralizedRCNNTransform: fixed 300x300 bilinear resize without antialiasing.
    preprocessing=Preprocessing((300, 300), None, CAFFE_MEAN, CAFFE_STD, "bilinear", antialias=False),
    file_size_mb=135.988,
    notes=(
        "torchvision's own COCO training (its recipe, 120 epochs): 25.1 mAP on COCO val2017; the paper "
        "reports 23.2 on test-dev for SSD300, a different split and training. No VOC weights are "
        "published, so the paper's VOC07 74.3 (SSD300) and 77.2 (SSD300*) mAP are not reproduced here."
    ),
    default=True,
)

_VGG16_BACKBONES = tuple(
    _tv_backbone(
        model,
        tag,
        url,
        "VGG16_Weights",
        "vgg.py",
        "torchvision_vgg16",
        num_params=138_357_544,
        metrics=metrics,
        preprocessing=preprocessing,
        file_size_mb=size,
        notes=notes,
        default=tag == "IMAGENET1K_V1",
    )
    for model in ("ssd300_vgg16", "ssd512_vgg16")
    for tag, url, metrics, preprocessing, size, notes in (
        (
            "IMAGENET1K_V1",
            "https://download.pytorch.org/models/vgg16-397923af.pth",
            {"acc@1": 71.592, "acc@5": 90.382},
            _imagenet(256),
            527.796,
            "conv1_1-conv5_3 as published; fc6/fc7 subsampled from VGG's fc layers as the paper does "
            "(Sec. 3: every 4th unit, every 3rd kernel tap, dilation 6).",
        ),
        (
            "IMAGENET1K_FEATURES",
            "https://download.pytorch.org/models/vgg16_features-amdegroot-88682ab5.pth",
            {},
            Preprocessing(224, 224, CAFFE_MEAN, CAFFE_STD),
            527.802,
            "Caffe's VGG16 conv layers (ported by amdegroot/ssd.pytorch), what torchvision's SSD starts "
            "from; its classifier is empty (NaN), so fc6/fc7 keep their random initialisation.",
        ),
    )
)

# torchvision 0.29's ResNet{depth}_Weights: (num_params, ((tag, file, acc@1, acc@5, MB), ...)).
_RESNETS = {
    18: (11_689_512, (("IMAGENET1K_V1", "resnet18-f37072fd.pth", 69.758, 89.078, 44.661),)),
    34: (21_797_672, (("IMAGENET1K_V1", "resnet34-b627a593.pth", 73.314, 91.420, 83.275),)),
    50: (
        25_557_032,
        (
            ("IMAGENET1K_V1", "resnet50-0676ba61.pth", 76.130, 92.862, 97.781),
            ("IMAGENET1K_V2", "resnet50-11ad3fa6.pth", 80.858, 95.434, 97.79),
        ),
    ),
    101: (
        44_549_160,
        (
            ("IMAGENET1K_V1", "resnet101-63fe2227.pth", 77.374, 93.546, 170.511),
            ("IMAGENET1K_V2", "resnet101-cd907fc2.pth", 81.886, 95.780, 170.53),
        ),
    ),
    152: (
        60_192_808,
        (
            ("IMAGENET1K_V1", "resnet152-394f9c45.pth", 78.312, 94.046, 230.434),
            ("IMAGENET1K_V2", "resnet152-f82ba261.pth", 82.284, 96.002, 230.474),
        ),
    ),
}

# The paper's ImageNet errors (Tables 2-4) are 10-crop or multi-scale; torchvision's are single-crop.
_RESNET_CLASSIFIERS = tuple(
    _tv_classifier(
        f"resnet{depth}",
        tag,
        f"https://download.pytorch.org/models/{file}",
        f"ResNet{depth}_Weights",
        "resnet.py",
        "torchvision_resnet",
        num_params=num_params,
        metrics={"acc@1": top1, "acc@5": top5},
        preprocessing=_imagenet(256 if tag == "IMAGENET1K_V1" else 232),
        file_size_mb=size,
        builder_kwargs={"variant": "v1.5"} if depth >= 50 else {},
        notes=(
            "torchvision's training"
            + (
                " of its v1.5 bottleneck (stride in the 3x3), so the model is built with variant='v1.5', "
                "not the paper's v1"
                if depth >= 50
                else ", the paper's architecture (option B shortcuts)"
            )
            + (
                ". V1: torchvision's original recipe; its single-crop top-1 is not comparable with the paper's 10-crop Tables 2-3."
                if tag == "IMAGENET1K_V1"
                else ". " + _TV_NOTES_V2
            )
        ),
        default=tag == ("IMAGENET1K_V2" if len(files) > 1 else "IMAGENET1K_V1"),
    )
    for depth, (num_params, files) in _RESNETS.items()
    for tag, file, top1, top5, size in files
)

# R-FCN's backbones: the same files, without the fc layer; V1 by default, as the paper starts from
# ImageNet classifiers trained like its own.
_RFCN_BACKBONES = tuple(
    replace(
        weights,
        model=f"rfcn_{weights.model}",
        part="backbone",
        categories_name=None,
        builder_kwargs={},
        notes="conv1-conv4 as the trunk, conv5 made atrous (stride 1, dilation 2); the fc layer is dropped."
        + ("" if weights.tag == "IMAGENET1K_V1" else " " + _TV_NOTES_V2),
        default=weights.tag == "IMAGENET1K_V1",
    )
    for weights in _RESNET_CLASSIFIERS
    if weights.model in ("resnet18", "resnet50", "resnet101")
)

_SSDLITE_BACKBONES = (
    *(replace(w, model="ssdlite_mobilenet_v2", part="backbone", categories_name=None) for w in _MOBILENET_V2),
    replace(_MOBILENET_V1, model="ssdlite_mobilenet_v1", part="backbone", categories_name=None),
)

CATALOG: tuple[Weights, ...] = (
    _MOBILENET_V1,
    *_MOBILENET_V2,
    _SSD300_COCO,
    *_VGG16_BACKBONES,
    *_RESNET_CLASSIFIERS,
    *_RFCN_BACKBONES,
    *_SSDLITE_BACKBONES,
)


def list_weights(model_name: str | None = None, *, part: Part | None = None) -> list[Weights]:
    """The published weights paperzoo can load, sorted by model, part and tag.

    Args:
        model_name: Only the weights of this registered model (`None`: all).
        part: Only `"model"` (whole-model) or `"backbone"` weights (`None`: both).

    Returns:
        The [`Weights`][paperzoo.weights.Weights] entries.
    """
    if part not in (None, "model", "backbone"):
        raise ValueError(f"part must be 'model', 'backbone' or None, got {part!r}")
    if model_name is not None:
        from paperzoo.registry import check_model_name

        check_model_name(model_name)  # a clear error for an unknown name
    return sorted(
        (w for w in CATALOG if model_name in (None, w.model) and part in (None, w.part)),
        key=lambda w: (w.model, w.part != "model", w.tag),
    )


def default_weights(model_name: str, part: Part = "model") -> Weights | None:
    """The default weights (`pretrained=True`, tag `"DEFAULT"`) of a model, or `None` if it has none."""
    return next((w for w in list_weights(model_name, part=part) if w.default), None)


def get_weights(model_name: str, tag: str, part: Part = "model") -> Weights:
    """The weights named `tag` for `model_name` (`"DEFAULT"` for the default).

    `tag` may also be `"model.TAG"` or a torchvision enum name such as `"MobileNet_V2_Weights.IMAGENET1K_V1"`:
    the part after the last dot is the tag.

    Raises:
        ValueError: If the model has no such weights; the message lists the tags it has.
    """
    if not isinstance(tag, str):
        raise TypeError(f"weights must be a tag (str) or a paperzoo Weights, got {type(tag).__name__}")
    tag = tag.rsplit(".", 1)[-1]
    candidates = list_weights(model_name, part=part)
    found = default_weights(model_name, part) if tag == "DEFAULT" else None
    found = found or next((w for w in candidates if w.tag == tag), None)
    if found is not None:
        return found
    argument = "weights" if part == "model" else "weights_backbone"
    if not candidates:
        raise ValueError(
            f"no published {part} weights are available for {model_name}, got {argument}={tag!r}"
        )
    tags = [w.tag for w in candidates]
    close = difflib.get_close_matches(tag, tags, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"unknown {argument}={tag!r} for {model_name}: expected None, 'DEFAULT' or one of "
        f"{', '.join(tags)}{hint}"
    )
