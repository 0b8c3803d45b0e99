"""`paperzoo eval`: VOC and COCO metrics of a trained checkpoint on a dataset."""

from __future__ import annotations

import argparse
import json

from paperzoo.cli.options import (
    add_batch_size_option,
    add_checkpoint_options,
    add_data_argument,
    add_device_argument,
    add_shapes_options,
    resolve_device,
    shapes_options,
)

NAME = "eval"
HELP = "Evaluate a trained checkpoint: VOC mAP@0.5 (area and 11-point) and COCO mAP/AP50/AP75."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_checkpoint_options(parser)
    add_data_argument(parser)
    parser.add_argument(
        "--split", choices=("val", "train"), default="val", help="split to evaluate (default: val)"
    )
    add_batch_size_option(parser, 8, "images per forward pass (default: 8)")
    add_device_argument(parser)
    add_shapes_options(parser, ("num_images",))
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")


def run(args: argparse.Namespace) -> int:
    from paperzoo.cli import CliError
    from paperzoo.data import dataset_from_spec
    from paperzoo.evaluation import evaluate_detector
    from paperzoo.training import load_trained_model

    device = resolve_device(args.device)
    model, state = load_trained_model(args.checkpoint, args.model, device)
    count = {"num_train" if args.split == "train" else "num_val": args.num_images}
    recipe_shapes = (state.get("recipe") or {}).get("shapes") or {}
    options = shapes_options(recipe_shapes, args.split, 0, image_size=args.image_size, **count)
    dataset = dataset_from_spec(args.data, args.split, **options)
    if len(dataset) == 0:
        raise CliError(f"the {args.split} split of {args.data} has no images")
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
