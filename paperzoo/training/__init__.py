"""Training: recipes, the training loop with safe checkpoints and exact resume, and DDP.

```python
from paperzoo.data import ShapesDataset
from paperzoo.training import Trainer, build_model, get_recipe

recipe = get_recipe("ssdlite_mobilenet_v2_shapes")
train_set = ShapesDataset("train", num_images=2000, image_size=160)
model = build_model(recipe.model, train_set.num_classes, recipe.model_kwargs)
Trainer(model, train_set, ShapesDataset("val", num_images=200, image_size=160), recipe,
        out_dir="runs/ssdlite", model_name=recipe.model, model_kwargs=recipe.model_kwargs).fit()
```
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from paperzoo.registry import create_model, get_model_info
from paperzoo.training.checkpoint import (
    CheckpointError,
    load_checkpoint,
    load_model_state,
    require_keys,
    save_checkpoint,
)
from paperzoo.training.distributed import DistributedContext, init_distributed
from paperzoo.training.engine import Trainer
from paperzoo.training.recipes import RECIPES, Recipe, default_recipe, get_recipe

__all__ = [
    "RECIPES",
    "CheckpointError",
    "DistributedContext",
    "Recipe",
    "Trainer",
    "build_model",
    "default_recipe",
    "get_recipe",
    "init_distributed",
    "load_checkpoint",
    "load_trained_model",
    "save_checkpoint",
]


def build_model(
    name: str,
    num_classes: int,
    model_kwargs: dict[str, Any] | None = None,
    *,
    backbone_weights: str | None = None,
    weights_file: str | Path | None = None,
) -> nn.Module:
    """A registered detection model for `num_classes` (including the background), to train.

    Args:
        name: A detection model's name.
        num_classes: Classes including the background.
        model_kwargs: Further builder arguments.
        backbone_weights: ImageNet weights tag for the backbone (`"DEFAULT"`, `"IMAGENET1K_V1"`, see
            `paperzoo weights`), as the papers start; `None`: random weights everywhere.
        weights_file: A local copy of the published backbone file (no download).

    Raises:
        ValueError: If `name` is unknown or not a detection model.
    """
    info = get_model_info(name)
    if info.task != "detection":
        raise ValueError(f"model {name!r} is a {info.task} model; training needs a detection model")
    if weights_file is not None and backbone_weights is None:
        raise ValueError("a backbone weights file needs backbone weights (a tag such as DEFAULT)")
    return create_model(
        name, num_classes=num_classes, backbone_weights=backbone_weights, weights_file=weights_file,
        **(model_kwargs or {}),
    )  # fmt: skip


def load_trained_model(
    path: str | Path, model_name: str | None = None, device: str | torch.device = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model from a training checkpoint and load its weights (in eval mode).

    Args:
        path: A `checkpoint.pt` written by `paperzoo train`.
        model_name: The model the caller expects; a checkpoint of another model is an error.
        device: Device to load onto.

    Returns:
        `(model, checkpoint)`; the checkpoint dict holds `classes`, `recipe`, `epoch`, ...

    Raises:
        FileNotFoundError: If the file does not exist.
        CheckpointError: If the file is corrupt or written for another model.
    """
    state = load_checkpoint(path, map_location=device)
    saved_name = state.get("model_name")
    if saved_name is None:
        raise CheckpointError(f"checkpoint {path} does not record which model it belongs to")
    if model_name is not None and model_name != saved_name:
        raise CheckpointError(f"checkpoint {path} was written for model {saved_name!r}, not {model_name!r}")
    require_keys(state, ("num_classes", "model"), path, "rebuild the model")
    model = build_model(
        saved_name, state["num_classes"], offline_model_kwargs(state.get("model_kwargs"), path)
    )
    load_model_state(model, state, path, saved_name)
    return model.to(device).eval(), state


# Builder arguments that fetch weights (torchvision's `weights`, `weights_backbone`, timm's
# `pretrained`, ...): a checkpoint holds its own weights, so loading one never needs them.
_DOWNLOADING_KWARG = re.compile(r"weights|pretrained|url|download|progress")


def offline_model_kwargs(model_kwargs: Any, path: str | Path) -> dict[str, Any]:
    """A checkpoint's builder arguments without those that would download weights.

    Raises:
        CheckpointError: If `model_kwargs` is not a dict with string keys.
    """
    if model_kwargs is None:
        return {}
    if not isinstance(model_kwargs, dict) or not all(isinstance(key, str) for key in model_kwargs):
        raise CheckpointError(f"checkpoint {path}: 'model_kwargs' is not a dict of builder arguments")
    return {key: value for key, value in model_kwargs.items() if not _DOWNLOADING_KWARG.search(key)}
