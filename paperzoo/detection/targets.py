"""Ground-truth targets of a detection batch: validation and padding.

Detectors follow torchvision's contract: `targets` is a list with one dict per image, holding
`"boxes"` (float `[G, 4]`, absolute `x1, y1, x2, y2` pixels) and `"labels"` (int64 `[G]`, 0 is the
background so object labels are in `[1, num_classes - 1]`). `G = 0` is allowed: an image with no
objects is a valid training example (it teaches "background").

[`validate_targets`][paperzoo.detection.targets.validate_targets] rejects malformed targets with a
`ValueError` that names the image and the box, before they can turn into a NaN loss (degenerate
boxes make `log(w)` in the box encoding blow up, a common failure of other SSD implementations).
[`pad_targets`][paperzoo.detection.targets.pad_targets] turns the ragged list into padded tensors
plus a mask, so matching and losses run for the whole batch at once.

Boxes partly outside the image: `validate_targets` only checks the image bounds when `image_sizes`
is given, and then raises (naming the box) for any box not inside `[0, W] x [0, H]`; it never edits
its input. Data loaders clip such boxes to the image (with a warning) before validation.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = ["pad_targets", "validate_targets"]


def _check_structure(index: int, target: object) -> int:
    """Check one image's dict for keys, types, dtypes and shapes; return its number of boxes."""
    if not isinstance(target, dict):
        raise ValueError(
            f"targets[{index}] must be a dict with 'boxes' and 'labels', got {type(target).__name__}"
        )
    for key in ("boxes", "labels"):
        if key not in target:
            raise ValueError(f"targets[{index}] has no {key!r} key (keys: {sorted(target)})")
        if not isinstance(target[key], Tensor):
            got = type(target[key]).__name__
            raise ValueError(f"targets[{index}][{key!r}] must be a torch.Tensor, got {got}")
    boxes, labels = target["boxes"], target["labels"]
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"targets[{index}]['boxes'] must have shape [G, 4], got {list(boxes.shape)}")
    if not boxes.is_floating_point():
        raise ValueError(f"targets[{index}]['boxes'] must be a float tensor, got {boxes.dtype}")
    if labels.dtype != torch.int64:
        raise ValueError(f"targets[{index}]['labels'] must be int64, got {labels.dtype}")
    if labels.shape != (boxes.shape[0],):
        raise ValueError(
            f"targets[{index}]['labels'] must have shape [G] = [{boxes.shape[0]}], got {list(labels.shape)}"
        )
    return boxes.shape[0]


def _first_bad(bad: Tensor, counts: list[int]) -> tuple[int, int] | None:
    """Return (image index, box index) of the first True in a flat per-box mask, or None."""
    flat = torch.nonzero(bad).flatten()
    if flat.numel() == 0:
        return None
    position = int(flat[0])
    offsets = torch.tensor(counts).cumsum(0)
    image = int(torch.searchsorted(offsets, torch.tensor(position), right=True))
    start = int(offsets[image - 1]) if image > 0 else 0
    return image, position - start


