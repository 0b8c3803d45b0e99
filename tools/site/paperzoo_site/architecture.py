"""Architecture tables measured from a model: one row per block, from one forward pass on zeros.

The rows are never typed in: shapes come from forward hooks, and MACs from the package's one counting
rule, [`paperzoo.analysis.complexity`][paperzoo.analysis.complexity] (`torch.utils.flop_counter`'s
convolution and linear multiply-accumulates, the MobileNet papers' "Mult-Adds"), summed over each
block's layers. Parameters come from the modules. So the table on a page is the model the package builds. The model is built on the
meta device (see `paperzoo_site.cards.evaluate`), so the pass computes shapes only.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from paperzoo.analysis import complexity
from paperzoo_site.cards import evaluate

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


def _main_path(module: Any) -> list[Any]:
    """Sub-modules in order, without residual shortcuts (torchvision names them `downsample`)."""
    skipped = [
        name for name, _ in module.named_modules() if name.split(".")[-1] in ("downsample", "shortcut")
    ]
    return [
        sub
        for name, sub in module.named_modules()
        if not any(name == s or name.startswith(s + ".") for s in skipped)
    ]


def _operator(sub: Any) -> str | None:
    from torch import nn

    if isinstance(sub, nn.Conv2d):
        kh, kw = sub.kernel_size
        kind = "dw" if sub.groups == sub.in_channels and sub.groups > 1 else "conv"
        dilation = f" d{sub.dilation[0]}" if sub.dilation[0] > 1 else ""
        return f"{kind} {kh}×{kw}{dilation}"
    if isinstance(sub, nn.Linear):
        return "FC"
    if isinstance(sub, nn.AdaptiveAvgPool2d | nn.AvgPool2d):
        return "avg pool"
    if isinstance(sub, nn.MaxPool2d):
        return "max pool"
    return None


def describe_operators(module: Any) -> str:
    """The block's convolutions, linear layers and pools in order, e.g. `dw 3×3 → conv 1×1`.

    A container of blocks with the same operators is summarised as `n × [...]`; residual shortcuts are
    left out.
    """
    children = list(module.children())
    if len(children) > 1 and all(next(c.children(), None) is not None for c in children):
        described = {describe_operators(child) for child in children}
        if len(described) == 1:
            return f"{len(children)} × [{described.pop()}]"
    names = [name for name in map(_operator, _main_path(module)) if name]
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


def _stride(module: Any) -> int:
    from torch import nn

    stride = 1
    for sub in _main_path(module):
        if isinstance(sub, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):
            step = sub.stride if isinstance(sub.stride, int) else sub.stride[0]
            stride *= step
    return stride


def _inside(layer: str, module: str) -> bool:
    return layer == module or layer.startswith(module + ".")


@functools.cache
def _rows(
    model_key: str, shape: tuple[int, ...], root: str | None, patterns: tuple[str, ...]
) -> tuple[ArchitectureRow, ...]:

    model = _get(evaluate(json.loads(model_key)), root)
    selected = _select_modules(model, patterns)
    shapes: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def record_shapes(name: str):
        def hook(module, inputs, output):
            shapes[name] = (tuple(inputs[0].shape), tuple(output.shape))

        return hook

    handles = [module.register_forward_hook(record_shapes(name)) for name, module in selected]
    was_training = model.training
    model.eval()
    try:
        layers = complexity(model, shape).layers
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    rows = []
    for name, module in selected:
        if name not in shapes:
            raise ValueError(f"{name!r} is not called by the model's forward pass")
        in_shape, out_shape = shapes[name]
        rows.append(
            ArchitectureRow(
                name=name,
                block=type(module).__name__,
                operators=describe_operators(module),
                stride=_stride(module) if len(out_shape) == 4 else None,
                in_channels=in_shape[1],
                out_channels=out_shape[1],
                output_size="×".join(str(s) for s in out_shape[2:]) if len(out_shape) == 4 else "—",
                params=sum(p.numel() for p in module.parameters()),
                macs=sum(layer.macs for layer in layers if _inside(layer.name, name)) // shape[0],
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
