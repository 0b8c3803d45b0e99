"""`paperzoo export`: write a model as an ONNX or `torch.export` (`.pt2`) file, with a dynamic batch."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "export"
HELP = "Export a model to ONNX (end to end for detectors) or torch.export .pt2, with a dynamic batch."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="NAME", help="registered model name (see `paperzoo list`)")
    parser.add_argument(
        "--checkpoint", type=Path, help="checkpoint.pt written by paperzoo train (default: random weights)"
    )
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
    from paperzoo.registry import create_model, get_model_info

    info = get_model_info(args.model)  # fails early on an unknown name
    categories = None
    if args.checkpoint is not None:
        from paperzoo.training import load_trained_model

        model, state = load_trained_model(args.checkpoint, args.model)
        categories = state.get("classes") or None
    else:
        model = create_model(args.model)
    input_size = args.input_size or (None if info.task == "detection" else info.input_size)
    if args.format == "onnx":
        try:
            import onnxscript  # noqa: F401
        except ImportError:
            raise CliError("ONNX export needs the deploy extra: pip install 'paperzoo[deploy]'") from None
    path = export(
        model,
        args.out,
        format=args.format,
        input_size=input_size,
        end_to_end=not args.core,
        categories=categories,
        metadata={"model": args.model, "weights": str(args.checkpoint) if args.checkpoint else "random"},
    )
    print(f"{args.model} -> {path} ({args.format}, {path.stat().st_size / 1e6:.1f} MB)")
    return 0