def validate_targets(
    targets: Sequence[dict[str, Tensor]],
    num_classes: int,
    image_sizes: Sequence[tuple[int, int]] | None = None,
) -> None:
    """Check detection targets and raise a `ValueError` naming the image and box at fault.

    The numeric checks run on all boxes of the batch at once (one concatenation, no loop over
    boxes), so validation stays cheap inside a training loop.

    Args:
        targets: One dict per image with `"boxes"` (float `[G, 4]`, `x1, y1, x2, y2`) and
            `"labels"` (int64 `[G]`); `G = 0` is allowed.
        num_classes: Number of classes including the background (label 0).
        image_sizes: Optional `(H, W)` per image; when given, every box must lie inside
            `[0, W] x [0, H]` (boxes partly outside raise; clip them in the data loader).

    Raises:
        ValueError: Malformed structure, wrong dtype or shape, NaN/inf coordinates,
            `x2 <= x1` or `y2 <= y1`, labels outside `[1, num_classes - 1]`, or (with
            `image_sizes`) a box outside its image.
    """
    if isinstance(targets, dict) or not isinstance(targets, Sequence):
        raise ValueError(f"targets must be a list of dicts (one per image), got {type(targets).__name__}")
    if image_sizes is not None and len(image_sizes) != len(targets):
        raise ValueError(f"got {len(image_sizes)} image_sizes for {len(targets)} targets")
    counts = [_check_structure(i, t) for i, t in enumerate(targets)]
    if sum(counts) == 0:
        return
    boxes = torch.cat([t["boxes"].detach().float() for t in targets])  # list of [G_i, 4] -> (ΣG, 4)
    labels = torch.cat([t["labels"].detach() for t in targets])  # list of [G_i] -> (ΣG,)

    checks: list[tuple[Tensor, str]] = [
        (~torch.isfinite(boxes).all(dim=1), "has a NaN or infinite coordinate"),
        ((boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1]), "is degenerate (x2 <= x1 or y2 <= y1)"),
    ]
    if image_sizes is not None:
        hw = torch.tensor([list(s) for s in image_sizes], dtype=boxes.dtype, device=boxes.device)
        hw = hw.repeat_interleave(torch.tensor(counts, device=boxes.device), dim=0)  # (B, 2) -> (ΣG, 2)
        outside = (boxes[:, :2] < 0).any(dim=1) | (boxes[:, 2] > hw[:, 1]) | (boxes[:, 3] > hw[:, 0])
        checks.append((outside, "lies partly outside its image of size (H, W) = {size}"))
    for bad, what in checks:
        found = _first_bad(bad, counts)
        if found is not None:
            image, box = found
            value = targets[image]["boxes"][box].tolist()
            size = tuple(image_sizes[image]) if image_sizes is not None else None
            raise ValueError(f"targets[{image}]['boxes'][{box}] = {value} " + what.format(size=size))
    found = _first_bad((labels < 1) | (labels > num_classes - 1), counts)
    if found is not None:
        image, box = found
        raise ValueError(
            f"targets[{image}]['labels'][{box}] = {int(targets[image]['labels'][box])} is outside "
            f"[1, {num_classes - 1}] (num_classes = {num_classes} includes the background 0)"
        )


def pad_targets(targets: Sequence[dict[str, Tensor]]) -> tuple[Tensor, Tensor, Tensor]:
    """Pad a ragged list of targets into dense tensors plus a validity mask.

    Padding slots hold zero boxes and label 0 (background) and are `False` in the mask. One
    scatter fills the whole batch, with no loop over boxes.

    Args:
        targets: One dict per image with `"boxes"` `[G_i, 4]` and `"labels"` `[G_i]`.

    Returns:
        `(boxes, labels, mask)` of shapes `[B, G, 4]`, `[B, G]` (int64) and `[B, G]` (bool),
            with `G = max(G_i)` and at least 1 (so the tensors are never empty).
    """
    if len(targets) == 0:
        raise ValueError("targets must hold at least one image, got an empty list")
    first = targets[0]["boxes"]
    counts = torch.tensor([t["boxes"].shape[0] for t in targets], device=first.device)
    num_slots = max(int(counts.max()), 1)
    mask = torch.arange(num_slots, device=first.device) < counts[:, None]  # (B, G)
    boxes = first.new_zeros((len(targets), num_slots, 4))
    labels = torch.zeros((len(targets), num_slots), dtype=torch.int64, device=first.device)
    # Row-major order of `mask` is image by image, box by box: the same order as the concatenation.
    boxes[mask] = torch.cat([t["boxes"].reshape(-1, 4) for t in targets]).to(boxes.dtype)  # (ΣG, 4)
    labels[mask] = torch.cat([t["labels"].reshape(-1) for t in targets]).long()  # (ΣG,)
    return boxes, labels, mask
