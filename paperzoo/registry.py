"""The model registry: every paperzoo model is a registered, keyword-only builder.

Builders are marked with :func:`register_model`, which attaches a [`ModelInfo`][paperzoo.registry.ModelInfo]
to the function and changes nothing else. The registry is read from a fixed list of model modules the
first time it is asked for, so importing paperzoo has no side effect and there is no mutable global table
(timm's wart of growing a module's `__all__` at import time is avoided).
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from paperzoo.model_index import MODEL_INDEX

__all__ = [
    "MODEL_MODULES",
    "ModelInfo",
    "Paper",
    "check_model_name",
    "create_model",
    "get_model_builder",
    "get_model_info",
    "list_models",
    "register_model",
]

Task = Literal["classification", "detection"]
TASKS: tuple[str, ...] = ("classification", "detection")

# Modules whose `__all__` holds registered builders. A new paper adds its module here.
MODEL_MODULES: tuple[str, ...] = (
    "paperzoo.models.mobilenet_v1",
    "paperzoo.models.mobilenet_v2",
    "paperzoo.models.resnet",
    "paperzoo.models.rfcn",
    "paperzoo.models.ssd",
    "paperzoo.models.ssdlite",
)

_INFO_ATTR = "__paperzoo_model__"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Paper:
    """The paper a model implements.

    Attributes:
        title: Title as printed on arXiv.
        arxiv: arXiv identifier, e.g. `"1801.04381"`.
    """

    title: str
    arxiv: str

    @property
    def url(self) -> str:
        """Link to the paper's arXiv abstract page."""
        return f"https://arxiv.org/abs/{self.arxiv}"


@dataclass(frozen=True)
class ModelInfo:
    """Metadata of a registered model.

    Attributes:
        name: Registered name, equal to the builder's function name.
        paper: The paper the model implements.
        task: `"classification"` or `"detection"`.
        input_size: Default input size `(height, width)` of the paper's configuration.
        docs: Path of the model's page on the documentation site, relative to the site root.
        builder: The registered builder function.
    """

    name: str
    paper: Paper
    task: str
    input_size: tuple[int, int]
    docs: str
    builder: Callable[..., Any]


def register_model(*, paper: Paper, task: Task, input_size: tuple[int, int], docs: str) -> Callable[[F], F]:
    """Mark a builder function as a registered model.

    Args:
        paper: The paper the builder implements.
        task: One of `"classification"` or `"detection"`.
        input_size: Default `(height, width)` of the input.
        docs: Path of the model's documentation page relative to the site root.

    Returns:
        A decorator that returns the builder unchanged, with its metadata attached.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")

    def decorate(builder: F) -> F:
        info = ModelInfo(builder.__name__, paper, task, tuple(input_size), docs, builder)
        setattr(builder, _INFO_ATTR, info)
        return builder

    return decorate


@functools.cache
def _registry() -> dict[str, ModelInfo]:
    models: dict[str, ModelInfo] = {}
    for module_name in MODEL_MODULES:
        module = importlib.import_module(module_name)
        for attr in getattr(module, "__all__", ()):
            info = getattr(getattr(module, attr), _INFO_ATTR, None)
            if info is None:
                continue
            if info.name in models:
                raise RuntimeError(f"model {info.name!r} is registered twice ({module_name})")
            models[info.name] = info
    return dict(sorted(models.items()))


def list_models(
    pattern: str | Sequence[str] | None = None, task: str | None = None, *, pretrained: bool = False
) -> list[str]:
    """Names of the registered models, sorted (read from `paperzoo.model_index`: no model is imported).

    Args:
        pattern: Optional shell-style wildcard, e.g. `"mobilenet*"`, or a list of them (any may match).
        task: Optional task filter, `"classification"` or `"detection"`.
        pretrained: Only models with published whole-model weights (`create_model(name, pretrained=True)`).

    Returns:
        The matching model names.

    Raises:
        ValueError: If `task` is not a known task.
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"task must be one of {TASKS} or None, got {task!r}")
    patterns = [pattern] if isinstance(pattern, str) else list(pattern or ["*"])
    if pretrained:
        from paperzoo.weights import list_weights

        with_weights = {w.model for w in list_weights(part="model")}
    return [
        name
        for name, entry in sorted(MODEL_INDEX.items())
        if any(fnmatch.fnmatchcase(name, p) for p in patterns)
        and (task is None or entry.task == task)
        and (not pretrained or name in with_weights)
    ]


