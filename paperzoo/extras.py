"""Optional dependencies: import one, or fail with one sentence naming the extra that installs it.

A plain `pip install paperzoo` holds torch, torchvision, tqdm, Pillow and safetensors. The rest comes
with extras (`pyproject.toml`): `coco` (pycocotools: COCO data and COCO mAP), `deploy` (onnx,
onnxscript, onnxruntime: ONNX export and runtime) and `figures` (plotly).
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

__all__ = ["EXTRAS", "MissingExtraError", "has_module", "require"]

# Importable top-level module -> the extra that installs it.
EXTRAS: dict[str, str] = {
    "pycocotools": "coco",
    "onnx": "deploy",
    "onnxscript": "deploy",
    "onnxruntime": "deploy",
    "plotly": "figures",
}


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def has_module(name: str) -> bool:
    """Whether the top-level module `name` can be imported (without importing it)."""
    return importlib.util.find_spec(name) is not None


def require(name: str, purpose: str) -> ModuleType:
    """Import the optional module `name` (e.g. `"pycocotools.cocoeval"`) needed for `purpose`.

    Raises:
        MissingExtraError: If it is not installed; the message says which extra installs it.
    """
    top = name.partition(".")[0]
    if top not in EXTRAS:
        raise ValueError(f"{top!r} is not an optional dependency of paperzoo; known: {', '.join(EXTRAS)}")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.partition(".")[0] != top:
            raise  # the package is there but one of its own dependencies is broken: not ours to rename
        raise MissingExtraError(
            f"{purpose} needs {top}, which is not installed: pip install 'paperzoo[{EXTRAS[top]}]'"
        ) from exc
