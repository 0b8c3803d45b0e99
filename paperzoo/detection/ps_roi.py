"""Position-sensitive RoI pooling (R-FCN, Dai et al., arXiv 1605.06409, Sec. 2), with a border fix.

R-FCN pools bin `(i, j)` of a RoI's `k x k` grid from its own group of score maps. The score maps are
laid out **class-major**, as in the official Caffe layer and in `torchvision.ops.ps_roi_pool`:

    channel (c·k + i)·k + j  holds the score of class c for bin (i, j)   # (N, D·k·k, H, W)

so a `(N, D·k², H, W)` tensor viewed as `(N, D, k, k, H, W)` gives `[class][bin y][bin x]` maps.

**The defect this module works around.** `torchvision.ops.ps_roi_pool` clips the bin bounds to
`H - 1` / `W - 1` in the forward pass but to `H` / `W` in the backward pass (measured on torchvision
0.29.1 on CPU, see `tests/detection/test_ps_roi.py`; the CPU kernel `csrc/ops/cpu/ps_roi_pool_kernel.cpp`
and, by reading its source, the CUDA kernel clip the same way):

- the last row and the last column of the score maps are never pooled: a bin that lies only on
  them (a RoI touching the bottom/right border of the feature map) returns 0, and a bin that
  includes them averages one row/column too few;
- the backward pass spreads a border bin's gradient over the cells the forward pass did *not* read
  too, divided by the larger area, so `torch.autograd.gradcheck` fails for any RoI touching the
  border (interior RoIs are exact).

`position_sensitive_roi_pool` pads the score maps with one zero row and column at the bottom and
right and clips the RoIs to the maps (a RoI that starts in the last half cell starts on the last
cell instead of past the map), so every bin stays inside the real `H x W` maps: then neither pass
ever clips, the forward pass averages exactly the cells of torchvision's own bin arithmetic
(`round(x·scale)` at both ends, at least one cell; the Caffe layer uses `round(x2) + 1`), and the
backward pass is its exact adjoint. `torchvision.ops.ps_roi_align` has no such defect (bilinear
sampling with half-pixel offsets; it passes the same tests) and is called unchanged.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import ps_roi_align, ps_roi_pool

__all__ = ["position_sensitive_roi_pool", "rois_with_batch_index"]

PoolMode = Literal["pool", "align"]


def rois_with_batch_index(boxes: Tensor | list[Tensor]) -> Tensor:
    """RoIs as one `[K, 5]` tensor `(batch index, x1, y1, x2, y2)`, the format the RoI ops take.

    Args:
        boxes: Either already `[K, 5]`, or a list with one `[K_i, 4]` tensor per image.
    """
    if isinstance(boxes, Tensor):
        if boxes.ndim != 2 or boxes.shape[1] != 5:
            raise ValueError(
                f"rois must have shape [K, 5] (batch index, x1, y1, x2, y2), got {list(boxes.shape)}"
            )
        return boxes
    for index, per_image in enumerate(boxes):
        if per_image.ndim != 2 or per_image.shape[1] != 4:
            raise ValueError(f"boxes[{index}] must have shape [K, 4], got {list(per_image.shape)}")
    counts = torch.tensor([len(b) for b in boxes], device=boxes[0].device)
    image_index = torch.repeat_interleave(torch.arange(len(boxes), device=counts.device), counts)
    return torch.cat([image_index[:, None].to(boxes[0].dtype), torch.cat(boxes)], dim=1)  # (ΣK_i, 1 + 4)


def _clip_rois_to_maps(rois: Tensor, height: int, width: int, spatial_scale: float) -> Tensor:
    """Clip RoIs so that `round(start·scale) <= size - 1` and `round(end·scale) <= size`."""
    x1, y1, x2, y2 = rois[:, 1:].unbind(dim=1)
    inv = 1.0 / spatial_scale
    return torch.stack(
        [
            rois[:, 0],
            x1.clamp(0.0, (width - 1) * inv),
            y1.clamp(0.0, (height - 1) * inv),
            x2.clamp(0.0, width * inv),
            y2.clamp(0.0, height * inv),
        ],
        dim=1,
    )  # 5 × (K,) -> (K, 5)


def position_sensitive_roi_pool(
    score_maps: Tensor,
    rois: Tensor | list[Tensor],
    k: int,
    spatial_scale: float,
    *,
    mode: PoolMode = "pool",
    sampling_ratio: int = -1,
) -> Tensor:
    """Position-sensitive RoI pooling of class-major score maps (Sec. 2, Eq. 1).

    Bin `(i, j)` of each RoI averages the cells of the RoI's `(i, j)` sub-window on score map
    `(c·k + i)·k + j`, for every class `c`.

    Args:
        score_maps: `(N, D·k², H, W)` maps, class-major (`[D][bin y][bin x]`).
        rois: `[K, 5]` `(batch index, x1, y1, x2, y2)` or a list of per-image `[K_i, 4]`, in input
            image coordinates.
        k: Bins per side.
        spatial_scale: Feature-map cells per input pixel, `1 / stride` (`1/16` for R-FCN).
        mode: `"pool"`: average pooling over integer cells as in the paper, via
            `torchvision.ops.ps_roi_pool` with the border fix of this module; `"align"`: bilinear
            sampling, `torchvision.ops.ps_roi_align`.
        sampling_ratio: Samples per bin side for `"align"` (`-1`: adaptive).

    Returns:
        `(K, D, k, k)` pooled scores.
    """
    if score_maps.ndim != 4:
        raise ValueError(f"score_maps must have shape (N, D·k², H, W), got {list(score_maps.shape)}")
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    if score_maps.shape[1] % (k * k) != 0:
        raise ValueError(f"score_maps has {score_maps.shape[1]} channels, not a multiple of k² = {k * k}")
    rois = rois_with_batch_index(rois).to(score_maps.dtype)
    if mode == "align":
        return ps_roi_align(score_maps, rois, k, spatial_scale, sampling_ratio)
    if mode != "pool":
        raise ValueError(f"mode must be 'pool' or 'align', got {mode!r}")
    height, width = score_maps.shape[-2:]
    rois = _clip_rois_to_maps(rois, height, width, spatial_scale)
    # One zero row/column below and right of the maps: torchvision's forward clips to H - 1 / W - 1,
    # which is now the last real row/column + 1; the clipped RoIs never reach the padding.
    padded = F.pad(score_maps, (0, 1, 0, 1))  # (N, D·k², H, W) -> (N, D·k², H + 1, W + 1)
    return ps_roi_pool(padded, rois, k, spatial_scale)
