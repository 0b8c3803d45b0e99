"""`paperzoo export`: write a model as an ONNX or `torch.export` (`.pt2`) file, with a dynamic batch."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "export"
HELP = "Export a model to ONNX (end to end for detectors) or torch.export .pt2, with a dynamic batch."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="NAME", help="registered model name (see `paperzoo list`)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--weights", metavar="TAG",
                        help="published weights, e.g. DEFAULT or COCO_V1 (`paperzoo weights`; default: random weights)")  # fmt: skip
    source.add_argument("--checkpoint", type=Path, help="checkpoint.pt written by paperzoo train")
    parser.add_argument("--weights-file", type=Path, metavar="PATH",
                        help="a local copy of the published --weights file (same hash check; no download)")  # fmt: skip
    parser.add_argument(
        "--format", choices=("onnx", "pt2"), default="onnx", help="file format (default: onnx)"
    )
    parser.add_argument("--out", type=Path, required=True, help="output file")
    parser.add_argument(
        "--input-size", type=int, nargs=2, metavar=("H", "W"), help="fixed input size (default: the model's)"
    )
    parser.add_argument(
        "--core", action="store_true", help="detectors: only the network (normalised images -> head outputs)"
    )


def run(args: argparse.Namespace) -> int:
    from paperzoo.cli import CliError
    from paperzoo.deploy import export
    from paperzoo.extras import require
    from paperzoo.registry import create_model, get_model_info

    info = get_model_info(args.model)  # fails early on an unknown name
    if args.format == "onnx":  # before building the model
        require("onnxscript", "ONNX export")
        require("onnx", "ONNX export")
    if args.weights_file is not None and args.weights is None:
        raise CliError("--weights-file goes with --weights (the tag of the file's weights)")
    categories, source = None, "random"
    if args.checkpoint is not None:
        from paperzoo.training import load_trained_model

        model, state = load_trained_model(args.checkpoint, args.model)
        categories, source = state.get("classes") or None, str(args.checkpoint)
    elif args.weights is not None:
        from paperzoo.weights import get_weights

        weights = get_weights(args.model, args.weights)
        model = create_model(args.model, weights=weights, weights_file=args.weights_file)
        categories, source = weights.categories, weights.name
    else:
        model = create_model(args.model)
    input_size = args.input_size or (None if info.task == "detection" else info.input_size)
    path = export(
        model,
        args.out,
        format=args.format,
        input_size=input_size,
        end_to_end=not args.core,
        categories=categories,
        metadata={"model": args.model, "weights": source},
    )
    print(f"{args.model} -> {path} ({args.format}, {path.stat().st_size / 1e6:.1f} MB)")
    return 0
