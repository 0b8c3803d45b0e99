"""Measurements for paper cards that need more than one public call (build time only).

A card's compute spec is data, so a measurement that must run two parts of a model in sequence lives
here, written against the models' public attributes and `paperzoo.analysis`.
"""

from __future__ import annotations

from typing import Any

from paperzoo.analysis import count_macs

__all__ = ["network_macs"]


def network_macs(model: Any, input_size: int) -> int:
    """MACs of a single-shot detector's network, `head(backbone(x))`, on one `input_size`² image.

    Resizing, normalisation and post-processing (NMS) are not network MACs and are left out, as in the
    MobileNetV2 paper's Table 6 MAdds of SSD and SSDLite.
    """
    import torch

    def run(module: Any) -> Any:
        parameter = next(module.parameters())
        image = torch.zeros(1, 3, input_size, input_size, device=parameter.device, dtype=parameter.dtype)
        return module.head(module.backbone(image))

    was_training = model.training
    model.eval()  # batch norm on a 1x1 map needs eval mode
    try:
        return count_macs(model, run)
    finally:
        model.train(was_training)
