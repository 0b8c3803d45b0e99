"""`paperzoo train`: train a detector with a recipe; single process or `torchrun` DDP."""

from __future__ import annotations

import argparse
from pathlib import Path

from paperzoo.cli.options import add_data_argument, add_device_argument, shapes_options

DEFAULT_MODEL = "ssdlite_mobilenet_v2"

NAME = "train"
HELP = "Train a detection model (default: on the generated shapes dataset, CPU-sized recipe)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", help=f"registered detection model (default: the recipe's, else {DEFAULT_MODEL})"
    )
    add_data_argument(parser)
    parser.add_argument("--recipe", help="training recipe (default: <model>_shapes or <model>_voc)")
    parser.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    parser.add_argument("--batch-size", type=int, help="override the recipe's global batch size")
    parser.add_argument("--lr", type=float, help="override the recipe's learning rate")
    parser.add_argument("--eval-every", type=int, help="evaluate every N epochs (default: the recipe's)")
    add_device_argument(parser, "training device")
    parser.add_argument("--out", type=Path, help="output folder for checkpoint.pt and metrics.jsonl "
                        "(default: runs/<model>)")  # fmt: skip
    parser.add_argument("--resume", nargs="?", const="", metavar="CHECKPOINT",
                        help="continue from OUT/checkpoint.pt, or from CHECKPOINT")  # fmt: skip
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes (default: 0)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of weights, data order and shapes (default: 0)"
    )
    parser.add_argument("--num-train", type=int, help="shapes: number of training images")
    parser.add_argument("--num-val", type=int, help="shapes: number of validation images")
    parser.add_argument("--image-size", type=int, help="shapes: image side in pixels")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def run(args: argparse.Namespace) -> int:
    import torch
    import torch.distributed as dist

    from paperzoo.data import dataset_from_spec
    from paperzoo.data.augment import build_augmentation
    from paperzoo.registry import get_model_info
    from paperzoo.training import Trainer, build_model, default_recipe, get_recipe, init_distributed

    recipe = (
        get_recipe(args.recipe) if args.recipe else default_recipe(args.model or DEFAULT_MODEL, args.data)
    )
    model_name = args.model or recipe.model
    recipe = recipe.replace(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, eval_every=args.eval_every
    )
    sizes = {"num_train": args.num_train, "num_val": args.num_val, "image_size": args.image_size}
    train_set = dataset_from_spec(
        args.data, "train", **shapes_options(recipe.shapes, "train", args.seed, **sizes)
    )
    val_set = dataset_from_spec(args.data, "val", **shapes_options(recipe.shapes, "val", args.seed, **sizes))
    if recipe.augment is not None:
        input_size = recipe.model_kwargs.get("size") or get_model_info(model_name).input_size
        train_set.transforms = build_augmentation(recipe.augment, input_size)
    context = init_distributed(args.device)
    try:
        torch.manual_seed(args.seed)
        model = build_model(model_name, train_set.num_classes, recipe.model_kwargs)
        out_dir = args.out or Path("runs") / model_name
        trainer = Trainer(
            model, train_set, val_set, recipe, out_dir=out_dir, context=context, seed=args.seed,
            num_workers=args.workers, progress=not args.no_progress, model_name=model_name,
            model_kwargs=recipe.model_kwargs,
        )  # fmt: skip
        if args.resume is not None:
            trainer.resume(args.resume or None)
        if context.is_main:
            print(f"training {model_name} with recipe {recipe.name} on {args.data}: {len(train_set)} images, "
                  f"{trainer.steps_per_epoch} steps/epoch x {recipe.epochs} epochs, {context.world_size} process(es)")  # fmt: skip
        history = trainer.fit()
        if context.is_main:
            last = history[-1] if history else {}
            metrics = ", ".join(f"{k}={last[k]:.4f}" for k in ("loss", "voc_map", "coco_map") if k in last)
            print(
                f"done: epoch {trainer.epoch}/{recipe.epochs} {metrics}; checkpoint {trainer.checkpoint_path}"
            )
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    return 0
