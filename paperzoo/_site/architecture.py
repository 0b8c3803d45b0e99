"""Architecture tables measured from a model: one row per block, from one forward pass on zeros.

The rows are never typed in: shapes come from forward hooks, MACs from `torch.utils.flop_counter`
(multiply-accumulates = FLOPs / 2, the convention of the MobileNet papers' "Mult-Adds"), parameters
from the modules. So the table on a page is the model the package builds. The model is built on the
meta device (see `paperzoo._site.cards.evaluate`), so the pass computes shapes only.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from paperzoo._site.cards import evaluate

__all__ = ["ArchitectureRow", "architecture_rows", "describe_operators"]


@dataclass(frozen=True)
class ArchitectureRow:
    """One block of a model as run on the table's input."""

    name: str
    block: str
    operators: str
    stride: int | None
    in_channels: int
    out_channels: int
    output_size: str
    params: int
    macs: int


def describe_operators(module: Any) -> str:
    """The block's convolutions and linear layers in order, e.g. `dw 3×3 → conv 1×1`."""
    from torch import nn

    names = []
    for sub in module.modules():
        if isinstance(sub, nn.Conv2d):
            kh, kw = sub.kernel_size
            kind = "dw" if sub.groups == sub.in_channels and sub.groups > 1 else "conv"
            dilation = f" d{sub.dilation[0]}" if sub.dilation[0] > 1 else ""
            names.append(f"{kind} {kh}×{kw}{dilation}")
        elif isinstance(sub, nn.Linear):
            names.append("FC")
        elif isinstance(sub, nn.AdaptiveAvgPool2d | nn.AvgPool2d):
            names.append("avg pool")
        elif isinstance(sub, nn.MaxPool2d):
            names.append("max pool")
    return " → ".join(names) or "—"


def _get(module: Any, path: str | None) -> Any:
    for attr in (path or "").split("."):
        if attr:
            module = getattr(module, attr)
    return module


def _select_modules(model: Any, patterns: Sequence[str]) -> list[tuple[str, Any]]:
    """`"features.*"` selects the children of `features`; `"classifier"` selects that module itself."""
    selected = []
    for pattern in patterns:
        if pattern.endswith(".*") or pattern == "*":
            parent = pattern.removesuffix("*").removesuffix(".")
            children = list(_get(model, parent).named_children())
            if not children:
                raise ValueError(f"{pattern!r}: {parent or 'the model'} has no child modules")
            selected += [(f"{parent}.{name}" if parent else name, child) for name, child in children]
        else:
            selected.append((pattern, _get(model, pattern)))
    return selected


@functools.cache
def _rows(
    model_key: str, shape: tuple[int, ...], root: str | None, patterns: tuple[str, ...]
) -> tuple[ArchitectureRow, ...]:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model = _get(evaluate(json.loads(model_key)), root)
    selected = _select_modules(model, patterns)
    shapes: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def hook(name: str):
        def record(module, inputs, output):
            shapes[name] = (tuple(inputs[0].shape), tuple(output.shape))

        return record

    handles = [module.register_forward_hook(hook(name)) for name, module in selected]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            parameter = next(model.parameters(), None)
            model(torch.zeros(shape, device=parameter.device if parameter is not None else "cpu"))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    flops = counter.get_flop_counts()
    rows = []
    for name, module in selected:
        if name not in shapes:
            raise ValueError(f"{name!r} is not called by the model's forward pass")
        in_shape, out_shape = shapes[name]
        spatial = len(in_shape) == 4 and len(out_shape) == 4
        rows.append(
            ArchitectureRow(
                name=name,
                block=type(module).__name__,
                operators=describe_operators(module),
                stride=in_shape[-1] // out_shape[-1] if spatial else None,
                in_channels=in_shape[1],
                out_channels=out_shape[1],
                output_size="×".join(str(s) for s in out_shape[2:]) if len(out_shape) == 4 else "—",
                params=sum(p.numel() for p in module.parameters()),
                macs=int(sum(flops.get(f"{type(model).__name__}.{name}", {}).values()) // 2),
            )
        )
    return tuple(rows)


def architecture_rows(
    model: Mapping[str, Any],
    input_shape: Sequence[int],
    root: str | None = None,
    modules: Sequence[str] = ("*",),
) -> tuple[ArchitectureRow, ...]:
    """Rows of the selected modules of `model.root` for an input of `input_shape` (cached per process).

    Args:
        model: A compute spec that builds the model, e.g.
            `{"call": "paperzoo.models.mobilenet_v1:mobilenet_v1", "kwargs": {"width_mult": 0.5}}`.
        input_shape: The shape of the zero tensor fed to `root`, e.g. `[1, 3, 224, 224]`.
        root: Dotted attribute of the submodule to run (default: the model itself).
        modules: Module paths relative to `root`, one row each; `"features.*"` gives a row per child of
            `features`.
    """
    if not isinstance(model, Mapping) or "call" not in model:
        raise ValueError(f"model must be a compute spec with 'call', got {model!r}")
    if not input_shape or not all(isinstance(s, int) and s > 0 for s in input_shape):
        raise ValueError(f"input must be a list of positive ints, got {input_shape!r}")
    if isinstance(modules, str) or not all(isinstance(m, str) for m in modules):
        raise ValueError(f"modules must be a list of module paths, got {modules!r}")
    return _rows(json.dumps(dict(model), sort_keys=True), tuple(input_shape), root, tuple(modules))
