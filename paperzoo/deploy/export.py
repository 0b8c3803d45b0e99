"""Export any paperzoo model with `torch.export` (`.pt2`) or to ONNX, with a dynamic batch size.

Classifiers export as they are: images `(N, 3, H, W)` -> logits `(N, num_classes)`. Detectors export
either end to end (default: images in [0, 1] -> padded `boxes`, `scores`, `labels`, `num_detections`,
see `paperzoo.deploy.detections`) or as their network core (`end_to_end=False`: normalised images at
the network size -> head outputs). The input size is fixed per export; it is written into the file with
the category names and the output layout (ONNX `metadata_props`, or `paperzoo.json` inside a `.pt2`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from paperzoo.__about__ import __version__
from paperzoo.deploy.detections import OUTPUT_NAMES
from paperzoo.deploy.nms import onnx_translation_table
from paperzoo.deploy.rfcn_graph import RFCNCore, RFCNEndToEnd
from paperzoo.deploy.ssd_graph import SSDCore, SSDEndToEnd
from paperzoo.extras import require
from paperzoo.models.rfcn import RFCN
from paperzoo.models.ssd import SSD

__all__ = ["FORMATS", "MAX_BATCH", "export", "export_graph"]

FORMATS = ("onnx", "pt2")
#: Largest batch the exported graphs accept (the batch dimension is symbolic up to this).
MAX_BATCH = 1024
OPSET = 18  # NonMaxSuppression (10), Resize with antialias (18)
INPUTS = {
    "padded": "images (N, 3, H, W) float32 in [0, 1]; the graph resizes and normalises",
    "tensors": "images (N, 3, H, W) float32, resized and normalised as the model's preprocessing does",
    "classifier": "images (N, 3, H, W) float32, normalised as in training (ImageNet mean and std)",
}
ExportFormat = Literal["onnx", "pt2"]


def _default_input_size(model: nn.Module) -> tuple[int, int]:
    if isinstance(model, SSD):
        return tuple(model.size)
    if isinstance(model, RFCN):  # the paper's test scale: shorter side 600, longer at most 1000
        return (int(model.transform.min_size[-1]), int(model.transform.max_size))
    return (224, 224)


def export_graph(
    model: nn.Module, input_size: Sequence[int] | None = None, *, end_to_end: bool = True
) -> tuple[nn.Module, tuple[int, int], tuple[str, ...]]:
    """The module that is exported for `model`, its input size and its output names.

    Args:
        model: A paperzoo model (classifier, `SSD` or `RFCN`).
        input_size: `(H, W)` of the exported input; default: the network size (SSD), 600x1000
            (R-FCN) or 224x224 (classifiers). A core export always takes the network size.
        end_to_end: Detectors: include preprocessing, box decoding and NMS (default), or only the
            network (normalised images -> head outputs).
    """
    size = tuple(int(s) for s in (input_size or _default_input_size(model)))
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"input_size must be (H, W) with positive sides, got {input_size!r}")
    model = model.eval()
    if isinstance(model, SSD):
        if end_to_end:
            return SSDEndToEnd(model, size).eval(), size, OUTPUT_NAMES
        return SSDCore(model).eval(), tuple(model.size), ("cls_logits", "bbox_regression")
    if isinstance(model, RFCN):
        if end_to_end:
            return RFCNEndToEnd(model, size).eval(), size, OUTPUT_NAMES
        graph = RFCNEndToEnd(model, size)
        core_names = ("rpn_objectness", "rpn_deltas", "cls_maps", "box_maps")
        return RFCNCore(model).eval(), graph.padded, core_names
    return model, size, ("logits",)


def _classifier_outputs(model: nn.Module) -> int:
    """Classes of a classifier: the outputs of its last linear layer (MobileNets' `classifier`, ResNets' `fc`)."""
    linears = [module for module in model.modules() if isinstance(module, nn.Linear)]
    if not linears:
        raise TypeError(f"{type(model).__name__} is neither a detector nor a classifier with a linear head")
    return linears[-1].out_features


def _metadata(
    model: nn.Module, size: tuple[int, int], outputs: tuple[str, ...], end_to_end: bool, extra: dict
) -> dict[str, str]:
    detector = isinstance(model, (SSD, RFCN))
    num_classes = model.num_classes if detector else _classifier_outputs(model)
    categories = extra.pop("categories", None)
    if categories is None:  # unnamed: the label ids themselves (0 is the background for detectors)
        categories = [str(i) for i in range(num_classes)]
    if len(categories) not in (num_classes, num_classes - 1):
        raise ValueError(f"got {len(categories)} category names for a model with {num_classes} classes")
    if detector and len(categories) == num_classes - 1:
        categories = ["__background__", *categories]
    layout = "padded" if detector and end_to_end else "tensors"
    values = {
        "paperzoo_version": __version__,
        "input_size": list(size),
        "input": INPUTS[layout if detector else "classifier"],
        "outputs": list(outputs),
        "output_layout": layout,
        "categories": list(categories),
        **extra,
    }
    return {key: json.dumps(value) for key, value in values.items()}


def export(
    model: nn.Module,
    path: str | Path,
    *,
    format: ExportFormat = "onnx",
    input_size: Sequence[int] | None = None,
    end_to_end: bool = True,
    categories: Sequence[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Export `model` to `path` with a dynamic batch size; return the path.

    Args:
        model: A paperzoo model; it is put in eval mode.
        path: Output file (`.onnx` or `.pt2`).
        format: `"onnx"` (through `torch.export` and `torch.onnx`, opset 18) or `"pt2"` (`torch.export`).
        input_size: `(H, W)` of the input, fixed in the file (see `export_graph`).
        end_to_end: Detectors: the whole detector (default) or the network core.
        categories: Class names (without or with the background first), written into the metadata.
        metadata: More JSON-serialisable entries for the metadata (e.g. `{"model": "ssd300_vgg16"}`).

    Raises:
        ValueError: An unknown format, a bad input size or category list, or an R-FCN with
            `pool="ps_roi_align"` exported end to end.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    graph, size, outputs = export_graph(model, input_size, end_to_end=end_to_end)
    if format == "onnx":  # before any work: torch.onnx's exporter needs both
        require("onnxscript", "ONNX export")
        require("onnx", "ONNX export")
    extra = {**(metadata or {}), "categories": None if categories is None else list(categories)}
    meta = _metadata(model, size, outputs, end_to_end, extra)
    example = (torch.rand(2, 3, *size),)  # batch 2: a batch of 1 would be specialised
    batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        program = torch.export.export(graph, example, dynamic_shapes=({0: batch},))
    if format == "pt2":
        torch.export.save(program, path, extra_files={"paperzoo.json": json.dumps(meta)})
        return path
    onnx_program = torch.onnx.export(
        program,
        example,
        dynamo=True,
        opset_version=OPSET,
        input_names=["images"],
        output_names=list(outputs),
        custom_translation_table=onnx_translation_table(),
        verbose=False,
    )
    onnx_program.model.metadata_props.update(meta)
    onnx_program.save(path)
    return path
