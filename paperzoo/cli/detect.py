"""`paperzoo detect`: run a trained checkpoint on image files; write annotated images and JSON."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path

from paperzoo.cli.options import (
    add_batch_size_option,
    add_checkpoint_options,
    add_device_argument,
    bounded,
    limits_help,
    resolve_device,
)

NAME = "detect"
HELP = "Detect objects in images with a trained checkpoint; write annotated PNGs and detections.json."
REPORT_NAME = "detections.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="image files")
    add_checkpoint_options(parser)
    parser.add_argument("-o", "--out", type=Path, default=Path("detections"),
                        help="output folder (default: detections); inputs in it are never replaced")  # fmt: skip
    parser.add_argument("--score-thresh", type=bounded("score_thresh", float), default=0.5,
                        help=f"keep detections above (default: 0.5) {limits_help('score_thresh')}")  # fmt: skip
    add_batch_size_option(parser, 8, "images per forward pass (default: 8)")
    add_device_argument(parser)


def output_paths(images: Sequence[Path], out: Path) -> list[Path]:
    """`OUT/<stem>.png` for each image, `OUT/<stem>-2.png`, ... where that would replace an input or
    an earlier output (two inputs with the same stem, or `OUT` being the inputs' folder)."""
    taken = {os.path.realpath(path) for path in images} | {os.path.realpath(out / REPORT_NAME)}
    paths = []
    for image in images:
        candidate, number = out / f"{image.stem}.png", 2
        while os.path.realpath(candidate) in taken:
            candidate, number = out / f"{image.stem}-{number}.png", number + 1
        taken.add(os.path.realpath(candidate))
        paths.append(candidate)
    return paths


def run(args: argparse.Namespace) -> int:
    import torch
    from PIL import Image
    from torchvision.utils import draw_bounding_boxes

    from paperzoo.atomic_files import write_atomically, write_bytes_atomically
    from paperzoo.cli import CliError
    from paperzoo.data.files import read_image
    from paperzoo.training import load_trained_model

    if args.out.exists() and not args.out.is_dir():
        raise CliError(f"--out {args.out} is a file, not a folder")
    device = resolve_device(args.device)
    model, state = load_trained_model(args.checkpoint, args.model, device)
    classes = list(state.get("classes") or [])
    images = [read_image(path) for path in args.images]  # fails early, naming a bad file
    targets = output_paths(args.images, args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    report = []
    for start in range(0, len(images), args.batch_size):
        batch = images[start : start + args.batch_size]
        with torch.inference_mode():
            outputs = model([image.to(device) for image in batch])
        for path, target, image, output in zip(
            args.images[start:], targets[start:], batch, outputs, strict=False
        ):
            keep = output["scores"] >= args.score_thresh
            boxes, scores, labels = (
                output["boxes"][keep].cpu(),
                output["scores"][keep].cpu(),
                output["labels"][keep].cpu(),
            )
            names = [
                classes[label - 1] if 0 < label <= len(classes) else str(label) for label in labels.tolist()
            ]
            captions = [f"{name} {score:.2f}" for name, score in zip(names, scores.tolist(), strict=True)]
            drawn = draw_bounding_boxes((image * 255).to(torch.uint8), boxes, captions, width=2)
            annotated = Image.fromarray(drawn.permute(1, 2, 0).numpy())  # (3, H, W) -> (H, W, 3)
            write_atomically(target, lambda file, picture=annotated: picture.save(file, format="PNG"))
            report.append({
                "image": str(path), "annotated": str(target),
                "detections": [{"box": box, "score": score, "label": int(label), "class": name}
                               for box, score, label, name in zip(boxes.tolist(), scores.tolist(),
                                                                  labels.tolist(), names, strict=True)],
            })  # fmt: skip
    write_bytes_atomically(args.out / REPORT_NAME, json.dumps(report, indent=2).encode())
    total = sum(len(r["detections"]) for r in report)
    print(f"{total} detections in {len(report)} images -> {args.out}/ (annotated PNGs, {REPORT_NAME})")
    return 0
