"""Argument and input checks shared by the models: one check, one meaning, one exception type.

`TypeError` for a value of the wrong type, `ValueError` for a value of the right type that is out of
range, each naming the value and what was expected.

The image-batch check is kept out of `forward` bodies so the models stay readable and so `torch.fx`
can treat it as one opaque call (see `torch.fx.wrap` in the model modules), which keeps the models
traceable by `torchvision.models.feature_extraction.create_feature_extractor`.
"""

from __future__ import annotations

import torch

__all__ = ["check_classifier_args", "check_image_batch", "check_num_classes"]


def check_image_batch(x: torch.Tensor, *, in_channels: int = 3, min_size: int = 32) -> None:
    """Raise a clear error unless `x` is a float image batch of shape `(N, in_channels, H, W)`.

    Args:
        x: The input batch.
        in_channels: Expected number of channels `C`.
        min_size: Smallest allowed height and width (the network's total stride).

    Raises:
        TypeError: If `x` is not a tensor or is not floating point.
        ValueError: If `x` is not 4-D, has the wrong channel count, or is smaller than `min_size`.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor of shape (N, {in_channels}, H, W), got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(
            f"expected a 4-D batch of shape (N, {in_channels}, H, W), got {x.dim()}-D shape {tuple(x.shape)}"
        )
    if not x.dtype.is_floating_point:
        raise TypeError(f"expected a floating-point tensor (e.g. torch.float32), got dtype {x.dtype}")
    if x.shape[1] != in_channels:
        raise ValueError(f"expected {in_channels} input channels, got {x.shape[1]} (shape {tuple(x.shape)})")
    height, width = x.shape[-2], x.shape[-1]
    if height < min_size or width < min_size:
        raise ValueError(f"expected height and width >= {min_size}, got {height}x{width}")


def check_classifier_args(*, width_mult: float, num_classes: int, dropout: float) -> None:
    """Raise a clear error for a non-positive width multiplier, class count or a bad dropout rate.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If `width_mult <= 0`, `num_classes < 1` or `dropout` is outside `[0, 1)`.
    """
    if isinstance(width_mult, bool) or not isinstance(width_mult, (int, float)):
        raise TypeError(f"width_mult must be a positive number, got {width_mult!r}")
    if not width_mult > 0:
        raise ValueError(f"width_mult must be > 0, got {width_mult}")
    check_num_classes(num_classes, background=False)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")


def check_num_classes(num_classes: int, *, background: bool) -> None:
    """Raise a clear error unless `num_classes` is an int of at least 1, or 2 for a detector.

    Args:
        num_classes: The number of outputs of the classifier.
        background: `True` for detectors, whose class 0 is the background: they need at least one
            object class besides it, so at least 2. `False` for classifiers (at least 1).

    Raises:
        TypeError: If `num_classes` is not an int (a `bool` is not accepted either).
        ValueError: If `num_classes` is below the minimum.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise TypeError(f"num_classes must be an int, got {num_classes!r}")
    if background and num_classes < 2:
        raise ValueError(
            f"num_classes must be >= 2 (the object classes plus the background 0), got {num_classes}"
        )
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
