"""`paperzoo eval`: VOC and COCO metrics of a trained checkpoint on a dataset."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from paperzoo.cli.options import add_data_argument, add_device_argument, resolve_device, shapes_options

NAME = "eval"
HELP = "Evaluate a trained checkpoint: VOC mAP@0.5 (area and 11-point) and COCO mAP/AP50/AP75."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="model the checkpoint must belong to (default: the one it records)")
    parser.add_argument(
        "--checkpoint", type=Path, required=True, help="checkpoint.pt written by paperzoo train"
    )
    add_data_argument(parser)
    parser.add_argument(
        "--split", choices=("val", "train"), default="val", help="split to evaluate (default: val)"
    )
    parser.add_argument("--batch-size", type=int, default=8, help="images per forward pass (default: 8)")
    add_device_argument(parser)
    parser.add_argument("--num-images", type=int, help="shapes: number of images (default: the recipe's)")
    parser.add_argument("--image-size", type=int, help="shapes: image side (default: the recipe's)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")


def run(args: argparse.Namespace) -> int:
    from paperzoo.data import dataset_from_spec
    from paperzoo.evaluation import evaluate_detector
    from paperzoo.training import load_trained_model

    device = resolve_device(args.device)
    model, state = load_trained_model(args.checkpoint, args.model, device)
    count = {"num_train" if args.split == "train" else "num_val": args.num_images}
    options = shapes_options(
        state["recipe"].get("shapes", {}), args.split, 0, image_size=args.image_size, **count
    )
    dataset = dataset_from_spec(args.data, args.split, **options)
    if dataset.num_classes != state["num_classes"]:
        raise ValueError(
            f"checkpoint {args.checkpoint} predicts {state['num_classes']} classes but {args.data} has "
            f"{dataset.num_classes} (both including the background)"
        )
    metrics = evaluate_detector(model, dataset, device, batch_size=args.batch_size, progress=not args.json)
    if args.json:
        print(json.dumps({"model": state["model_name"], "data": args.data, "split": args.split, **metrics}))
    else:
        print(f"{state['model_name']} on {args.data} ({args.split}, {len(dataset)} images):")
        for key, value in metrics.items():
            print(f"  {key:<10} {value:.4f}")
    return 0
