"""State-dict conversion from a publisher's layout to paperzoo's, by explicit key maps.

[`convert_state_dict`][paperzoo.weights.convert_state_dict] takes the publisher's state dict as the file
holds it (`source`) and returns the keys of the paperzoo model `model_name`; tensors are shared, not
copied, except where the paper changes a layer's shape (SSD's fc6/fc7). Tests build the publisher's
model with random weights, convert, and require the same outputs.

No torch import at module level: the conversions only rename and slice tensors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["CLASSIFIER_PREFIXES", "SOURCES", "convert_state_dict", "convert_torchvision_ssd300_state_dict"]

StateDict = dict[str, "Tensor"]

# Keys re-initialised when `num_classes` differs from the weights' (timm's `pretrained_cfg["classifier"]`).
# SSD keeps its box regression head: it does not depend on the classes.
CLASSIFIER_PREFIXES: dict[str, str] = {
    "mobilenet_v1": "classifier.",
    "mobilenet_v2": "classifier.",
    **{f"resnet{depth}": "fc." for depth in (18, 34, 50, 101, 152)},
    "ssd300_vgg16": "head.classification.",
}

# ----------------------------------------------------------------------------------- torchvision SSD300

# Index of conv4_3's ReLU end in torchvision's `vgg16().features` (paperzoo.models.ssd.CONV4_3_END).
_CONV4_3_END = 23

# torchvision ssd300_vgg16 key -> paperzoo key (regex, replacement), applied in order. torchvision keeps
# conv5 and fc6/fc7 in `backbone.extra.0` (pool4 at 0, conv5_1/2/3 at 1/3/5, fc6/fc7 at 7.1/7.3) and the
# L2Norm scale in `backbone.scale_weight`; its `extra.k` is paperzoo's `extras.k-1`.
_SSD300_KEYS: tuple[tuple[str, Callable[[re.Match], str]], ...] = (
    (r"^backbone\.scale_weight$", lambda m: "backbone.l2norm.weight"),
    (r"^backbone\.extra\.0\.(1|3|5)\.", lambda m: f"backbone.features.{_CONV4_3_END + int(m[1])}."),
    (r"^backbone\.extra\.0\.7\.1\.", lambda m: "backbone.fc6."),
    (r"^backbone\.extra\.0\.7\.3\.", lambda m: "backbone.fc7."),
    (r"^backbone\.extra\.(\d+)\.", lambda m: f"backbone.extras.{int(m[1]) - 1}."),
    (r"^head\.classification_head\.module_list\.", lambda m: "head.classification."),
    (r"^head\.regression_head\.module_list\.", lambda m: "head.regression."),
)


def _rename_ssd300_key(key: str) -> str:
    for pattern, replacement in _SSD300_KEYS:
        match = re.match(pattern, key)
        if match is not None:
            return replacement(match) + key[match.end() :]
    return key  # backbone.features.* (conv1_1 to conv4_3) keep their names


def convert_torchvision_ssd300_state_dict(state_dict: StateDict) -> StateDict:
    """Rename the keys of a torchvision `ssd300_vgg16` state dict to paperzoo's SSD300 (values shared).

    Both models have the same layers, default boxes and box order; only the module names differ.
    """
    return {_rename_ssd300_key(key): value for key, value in state_dict.items()}


# ------------------------------------------------------------------------- torchvision VGG16 -> SSD


def _vgg16_to_ssd_backbone(state_dict: StateDict) -> StateDict:
    """conv1_1-conv5_3 as they are; fc6/fc7 subsampled from VGG's classifier as the SSD paper does.

    Sec. 3: "we subsample parameters from fc6 and fc7": every 4th of 4096 units, and every 3rd tap of
    fc6's 7x7 kernel, which with dilation 6 covers about the same field. A classifier with non-finite
    values (torchvision's `IMAGENET1K_FEATURES`, whose classifier is empty) gives no fc6/fc7.
    """
    out = {f"backbone.{k}": v for k, v in state_dict.items() if k.startswith("features.")}
    fc6_w, fc7_w = state_dict.get("classifier.0.weight"), state_dict.get("classifier.3.weight")
    if fc6_w is None or fc7_w is None or not (fc6_w.isfinite().all() and fc7_w.isfinite().all()):
        return out
    fc6 = fc6_w.view(4096, 512, 7, 7)  # (4096, 512·7·7) -> (4096, 512, 7, 7)
    out["backbone.fc6.weight"] = fc6[::4, :, ::3, ::3].contiguous()  # -> (1024, 512, 3, 3)
    out["backbone.fc6.bias"] = state_dict["classifier.0.bias"][::4].contiguous()
    out["backbone.fc7.weight"] = fc7_w[
        ::4, ::4, None, None
    ].contiguous()  # (4096, 4096) -> (1024, 1024, 1, 1)
    out["backbone.fc7.bias"] = state_dict["classifier.3.bias"][::4].contiguous()
    return out


# ---------------------------------------------------------------------- torchvision ResNet -> R-FCN

_RESNET_TRUNK = ("conv1.", "bn1.", "layer1.", "layer2.", "layer3.")


def _resnet_to_rfcn(state_dict: StateDict) -> StateDict:
    """conv1-conv4 become R-FCN's `trunk`, conv5 (`layer4`) its atrous `conv5`; the fc layer is dropped."""
    out = {f"trunk.{k}": v for k, v in state_dict.items() if k.startswith(_RESNET_TRUNK)}
    out |= {f"conv5.{k[len('layer4.') :]}": v for k, v in state_dict.items() if k.startswith("layer4.")}
    return out


# --------------------------------------------------------------------------- timm MobileNetV1

# timm's `mobilenetv1_100` arch_def (`_gen_mobilenet_v1`): dsa_r1, dsa_r2, dsa_r2, dsa_r6, dsa_r2, i.e.
# the repeats of paperzoo's 13 separable layers (features[1:14]) grouped by timm's stages.
_TIMM_MOBILENET_V1_STAGES = (1, 2, 2, 6, 2)
# timm DepthwiseSeparableConv -> paperzoo DepthwiseSeparableConv (a Sequential of two conv-BN-act).
_TIMM_SEPARABLE_PARTS = {"conv_dw": "0.0", "bn1": "0.1", "conv_pw": "1.0", "bn2": "1.1"}


def _timm_mobilenet_v1_key_map() -> dict[str, str]:
    """timm module prefix -> paperzoo module prefix for every layer of `mobilenetv1_100`."""
    prefixes = {"conv_stem.": "features.0.0.", "bn1.": "features.0.1.", "classifier.": "classifier.1."}
    layer = 1
    for stage, repeats in enumerate(_TIMM_MOBILENET_V1_STAGES):
        for block in range(repeats):
            for theirs, ours in _TIMM_SEPARABLE_PARTS.items():
                prefixes[f"blocks.{stage}.{block}.{theirs}."] = f"features.{layer}.{ours}."
            layer += 1
    return prefixes


def _timm_mobilenet_v1(state_dict: StateDict) -> StateDict:
    prefixes = _timm_mobilenet_v1_key_map()
    out = {}
    for key, value in state_dict.items():
        module, param = key.rsplit(".", 1)
        if f"{module}." not in prefixes:
            raise ValueError(f"unexpected key {key!r} in a timm mobilenetv1_100 state dict")
        out[prefixes[f"{module}."] + param] = value
    return out


# ------------------------------------------------------------------------------------------ dispatch


def _identity(state_dict: StateDict) -> StateDict:
    return dict(state_dict)


def _as_ssdlite_backbone(convert: Callable[[StateDict], StateDict]) -> Callable[[StateDict], StateDict]:
    """A classifier's conversion, then only `features.*`, under SSDLite's `backbone.` (its extractor)."""

    def as_backbone(state_dict: StateDict) -> StateDict:
        return {f"backbone.{k}": v for k, v in convert(state_dict).items() if k.startswith("features.")}

    return as_backbone


# (source, paperzoo model) -> conversion
SOURCES: dict[tuple[str, str], Callable[[StateDict], StateDict]] = {
    ("torchvision_mobilenet_v2", "mobilenet_v2"): _identity,  # same module tree as torchvision's
    ("torchvision_mobilenet_v2", "ssdlite_mobilenet_v2"): _as_ssdlite_backbone(_identity),
    ("timm_mobilenetv1_100", "mobilenet_v1"): _timm_mobilenet_v1,
    ("timm_mobilenetv1_100", "ssdlite_mobilenet_v1"): _as_ssdlite_backbone(_timm_mobilenet_v1),
    ("torchvision_ssd300_vgg16", "ssd300_vgg16"): convert_torchvision_ssd300_state_dict,
    ("torchvision_vgg16", "ssd300_vgg16"): _vgg16_to_ssd_backbone,
    ("torchvision_vgg16", "ssd512_vgg16"): _vgg16_to_ssd_backbone,
    **{("torchvision_resnet", f"resnet{depth}"): _identity for depth in (18, 34, 50, 101, 152)},  # same tree
    **{("torchvision_resnet", f"rfcn_resnet{depth}"): _resnet_to_rfcn for depth in (18, 50, 101)},
}


def convert_state_dict(model_name: str, state_dict: StateDict, source: str) -> StateDict:
    """Map a publisher's state dict onto the keys of the paperzoo model `model_name`.

    Args:
        model_name: A registered model, e.g. `"ssd300_vgg16"`.
        state_dict: The publisher's state dict, as `torch.load` / `safetensors` read the file.
        source: The publisher's layout: `"torchvision_mobilenet_v2"`, `"timm_mobilenetv1_100"`,
            `"torchvision_ssd300_vgg16"`, `"torchvision_vgg16"` (SSD's backbone, fc6/fc7 subsampled) or
            `"torchvision_resnet"` (R-FCN's backbone). Each entry's `Weights.source` names it.

    Returns:
        A state dict with paperzoo's keys: the whole model, or only its backbone for backbone sources.

    Raises:
        ValueError: If the model cannot be converted from that source (the message lists those that can).
    """
    convert = SOURCES.get((source, model_name))
    if convert is None:
        known = ", ".join(f"{s} -> {m}" for s, m in SOURCES)
        raise ValueError(f"no conversion from {source!r} to {model_name!r}; known conversions: {known}")
    return convert(state_dict)
