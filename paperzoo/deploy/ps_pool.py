r"""Position-sensitive RoI pooling (R-FCN, Sec. 2, Eq. 1) from standard operators: an integral image.

ONNX has no position-sensitive pooling operator. Each bin is an average of the cells of a rectangle,
and the sum over a rectangle is four look-ups in the integral image
$S(y, x) = \sum_{y' < y,\, x' < x} z(y', x')$ (`CumSum` twice, then `Gather`). The bin bounds are
those of `paperzoo.detection.ps_roi.position_sensitive_roi_pool` (`mode="pool"`): the same RoI
clipping, torchvision's `round` (half away from zero), `floor`/`ceil` of the bin edges in float32,
and 0 for an empty bin. The integral image is accumulated in float64, so that the differences of
large partial sums keep the float32 averages of the eager kernel (measured: 1e-7 relative).
"""

from __future__ import annotations

import torch
from torch import Tensor

from paperzoo.detection.ps_roi import _clip_rois_to_maps

__all__ = ["ps_roi_pool_integral"]


def _bin_edges(start: Tensor, end: Tensor, k: int, size: int) -> tuple[Tensor, Tensor]:
    """Cell ranges `[lo, hi)` of the k bins along one side, `(R, k)` each, clipped to `[0, size]`."""
    length = torch.clamp(end - start, min=1).to(torch.float32)  # too small RoIs are forced to 1 cell
    bin_size = (length / k)[:, None]  # (R,) -> (R, 1)
    steps = torch.arange(k, dtype=torch.float32, device=start.device)
    lo = torch.floor(steps * bin_size).long() + start[:, None]  # (R, k)
    hi = torch.ceil((steps + 1) * bin_size).long() + start[:, None]
    return lo.clamp(0, size), hi.clamp(0, size)


def ps_roi_pool_integral(score_maps: Tensor, rois: Tensor, k: int, spatial_scale: float) -> Tensor:
    """Position-sensitive average pooling, `(N, D·k², H, W)` maps and `(R, 5)` RoIs -> `(R, D, k, k)`.

    Equal to `position_sensitive_roi_pool(score_maps, rois, k, spatial_scale, mode="pool")`.
    """
    batch, channels, height, width = score_maps.shape
    rois = _clip_rois_to_maps(rois.to(score_maps.dtype), height, width, spatial_scale)
    # C's round (half away from zero) of non-negative coordinates.
    start_x, start_y, end_x, end_y = torch.floor(rois[:, 1:] * spatial_scale + 0.5).long().unbind(dim=1)
    # torchvision clips to the padded maps' last index, H (resp. W): rows [lo, hi) are real rows.
    y0, y1 = _bin_edges(start_y, end_y, k, height)  # (R, k) each
    x0, x1 = _bin_edges(start_x, end_x, k, width)
    integral = score_maps.to(torch.float64).cumsum(2).cumsum(3)
    integral = torch.nn.functional.pad(integral, (1, 0, 1, 0))  # (N, D·k², H, W) -> (N, D·k², H+1, W+1)
    flat = integral.reshape(-1)  # one Gather per corner
    depth = channels // (k * k)
    # Channel of (class d, bin i, bin j) is (d·k + i)·k + j, offset by the RoI's image.
    channel = torch.arange(channels, device=rois.device).view(depth, k, k)  # (D, k, k)
    base = (rois[:, 0].long()[:, None, None, None] * channels + channel) * ((height + 1) * (width + 1))

    def corner(y: Tensor, x: Tensor) -> Tensor:
        position = y[:, None, :, None] * (width + 1) + x[:, None, None, :]  # (R, 1, k, k)
        return flat[base + position]  # (R, D, k, k)

    total = corner(y1, x1) - corner(y0, x1) - corner(y1, x0) + corner(y0, x0)
    area = ((y1 - y0)[:, None, :, None] * (x1 - x0)[:, None, None, :]).to(torch.float64)  # (R, 1, k, k)
    average = torch.where(area > 0, total / area.clamp(min=1), 0.0)
    return average.to(score_maps.dtype)
