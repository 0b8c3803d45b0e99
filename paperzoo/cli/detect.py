"""`paperzoo detect`: run a detector with published weights or a trained checkpoint on image files.

For each image it writes `OUT/<stem>.png` (the image with labelled boxes) and `OUT/<stem>.json` (the
detections in the COCO results format, `bbox` as `[x, y, width, height]` in pixels, with the category
names), then `OUT/detections.json`, the index of all images. Images are read one batch at a time, so
memory does not grow with their number.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperzoo.cli.options import (
    add_batch_size_option,
    add_device_argument,
    bounded,
    limits_help,
    resolve_device,
)

if TYPE_CHECKING:
    import torch

NAME = "detect"
HELP = (
    "Detect objects in images with published weights or a trained checkpoint; write annotated PNGs and JSON."
)
REPORT_NAME = "detections.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="image files")
    parser.add_argument("--model", help="detection model (required with --weights; with --checkpoint, "
                        "the model it must belong to)")  # fmt: skip
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--weights", metavar="TAG",
                        help="published weights of --model, e.g. COCO_V1 or DEFAULT (`paperzoo weights`)")  # fmt: skip
    source.add_argument("--checkpoint", type=Path, help="checkpoint.pt written by paperzoo train")
    parser.add_argument("--weights-file", type=Path, metavar="PATH",
                        help="a local copy of the published --weights file (same hash check; no download)")  # fmt: skip
    parser.add_argument("-o", "--out", type=Path, default=Path("detections"),
                        help="output folder (default: detections); inputs in it are never replaced")  # fmt: skip
    parser.add_argument("--score-threshold", "--score-thresh", dest="score_thresh",
                        type=bounded("score_thresh", float), default=0.5,
                        help=f"keep detections scoring at least this (default: 0.5) {limits_help('score_thresh')}")  # fmt: skip
    add_batch_size_option(parser, 8, "images per forward pass (default: 8)")
    add_device_argument(parser)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def output_stems(images: Sequence[Path], out: Path) -> list[Path]:
    """`OUT/<stem>` for each image (its `.png` and `.json` outputs), `OUT/<stem>-2`, ... where an output
    would replace an input or an earlier output (two inputs with the same stem, or `OUT` being the
    inputs' folder)."""
    taken = {os.path.realpath(path) for path in images} | {os.path.realpath(out / REPORT_NAME)}
    stems = []
    for image in images:
        candidate, number = out / image.stem, 2
        while (outputs := {os.path.realpath(f"{candidate}{suffix}") for suffix in (".png", ".json")}) & taken:
            candidate, number = out / f"{image.stem}-{number}", number + 1
        taken |= outputs
        stems.append(candidate)
    return stems


def load_detector(args: argparse.Namespace, device: torch.device) -> tuple[torch.nn.Module, list[str]]:
    """The model in eval mode and its class names by label (index 0: the background)."""
    from paperzoo.cli import CliError

    if args.checkpoint is not None:
        if args.weights_file is not None:
            raise CliError("--weights-file goes with --weights, not with --checkpoint")
        from paperzoo.training import load_trained_model

        model, state = load_trained_model(args.checkpoint, args.model, device)
        return model, ["__background__", *(state.get("classes") or [])]
    import paperzoo
    from paperzoo.registry import get_model_info
    from paperzoo.weights import get_weights

    if args.model is None:
        raise CliError("--weights needs --model, e.g. --model ssd300_vgg16 --weights COCO_V1")
    if get_model_info(args.model).task != "detection":
        raise CliError(f"{args.model} is a classification model; detect needs a detection model")
    weights = get_weights(args.model, args.weights)
    model = paperzoo.create_model(args.model, weights=weights, weights_file=args.weights_file)
    return model.to(device).eval(), list(weights.categories or [])


def coco_results(image_id: int, output: dict[str, Any], names: Sequence[str]) -> list[dict[str, Any]]:
    """Detections of one image in the COCO results format, with each category's name."""
    boxes = output["boxes"].clone()
    boxes[:, 2:] -= boxes[:, :2]  # (x1, y1, x2, y2) -> (x, y, w, h)
    return [
        {"image_id": image_id, "category_id": label, "category_name": names[label] if label < len(names) else str(label),
         "bbox": [round(v, 2) for v in box], "score": round(score, 5)}
        for box, score, label in zip(boxes.tolist(), output["scores"].tolist(), output["labels"].tolist(), strict=True)
    ]  # fmt: skip


def run(args: argparse.Namespace) -> int:
    import torch
    from PIL import Image
    from torchvision.utils import draw_bounding_boxes
    from tqdm.auto import tqdm

    from paperzoo.atomic_files import write_atomically, write_bytes_atomically
    from paperzoo.cli import CliError
    from paperzoo.data.files import read_image

    if args.out.exists() and not args.out.is_dir():
        raise CliError(f"--out {args.out} is a file, not a folder")
    missing = next((path for path in args.images if not path.is_file()), None)
    if missing is not None:  # before loading the model
        raise FileNotFoundError(f"image file {missing} does not exist")
    device = resolve_device(args.device)
    model, names = load_detector(args, device)
    stems = output_stems(args.images, args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    index, total = [], 0
    with tqdm(
        total=len(args.images), unit="image", desc="detect", disable=args.no_progress or len(args.images) == 1
    ) as bar:
        for start in range(0, len(args.images), args.batch_size):
            paths = args.images[start : start + args.batch_size]
            batch = [read_image(path) for path in paths]
            with torch.inference_mode():
                outputs = model([image.to(device) for image in batch])
            for offset, (path, image, output) in enumerate(zip(paths, batch, outputs, strict=True)):
                image_id, stem = start + offset, stems[start + offset]
                output = {
                    key: value[output["scores"] >= args.score_thresh].cpu() for key, value in output.items()
                }
                results = coco_results(image_id, output, names)
                captions = [f"{r['category_name']} {r['score']:.2f}" for r in results]
                drawn = draw_bounding_boxes((image * 255).to(torch.uint8), output["boxes"], captions, width=2)
                annotated = Image.fromarray(drawn.permute(1, 2, 0).numpy())  # (3, H, W) -> (H, W, 3)
                write_atomically(
                    Path(f"{stem}.png"), lambda file, picture=annotated: picture.save(file, format="PNG")
                )
                write_bytes_atomically(Path(f"{stem}.json"), json.dumps(results, indent=1).encode())
                index.append({"image_id": image_id, "image": str(path), "height": image.shape[1],
                              "width": image.shape[2], "annotated": f"{stem}.png", "results": f"{stem}.json",
                              "detections": len(results)})  # fmt: skip
                total += len(results)
            bar.update(len(paths))
    categories = [{"id": label, "name": name} for label, name in enumerate(names) if label > 0]
    report = {"images": index, "categories": categories, "score_threshold": args.score_thresh}
    write_bytes_atomically(args.out / REPORT_NAME, json.dumps(report, indent=2).encode())
    print(
        f"{total} detections in {len(index)} images -> {args.out}/ (annotated PNGs, COCO-format JSON, {REPORT_NAME})"
    )
    return 0
