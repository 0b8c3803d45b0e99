"""`paperzoo train`: train a detector with a recipe; single process or `torchrun` DDP."""

from __future__ import annotations

import argparse
from pathlib import Path

from paperzoo.cli.options import (
    add_batch_size_option,
    add_data_argument,
    add_device_argument,
    add_shapes_options,
    bounded,
    limits_help,
    shapes_options,
)

DEFAULT_MODEL = "ssdlite_mobilenet_v2"

NAME = "train"
HELP = "Train a detection model (default: on the generated shapes dataset, CPU-sized recipe)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", help=f"registered detection model (default: the recipe's, else {DEFAULT_MODEL})"
    )
    add_data_argument(parser)
    parser.add_argument(
        "--backbone-weights",
        metavar="TAG",
        help="ImageNet weights the backbone starts from, e.g. DEFAULT or IMAGENET1K_V1 (`paperzoo weights`), "
        "or none (from scratch); default: the recipe's (VOC/COCO recipes: DEFAULT, as the papers; shapes: none)",
    )
    parser.add_argument(
        "--backbone-weights-file", type=Path, metavar="PATH",
        help="a local copy of the published backbone weights file (same hash check; no download)",
    )  # fmt: skip
    parser.add_argument("--recipe", help="training recipe (default: <model>_shapes or <model>_voc)")
    parser.add_argument(
        "--epochs",
        type=bounded("epochs"),
        help=f"override the recipe's number of epochs {limits_help('epochs')}",
    )
    add_batch_size_option(parser, None, "override the recipe's global batch size")
    parser.add_argument("--lr", type=float, help="override the recipe's learning rate (> 0)")
    parser.add_argument(
        "--eval-every",
        type=bounded("eval_every"),
        help=f"evaluate every N epochs (default: the recipe's) {limits_help('eval_every')}",
    )
    add_device_argument(parser, "training device")
    parser.add_argument(
        "--out",
        type=Path,
        help="output folder for checkpoint.pt and metrics.jsonl "
        "(default: runs/<model>); a folder that holds a run needs --resume or --overwrite",
    )
    run_mode = parser.add_mutually_exclusive_group()
    run_mode.add_argument(
        "--resume",
        nargs="?",
        const="",
        metavar="CHECKPOINT",
        help="continue from OUT/checkpoint.pt, or from CHECKPOINT",
    )
    run_mode.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run in OUT (its checkpoint.pt and metrics.jsonl)",
    )
    parser.add_argument(
        "--force-resume",
        action="store_true",
        help="resume even if the seed, data or image size differ from the checkpoint's",
    )
    parser.add_argument(
        "--workers",
        type=bounded("workers"),
        default=0,
        help=f"DataLoader worker processes (default: 0) {limits_help('workers')}",
    )
    parser.add_argument(
        "--seed",
        type=bounded("seed"),
        default=0,
        help=f"seed of weights, data order and shapes (default: 0) {limits_help('seed')}",
    )
    add_shapes_options(parser, ("num_train", "num_val"))
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")  # fmt: skip


def check_run_folder(out_dir: Path, resume: str | None, overwrite: bool) -> None:
    """Refuse to start a new run in a folder that holds one, unless resuming it or told to overwrite.

    Raises:
        CliError: If `out_dir` holds `checkpoint.pt` or `metrics.jsonl` and neither `--resume` (from
            that folder's checkpoint) nor `--overwrite` was given, or is a file.
    """
    from paperzoo.cli import CliError
    from paperzoo.training.engine import CHECKPOINT_NAME, RUN_FILES

    if out_dir.exists() and not out_dir.is_dir():
        raise CliError(f"--out {out_dir} is a file, not a folder")
    found = [name for name in RUN_FILES if (out_dir / name).exists()]
    resuming_here = resume is not None and (resume == "" or Path(resume) == out_dir / CHECKPOINT_NAME)
    if found and not (overwrite or resuming_here):
        raise CliError(
            f"{out_dir} already holds a run ({', '.join(found)}); continue it with --resume, choose "
            "another --out, or replace it with --overwrite"
        )


def run(args: argparse.Namespace) -> int:
    import torch
    import torch.distributed as dist

    from paperzoo.cli import CliError
    from paperzoo.data import dataset_from_spec
    from paperzoo.data.augment import build_augmentation
    from paperzoo.registry import get_model_info
    from paperzoo.training import Trainer, build_model, default_recipe, get_recipe, init_distributed
    from paperzoo.training.engine import RUN_FILES

    if args.force_resume and args.resume is None:
        raise CliError("--force-resume only applies with --resume")
    recipe = (
        get_recipe(args.recipe) if args.recipe else default_recipe(args.model or DEFAULT_MODEL, args.data)
    )
    model_name = args.model or recipe.model
    recipe = recipe.replace(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, eval_every=args.eval_every
    )
    backbone_weights = recipe.backbone_weights if args.backbone_weights is None else args.backbone_weights
    if backbone_weights is not None and backbone_weights.lower() == "none":
        backbone_weights = None
    out_dir = args.out or Path("runs") / model_name
    check_run_folder(out_dir, args.resume, args.overwrite)
    sizes = {"num_train": args.num_train, "num_val": args.num_val, "image_size": args.image_size}
    train_options = shapes_options(recipe.shapes, "train", args.seed, **sizes)
    train_set = dataset_from_spec(args.data, "train", **train_options)
    val_set = dataset_from_spec(args.data, "val", **shapes_options(recipe.shapes, "val", args.seed, **sizes))
    if recipe.augment is not None:
        input_size = recipe.model_kwargs.get("size") or get_model_info(model_name).input_size
        train_set.transforms = build_augmentation(recipe.augment, input_size)
    context = init_distributed(args.device)
    try:
        torch.manual_seed(args.seed)
        model = build_model(
            model_name, train_set.num_classes, recipe.model_kwargs,
            backbone_weights=backbone_weights, weights_file=args.backbone_weights_file,
        )  # fmt: skip
        settings = {"data": args.data, **({"shapes": train_options} if args.data == "shapes" else {})}
        trainer = Trainer(
            model, train_set, val_set, recipe, out_dir=out_dir, context=context, seed=args.seed,
            num_workers=args.workers, progress=not args.no_progress, model_name=model_name,
            model_kwargs=recipe.model_kwargs, settings=settings,
        )  # fmt: skip
        if args.resume is not None:
            trainer.resume(args.resume or None, force=args.force_resume)
        trainer.check()
        if args.overwrite and context.is_main:
            for name in RUN_FILES:
                (out_dir / name).unlink(missing_ok=True)
        if context.is_main:
            start = f"backbone {backbone_weights}" if backbone_weights else "from scratch"
            print(f"training {model_name} ({start}) with recipe {recipe.name} on {args.data}: {len(train_set)} images, "
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