def get_model_info(name: str) -> ModelInfo:
    """Metadata of the registered model `name`.

    Raises:
        ValueError: If no model of that name is registered; the message lists close matches.
    """
    check_model_name(name)
    return _registry()[name]


def check_model_name(name: str) -> None:
    """Refuse a name that is not a registered model's, without importing any model.

    Raises:
        TypeError: If `name` is not a string.
        ValueError: If no model of that name is registered; the message lists close matches.
    """
    if not isinstance(name, str):
        raise TypeError(f"model name must be a str, got {type(name).__name__}")
    if name not in MODEL_INDEX:
        close = difflib.get_close_matches(name, MODEL_INDEX, n=5, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else f"known models: {', '.join(MODEL_INDEX)}"
        raise ValueError(f"unknown model {name!r}; {hint}")


def get_model_builder(name: str) -> Callable[..., Any]:
    """The builder function of the registered model `name` (see [`get_model_info`][paperzoo.get_model_info])."""
    return get_model_info(name).builder


def create_model(
    name: str,
    *,
    pretrained: bool = False,
    weights: Any = None,
    weights_file: str | Path | None = None,
    backbone_weights: Any = None,
    allow_unverified: bool = False,
    **kwargs: Any,
) -> Any:
    """Build the registered model `name`, optionally with published weights (timm's and torchvision's idioms).

    Args:
        name: A name from [`list_models`][paperzoo.list_models].
        pretrained: Load the model's default published weights (`list_weights(name)` shows them).
        weights: A weights tag of the model, e.g. `"IMAGENET1K_V1"` (or a `paperzoo.weights.Weights`).
        weights_file: A local copy of the published file to use instead of downloading it (same hash
            check), for `weights` or, if only those are given, `backbone_weights`.
        backbone_weights: Detectors: ImageNet weights for the backbone, e.g. `"IMAGENET1K_V1"` (the
            builder's `weights_backbone`).
        allow_unverified: Load weights whose publisher gives no hash paperzoo could check.
        **kwargs: Keyword arguments of the model's builder, e.g. `num_classes=21`. With weights, a
            different `num_classes` keeps the weights but re-initialises the classifier / class head.

    Returns:
        The model, an `torch.nn.Module`.

    Raises:
        ValueError: If the name is unknown (with close matches), the model has no such weights, or a
            builder argument is invalid.
        paperzoo.weights.WeightsError: If the weights file cannot be downloaded or fails its hash check.
    """
    builder = get_model_builder(name)
    if not (pretrained or weights is not None or backbone_weights is not None or weights_file is not None):
        return builder(**kwargs)
    from paperzoo.weights import default_weights, resolve_weights

    if pretrained and weights is None:
        weights = default_weights(name)
        if weights is None:
            raise ValueError(
                f"{name} has no published weights (pretrained=True); models with weights: "
                f"{', '.join(list_models(pretrained=True))}; backbone weights: paperzoo.list_weights({name!r})"
            )
    if backbone_weights is not None:
        if kwargs.get("weights_backbone") is not None:
            raise ValueError("pass backbone_weights or weights_backbone, not both")
        kwargs["weights_backbone"] = backbone_weights
    part, target = ("model", weights) if weights is not None else ("backbone", kwargs.get("weights_backbone"))
    if target is None:
        raise ValueError(
            f"weights_file={weights_file!r} needs weights=, pretrained=True or backbone_weights="
        )
    resolved = resolve_weights(name, target, part).using(file=weights_file, allow_unverified=allow_unverified)
    kwargs["weights" if part == "model" else "weights_backbone"] = resolved
    return builder(**kwargs)
