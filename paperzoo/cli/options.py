"""Options and their resolution shared by the sub-commands that load data or run a model, with their ranges.

Kept apart from any one command so that `eval` and `detect` do not import `train`, and so that choosing
a device for inference does not go through the distributed-training initialiser.

Every numeric option is checked when the command line is parsed, so a value that would make a command
do nothing (`--batch-size -1`) or exhaust memory (`--image-size 1000000`) stops before any work with
one line naming the option, the value and the range. The ranges are stated in `--help`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported only when a command runs, so `paperzoo --help` stays fast
    import torch

__all__ = [
    "DEVICES",
    "LIMITS",
    "add_batch_size_option",
    "add_checkpoint_options",
    "add_data_argument",
    "add_device_argument",
    "add_shapes_options",
    "bounded",
    "limits_help",
    "resolve_device",
    "shapes_options",
]

DEVICES = ("cpu", "cuda")

# Option -> (smallest, largest) accepted value. The upper limits keep one image, one model or one
# index list far below the memory of a workstation; raise them here if a real use needs more.
LIMITS: dict[str, tuple[float, float]] = {
    "batch_size": (1, 4096),
    "epochs": (1, 100_000),
    "eval_every": (1, 100_000),
    "workers": (0, 256),
    "seed": (0, 2**31 - 1),
    "num_images": (1, 1_000_000),
    "image_size": (16, 2048),
    "resolution": (16, 2048),
    "width_mult": (0.05, 4.0),
    "num_classes": (1, 100_000),
    "score_thresh": (0.0, 1.0),
}


def bounded(name: str, kind: type = int) -> Callable[[str], Any]:
    """An argparse `type` parsing `kind` and refusing values outside `LIMITS[name]`."""
    low, high = LIMITS[name]

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None  # fmt: skip
        if not low <= value <= high:  # also refuses NaN
            raise argparse.ArgumentTypeError(f"must be in [{low:g}, {high:g}], got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in some messages
    return parse


def limits_help(name: str) -> str:
    """`"[low, high]"` of an option, for its help text."""
    low, high = LIMITS[name]
    return f"[{low:g}, {high:g}]"


def add_checkpoint_options(parser: argparse.ArgumentParser) -> None:
    """`--model` and `--checkpoint`, for the commands that load a trained checkpoint."""
    parser.add_argument("--model", help="model the checkpoint must belong to (default: the one it records)")
    parser.add_argument(
        "--checkpoint", type=Path, required=True, help="checkpoint.pt written by paperzoo train"
    )


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


def add_batch_size_option(parser: argparse.ArgumentParser, default: int | None, help: str) -> None:
    """`--batch-size N`, with its range in the help."""
    parser.add_argument("--batch-size", type=bounded("batch_size"), default=default,
                        help=f"{help}; {limits_help('batch_size')}")  # fmt: skip


def add_shapes_options(parser: argparse.ArgumentParser, counts: tuple[str, ...]) -> None:
    """`--image-size` and the image-count options (`--num-train`, `--num-val` or `--num-images`)."""
    for count in counts:
        split = count.removeprefix("num_").replace("images", "evaluated")
        parser.add_argument(f"--{count.replace('_', '-')}", type=bounded("num_images"),
                            help=f"shapes: number of {split} images {limits_help('num_images')}")  # fmt: skip
    parser.add_argument("--image-size", type=bounded("image_size"),
                        help=f"shapes: image side in pixels {limits_help('image_size')}")  # fmt: skip


def shapes_options(shapes: dict[str, Any], split: str, seed: int, **overrides: Any) -> dict[str, Any]:
    """`ShapesDataset` keyword arguments of a split from a recipe's `shapes` dict and CLI overrides."""
    options = {**shapes, **{k: v for k, v in overrides.items() if v is not None}}
    count = options.pop("num_train" if split == "train" else "num_val", None)
    options.pop("num_val" if split == "train" else "num_train", None)
    return {**options, "seed": seed, **({"num_images": count} if count is not None else {})}
