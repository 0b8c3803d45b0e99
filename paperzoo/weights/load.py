"""From a `weights=` argument to a loaded model: resolve the entry, fetch, read safely, convert, load."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperzoo.weights.catalog import Part, Weights, get_weights
from paperzoo.weights.convert import CLASSIFIER_PREFIXES, convert_state_dict
from paperzoo.weights.download import WeightsError, fetch_weights_file

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = ["apply_weights", "load_state_dict", "read_state_dict", "resolve_weights"]


def resolve_weights(model_name: str, weights: Any, part: Part = "model") -> Weights | None:
    """The catalog entry a builder's `weights` / `weights_backbone` argument names (`None` stays `None`).

    Accepts a [`Weights`][paperzoo.weights.Weights] of that model and part, a tag (`"IMAGENET1K_V2"`,
    `"DEFAULT"`, `"mobilenet_v2.IMAGENET1K_V2"`), or a torchvision `WeightsEnum` member (by its name).
    """
    if (
        weights is None
        or isinstance(weights, Weights)
        and (weights.model, weights.part) == (model_name, part)
    ):
        return weights
    if isinstance(weights, Weights):
        raise ValueError(
            f"{weights.name} are {weights.part} weights of {weights.model}, not {part} weights of {model_name}"
        )
    if type(weights).__module__.startswith("torchvision.") and hasattr(weights, "name"):
        weights = weights.name  # e.g. MobileNet_V2_Weights.IMAGENET1K_V1 (DEFAULT resolves to its target)
    return get_weights(model_name, weights, part)


def read_state_dict(path: str | Path) -> dict[str, Tensor]:
    """Read a `.safetensors` file, or a PyTorch file with `torch.load(weights_only=True)` (no unpickling)."""
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            try:
                from safetensors.torch import load_file
            except ImportError:
                raise WeightsError(
                    f"reading {path.name} needs safetensors: pip install safetensors"
                ) from None
            return load_file(path, device="cpu")
        import torch

        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError, zipfile.BadZipFile, OSError) as exc:
        if isinstance(exc, WeightsError):
            raise
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise WeightsError(
            f"{path} is not a readable weights file ({first_line}); delete it and retry"
        ) from None


def load_state_dict(weights: Weights, *, progress: bool = True) -> dict[str, Tensor]:
    """Fetch `weights` (cache, download or local file, hash-checked) and convert it to paperzoo's keys."""
    path = fetch_weights_file(weights, progress=progress)
    return convert_state_dict(weights.model, read_state_dict(path), weights.source)


def apply_weights(
    model: nn.Module, weights: Weights, *, num_classes: int | None = None, progress: bool = True
) -> nn.Module:
    """Load `weights` into `model` (built by `weights.model`'s builder) and return it.

    Whole-model weights load strictly, except that a `num_classes` different from the weights' keeps
    the model's freshly initialised classifier (timm's behaviour). Backbone weights load the backbone;
    the rest of the model keeps its initialisation.

    Raises:
        ValueError: If the weights do not fit this configuration of the model (e.g. another width).
    """
    state_dict = load_state_dict(weights, progress=progress)
    reset = ""
    if weights.part == "model" and num_classes is not None and num_classes != weights.num_classes:
        reset = CLASSIFIER_PREFIXES.get(weights.model, "")
        if not reset:
            raise ValueError(f"{weights.name} fit num_classes={weights.num_classes}, got {num_classes}")
        state_dict = {k: v for k, v in state_dict.items() if not k.startswith(reset)}
    try:
        missing, unexpected = model.load_state_dict(state_dict, strict=False)
    except RuntimeError as exc:
        detail = str(exc).strip().splitlines()[1:2] or [""]
        raise ValueError(
            f"{weights.name} do not fit this configuration of {weights.model} (use the builder's "
            f"defaults for the architecture): {detail[0].strip()}"
        ) from None
    assert not unexpected, f"conversion of {weights.name} produced unknown keys {unexpected[:5]}"
    if weights.part == "model":
        assert all(reset and key.startswith(reset) for key in missing), f"{weights.name} miss {missing[:5]}"
    return model
