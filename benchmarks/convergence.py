"""Convergence on `shapes`: train detectors from scratch on the CPU and record mAP against training time.

Targets (issue 6), on 2 CPU cores with the models' `*_shapes` recipes:

- `ssdlite_mobilenet_v2` (width 0.5, the 128 x 128 images upsampled to a 256 x 256 input, SSDLite
  boxes): VOC mAP@0.5 >= 0.90 within 10 minutes;
- `rfcn_resnet18` (128 x 128 input): >= 0.80 within 20 minutes;
- `ssd300_vgg16` (300 x 300 input): trains without NaN and its mAP improves.

The time is training time only (evaluation on the val split is excluded). Each run first times a few
steps to size the schedule so that the recipe's learning-rate decay falls inside the budget (or takes
`--epochs`), then trains epochs of `--epoch-images` new images each, evaluating after each, until the budget
is spent or the schedule ends. VOC
mAP@0.5 is the area under the interpolated precision-recall curve (VOC2010+ rule).

    python benchmarks/convergence.py                      # full budgets (10 / 20 / 10 min)
    python benchmarks/convergence.py --budget-scale 0.05  # a smoke run of the script

Stores the runs in `benchmarks/results/convergence.json` (curves, machine, settings; runs of other models
already there are kept, earlier runs of the same models replaced) and prints the curves.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import torch
from torch.utils.data import Subset

from paperzoo.data import ShapesDataset, collate_detection
from paperzoo.training import Trainer, build_model, default_recipe

# model -> (budget in seconds, target VOC mAP@0.5 or None for "improves without NaN")
TARGETS: dict[str, tuple[float, float | None]] = {
    "ssdlite_mobilenet_v2": (600.0, 0.90),
    "rfcn_resnet18": (1200.0, 0.80),
    "ssd300_vgg16": (600.0, None),
}


def seconds_per_step(model_name: str, recipe, train_set, steps: int = 3) -> float:
    """Median time of a few training steps of a throwaway copy of the model."""
    torch.manual_seed(0)
    trainer = Trainer(build_model(model_name, train_set.num_classes, recipe.model_kwargs), train_set, None,
                      recipe, progress=False)  # fmt: skip
    images, targets = collate_detection([train_set[i] for i in range(recipe.batch_size)])
    times = []
    for _ in range(steps + 1):  # the first step warms up allocators and kernels
        started = time.perf_counter()
        trainer.train_step(images, targets)
        times.append(time.perf_counter() - started)
    return sorted(times[1:])[len(times[1:]) // 2]


def run_model(model_name: str, budget_s: float, target: float | None, args: argparse.Namespace) -> dict:
    recipe = default_recipe(model_name, "shapes")
    size, objects = recipe.shapes["image_size"], recipe.shapes["max_objects"]
    step_s = seconds_per_step(model_name, recipe, ShapesDataset("train", 64, size, max_objects=objects))
    total_steps = max(1, int(budget_s / step_s))
    epoch_images = min(args.epoch_images, total_steps * recipe.batch_size)
    epochs = max(1, math.ceil(total_steps * recipe.batch_size / epoch_images))
    if args.epochs is not None:  # a measurement on a busy machine can mis-size the schedule
        epoch_images, epochs = args.epoch_images, args.epochs
    recipe = recipe.replace(epochs=epochs, eval_every=1)
    # Every epoch draws new images (shapes is unlimited), so a long run does not overfit a few hundred.
    images = ShapesDataset("train", epochs * epoch_images, size, seed=args.seed, max_objects=objects)
    train_set = Subset(images, range(epoch_images))
    val_set = ShapesDataset("val", args.val_images, size, seed=args.seed, max_objects=objects)
    torch.manual_seed(args.seed)
    model = build_model(model_name, images.num_classes, recipe.model_kwargs)
    trainer = Trainer(model, train_set, val_set, recipe, seed=args.seed, progress=args.progress)
    print(f"\n{model_name}: {step_s:.2f} s/step measured -> {epochs} epochs x {epoch_images} images "
          f"(batch {recipe.batch_size}), budget {budget_s:.0f} s")  # fmt: skip
    curve = [{"train_time_s": 0.0, **_metrics(trainer.evaluate())}]
    print(f"  {'time s':>8} {'epoch':>5} {'loss':>8} {'VOC mAP':>8} {'VOC07':>7} {'COCO mAP':>8}")
    _print_point(curve[0])
    nan = False
    while trainer.epoch < recipe.epochs and trainer.train_time_s < budget_s:
        first = trainer.epoch * epoch_images
        trainer.train_set = Subset(images, range(first, first + epoch_images))
        try:
            record = trainer.train_epoch()
        except FloatingPointError as exc:
            print(f"  stopped: {exc}")
            nan = True
            break
        point = {"train_time_s": record["train_time_s"], "epoch": record["epoch"], "loss": record["loss"],
                 **_metrics(trainer.evaluate())}  # fmt: skip
        curve.append(point)
        _print_point(point)
    best = max(p["voc_map"] for p in curve)
    reached = [p["train_time_s"] for p in curve if target is not None and p["voc_map"] >= target]
    return {
        "model": model_name, "recipe": recipe.name, "model_kwargs": {k: list(v) if isinstance(v, tuple) else v
                                                                    for k, v in recipe.model_kwargs.items()},
        "image_size": size, "batch_size": recipe.batch_size, "optimizer": recipe.optimizer, "lr": recipe.lr,
        "seconds_per_step": step_s, "budget_s": budget_s, "target_voc_map": target, "nan": nan,
        "best_voc_map": best, "final_voc_map": curve[-1]["voc_map"],
        "time_to_target_s": reached[0] if reached else None,
        "passed": (not nan and curve[-1]["voc_map"] > curve[0]["voc_map"]) if target is None else bool(reached),
        "curve": curve,
    }  # fmt: skip


def _metrics(metrics: dict) -> dict:
    return {key: metrics[key] for key in ("voc_map", "voc07_map", "coco_map")}


def _print_point(point: dict) -> None:
    loss = f"{point['loss']:8.3f}" if "loss" in point else f"{'-':>8}"
    print(f"  {point['train_time_s']:8.0f} {point.get('epoch', 0):5d} {loss} {point['voc_map']:8.3f} "
          f"{point['voc07_map']:7.3f} {point['coco_map']:8.3f}", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument(
        "--budget-scale", type=float, default=1.0, help="multiply every time budget (smoke: 0.05)"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: 2 cores)")
    parser.add_argument(
        "--epoch-images", type=int, default=400, help="images per epoch (evaluation interval)"
    )
    parser.add_argument("--val-images", type=int, default=100, help="val-split images evaluated")
    parser.add_argument(
        "--epochs", type=int, help="fix the number of epochs instead of sizing it from a timing"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--progress", action="store_true", help="show tqdm bars")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "convergence.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = []
    for name in args.models:
        budget, target = TARGETS[name]
        results.append(run_model(name, budget * args.budget_scale, target, args))
    print("\nsummary:")
    for r in results:
        goal = (
            f"target {r['target_voc_map']}" if r["target_voc_map"] is not None else "target: improves, no NaN"
        )
        print(f"  {r['model']:<22} best VOC mAP {r['best_voc_map']:.3f} in {r['budget_s']:.0f} s ({goal}): "
              f"{'PASS' if r['passed'] else 'not reached'}")  # fmt: skip
    machine = {"cpu_count": os.cpu_count(), "threads": args.threads, "platform": platform.platform(),
               "torch": torch.__version__, "load_average_at_end": os.getloadavg()}  # fmt: skip
    note = " ".join(sys.argv[1:])
    write_runs(
        args.out,
        [{**r, "machine": machine, "budget_scale": args.budget_scale, "note": note} for r in results],
    )
    print(f"wrote {args.out}")


def write_runs(path: Path, runs: list[dict]) -> None:
    """Store `runs` in the results file, replacing earlier runs of the same models and keeping the others."""
    document = {"caveat": "", "command": "python benchmarks/convergence.py [--models MODEL ...]", "runs": []}
    if path.exists():
        document.update(json.loads(path.read_text()))
    models = {run["model"] for run in runs}
    document["runs"] = [run for run in document.get("runs", []) if run["model"] not in models] + runs
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
