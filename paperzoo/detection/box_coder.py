r"""Centre-size box encoding of SSD, with variances.

Liu et al., *SSD: Single Shot MultiBox Detector*, [arXiv 1512.02325](https://arxiv.org/abs/1512.02325),
Sec. 2.2, Eq. 2: a ground-truth box $g$ is regressed relative to its default box $d$ as

$$\hat g^{cx} = \frac{g^{cx} - d^{cx}}{v_0\, d^w},\quad \hat g^{cy} = \frac{g^{cy} - d^{cy}}{v_1\, d^h},\quad
\hat g^{w} = \frac{1}{v_2}\log\frac{g^w}{d^w},\quad \hat g^{h} = \frac{1}{v_3}\log\frac{g^h}{d^h}.$$

The variances $v = (0.1, 0.1, 0.2, 0.2)$ come from the released code (`ssd_pascal.py`, CENTER_SIZE
coding); they are torchvision's `BoxCoder(weights=(10, 10, 5, 5))` written as divisors. Hand-written
rather than reusing `BoxCoder` because it broadcasts over any leading dimensions (`[B, A, 4]` at once)
and takes the priors in `cx, cy, w, h`, the form they are generated in.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["MAX_LOG_SCALE", "VARIANCES", "decode", "encode"]

#: Caffe SSD's variances (cx, cy, w, h).
VARIANCES: tuple[float, float, float, float] = (0.1, 0.1, 0.2, 0.2)
#: Largest log size ratio decoded (torchvision's `bbox_xform_clip`): keeps `exp` finite for wild deltas.
MAX_LOG_SCALE: float = math.log(1000.0 / 16)


def encode(
    boxes_xyxy: Tensor,
    priors_cxcywh: Tensor,
    variances: tuple[float, float, float, float] = VARIANCES,
) -> Tensor:
    """Encode `x1, y1, x2, y2` boxes as offsets `[..., 4]` from their priors (Eq. 2).

    Widths and heights are floored at the dtype's machine epsilon before the logarithm, so a
    degenerate box (zero width, e.g. a padding slot) encodes to a large but finite value instead
    of `-inf` and a NaN loss.

    Args:
        boxes_xyxy: Boxes `[..., 4]`, in the same units as the priors.
        priors_cxcywh: Default boxes `[..., 4]`, broadcastable against `boxes_xyxy`.
        variances: Divisors of the `cx, cy, w, h` offsets.

    Returns:
        Offsets `[..., 4]` (the broadcast shape).
    """
    eps = torch.finfo(boxes_xyxy.dtype).eps
    size = (boxes_xyxy[..., 2:] - boxes_xyxy[..., :2]).clamp(min=eps)
    centre = 0.5 * (boxes_xyxy[..., :2] + boxes_xyxy[..., 2:])
    prior_centre, prior_size = priors_cxcywh[..., :2], priors_cxcywh[..., 2:]
    var = priors_cxcywh.new_tensor(variances)
    offset = (centre - prior_centre) / (prior_size * var[:2])
    log_scale = torch.log(size / prior_size) / var[2:]
    return torch.cat((offset, log_scale), dim=-1)  # (..., 2) twice -> (..., 4)


def decode(
    deltas: Tensor,
    priors_cxcywh: Tensor,
    variances: tuple[float, float, float, float] = VARIANCES,
    max_log_scale: float = MAX_LOG_SCALE,
) -> Tensor:
    """Decode offsets `[..., 4]` back to `x1, y1, x2, y2` boxes (inverse of `encode`).

    Args:
        deltas: Offsets `[..., 4]` (network outputs or encoded boxes).
        priors_cxcywh: Default boxes `[..., 4]`, broadcastable against `deltas`.
        variances: The variances used for encoding.
        max_log_scale: Upper clamp of the log size ratio before `exp`, as torchvision does.

    Returns:
        Boxes `[..., 4]` in the priors' units.
    """
    var = deltas.new_tensor(variances)
    priors = priors_cxcywh.to(deltas.dtype)
    centre = priors[..., :2] + deltas[..., :2] * var[:2] * priors[..., 2:]
    size = priors[..., 2:] * torch.exp((deltas[..., 2:] * var[2:]).clamp(max=max_log_scale))
    return torch.cat((centre - 0.5 * size, centre + 0.5 * size), dim=-1)  # (..., 2) twice -> (..., 4)
