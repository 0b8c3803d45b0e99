"""Run exported models with ONNX Runtime, and pick the fastest runtime available for a model.

[`OnnxModel`][paperzoo.deploy.runtime.OnnxModel] opens an exported file with every graph optimisation
on, a fixed number of intra-op threads, and the best execution provider installed (CUDA before CPU),
and returns what the eager model returns: logits, or one `{"boxes", "scores", "labels"}` dict per image.
[`fastest`][paperzoo.deploy.runtime.fastest] exports a model to ONNX Runtime when `onnxruntime` is
installed and otherwise falls back to [`optimize`][paperzoo.deploy.optimize.optimize].
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from paperzoo.extras import has_module, require

__all__ = ["PROVIDER_PREFERENCE", "OnnxModel", "fastest", "onnx_session"]

#: Execution providers in order of preference; the first one installed is used (CPU always is).
PROVIDER_PREFERENCE = ("CUDAExecutionProvider", "CoreMLExecutionProvider", "CPUExecutionProvider")


def onnx_session(
    path: str | Path, *, threads: int | None = None, providers: Sequence[str] | None = None
) -> Any:
    """An `onnxruntime.InferenceSession` with all graph optimisations and `threads` intra-op threads.

    Args:
        path: An `.onnx` file.
        threads: Intra-op threads (default: ONNX Runtime's choice, one per physical core).
        providers: Execution providers; default: the preferred ones that are installed.
    """
    ort = require("onnxruntime", "Running an ONNX file")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    if providers is None:
        available = set(ort.get_available_providers())
        providers = [name for name in PROVIDER_PREFERENCE if name in available]
    return ort.InferenceSession(str(path), options, providers=list(providers))


class OnnxModel:
    """An exported paperzoo model run by ONNX Runtime, called like the eager model.

    Args:
        path: File written by `paperzoo.deploy.export` (or `paperzoo export`).
        threads: Intra-op threads.
        providers: Execution providers (default: the fastest installed).

    Attributes:
        metadata: The file's metadata (`input_size`, `categories`, `outputs`, `output_layout`, ...).
        input_size: `(H, W)` the file takes.
        categories: Class names, index = label.
    """

    def __init__(
        self, path: str | Path, *, threads: int | None = None, providers: Sequence[str] | None = None
    ) -> None:
        self.session = onnx_session(path, threads=threads, providers=providers)
        raw = self.session.get_modelmeta().custom_metadata_map
        self.metadata = {key: json.loads(value) for key, value in raw.items()}
        self.input_size = tuple(self.metadata.get("input_size", ()))
        self.categories = list(self.metadata.get("categories", ()))
        self.output_names = [output.name for output in self.session.get_outputs()]

    def run(self, images: Tensor | np.ndarray) -> dict[str, np.ndarray]:
        """The raw outputs by name for a batch `(N, 3, H, W)` at `input_size`."""
        array = images.detach().cpu().numpy() if isinstance(images, Tensor) else np.asarray(images)
        if array.ndim != 4 or tuple(array.shape[2:]) != self.input_size:
            raise ValueError(
                f"images must be (N, 3, {', '.join(map(str, self.input_size))}), got {array.shape}"
            )
        outputs = self.session.run(None, {"images": np.ascontiguousarray(array, dtype=np.float32)})
        return dict(zip(self.output_names, outputs, strict=True))

    def __call__(self, images: Tensor | np.ndarray) -> Tensor | list[dict[str, Tensor]]:
        """Logits `(N, C)` (classifier) or one `{"boxes", "scores", "labels"}` per image (detector)."""
        outputs = self.run(images)
        if self.metadata.get("output_layout") != "padded":
            return torch.from_numpy(outputs[self.output_names[0]])
        counts = outputs["num_detections"].tolist()
        return [
            {key: torch.from_numpy(outputs[key][i, :n]) for key in ("boxes", "scores", "labels")}
            for i, n in enumerate(counts)
        ]


def fastest(
    model: nn.Module, *, input_size: Sequence[int] | None = None, threads: int | None = None
) -> OnnxModel | nn.Module:
    """The fastest available runtime for `model`: ONNX Runtime if installed, else `optimize(model)`.

    Both return what the eager model returns for a batch at the fixed `input_size` (see `export`).
    """
    if not has_module("onnxruntime"):
        from paperzoo.deploy.optimize import optimize

        return optimize(model)
    from paperzoo.deploy.export import export

    with tempfile.TemporaryDirectory() as folder:
        path = export(model, Path(folder) / "model.onnx", input_size=input_size)
        return OnnxModel(path, threads=threads)
