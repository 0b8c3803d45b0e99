"""Costs of detectors' networks, as the papers count them.

A single-shot detector's network is its backbone and its prediction head; resizing, normalisation and
post-processing (box decoding, NMS) are not network MACs, as in the MobileNetV2 paper's Table 6 MAdds of
SSD and SSDLite.
"""

from __future__ import annotations

from typing import Any

import torch

from paperzoo.analysis.complexity import count_macs

__all__ = ["network_macs"]


def network_macs(model: Any, input_size: int) -> int:
    """MACs of a single-shot detector's network, `head(backbone(x))`, on one `input_size`² image.

    Args:
        model: An SSD-style detector with `backbone` and `head` (on the `meta` device to count without
            computing).
        input_size: Side of the square input image, in pixels.

    Returns:
        The conv and FC multiply-accumulates (see [`count_macs`][paperzoo.analysis.count_macs]).
    """

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
