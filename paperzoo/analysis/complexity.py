"""Parameters and multiply-adds of any model, counted by PyTorch's own `torch.utils.flop_counter`.

**Convention.** MACs ("Mult-Adds" in the MobileNet papers) are the multiply-accumulates of convolutions
and fully connected layers: `FlopCounterMode` counts 2 FLOPs per multiply-accumulate, so MACs = FLOPs / 2.
Bias additions, batch norm, activations and pooling are not counted, as in the papers. The per-type
breakdown (MobileNetV1 Table 2) counts layer *weights*: kernel elements of conv and FC layers, without
biases and batch-norm parameters; [`count_params`][paperzoo.analysis.count_params] counts everything.

`inputs` says how to run the model: a shape (a zero tensor on the model's device is made; use a model
on the `meta` device to count without computing), a tensor or any other object passed as the single
argument (detectors take a list of images), or a callable that receives the model and runs it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = [
    "LAYER_KINDS",
    "ComplexityReport",
    "KindCost",
    "LayerCost",
    "complexity",
    "count_macs",
    "count_params",
    "layer_kind",
    "shape_preserving_layers_skipped",
]

# Layer kinds of MobileNetV1 Table 2, plus "other" for counted ops outside conv and linear layers.
LAYER_KINDS: dict[str, str] = {
    "conv1x1": "Conv 1×1",
    "depthwise": "Depthwise conv",
    "conv": "Full conv",
    "fc": "Fully connected",
    "other": "Other",
}

Inputs = torch.Size | Sequence[int] | torch.Tensor | Callable[[nn.Module], Any] | Any


@dataclass(frozen=True)
class LayerCost:
    """Cost of one leaf module.

    Attributes:
        name: Dotted module path, e.g. `"features.1.0.0"`.
        module: Class name, e.g. `"Conv2d"`.
        kind: A key of `LAYER_KINDS`.
        macs: Multiply-accumulates of all its calls.
        weights: Elements of its `weight` (0 for modules without one).
    """

    name: str
    module: str
    kind: str
    macs: int
    weights: int


@dataclass(frozen=True)
class KindCost:
    """Total cost of one layer kind and its shares, in percent (MobileNetV1 Table 2).

    Attributes:
        kind: A key of `LAYER_KINDS`.
        macs: Multiply-accumulates of all layers of this kind.
        weights: Weight elements of all layers of this kind.
        macs_percent: Share of the model's MACs.
        weights_percent: Share of the weights of all conv and FC layers.
    """

    kind: str
    macs: int
    weights: int
    macs_percent: float
    weights_percent: float


@dataclass(frozen=True)
class ComplexityReport:
    """Parameters, MACs, per-layer rows and the per-kind breakdown of one model run.

    Attributes:
        params: All parameters, batch norm included (see `count_params`).
        macs: Conv and FC multiply-accumulates of the run.
        layers: One row per conv or linear leaf module (and any other leaf that did multiply-accumulates), in
            `named_modules` order.
        breakdown: Cost per layer kind, keyed as `LAYER_KINDS`; kinds with no layers are omitted.
        output_shape: Shape of the output: a list of ints, or nested lists/dicts for structured outputs.
    """

    params: int
    macs: int
    layers: tuple[LayerCost, ...]
    breakdown: dict[str, KindCost]
    output_shape: Any

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-serialisable data."""
        return {
            "params": self.params,
            "macs": self.macs,
            "output_shape": self.output_shape,
            "breakdown": {kind: asdict(cost) for kind, cost in self.breakdown.items()},
            "layers": [asdict(layer) for layer in self.layers],
        }


def count_params(model: nn.Module, *, trainable_only: bool = False, include_bn: bool = True) -> int:
    """Number of parameter elements of `model`.

    Args:
        model: Any module.
        trainable_only: Count only parameters with `requires_grad`.
        include_bn: Count batch-norm scales and shifts (torchvision's convention, e.g. 3,504,872 for
            MobileNetV2); `False` gives the conv/FC weights-and-biases convention of the papers' code.

    Returns:
        The count.
    """
    excluded: set[int] = set()
    if not include_bn:
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                excluded.update(id(p) for p in module.parameters(recurse=False))
    return sum(
        p.numel()
        for p in model.parameters()
        if id(p) not in excluded and (p.requires_grad or not trainable_only)
    )


def layer_kind(module: nn.Module) -> str:
    """The Table 2 kind of a leaf module: `"conv1x1"`, `"depthwise"`, `"conv"`, `"fc"` or `"other"`.

    A conv whose groups equal its input channels (more than one) is depthwise; an ungrouped conv with a
    1×1 kernel is pointwise; every other conv (grouped ones included) counts as a full conv.
    """
    if isinstance(module, nn.Linear):
        return "fc"
    if isinstance(module, nn.modules.conv._ConvNd):
        if module.groups > 1 and module.groups == module.in_channels:
            return "depthwise"
        if module.groups == 1 and all(k == 1 for k in module.kernel_size):
            return "conv1x1"
        return "conv"
    return "other"


def count_macs(model: nn.Module, inputs: Inputs) -> int:
    """Conv and FC multiply-accumulates of one run of `model` on `inputs` (see the module docs)."""
    total, _, _ = _run_counted(model, inputs)
    return total


