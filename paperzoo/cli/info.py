"""`paperzoo info MODEL`: parameters, multiply-adds, the per-layer-kind breakdown and the output shape.

Classification models are counted on the `meta` device (no memory, no arithmetic); detectors run in
eval mode on one random image, since their post-processing needs real values.
"""

from __future__ import annotations

import argparse
import inspect
import json
from typing import TYPE_CHECKING, Any

from paperzoo.cli import CliError
from paperzoo.cli.options import bounded, limits_help

if TYPE_CHECKING:  # torch is imported only when the command runs, so `paperzoo --help` stays fast
    from paperzoo.analysis import ComplexityReport
    from paperzoo.registry import ModelInfo

NAME = "info"
HELP = "Show parameters, multiply-adds (MACs), their breakdown by layer kind, and the output shape."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="a registered model name (see `paperzoo list`)")
    parser.add_argument(
        "--width-mult",
        type=bounded("width_mult", float),
        help=f"width multiplier alpha, for models that have one {limits_help('width_mult')}",
    )
    parser.add_argument(
        "--resolution",
        type=bounded("resolution"),
        help=f"square input size (default: the model's own) {limits_help('resolution')}",
    )
    parser.add_argument("--num-classes", type=bounded("num_classes"),
                        help=f"number of classes {limits_help('num_classes')}")  # fmt: skip
    parser.add_argument("--layers", action="store_true", help="also list every conv and FC layer")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON (layers included)")


def run(args: argparse.Namespace) -> int:
    from paperzoo.analysis import count_params
    from paperzoo.registry import get_model_info

    info = get_model_info(args.model)
    kwargs = _builder_kwargs(info, width_mult=args.width_mult, num_classes=args.num_classes)
    height, width = (args.resolution, args.resolution) if args.resolution else info.input_size
    report, model = _measure(info, kwargs, height, width)
    result: dict[str, Any] = {
        "model": info.name,
        "task": info.task,
        "paper": info.paper.title,
        "arxiv": info.paper.arxiv,
        "input_shape": [1, 3, height, width],
        "params": report.params,
        "params_without_bn": count_params(model, include_bn=False),
        **report.to_dict(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(_format_text(result, report, layers=args.layers))
    return 0


def _builder_kwargs(info: ModelInfo, **options: Any) -> dict[str, Any]:
    accepted = inspect.signature(info.builder).parameters
    kwargs = {}
    for key, value in options.items():
        if value is None:
            continue
        if key not in accepted:
            raise CliError(f"model {info.name!r} has no option --{key.replace('_', '-')}")
        kwargs[key] = value
    return kwargs


def _measure(
    info: ModelInfo, kwargs: dict[str, Any], height: int, width: int
) -> tuple[ComplexityReport, Any]:
    import torch

    from paperzoo.analysis import complexity

    if info.task == "classification":
        with torch.device("meta"):
            model = info.builder(**kwargs).eval()
        return complexity(model, (1, 3, height, width)), model
    model = info.builder(**kwargs).eval()
    image = torch.rand(3, height, width, generator=torch.Generator().manual_seed(0))
    return complexity(model, lambda detector: detector([image])), model


def _format_text(result: dict[str, Any], report: ComplexityReport, *, layers: bool) -> str:
    from paperzoo.analysis import LAYER_KINDS

    lines = [
        f"{result['model']}  ({result['paper']}, arXiv:{result['arxiv']})",
        f"input     {'x'.join(map(str, result['input_shape']))}",
        f"output    {result['output_shape']}",
        f"params    {report.params:,} ({report.params / 1e6:.2f}M; "
        f"{result['params_without_bn']:,} without batch norm)",
        f"MACs      {report.macs:,} ({report.macs / 1e6:.2f}M; conv and FC multiply-accumulates)",
        "",
        f"{'layer kind':<16} {'MACs':>15} {'%':>7} {'weights':>12} {'%':>7}",
    ]
    for kind, cost in report.breakdown.items():
        lines.append(
            f"{LAYER_KINDS[kind]:<16} {cost.macs:>15,} {cost.macs_percent:>7.2f} "
            f"{cost.weights:>12,} {cost.weights_percent:>7.2f}"
        )
    if layers:
        lines += ["", f"{'layer':<28} {'kind':<16} {'MACs':>15} {'weights':>12}"]
        lines += [
            f"{row.name:<28} {LAYER_KINDS[row.kind]:<16} {row.macs:>15,} {row.weights:>12,}"
            for row in report.layers
        ]
    return "\n".join(lines)
