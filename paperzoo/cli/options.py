"""Options and their resolution shared by the sub-commands that load data or run a model.

Kept apart from any one command so that `eval` and `detect` do not import `train`, and so that choosing
a device for inference does not go through the distributed-training initialiser.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported only when a command runs, so `paperzoo --help` stays fast
    import torch

__all__ = ["DEVICES", "add_data_argument", "add_device_argument", "resolve_device", "shapes_options"]

DEVICES = ("cpu", "cuda")


def add_device_argument(parser: argparse.ArgumentParser, purpose: str = "device") -> None:
    """`--device cpu|cuda` (default: cpu)."""
    parser.add_argument("--device", choices=DEVICES, default="cpu", help=f"{purpose} (default: cpu)")


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """`--data shapes|voc:PATH|coco:PATH` (default: shapes)."""
    parser.add_argument("--data", default="shapes", help="shapes (default), voc:PATH or coco:PATH")


def resolve_device(name: str) -> torch.device:
    """The `torch.device` for `--device`, for a single process (inference, evaluation).

    Raises:
        ValueError: If `name` is unknown, or CUDA is asked for but not available.
    """
    import torch

    if name not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but torch.cuda.is_available() is False")
    return torch.device(name)


def shapes_options(shapes: dict[str, Any], split: str, seed: int, **overrides: Any) -> dict[str, Any]:
    """`ShapesDataset` keyword arguments of a split from a recipe's `shapes` dict and CLI overrides."""
    options = {**shapes, **{k: v for k, v in overrides.items() if v is not None}}
    count = options.pop("num_train" if split == "train" else "num_val", None)
    options.pop("num_val" if split == "train" else "num_train", None)
    return {**options, "seed": seed, **({"num_images": count} if count is not None else {})}