def complexity(model: nn.Module, inputs: Inputs) -> ComplexityReport:
    """Parameters, MACs, per-layer costs and the Table 2 breakdown of one run of `model`.

    Args:
        model: The model, in the mode (train/eval) you want counted.
        inputs: A shape, an input, or a callable that runs the model (see the module docs).

    Returns:
        The report.
    """
    total, leaf_macs, output = _run_counted(model, inputs)
    layers = []
    for name, module in model.named_modules():
        if next(module.children(), None) is not None:
            continue
        macs = leaf_macs.get(module, 0)
        weight = getattr(module, "weight", None)
        kind = layer_kind(module)
        if macs or kind != "other":
            weights = weight.numel() if isinstance(weight, torch.Tensor) else 0
            layers.append(LayerCost(name, type(module).__name__, kind, macs, weights))
    return ComplexityReport(
        params=count_params(model),
        macs=total,
        layers=tuple(layers),
        breakdown=_breakdown(layers, total),
        output_shape=_shapes(output),
    )


def _run_counted(model: nn.Module, inputs: Inputs) -> tuple[int, dict[nn.Module, int], Any]:
    """Total MACs, MACs per leaf module, and the output of one run.

    Each leaf's MACs are the growth of the counter's total during its calls, measured by hooks on the
    module itself: `FlopCounterMode`'s own per-module names come from the call path and break when a
    model calls a slice of an `nn.Sequential` (SSD's VGG does), which is a new, unnamed module.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(inputs, (torch.Size, Sequence)) and inputs and all(isinstance(d, int) for d in inputs):
        parameter = next(model.parameters(), None)
        device = parameter.device if parameter is not None else torch.device("cpu")
        inputs = torch.zeros(tuple(inputs), device=device)
    mode = FlopCounterMode(display=False)
    leaf_macs: dict[nn.Module, int] = {}
    started: dict[nn.Module, int] = {}

    def before(module: nn.Module, args: Any) -> None:
        started[module] = mode.get_total_flops()

    def after(module: nn.Module, args: Any, output: Any) -> None:
        leaf_macs[module] = leaf_macs.get(module, 0) + (mode.get_total_flops() - started.pop(module)) // 2

    leaves = [module for module in model.modules() if next(module.children(), None) is None]
    handles = [leaf.register_forward_pre_hook(before) for leaf in leaves]
    handles += [leaf.register_forward_hook(after) for leaf in leaves]
    # On `meta` only shapes flow, so the layers that neither count nor change shapes can be skipped;
    # a model with real weights runs whole (its output is returned with its values).
    on_meta = any(t.is_meta for t in (*model.parameters(), *model.buffers()))
    skipping = shape_preserving_layers_skipped(model) if on_meta else contextlib.nullcontext()
    try:
        with mode, torch.no_grad(), skipping:
            output = (
                inputs(model) if callable(inputs) and not isinstance(inputs, nn.Module) else model(inputs)
            )
    finally:
        for handle in handles:
            handle.remove()
    return mode.get_total_flops() // 2, leaf_macs, output


def _identity(tensor: torch.Tensor) -> torch.Tensor:
    return tensor


# Layers that do no multiply-accumulate and keep their input's shape: batch norm and elementwise activations.
_SHAPE_PRESERVING = (
    nn.modules.batchnorm._BatchNorm,
    nn.ReLU,
    nn.Hardtanh,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.SiLU,
    nn.Sigmoid,
)


@contextlib.contextmanager
def shape_preserving_layers_skipped(model: nn.Module) -> Iterator[None]:
    """Run the batch norms and elementwise activations of `model` as identities inside the block, and
    restore them after: for tracing shapes or counting MACs on the `meta` device.

    These layers do no multiply-accumulate and keep their input's shape, so neither the MACs nor the
    output shapes change; but PyTorch has no C++ `meta` kernel for them and runs Python decompositions
    instead (about 2 ms a call for `hardtanh_`, i.e. ReLU6, and for batch norm): without this, counting a
    MobileNetV2 on `meta` takes 5x as long (121 ms vs 23 ms here). Their outputs are wrong inside the
    block, so use it only where values do not matter.
    """
    skipped = [
        module
        for module in model.modules()
        if isinstance(module, _SHAPE_PRESERVING) and "forward" not in module.__dict__
    ]
    for module in skipped:
        module.forward = _identity
    try:
        yield
    finally:
        for module in skipped:
            del module.forward


def _breakdown(layers: list[LayerCost], total_macs: int) -> dict[str, KindCost]:
    macs = dict.fromkeys(LAYER_KINDS, 0)
    weights = dict.fromkeys(LAYER_KINDS, 0)
    for layer in layers:
        macs[layer.kind] += layer.macs
        weights[layer.kind] += layer.weights
    # Counted ops outside any conv or linear module (e.g. a functional matmul) are "other" MACs.
    macs["other"] += total_macs - sum(macs.values())
    weights["other"] = 0  # Table 2 shares are of conv and FC weights only
    total_weights = sum(weights.values())
    return {
        kind: KindCost(
            kind,
            macs[kind],
            weights[kind],
            100.0 * macs[kind] / total_macs if total_macs else 0.0,
            100.0 * weights[kind] / total_weights if total_weights else 0.0,
        )
        for kind in LAYER_KINDS
        if macs[kind] or weights[kind]
    }


def _shapes(output: Any) -> Any:
    if isinstance(output, torch.Tensor):
        return list(output.shape)
    if isinstance(output, dict):
        return {str(key): _shapes(value) for key, value in output.items()}
    if isinstance(output, (list, tuple)):
        return [_shapes(value) for value in output]
    return type(output).__name__
