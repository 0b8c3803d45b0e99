"""The first `k` entries of each image in a score-sorted list, for the whole batch at once.

Both detectors need it: SSD keeps the 200 best detections per image after NMS
([`ssd_postprocess`][paperzoo.detection.ssd_postprocess]); R-FCN keeps the `B = 128` RoIs with the
highest loss per image for OHEM and the 100 best detections per image at test time
(`paperzoo.models.rfcn`). One stable sort by image and a rank inside each image
replace a loop over the images.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["first_k_per_group"]


def first_k_per_group(group: Tensor, k: int, num_groups: int | None = None) -> tuple[Tensor, Tensor]:
    """Positions of the first `k` entries of each group in a list already sorted by decreasing score.

    Args:
        group: `(L,)` int64 group (image) of each entry, in score order.
        k: Entries kept per group.
        num_groups: Length of the returned counts (at least `group.max() + 1`); `None` for just enough.

    Returns:
        `(positions, counts)`: `positions` index into `group`, grouped by group id in increasing
            order and, inside a group, still in score order; `counts` `(num_groups,)` is the number of
            entries of each group before the limit.
    """
    order = torch.sort(group, stable=True).indices  # stable: keeps the score order inside a group
    counts = torch.bincount(group, minlength=num_groups or 0)  # (G,)
    starts = counts.cumsum(0) - counts
    rank = torch.arange(group.numel(), device=group.device) - starts[group[order]]
    return order[rank < k], counts
